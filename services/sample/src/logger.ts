/**
 * Logs: pino, JSON to stdout, configured through its documented options only. fastify logs through it:
 * every request-scoped line carries `reqId`, and, while a traced request is handled, `trace_id`, `span_id`
 * and `trace_flags`. One access line per response (AccessLogController in app.ts). Secrets are redacted by path.
 * Only types are imported from fastify: this module loads before the instrumentations are registered.
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';

const SERVICE = 'sample-service';

/**
 * Paths pino replaces with "[Redacted]" wherever they occur in a line: the credentials a request can carry
 * in its headers (the access line logs the request's headers), and fields named like a secret. Nested
 * secret-bearing fields are listed by their full path: a wildcard path (`*.password`) makes pino look
 * through every line's fields.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'password',
  'token',
  'secret',
  'connectionString',
];

/** A request's route template; 'unmatched' for requests no route handled (a bounded label for metrics). */
export function routeOf(request: FastifyRequest): string {
  return request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
}

const serializers = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url,
    route: routeOf(request),
    remoteAddress: request.ip,
    headers: request.headers,
  }),
  res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
  err: pino.stdSerializers.err,
};

/** Correlation with the trace being handled, as OpenTelemetry's log data model names it. */
function traceFields(): Record<string, string> {
  const span = trace.getSpanContext(context.active());
  if (span === undefined || !isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId, trace_flags: span.traceFlags.toString(16).padStart(2, '0') };
}

/**
 * The service's logger: to stdout (pino's default destination, written synchronously) or to `destination`.
 * `service` is the name on every line: the same as the traces' `service.name` (OTEL_SERVICE_NAME), so logs,
 * traces and the platform's log-based metrics agree on one name.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, service: string = SERVICE): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers,
      redact: { paths: REDACTED_PATHS },
      mixin: traceFields,
    },
    destination ?? pino.destination(1),
  );
}
