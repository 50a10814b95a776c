/** Integration: the HTTP API against the real local Postgres and Redis (own schema + key prefix per run). */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger } from '../src/logger';
import { orderBody, REDIS_URL, startTestService, type TestService } from './helpers';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ OUTBOX_RELAY_ENABLED: 'false', IDEMPOTENCY_LOCK_TIMEOUT_MS: '300' });
});
afterAll(async () => t.close());

const post = (body: unknown, headers: Record<string, string> = {}) =>
  t.service.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (url: string, headers: Record<string, string> = {}) => t.service.app.inject({ method: 'GET', url, headers });
const count = async (sql: string, values: unknown[] = []) =>
  Number((await t.service.db.pool.query<{ n: string }>(sql, values)).rows[0]!.n);

describe('POST /v1/orders', () => {
  test('creates an order, writes its outbox event in the same transaction', async () => {
    const res = await post(orderBody({ items: [{ sku: 'A', quantity: 3, unitPriceCents: 199 }, { sku: 'B', quantity: 1, unitPriceCents: 1 }] }));
    expect(res.statusCode).toBe(201);
    const order = res.json();
    expect(order).toMatchObject({ currency: 'EUR', totalCents: 598, status: 'created' });
    expect(res.headers['location']).toBe(`/v1/orders/${order.id}`);
    expect(await count("SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1 AND type = 'order.created'", [order.id])).toBe(1);
  });

  test('same key and payload replays the stored response; key order in the body does not matter', async () => {
    const key = `"${randomUUID()}"`;
    const first = await post(orderBody(), { 'idempotency-key': key });
    const { items, currency, customerId } = orderBody() as Record<string, unknown>;
    const again = await post({ items, currency, customerId }, { 'idempotency-key': key.slice(1, -1) }); // bare form of the same key
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
  });

  test('same key with another payload is 422', async () => {
    const key = randomUUID();
    expect((await post(orderBody(), { 'idempotency-key': key })).statusCode).toBe(201);
    const res = await post(orderBody({ currency: 'USD' }), { 'idempotency-key': key });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 422, type: expect.stringContaining('idempotency-key-reused') });
  });

  test('keys are scoped to the caller', async () => {
    const key = randomUUID();
    const a = await post(orderBody(), { 'idempotency-key': key, 'x-forwarded-client-cert': 'By=spiffe://c/ns/a/sa/x;URI=spiffe://c/ns/a/sa/caller-a' });
    const b = await post(orderBody(), { 'idempotency-key': key, 'x-forwarded-client-cert': 'By=spiffe://c/ns/a/sa/x;URI=spiffe://c/ns/a/sa/caller-b' });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(a.json().id).not.toBe(b.json().id);
  });

  test('20 concurrent retries with one key create exactly one order', async () => {
    const key = randomUUID();
    const customerId = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => post(orderBody({ customerId }), { 'idempotency-key': key })));
    const ok = results.filter((r) => r.statusCode === 201);
    expect(results.every((r) => r.statusCode === 201 || r.statusCode === 409)).toBe(true);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((r) => r.json().id)).size).toBe(1);
    expect(await count('SELECT count(*) AS n FROM orders WHERE customer_id = $1', [customerId])).toBe(1);
    expect(await count('SELECT count(*) AS n FROM outbox WHERE aggregate_id = $1', [ok[0]!.json().id])).toBe(1);
  });

  test('a retry while the first request holds the key is 409 with Retry-After', async () => {
    const key = randomUUID();
    const client = await t.service.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("INSERT INTO idempotency_keys (caller, key, request_hash, expires_at) VALUES ('anonymous', $1, 'x', now() + interval '1 hour')", [key]);
      const res = await post(orderBody(), { 'idempotency-key': key });
      expect(res.statusCode).toBe(409);
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  test('an expired key is purged and may be reused', async () => {
    const key = randomUUID();
    await t.service.db.pool.query(
      "INSERT INTO idempotency_keys (caller, key, request_hash, response_status, response_body, expires_at) VALUES ('anonymous', $1, 'old', 201, '{}', now() - interval '1 second')",
      [key],
    );
    expect((await post(orderBody(), { 'idempotency-key': key })).statusCode).toBe(201);
    await t.service.db.pool.query(
      "INSERT INTO idempotency_keys (caller, key, request_hash, expires_at) VALUES ('anonymous', $1, 'old', now() - interval '1 second')",
      [randomUUID()],
    );
    expect(await t.service.relay.purgeExpiredKeys()).toBeGreaterThanOrEqual(1);
    expect(await count('SELECT count(*) AS n FROM idempotency_keys WHERE expires_at < now()')).toBe(0);
  });

  test.each([
    ['missing Idempotency-Key', orderBody(), { 'idempotency-key': '' }, 400],
    ['malformed Idempotency-Key', orderBody(), { 'idempotency-key': '"unterminated' }, 400],
    ['unknown field', orderBody({ extra: 1 }), {}, 400],
    ['bad uuid', orderBody({ customerId: 'nope' }), {}, 400],
    ['lower-case currency', orderBody({ currency: 'eur' }), {}, 400],
    ['not an ISO 4217 code', orderBody({ currency: 'XYZ' }), {}, 400],
    ['no items', orderBody({ items: [] }), {}, 400],
    ['quantity 0', orderBody({ items: [{ sku: 'A', quantity: 0, unitPriceCents: 1 }] }), {}, 400],
    ['quantity as string', orderBody({ items: [{ sku: 'A', quantity: '1', unitPriceCents: 1 }] }), {}, 400],
    ['negative price', orderBody({ items: [{ sku: 'A', quantity: 1, unitPriceCents: -1 }] }), {}, 400],
    ['too many items', orderBody({ items: Array.from({ length: 101 }, () => ({ sku: 'A', quantity: 1, unitPriceCents: 1 })) }), {}, 400],
    ['invalid JSON', '{"customerId":', {}, 400],
    ['JSON array', '[]', {}, 400],
    ['prototype poisoning', '{"__proto__":{"x":1},"customerId":"6f1c2f4e-8a9b-4c1d-9e2f-3a4b5c6d7e8f"}', {}, 400],
    ['wrong media type', orderBody(), { 'content-type': 'text/plain' }, 415],
    ['body too large', orderBody({ items: [{ sku: 'A'.repeat(70_000), quantity: 1, unitPriceCents: 1 }] }), {}, 413],
  ])('%s -> 4xx problem+json', async (_name, body, headers, status) => {
    const res = await post(body, headers as Record<string, string>);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  });
});

