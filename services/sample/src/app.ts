/**
 * Composition: fastify app + Postgres + Redis + outbox relay, with tracing, metrics, problem+json
 * errors and a graceful drain. No request state is kept in process between requests.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Socket } from 'node:net';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import swagger from '@fastify/swagger';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import { Db } from './db';
import { accessLogFor } from './logger';
import { createMetrics, type HistogramCell, type Metrics } from './metrics';
import { orderRoutes } from './orders/routes';
import { isUuid, sharedSchemas } from './orders/schemas';
import { OrderService } from './orders/service';
import { OutboxRelay } from './outbox';
import { sendProblem, toProblem } from './problem';
import { OrderCache, RedisClient } from './redis';
import { SERVICE_VERSION, startServerSpan, type Telemetry } from './telemetry';

declare module 'node:http' {
  interface IncomingMessage {
    otelSpan?: Span;
  }
}
declare module 'fastify' {
  interface FastifyRequest {
    /** The route that handled the request, set as its handler starts (see buildApp); null before that. */
    observation: RouteObservation | null;
  }
}

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

/** Accepted X-Request-Id values; like generated ids (base64url and base 36) they need no escaping in JSON (see plainReqId). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const SLOW_REQUEST_MS = 1_000;

/**
 * validateSchema: false — the schemas are the service's own, fixed at build time and checked against the
 * JSON Schema meta-schema by the unit tests; checking them again at every start compiled the meta-schema
 * once per instance, a quarter of the start-up CPU.
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes: coerce, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, validateSchema: false });
  addFormats(ajv, ['date-time']);
  ajv.addFormat('uuid', { type: 'string', validate: isUuid });
  for (const s of sharedSchemas) ajv.addSchema(s);
  return ajv;
}

/** What the response hook needs of a route, made once per route: its template, quoted, and metric cells. */
interface RouteObservation {
  readonly template: string;
  readonly quoted: string;
  /** False for the not-found handler: no http.route on the span. */
  readonly matched: boolean;
  readonly cells: Record<string, HistogramCell[]>;
}
function routeObservation(template: string, matched: boolean): RouteObservation {
  return { template, quoted: JSON.stringify(template), matched, cells: {} };
}

/**
 * Request ids: an incoming X-Request-Id when well formed, else a random per-process prefix and a
 * counter (unique across replicas; cheaper than a UUID per request). Never sent to clients.
 */
const REQUEST_ID_PREFIX = randomBytes(9).toString('base64url');
let requestSeq = 0;
export function requestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `${REQUEST_ID_PREFIX}-${(++requestSeq).toString(36)}`;
}

/** Correlation fields for every request-scoped log line: request id and the trace/span ids. */
function requestLogFields(request: FastifyRequest): { reqId: string; trace_id?: string; span_id?: string } {
  const span = request.raw.otelSpan;
  if (span === undefined) return { reqId: request.id };
  const sc = span.spanContext();
  return { reqId: request.id, trace_id: sc.traceId, span_id: sc.spanId };
}

/**
 * Closes connections that send no request within `ms`. fastify's connectionTimeout (server.timeout) does
 * that too, but Node then re-arms the socket's timer at every request and refreshes it on every read and
 * write, about 1 500 instructions per request. This timer is armed once per connection and, like
 * server.timeout, ends a connection that stays silent for `ms` up to its first response; Node then replaces
 * it with keepAliveTimeout (between requests), and requestTimeout/headersTimeout bound each later request
 * while it is received, the service's own dependency timeouts while it is handled.
 */
export function idleConnectionTimeout(server: http.Server, ms: number): void {
  server.on('connection', (socket: Socket) => socket.setTimeout(ms)); // Node's http server destroys the socket on timeout
}

/**
 * fastify's log controller (its documented extension point for the lines it logs per request), made to do the
 * service's per-response work instead of fastify's two request lines: `requestCompleted` runs once per
 * response when it has finished or failed, from the `finish`/`error` listener fastify sets up on every
 * response whenever it has a logger. Done there rather than in an onResponse hook, the work costs no
 * extra hook runner per request. fastify's other lines (serializer, writeHead and response-stream errors)
 * are kept.
 */
export class ObservingLogController extends LogController {
  constructor(private readonly observe: (request: FastifyRequest, reply: FastifyReply) => void) {
    super({ disableRequestLogging: false });
  }

  /** No "incoming request" line: one access line per request, when it has completed. */
  override incomingRequest(): void {}

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    this.observe(request, reply);
  }
}

/**
 * The logger fastify gets: the service's logger, whose child() is itself. No per-request child logger
 * (a pino child per request is measurably costly at 20k req/s): request-scoped lines add
 * requestLogFields() themselves. Not a custom childLoggerFactory, which did the same but made fastify
 * re-validate the returned logger on every request (seven method lookups by name, about 2 000
 * instructions per request).
 */
function withoutChildren(logger: Logger): FastifyBaseLogger {
  const forFastify = Object.create(logger) as FastifyBaseLogger;
  forFastify.child = () => forFastify;
  return forFastify;
}

