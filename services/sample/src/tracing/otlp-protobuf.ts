/**
 * OTLP protobuf (opentelemetry-proto trace.proto) encoding of finished spans, one span at a time, appended to a
 * byte buffer as it ends. Why not the SDK's serializer: it encodes a whole batch at export time in two passes
 * (a size estimate, then the bytes) and converts every id to a new array; here each span is written once,
 * straight into the buffer that is sent, and the resource and scope once per batch: less than half the work
 * per span (docs/benchmarks.md, seventh round).
 *
 * The output is byte for byte what the SDK's ProtobufTraceSerializer writes for the same spans (same fields, same
 * order, same int/double choice for numbers); the tests check it against that serializer.
 */
import type { Attributes, AttributeValue, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';

/** A span event as recorded (the SDK's TimedEvent). */
export interface RecordedEvent {
  readonly time: HrTime;
  readonly name: string;
  readonly attributes?: Attributes | undefined;
  readonly droppedAttributesCount?: number | undefined;
}

/**
 * What is encoded of a finished span: the fields of the SDK's ReadableSpan that OTLP carries, so that both the
 * service's spans (tracer.ts) and the SDK's can be encoded (the tests compare with the SDK's serializer).
 */
export interface FinishedSpan {
  spanContext(): SpanContext;
  readonly parentSpanContext?: SpanContext | undefined;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly events: readonly RecordedEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly Link[];
  readonly droppedLinksCount: number;
  readonly status: SpanStatus;
  readonly resource: SpanOrigin['resource'];
  readonly instrumentationScope: SpanOrigin['scope'];
}

/** Wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;
const tag = (field: number, wire: number) => (field << 3) | wire;

/** Span flags (trace.proto SpanFlags): the "is remote" bit is known, and whether the parent is remote. */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/**
 * A growable protobuf writer over one Buffer (its own memory, not zeroed, not from Node's shared pool, so it
 * can be transferred). Hot methods copy `buf` and `pos` into locals: this runs for every field of every span.
 */
export class ProtoWriter {
  buf: Buffer;
  pos: number;

  /** `reserve` bytes are left free at the start (see SpanChunk: room for the request header). */
  constructor(capacity: number, reserve = 0) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
    this.pos = reserve;
  }

  ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** A non-negative integer below 2^32 (tags, lengths, counts, enums). */
  uint32(value: number): void {
    this.ensure(5);
    this.pos = putVarint(this.buf, this.pos, value >>> 0);
  }

  /** An int64 varint from any integer in the int64 range (negative: two's complement, 10 bytes). */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) return this.uint32(value);
    this.ensure(10);
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 0x100000000) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 0x100000000) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    const buf = this.buf;
    let pos = this.pos;
    while (high > 0 || low > 0x7f) {
      buf[pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[pos++] = low;
    this.pos = pos;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /**
   * A string as UTF-8, length first. Short ASCII strings (keys, names) are copied char by char; longer ones, and
   * any with other chars, are encoded by Buffer behind a one-byte length that is widened when it needs more.
   */
  string(value: string): void {
    const length = value.length;
    if (length < 16) {
      this.ensure(length + 1);
      const buf = this.buf;
      let pos = this.pos;
      buf[pos++] = length;
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) return this.utf8(value);
        buf[pos++] = code;
      }
      this.pos = pos;
      return;
    }
    this.utf8(value);
  }

  private utf8(value: string): void {
    this.ensure(3 * value.length + 5);
    const start = this.pos;
    const bytes = this.buf.write(value, start + 1, 'utf8');
    this.pos = start + 1 + bytes;
    this.lengthAt(start, bytes);
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** An id given in hex (trace and span ids; lowercase as the API makes them, uppercase accepted), written as its bytes. */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.uint32(length);
    this.ensure(length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < hex.length; i += 2) buf[pos++] = (hexDigit(hex.charCodeAt(i)) << 4) | hexDigit(hex.charCodeAt(i + 1));
    this.pos = pos;
  }

  /**
   * Starts a length-delimited message: one byte is reserved for its length (most messages here are shorter than
   * 128 bytes); endMessage moves the content when the length needs more.
   */
  startMessage(): number {
    this.ensure(1);
    return this.pos++;
  }

  endMessage(start: number): void {
    this.lengthAt(start, this.pos - start - 1);
  }

  /** Writes `length` as a varint at `start`, the one byte reserved there, moving what follows when it needs more. */
  private lengthAt(start: number, length: number): void {
    if (length <= 0x7f) {
      this.buf[start] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    this.buf.copyWithin(start + size, start + 1, this.pos);
    this.pos += size - 1;
    putVarint(this.buf, start, length);
  }
}

