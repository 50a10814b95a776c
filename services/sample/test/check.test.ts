/**
 * The `check` command (src/check.ts), which the platform runs as the pre-promotion check of a blue-green release:
 * it passes against the real service, repeats safely (one test order per version, every later round a replay),
 * fails on a wrong response, and refuses unresolved settings. The built bundle runs it as the image does, within
 * the memory the platform gives the check's container.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { checkCommand, loadCheckSettings } from '../src/check';
import { imageAppDir, PG_URL, SERVICE_ROOT, startTestService, type TestService } from './helpers';

const CUSTOMER = '5a0e7e57-0000-4000-8000-000000000001';
/** Memory limit of the check's container (constructs/workload/stateless-service-chart.ts). */
const CHECK_MEMORY_LIMIT_MIB = 192;

let t: TestService;
let baseUrl: string;

beforeAll(async () => {
  t = await startTestService({ OUTBOX_RELAY_ENABLED: 'false' }, true);
  const { port } = t.service.app.server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => t.close());

/** Runs the command in-process; returns its exit code and JSON lines. */
async function check(env: Record<string, string>): Promise<{ code: number; lines: Record<string, any>[] }> {
  const lines: Record<string, any>[] = [];
  const code = await checkCommand(env, (line) => lines.push(JSON.parse(line)));
  return { code, lines };
}

async function ordersOf(customerId: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  try {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${t.config.database.schema}".orders WHERE customer_id = $1`, [customerId]);
    return rows[0].n as number;
  } finally {
    await pool.end();
  }
}

test('passes against the service, and three rounds of one version make one test order (every later create is a replay)', async () => {
  // GIVEN the running service and the settings the platform gives the check
  const env = { PREVIEW_URL: baseUrl, PREVIEW_VERSION: '7d9f8b6c5d', CHECK_CUSTOMER_ID: CUSTOMER };
  // WHEN three rounds run, as three measurements of the pre-promotion analysis do
  const rounds = [await check(env), await check(env), await check(env)];
  // THEN each passed after five requests, all judged right, and the version has exactly one test order
  for (const round of rounds) {
    expect(round.code).toBe(0);
    expect(round.lines.filter((l) => l.msg === 'check request').map((l) => [l.step, l.status, l.problems])).toEqual([
      ['list', 200, []], ['create', 201, []], ['replay', 201, []], ['read from the database', 200, []], ['read', 200, []],
    ]);
    expect(round.lines.at(-1)).toMatchObject({ msg: 'check passed', requests: 5, version: '7d9f8b6c5d' });
  }
  expect(await ordersOf(CUSTOMER)).toBe(1);
  // A new version creates its own test order.
  expect((await check({ ...env, PREVIEW_VERSION: '5c6b7a8d9e' })).code).toBe(0);
  expect(await ordersOf(CUSTOMER)).toBe(2);
});

/** A stand-in for a broken version: answers every request with `answer`. */
async function brokenService(answer: (req: http.IncomingMessage) => { status: number; body: unknown; headers?: Record<string, string> }): Promise<{ url: string; close: () => Promise<void> }> {
  const id = '0b1e6f0e-6a57-4b7c-9d1e-2f3a4b5c6d7e';
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, body, headers } = answer(req);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body === 'order' ? { id, customerId: CUSTOMER } : body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test.each<[string, (req: http.IncomingMessage) => { status: number; body: unknown; headers?: Record<string, string> }, string, string]>([
  ['a 5xx on create', (req) => (req.method === 'POST' ? { status: 503, body: { title: 'Service Unavailable' } } : { status: 200, body: { orders: [] } }), 'create', 'HTTP 503, expected 201'],
  ['a create that is not replayed', (req) => (req.method === 'POST' ? { status: 201, body: 'order' } : { status: 200, body: { orders: [] } }), 'replay', 'no Idempotent-Replayed: true on a repeated create'],
  ['a list without orders', () => ({ status: 200, body: { items: [] } }), 'list', 'no orders array'],
])('fails (exit 1) on %s', async (_, answer, step, problem) => {
  const broken = await brokenService(answer);
  try {
    const { code, lines } = await check({ PREVIEW_URL: broken.url, PREVIEW_VERSION: 'abc123', CHECK_CUSTOMER_ID: CUSTOMER });
    expect(code).toBe(1);
    const failed = lines.find((l) => l.msg === 'check request' && l.problems.length > 0)!;
    expect(failed.step).toBe(step);
    expect(failed.problems[0]).toContain(problem);
    expect(lines.at(-1)).toMatchObject({ msg: 'check failed' });
  } finally {
    await broken.close();
  }
});

test('fails on a service that does not answer in time', async () => {
  const silent = http.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { code, lines } = await check({ PREVIEW_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, PREVIEW_VERSION: 'abc123', CHECK_CUSTOMER_ID: CUSTOMER, CHECK_REQUEST_TIMEOUT_MS: '200' });
    expect(code).toBe(1);
    expect(lines[0]).toMatchObject({ step: 'list', problems: [expect.stringContaining('request failed')] });
  } finally {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test.each([
  ['an unresolved analysis argument', { PREVIEW_URL: 'http://orders-preview.orders.svc.cluster.local:8080', PREVIEW_VERSION: '{{args.pod-template-hash}}', CHECK_CUSTOMER_ID: CUSTOMER }, 'PREVIEW_VERSION "{{args.pod-template-hash}}" must be the version under check'],
  ['no URL', { PREVIEW_VERSION: 'abc', CHECK_CUSTOMER_ID: CUSTOMER }, 'PREVIEW_URL undefined must be a base URL'],
  ['no customer', { PREVIEW_URL: 'http://orders-preview:8080', PREVIEW_VERSION: 'abc' }, 'CHECK_CUSTOMER_ID undefined must be the UUID'],
])('refuses %s (exit 2, before any request)', async (_, env, problem) => {
  const settings = loadCheckSettings(env);
  expect('problems' in settings && settings.problems.join('\n')).toContain(problem);
  expect((await check(env)).code).toBe(2);
});

test('the built bundle runs the check as the image does, needing no database settings, within the container\'s memory limit', async () => {
  if (!existsSync(join(SERVICE_ROOT, 'dist', 'server.js'))) throw new Error('dist/server.js missing: run `npm run build` first');
  const app = imageAppDir();
  try {
    // GIVEN only the check's own variables (no DATABASE_URL, no REDIS_URL), as the Job's container has them
    const env = { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', PREVIEW_URL: baseUrl, PREVIEW_VERSION: 'bundle1', CHECK_CUSTOMER_ID: CUSTOMER };
    // WHEN `node server.js check` runs, measured by GNU time when it is there
    const time = existsSync('/usr/bin/time');
    const command = time ? ['/usr/bin/time', '-f', 'maxrss-kib=%M', process.execPath] : [process.execPath];
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(command[0]!, [...command.slice(1), join(app, 'server.js'), 'check'], { cwd: app, env });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    // THEN it passes, and peaks well below the limit
    expect({ code: result.code, stderr: result.stderr.replace(/maxrss-kib=\d+\s*/, '') }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout.trim().split('\n').map((l) => JSON.parse(l).msg).at(-1)).toBe('check passed');
    const rss = /maxrss-kib=(\d+)/.exec(result.stderr);
    if (rss) expect(Number(rss[1]) / 1024).toBeLessThan(CHECK_MEMORY_LIMIT_MIB * 0.75);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
