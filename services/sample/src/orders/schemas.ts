/** JSON Schemas of the /v1 API: the single source for validation, serialization and openapi.json. */
export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 10_000;
export const MAX_UNIT_PRICE_CENTS = 100_000_000;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * format: uuid is the RFC 9562 text form (8-4-4-4-12 hex digits), either case, as Postgres' uuid type and
 * OpenAPI mean it. Not ajv-formats' uuid, which also takes a "urn:uuid:" prefix that Postgres rejects.
 * The service registers it as ajv's uuid format (app.ts); cursors are checked with it too.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const uuid = { type: 'string', format: 'uuid', maxLength: 36 } as const;

/** A closed object schema (unknown fields rejected) registered under `$id`. */
function closedObject<P extends Record<string, unknown>>($id: string, required: (keyof P & string)[], properties: P) {
  return { $id, type: 'object', additionalProperties: false, required, properties } as const;
}

export const orderItemSchema = closedObject('OrderItem', ['sku', 'quantity', 'unitPriceCents'], {
  sku: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
  quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY },
  unitPriceCents: { type: 'integer', minimum: 0, maximum: MAX_UNIT_PRICE_CENTS },
});

export const createOrderSchema = closedObject('CreateOrderRequest', ['customerId', 'currency', 'items'], {
  customerId: uuid,
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 alphabetic code' },
  items: { type: 'array', minItems: 1, maxItems: MAX_ITEMS, items: { $ref: 'OrderItem#' } },
});

export const orderSchema = closedObject('Order', ['id', 'customerId', 'currency', 'items', 'totalCents', 'status', 'createdAt'], {
  id: uuid,
  customerId: uuid,
  currency: { type: 'string' },
  items: { type: 'array', items: { $ref: 'OrderItem#' } },
  totalCents: { type: 'integer', minimum: 0 },
  status: { type: 'string', enum: ['created'] },
  createdAt: { type: 'string', format: 'date-time' },
});

export const orderListSchema = closedObject('OrderList', ['orders', 'nextCursor'], {
  orders: { type: 'array', items: { $ref: 'Order#' } },
  nextCursor: { type: 'string', nullable: true, description: 'Opaque; pass as `cursor` for the next page. null on the last page.' },
});

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details (media type application/problem+json)',
  additionalProperties: true,
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
} as const;

export const sharedSchemas = [orderItemSchema, createOrderSchema, orderSchema, orderListSchema, problemSchema];

export interface OrderItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}
export interface CreateOrderInput {
  customerId: string;
  currency: string;
  items: OrderItem[];
}
export interface Order extends CreateOrderInput {
  id: string;
  totalCents: number;
  status: 'created';
  createdAt: string;
}

export function problemResponses(...codes: number[]): Record<string, unknown> {
  const descriptions: Record<number, string> = {
    400: 'Malformed request',
    404: 'Not found',
    409: 'A request with this Idempotency-Key is still in flight; retry later',
    413: 'Body too large',
    415: 'Unsupported media type',
    422: 'Idempotency-Key reused with a different payload',
    503: 'Database unavailable; honour Retry-After',
  };
  return Object.fromEntries(
    codes.map((c) => [c, { description: descriptions[c] ?? 'Error', content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } }]),
  );
}