/** Writes `value` (below 2^32) as a varint at `pos`; returns the position after it. */
function putVarint(buf: Buffer, pos: number, value: number): number {
  let v = value;
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 7; v > 0; v >>>= 7) size++;
  return size;
}

function hexDigit(code: number): number {
  if (code <= 57) return code - 48; // 0-9
  if (code >= 97) return code - 87; // a-f
  return code - 55; // A-F
}

/** [seconds, nanoseconds] as fixed64 nanoseconds since the epoch, exact (no product above 2^53). */
function writeHrTime(w: ProtoWriter, time: HrTime): void {
  const seconds = time[0];
  const nanos = time[1];
  const lowerNanos = (seconds & 0xffff) * 1e9;
  const upperNanos = ((seconds / 0x10000) >>> 0) * 1e9;
  const low = (lowerNanos >>> 0) + (((upperNanos & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = Math.floor(lowerNanos / 0x100000000) + ((upperNanos / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  w.fixed64(low >>> 0, high >>> 0);
}

function writeAnyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.uint32(tag(1, LEN));
      w.string(value);
      return;
    case 'boolean':
      w.uint32(tag(2, VARINT));
      w.uint32(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.uint32(tag(3, VARINT));
        w.int64(value);
      } else {
        w.uint32(tag(4, FIXED64));
        w.double(value);
      }
      return;
    case 'object':
      break;
    default:
      return; // not an attribute value: nothing, as the SDK's serializer does
  }
  if (value instanceof Uint8Array) {
    w.uint32(tag(7, LEN));
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.uint32(tag(5, LEN));
    const array = w.startMessage();
    for (const item of value) {
      w.uint32(tag(1, LEN));
      const entry = w.startMessage();
      writeAnyValue(w, item);
      w.endMessage(entry);
    }
    w.endMessage(array);
  } else if (value !== null) {
    w.uint32(tag(6, LEN));
    const list = w.startMessage();
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
      w.uint32(tag(1, LEN));
      const kv = w.startMessage();
      writeKeyValue(w, key, record[key]);
      w.endMessage(kv);
    }
    w.endMessage(list);
  }
}

function writeKeyValue(w: ProtoWriter, key: string, value: unknown): void {
  w.uint32(tag(1, LEN));
  w.string(key);
  w.uint32(tag(2, LEN));
  const any = w.startMessage();
  writeAnyValue(w, value);
  w.endMessage(any);
}

/** Repeated KeyValue `field` of the enclosing message. */
export function writeAttributes(w: ProtoWriter, attributes: Attributes | undefined, field: number): void {
  if (attributes === undefined) return;
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    w.uint32(tag(field, LEN));
    const kv = w.startMessage();
    writeKeyValue(w, key, attributes[key] as AttributeValue | undefined);
    w.endMessage(kv);
  }
}

function writeEvent(w: ProtoWriter, event: RecordedEvent): void {
  w.uint32(tag(1, FIXED64));
  writeHrTime(w, event.time);
  w.uint32(tag(2, LEN));
  w.string(event.name);
  writeAttributes(w, event.attributes, 3);
  w.uint32(tag(4, VARINT));
  w.uint32(event.droppedAttributesCount ?? 0);
}

/** trace_id (1), span_id (2) and trace_state (3): the first fields of both Span and Span.Link. */
function writeSpanContext(w: ProtoWriter, context: SpanContext): void {
  w.uint32(tag(1, LEN));
  w.hexBytes(context.traceId);
  w.uint32(tag(2, LEN));
  w.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    w.uint32(tag(3, LEN));
    w.string(traceState);
  }
}

