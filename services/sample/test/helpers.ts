/** Test infrastructure: real Postgres/Redis with per-run isolation, throwaway Redis, TCP proxy, OTLP sink. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino, { type Logger } from 'pino';
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

/** A migrated, in-process service on its own schema; close() stops it and removes its data. Silent unless given a logger. */
export async function startTestService(overrides: Record<string, string> = {}, listen = false, logger: Logger = pino({ level: 'silent' })): Promise<TestService> {
  const env = testEnv(overrides);
  const config = loadConfig(env);
  await migrateSchema(PG_URL, config.database.schema);
  const service = createService(config, logger);
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

/** Protobuf fields of one message: field number -> raw values (varints as bigint, length-delimited as bytes). */
function protoFields(buf: Buffer): Map<number, (bigint | Buffer)[]> {
  const fields = new Map<number, (bigint | Buffer)[]>();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 1) value = buf.subarray(pos, (pos += 8));
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(pos, (pos += len));
    } else if (wire === 5) value = buf.subarray(pos, (pos += 4));
    else throw new Error(`unsupported wire type ${wire}`);
    const list = fields.get(tag >>> 3) ?? [];
    list.push(value);
    fields.set(tag >>> 3, list);
  }
  return fields;
}

export interface SinkSpan {
  readonly scope: string;
  readonly name: string;
  /** SpanKind as OTLP numbers it: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  /** Status code: 0 unset, 1 ok, 2 error. */
  readonly status: number;
  readonly attributes: Record<string, unknown>;
  /** Attributes of the resource the span was reported with. */
  readonly resource: Record<string, unknown>;
}

/**
 * The spans of an OTLP ExportTraceServiceRequest in protobuf, read by field number as
 * opentelemetry-proto defines them (trace.proto, common.proto, resource.proto): resource_spans(1) >
 * resource(1) > attributes(1); scope_spans(2) > scope(1) > name(1); spans(2) with trace_id(1), span_id(2),
 * parent_span_id(4), name(5), kind(6), attributes(9) as KeyValue key(1) and AnyValue(2) of string(1),
 * bool(2), int(3) or double(4), and status(15) > code(3).
 */
export function decodeOtlpTraces(body: Buffer): SinkSpan[] {
  const spans: SinkSpan[] = [];
  const bytes = (v: bigint | Buffer | undefined): Buffer => (Buffer.isBuffer(v) ? v : Buffer.alloc(0));
  const anyValue = (v: Buffer): unknown => {
    const f = protoFields(v);
    if (f.has(1)) return bytes(f.get(1)![0]).toString('utf8');
    if (f.has(2)) return f.get(2)![0] === 1n;
    if (f.has(3)) return Number(BigInt.asIntN(64, f.get(3)![0] as bigint));
    if (f.has(4)) return bytes(f.get(4)![0]).readDoubleLE(0);
    return undefined;
  };
  const attributes = (list: (bigint | Buffer)[] | undefined): Record<string, unknown> =>
    Object.fromEntries(
      (list ?? []).map((kv) => {
        const f = protoFields(bytes(kv));
        return [bytes(f.get(1)?.[0]).toString('utf8'), anyValue(bytes(f.get(2)?.[0]))];
      }),
    );
  for (const rs of protoFields(body).get(1) ?? []) {
    const resourceSpans = protoFields(bytes(rs));
    const resource = attributes(protoFields(bytes(resourceSpans.get(1)?.[0])).get(1));
    for (const ss of resourceSpans.get(2) ?? []) {
      const scopeSpans = protoFields(bytes(ss));
      const scope = bytes(protoFields(bytes(scopeSpans.get(1)?.[0])).get(1)?.[0]).toString('utf8');
      for (const raw of scopeSpans.get(2) ?? []) {
        const span = protoFields(bytes(raw));
        spans.push({
          scope,
          name: bytes(span.get(5)?.[0]).toString('utf8'),
          kind: Number(span.get(6)?.[0] ?? 0n),
          traceId: bytes(span.get(1)?.[0]).toString('hex'),
          spanId: bytes(span.get(2)?.[0]).toString('hex'),
          parentSpanId: bytes(span.get(4)?.[0]).toString('hex'),
          status: Number(protoFields(bytes(span.get(15)?.[0])).get(3)?.[0] ?? 0n),
          attributes: attributes(span.get(9)),
          resource,
        });
      }
    }
  }
  return spans;
}

/** An OTLP/HTTP trace receiver on 127.0.0.1 (protobuf, the encoding the service exports), keeping the spans it is sent. */
export class OtlpSink {
  readonly spans: SinkSpan[] = [];
  /** Method, path and content type of each export request received. */
  readonly requests: { method: string; path: string; contentType: string }[] = [];
  private constructor(private readonly server: http.Server, readonly port: number) {}

  static async start(): Promise<OtlpSink> {
    let sink: OtlpSink | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        sink!.requests.push({ method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
        try {
          sink!.spans.push(...decodeOtlpTraces(Buffer.concat(chunks)));
        } catch {
          // not an OTLP protobuf payload: the test sees no spans
        }
        // An empty ExportTraceServiceResponse: everything accepted.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sink = new OtlpSink(server, (server.address() as net.AddressInfo).port);
    return sink;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The spans of one trace. */
  trace(traceId: string): SinkSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A random sampled (or, with sampled false, unsampled) W3C traceparent and its ids. */
export function traceparent(sampled = true): { header: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`, traceId, spanId };
}

/**
 * A directory laid out as the image's /app: the files the runtime stage of the Dockerfile copies from the
 * build stage's services/sample/dist, copied from this checkout's dist/. Running the bundle there shows it
 * needs nothing else (Node resolves its external modules from the copied node_modules only).
 */
export function imageAppDir(): string {
  const dockerfile = readFileSync(join(SERVICE_ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.split(/^FROM /m).pop()!;
  const dir = mkdtempSync(join(tmpdir(), 'sample-image-'));
  for (const [, args] of runtime.matchAll(/^COPY --from=build (.+)$/gm)) {
    const words = args!.trim().split(/\s+/);
    const destination = words.pop()!;
    for (const source of words) {
      const local = source.replace(/^\/src\/services\/sample\//, `${SERVICE_ROOT}/`);
      const target = destination.endsWith('/') ? join(dir, destination.replace(/^\/app\/?/, ''), basename(source)) : join(dir, destination.replace(/^\/app\/?/, ''));
      cpSync(local, target, { recursive: true });
    }
  }
  return dir;
}

export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: '6f1c2f4e-8a9b-4c1d-9e2f-3a4b5c6d7e8f',
    currency: 'EUR',
    items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }],
    ...overrides,
  };
}
