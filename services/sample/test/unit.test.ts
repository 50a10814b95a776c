/** Unit tests: pure logic, no I/O. */
import { BreakerOpenError, CircuitBreaker } from '../src/breaker';
import { cachedToken, elastiCacheToken } from '../src/aws-auth';
import { ConfigError, loadConfig } from '../src/config';
import { poolConfig } from '../src/db';
import { callerIdentity, canonicalJson, parseIdempotencyKey, requestHash } from '../src/idempotency';
import { toProblem } from '../src/problem';
import { backoffDelay, isTransientDbError, retry } from '../src/retry';
import { decodeCursor, encodeCursor } from '../src/orders/service';
import { Histogram, Registry } from 'prom-client';
import { requestId } from '../src/app';
import fc from 'fast-check';
import { CommandWatchdog } from '../src/redis';
import { waitFor } from './helpers';
import { accessLogFor, createLogger, isoNow, LineBuffer, type AccessEntry } from '../src/logger';
import { BoundCounter, BoundHistogram, createMetrics } from '../src/metrics';
import { startServerSpan, startTelemetry } from '../src/telemetry';
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
  const reference = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

  test('agrees with the RFC 9562 text-form regexp on any string, and on near misses of UUIDs', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (value) => isUuid(value) === reference.test(value)), { numRuns: 2000 });
    const nearMiss = fc
      .tuple(fc.uuid(), fc.nat(35), fc.integer({ min: 0, max: 0x17f }))
      .map(([uuid, at, code]) => uuid.slice(0, at) + String.fromCharCode(code) + uuid.slice(at + 1));
    fc.assert(fc.property(nearMiss, (value) => isUuid(value) === reference.test(value)), { numRuns: 5000 });
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

