/**
 * Bare fastify baseline for the bench: the same I/O as the service (Redis GET, Postgres SELECT + Redis
 * SET, the same create transaction), the same client settings that change how I/O is done (pool of 10,
 * ioredis without auto-pipelining), and no validation, tracing, metrics, logging or breakers.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env['DATABASE_URL'],
  max: 10,
  options: `-c search_path=${env['DATABASE_SCHEMA']}`,
});
// The service's ioredis client does not auto-pipeline (src/redis.ts), so neither does this one: a client
// option, not middleware, so the comparison stays about the middleware.
const redis = new Redis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
const prefix = `${env['REDIS_KEY_PREFIX'] ?? 'baseline:'}order:`;
const COLS = 'id, customer_id, currency, items, total_cents, status, created_at';
type Row = { id: string; customer_id: string; currency: string; items: unknown; total_cents: string; status: string; created_at: Date };
const toJson = (r: Row) =>
  JSON.stringify({ id: r.id, customerId: r.customer_id, currency: r.currency, items: r.items, totalCents: Number(r.total_cents), status: r.status, createdAt: r.created_at.toISOString() });

const app = Fastify();
app.get<{ Params: { id: string } }>('/orders/:id', async (req, reply) => {
  const id = req.params.id;
  if (req.headers['cache-control'] !== 'no-cache') {
    const hit = await redis.get(prefix + id);
    if (hit !== null) return reply.type('application/json').send(hit);
  }
  const { rows } = await pool.query<Row>(`SELECT ${COLS} FROM orders WHERE id = $1`, [id]);
  if (rows[0] === undefined) return reply.code(404).send();
  const json = toJson(rows[0]);
  redis.set(prefix + id, json, 'EX', 300).catch(() => undefined);
  return reply.type('application/json').send(json);
});
app.post<{ Body: { customerId: string; currency: string; items: { quantity: number; unitPriceCents: number }[] } }>('/orders', async (req, reply) => {
  const key = String(req.headers['idempotency-key']);
  const body = req.body;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO idempotency_keys (caller, key, request_hash, expires_at) VALUES ('baseline', $1, 'h', now() + interval '1 day') ON CONFLICT DO NOTHING RETURNING 1`,
      [key],
    );
    const id = randomUUID();
    const total = body.items.reduce((s, i) => s + i.quantity * i.unitPriceCents, 0);
    const { rows } = await client.query<Row>(
      `INSERT INTO orders (id, customer_id, currency, items, total_cents) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLS}`,
      [id, body.customerId, body.currency, JSON.stringify(body.items), total],
    );
    const json = toJson(rows[0]!);
    await client.query(`INSERT INTO outbox (event_id, aggregate_id, type, payload) VALUES ($1, $2, 'order.created', $3)`, [randomUUID(), id, json]);
    await client.query(`UPDATE idempotency_keys SET response_status = 201, response_body = $2 WHERE caller = 'baseline' AND key = $1`, [key, json]);
    await client.query('COMMIT');
    redis.set(prefix + id, json, 'EX', 300).catch(() => undefined);
    return reply.code(201).type('application/json').send(json);
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
});
app.get('/readyz', async () => ({ status: 'ready' }));
app.listen({ port: Number(env['PORT'] ?? 8081), host: '127.0.0.1' }).catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
process.on('SIGTERM', () => void app.close().then(() => Promise.all([pool.end(), redis.quit()])).then(() => process.exit(0)));
