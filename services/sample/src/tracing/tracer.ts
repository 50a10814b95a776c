/**
 * The service's OpenTelemetry tracer: an implementation of the OpenTelemetry API (@opentelemetry/api Tracer,
 * Span, TracerProvider) that records sampled spans and hands each, as it ends, to the SpanBatcher, which
 * encodes it to OTLP at once.
 *
 * Why not the SDK's BasicTracerProvider: counted under callgrind, the SDK's two spans of a traced read (attribute
 * copies, sampler and tracer-metrics objects, several clock readings and time arrays per span) cost some 35 000
 * instructions more than these, a third of what the whole request costs untraced (docs/benchmarks.md, seventh
 * round). The semantics kept are the SDK's defaults: parent-based sampling
 * (a sampled parent is recorded, an unsampled one is not), a ratio for roots, W3C ids from a CSPRNG, limits of
 * 128 attributes, events and links per span, attribute values checked as the SDK checks them, status rules,
 * exception events, and one end() only.
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  context as contextApi,
  diag,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
} from '@opentelemetry/api';
import { isAttributeValue, isTimeInput, isTracingSuppressed, millisToHrTime, timeInputToHrTime } from '@opentelemetry/core';
import type { FinishedSpan, RecordedEvent, SpanOrigin } from './otlp-protobuf';

/** Per-span limits: the SDK's defaults. */
const ATTRIBUTE_COUNT_LIMIT = 128;
const EVENT_COUNT_LIMIT = 128;
const LINK_COUNT_LIMIT = 128;

/** Where finished spans go (SpanBatcher). */
export interface FinishedSpanSink {
  onEnd(span: FinishedSpan): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface RecordingTracerProviderOptions {
  readonly resource: Attributes;
  /** Share of root spans (no valid parent) recorded; SERVER roots are pre-sampled by the caller, see startServerSpan. */
  readonly rootSamplingRatio: number;
  /** @default - spans are recorded and dropped (nothing is exported) */
  readonly sink?: FinishedSpanSink;
}

/**
 * W3C trace and span ids from a pool of random bytes (one randomFillSync per 256 trace ids), as lowercase hex.
 * An all-zero id is invalid in W3C trace context; it is drawn again.
 */
class IdPool {
  private readonly pool = Buffer.allocUnsafeSlow(4096);
  private next = this.pool.length;

  traceId(): string {
    return this.take(16, '00000000000000000000000000000000');
  }

  spanId(): string {
    return this.take(8, '0000000000000000');
  }

  private take(bytes: number, invalid: string): string {
    for (;;) {
      if (this.next + bytes > this.pool.length) {
        randomFillSync(this.pool);
        this.next = 0;
      }
      const id = this.pool.toString('hex', this.next, (this.next += bytes));
      if (id !== invalid) return id;
    }
  }
}

/** Epoch milliseconds (fractional) for a performance.now() reading: the same clock the SDK uses. */
const timeOrigin = performance.timeOrigin;

export class RecordingTracerProvider implements TracerProvider {
  readonly resource: SpanOrigin['resource'];
  private readonly tracers = new Map<string, RecordingTracer>();
  private readonly ids = new IdPool();
  private readonly sink: FinishedSpanSink;

  constructor(private readonly options: RecordingTracerProviderOptions) {
    this.resource = { attributes: { ...options.resource } };
    this.sink = options.sink ?? { onEnd: () => undefined, forceFlush: async () => undefined, shutdown: async () => undefined };
  }

