/**
 * Redis: a cache that may be down. Commands fail fast (ioredis' commandTimeout, no offline queue, no
 * retries per request), go through a circuit breaker, and never fail a request: callers fall back to
 * Postgres. Spans come from @opentelemetry/instrumentation-ioredis (src/telemetry.ts).
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { elastiCacheToken } from './aws-auth';
import { BREAKER_STATE_VALUE, CircuitBreaker } from './breaker';
import type { Config } from './config';
import type { Metrics } from './metrics';
import { backoffDelay } from './retry';

const IAM_TOKEN_REFRESH_MS = 5 * 60_000;

export class RedisClient {
  readonly client: Redis;
  readonly breaker: CircuitBreaker;
  private iamTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cfg: Config,
    private readonly logger: Logger,
    metrics?: Metrics,
  ) {
    const r = cfg.redis;
    const tls = r.url.startsWith('rediss:')
      ? { ...(r.tlsCaFile !== undefined ? { ca: readFileSync(r.tlsCaFile, 'utf8') } : {}) }
      : undefined;
    this.client = new Redis(r.url, {
      lazyConnect: true,
      // While disconnected, commands are rejected at once instead of queued; a command is never retried.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: r.connectTimeoutMs,
      commandTimeout: r.commandTimeoutMs,
      enableReadyCheck: true,
      // No enableAutoPipelining: it sends the commands of concurrent requests from one deferred callback,
      // so their spans would all get the first request as parent (docs/adr/0012-service-telemetry-standard-sdk.md).
      ...(tls !== undefined ? { tls } : {}),
      ...(r.iamAuth && r.iamUser !== undefined ? { username: r.iamUser } : {}),
      // Reconnect forever with jittered backoff capped at 2 s; the breaker keeps requests fast meanwhile.
      retryStrategy: (times) => 50 + backoffDelay(times, 50, 2_000),
    });
    this.client.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
    metrics?.breakerState.set({ dependency: 'redis' }, 0);
    this.breaker = new CircuitBreaker({
      name: 'redis',
      failureThreshold: cfg.breaker.failureThreshold,
      resetMs: cfg.breaker.resetMs,
      // Every failed command, open-breaker rejections included.
      onError: () => metrics?.dependencyErrors.inc({ dependency: 'redis' }),
      onStateChange: (state) => {
        metrics?.breakerState.set({ dependency: 'redis' }, BREAKER_STATE_VALUE[state]);
        logger.warn({ dependency: 'redis', state }, 'circuit breaker state changed');
      },
    });
  }

  /** Connect in the background: the service is ready without Redis. */
  async start(): Promise<void> {
    if (this.cfg.redis.iamAuth) {
      await this.refreshIamToken();
      this.iamTimer = setInterval(() => void this.refreshIamToken(), IAM_TOKEN_REFRESH_MS);
      this.iamTimer.unref();
    }
    this.client.connect().catch((err: Error) => this.logger.warn({ err: err.message }, 'redis not reachable at start; will retry'));
  }

  /** ElastiCache IAM tokens live 15 min and are checked at AUTH only; reconnects pick up the fresh one. */
  private async refreshIamToken(): Promise<void> {
    const r = this.cfg.redis;
    try {
      this.client.options.password = await elastiCacheToken({
        cacheName: r.iamCacheName ?? '',
        userId: r.iamUser ?? '',
        region: this.cfg.awsRegion ?? '',
        serverless: r.iamServerless,
      });
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'could not create ElastiCache IAM auth token');
    }
  }

  /** Run commands through the breaker; errors are counted (breaker onError) and rethrown. */
  run<T>(fn: (c: Redis) => Promise<T>): Promise<T> {
    return this.breaker.exec(() => fn(this.client));
  }

  async close(): Promise<void> {
    if (this.iamTimer) clearInterval(this.iamTimer);
    try {
      await Promise.race([this.client.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error('quit timeout')), 1_000).unref())]);
    } catch {
      this.client.disconnect();
    }
  }
}

/** Cache-aside for orders (JSON strings, TTL). Every failure is a miss. */
export class OrderCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly metrics?: Metrics,
  ) {}

  private key(id: string): string {
    return `${this.prefix}order:${id}`;
  }

  async get(id: string): Promise<string | undefined> {
    try {
      const value = await this.redis.run((c) => c.get(this.key(id)));
      this.metrics?.cacheRequests.inc({ result: value === null ? 'miss' : 'hit' });
      return value ?? undefined;
    } catch {
      this.metrics?.cacheRequests.inc({ result: 'error' });
      return undefined;
    }
  }

  /** Fire and forget: a cache write never delays or fails the response. */
  set(id: string, json: string): void {
    this.redis.run((c) => c.set(this.key(id), json, 'EX', this.ttlSeconds)).catch(() => undefined);
  }
}
