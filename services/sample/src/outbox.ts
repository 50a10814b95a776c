/**
 * Transactional outbox relay: rows written with the order are published to a Redis Stream, at least
 * once (consumers dedupe on eventId). Safe with many replicas: each batch is claimed with
 * FOR UPDATE SKIP LOCKED and deleted in the same transaction only after XADD succeeded. While Redis
 * is down the rows stay and the relay backs off and retries. It also purges expired idempotency keys.
 * An event written by a traced request carries its W3C `traceparent`, so a consumer can continue the trace.
 */
import type { Logger } from 'pino';
import type { Db } from './db';
import type { Metrics, OutboxBacklog } from './metrics';
import type { RedisClient } from './redis';
import { backoffDelay } from './retry';

const PURGE_EVERY_MS = 60_000;
/** The backlog is counted up to this many rows, so a scrape stays cheap however far the relay has fallen behind. */
export const BACKLOG_COUNT_CAP = 100_000;

interface OutboxRow {
  id: string;
  event_id: string;
  aggregate_id: string;
  type: string;
  payload: string;
  created_at: Date;
  traceparent: string | null;
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private failures = 0;
  private lastPurge = 0;

  constructor(
    private readonly db: Db,
    private readonly redis: RedisClient,
    private readonly opts: { stream: string; pollMs: number; batchSize: number; streamMaxLen: number },
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined));
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let next = this.opts.pollMs;
    try {
      const published = await this.publishBatch();
      this.failures = 0;
      if (published === this.opts.batchSize) next = 0;
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = Date.now();
        await this.purgeExpiredKeys();
      }
    } catch (err) {
      this.failures += 1;
      next = this.opts.pollMs + backoffDelay(this.failures, 200, 5_000);
      this.logger.warn({ err: (err as Error).message, retryInMs: next }, 'outbox relay failed; will retry');
    }
    this.schedule(next);
  }

  /** Publishes one batch; returns how many events were published. */
  async publishBatch(): Promise<number> {
    if (this.redis.breaker.isOpen()) throw new Error('redis circuit breaker open');
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<OutboxRow>(
        `SELECT id, event_id, aggregate_id, type, payload::text AS payload, created_at, traceparent FROM outbox
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.opts.batchSize],
      );
      if (rows.length === 0) return 0;
      const results = await this.redis.run((c) => {
        const pipeline = c.pipeline();
        for (const r of rows) {
          pipeline.xadd(
            this.opts.stream, 'MAXLEN', '~', String(this.opts.streamMaxLen), '*',
            'eventId', r.event_id, 'type', r.type, 'aggregateId', r.aggregate_id,
            'occurredAt', r.created_at.toISOString(), 'payload', r.payload,
            ...(r.traceparent !== null ? ['traceparent', r.traceparent] : []),
          );
        }
        return pipeline.exec();
      });
      const failed = (results ?? []).find(([err]) => err !== null);
      if (results === null || failed !== undefined) throw failed?.[0] ?? new Error('XADD pipeline aborted');
      await tx.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      this.metrics?.outboxPublished.inc(rows.length);
      return rows.length;
    });
  }

  /**
   * Unpublished events (counted up to BACKLOG_COUNT_CAP) and the age of the oldest: what the
   * `outbox_backlog` gauges expose. Rows locked by a relay mid-publish are still counted.
   */
  async backlog(): Promise<OutboxBacklog> {
    const { rows } = await this.db.query<{ events: number; oldest_age_seconds: number }>(
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox LIMIT $1) capped)::int AS events,
              COALESCE((SELECT EXTRACT(EPOCH FROM now() - created_at) FROM outbox ORDER BY id LIMIT 1), 0)::float8 AS oldest_age_seconds`,
      [BACKLOG_COUNT_CAP],
    );
    return { events: rows[0]!.events, oldestAgeSeconds: Math.max(0, rows[0]!.oldest_age_seconds) };
  }

  async purgeExpiredKeys(): Promise<number> {
    const res = await this.db.query(
      `DELETE FROM idempotency_keys WHERE (caller, key) IN (
         SELECT caller, key FROM idempotency_keys WHERE expires_at < now() LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
    );
    return res.rowCount ?? 0;
  }
}