describe('access log line', () => {
  const entry = (over: Partial<AccessEntry> = {}): AccessEntry => ({
    reqId: 'c8b7e6a0-3f0e-4a57-9f0c-2a1d1b7b1f7a',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    method: 'GET',
    route: '/v1/orders/:id',
    quotedRoute: JSON.stringify('/v1/orders/:id'),
    statusCode: 200,
    responseTimeMs: 1.23,
    ...over,
  });
  const capture = () => {
    const lines: string[] = [];
    const out = { write: (chunk: Buffer) => (lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)), true), flushSync: () => undefined };
    return { lines, buffer: new LineBuffer(out) };
  };
  /** A line with its time replaced: lines written at different moments compare equal. */
  const strip = (l: string) => l.replace(/"time":"[^"]+"/, '"time":"T"');

  test.each([
    ['info', entry()],
    ['warn', entry({ statusCode: 503, responseTimeMs: 1500 })],
    ['info', entry({ traceId: undefined, spanId: undefined, method: 'DELETE', route: 'unmatched', quotedRoute: '"unmatched"' })],
    ['info', entry({ reqId: 'we"ird\\id', responseTimeMs: Number.NaN })],
    ['info', entry({ plainReqId: true })],
    ['warn', entry({ plainReqId: true, reqId: 'load-42', traceId: undefined, spanId: undefined, statusCode: 500 })],
    ['info', entry({ plainReqId: true, route: '/v1/größe/:id', quotedRoute: JSON.stringify('/v1/größe/:id') })], // not ASCII: written as UTF-8
    // Response times written digit by digit, and those written as their text.
    ...[0, 0.01, 0.1, 0.5, 1, 1.05, 9.99, 12.3, 100, 1234.56, 21474836.47, 21474836.48, 1.005, 1e21, -1].map(
      (responseTimeMs) => ['info', entry({ plainReqId: true, responseTimeMs })] as const,
    ),
  ] as const)('is the line pino writes for the same fields (%s)', (level, e) => {
    // The service logger's own line writer against pino itself, same options, same fields.
    const direct = capture();
    const viaPino = capture();
    const service = createLogger('info', undefined, direct.buffer);
    const reference = createLogger('info', viaPino.buffer);
    accessLogFor(service)(level, e);
    accessLogFor(reference)(level, e); // not created with its own buffer: falls back to logger[level](fields, msg)
    direct.buffer.flushSync();
    viaPino.buffer.flushSync();
    expect(direct.lines).toHaveLength(1);
    expect(strip(direct.lines[0]!)).toBe(strip(viaPino.lines[0]!));
    expect(JSON.parse(direct.lines[0]!)).toMatchObject({ level, service: 'sample-service', reqId: e.reqId, statusCode: e.statusCode, msg: 'request completed' });
  });

  test('writes any response time the service logs (hundredths of a millisecond) as pino does', () => {
    const direct = capture();
    const viaPino = capture();
    const service = accessLogFor(createLogger('info', undefined, direct.buffer));
    const reference = accessLogFor(createLogger('info', viaPino.buffer));
    const elapsed = fc.oneof(fc.double({ min: 0, max: 1e8, noNaN: true }), fc.integer({ min: 0, max: 100_000 }).map((n) => n / 100));
    fc.assert(
      fc.property(elapsed, (ms) => {
        const e = entry({ plainReqId: true, responseTimeMs: Math.round(ms * 100) / 100 }); // as app.ts rounds it
        service('info', e);
        reference('info', e);
      }),
      { numRuns: 3000 },
    );
    direct.buffer.flushSync();
    viaPino.buffer.flushSync();
    expect(direct.lines.map(strip)).toEqual(viaPino.lines.map(strip));
    expect(direct.lines).toHaveLength(3000);
  });

  test('the access line carries the ISO time of its millisecond, across seconds and levels', () => {
    const c = capture();
    const log = accessLogFor(createLogger('info', undefined, c.buffer));
    const times = [1764050412000, 1764050412005, 1764050412045, 1764050412999, 1764050413000, 1764050413000, 1764028799999, 1764028800000, 1709164800007];
    const now = jest.spyOn(Date, 'now');
    try {
      times.forEach((ms, i) => {
        now.mockReturnValue(ms);
        log(i % 2 === 0 ? 'info' : 'warn', entry({ plainReqId: true }));
      });
    } finally {
      now.mockRestore();
    }
    c.buffer.flushSync();
    expect(c.lines.map((l) => (JSON.parse(l) as { time: string; level: string }).time)).toEqual(times.map((ms) => new Date(ms).toISOString()));
    expect(c.lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(times.map((_, i) => (i % 2 === 0 ? 'info' : 'warn')));
  });

  test('respects the level: nothing below it is written', () => {
    const c = capture();
    const logger = createLogger('warn', undefined, c.buffer);
    accessLogFor(logger)('info', entry());
    accessLogFor(logger)('warn', entry({ statusCode: 500 }));
    c.buffer.flushSync();
    expect(c.lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['warn']);
  });

  test('LineBuffer keeps order, writes in chunks, and flush() hands over everything', () => {
    const writes: Buffer[] = [];
    const buffer = new LineBuffer({ write: (chunk) => (writes.push(Buffer.from(chunk)), true), flushSync: () => undefined });
    const lines = Array.from({ length: 400 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(60)}"}\n`);
    for (const l of lines) buffer.write(l);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThan(10);
    let flushed = false;
    buffer.flush(() => (flushed = true));
    expect(flushed).toBe(true);
    expect(Buffer.concat(writes).toString('utf8')).toBe(lines.join(''));
  });

  test('LineBuffer encodes multi-byte text exactly and hands over a line longer than a chunk on its own', () => {
    const writes: Buffer[] = [];
    const buffer = new LineBuffer({ write: (chunk) => (writes.push(Buffer.from(chunk)), true), flushSync: () => undefined });
    const lines = [
      '{"msg":"grüße, 注文, 🚀"}\n',
      `{"big":"${'é'.repeat(40_000)}"}\n`, // 80 000 bytes: more than a whole chunk
      ...Array.from({ length: 300 }, (_, i) => `{"n":${i},"text":"${'ü€'.repeat(i % 50)}"}\n`),
    ];
    for (const l of lines) buffer.write(l);
    buffer.flushSync();
    expect(Buffer.concat(writes).toString('utf8')).toBe(lines.join(''));
    expect(writes.some((w) => w.length === Buffer.byteLength(lines[1]!))).toBe(true);
  });

  test('LineBuffer: a line assembled in place (reserve, bytes, ascii, byte, digits, endLine) gives the same bytes as write, in order with it', () => {
    const writes: Buffer[] = [];
    const buffer = new LineBuffer({ write: (chunk) => (writes.push(Buffer.from(chunk)), true), flushSync: () => undefined });
    const expected: string[] = [];
    for (let i = 0; i < 900; i++) {
      if (i % 3 === 0) {
        const line = `{"n":${i},"text":"${'ü€'.repeat(i % 40)}"}\n`;
        buffer.write(line);
        expected.push(line);
        continue;
      }
      const pad = 'x'.repeat(i % 90);
      const digits = [i, i % 7, 2 ** 31 - 1 - i] as const;
      expect(buffer.reserve(200)).toBe(true);
      buffer.bytes(Buffer.from('{"n":', 'latin1'));
      buffer.digits(digits[0]);
      buffer.ascii(`,"pad":"${pad}","z":`);
      buffer.digits(digits[1], 3);
      buffer.byte(44); // ,
      buffer.digits(digits[2]);
      buffer.ascii('}\n');
      buffer.endLine();
      expected.push(`{"n":${i},"pad":"${pad}","z":${String(digits[1]).padStart(3, '0')},${digits[2]}}\n`);
    }
    expect(buffer.reserve(70_000)).toBe(false); // more than a chunk can hold: the caller writes it with write()
    buffer.flushSync();
    expect(writes.length).toBeGreaterThan(2); // handed over in chunks, as write() does
    expect(Buffer.concat(writes).toString('utf8')).toBe(expected.join(''));
  });

  test('log time is the ISO form of the current millisecond', () => {
    const now = jest.spyOn(Date, 'now');
    try {
      // Within one second, across seconds, midnight and a leap day; 1-, 2- and 3-digit milliseconds.
      for (const ms of [1764050412000, 1764050412005, 1764050412045, 1764050412045, 1764050412999, 1764050413000, 1764028799999, 1764028800000, 1709164800007]) {
        now.mockReturnValue(ms);
        expect(isoNow()).toBe(new Date(ms).toISOString());
      }
    } finally {
      now.mockRestore();
    }
    const before = Date.now();
    const iso = isoNow();
    expect(Date.parse(iso)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(iso)).toBeLessThanOrEqual(Date.now());
  });
});

