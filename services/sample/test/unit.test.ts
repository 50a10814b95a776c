/** Unit tests: pure logic, no I/O. */
import { BreakerOpenError, CircuitBreaker } from '../src/breaker';
import { cachedToken, elastiCacheToken } from '../src/aws-auth';
import { ConfigError, loadConfig } from '../src/config';
import { poolConfig } from '../src/db';
import { callerIdentity, canonicalJson, parseIdempotencyKey, requestHash } from '../src/idempotency';
import { toProblem } from '../src/problem';
import { backoffDelay, isTransientDbError, retry } from '../src/retry';
import { decodeCursor, encodeCursor } from '../src/orders/service';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { requestId } from '../src/app';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify from 'fastify';
import { orderRoutes } from '../src/orders/routes';
import { isUuid, sharedSchemas } from '../src/orders/schemas';
import type { OrderService } from '../src/orders/service';

const BASE = { DATABASE_URL: 'postgres://app@db:5432/orders', REDIS_URL: 'redis://cache:6379' };

describe('config', () => {
  test('defaults', () => {
    const c = loadConfig(BASE);
    expect(c).toMatchObject({ port: 8080, database: { schema: 'public', tls: 'off', iamAuth: false }, telemetry: { samplingRatio: 0.1 } });
    expect(c.telemetry.otlpEndpoint).toBeUndefined();
  });

  test('IAM auth turns TLS to verify-full by default and needs a region', () => {
    const c = loadConfig({
      ...BASE,
      REDIS_URL: 'rediss://cache:6379',
      DATABASE_IAM_AUTH: 'true',
      REDIS_IAM_AUTH: 'true',
      REDIS_IAM_USER: 'svc',
      REDIS_IAM_CACHE_NAME: 'orders-cache',
      AWS_REGION: 'eu-west-1',
    });
    expect(c.database.tls).toBe('verify-full');
    expect(c.redis).toMatchObject({ iamAuth: true, iamUser: 'svc', iamCacheName: 'orders-cache' });
    const pool = poolConfig(c.database, c.awsRegion);
    expect(pool.ssl).toEqual({ rejectUnauthorized: true });
    expect(typeof pool.password).toBe('function');
  });

  test.each([
    [{ DATABASE_URL: undefined }, 'DATABASE_URL is required'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must use postgres: or postgresql:'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL is not a valid URL'],
    [{ PORT: '70000' }, 'PORT must be an integer between 0 and 65535, got "70000"'],
    [{ PORT: '80.5' }, 'PORT must be an integer between 0 and 65535, got "80.5"'],
    [{ OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1, got "2"'],
    [{ DATABASE_TLS: 'maybe' }, 'DATABASE_TLS must be one of off, require, verify-full, got "maybe"'],
    [{ DATABASE_SCHEMA: 'x;drop' }, 'DATABASE_SCHEMA must match'],
    [{ DATABASE_IAM_AUTH: 'true', DATABASE_TLS: 'off', AWS_REGION: 'eu-west-1' }, 'DATABASE_IAM_AUTH=true requires DATABASE_TLS=require or verify-full'],
    [{ DATABASE_IAM_AUTH: 'yes please' }, 'DATABASE_IAM_AUTH must be true or false, got "yes please"'],
    [{ REDIS_IAM_AUTH: 'true', AWS_REGION: 'eu-west-1' }, 'REDIS_IAM_AUTH=true requires a rediss:// REDIS_URL (TLS)'],
    [{ REDIS_IAM_AUTH: 'true' }, 'AWS_REGION is required when DATABASE_IAM_AUTH or REDIS_IAM_AUTH is true'],
    [{ SHUTDOWN_DELAY_MS: '30000', SHUTDOWN_TIMEOUT_MS: '20000' }, 'SHUTDOWN_DELAY_MS must be smaller than SHUTDOWN_TIMEOUT_MS'],
  ])('%j -> %s', (env, message) => {
    const run = () => loadConfig({ ...BASE, ...env });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });
});

describe('circuit breaker', () => {
  test('onError sees every rejected call, its own open rejections included, and no success', async () => {
    let now = 0;
    const seen: unknown[] = [];
    const b = new CircuitBreaker({ name: 'x', failureThreshold: 1, resetMs: 100, now: () => now, onError: (err) => seen.push(err) });
    await expect(b.exec(async () => 1)).resolves.toBe(1);
    expect(seen).toEqual([]);
    const boom = new Error('boom');
    await expect(b.exec(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(b.exec(async () => 1)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(boom);
    expect(seen[1]).toBeInstanceOf(BreakerOpenError);
    now = 200;
    await expect(b.exec(async () => 2)).resolves.toBe(2);
    expect(seen).toHaveLength(2);
  });

  const failing = () => Promise.reject(new Error('boom'));
  test('opens after N consecutive failures, rejects fast, half-opens after resetMs, closes on success', async () => {
    let now = 0;
    const states: string[] = [];
    const b = new CircuitBreaker({ name: 'x', failureThreshold: 2, resetMs: 100, now: () => now, onStateChange: (s) => states.push(s) });
    await expect(b.exec(failing)).rejects.toThrow('boom');
    await expect(b.exec(failing)).rejects.toThrow('boom');
    expect(b.state).toBe('open');
    await expect(b.exec(() => Promise.resolve(1))).rejects.toBeInstanceOf(BreakerOpenError);
    now = 100;
    await expect(b.exec(() => Promise.resolve(1))).resolves.toBe(1);
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  test('a failed half-open trial opens again; only one trial at a time', async () => {
    let now = 0;
    const b = new CircuitBreaker({ name: 'x', failureThreshold: 1, resetMs: 10, now: () => now });
    await expect(b.exec(failing)).rejects.toThrow();
    now = 10;
    let release!: () => void;
    const trial = b.exec(() => new Promise<void>((r) => (release = r)));
    await expect(b.exec(() => Promise.resolve())).rejects.toBeInstanceOf(BreakerOpenError);
    release();
    await trial;
    expect(b.state).toBe('closed');
    await expect(b.exec(failing)).rejects.toThrow();
    now = 20;
    await expect(b.exec(failing)).rejects.toThrow('boom');
    expect(b.state).toBe('open');
  });

  test('errors that are not failures (e.g. constraint violations) do not open it', async () => {
    const b = new CircuitBreaker({ name: 'x', failureThreshold: 1, resetMs: 10, isFailure: () => false });
    await expect(b.exec(failing)).rejects.toThrow();
    expect(b.state).toBe('closed');
  });

  test('a synchronous throw and an open-breaker rejection are rejected promises, never throws', async () => {
    const b = new CircuitBreaker({ name: 'x', failureThreshold: 1, resetMs: 1_000 });
    const sync = b.exec(() => {
      throw new Error('sync boom');
    });
    await expect(sync).rejects.toThrow('sync boom');
    expect(b.state).toBe('open');
    const rejected = b.exec(() => Promise.resolve(1));
    expect(rejected).toBeInstanceOf(Promise);
    await expect(rejected).rejects.toBeInstanceOf(BreakerOpenError);
  });
});

describe('isUuid (format: uuid)', () => {
  test.each([
    ['5f0c6a2e-8b7d-4c1e-9f3a-2d4b6c8e0a1f', true],
    ['5F0C6A2E-8B7D-4C1E-9F3A-2D4B6C8E0A1F', true],
    ['00000000-0000-0000-0000-000000000000', true],
    ['urn:uuid:5f0c6a2e-8b7d-4c1e-9f3a-2d4b6c8e0a1f', false],
    ['{5f0c6a2e-8b7d-4c1e-9f3a-2d4b6c8e0a1f}', false],
    ['5f0c6a2e8b7d4c1e9f3a2d4b6c8e0a1f', false],
    ['5f0c6a2e-8b7d-4c1e-9f3a-2d4b6c8e0a1g', false],
    ['5f0c6a2e-8b7d-4c1e-9f3a-2d4b6c8e0a1', false],
    ['5f0c6a2e_8b7d-4c1e-9f3a-2d4b6c8e0a1f', false],
    ['5f0c6a2e-8b7d-4c1e-9f3a-2d4b6c8e0a1\u0141', false],
    ['', false],
  ])('%j -> %s', (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});

describe('retry', () => {
  test('full jitter stays within the capped exponential window', () => {
    expect(backoffDelay(0, 20, 200, () => 0.999)).toBeLessThan(20);
    expect(backoffDelay(10, 20, 200, () => 0.999)).toBeLessThan(200);
    expect(backoffDelay(3, 20, 200, () => 0)).toBe(0);
  });

  test('bounded attempts, only for retryable errors', async () => {
    let calls = 0;
    const transient = Object.assign(new Error('x'), { code: 'ECONNRESET' });
    await expect(retry(async () => { calls++; throw transient; }, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, isRetryable: isTransientDbError })).rejects.toBe(transient);
    expect(calls).toBe(3);
    calls = 0;
    await expect(retry(async () => { calls++; throw Object.assign(new Error('dup'), { code: '23505' }); }, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, isRetryable: isTransientDbError })).rejects.toThrow('dup');
    expect(calls).toBe(1);
    expect(await retry(async (a) => (a < 1 ? Promise.reject(transient) : 'ok'), { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, isRetryable: isTransientDbError })).toBe('ok');
  });

  test.each([
    [{ code: '57P01' }, true],
    [{ code: '40001' }, true],
    [{ code: 'ECONNREFUSED' }, true],
    [new Error('Connection terminated unexpectedly'), true],
    [{ code: '23505' }, false],
    [{ code: '22P02' }, false],
    [null, false],
  ])('isTransientDbError(%j) = %s', (err, expected) => expect(isTransientDbError(err)).toBe(expected));
});

describe('idempotency', () => {
  test.each([
    ['"abc-123"', 'abc-123'],
    ['abc-123', 'abc-123'],
    ['  "with space"  ', 'with space'],
    ['"esc\\"aped"', 'esc"aped'],
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
  ])('parses %s', (header, key) => expect(parseIdempotencyKey(header)).toBe(key));

  test.each([[undefined], [''], ['""'], ['"open'], ['has space'], ['caf\u00e9'], ['x'.repeat(256)]])('rejects %j with 400', (header) => {
    expect(() => parseIdempotencyKey(header)).toThrow(expect.objectContaining({ status: 400 }));
  });

  test('caller identity is the SPIFFE URI of the nearest mTLS peer', () => {
    expect(callerIdentity(undefined)).toBe('anonymous');
    expect(callerIdentity('By=spiffe://c/ns/o/sa/orders;Hash=abc;URI=spiffe://c/ns/a/sa/gw,By=x;URI=spiffe://c/ns/b/sa/web')).toBe('spiffe://c/ns/b/sa/web');
    expect(callerIdentity('plain-id')).toBe('plain-id');
  });

  test('request hash ignores object key order but not array order', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
    expect(requestHash('POST', '/x', { a: 1, b: 2 })).toBe(requestHash('POST', '/x', { b: 2, a: 1 }));
    expect(requestHash('POST', '/x', [1, 2])).not.toBe(requestHash('POST', '/x', [2, 1]));
  });
});

describe('cursor', () => {
  test('round trip', () => {
    const c = encodeCursor('2026-01-01T00:00:00.123Z', '8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(decodeCursor(c)).toEqual(['2026-01-01T00:00:00.123Z', '8e03978e-40d5-43e8-bc93-6894a57f9324']);
  });
  test.each(['', 'abc', Buffer.from('{}').toString('base64url'), Buffer.from('["nope","x"]').toString('base64url')])('rejects %j', (c) => {
    expect(() => decodeCursor(c)).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('problem mapping', () => {
  test('dependency outages are 503 with Retry-After; client errors keep their 4xx; anything else is a generic 500', () => {
    expect(toProblem(new BreakerOpenError('postgres'), 5)).toMatchObject({ problem: { status: 503 }, headers: { 'retry-after': '5' } });
    expect(toProblem(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 2).problem.status).toBe(503);
    expect(toProblem(Object.assign(new Error('too big'), { statusCode: 413 }), 1).problem).toMatchObject({ status: 413, title: 'Content Too Large' });
    const internal = toProblem(new Error('secret detail'), 1).problem;
    expect(internal).toMatchObject({ status: 500 });
    expect(JSON.stringify(internal)).not.toContain('secret');
  });
});

describe('AWS auth tokens', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

  test('ElastiCache IAM token is a SigV4 presigned connect URL without scheme', async () => {
    const token = await elastiCacheToken({ cacheName: 'orders-cache', userId: 'svc-user', region: 'eu-west-1', credentials, signingDate: new Date('2026-01-01T00:00:00Z') });
    expect(token.startsWith('orders-cache/?')).toBe(true);
    const q = new URLSearchParams(token.split('?')[1]);
    expect(q.get('Action')).toBe('connect');
    expect(q.get('User')).toBe('svc-user');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20260101/eu-west-1/elasticache/aws4_request');
    expect(q.get('X-Amz-Expires')).toBe('900');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const again = await elastiCacheToken({ cacheName: 'orders-cache', userId: 'svc-user', region: 'eu-west-1', credentials, signingDate: new Date('2026-01-01T00:00:00Z') });
    expect(again).toBe(token); // deterministic for the same inputs
    const serverless = await elastiCacheToken({ cacheName: 'c', userId: 'u', region: 'eu-west-1', credentials, serverless: true });
    expect(new URLSearchParams(serverless.split('?')[1]).get('ResourceType')).toBe('ServerlessCache');
  });

  test('tokens are reused for a while, refetched after, and failures are not cached', async () => {
    let now = 0;
    let n = 0;
    let fail = false;
    const get = cachedToken(async () => {
      if (fail) throw new Error('no creds');
      return `t${++n}`;
    }, 100, () => now);
    expect(await get()).toBe('t1');
    expect(await get()).toBe('t1');
    now = 100;
    fail = true;
    await expect(get()).rejects.toThrow('no creds');
    fail = false;
    expect(await get()).toBe('t2');
  });
});

describe('metrics', () => {
  test('trace_spans_total reads the tracer\'s export counts at every scrape', async () => {
    const counts = { exported: 0, failed: 0 };
    const metrics = createMetrics(counts);
    expect(await metrics.registry.metrics()).toContain('trace_spans_total{outcome="exported"} 0');
    Object.assign(counts, { exported: 4096, failed: 7 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('trace_spans_total{outcome="exported"} 4096');
    expect(text).toContain('trace_spans_total{outcome="failed"} 7');
  });
});

describe('request ids', () => {
  test('a well-formed X-Request-Id is kept; otherwise a random UUID', () => {
    expect(requestId('load-42')).toBe('load-42');
    expect(requestId('trace:abc.DEF_1-2')).toBe('trace:abc.DEF_1-2');
    const generated = [requestId(undefined), requestId('has space'), requestId('x'.repeat(129)), requestId(['a', 'b']), requestId('quote"')];
    for (const id of generated) expect(isUuid(id)).toBe(true);
    expect(new Set(generated).size).toBe(generated.length);
  });
});

describe('logger', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
  };

  test('JSON lines with an ISO time, the level by name and the service', () => {
    const c = capture();
    createLogger('info', c.stream).info({ orderId: 'o-1' }, 'hello');
    expect(c.lines).toEqual([{ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), service: 'sample-service', orderId: 'o-1', msg: 'hello' }]);
  });

  test('fields named like a secret are redacted', () => {
    const c = capture();
    createLogger('info', c.stream).warn({ password: 'pw-1', token: 'tok-1', secret: 'sec-1', connectionString: 'postgres://app:pw-2@db/orders', visible: 'kept' }, 'configuration problem');
    expect(c.lines[0]).toMatchObject({ password: '[Redacted]', token: '[Redacted]', secret: '[Redacted]', connectionString: '[Redacted]', visible: 'kept' });
    expect(JSON.stringify(c.lines)).not.toMatch(/pw-|tok-|sec-/);
  });

  test('lines logged while a span is active carry its trace id, span id and flags; others none', () => {
    const manager = new AsyncLocalStorageContextManager();
    context.setGlobalContextManager(manager);
    try {
      const c = capture();
      const log = createLogger('info', c.stream);
      const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => log.info('inside'));
      log.info('outside');
      expect(c.lines[0]).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', trace_flags: '01', msg: 'inside' });
      expect(c.lines[1]).not.toHaveProperty('trace_id');
    } finally {
      context.disable();
    }
  });
});

describe('schemas', () => {
  // The service compiles them with validateSchema: false (start-up time); they are checked here instead.
  test('every shared and route validation schema is valid JSON Schema (draft-07 meta-schema)', async () => {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv, ['uuid', 'date-time']);
    for (const schema of sharedSchemas) expect([schema.$id, ajv.validateSchema(schema), ajv.errors ?? null]).toEqual([schema.$id, true, null]);
    for (const schema of sharedSchemas) ajv.addSchema(schema);
    const app = Fastify();
    for (const schema of sharedSchemas) app.addSchema(schema);
    app.setValidatorCompiler(({ schema }) => ajv.compile(schema));
    const parts: [string, unknown][] = [];
    app.addHook('onRoute', (route) => {
      for (const part of ['params', 'querystring', 'headers', 'body'] as const) {
        const schema = (route.schema as Record<string, unknown> | undefined)?.[part];
        if (schema !== undefined) parts.push([`${route.method} ${route.url} ${part}`, schema]);
      }
    });
    orderRoutes(app, {} as OrderService, { callerIdHeader: 'x-caller', idempotencyTtlSeconds: 60 });
    await app.ready();
    expect(parts.length).toBeGreaterThanOrEqual(4);
    for (const [where, schema] of parts) {
      expect([where, ajv.validateSchema(schema as object), ajv.errors ?? null]).toEqual([where, true, null]);
    }
    await app.close();
  });
});
