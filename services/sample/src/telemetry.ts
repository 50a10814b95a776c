/**
 * OpenTelemetry tracing. Spans for HTTP (fastify hooks), pg and Redis are created explicitly at the
 * data-access seam instead of by require-hook monkey patching, so they survive esbuild bundling
 * (require hooks never see bundled modules). W3C trace context in and out; parent-based ratio sampling.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Config } from './config';
import { WorkerOtlpTraceExporter } from './otlp-worker-exporter';

export const SERVICE_VERSION = '1.0.0';

export interface Telemetry {
  readonly tracer: Tracer;
  /** Flush pending spans and stop exporting; bounded by the caller's shutdown deadline. */
  shutdown(): Promise<void>;
}

export function startTelemetry(cfg: Config['telemetry']): Telemetry {
  const spanProcessors: SpanProcessor[] = [];
  if (cfg.otlpEndpoint !== undefined) {
    const url = `${cfg.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    spanProcessors.push(
      // Fewer, larger exports: one OTLP request per 2048 spans or every 2 s, whichever comes first,
      // serialized here and POSTed from a worker thread (see otlp-worker-exporter.ts).
      new BatchSpanProcessor(new WorkerOtlpTraceExporter({ url, timeoutMillis: 5_000 }), {
        maxQueueSize: 8_192,
        maxExportBatchSize: 2_048,
        scheduledDelayMillis: 2_000,
        exportTimeoutMillis: 5_000,
      }),
    );
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': cfg.serviceName,
      'service.version': SERVICE_VERSION,
    }),
    sampler: new ParentBasedSampler({ root: new RootSampler(cfg.samplingRatio) }),
    spanProcessors,
  });
  // No global context manager on purpose: parents are passed explicitly. An AsyncLocalStorage manager
  // would switch on async_hooks for every promise once the exporter first calls context.with() (~10%
  // of throughput on Node 20), for no benefit here.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  // The SDK tracer itself, not the global proxy: one indirection less per span.
  serviceTracer = provider.getTracer(TRACER_NAME, SERVICE_VERSION);
  rootSamplingRatio = cfg.samplingRatio;
  return {
    tracer: serviceTracer,
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Root sampler. A root SERVER span is only started by startServerSpan after it has made the ratio
 * decision itself (before any span, id or context is made), so the SDK records it; any other root span
 * (none on the request path) is sampled by trace id ratio as before. Parented spans: ParentBasedSampler.
 */
class RootSampler implements Sampler {
  private readonly ratio: TraceIdRatioBasedSampler;
  private readonly on = new AlwaysOnSampler();
  constructor(ratio: number) {
    this.ratio = new TraceIdRatioBasedSampler(ratio);
  }
  shouldSample(ctx: Context, traceId: string, _name: string, kind: SpanKind, _attributes: Attributes, _links: Link[]): SamplingResult {
    return kind === SpanKind.SERVER ? this.on.shouldSample() : this.ratio.shouldSample(ctx, traceId);
  }
  toString(): string {
    return `RootSampler{server=pre-sampled, other=${this.ratio.toString()}}`;
  }
}

const TRACER_NAME = 'sample-service';
/** Share of root requests (no valid traceparent) traced; 0 until startTelemetry (no provider, no spans). */
let rootSamplingRatio = 0;
/** The service's tracer: the global proxy (a no-op until a provider is registered) until startTelemetry. */
let serviceTracer: Tracer = trace.getTracer(TRACER_NAME, SERVICE_VERSION);
export function tracer(): Tracer {
  return serviceTracer;
}

/**
 * Parent context for the dependency calls of a request whose server span is not recording (not sampled).
 * withSpan() creates no child under it, and it is one shared object rather than a context per request.
 */
const UNSAMPLED: Context = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(INVALID_SPAN_CONTEXT));

/**
 * Run fn inside a client span, child of `parent`; records the error and rethrows. The parent context is
 * passed explicitly (no AsyncLocalStorage hop per request: measurably cheaper on Node 20). `describe`
 * gives the span name and attributes; it is only called when the span is created: a child of an
 * unsampled request span would never be exported, so nothing is paid for it (no span, no attributes).
 */
export function withSpan<T>(
  describe: () => [name: string, attributes: Attributes],
  fn: (spanContext: Context) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  if (parent === UNSAMPLED || trace.getSpan(parent)?.isRecording() === false) {
    try {
      return fn(parent);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  return recordSpan(describe, fn, parent);
}

async function recordSpan<T>(describe: () => [string, Attributes], fn: (spanContext: Context) => Promise<T>, parent: Context): Promise<T> {
  const [name, attributes] = describe();
  const span = serviceTracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  try {
    return await fn(trace.setSpan(parent, span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

/**
 * Starts the SERVER span of an incoming request, continuing a W3C traceparent if there is one.
 *
 * With a valid traceparent the SDK decides as before (parent-based: a sampled parent is recorded, an
 * unsampled one gives a non-recording span that keeps the caller's trace id for the log lines). Without
 * one, the ratio decision comes first: the (1 - ratio) unsampled root requests get no span at all
 * (undefined: no ids generated, no context, no sampler call; their log lines carry reqId but no trace id,
 * as there is no trace to look up), and the sampled ones a recorded root span.
 */
export function startServerSpan(method: string, url: string, headers: Record<string, unknown>): Span | undefined {
  let parent = ROOT_CONTEXT;
  if (headers['traceparent'] !== undefined) parent = propagation.extract(ROOT_CONTEXT, headers);
  if (parent === ROOT_CONTEXT || trace.getSpanContext(parent) === undefined) {
    if (!(Math.random() < rootSamplingRatio)) return undefined;
    parent = ROOT_CONTEXT;
  }
  const span = serviceTracer.startSpan(method, SERVER_SPAN, parent);
  if (span.isRecording()) {
    span.setAttributes({ 'http.request.method': method, 'url.path': url.split('?')[0] ?? '' });
  }
  return span;
}

/** The context to parent dependency spans on: the request's server span; no span (unsampled root): none. */
export function spanContextOf(span: Span | undefined): Context {
  return span !== undefined && span.isRecording() ? trace.setSpan(ROOT_CONTEXT, span) : UNSAMPLED;
}
