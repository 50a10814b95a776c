/**
 * OpenTelemetry tracing. Spans for HTTP (fastify hooks), pg and Redis are created explicitly at the
 * data-access seam instead of by require-hook monkey patching, so they survive esbuild bundling
 * (require hooks never see bundled modules). W3C trace context in and out; parent-based ratio sampling.
 * The tracer is the service's own implementation of the OpenTelemetry API, exporting OTLP/HTTP protobuf
 * (tracing/: why, and what it keeps of the SDK's behaviour).
 */
import { context, INVALID_SPAN_CONTEXT, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Config } from './config';
import { noSpans, SpanBatcher, type SpanCounts, type SpanLoss } from './tracing/span-batcher';
import { RecordingTracerProvider } from './tracing/tracer';
import { WorkerHttpTransport } from './tracing/worker-transport';

export const SERVICE_VERSION = '1.0.0';

export interface Telemetry {
  readonly tracer: Tracer;
  /** Sampled spans by outcome since start (all zero without an OTLP endpoint). */
  readonly spans: Readonly<SpanCounts>;
  /** Flush pending spans and stop exporting; bounded by the caller's shutdown deadline. */
  shutdown(): Promise<void>;
}

/**
 * Registers the tracer provider. Spans are encoded to OTLP protobuf as they end and POSTed in batches of up to
 * 2048 spans (or every 2 s) from a worker thread. `onLoss` hears of every batch dropped or failed.
 */
export function startTelemetry(cfg: Config['telemetry'], onLoss?: (loss: SpanLoss) => void): Telemetry {
  const batcher =
    cfg.otlpEndpoint === undefined
      ? undefined
      : new SpanBatcher(new WorkerHttpTransport({ url: `${cfg.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }), {
          exportTimeoutMillis: 5_000,
          ...(onLoss !== undefined ? { onLoss } : {}),
        });
  // A root SERVER span is only started by startServerSpan after it has made the ratio decision itself (before
  // any span, id or context is made), so the tracer records it; any other root span is sampled by the ratio.
  const provider = new RecordingTracerProvider({
    resource: { 'service.name': cfg.serviceName, 'service.version': SERVICE_VERSION },
    rootSamplingRatio: cfg.samplingRatio,
    ...(batcher !== undefined ? { sink: batcher } : {}),
  });
  // No global context manager on purpose: parents are passed explicitly. An AsyncLocalStorage manager
  // would switch on async_hooks for every promise once the exporter first calls context.with() (~10%
  // of throughput on Node 20), for no benefit here.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  // The tracer itself, not the global proxy: one indirection less per span.
  serviceTracer = provider.getTracer(TRACER_NAME, SERVICE_VERSION);
  rootSamplingRatio = cfg.samplingRatio;
  return {
    tracer: serviceTracer,
    spans: batcher?.counts ?? noSpans(),
    shutdown: () => provider.shutdown(),
  };
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
