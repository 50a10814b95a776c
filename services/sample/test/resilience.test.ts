/**
 * Fault injection without touching the shared servers: a throwaway redis-server we pause/kill, and a
 * TCP proxy in front of Postgres we blackhole/cut, plus pg_terminate_backend on the service's sessions.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { orderBody, PG_URL, sleep, startTestService, TcpProxy, ThrowawayRedis, waitFor, type TestService } from './helpers';

const FAST = { BREAKER_FAILURE_THRESHOLD: '3', BREAKER_RESET_MS: '500', REDIS_COMMAND_TIMEOUT_MS: '200', OUTBOX_POLL_MS: '50' };

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

describe('Redis down or slow', () => {
  let redis: ThrowawayRedis;
  let t: TestService;
  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    t = await startTestService({ ...FAST, REDIS_URL: redis.url });
    await waitFor(() => t.service.redis.client.status === 'ready');
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  const create = () =>
    t.service.app.inject({ method: 'POST', url: '/v1/orders', headers: { 'idempotency-key': randomUUID() }, payload: orderBody() });

  test('paused (SIGSTOP): reads and writes succeed from Postgres without a latency storm; readiness stays up', async () => {
    const order = (await create()).json();
    redis.pause();
    try {
      const latencies: number[] = [];
      for (let i = 0; i < 30; i++) {
        const [res, ms] = await timed(() => t.service.app.inject({ method: 'GET', url: `/v1/orders/${order.id}` }));
        expect(res.statusCode).toBe(200);
        latencies.push(ms);
      }
      // at most failureThreshold requests pay the 200 ms command timeout; then the breaker answers at once
      expect(latencies.filter((ms) => ms >= 190).length).toBeLessThanOrEqual(4);
      // and the timeout is bounded: ioredis' commandTimeout fails a command after REDIS_COMMAND_TIMEOUT_MS
      expect(Math.max(...latencies)).toBeLessThan(400);
      expect(t.service.redis.breaker.state).toBe('open');
      expect((await create()).statusCode).toBe(201);
      expect((await t.service.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      expect((await t.service.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/circuit_breaker_state\{dependency="redis"\} 2/);
    } finally {
      redis.resume();
    }
    await waitFor(async () => {
      await t.service.app.inject({ method: 'GET', url: `/v1/orders/${order.id}` });
      return t.service.redis.breaker.state === 'closed';
    });
  });

  test('stopped: orders are still created; the outbox keeps them and the relay publishes once Redis is back', async () => {
    await redis.stop();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create();
      expect(res.statusCode).toBe(201);
      ids.push(res.json().id);
      expect((await t.service.app.inject({ method: 'GET', url: `/v1/orders/${res.json().id}` })).statusCode).toBe(200);
    }
    t.service.relay.start();
    await sleep(300);
    const pending = await t.service.db.pool.query('SELECT aggregate_id FROM outbox');
    expect(pending.rows.map((r: { aggregate_id: string }) => r.aggregate_id)).toEqual(expect.arrayContaining(ids));

    await redis.start(); // same port: the client reconnects by itself
    const check = new Redis(redis.url);
    try {
      await waitFor(async () => Number((await t.service.db.pool.query('SELECT count(*) AS n FROM outbox')).rows[0].n) === 0, 15_000);
      const published = (await check.xrange(t.config.outbox.stream, '-', '+')).map(([, f]) => f[f.indexOf('aggregateId') + 1]);
      expect(published).toEqual(expect.arrayContaining(ids));
    } finally {
      check.disconnect();
      await t.service.relay.stop();
    }
  });
});

describe('Postgres unreachable or connections killed', () => {
  let proxy: TcpProxy;
  let t: TestService;
  beforeAll(async () => {
    proxy = await TcpProxy.start();
    const url = new URL(PG_URL);
    url.port = String(proxy.port);
    t = await startTestService({ ...FAST, DATABASE_URL: url.toString(), DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_QUERY_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    proxy.mode = 'pass';
    await t.close();
    await proxy.close();
  });

  test('blackholed: fast 503 problem+json with Retry-After, readiness fails, liveness up; recovers by itself', async () => {
    const order = (await t.service.app.inject({ method: 'POST', url: '/v1/orders', headers: { 'idempotency-key': randomUUID() }, payload: orderBody() })).json();
    proxy.mode = 'blackhole';
    proxy.cut();
    const durations: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [res, ms] = await timed(() =>
        t.service.app.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}`, headers: { 'cache-control': 'no-cache' } }),
      );
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      durations.push(ms);
    }
    // once the breaker is open, 503s are immediate (far below the 1 s connect timeout)
    expect(durations.slice(-5).every((ms) => ms < 250)).toBe(true);
    expect((await t.service.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    expect((await t.service.app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
    // a cached order is still served while the database is away
    expect((await t.service.app.inject({ method: 'GET', url: `/v1/orders/${order.id}` })).statusCode).toBe(200);

    proxy.mode = 'pass';
    await waitFor(async () => (await t.service.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, 10_000, 100);
    const res = await t.service.app.inject({ method: 'POST', url: '/v1/orders', headers: { 'idempotency-key': randomUUID() }, payload: orderBody() });
    expect(res.statusCode).toBe(201);
  });

  test('pg_terminate_backend on every pooled session: the next requests still succeed', async () => {
    for (let i = 0; i < 3; i++) {
      await t.service.app.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}`, headers: { 'cache-control': 'no-cache' } });
    }
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      // only this test's sessions: the ones behind our proxy (parallel test runs share the server)
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [
        proxy.upstreamPorts(),
      ]);
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await sleep(50);
    for (let i = 0; i < 5; i++) {
      const res = await t.service.app.inject({ method: 'POST', url: '/v1/orders', headers: { 'idempotency-key': randomUUID() }, payload: orderBody() });
      expect(res.statusCode).toBe(201);
    }
  });
});

describe('HTTP clients that stall', () => {
  let t: TestService;
  let port: number;
  beforeAll(async () => {
    t = await startTestService({ HTTP_REQUEST_TIMEOUT_MS: '300', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000', HOST: '127.0.0.1', PORT: '0', OUTBOX_RELAY_ENABLED: 'false' }, true);
    port = (t.service.app.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => t.close());

  /** Opens a connection, writes `send`, and resolves with what came back and when the server closed it. */
  const stall = (send: string) =>
    new Promise<{ closedAfterMs: number; received: string }>((resolve) => {
      const start = performance.now();
      let received = '';
      const socket = net.connect(port, '127.0.0.1', () => socket.write(send));
      socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ closedAfterMs: performance.now() - start, received }));
    });

  test('Node\'s HTTP server bounds each phase (requestTimeout, headersTimeout, keepAliveTimeout); no socket inactivity timeout', () => {
    const server = t.service.app.server;
    expect(server.timeout).toBe(0);
    expect(server.requestTimeout).toBe(300);
    expect(server.headersTimeout).toBe(300);
    expect(server.keepAliveTimeout).toBe(1_000);
  });

  test('a connection that never sends a request gets 408 and is closed after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const { closedAfterMs, received } = await stall('');
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(closedAfterMs).toBeLessThan(2_000);
  });

  test('a request whose headers or body never finish is closed, also when it is not the first on its connection', async () => {
    const headers = await stall('GET /livez HTTP/1.1\r\nHost: x\r\n');
    expect(headers.closedAfterMs).toBeLessThan(2_000);
    const stalledBody = 'POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: k\r\nContent-Length: 100\r\n\r\n{"cust';
    const first = await stall(stalledBody);
    expect(first.closedAfterMs).toBeLessThan(2_000);
    // After a first response the connection's own timer is gone: requestTimeout (checked every second) answers 408.
    const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n'));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
    await waitFor(() => received.includes('"ok"'), 2_000, 5);
    const start = performance.now();
    socket.write(stalledBody);
    const closedAfterMs = (await closed) - start;
    expect(received).toMatch(/^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(closedAfterMs).toBeLessThan(2_000);
  });

  test('keep-alive: later requests on a connection are served, and an idle one is closed after the keep-alive timeout', async () => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
    for (let i = 1; i <= 3; i++) {
      socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => received.split('HTTP/1.1 200 ').length - 1 === i, 2_000, 5);
      await sleep(200); // quiet for less than the keep-alive timeout, longer than HTTP_REQUEST_TIMEOUT_MS
    }
    const idleFrom = performance.now();
    const idleMs = (await closed) - idleFrom;
    expect(idleMs).toBeGreaterThanOrEqual(700);
    expect(idleMs).toBeLessThan(4_000); // keepAliveTimeout plus Node's 1 s allowance
  });
});