describe('Redis command watchdog', () => {
  const command = () => {
    const c = { isSettled: false, error: undefined as Error | undefined, reject: (err: Error) => ((c.error = err), (c.isSettled = true)) };
    return c;
  };
  const queueOf = (items: ReturnType<typeof command>[]) => ({
    commandQueue: { get length() { return items.length; }, peekAt: (i: number) => (items[i] === undefined ? undefined : { command: items[i]! }) },
  });

  test('rejects a command seen waiting for the timeout, as ioredis commandTimeout does, and no earlier', () => {
    const items = [command(), command()];
    const dog = new CommandWatchdog(queueOf(items), 100);
    expect(dog.periodMs).toBe(25);
    expect(dog.check(1_000)).toBe(0); // first seen
    expect(dog.check(1_099)).toBe(0);
    items.push(command()); // written later: its own clock
    expect(dog.check(1_100)).toBe(2);
    expect(items[0]!.error?.message).toBe('Command timed out');
    expect(items[1]!.error?.message).toBe('Command timed out');
    expect(items[2]!.isSettled).toBe(false);
    expect(dog.check(1_199)).toBe(0);
    expect(dog.check(1_200)).toBe(1);
    expect(items[2]!.error?.message).toBe('Command timed out');
  });

  test('answered commands are left alone and forgotten', () => {
    const items = [command(), command()];
    const dog = new CommandWatchdog(queueOf(items), 100);
    dog.check(0);
    items[0]!.isSettled = true; // answered
    expect(dog.check(150)).toBe(1);
    expect(items[0]!.error).toBeUndefined();
    items.splice(0, 2);
    expect(dog.check(300)).toBe(0);
    expect(dog.check(300)).toBe(0);
  });

  test('start() checks every quarter of the timeout; stop() ends it', async () => {
    const items = [command()];
    const dog = new CommandWatchdog(queueOf(items), 40);
    dog.start();
    const t0 = Date.now();
    await waitFor(() => items[0]!.isSettled, 1_000, 5);
    const waited = Date.now() - t0;
    dog.stop();
    expect(waited).toBeGreaterThanOrEqual(40);
    expect(waited).toBeLessThan(500);
    items.push(command());
    await new Promise((r) => setTimeout(r, 120));
    expect(items[1]!.isSettled).toBe(false);
  });
});