function writeLink(w: ProtoWriter, link: Link): void {
  const context = link.context;
  writeSpanContext(w, context);
  writeAttributes(w, link.attributes, 4);
  w.uint32(tag(5, VARINT));
  w.uint32(link.droppedAttributesCount ?? 0);
  w.uint32(tag(6, FIXED32));
  w.fixed32(spanFlags(context.traceFlags, context.isRemote));
}

function writeStatus(w: ProtoWriter, status: SpanStatus): void {
  if (status.message) {
    w.uint32(tag(2, LEN));
    w.string(status.message);
  }
  w.uint32(tag(3, VARINT));
  w.uint32(status.code);
}

/** Field `field` of the enclosing message: `value` as a nested message (tag, length, then what `write` writes). */
function writeNested<T>(w: ProtoWriter, field: number, value: T, write: (w: ProtoWriter, value: T) => void): void {
  w.uint32(tag(field, LEN));
  const start = w.startMessage();
  write(w, value);
  w.endMessage(start);
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (isRemote === true ? FLAGS_IS_REMOTE : 0);
}

/** One ScopeSpans.spans entry (field 2): the Span message, tag and length included. */
export function writeSpan(w: ProtoWriter, span: FinishedSpan): void {
  w.uint32(tag(2, LEN));
  const message = w.startMessage();
  const context = span.spanContext();
  writeSpanContext(w, context);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.uint32(tag(4, LEN));
    w.hexBytes(parent.spanId);
  }
  w.uint32(tag(5, LEN));
  w.string(span.name);
  w.uint32(tag(6, VARINT));
  w.uint32(span.kind + 1); // the API's kinds start at INTERNAL = 0, the protocol's at UNSPECIFIED = 0
  w.uint32(tag(7, FIXED64));
  writeHrTime(w, span.startTime);
  w.uint32(tag(8, FIXED64));
  writeHrTime(w, span.endTime);
  writeAttributes(w, span.attributes, 9);
  w.uint32(tag(10, VARINT));
  w.uint32(span.droppedAttributesCount);
  for (const event of span.events) writeNested(w, 11, event, writeEvent);
  w.uint32(tag(12, VARINT));
  w.uint32(span.droppedEventsCount);
  for (const link of span.links) writeNested(w, 13, link, writeLink);
  w.uint32(tag(14, VARINT));
  w.uint32(span.droppedLinksCount);
  writeNested(w, 15, span.status, writeStatus);
  w.uint32(tag(16, FIXED32));
  w.fixed32(spanFlags(context.traceFlags, parent?.isRemote));
  w.endMessage(message);
}

/** What a chunk's spans share: encoded once per chunk, around them. */
export interface SpanOrigin {
  readonly resource: { readonly attributes: Attributes; readonly schemaUrl?: string | undefined };
  readonly scope: { readonly name: string; readonly version?: string | undefined; readonly schemaUrl?: string | undefined };
}

/** The fixed parts of a request for spans of one origin, each with its tag. */
interface OriginFields {
  /** ResourceSpans.resource (1). */
  readonly resource: Uint8Array;
  /** ScopeSpans.scope (1). */
  readonly scope: Uint8Array;
  /** ScopeSpans.schema_url (3), after the spans; empty when unset. */
  readonly scopeSchemaUrl: Uint8Array;
  /** ResourceSpans.schema_url (3), after scope_spans; empty when unset. */
  readonly resourceSchemaUrl: Uint8Array;
}

