import type { FastifyInstance } from 'fastify';
import { callerIdentity, parseIdempotencyKey } from '../idempotency';
import { ProblemError } from '../problem';
import type { OrderService } from './service';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, problemResponses, type CreateOrderInput } from './schemas';

const JSON_CT = 'application/json; charset=utf-8';

export function orderRoutes(app: FastifyInstance, orders: OrderService, opts: { callerIdHeader: string; idempotencyTtlSeconds: number }): void {
  app.post<{ Body: CreateOrderInput }>(
    '/v1/orders',
    {
      schema: {
        operationId: 'createOrder',
        summary: 'Create an order (idempotent)',
        description:
          `Requires an Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header; quoted or bare, 1-255 printable ASCII). ` +
          `Keys are scoped to the calling workload and expire after ${opts.idempotencyTtlSeconds} seconds (IDEMPOTENCY_TTL_SECONDS), after which they are purged. ` +
          'A retry with the same key and payload returns the stored response (header Idempotent-Replayed: true); ' +
          'the same key with a different payload returns 422; a retry while the first request is in flight returns 409.',
        tags: ['orders'],
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', maxLength: 512, description: 'Unique key for this logical request' } },
          required: ['idempotency-key'],
        },
        body: { $ref: 'CreateOrderRequest#' },
        response: { 201: { description: 'Order created (or replayed)', $ref: 'Order#' }, ...problemResponses(400, 409, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const key = parseIdempotencyKey(request.headers['idempotency-key']);
      const caller = callerIdentity(request.headers[opts.callerIdHeader]);
      const result = await orders.create(caller, key, request.body);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      reply.code(result.status).header('location', `/v1/orders/${result.order.id}`);
      // A new order is already JSON text (the same text stored and cached); a replay is serialized by the schema.
      return result.json !== undefined ? reply.type(JSON_CT).send(result.json) : reply.send(result.order);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/orders/:id',
    {
      schema: {
        operationId: 'getOrder',
        summary: 'Get an order by id (cache-aside through Redis; send Cache-Control: no-cache to read from the database)',
        tags: ['orders'],
        params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
        response: { 200: { description: 'The order', $ref: 'Order#' }, ...problemResponses(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const bypass = /no-cache/i.test(request.headers['cache-control'] ?? '');
      const json = await orders.getJson(request.params.id.toLowerCase(), bypass);
      if (json === undefined) throw new ProblemError(404, 'order-not-found', 'Order not found', `No order with id ${request.params.id}.`);
      return reply.type(JSON_CT).send(json);
    },
  );

  app.get<{ Querystring: { customerId: string; limit?: number; cursor?: string } }>(
    '/v1/orders',
    {
      schema: {
        operationId: 'listOrders',
        summary: "List a customer's orders, newest first, with cursor pagination",
        tags: ['orders'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['customerId'],
          properties: {
            customerId: { type: 'string', format: 'uuid' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
            cursor: { type: 'string', maxLength: 200 },
          },
        },
        response: { 200: { description: 'A page of orders', $ref: 'OrderList#' }, ...problemResponses(400, 503) },
      },
    },
    async (request) => orders.list(request.query.customerId, request.query.limit ?? DEFAULT_PAGE_SIZE, request.query.cursor),
  );
}
