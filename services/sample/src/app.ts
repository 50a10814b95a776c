/**
 * Composition: fastify app + Postgres + Redis + outbox relay, with metrics, one access line per response,
 * problem+json errors and a graceful drain. No request state is kept in process between requests.
 * Tracing is set up before this module is loaded (src/telemetry.ts).
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import { Db } from './db';
import { routeOf } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { orderRoutes } from './orders/routes';
import { isUuid, sharedSchemas } from './orders/schemas';
import { OrderService } from './orders/service';
import { OutboxRelay } from './outbox';
import { sendProblem, toProblem } from './problem';
import { OrderCache, RedisClient } from './redis';
import { SERVICE_VERSION, type Telemetry } from './telemetry';

export interface Service {
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly redis: RedisClient;
  readonly relay: OutboxRelay;
  readonly metrics: Metrics;
  /** Connect Redis in the background, start the relay, listen. */
  listen(): Promise<string>;
  /** Readiness off, wait delayMs, stop accepting and drain, close pools. */
  stop(delayMs?: number): Promise<void>;
}

/** Accepted X-Request-Id values: anything else gets a generated id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const SLOW_REQUEST_MS = 1_000;

/** Request ids: an incoming X-Request-Id when well formed, else a random UUID. Never sent to clients. */
export function requestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Body: strict types, unknown fields rejected; query/params/headers: strings coerced to schema types.
 * The schemas are the service's own and are checked against the JSON Schema meta-schema by the unit
 * tests, so ajv does not check them again at every start (validateSchema: false).
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes: coerce, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, validateSchema: false });
  addFormats(ajv, ['date-time']);
  ajv.addFormat('uuid', { type: 'string', validate: isUuid });
  for (const s of sharedSchemas) ajv.addSchema(s);
  return ajv;
}

/**
 * fastify's per-request log lines (its LogController), reduced to one access line per response:
 * `info`, or `warn` for 5xx and requests slower than 1 s, `error` when the response itself failed.
 * ACCESS_LOG=errors keeps only 4xx, 5xx, slow and failed responses; ACCESS_LOG=off none. The line is
 * fastify's own ("request completed" with `req`, `res` and `responseTime`), shaped by the logger's
 * serializers and redaction (src/logger.ts).
 */
export class AccessLogController extends LogController {
  constructor(private readonly mode: Config['accessLog']) {
    super({ disableRequestLogging: mode === 'off' });
  }

  /** No "incoming request" line: the access line says all of it once the response is complete. */
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const responseTime = reply.elapsedTime;
    const status = reply.statusCode;
    const slow = responseTime >= SLOW_REQUEST_MS;
    if (this.mode === 'errors' && error == null && status < 400 && !slow) return;
    if (error != null) reply.log.error({ req: request, res: reply, err: error, responseTime }, 'request errored');
    else if (status >= 500 || slow) reply.log.warn({ req: request, res: reply, responseTime }, 'request completed');
    else reply.log.info({ req: request, res: reply, responseTime }, 'request completed');
  }
}

