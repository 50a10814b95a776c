/** Builds the OpenAPI document from the route schemas, without touching Postgres or Redis. */
import pino from 'pino';
import { buildApp } from './app';
import { loadConfig } from './config';
import { Db } from './db';
import { createMetrics } from './metrics';
import { RedisClient } from './redis';

export async function generateOpenApi(): Promise<Record<string, unknown>> {
  const config = loadConfig({ DATABASE_URL: 'postgres://openapi@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' });
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics();
  const db = new Db(config, logger);
  const redis = new RedisClient(config, logger);
  const app = buildApp(config, logger, { db, redis, metrics }, { draining: false });
  try {
    await app.ready();
    return JSON.parse(JSON.stringify(app.swagger())) as Record<string, unknown>;
  } finally {
    await app.close();
    await db.close();
    redis.client.disconnect();
  }
}

export function renderOpenApi(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
