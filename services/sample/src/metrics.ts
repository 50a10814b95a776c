import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics: one registry per app instance (no global state, test friendly). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });
  return {
    registry,
    httpDuration: histogram(
      'http_server_request_duration_seconds',
      'HTTP server request duration by method, route template and status code',
      ['method', 'route', 'status_code'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    ordersCreated: counter('orders_created_total', 'Orders created, by currency', ['currency']),
    orderValue: histogram(
      'order_value_cents',
      'Total value of created orders in minor units, by currency',
      ['currency'],
      [100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 10_000_000],
    ),
    idempotentReplays: counter('idempotent_replays_total', 'Requests answered from a stored idempotent response'),
    idempotencyConflicts: counter(
      'idempotency_conflicts_total',
      'Idempotency-Key misuse: reason=payload_mismatch (422) or in_flight (409)',
      ['reason'],
    ),
    cacheRequests: counter('cache_requests_total', 'Order cache lookups by result (hit, miss, error, bypass)', ['result']),
    dependencyErrors: counter(
      'dependency_errors_total',
      'Failed calls to a dependency (including rejections by an open circuit breaker)',
      ['dependency'],
    ),
    breakerState: new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
    outboxPublished: counter('outbox_events_published_total', 'Outbox events published to the Redis stream'),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
