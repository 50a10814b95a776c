/**
 * The built artifact as it ships: node dist/server.js (esbuild bundle). Migrate, config errors,
 * traces over OTLP (pg and Redis spans must survive bundling), start-to-ready, SIGTERM under load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { deleteRedisPrefix, dropSchema, freePort, orderBody, OtlpSink, REDIS_URL, SERVICE_ROOT, sleep, testEnv, waitFor } from './helpers';

const BUNDLE = join(SERVICE_ROOT, 'dist', 'server.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BUNDLE, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function request(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

class Server {
  readonly proc: ChildProcess;
  stdout = '';
  readonly exited: Promise<number | null>;
  constructor(readonly port: number, env: Record<string, string>) {
    this.proc = spawn(process.execPath, [BUNDLE], { env: { PATH: process.env['PATH'] ?? '', ...env, PORT: String(port) } });
    this.proc.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', resolve));
  }
  async ready(): Promise<void> {
    await waitFor(async () => {
      try {
        return (await request(this.port, 'GET', '/readyz')).status === 200;
      } catch {
        return false;
      }
    }, 10_000, 10);
  }
}

const env = testEnv({ LOG_LEVEL: 'info' });
const schema = env['DATABASE_SCHEMA']!;

beforeAll(() => {
  if (!existsSync(BUNDLE)) throw new Error('dist/server.js missing: run `npm run build` first');
});
afterAll(async () => {
  await dropSchema(schema);
  await deleteRedisPrefix(REDIS_URL, env['REDIS_KEY_PREFIX']!);
});

test('the build ships the Amazon RDS certificate authorities for verify-full TLS to Aurora', () => {
  const pem = readFileSync(join(SERVICE_ROOT, 'dist', 'rds-ca-bundle.pem'), 'utf8');
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  expect(certificates.length).toBeGreaterThanOrEqual(10);
  const subjects = certificates.map((c) => new X509Certificate(c).subject);
  // The 2024+ root CAs Aurora uses by default, in the regions we deploy to.
  expect(subjects.some((s) => /CN=Amazon RDS eu-west-1 Root CA RSA2048 G1/.test(s))).toBe(true);
  // Only Amazon RDS CAs and the Amazon Trust Services chain (Starfield root) used by RDS Proxy.
  expect(subjects.every((s) => /O=Amazon Web Services|O=Amazon\b|O=Starfield Technologies/.test(s))).toBe(true);
});

test('invalid configuration: clear message listing every problem, exit 1', async () => {
  const res = await run([], { DATABASE_URL: 'mysql://x', PORT: 'eighty', DATABASE_IAM_AUTH: 'true', DATABASE_TLS: 'off' });
  expect(res.code).toBe(1);
  expect(res.stderr).toContain('invalid configuration');
  expect(res.stderr).toContain('DATABASE_URL must use postgres: or postgresql:');
  expect(res.stderr).toContain('REDIS_URL is required');
  expect(res.stderr).toContain('PORT must be an integer');
  expect(res.stderr).toContain('DATABASE_IAM_AUTH=true requires DATABASE_TLS');
  expect(res.stderr).toContain('AWS_REGION is required');
});

test('a collector that cannot be reached: requests are unaffected, the lost spans are logged and counted', async () => {
  const port = await freePort();
  const closed = await freePort(); // nothing listens there
  const server = new Server(port, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`, OTEL_TRACES_SAMPLER_ARG: '1', SHUTDOWN_DELAY_MS: '0' });
  try {
    await server.ready();
    for (let i = 0; i < 5; i++) expect((await request(port, 'GET', '/livez')).status).toBe(200);
    // The batch goes within 2 s; retries end within the 5 s export timeout.
    await waitFor(() => server.stdout.includes('"msg":"trace spans lost"'), 15_000, 100);
    const line = JSON.parse(server.stdout.split('\n').find((l) => l.includes('"msg":"trace spans lost"'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'warn', reason: 'export_failed' });
    expect(line['spans']).toBeGreaterThanOrEqual(5);
    expect(String(line['err'])).toMatch(/ECONNREFUSED|connect/);
    const metrics = (await request(port, 'GET', '/metrics')).body;
    expect(Number(/^trace_spans_total\{outcome="failed"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(5);
    expect(metrics).toMatch(/^trace_spans_total\{outcome="exported"\} 0$/m);
  } finally {
    server.proc.kill('SIGKILL');
    await server.exited;
  }
});

test('migrate: concurrent runs serialize on the advisory lock, are idempotent and exit 0', async () => {
  const runs = await Promise.all([run(['migrate'], env), run(['migrate'], env), run(['migrate'], env)]);
  expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
  const applied = runs.flatMap((r) => r.stdout.split('\n').filter((l) => l.includes('"migration applied"')));
  expect(applied).toHaveLength(1);
  expect((await run(['migrate'], env)).code).toBe(0);
});

describe('serving from the bundle', () => {
  let sink: OtlpSink;
  let server: Server;
  let startToReadyMs = 0;
  beforeAll(async () => {
    sink = await OtlpSink.start();
    const started = performance.now();
    server = new Server(await freePort(), { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_TRACES_SAMPLER_ARG: '1', SHUTDOWN_DELAY_MS: '300' });
    await server.ready();
    startToReadyMs = performance.now() - started;
  });
  afterAll(async () => {
    server.proc.kill('SIGKILL');
    await sink.close();
  });

  test('start to ready is well under a second', () => {
    console.log(`start-to-ready (spawn -> /readyz 200): ${startToReadyMs.toFixed(0)} ms`);
    expect(startToReadyMs).toBeLessThan(2_000);
  });

  test('HTTP, pg and Redis spans are exported over OTLP/HTTP protobuf, in one trace continued from traceparent; logs carry the trace id', async () => {
    const created = await request(server.port, 'POST', '/v1/orders', orderBody(), { 'idempotency-key': randomUUID() });
    expect(created.status).toBe(201);
    const id = (JSON.parse(created.body) as { id: string }).id;
    const traceId = randomUUID().replace(/-/g, '');
    const got = await request(server.port, 'GET', `/v1/orders/${id}`, undefined, { traceparent: `00-${traceId}-${'a'.repeat(16)}-01` });
    expect(got.status).toBe(200);
    await waitFor(() => sink.spans.filter((s) => s.traceId === traceId).length >= 2, 10_000);
    const names = sink.spans.filter((s) => s.traceId === traceId).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['GET /v1/orders/:id', 'redis GET']));
    const traced = sink.spans.filter((s) => s.traceId === traceId);
    expect(traced.find((s) => s.name === 'GET /v1/orders/:id')).toMatchObject({ kind: 2, attributes: { 'http.route': '/v1/orders/:id', 'http.response.status_code': 200 } }); // SERVER
    expect(traced.find((s) => s.name === 'redis GET')).toMatchObject({ kind: 3, attributes: { 'db.system': 'redis', 'db.operation': 'GET' } }); // CLIENT
    // OTLP/HTTP in protobuf, the protocol's default encoding (and the cheaper one to produce).
    expect(new Set(sink.contentTypes)).toEqual(new Set(['application/x-protobuf']));
    await waitFor(() => sink.spans.some((s) => s.name.startsWith('pg.query create_order')), 10_000);
    const all = sink.spans.map((s) => s.name);
    expect(all).toEqual(expect.arrayContaining(['POST /v1/orders', 'pg.transaction create_order', 'redis SET']));
    expect(sink.spans.find((s) => s.name.startsWith('pg.query'))!.attributes['db.system']).toBe('postgresql');
    await waitFor(() => server.stdout.includes(`"trace_id":"${traceId}"`), 5_000); // logs are flushed every 500 ms
    // The export is counted once the collector has answered.
    const exported = async () => Number(/^trace_spans_total\{outcome="exported"\} (\d+)/m.exec((await request(server.port, 'GET', '/metrics')).body)?.[1] ?? 0);
    await waitFor(async () => (await exported()) >= 5, 5_000);
  });

  test('SIGTERM under load: readiness off, in-flight requests drain, no accepted request fails, exit 0', async () => {
    const outcomes = { ok: 0, failedResponse: 0, refused: 0, reset: 0, other: [] as string[] };
    let stop = false;
    const created = JSON.parse((await request(server.port, 'POST', '/v1/orders', orderBody(), { 'idempotency-key': randomUUID() })).body) as { id: string };
    const worker = async (n: number) => {
      while (!stop) {
        try {
          const res =
            n % 2 === 0
              ? await request(server.port, 'POST', '/v1/orders', orderBody(), { 'idempotency-key': randomUUID(), 'x-request-id': `load-${seq++}` })
              : await request(server.port, 'GET', `/v1/orders/${created.id}`, undefined, { 'x-request-id': `load-${seq++}` });
          if (res.status === 200 || res.status === 201) outcomes.ok++;
          else outcomes.failedResponse++;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ECONNREFUSED') {
            outcomes.refused++; // not accepted: the listener is closed
            await sleep(5);
          } else if (code === 'ECONNRESET') outcomes.reset++;
          else outcomes.other.push(String(code ?? err));
        }
      }
    };
    let seq = 0;
    const workers = Array.from({ length: 16 }, (_, i) => worker(i));
    await sleep(500);
    const okBefore = outcomes.ok;
    server.proc.kill('SIGTERM');
    await sleep(100);
    expect((await request(server.port, 'GET', '/readyz')).status).toBe(503); // draining, still serving
    const code = await server.exited;
    await sleep(50);
    stop = true;
    await Promise.all(workers);
    console.log(`SIGTERM under load: ${JSON.stringify({ ...outcomes, okBefore })}`);
    expect(code).toBe(0);
    expect(outcomes.ok).toBeGreaterThan(okBefore);
    expect(outcomes.failedResponse).toBe(0);
    expect(outcomes.other).toEqual([]);
    // Every request the server accepted (parsed and handled, per its access log) reached the client as 2xx.
    // Resets can only hit connections closed before a request was read (kernel backlog / fresh idle sockets
    // at close), i.e. requests that were never accepted; in Kubernetes SHUTDOWN_DELAY_MS keeps new ones away.
    const handled = server.stdout.split('\n').filter((l) => l.includes('"reqId":"load-'));
    expect(handled.filter((l) => !/"statusCode":20[01]/.test(l))).toEqual([]);
    expect(handled).toHaveLength(outcomes.ok);
    expect(server.stdout).toContain('shutdown complete');
    // Spans are flushed before exit: the readiness check answered 503 while draining (after SIGTERM, well
    // inside the 2 s export interval) reached the collector, sent by the export worker during shutdown.
    expect(sink.spans.some((s) => s.name === 'GET /readyz' && s.attributes['http.response.status_code'] === 503)).toBe(true);
  });
});
