import pino, { type Logger } from 'pino';
import { activeTraceFields } from './telemetry';

/** JSON logs to stdout; every line made inside a request carries trace_id/span_id of the active span. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sample-service' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => activeTraceFields() ?? {},
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password'], remove: true },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
