import pino, { type Logger } from 'pino';

const FLUSH_EVERY_MS = 500;
/** Lines are handed over once a chunk holds this many bytes. */
const CHUNK_BYTES = 16_384;
/** Room for one more line before the handover, at UTF-8's worst case of 3 bytes per UTF-16 unit. */
const CHUNK_CAPACITY = 4 * CHUNK_BYTES;
const SERVICE = 'sample-service';

/** Where a LineBuffer hands its chunks: a synchronous sonic-boom in buffer mode (or a test double). */
export interface ChunkSink {
  write(chunk: Buffer): boolean;
  flushSync(): void;
}

/**
 * Lines are encoded straight into a byte chunk and handed to a synchronous sonic-boom (contentMode
 * 'buffer') at about 16 KiB (one write(2) per chunk of about 80 access lines instead of one per line),
 * every 500 ms, on logger.flush() and at process exit.
 * Each line is encoded to UTF-8 once, where it is written: joining the lines into one string and letting
 * sonic-boom measure and encode that string walked every byte three more times, more than the line cost
 * to build at access-log rates.
 */
export class LineBuffer {
  private chunk = Buffer.allocUnsafe(CHUNK_CAPACITY);
  private used = 0;

  constructor(private readonly out: ChunkSink) {}

  write(line: string): boolean {
    return this.put(line, 3, 'utf8');
  }

  /**
   * write() for a line the caller knows to be ASCII (the access line): copied into the chunk as one byte
   * per character, straight from the string's pieces. write() first joins a line's pieces into a new string,
   * then encodes that as UTF-8.
   */
  writeAscii(line: string): boolean {
    return this.put(line, 1, 'latin1');
  }

  /** `line` into the chunk, room reserved for its worst case of `bytesPerUnit` bytes per UTF-16 unit. */
  private put(line: string, bytesPerUnit: 1 | 3, encoding: 'utf8' | 'latin1'): boolean {
    const worstCase = line.length * bytesPerUnit;
    if (worstCase > CHUNK_CAPACITY - this.used) {
      this.drain();
      // Longer than a whole chunk even at the worst case: handed over on its own.
      if (worstCase > CHUNK_CAPACITY) return this.out.write(Buffer.from(line, encoding));
    }
    this.used += this.chunk.write(line, this.used, encoding);
    if (this.used >= CHUNK_BYTES) this.drain();
    return true;
  }

  private drain(): void {
    if (this.used === 0) return;
    // A fresh chunk after each handover: sonic-boom may keep the bytes it could not write yet (EAGAIN).
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_CAPACITY);
    this.used = 0;
    this.out.write(full);
  }

  /** Everything written so far reaches the file descriptor before this returns. */
  flushSync(): void {
    this.drain();
    this.out.flushSync();
  }

  /** pino's logger.flush(cb) calls this. */
  flush(cb?: (err?: Error) => void): void {
    try {
      this.flushSync();
      cb?.();
    } catch (err) {
      cb?.(err as Error);
    }
  }
}

/**
 * ISO time for log lines. The part up to the second is formatted once per second (Date#toISOString
 * costs some 7 000 instructions); a line pays for three digits of milliseconds, and lines within one
 * millisecond share the string.
 */
