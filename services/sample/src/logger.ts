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
    const worstCase = line.length * 3; // UTF-8's worst case per UTF-16 unit
    if (worstCase > CHUNK_CAPACITY - this.used) {
      this.drain();
      // Longer than a whole chunk even at the worst case: handed over on its own.
      if (worstCase > CHUNK_CAPACITY) return this.out.write(Buffer.from(line, 'utf8'));
    }
    this.used += this.chunk.write(line, this.used, 'utf8');
    if (this.used >= CHUNK_BYTES) this.drain();
    return true;
  }

  /**
   * A line the caller knows to be ASCII (the access line), assembled in place: reserve() room for it (an
   * upper bound of its length), then bytes(), ascii(), byte() and digits() in order, then endLine(). Nothing
   * is joined into a string or encoded: fixed parts are copied as prepared bytes, the rest one byte per
   * character. reserve() is false for a line that could not fit in a chunk at all: write() it instead.
   */
  reserve(maxBytes: number): boolean {
    if (maxBytes > CHUNK_CAPACITY) return false;
    if (maxBytes > CHUNK_CAPACITY - this.used) this.drain();
    return true;
  }

  bytes(part: Uint8Array): void {
    this.chunk.set(part, this.used);
    this.used += part.length;
  }

  /** A string of ASCII characters, one byte each. */
  ascii(part: string): void {
    const chunk = this.chunk;
    let at = this.used;
    for (let i = 0; i < part.length; i++) chunk[at++] = part.charCodeAt(i);
    this.used = at;
  }

  byte(code: number): void {
    this.chunk[this.used++] = code;
  }

  /** An integer from 0 to 2^31 - 1 in decimal, zero-padded to `width` digits. */
  digits(value: number, width = 1): void {
    let count = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) count++;
    if (count < width) count = width;
    const chunk = this.chunk;
    let at = this.used + count;
    this.used = at;
    let rest = value;
    for (let i = 0; i < count; i++) {
      const next = (rest / 10) | 0;
      chunk[--at] = 48 + rest - next * 10;
      rest = next;
    }
  }

  endLine(): void {
    if (this.used >= CHUNK_BYTES) this.drain();
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
    lastIso = `${isoSecond(ms - millis)}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
  return lastIso;
}

/** The ISO form of a whole second (epoch milliseconds) up to and including the dot: ...T06:20:12. */
function isoSecond(second: number): string {
  if (second !== lastSecond) {
    lastSecond = second;
    const iso = new Date(second).toISOString(); // ...T06:20:12.000Z
    secondPrefix = iso.slice(0, iso.length - 4);
  }
  return secondPrefix;
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

/** The bytes of an ASCII text. */
const bytesOf = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** The part of an access line fixed by route, method and status: its text, and its bytes when it is all ASCII. */
interface FixedPart {
  readonly text: string;
  readonly bytes: Uint8Array | undefined;
}
function fixedPart(text: string): FixedPart {
  return { text, bytes: /^[\x00-\x7f]*$/.test(text) ? bytesOf(text) : undefined };
}

/** Room for the ISO time (24 characters; 27 for years past 9999). */
const ISO_TIME_MAX = 27;
/** Longest text of a number as JavaScript writes it (-1.7976931348623157e+308). */
const NUMBER_TEXT_MAX = 24;

function directAccessLog(logger: Logger, stream: LineBuffer): AccessLog {
  const levels = logger.levels.values;
  const head = { info: '{"level":"info","time":"', warn: '{"level":"warn","time":"' } as const;
  const afterTime = `","service":"${SERVICE}","reqId":`;
  const tail = ',"msg":"request completed"}\n';
  // The part of the line that depends only on route, method and status is made once per combination.
  const fixed = new Map<string, Map<string, FixedPart[]>>();

  // The same line assembled as bytes (LineBuffer.reserve): the level and the time up to the second are
  // prepared once per second, the other fixed parts once.
  let headSecond = -1;
  let headBytes = { info: bytesOf(''), warn: bytesOf('') };
  const afterTimeBytes = bytesOf(`Z${afterTime}"`);
  const quoteComma = bytesOf('",'); // after the request id, or after the span id when there are trace ids
  const traceIdOpen = bytesOf('","trace_id":"');
  const spanIdOpen = bytesOf('","span_id":"');
  const tailBytes = bytesOf(tail);
  const fixedLength = head.info.length + ISO_TIME_MAX + afterTimeBytes.length + traceIdOpen.length + spanIdOpen.length + quoteComma.length + NUMBER_TEXT_MAX + tailBytes.length;

  return (level, e) => {
    if (levels[level]! < logger.levelVal) return;
    let byMethod = fixed.get(e.quotedRoute);
    if (byMethod === undefined) fixed.set(e.quotedRoute, (byMethod = new Map()));
    let byStatus = byMethod.get(e.method);
    if (byStatus === undefined) byMethod.set(e.method, (byStatus = []));
    const mid = (byStatus[e.statusCode] ??= fixedPart(`"method":${JSON.stringify(e.method)},"route":${e.quotedRoute},"statusCode":${e.statusCode},"responseTimeMs":`));
    const ms = Number.isFinite(e.responseTimeMs) ? e.responseTimeMs : null;

    // Everything but the request id and the route is ASCII by construction (level, time, hex ids, numbers);
    // plain request ids are too (see AccessEntry.plainReqId).
    const traceId = e.traceId ?? '';
    const spanId = e.spanId ?? '';
    if (e.plainReqId === true && mid.bytes !== undefined && stream.reserve(fixedLength + e.reqId.length + traceId.length + spanId.length + mid.bytes.length)) {
      const now = Date.now();
      const millis = now % 1000;
      if (now - millis !== headSecond) {
        headSecond = now - millis;
        const second = isoSecond(headSecond);
        headBytes = { info: bytesOf(head.info + second), warn: bytesOf(head.warn + second) };
      }
      stream.bytes(headBytes[level]);
      stream.digits(millis, 3);
      stream.bytes(afterTimeBytes);
      stream.ascii(e.reqId);
      if (e.traceId !== undefined) {
        stream.bytes(traceIdOpen);
        stream.ascii(traceId);
        stream.bytes(spanIdOpen);
        stream.ascii(spanId);
      }
      stream.bytes(quoteComma);
      stream.bytes(mid.bytes);
      writeNumber(stream, ms);
      stream.bytes(tailBytes);
      stream.endLine();
      return;
    }
    const ids = e.traceId === undefined ? ',' : `,"trace_id":"${e.traceId}","span_id":"${e.spanId}",`;
    stream.write(head[level] + isoNow() + afterTime + JSON.stringify(e.reqId) + ids + mid.text + ms + tail);
  };
}

/**
 * A number as JSON.stringify writes it. The response time, a multiple of 0.01 below 21 474 837 ms, is written
 * digit by digit from its hundredths (the text of a fraction otherwise comes from V8's double-to-string
 * conversion); anything else, and null, as its text.
 */
function writeNumber(stream: LineBuffer, value: number | null): void {
  if (value !== null && value >= 0) {
    const hundredths = Math.round(value * 100);
    if (hundredths <= 0x7fffffff && hundredths / 100 === value) {
      const whole = (hundredths / 100) | 0;
      const fraction = hundredths - whole * 100;
      stream.digits(whole);
      if (fraction !== 0) {
        stream.byte(46); // .
        if (fraction % 10 === 0) stream.digits(fraction / 10);
        else stream.digits(fraction, 2);
      }
      return;
    }
  }
  stream.ascii(String(value));
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