function encodeField(write: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter(256);
  write(w);
  return Uint8Array.prototype.slice.call(w.buf, 0, w.pos);
}

function originFields(origin: SpanOrigin): OriginFields {
  const schemaUrl = (url: string | undefined) =>
    encodeField((w) => {
      if (!url) return;
      w.uint32(tag(3, LEN));
      w.string(url);
    });
  return {
    resource: encodeField((w) => {
      w.uint32(tag(1, LEN));
      const resource = w.startMessage();
      writeAttributes(w, origin.resource.attributes, 1);
      w.uint32(tag(2, VARINT));
      w.uint32(0); // dropped_attributes_count
      w.endMessage(resource);
    }),
    scope: encodeField((w) => {
      w.uint32(tag(1, LEN));
      const scope = w.startMessage();
      w.uint32(tag(1, LEN));
      w.string(origin.scope.name);
      if (origin.scope.version) {
        w.uint32(tag(2, LEN));
        w.string(origin.scope.version);
      }
      w.endMessage(scope);
    }),
    scopeSchemaUrl: schemaUrl(origin.scope.schemaUrl),
    resourceSchemaUrl: schemaUrl(origin.resource.schemaUrl),
  };
}

/** The most bytes the request header adds to the origin fields: 2 tags and 2 lengths of at most 5 bytes. */
const HEADER_OVERHEAD = 2 * (1 + 5);

/**
 * Spans of one origin (resource and scope), encoded as they end into one buffer that becomes a whole
 * ExportTraceServiceRequest. Room for the header (resource_spans > resource, scope_spans > scope) is reserved at
 * the start and written when the chunk is sealed, right-aligned against the first span: nothing is copied.
 */
export class SpanChunk {
  private readonly writer: ProtoWriter;
  private readonly fields: OriginFields;
  /** Where the first span starts. */
  private readonly start: number;
  spans = 0;

  constructor(origin: SpanOrigin, capacity: number) {
    this.fields = originFields(origin);
    this.start = HEADER_OVERHEAD + this.fields.resource.length + this.fields.scope.length;
    this.writer = new ProtoWriter(Math.max(capacity, this.start + 1024), this.start);
  }

  add(span: FinishedSpan): void {
    writeSpan(this.writer, span);
    this.spans++;
  }

  /** Encoded size of the spans so far. */
  get bytes(): number {
    return this.writer.pos - this.start;
  }

  /**
   * The ExportTraceServiceRequest holding every span added: a view on this chunk's own buffer (shared with
   * nothing else, so it can be transferred to another thread). The chunk must not be used afterwards.
   */
  seal(): Uint8Array {
    const w = this.writer;
    const { resource, scope, scopeSchemaUrl, resourceSchemaUrl } = this.fields;
    const scopeSpans = scope.length + this.bytes + scopeSchemaUrl.length;
    const resourceSpans = resource.length + 1 + varintSize(scopeSpans) + scopeSpans + resourceSchemaUrl.length;
    for (const tail of [scopeSchemaUrl, resourceSchemaUrl]) {
      w.ensure(tail.length);
      w.buf.set(tail, w.pos);
      w.pos += tail.length;
    }
    const end = w.pos;
    const begin = this.start - (1 + varintSize(resourceSpans) + resource.length + 1 + varintSize(scopeSpans) + scope.length);
    w.pos = begin;
    w.uint32(tag(1, LEN)); // ExportTraceServiceRequest.resource_spans
    w.uint32(resourceSpans);
    w.buf.set(resource, w.pos);
    w.pos += resource.length;
    w.uint32(tag(2, LEN)); // ResourceSpans.scope_spans
    w.uint32(scopeSpans);
    w.buf.set(scope, w.pos);
    w.pos = end;
    return w.buf.subarray(begin, end);
  }
}

