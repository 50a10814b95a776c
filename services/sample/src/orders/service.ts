/**
 * Order use cases. Create runs in ONE transaction: claim the idempotency key (primary key on
 * caller+key makes a concurrent duplicate wait, bounded by lock_timeout), insert the order and its
 * outbox event, store the response. Exactly one order per key whatever the concurrency.
 */
import { randomUUID } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import type { Db, Queryable } from '../db';
import { requestHash } from '../idempotency';
import type { Metrics } from '../metrics';
import { ProblemError } from '../problem';
import type { OrderCache } from '../redis';
import { isTransientDbError, retry } from '../retry';
import { isUuid, type CreateOrderInput, type Order, type OrderItem } from './schemas';

const CURRENCIES = new Set<string>(
  typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : [],
);

interface OrderRow {
  id: string;
  customer_id: string;
  currency: string;
  items: OrderItem[];
  total_cents: string;
  status: 'created';
  created_at: Date;
}

const ORDER_COLUMNS = 'id, customer_id, currency, items, total_cents, status, created_at';

export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customer_id,
    currency: row.currency,
    items: row.items,
    totalCents: Number(row.total_cents),
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}

export interface CreateResult {
  status: number;
  order: Order;
  replayed: boolean;
  /** The order as JSON text, for a new order: stored, cached and sent as is (serialized once). */
  json?: string;
}

const RETRY = { attempts: 3, baseDelayMs: 20, maxDelayMs: 200, isRetryable: isTransientDbError } as const;

export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  const bad = () => new ProblemError(400, 'invalid-cursor', 'Invalid cursor', 'cursor must be a value returned as nextCursor.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    Number.isNaN(Date.parse(parsed[0])) ||
    !isUuid(parsed[1])
  ) {
    throw bad();
  }
  return [parsed[0], parsed[1]];
}

export class OrderService {
  constructor(
    private readonly db: Db,
    private readonly cache: OrderCache,
    private readonly metrics: Metrics,
    private readonly idempotency: { ttlSeconds: number; lockTimeoutMs: number },
  ) {}

  async create(caller: string, key: string, input: CreateOrderInput): Promise<CreateResult> {
    if (CURRENCIES.size > 0 && !CURRENCIES.has(input.currency)) {
      throw new ProblemError(400, 'validation-error', 'Request validation failed', `currency "${input.currency}" is not an ISO 4217 code`);
    }
    const hash = requestHash('POST', '/v1/orders', input);
    // Safe to retry as a whole: a failed attempt rolled back, and a committed one is replayed via the key.
    const result = await retry(() => this.db.transaction((tx) => this.createTx(tx, caller, key, hash, input)), RETRY);
    if (result.replayed) this.metrics.idempotentReplays.inc();
    else {
      this.metrics.ordersCreated.inc({ currency: input.currency });
      this.metrics.orderValue.observe({ currency: input.currency }, result.order.totalCents);
      this.cache.set(result.order.id, result.json ?? JSON.stringify(result.order));
    }
    return result;
  }

  private async createTx(tx: Queryable, caller: string, key: string, hash: string, input: CreateOrderInput): Promise<CreateResult> {
    let claimed;
    try {
      claimed = await tx.query(
        `INSERT INTO idempotency_keys (caller, key, request_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))
         ON CONFLICT (caller, key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL,
               created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE idempotency_keys.expires_at <= now()
         RETURNING 1`,
        [caller, key, hash, this.idempotency.ttlSeconds],
      );
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') {
        this.metrics.idempotencyConflicts.inc({ reason: 'in_flight' });
        throw new ProblemError(409, 'idempotency-key-in-flight', 'Request in progress', 'A request with this Idempotency-Key is still being processed; retry later.', {}, { 'retry-after': '1' });
      }
      throw err;
    }
    if (claimed.rowCount === 0) {
      const existing = await tx.query<{ request_hash: string; response_status: number; response_body: Order }>(
        'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE caller = $1 AND key = $2',
        [caller, key],
      );
      const row = existing.rows[0];
      if (row === undefined || row.response_body === null) {
        throw new ProblemError(409, 'idempotency-key-in-flight', 'Request in progress', 'Retry later.', {}, { 'retry-after': '1' });
      }
      if (row.request_hash !== hash) {
        this.metrics.idempotencyConflicts.inc({ reason: 'payload_mismatch' });
        throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request payload.');
      }
      return { status: row.response_status, order: row.response_body, replayed: true };
    }
    const id = randomUUID();
    const total = input.items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
    const inserted = await tx.query<OrderRow>(
      `INSERT INTO orders (id, customer_id, currency, items, total_cents) VALUES ($1, $2, $3, $4, $5) RETURNING ${ORDER_COLUMNS}`,
      [id, input.customerId, input.currency, JSON.stringify(input.items), total],
    );
    const order = toOrder(inserted.rows[0]!);
    const json = JSON.stringify(order);
    // The event carries the trace context of the request that created it (W3C traceparent, when traced).
    const carrier: { traceparent?: string } = {};
    propagation.inject(context.active(), carrier);
    await tx.query(`INSERT INTO outbox (event_id, aggregate_id, type, payload, traceparent) VALUES ($1, $2, 'order.created', $3, $4)`, [
      randomUUID(),
      id,
      json,
      carrier.traceparent ?? null,
    ]);
    await tx.query('UPDATE idempotency_keys SET response_status = 201, response_body = $3 WHERE caller = $1 AND key = $2', [caller, key, json]);
    return { status: 201, order, replayed: false, json };
  }

  /** Cache-aside read; returns the order as JSON text (cache hits are passed through unparsed). */
  async getJson(id: string, bypassCache = false): Promise<string | undefined> {
    if (bypassCache) this.metrics.cacheRequests.inc({ result: 'bypass' });
    else {
      const cached = await this.cache.get(id);
      if (cached !== undefined) return cached;
    }
    const res = await retry(() => this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [id]), RETRY);
    const row = res.rows[0];
    if (row === undefined) return undefined;
    const json = JSON.stringify(toOrder(row));
    this.cache.set(id, json);
    return json;
  }

  async list(customerId: string, limit: number, cursor: string | undefined): Promise<{ orders: Order[]; nextCursor: string | null }> {
    const after = cursor !== undefined ? decodeCursor(cursor) : undefined;
    const res = await retry(
      () =>
        this.db.query<OrderRow>(
          `SELECT ${ORDER_COLUMNS} FROM orders
           WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $4`,
          [customerId, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
        ),
      RETRY,
    );
    const orders = res.rows.slice(0, limit).map(toOrder);
    const last = orders[orders.length - 1];
    const nextCursor = res.rows.length > limit && last !== undefined ? encodeCursor(last.createdAt, last.id) : null;
    return { orders, nextCursor };
  }
}
