import pino, { type Logger } from 'pino';

const FLUSH_EVERY_MS = 500;

/**
 * JSON logs to stdout. Request-scoped lines (request.log) carry trace_id/span_id, see app.ts.
 * Lines are buffered (4 KiB), written synchronously (no thread-pool hop per write) and flushed every
 * 500 ms and at exit: one write per buffer instead of one per line keeps the access log cheap.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const dest = destination ?? pino.destination({ sync: true, minLength: 4096 });
  if (destination === undefined) setInterval(() => (dest as ReturnType<typeof pino.destination>).flush(), FLUSH_EVERY_MS).unref();
  return pino(
    {
      level,
      base: { service: 'sample-service' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
}
