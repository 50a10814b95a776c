/**
 * The built artifact as it ships: dist/server.js and the dist/node_modules it requires, run from a directory
 * laid out as the image's /app (helpers.imageAppDir, from the Dockerfile's runtime stage). Migrate, config
 * errors, traces exported to a local OTLP/HTTP receiver (HTTP, pg and Redis spans from the OpenTelemetry
 * instrumentations, with their parents and attributes; W3C traceparent in and out), a collector that
 * cannot be reached, start-to-ready, SIGTERM under load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { INSTRUMENTED_MODULES } from '../build';
import { MIGRATIONS } from '../src/migrate';
import { deleteRedisPrefix, dropSchema, freePort, imageAppDir, orderBody, OtlpSink, REDIS_URL, SERVICE_ROOT, sleep, testEnv, traceparent, waitFor, type SinkSpan } from './helpers';

const SERVER = 2;
const CLIENT = 3;

let app = '';
const bundle = () => join(app, 'server.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bundle(), ...args], { cwd: app, env: { PATH: process.env['PATH'] ?? '', ...env } });
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
    this.proc = spawn(process.execPath, [bundle()], { cwd: app, env: { PATH: process.env['PATH'] ?? '', ...env, PORT: String(port) } });
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
  /** The complete JSON log lines written so far. */
  lines(): Record<string, unknown>[] {
    return this.stdout.split('\n').slice(0, -1).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const env = testEnv({ LOG_LEVEL: 'info' });
const schema = env['DATABASE_SCHEMA']!;

beforeAll(() => {
  if (!existsSync(join(SERVICE_ROOT, 'dist', 'server.js'))) throw new Error('dist/server.js missing: run `npm run build` first');
  app = imageAppDir();
});
afterAll(async () => {
  rmSync(app, { recursive: true, force: true });
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

test('the image ships the instrumented modules the bundle requires, at the versions the lock file installed, and the bundle stays under 2 MB', () => {
  for (const name of INSTRUMENTED_MODULES) {
    const shipped = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    const installed = JSON.parse(readFileSync(require.resolve(`${name}/package.json`, { paths: [SERVICE_ROOT] }), 'utf8')) as { version: string };
    expect({ name, version: shipped.version }).toEqual({ name, version: installed.version });
    expect(readFileSync(bundle(), 'utf8')).toContain(`require("${name}")`); // required, not bundled
  }
  expect(readFileSync(bundle()).length).toBeLessThan(2 * 1024 * 1024);
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

test('migrate: concurrent runs serialize on the advisory lock, are idempotent and exit 0', async () => {
  const runs = await Promise.all([run(['migrate'], env), run(['migrate'], env), run(['migrate'], env)]);
  expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
  const applied = runs.flatMap((r) => r.stdout.split('\n').filter((l) => l.includes('"migration applied"')));
  expect(applied).toHaveLength(MIGRATIONS.length); // each once, whichever run got there first
  expect((await run(['migrate'], env)).code).toBe(0);
});

test('a collector that cannot be reached: requests are unaffected, the failed export is logged and counted', async () => {
  const port = await freePort();
  const closed = await freePort(); // nothing listens there
  const server = new Server(port, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`, OTEL_TRACES_SAMPLER_ARG: '1', SHUTDOWN_DELAY_MS: '0' });
  try {
    await server.ready();
    for (let i = 0; i < 5; i++) expect((await request(port, 'GET', `/v1/orders/${randomUUID()}`)).status).toBe(404);
    // The batch goes within 2 s; the exporter gives up within its 5 s timeout.
    await waitFor(() => server.lines().some((l) => l['component'] === 'opentelemetry'), 15_000, 100);
    const line = server.lines().find((l) => l['component'] === 'opentelemetry')!;
    expect(['error', 'warn']).toContain(line['level']);
    expect(JSON.stringify(line)).toMatch(/ECONNREFUSED|connect/);
    const metrics = (await request(port, 'GET', '/metrics')).body;
    expect(Number(/^trace_spans_total\{outcome="failed"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(5);
    expect(metrics).toMatch(/^trace_spans_total\{outcome="exported"\} 0$/m);
    expect((await request(port, 'GET', `/v1/orders/${randomUUID()}`)).status).toBe(404);
  } finally {
    server.proc.kill('SIGKILL');
    await server.exited;
  }
});

describe('serving from the bundle, traced', () => {
  let sink: OtlpSink;
  let server: Server;
  let startToReadyMs = 0;
  beforeAll(async () => {
    sink = await OtlpSink.start();
    const started = performance.now();
    // The draining window (SHUTDOWN_DELAY_MS) is long enough that the requests the SIGTERM test sends
    // while draining land in it on a loaded two-core machine, before the listener closes.
    server = new Server(await freePort(), { ...env, OTEL_SERVICE_NAME: 'orders', OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, OTEL_TRACES_SAMPLER_ARG: '1', SHUTDOWN_DELAY_MS: '1500', OUTBOX_POLL_MS: '50' });
    await server.ready();
    startToReadyMs = performance.now() - started;
  });
  afterAll(async () => {
    server.proc.kill('SIGKILL');
    await sink.close();
  });

  /** Waits until the spans of a trace include one matching each predicate; returns the trace. */
  const traceWith = async (traceId: string, ...wanted: ((s: SinkSpan) => boolean)[]): Promise<SinkSpan[]> => {
    await waitFor(() => wanted.every((w) => sink.trace(traceId).some(w)), 10_000);
    return sink.trace(traceId);
  };
  const isServer = (s: SinkSpan) => s.kind === SERVER;
  const isPg = (s: SinkSpan) => s.kind === CLIENT && s.attributes['db.system.name'] === 'postgresql';
  const isRedis = (s: SinkSpan) => s.kind === CLIENT && s.attributes['db.system.name'] === 'redis';

  test('start to ready is well under a second', () => {
    console.log(`start-to-ready (spawn -> /readyz 200): ${startToReadyMs.toFixed(0)} ms`);
    expect(startToReadyMs).toBeLessThan(2_000);
  });

  test('a create continuing the caller\'s trace: server span, pg and Redis spans as its children, exported as OTLP protobuf; the outbox event carries the trace on', async () => {
    const caller = traceparent();
    const created = await request(server.port, 'POST', '/v1/orders', orderBody(), { 'idempotency-key': randomUUID(), traceparent: caller.header });
    expect(created.status).toBe(201);
    const orderId = (JSON.parse(created.body) as { id: string }).id;
    const spans = await traceWith(caller.traceId, isServer, isPg, isRedis);

    // In: the caller's trace id and span as parent, the route as name, HTTP attributes.
    const serverSpan = spans.find(isServer)!;
    expect(serverSpan).toMatchObject({
      name: 'POST /v1/orders',
      parentSpanId: caller.spanId,
      scope: '@fastify/otel',
      attributes: { 'http.request.method': 'POST', 'http.route': '/v1/orders', 'http.response.status_code': 201 },
      resource: { 'service.name': 'orders', 'service.version': '1.0.0' },
    });
    // The transaction's statements and the cache write are children of the server span.
    const queries = spans.filter((s) => isPg(s) && /^(BEGIN|INSERT|UPDATE|COMMIT)/.test(String(s.attributes['db.query.text'] ?? '').trim()));
    expect(queries.map((s) => String(s.attributes['db.query.text']).trim().split(/\s/)[0])).toEqual(expect.arrayContaining(['BEGIN', 'INSERT', 'UPDATE', 'COMMIT']));
    for (const q of queries) expect(q).toMatchObject({ parentSpanId: serverSpan.spanId, scope: '@opentelemetry/instrumentation-pg' });
    const cacheWrite = spans.find(isRedis)!;
    expect(cacheWrite).toMatchObject({ parentSpanId: serverSpan.spanId, scope: '@opentelemetry/instrumentation-ioredis', attributes: { 'db.operation.name': 'set' } });
    expect(new Set(sink.requests.map((r) => `${r.method} ${r.path} ${r.contentType}`))).toEqual(new Set(['POST /v1/traces application/x-protobuf']));

    // Out: the order.created event carries the server span's context (W3C traceparent, sampled).
    const stream = new Redis(REDIS_URL);
    try {
      let fields: Record<string, string> | undefined;
      await waitFor(async () => {
        const entries = await stream.xrange(env['OUTBOX_STREAM']!, '-', '+');
        const entry = entries.find(([, f]) => f[f.indexOf('aggregateId') + 1] === orderId);
        if (entry !== undefined) fields = Object.fromEntries(entry[1].flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]!]] : [])));
        return fields !== undefined;
      }, 10_000);
      expect(fields!['traceparent']).toBe(`00-${caller.traceId}-${serverSpan.spanId}-01`);
    } finally {
      stream.disconnect();
    }

    // The request's log lines carry the trace.
    await waitFor(() => server.stdout.includes(`"trace_id":"${caller.traceId}"`), 5_000); // flushed every 500 ms
    const access = server.lines().find((l) => l['trace_id'] === caller.traceId && l['msg'] === 'request completed')!;
    // Logged under the service name its traces carry (the platform's log-based metrics select on it).
    expect(access).toMatchObject({ service: 'orders', span_id: serverSpan.spanId, trace_flags: '01', res: { statusCode: 201 }, req: { method: 'POST', route: '/v1/orders' } });

    // The export is counted once the collector has answered.
    const exported = async () => Number(/^trace_spans_total\{outcome="exported"\} (\d+)/m.exec((await request(server.port, 'GET', '/metrics')).body)?.[1] ?? 0);
    await waitFor(async () => (await exported()) >= spans.length, 5_000);
  });

  test('concurrent cached reads: each Redis span is a child of its own request\'s server span', async () => {
    const created = await request(server.port, 'POST', '/v1/orders', orderBody(), { 'idempotency-key': randomUUID() });
    const id = (JSON.parse(created.body) as { id: string }).id;
    const callers = Array.from({ length: 20 }, () => traceparent());
    const responses = await Promise.all(callers.map((c) => request(server.port, 'GET', `/v1/orders/${id}`, undefined, { traceparent: c.header })));
    expect(responses.map((r) => r.status)).toEqual(callers.map(() => 200));
    for (const caller of callers) {
      const spans = await traceWith(caller.traceId, isServer, isRedis);
      const serverSpan = spans.find(isServer)!;
      expect(serverSpan).toMatchObject({ name: 'GET /v1/orders/:id', parentSpanId: caller.spanId, attributes: { 'http.route': '/v1/orders/:id', 'http.response.status_code': 200 } });
      expect(spans.filter(isRedis).map((s) => [s.attributes['db.operation.name'], s.parentSpanId])).toEqual([['get', serverSpan.spanId]]);
    }
  });

  test('a caller\'s unsampled traceparent is followed: no spans, its trace id still on the log lines; a request without one starts a root trace', async () => {
    const unsampled = traceparent(false);
    expect((await request(server.port, 'GET', `/v1/orders/${randomUUID()}`, undefined, { traceparent: unsampled.header, 'x-request-id': 'unsampled-1' })).status).toBe(404);
    const root = await request(server.port, 'GET', `/v1/orders/${randomUUID()}`, undefined, { 'x-request-id': 'root-1' });
    expect(root.status).toBe(404);
    await waitFor(() => server.stdout.includes('"reqId":"root-1"'), 5_000);
    const rootTrace = server.lines().find((l) => l['reqId'] === 'root-1' && l['msg'] === 'request completed')!['trace_id'] as string;
    const spans = await traceWith(rootTrace, isServer, isPg);
    expect(spans.find(isServer)).toMatchObject({ parentSpanId: '', name: 'GET /v1/orders/:id', attributes: { 'http.response.status_code': 404 } });
    // Exported after the unsampled request ended: had it been recorded, it would be there by now.
    expect(sink.trace(unsampled.traceId)).toEqual([]);
    expect(server.lines().find((l) => l['reqId'] === 'unsampled-1')).toMatchObject({ trace_id: unsampled.traceId, trace_flags: '00' });
  });

  test('probes and scrapes are not traced', async () => {
    const before = sink.spans.length;
    for (const path of ['/livez', '/readyz', '/metrics']) expect((await request(server.port, 'GET', path)).status).toBe(200);
    const marker = traceparent();
    await request(server.port, 'GET', `/v1/orders/${randomUUID()}`, undefined, { traceparent: marker.header });
    await traceWith(marker.traceId, isServer);
    expect(sink.spans.slice(before).filter((s) => s.traceId !== marker.traceId && s.kind === SERVER)).toEqual([]);
  });

  test('SIGTERM under load: readiness off, in-flight requests drain, no accepted request fails, spans are flushed, exit 0', async () => {
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
    const late = traceparent(); // a traced request served while draining: its spans leave before the exit
    expect((await request(server.port, 'GET', `/v1/orders/${created.id}`, undefined, { traceparent: late.header })).status).toBe(200);
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
    const handled = server.lines().filter((l) => String(l['reqId']).startsWith('load-') && l['msg'] === 'request completed');
    expect(handled.filter((l) => ![200, 201].includes((l['res'] as { statusCode: number }).statusCode))).toEqual([]);
    expect(handled).toHaveLength(outcomes.ok);
    expect(server.stdout).toContain('shutdown complete');
    expect(sink.trace(late.traceId).filter(isServer)).toHaveLength(1);
  });
});
