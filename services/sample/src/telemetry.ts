/**
 * Tracing with the OpenTelemetry JS SDK, configured here and nowhere else:
 *
 * - parent-based sampling: a request with a `traceparent` follows its caller's decision; a request without
 *   one is traced with probability OTEL_TRACES_SAMPLER_ARG (default 0.1);
 * - W3C trace context in (incoming `traceparent`) and out (outbox events, src/orders/service.ts);
 * - spans for HTTP (`@fastify/otel`), Postgres (`@opentelemetry/instrumentation-pg`) and Redis
 *   (`@opentelemetry/instrumentation-ioredis`);
 * - batches exported over OTLP/HTTP in protobuf to `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`.
 *
 * The pg and ioredis instrumentations patch those modules when they are first required, so startTelemetry()
 * runs before the application is loaded (src/server.ts imports it afterwards) and `pg` and `ioredis` are not
 * bundled (build.ts). @fastify/otel patches nothing: it adds itself to every fastify instance created later.
 * Without an endpoint (or with OTEL_TRACES_EXPORTER=none) nothing is registered: no spans, no cost.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { ExportResultCode, setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import FastifyOtelInstrumentation from '@fastify/otel';
import type { Logger } from 'pino';
import type { Config } from './config';

export const SERVICE_VERSION = '1.0.0';

/** Operational endpoints polled by the kubelet and the scraper: never traced. */
const UNTRACED_PATHS = new Set(['/livez', '/readyz', '/metrics']);

/** Spans handed to the exporter, by outcome (read by the trace_spans_total metric). */
export interface SpanCounts {
  exported: number;
  failed: number;
}

export interface Telemetry {
  /** False when no OTLP endpoint is configured: nothing is traced. */
  readonly enabled: boolean;
  readonly spans: Readonly<SpanCounts>;
  /** Export what is pending and stop; the caller bounds it with its shutdown deadline. */
  shutdown(): Promise<void>;
}

export function startTelemetry(cfg: Config['telemetry'], logger: Logger): Telemetry {
  const spans: SpanCounts = { exported: 0, failed: 0 };
  if (cfg.otlpEndpoint === undefined) return { enabled: false, spans, shutdown: async () => undefined };

  // The SDK reports its own problems through `diag` (e.g. spans dropped with the queue full) and its
  // global error handler (e.g. a failed export).
  const sdkLogger = logger.child({ component: 'opentelemetry' });
  diag.setLogger(diagLogger(sdkLogger), DiagLogLevel.WARN);
  setGlobalErrorHandler((err) => sdkLogger.error({ err }, 'OpenTelemetry SDK error'));

  const exporter = new OTLPTraceExporter({ url: `${cfg.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: 5_000 });
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME) from the environment; the name and version set here win.
    resource: defaultResource()
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: cfg.serviceName, [ATTR_SERVICE_VERSION]: SERVICE_VERSION })),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(cfg.samplingRatio) }),
    // The SDK's defaults (queue 2048, batches of 512) with a shorter delay and export timeout, so that
    // spans leave within seconds and a shutdown flush fits in the drain deadline.
    spanProcessors: [new BatchSpanProcessor(counting(exporter, spans), { scheduledDelayMillis: 2_000, exportTimeoutMillis: 5_000 })],
  });
  // Global tracer provider, AsyncLocalStorage context manager, W3C trace context propagator.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // One SERVER span per request (continuing an incoming traceparent), named after the route fastify
      // matched; no spans per hook or for the handler: the database spans are the request span's children.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        instrumentHandler: false,
        ignorePaths: ({ url }) => UNTRACED_PATHS.has(url.split('?')[0] ?? ''),
        requestHook: (span, request) => span.updateName(request.routeOptions.url === undefined ? request.method : `${request.method} ${request.routeOptions.url}`),
      }),
      // Only queries and commands made while serving a request: the outbox relay's polling is not traced.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  return { enabled: true, spans, shutdown: () => provider.shutdown() };
}

/** The exporter, counting the spans of each export by its result. */
function counting(exporter: SpanExporter, counts: SpanCounts): SpanExporter {
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        counts[result.code === ExportResultCode.SUCCESS ? 'exported' : 'failed'] += spans.length;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

function diagLogger(logger: Logger): DiagLogger {
  const at = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') => (message: string, ...args: unknown[]) =>
    logger[level](args.length > 0 ? { details: args.map((a) => (a instanceof Error ? a.message : a)) } : {}, message);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), verbose: at('trace') };
}