export function buildApp(config: Config, logger: Logger, deps: { db: Db; redis: RedisClient; metrics: Metrics }, state: { draining: boolean }): FastifyInstance {
  const { db, redis, metrics } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new AccessLogController(config.accessLog),
    genReqId: (req) => requestId(req.headers['x-request-id']),
    bodyLimit: config.http.bodyLimitBytes,
    // Every phase of a connection is bounded by Node's HTTP server: receiving a request, the first one
    // included (a connection that sends nothing gets 408 and is closed), takes at most requestTimeout (its
    // headers at most 60 s), checked every second; an idle keep-alive connection is closed after
    // keepAliveTimeout. No socket inactivity timeout (fastify's connectionTimeout stays 0): a slow handler is
    // bounded by the dependency timeouts instead.
    requestTimeout: config.http.requestTimeoutMs,
    http: { connectionsCheckingInterval: 1_000, headersTimeout: Math.min(60_000, config.http.requestTimeoutMs) },
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
  });

  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  for (const s of sharedSchemas) app.addSchema(s);
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415

  // Every response, under its route template (see routeOf): the histogram the platform's canary analysis reads.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe({ method: request.method, route: routeOf(request), status_code: reply.statusCode }, reply.elapsedTime / 1000);
    done();
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3', // 3.0 so the contract diff (openapi-diff) can read it
      info: {
        title: 'Sample orders service',
        version: SERVICE_VERSION,
        description: 'Stateless orders API. Errors are RFC 9457 application/problem+json.',
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });

  const retryAfter = Math.max(1, Math.ceil(config.breaker.resetMs / 1000));
  app.setErrorHandler((err, request, reply) => {
    const { problem, headers } = toProblem(err, retryAfter);
    if (problem.status >= 500) {
      metrics.dependencyErrors.inc({ dependency: problem.status === 503 ? 'postgres' : 'unknown' });
      request.log.error({ err }, 'request failed');
    }
    return sendProblem(reply, request, problem, headers);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, { type: 'about:blank', title: 'Not Found', status: 404, detail: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );

  // Routes register after @fastify/swagger so its onRoute hook sees them (openapi.json is generated from them).
  void app.register(async (app) => {
    const ops = { schema: { tags: ['operations'] } } as const;
    app.get('/livez', { schema: { ...ops.schema, summary: 'Liveness: the process is up (no dependency checks)' } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { ...ops.schema, summary: 'Readiness: Postgres reachable and not draining; Redis is optional' } }, async (request, reply) => {
      const redisUp = redis.client.status === 'ready' && !redis.breaker.isOpen();
      if (state.draining) return reply.code(503).send({ status: 'draining', checks: { postgres: 'unknown', redis: redisUp ? 'up' : 'down' } });
      try {
        await db.query('SELECT 1');
        return { status: 'ready', checks: { postgres: 'up', redis: redisUp ? 'up' : 'down' } };
      } catch (err) {
        request.log.warn({ err: (err as Error).message }, 'not ready: postgres unavailable');
        return reply.code(503).send({ status: 'unavailable', checks: { postgres: 'down', redis: redisUp ? 'up' : 'down' } });
      }
    });
    app.get('/metrics', { schema: { ...ops.schema, summary: 'Prometheus metrics (text exposition format)' } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    app.get('/openapi.json', { schema: { ...ops.schema, summary: 'This OpenAPI document' } }, async () => app.swagger());

    const orders = new OrderService(db, new OrderCache(redis, config.redis.keyPrefix, config.cacheTtlSeconds, metrics), metrics, config.idempotency);
    orderRoutes(app, orders, { callerIdHeader: config.http.callerIdHeader, idempotencyTtlSeconds: config.idempotency.ttlSeconds });
  });
  return app;
}

/** `telemetry`: the started tracing, whose export counts the metrics expose. */
export function createService(config: Config, logger: Logger, telemetry?: Pick<Telemetry, 'spans'>): Service {
  const metrics = createMetrics(telemetry?.spans);
  const db = new Db(config, logger, metrics);
  const redis = new RedisClient(config, logger, metrics);
  const relay = new OutboxRelay(db, redis, config.outbox, logger, metrics);
  metrics.observeOutbox(() => relay.backlog());
  const state = { draining: false };
  const app = buildApp(config, logger, { db, redis, metrics }, state);
  return {
    app,
    db,
    redis,
    relay,
    metrics,
    async listen() {
      await redis.start();
      if (config.outbox.enabled) relay.start();
      return app.listen({ port: config.port, host: config.host });
    },
    async stop(delayMs = config.shutdown.delayMs) {
      state.draining = true;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await relay.stop();
      await app.close();
      await Promise.allSettled([db.close(), redis.close()]);
    },
  };
}