export function buildApp(config: Config, logger: Logger, deps: { db: Db; redis: RedisClient; metrics: Metrics }, state: { draining: boolean }): FastifyInstance {
  const { db, redis, metrics } = deps;
  // Metrics, the end of the server span and the access line: once per response, in the log controller's
  // requestCompleted (see ObservingLogController). What depends only on the route is made once per route.
  const accessLog = accessLogFor(logger);
  const observations = new Map<string, RouteObservation>();
  const observationOf = (template: string): RouteObservation => {
    let route = observations.get(template);
    if (route === undefined) observations.set(template, (route = routeObservation(template, true)));
    return route;
  };
  const unmatched = routeObservation('unmatched', false);
  const routeOf = (request: FastifyRequest): RouteObservation => {
    if (request.observation !== null) return request.observation;
    // Not through a handler: rejected before it (400, 413, 415) or no route (404). Rare: a getter is fine here.
    const url = request.is404 ? undefined : request.routeOptions.url;
    return url === undefined ? unmatched : observationOf(url);
  };
  const observe = (request: FastifyRequest, reply: FastifyReply): void => {
    const route = routeOf(request);
    const method = request.method;
    const status = reply.statusCode;
    const elapsedMs = reply.elapsedTime;
    const byStatus = (route.cells[method] ??= []);
    (byStatus[status] ??= metrics.httpDuration.bind(method, route.template, status)).observe(elapsedMs / 1000);

    const span = request.raw.otelSpan;
    let traceId: string | undefined;
    let spanId: string | undefined;
    if (span !== undefined) {
      if (span.isRecording()) {
        span.updateName(`${method} ${route.template}`);
        if (route.matched) span.setAttribute('http.route', route.template);
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      const sc = span.spanContext();
      traceId = sc.traceId;
      spanId = sc.spanId;
    }
    const slow = elapsedMs >= SLOW_REQUEST_MS;
    if (config.accessLog === 'all' || (config.accessLog === 'errors' && (status >= 400 || slow))) {
      accessLog(status >= 500 || slow ? 'warn' : 'info', {
        reqId: request.id,
        plainReqId: true,
        traceId,
        spanId,
        method,
        route: route.template,
        quotedRoute: route.quoted,
        statusCode: status,
        responseTimeMs: Math.round(elapsedMs * 100) / 100,
      });
    }
  };

  const app = Fastify({
    loggerInstance: withoutChildren(logger),
    logController: new ObservingLogController(observe),
    bodyLimit: config.http.bodyLimitBytes,
    // HTTP server timeouts, every phase bounded without a timer re-armed per request (see idleConnectionTimeout):
    // receiving a request: requestTimeout and headersTimeout, checked every second (Node's default is every 30 s);
    // idle keep-alive connections: keepAliveTimeout; a connection that never sends a request: idleConnectionTimeout.
    requestTimeout: config.http.requestTimeoutMs,
    http: { connectionsCheckingInterval: 1_000, headersTimeout: Math.min(60_000, config.http.requestTimeoutMs) },
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    connectionTimeout: 0,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // genReqId is the first per-request callback fastify offers, so the server span starts there.
    genReqId: (req) => {
      req.otelSpan = startServerSpan(req.method ?? 'GET', req.url ?? '', req.headers);
      return requestId(req.headers['x-request-id']);
    },
    routerOptions: { maxParamLength: 200 },
  });

  idleConnectionTimeout(app.server, config.http.requestTimeoutMs);

  // Body: strict types, unknown fields rejected. Query/params/headers: strings coerced to schema types.
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  for (const s of sharedSchemas) app.addSchema(s);
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415

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

  // Each route's handler notes the route on the request as it starts: the cheapest way to know a request's
  // route once it has completed (request.routeOptions builds an object per read). Every route, the HEAD
  // routes fastify adds for GET ones and those of @fastify/swagger included.
  app.decorateRequest('observation', null);
  app.addHook('onRoute', (options) => {
    const route = observationOf(options.url);
    const handler = options.handler;
    options.handler = function (this: FastifyInstance, request, reply) {
      request.observation = route;
      return handler.call(this, request, reply);
    };
  });

  const retryAfter = Math.max(1, Math.ceil(config.breaker.resetMs / 1000));
  app.setErrorHandler((err, request, reply) => {
    const { problem, headers } = toProblem(err, retryAfter);
    if (problem.status >= 500) {
      metrics.dependencyErrors.inc({ dependency: problem.status === 503 ? 'postgres' : 'unknown' });
      request.log.error({ ...requestLogFields(request), err }, 'request failed');
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
        await db.query('readyz', 'SELECT 1');
        return { status: 'ready', checks: { postgres: 'up', redis: redisUp ? 'up' : 'down' } };
      } catch (err) {
        request.log.warn({ ...requestLogFields(request), err: (err as Error).message }, 'not ready: postgres unavailable');
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

/** `telemetry`: the started tracing, whose span counts the metrics expose. */
export function createService(config: Config, logger: Logger, telemetry?: Pick<Telemetry, 'spans'>): Service {
  const metrics = createMetrics(telemetry?.spans);
  const db = new Db(config, logger, metrics);
  const redis = new RedisClient(config, logger, metrics);
  const relay = new OutboxRelay(db, redis, config.outbox, logger, metrics);
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
