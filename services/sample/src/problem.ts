/** RFC 9457 problem details. Every error leaves the service as application/problem+json. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BreakerOpenError } from './breaker';
import { isDbUnavailable } from './db';

export const PROBLEM_BASE = 'https://zero-trust.example/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  p: Problem,
  headers: Record<string, string> = {},
): FastifyReply {
  const body: Problem = { ...p, instance: request.url.split('?')[0] };
  return reply.code(p.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
};

/** Maps any error to a problem; bad input is always 4xx, dependency outages are 503 + Retry-After. */
export function toProblem(err: unknown, retryAfterSeconds: number): { problem: Problem; headers: Record<string, string> } {
  if (err instanceof ProblemError) {
    return {
      problem: { type: PROBLEM_BASE + err.slug, title: err.title, status: err.status, detail: err.message, ...err.extensions },
      headers: err.headers,
    };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation !== undefined) {
    return {
      problem: {
        type: PROBLEM_BASE + 'validation-error',
        title: 'Request validation failed',
        status: 400,
        detail: fe.message ?? 'invalid request',
        errors: fe.validation.map((v) => ({ in: fe.validationContext, pointer: v.instancePath, message: v.message })),
      },
      headers: {},
    };
  }
  if ((err instanceof BreakerOpenError && err.dependency === 'postgres') || isDbUnavailable(err)) {
    return {
      problem: {
        type: PROBLEM_BASE + 'dependency-unavailable',
        title: 'Service temporarily unavailable',
        status: 503,
        detail: 'The order database is unavailable; retry later.',
      },
      headers: { 'retry-after': String(retryAfterSeconds) },
    };
  }
  const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status < 500) {
    return {
      problem: { type: 'about:blank', title: STATUS_TITLES[status] ?? 'Bad Request', status, detail: fe.message ?? 'bad request' },
      headers: {},
    };
  }
  return {
    problem: { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred.' },
    headers: {},
  };
}
