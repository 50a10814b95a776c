/** The bench's parts: loopback HTTP, the baseline bundle, the service settings, the OTLP sink, the test order. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type autocannon from 'autocannon';
import { build } from 'esbuild';
import { PG_URL, REDIS_URL, waitFor } from '../test/helpers';

export const BUNDLE = join(__dirname, '..', 'dist', 'server.js');

export function request(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts a server bundle on `port` and resolves once its /readyz answers 200. */
export async function startProcess(file: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  const p = spawn(process.execPath, [file], { env: { PATH: process.env['PATH'] ?? '', ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(async () => (await request(port, '/readyz').catch(() => ({ status: 0 }))).status === 200, 10_000, 10);
  return p;
}

/** The bare fastify baseline (baseline.ts), bundled like the service; returns the file. */
export async function buildBaseline(name: string): Promise<string> {
  const file = join(tmpdir(), `${name}-baseline.js`);
  await build({ entryPoints: [join(__dirname, 'baseline.ts')], outfile: file, bundle: true, platform: 'node', target: 'node24', format: 'cjs', minify: true, external: ['pg-native'], logLevel: 'error' });
  return file;
}

/** OTLP sink on loopback: receives and discards the exported spans (an empty protobuf response: all accepted). */
export async function startOtlpSink(): Promise<{ port: number; close(): void }> {
  const sink = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  return { port: (sink.address() as { port: number }).port, close: () => sink.close() };
}

/** The service as benchmarked: all middleware on, 10% of traces sampled and exported, one access line per request. */
export function serviceEnv(schema: string, prefix: string, sinkPort: number): Record<string, string> {
  return {
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    OUTBOX_STREAM: `${prefix}events`,
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_TRACES_SAMPLER_ARG: '0.1',
    SHUTDOWN_DELAY_MS: '0',
    HOST: '127.0.0.1',
    // The outbox relay is background work off the request path that the baseline does not have; it would
    // compete for the same 2 cores during the POST runs, so it is off here (the rows stay in the outbox).
    OUTBOX_RELAY_ENABLED: 'false',
  };
}

export const ORDER_BODY = JSON.stringify({ customerId: randomUUID(), currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }] });
export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** Creates the order the GET scenarios read (and, through the service, caches it). */
export async function createOrder(port: number): Promise<string> {
  const res = await request(port, '/v1/orders', { ...JSON_HEADERS, 'idempotency-key': randomUUID() }, 'POST', ORDER_BODY);
  return (JSON.parse(res.body) as { id: string }).id;
}

export interface Scenario {
  readonly name: string;
  readonly service: autocannon.Request;
  readonly baseline: autocannon.Request;
}

/** The three request kinds the bench measures, as the service and the baseline are asked them. */
export function scenarios(orderId: string): { cached: Scenario; uncached: Scenario; create: Scenario } {
  const post = (path: string): autocannon.Request => ({
    method: 'POST',
    path,
    headers: JSON_HEADERS,
    body: ORDER_BODY,
    setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }),
  });
  const noCache = { 'cache-control': 'no-cache' };
  return {
    cached: { name: 'GET cached', service: { method: 'GET', path: `/v1/orders/${orderId}` }, baseline: { method: 'GET', path: `/orders/${orderId}` } },
    uncached: {
      name: 'GET uncached (Cache-Control: no-cache)',
      service: { method: 'GET', path: `/v1/orders/${orderId}`, headers: noCache },
      baseline: { method: 'GET', path: `/orders/${orderId}`, headers: noCache },
    },
    create: { name: 'POST idempotent create (new key each)', service: post('/v1/orders'), baseline: post('/orders') },
  };
}