describe('GET /v1/orders/:id', () => {
  test('cache-aside: miss fills Redis, hit is served from it, no-cache reads the database', async () => {
    const created = (await post(orderBody())).json();
    const redis = new Redis(REDIS_URL);
    try {
      const key = `${t.config.redis.keyPrefix}order:${created.id}`;
      await redis.del(key);
      const miss = await get(`/v1/orders/${created.id}`);
      expect(miss.statusCode).toBe(200);
      expect(miss.json()).toEqual(created);
      await new Promise((r) => setTimeout(r, 50));
      expect(JSON.parse((await redis.get(key))!)).toEqual(created);
      await redis.set(key, JSON.stringify({ ...created, status: 'created', totalCents: 1 }));
      expect((await get(`/v1/orders/${created.id}`)).json().totalCents).toBe(1); // served from cache
      expect((await get(`/v1/orders/${created.id}`, { 'cache-control': 'no-cache' })).json().totalCents).toBe(created.totalCents);
    } finally {
      redis.disconnect();
    }
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/cache_requests_total\{result="hit"\} [1-9]/);
    expect(metrics).toMatch(/cache_requests_total\{result="miss"\} [1-9]/);
  });

  test('404 for an unknown id, 400 for a malformed one', async () => {
    expect((await get(`/v1/orders/${randomUUID()}`)).statusCode).toBe(404);
    const bad = await get('/v1/orders/not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
  });

  test('ids are the RFC 9562 text form, either case; other spellings a UUID may have are 400, never a database error', async () => {
    const created = (await post(orderBody())).json();
    const upper = await get(`/v1/orders/${created.id.toUpperCase()}`);
    expect(upper.statusCode).toBe(200);
    expect(upper.json().id).toBe(created.id);
    for (const spelling of [`urn:uuid:${created.id}`, `{${created.id}}`, created.id.replace(/-/g, ''), `${created.id}0`, ` ${created.id}`]) {
      const res = await get(`/v1/orders/${encodeURIComponent(spelling)}`);
      expect({ spelling, status: res.statusCode }).toEqual({ spelling, status: 400 });
    }
    const list = await get(`/v1/orders?customerId=${encodeURIComponent(`urn:uuid:${created.customerId}`)}`);
    expect(list.statusCode).toBe(400);
  });
});

