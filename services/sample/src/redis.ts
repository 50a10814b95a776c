/**
 * Redis: a cache that may be down. Commands fail fast (no offline queue, short command timeout),
 * go through a circuit breaker, and never fail a request: callers fall back to Postgres.
 */
import { readFileSync } from 'node:fs';
import type { Context } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { elastiCacheToken } from './aws-auth';
import { BREAKER_STATE_VALUE, CircuitBreaker } from './breaker';
import type { Config } from './config';
import type { Metrics } from './metrics';
import { backoffDelay } from './retry';
import { withSpan } from './telemetry';

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
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: r.connectTimeoutMs,
      commandTimeout: r.commandTimeoutMs,
      enableReadyCheck: true,
      // Commands issued in the same event-loop tick share one socket write: far fewer syscalls under load.
      enableAutoPipelining: true,
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
      // Every failed command, open-breaker rejections included (no extra promise per call for this).
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

  /** Run a command through the breaker with a span; errors are counted (breaker onError) and rethrown. */
  run<T>(command: string, key: string, fn: (c: Redis) => Promise<T>, ctx?: Context): Promise<T> {
    return this.breaker.exec(() =>
      withSpan(() => [`redis ${command}`, { 'db.system': 'redis', 'db.operation': command, 'db.redis.key': key }], () => fn(this.client), ctx),
    );
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

  get(id: string, ctx?: Context): Promise<string | undefined> {
    const key = this.key(id);
    return this.redis.run('GET', key, (c) => c.get(key), ctx).then(this.hit, this.error);
  }

  private readonly hit = (value: string | null): string | undefined => {
    this.metrics?.cacheRequests.inc(value === null ? 'miss' : 'hit');
    return value ?? undefined;
  };

  private readonly error = (): undefined => {
    this.metrics?.cacheRequests.inc('error');
    return undefined;
  };

  /** Fire and forget: a cache write never delays or fails the response. */
  set(id: string, json: string, ctx?: Context): void {
    const key = this.key(id);
    this.redis.run('SET', key, (c) => c.set(key, json, 'EX', this.ttlSeconds), ctx).catch(() => undefined);
  }
}
