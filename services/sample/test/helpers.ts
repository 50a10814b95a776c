/** Test infrastructure: real Postgres/Redis with per-run isolation, throwaway Redis, TCP proxy, OTLP sink. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { createService, type Service } from '../src/app';
import { loadConfig, type Config } from '../src/config';
import { migrate } from '../src/migrate';

export const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const SERVICE_ROOT = `${__dirname}/..`;

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Env for one isolated test run: own schema, Redis key prefix and stream. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const schema = uniqueName('t');
  return {
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${schema}:`,
    OUTBOX_STREAM: `${schema}:events`,
    SHUTDOWN_DELAY_MS: '0',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    ...overrides,
  };
}

export async function migrateSchema(url: string, schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(pool, schema, pino({ level: 'silent' }));
  } finally {
    await pool.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
  } catch {
    // throwaway instances may already be gone
  } finally {
    r.disconnect();
  }
}

export interface TestService {
  readonly service: Service;
  readonly config: Config;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** A migrated, in-process service on its own schema; close() stops it and removes its data. */
export async function startTestService(overrides: Record<string, string> = {}, listen = false): Promise<TestService> {
  const env = testEnv(overrides);
  const config = loadConfig(env);
  await migrateSchema(PG_URL, config.database.schema);
  const service = createService(config, pino({ level: 'silent' }));
  if (listen) await service.listen();
  else {
    await service.redis.start();
    await service.app.ready();
  }
  return {
    service,
    config,
    env,
    async close() {
      await service.stop(0).catch(() => undefined);
      await dropSchema(config.database.schema);
      await deleteRedisPrefix(REDIS_URL, config.redis.keyPrefix);
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, stepMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(stepMs);
  }
}

/** A throwaway redis-server on a free port that tests may pause (SIGSTOP), kill and restart. */
export class ThrowawayRedis {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayRedis> {
    const r = new ThrowawayRedis(await freePort());
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(async () => {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    });
  }

  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null) return;
    p.kill('SIGCONT');
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await exited;
    this.proc = undefined;
  }
}

/** TCP proxy in front of Postgres: 'pass' forwards; 'blackhole' accepts and never answers; cut() kills live links. */
export class TcpProxy {
  mode: 'pass' | 'blackhole' = 'pass';
  private readonly sockets = new Set<net.Socket>();
  private readonly upstreams = new Set<net.Socket>();
  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort = 5432): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => {
      const p = proxy!;
      p.sockets.add(client);
      client.on('close', () => p.sockets.delete(client));
      client.on('error', () => undefined);
      if (p.mode === 'blackhole') return;
      const upstream = net.connect(targetPort, '127.0.0.1');
      p.sockets.add(upstream);
      p.upstreams.add(upstream);
      upstream.on('close', () => {
        p.sockets.delete(upstream);
        p.upstreams.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** Local ports of live upstream links: pg_stat_activity.client_port of the sessions behind this proxy. */
  upstreamPorts(): number[] {
    return [...this.upstreams].map((s) => s.localPort).filter((p): p is number => p !== undefined);
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** An OTLP/HTTP (JSON) trace receiver on 127.0.0.1 collecting span names and attributes. */
export class OtlpSink {
  readonly spans: { name: string; kind: number; traceId: string; attributes: Record<string, unknown> }[] = [];
  private constructor(private readonly server: http.Server, readonly port: number) {}

  static async start(): Promise<OtlpSink> {
    let sink: OtlpSink | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceSpans?: { scopeSpans?: { spans?: { name: string; kind: number; traceId: string; attributes?: { key: string; value: Record<string, unknown> }[] }[] }[] }[];
          };
          for (const rs of body.resourceSpans ?? [])
            for (const ss of rs.scopeSpans ?? [])
              for (const s of ss.spans ?? [])
                sink!.spans.push({
                  name: s.name,
                  kind: s.kind,
                  traceId: s.traceId,
                  attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
                });
        } catch {
          // ignore non-JSON payloads
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sink = new OtlpSink(server, (server.address() as net.AddressInfo).port);
    return sink;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: '6f1c2f4e-8a9b-4c1d-9e2f-3a4b5c6d7e8f',
    currency: 'EUR',
    items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }],
    ...overrides,
  };
}