describe('metrics on the request path', () => {
  test('BoundHistogram is exposed exactly like prom-client\'s Histogram', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const h = new BoundHistogram('req_seconds', 'help text', ['method', 'route', 'status_code'], buckets, ours);
    const ref = new Histogram({ name: 'req_seconds', help: 'help text', labelNames: ['method', 'route', 'status_code'], buckets, registers: [theirs] });
    const cell = h.bind('GET', '/v1/orders/:id', 200);
    for (const v of [0.0005, 0.001, 0.002, 0.5, 3, 0.05]) {
      cell.observe(v);
      ref.observe({ method: 'GET', route: '/v1/orders/:id', status_code: 200 }, v);
    }
    h.observe({ method: 'POST', route: '/v1/orders', status_code: 201 }, 0.02);
    ref.observe({ method: 'POST', route: '/v1/orders', status_code: 201 }, 0.02);
    expect(h.bind('GET', '/v1/orders/:id', 200)).toBe(cell);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(() => cell.observe(Number.NaN)).toThrow(TypeError);
  });

  test('BoundCounter counts are in the exposition at every scrape', async () => {
    const registry = new Registry();
    const c = new BoundCounter(registry, 'lookups_total', 'help', 'result', ['hit', 'miss'] as const);
    c.inc('hit');
    c.inc('hit');
    expect(await registry.metrics()).toContain('lookups_total{result="hit"} 2');
    c.inc('miss');
    c.inc('hit');
    const text = await registry.metrics();
    expect(text).toContain('lookups_total{result="hit"} 3');
    expect(text).toContain('lookups_total{result="miss"} 1');
  });

  test('trace_spans_total reads the tracer\'s counts at every scrape', async () => {
    const counts = { exported: 0, dropped: 0, failed: 0 };
    const metrics = createMetrics(counts);
    expect(await metrics.registry.metrics()).toContain('trace_spans_total{outcome="exported"} 0');
    Object.assign(counts, { exported: 4096, dropped: 2048, failed: 7 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('trace_spans_total{outcome="exported"} 4096');
    expect(text).toContain('trace_spans_total{outcome="dropped"} 2048');
    expect(text).toContain('trace_spans_total{outcome="failed"} 7');
  });
});

describe('request ids', () => {
  test('a well-formed X-Request-Id is kept; otherwise ids are unique, short and need no JSON escaping', () => {
    expect(requestId('load-42')).toBe('load-42');
    expect(requestId('trace:abc.DEF_1-2')).toBe('trace:abc.DEF_1-2');
    const generated = [requestId(undefined), requestId('has space'), requestId('x'.repeat(129)), requestId(['a', 'b']), requestId('quote"')];
    for (let i = 0; i < 1000; i++) generated.push(requestId(undefined));
    expect(new Set(generated).size).toBe(generated.length);
    for (const id of generated) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{12}-[0-9a-z]+$/);
      expect(JSON.stringify(id)).toBe(`"${id}"`);
    }
  });
});

describe('server span sampling', () => {
  test('root requests are sampled by ratio before any span exists; a traceparent decides for itself', async () => {
    const telemetry = startTelemetry({ serviceName: 'unit', otlpEndpoint: undefined, samplingRatio: 0 });
    try {
      // No traceparent, ratio 0: no span at all (no ids, nothing to end or export).
      expect(startServerSpan('GET', '/v1/orders/x', {})).toBeUndefined();
      expect(startServerSpan('GET', '/v1/orders/x', { traceparent: 'not-a-traceparent' })).toBeUndefined();
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      // A sampled parent is recorded whatever the ratio (parent-based), in the caller's trace.
      const sampled = startServerSpan('GET', '/v1/orders/x', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
      expect(sampled?.isRecording()).toBe(true);
      expect(sampled?.spanContext().traceId).toBe(traceId);
      expect(sampled?.spanContext().spanId).not.toBe('00f067aa0ba902b7');
      sampled?.end();
      // An unsampled parent: a non-recording span that keeps the caller's trace id (for the log lines).
      const unsampled = startServerSpan('GET', '/v1/orders/x', { traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
      expect(unsampled?.isRecording()).toBe(false);
      expect(unsampled?.spanContext().traceId).toBe(traceId);
    } finally {
      await telemetry.shutdown();
    }
    const all = startTelemetry({ serviceName: 'unit', otlpEndpoint: undefined, samplingRatio: 1 });
    try {
      const root = startServerSpan('GET', '/v1/orders/x', {});
      expect(root?.isRecording()).toBe(true);
      expect(root?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
      root?.end();
    } finally {
      await all.shutdown();
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