  getTracer(name: string, version?: string, options?: TracerOptions): RecordingTracer {
    const key = `${name}\u0000${version ?? ''}\u0000${options?.schemaUrl ?? ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      const scope = { name, version, schemaUrl: options?.schemaUrl };
      tracer = new RecordingTracer(scope, this.resource, this.ids, this.sink, this.options.rootSamplingRatio);
      this.tracers.set(key, tracer);
    }
    return tracer;
  }

  forceFlush(): Promise<void> {
    return this.sink.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.sink.shutdown();
  }
}

export class RecordingTracer implements Tracer {
  constructor(
    readonly scope: SpanOrigin['scope'],
    readonly resource: SpanOrigin['resource'],
    private readonly ids: IdPool,
    private readonly sink: FinishedSpanSink,
    private readonly rootSamplingRatio: number,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parentSpan = options.root === true ? undefined : trace.getSpan(ctx);
    const parent = parentSpan === undefined ? undefined : parentSpan instanceof RecordingSpan ? parentSpan.context : validOrUndefined(parentSpan.spanContext());
    const kind = options.kind ?? SpanKind.INTERNAL;
    const sampled =
      parent !== undefined ? (parent.traceFlags & TraceFlags.SAMPLED) !== 0 : kind === SpanKind.SERVER || Math.random() < this.rootSamplingRatio;
    const spanContext: SpanContext = {
      traceId: parent?.traceId ?? this.ids.traceId(),
      spanId: this.ids.spanId(),
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    };
    if (parent?.traceState !== undefined) spanContext.traceState = parent.traceState;
    if (!sampled) return trace.wrapSpanContext(spanContext);
    return new RecordingSpan(this, spanContext, parent, name, kind, options.attributes, options.links, options.startTime);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : {};
    const parent = rest.length > 2 ? (rest[1] as Context) : contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }

  /** @internal */
  finished(span: RecordingSpan): void {
    this.sink.onEnd(span);
  }
}

function validOrUndefined(sc: SpanContext): SpanContext | undefined {
  return trace.isSpanContextValid(sc) ? sc : undefined;
}

/** A recorded span: the API's Span while it runs, a FinishedSpan for the encoder once it has ended. */
export class RecordingSpan implements Span, FinishedSpan {
  attributes: Attributes = {};
  droppedAttributesCount = 0;
  events: RecordedEvent[] = [];
  droppedEventsCount = 0;
  links: Link[] = [];
  droppedLinksCount = 0;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  startTime: HrTime;
  endTime: HrTime = [0, 0];
  readonly resource: SpanOrigin['resource'];
  readonly instrumentationScope: SpanOrigin['scope'];
  private attributeCount = 0;
  private ended = false;
  /** performance.now() at start, or undefined when the caller gave the start time (end then reads the wall clock). */
  private readonly startedAt: number | undefined;

  constructor(
    private readonly tracer: RecordingTracer,
    readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    public name: string,
    readonly kind: SpanKind,
    attributes: Attributes | undefined,
    links: Link[] | undefined,
    startTime: TimeInput | undefined,
  ) {
    this.resource = tracer.resource;
    this.instrumentationScope = tracer.scope;
    if (startTime === undefined) {
      this.startedAt = performance.now();
      this.startTime = millisToHrTime(timeOrigin + this.startedAt);
    } else {
      this.startedAt = undefined;
      this.startTime = timeInputToHrTime(startTime);
    }
    if (attributes !== undefined) this.setAttributes(attributes);
    if (links !== undefined) this.addLinks(links);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (value == null || this.ended) return this;
    if (key.length === 0 || !isAttributeValue(value)) {
      diag.warn(`Invalid attribute ${key.length === 0 ? 'key' : `value set for key: ${key}`}`);
      return this;
    }
    const isNew = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNew && this.attributeCount >= ATTRIBUTE_COUNT_LIMIT) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = value;
    if (isNew) this.attributeCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key] as AttributeValue);
    }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.ended) return this;
    let attributes: Attributes | undefined;
    let time = startTime;
    if (isTimeInput(attributesOrStartTime)) time ??= attributesOrStartTime;
    else attributes = attributesOrStartTime;
    if (this.events.length >= EVENT_COUNT_LIMIT) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    this.events.push({ name, attributes: validAttributes(attributes) ?? {}, time: this.time(time), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links.length >= LINK_COUNT_LIMIT) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    const attributes = validAttributes(link.attributes);
    this.links.push(attributes === undefined || Object.keys(attributes).length === 0 ? { context: link.context } : { context: link.context, attributes });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(`${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.time(endTime);
    if (this.endTime[0] < this.startTime[0] || (this.endTime[0] === this.startTime[0] && this.endTime[1] < this.startTime[1])) this.endTime = this.startTime;
    this.ended = true;
    this.tracer.finished(this);
  }

  /** An explicit time, or now: from the monotonic clock when the start was read from it (as the SDK does). */
  private time(input: TimeInput | undefined): HrTime {
    if (input !== undefined) return timeInputToHrTime(input);
    return millisToHrTime(this.startedAt === undefined ? Date.now() : timeOrigin + performance.now());
  }
}

/** Event and link attributes: the valid ones (as the SDK's sanitizeAttributes keeps them). */
function validAttributes(attributes: Attributes | undefined): Attributes | undefined {
  if (attributes === undefined) return undefined;
  const valid: Attributes = {};
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    const value = attributes[key];
    if (key.length > 0 && isAttributeValue(value)) valid[key] = value;
  }
  return valid;
}