let lastMs = -1;
let lastIso = '';
let lastSecond = -1;
let secondPrefix = '';
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    const millis = ms % 1000;
    const second = ms - millis;
    if (second !== lastSecond) {
      lastSecond = second;
      const iso = new Date(second).toISOString(); // ...T06:20:12.000Z
      secondPrefix = iso.slice(0, iso.length - 4);
    }
    lastIso = `${secondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
  return lastIso;
}

/** One access line per request; `warn` for 5xx and slow requests, `info` otherwise. */
export interface AccessEntry {
  readonly reqId: string;
  /** True when reqId is known to need no JSON escaping (ids from the service's genReqId): quoted as is. */
  readonly plainReqId?: boolean;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  readonly method: string;
  /** The route template, and the same JSON-quoted (routes are few: quoted once, not per line). */
  readonly route: string;
  readonly quotedRoute: string;
  readonly statusCode: number;
  readonly responseTimeMs: number;
}
export type AccessLog = (level: 'info' | 'warn', entry: AccessEntry) => void;

const accessLogs = new WeakMap<Logger, AccessLog>();

/**
 * The access-line writer for a logger. For loggers made by createLogger it formats the line itself, the
 * same JSON pino writes for logger[level]({reqId, trace_id, span_id, method, route, statusCode,
 * responseTimeMs}, 'request completed') (unit-tested against pino), and writes it to the logger's
 * stream: no per-line object walk, key quoting or serializer lookups. Any other logger gets exactly that
 * pino call.
 */
export function accessLogFor(logger: Logger): AccessLog {
  return (
    accessLogs.get(logger) ??
    ((level, e) =>
      logger[level](
        { reqId: e.reqId, trace_id: e.traceId, span_id: e.spanId, method: e.method, route: e.route, statusCode: e.statusCode, responseTimeMs: e.responseTimeMs },
        'request completed',
      ))
  );
}

/** The part of an access line fixed by route, method and status, and whether it is all ASCII. */
interface FixedPart {
  readonly text: string;
  readonly ascii: boolean;
}
function fixedPart(text: string): FixedPart {
  return { text, ascii: /^[\x00-\x7f]*$/.test(text) };
}

function directAccessLog(logger: Logger, stream: LineBuffer): AccessLog {
  const levels = logger.levels.values;
  const head = { info: '{"level":"info","time":"', warn: '{"level":"warn","time":"' } as const;
  const afterTime = `","service":"${SERVICE}","reqId":`;
  const tail = ',"msg":"request completed"}\n';
  // The part of the line that depends only on route, method and status is made once per combination:
  // a line is then a few concatenations instead of a template of 17 pieces.
  const fixed = new Map<string, Map<string, FixedPart[]>>();
  return (level, e) => {
    if (levels[level]! < logger.levelVal) return;
    let byMethod = fixed.get(e.quotedRoute);
    if (byMethod === undefined) fixed.set(e.quotedRoute, (byMethod = new Map()));
    let byStatus = byMethod.get(e.method);
    if (byStatus === undefined) byMethod.set(e.method, (byStatus = []));
    const mid = (byStatus[e.statusCode] ??= fixedPart(`"method":${JSON.stringify(e.method)},"route":${e.quotedRoute},"statusCode":${e.statusCode},"responseTimeMs":`));
    const ids = e.traceId === undefined ? ',' : `,"trace_id":"${e.traceId}","span_id":"${e.spanId}",`;
    const ms = Number.isFinite(e.responseTimeMs) ? e.responseTimeMs : null;
    const plain = e.plainReqId === true;
    const line = head[level] + isoNow() + afterTime + (plain ? `"${e.reqId}"` : JSON.stringify(e.reqId)) + ids + mid.text + ms + tail;
    // Everything but the request id and the route is ASCII by construction (level, time, hex ids, numbers);
    // plain request ids are too (see AccessEntry.plainReqId).
    if (plain && mid.ascii) stream.writeAscii(line);
    else stream.write(line);
  };
}

/**
 * JSON logs to stdout (or to `destination`, a plain pino logger). Request-scoped lines (request.log) carry
 * trace_id/span_id, see app.ts. Writes to stdout are synchronous (no thread-pool hop per write) and
 * batched, see LineBuffer; `buffer` replaces the stdout one (tests).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, buffer?: LineBuffer): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: SERVICE },
    timestamp: () => `,"time":"${isoNow()}"`,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (destination !== undefined) return pino(options, destination);
  let out = buffer;
  if (out === undefined) {
    const stdout = new LineBuffer(pino.destination({ sync: true, contentMode: 'buffer' }) as unknown as ChunkSink);
    setInterval(() => stdout.flushSync(), FLUSH_EVERY_MS).unref();
    process.on('exit', () => stdout.flushSync()); // process.exit() from any path: nothing stays buffered
    out = stdout;
  }
  const logger = pino(options, out);
  accessLogs.set(logger, directAccessLog(logger, out));
  return logger;
}