describe('GET /v1/orders (list)', () => {
  test('cursor pagination walks every order once, newest first', async () => {
    const customerId = randomUUID();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await post(orderBody({ customerId }))).json().id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/v1/orders?customerId=${customerId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await get(q)).json() as { orders: { id: string }[]; nextCursor: string | null };
      seen.push(...page.orders.map((o) => o.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(5);
  });

  test.each([
    ['missing customerId', '/v1/orders'],
    ['limit too big', `/v1/orders?customerId=${randomUUID()}&limit=1000`],
    ['limit not a number', `/v1/orders?customerId=${randomUUID()}&limit=abc`],
    ['garbage cursor', `/v1/orders?customerId=${randomUUID()}&cursor=%%%`],
    ['forged cursor', `/v1/orders?customerId=${randomUUID()}&cursor=${Buffer.from('["x","y"]').toString('base64url')}`],
  ])('%s -> 400', async (_name, url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('operations endpoints', () => {
  test('livez, readyz, metrics, openapi.json, unknown route', async () => {
    expect((await get('/livez')).json()).toEqual({ status: 'ok' });
    expect((await get('/readyz')).json()).toMatchObject({ status: 'ready', checks: { postgres: 'up' } });
    const metrics = await get('/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    for (const name of ['http_server_request_duration_seconds', 'orders_created_total', 'order_value_cents', 'idempotent_replays_total', 'circuit_breaker_state', 'dependency_errors_total']) {
      expect(metrics.body).toContain(name);
    }
    expect((await get('/openapi.json')).json().paths).toHaveProperty(['/v1/orders/{id}']);
    const nf = await get('/nope');
    expect(nf.statusCode).toBe(404);
    expect(nf.headers['content-type']).toContain('application/problem+json');
  });
});

describe('request metrics', () => {
  /** The _count of one label set of the request-duration histogram (0 when absent). */
  const durationCount = async (method: string, route: string, status: number): Promise<number> => {
    const text = (await get('/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith(`http_server_request_duration_seconds_count{method="${method}",route="${route}",status_code="${status}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  test('every response is counted once, under its route template (HEAD, validation errors and 404s included)', async () => {
    const id = (await post(orderBody())).json().id as string;
    const before = {
      ok: await durationCount('GET', '/v1/orders/:id', 200),
      head: await durationCount('HEAD', '/v1/orders/:id', 200),
      bad: await durationCount('GET', '/v1/orders/:id', 400),
      unmatched: await durationCount('GET', 'unmatched', 404),
    };
    for (let i = 0; i < 3; i++) expect((await get(`/v1/orders/${id}`)).statusCode).toBe(200);
    expect((await t.service.app.inject({ method: 'HEAD', url: `/v1/orders/${id}` })).statusCode).toBe(200);
    expect((await get('/v1/orders/not-a-uuid')).statusCode).toBe(400);
    expect((await get('/no/such/route')).statusCode).toBe(404);
    expect((await get('/another/missing/route')).statusCode).toBe(404);

    expect(await durationCount('GET', '/v1/orders/:id', 200)).toBe(before.ok + 3);
    expect(await durationCount('HEAD', '/v1/orders/:id', 200)).toBe(before.head + 1);
    expect(await durationCount('GET', '/v1/orders/:id', 400)).toBe(before.bad + 1);
    // Unknown paths share one label value: a scanner cannot grow the metric's cardinality.
    expect(await durationCount('GET', 'unmatched', 404)).toBe(before.unmatched + 2);
    expect((await get('/metrics')).body).not.toContain('route="/no/such/route"');
    // Matched requests are not also counted as unmatched.
    expect(await durationCount('GET', 'unmatched', 200)).toBe(0);
    expect(await durationCount('GET', 'unmatched', 400)).toBe(0);
  });
});

describe('access log', () => {
  /** A service logging at info into memory, with the given ACCESS_LOG. */
  const logged = async (accessLog: string) => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const service = await startTestService({ OUTBOX_RELAY_ENABLED: 'false', ACCESS_LOG: accessLog }, false, logger);
    return { lines, service, access: () => lines.filter((e) => e['msg'] === 'request completed') };
  };

  test('one line per response, under its route template (HEAD, validation errors and 404s included); no incoming-request line', async () => {
    const { lines, service: logging, access } = await logged('all');
    try {
      const app = logging.service.app;
      const created = await app.inject({ method: 'POST', url: '/v1/orders', payload: orderBody(), headers: { 'idempotency-key': randomUUID(), 'x-request-id': 'log-1' } });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      const sent = [
        [{ method: 'GET', url: `/v1/orders/${id}` }, 'GET', '/v1/orders/:id', 200],
        [{ method: 'HEAD', url: `/v1/orders/${id}` }, 'HEAD', '/v1/orders/:id', 200],
        [{ method: 'GET', url: '/v1/orders/not-a-uuid' }, 'GET', '/v1/orders/:id', 400],
        [{ method: 'POST', url: '/v1/orders', payload: 'x', headers: { 'content-type': 'text/plain' } }, 'POST', '/v1/orders', 415],
        [{ method: 'GET', url: '/no/such/route' }, 'GET', 'unmatched', 404],
      ] as const;
      for (const [i, [request, , , status]] of sent.entries()) {
        const headers = { ...('headers' in request ? request.headers : {}), 'x-request-id': `log-${i + 2}` };
        expect((await app.inject({ ...request, headers })).statusCode).toBe(status);
      }
      expect(lines.filter((e) => e['msg'] === 'incoming request')).toEqual([]);
      expect(access().map((e) => e['reqId'])).toEqual(['log-1', 'log-2', 'log-3', 'log-4', 'log-5', 'log-6']);
      expect(access()[0]).toMatchObject({ level: 'info', req: { method: 'POST', url: '/v1/orders', route: '/v1/orders' }, res: { statusCode: 201 } });
      sent.forEach(([, method, route, statusCode], i) => expect(access()[i + 1]).toMatchObject({ level: 'info', req: { method, route }, res: { statusCode } }));
      for (const e of access()) expect(typeof e['responseTime']).toBe('number');
    } finally {
      await logging.close();
    }
  });

  test('credentials a request carries are logged as [Redacted], never in clear', async () => {
    const { lines, service: logging, access } = await logged('all');
    try {
      const secrets = { authorization: 'Bearer eyJhbGciOi.secret-token', cookie: 'session=secret-cookie', 'proxy-authorization': 'Basic c2VjcmV0LXByb3h5', 'x-api-key': 'secret-api-key' };
      const res = await logging.service.app.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}`, headers: { ...secrets, 'x-request-id': 'redact-1', 'user-agent': 'probe/1.0' } });
      expect(res.statusCode).toBe(404);
      const line = access().find((e) => e['reqId'] === 'redact-1');
      expect(line).toMatchObject({
        req: { headers: { authorization: '[Redacted]', cookie: '[Redacted]', 'proxy-authorization': '[Redacted]', 'x-api-key': '[Redacted]', 'user-agent': 'probe/1.0' } },
      });
      expect(JSON.stringify(lines)).not.toMatch(/secret-|c2VjcmV0/);
    } finally {
      await logging.close();
    }
  });

  test('ACCESS_LOG=errors logs only 4xx/5xx (and slow) responses; ACCESS_LOG=off none', async () => {
    const errorsOnly = await logged('errors');
    const off = await logged('off');
    try {
      for (const { service } of [errorsOnly, off]) {
        expect((await service.service.app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
        expect((await service.service.app.inject({ method: 'GET', url: '/v1/orders/not-a-uuid' })).statusCode).toBe(400);
      }
      expect(errorsOnly.access().map((e) => (e['res'] as { statusCode: number }).statusCode)).toEqual([400]);
      expect(off.access()).toEqual([]);
    } finally {
      await errorsOnly.service.close();
      await off.service.close();
    }
  });
});

describe('outbox relay', () => {
  test('publishes order.created events to the Redis stream and removes them from the outbox', async () => {
    const created = (await post(orderBody())).json();
    while ((await t.service.relay.publishBatch()) > 0);
    expect(await count('SELECT count(*) AS n FROM outbox')).toBe(0);
    const redis = new Redis(REDIS_URL);
    try {
      const entries = await redis.xrange(t.config.outbox.stream, '-', '+');
      const events = entries.map(([, fields]) => Object.fromEntries(fields.reduce<string[][]>((acc, v, i) => (i % 2 ? acc[acc.length - 1]!.push(v) : acc.push([v]), acc), [])));
      const mine = events.find((e) => e['aggregateId'] === created.id);
      expect(mine).toMatchObject({ type: 'order.created' });
      expect(JSON.parse(mine!['payload']!)).toEqual(created);
      await redis.del(t.config.outbox.stream);
    } finally {
      redis.disconnect();
    }
  });

  test('the backlog gauges count unpublished events and the oldest one\'s age at scrape time, and drop to zero once published', async () => {
    const gauge = async (name: string) => {
      const line = (await get('/metrics')).body.split('\n').find((l) => l.startsWith(`${name} `));
      return Number(line!.split(' ')[1]);
    };
    while ((await t.service.relay.publishBatch()) > 0);
    expect(await gauge('outbox_backlog')).toBe(0);
    expect(await gauge('outbox_oldest_event_age_seconds')).toBe(0);

    await post(orderBody());
    await post(orderBody());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await gauge('outbox_backlog')).toBe(await count('SELECT count(*) AS n FROM outbox'));
    expect(await gauge('outbox_backlog')).toBeGreaterThanOrEqual(2);
    expect(await gauge('outbox_oldest_event_age_seconds')).toBeGreaterThan(0.04);

    while ((await t.service.relay.publishBatch()) > 0);
    expect(await gauge('outbox_backlog')).toBe(0);
    const redis = new Redis(REDIS_URL);
    try {
      await redis.del(t.config.outbox.stream);
    } finally {
      redis.disconnect();
    }
  });
});
