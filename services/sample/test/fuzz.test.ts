/** Fuzzed bad input (fast-check) against the real stack: whatever the body, header or path, never a 5xx. */
import fc from 'fast-check';
import { orderBody, startTestService, type TestService } from './helpers';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ OUTBOX_RELAY_ENABLED: 'false' });
});
afterAll(async () => t.close());

const RUNS = 150;

function expectProblemNot5xx(res: { statusCode: number; headers: Record<string, unknown> }): void {
  expect(res.statusCode).toBeLessThan(500);
  if (res.statusCode >= 400) expect(String(res.headers['content-type'])).toContain('application/problem+json');
}

const jsonish = fc.oneof(
  fc.jsonValue(),
  fc.record({
    customerId: fc.oneof(fc.uuid(), fc.string(), fc.integer(), fc.constant(null)),
    currency: fc.oneof(fc.constantFrom('EUR', 'USD', 'eur', 'XXX', 'EURO', ''), fc.string()),
    items: fc.oneof(
      fc.array(
        fc.record(
          {
            sku: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
            quantity: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(Number.MAX_SAFE_INTEGER)),
            unitPriceCents: fc.oneof(fc.integer(), fc.double(), fc.bigInt().map(String)),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 120 },
      ),
      fc.jsonValue(),
    ),
  }, { requiredKeys: [] }),
);

test('POST /v1/orders with arbitrary JSON bodies never yields 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(jsonish, fc.option(fc.string({ maxLength: 300 }), { nil: undefined }), async (body, key) => {
      const res = await t.service.app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { 'content-type': 'application/json', ...(key !== undefined ? { 'idempotency-key': key } : {}) },
        payload: JSON.stringify(body),
      });
      expectProblemNot5xx(res);
    }),
    { numRuns: RUNS },
  );
});

test('arbitrary raw bytes and content types never yield 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 2_000 }),
      fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/merge-patch+json'),
      async (bytes, contentType) => {
        const res = await t.service.app.inject({
          method: 'POST',
          url: '/v1/orders',
          headers: { 'content-type': contentType, 'idempotency-key': 'k' },
          payload: Buffer.from(bytes),
        });
        expectProblemNot5xx(res);
      },
    ),
    { numRuns: RUNS },
  );
});

test('valid bodies with arbitrary Idempotency-Key / caller headers never yield 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.string({ maxLength: 600 }), async (key, caller) => {
      const res = await t.service.app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { 'content-type': 'application/json', 'idempotency-key': key.replace(/[\r\n\0]/g, ''), 'x-forwarded-client-cert': caller.replace(/[\r\n\0]/g, '') },
        payload: JSON.stringify(orderBody()),
      });
      expectProblemNot5xx(res);
    }),
    { numRuns: RUNS },
  );
});

/** Strings a validator might take for a UUID: other spellings of one (URN, braces, case, padding) and near misses. */
const uuidLike = fc.oneof(
  fc
    .tuple(fc.constantFrom('', 'urn:uuid:', 'URN:UUID:', '{', ' ', '0'), fc.uuid(), fc.constantFrom('', '}', ' ', '0', '\n'), fc.boolean())
    .map(([before, uuid, after, upper]) => before + (upper ? uuid.toUpperCase() : uuid) + after),
  fc.uuid().map((uuid) => uuid.replace(/-/g, '')),
  fc.tuple(fc.uuid(), fc.nat(35), fc.integer({ min: 0, max: 0x17f })).map(([uuid, at, code]) => uuid.slice(0, at) + String.fromCharCode(code) + uuid.slice(at + 1)),
);

test('arbitrary ids, query strings and cursors on the GET routes never yield 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), uuidLike), fc.string({ maxLength: 300 }), fc.string({ maxLength: 50 }), async (id, cursor, limit) => {
      for (const url of [
        `/v1/orders/${encodeURIComponent(id)}`,
        `/v1/orders?customerId=${encodeURIComponent(id)}&cursor=${encodeURIComponent(cursor)}&limit=${encodeURIComponent(limit)}`,
        `/v1/orders?customerId=6f1c2f4e-8a9b-4c1d-9e2f-3a4b5c6d7e8f&cursor=${encodeURIComponent(cursor)}`,
      ]) {
        expectProblemNot5xx(await t.service.app.inject({ method: 'GET', url }));
      }
    }),
    { numRuns: RUNS },
  );
});
