import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SpanCounts } from './telemetry';

/**
 * Prometheus metrics with prom-client: one registry per service instance (no global state, test friendly).
 * `http_server_request_duration_seconds{method,route,status_code}` is what the platform's rollout analysis
 * queries (constructs/delivery/service-analysis.ts; test/metrics-contract.test.ts ties the two together).
 * `spans`: the tracer's export outcomes, read at scrape time.
 */
export function createMetrics(spans: Readonly<SpanCounts> = { exported: 0, failed: 0 }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Where the outbox gauges read from at scrape time (set once the relay exists: `observeOutbox`).
  let outbox: (() => Promise<OutboxBacklog>) | undefined;
  let lastBacklog: OutboxBacklog | undefined;
  const readOutbox = async (): Promise<OutboxBacklog | undefined> => {
    // A failed read (database down) keeps the last value rather than failing the whole scrape;
    // the dependency error counter and the probes report the outage itself.
    if (outbox) lastBacklog = await outbox().catch(() => lastBacklog);
    return lastBacklog;
  };
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'HTTP server request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ordersCreated: new Counter({
      name: 'orders_created_total',
      help: 'Orders created, by currency',
      labelNames: ['currency'] as const,
      registers: [registry],
    }),
    orderValue: new Histogram({
      name: 'order_value_cents',
      help: 'Total value of created orders in minor units, by currency',
      labelNames: ['currency'] as const,
      buckets: [100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 10_000_000],
      registers: [registry],
    }),
    idempotentReplays: new Counter({
      name: 'idempotent_replays_total',
      help: 'Requests answered from a stored idempotent response',
      registers: [registry],
    }),
    idempotencyConflicts: new Counter({
      name: 'idempotency_conflicts_total',
      help: 'Idempotency-Key misuse: reason=payload_mismatch (422) or in_flight (409)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'cache_requests_total',
      help: 'Order cache lookups by result (hit, miss, error, bypass)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    dependencyErrors: new Counter({
      name: 'dependency_errors_total',
      help: 'Failed calls to a dependency (including rejections by an open circuit breaker)',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
    /** Sets where `outbox_backlog` and `outbox_oldest_event_age_seconds` are read from at scrape time. */
    observeOutbox(source: () => Promise<OutboxBacklog>): void {
      outbox = source;
    },
    outboxBacklog: new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox events written and not yet published (counted up to a cap), read at scrape time',
      registers: [registry],
      async collect() {
        const backlog = await readOutbox();
        if (backlog) this.set(backlog.events);
      },
    }),
    outboxOldestAge: new Gauge({
      name: 'outbox_oldest_event_age_seconds',
      help: 'Age of the oldest unpublished outbox event in seconds (0 when the outbox is empty), read at scrape time',
      registers: [registry],
      async collect() {
        const backlog = await readOutbox();
        if (backlog) this.set(backlog.oldestAgeSeconds);
      },
    }),
    outboxPublished: new Counter({
      name: 'outbox_events_published_total',
      help: 'Outbox events published to the Redis stream',
      registers: [registry],
    }),
    traceSpans: new Counter({
      name: 'trace_spans_total',
      help: 'Sampled trace spans handed to the OTLP exporter, by outcome: exported, or failed (refused, or the collector unreachable)',
      labelNames: ['outcome'] as const,
      registers: [registry],
      // Read from the tracer at scrape time (prom-client's collect hook).
      collect() {
        this.reset();
        this.inc({ outcome: 'exported' }, spans.exported);
        this.inc({ outcome: 'failed' }, spans.failed);
      },
    }),
  };
}

/** What the outbox holds that the relay has not published yet. */
export interface OutboxBacklog {
  readonly events: number;
  readonly oldestAgeSeconds: number;
}

export type Metrics = ReturnType<typeof createMetrics>;
