import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { noSpans, type SpanCounts } from './tracing/span-batcher';

/**
 * Prometheus metrics: one registry per app instance (no global state, test friendly). `spans`: the tracer's
 * counts of sampled spans by outcome, read at scrape time (zero when traces are not exported).
 */
export function createMetrics(spans: Readonly<SpanCounts> = noSpans()) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });
  return {
    registry,
    // Observed on every request: label sets are bound once (see BoundHistogram), no per-request label hashing.
    httpDuration: new BoundHistogram(
      'http_server_request_duration_seconds',
      'HTTP server request duration by method, route template and status code',
      ['method', 'route', 'status_code'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry,
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
    // Incremented on every read: a counter with pre-bound cells, folded into prom-client at scrape time.
    cacheRequests: new BoundCounter(
      registry,
      'cache_requests_total',
      'Order cache lookups by result (hit, miss, error, bypass)',
      'result',
      ['hit', 'miss', 'error', 'bypass'] as const,
    ),
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
    traceSpans: new Counter({
      name: 'trace_spans_total',
      help: 'Sampled trace spans by outcome: exported, dropped (export queue full) or failed (the collector refused them or was unreachable after retries)',
      labelNames: ['outcome'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const outcome of ['exported', 'dropped', 'failed'] as const) this.inc({ outcome }, spans[outcome]);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A counter with one label and a fixed set of values, for the request path. prom-client's inc() (and
 * its labels() children, which call the same code) validates and hashes the label object on every
 * call; here each value is a plain number that is added to the prom-client counter when it is read.
 */
export class BoundCounter<V extends string> {
  private readonly pending: Record<string, number> = {};
  readonly counter: Counter<string>;

  constructor(registry: Registry, name: string, help: string, private readonly label: string, private readonly values: readonly V[]) {
    for (const v of values) this.pending[v] = 0;
    const flush = () => this.flush();
    this.counter = new Counter({ name, help, labelNames: [label], registers: [registry], collect: flush });
  }

  inc(value: V): void {
    this.pending[value]! += 1;
  }

  private flush(): void {
    for (const v of this.values) {
      const n = this.pending[v]!;
      if (n > 0) {
        this.pending[v] = 0;
        this.counter.inc({ [this.label]: v }, n);
      }
    }
  }
}

/** One label set of a BoundHistogram: observe() is a bucket search and three additions. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string | number>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]! += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

/**
 * A Prometheus histogram whose label sets are bound once (bind() returns a cell to keep and call
 * observe() on), registered in a prom-client Registry and exposed exactly like prom-client's Histogram.
 */
export class BoundHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private cells = new Map<string, HistogramCell>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    readonly buckets: readonly number[],
    registry?: Registry,
  ) {
    registry?.registerMetric(this as unknown as Metric);
  }

  /** The cell for these label values (in labelNames order); create it once and keep it. */
  bind(...values: (string | number)[]): HistogramCell {
    const key = values.join('\u0000');
    let cell = this.cells.get(key);
    if (cell === undefined) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values`);
      const labels: Record<string, string | number> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]!));
      cell = new HistogramCell(labels, this.buckets);
      this.cells.set(key, cell);
    }
    return cell;
  }

  observe(labels: Partial<Record<L, string | number>>, value: number): void {
    this.bind(...this.labelNames.map((n) => labels[n] ?? '')).observe(value);
  }

  reset(): void {
    this.cells = new Map();
  }

  /** The shape prom-client's Registry formats (same as prom-client's Histogram). */
  async getForPromString() {
    const bucketName = `${this.name}_bucket`;
    type Value = { labels: Record<string, string | number>; sharedLabels: Record<string, string | number>; value: number; metricName: string; exemplar?: null };
    const values: Value[] = [];
    for (const cell of this.cells.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += cell.counts[i]!;
        values.push({ labels: { le }, sharedLabels: cell.labels, value: acc, metricName: bucketName, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: cell.labels, value: cell.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: cell.labels, value: cell.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  async get() {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
  }
}
