/**
 * Postgres access: one pool with timeouts at every level (connect, statement, client-side query,
 * idle-in-transaction), TLS and RDS IAM tokens, and a circuit breaker counting only connection-class
 * failures. Spans come from @opentelemetry/instrumentation-pg (src/telemetry.ts).
 */
import { readFileSync } from 'node:fs';
import pg, { type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import type { Logger } from 'pino';
import { rdsTokenProvider } from './aws-auth';
import { BREAKER_STATE_VALUE, CircuitBreaker } from './breaker';
import type { Config } from './config';
import type { Metrics } from './metrics';
import { isTransientDbError } from './retry';

export type Queryable = Pick<PoolClient, 'query'>;

/** Statement timeouts and lock waits count as failures too: the database is there but unhealthy. */
export function isDbUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return isTransientDbError(err) || code === '57014' || code === '53300';
}

/**
 * lock_timeout is the session-wide IDEMPOTENCY_LOCK_TIMEOUT_MS: a duplicate create waiting on an in-flight
 * idempotency key gives up (409) after it, and no other statement should wait on a lock longer either.
 */
export function poolConfig(cfg: Config['database'], region: string | undefined, lockTimeoutMs = cfg.statementTimeoutMs): pg.PoolConfig {
  const url = new URL(cfg.url);
  const ssl: pg.PoolConfig['ssl'] =
    cfg.tls === 'off'
      ? false
      : {
          rejectUnauthorized: cfg.tls === 'verify-full',
          ...(cfg.tlsCaFile !== undefined ? { ca: readFileSync(cfg.tlsCaFile, 'utf8') } : {}),
        };
  const password =
    cfg.iamAuth && region !== undefined
      ? rdsTokenProvider({
          hostname: url.hostname,
          port: Number(url.port || 5432),
          username: decodeURIComponent(url.username),
          region,
        })
      : undefined;
  return {
    connectionString: cfg.url,
    ssl,
    ...(password !== undefined ? { password } : {}),
    max: cfg.poolMax,
    connectionTimeoutMillis: cfg.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: cfg.statementTimeoutMs,
    query_timeout: cfg.queryTimeoutMs,
    idle_in_transaction_session_timeout: cfg.statementTimeoutMs * 5,
    lock_timeout: lockTimeoutMs,
    application_name: 'sample-service',
    keepAlive: true,
    options: `-c search_path=${cfg.schema}`,
  };
}

export class Db {
  readonly pool: pg.Pool;
  readonly breaker: CircuitBreaker;

  constructor(
    cfg: Config,
    private readonly logger: Logger,
    metrics?: Metrics,
  ) {
    this.pool = new pg.Pool(poolConfig(cfg.database, cfg.awsRegion, cfg.idempotency.lockTimeoutMs));
    // An idle client losing its connection (failover, pg_terminate_backend) must never crash the process.
    this.pool.on('error', (err) => this.logger.warn({ err: err.message }, 'idle postgres client error'));
    metrics?.breakerState.set({ dependency: 'postgres' }, 0);
    this.breaker = new CircuitBreaker({
      name: 'postgres',
      failureThreshold: cfg.breaker.failureThreshold,
      resetMs: cfg.breaker.resetMs,
      isFailure: isDbUnavailable,
      onStateChange: (state) => {
        metrics?.breakerState.set({ dependency: 'postgres' }, BREAKER_STATE_VALUE[state]);
        this.logger.warn({ dependency: 'postgres', state }, 'circuit breaker state changed');
      },
    });
  }

  query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<QueryResult<R>> {
    return this.breaker.exec(() => this.pool.query<R>(text, values));
  }

  /** BEGIN ... COMMIT on one pooled connection; ROLLBACK on error; a broken connection is discarded. */
  transaction<T>(fn: (client: Queryable) => Promise<T>): Promise<T> {
    return this.breaker.exec(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (isTransientDbError(err)) broken = err as Error;
        else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
