/**
 * OpenTelemetry tracing. Spans for HTTP (fastify hooks), pg and Redis are created explicitly at the
 * data-access seam instead of by require-hook monkey patching, so they survive esbuild bundling
 * (require hooks never see bundled modules). W3C trace context in and out; parent-based ratio sampling.
 */
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Config } from './config';

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
      new BatchSpanProcessor(new OTLPTraceExporter({ url, timeoutMillis: 5_000 }), {
        maxQueueSize: 4_096,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 1_000,
        exportTimeoutMillis: 5_000,
      }),
    );
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': cfg.serviceName,
      'service.version': SERVICE_VERSION,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(cfg.samplingRatio) }),
    spanProcessors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: trace.getTracer('sample-service', SERVICE_VERSION),
    shutdown: () => provider.shutdown(),
  };
}

/** A tracer that works whether or not startTelemetry ran (no-op until a provider is registered). */
export function tracer(): Tracer {
  return trace.getTracer('sample-service', SERVICE_VERSION);
}

/** Run fn inside a client span; records the error and rethrows. */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.CLIENT,
): Promise<T> {
  const span = tracer().startSpan(name, { kind, attributes });
  try {
    return await fn(span);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

export function extractContext(headers: Record<string, unknown>): Context {
  return propagation.extract(context.active(), headers);
}

/** Trace ids of the active span, for log correlation. */
export function activeTraceFields(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
