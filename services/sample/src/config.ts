/**
 * Configuration, read once from the environment at start. Every variable is documented in README.md.
 * Invalid configuration throws ConfigError listing every problem; the entry point prints it and exits 1.
 */

export type TlsMode = 'off' | 'require' | 'verify-full';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** all: one line per request; errors: only 4xx/5xx and requests slower than 1 s; off. */
  readonly accessLog: 'all' | 'errors' | 'off';
  readonly http: {
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly bodyLimitBytes: number;
    readonly callerIdHeader: string;
  };
  readonly database: {
    readonly url: string;
    readonly schema: string;
    readonly poolMax: number;
    readonly connectTimeoutMs: number;
    readonly statementTimeoutMs: number;
    readonly queryTimeoutMs: number;
    readonly tls: TlsMode;
    readonly tlsCaFile: string | undefined;
    readonly iamAuth: boolean;
  };
  readonly redis: {
    readonly url: string;
    readonly keyPrefix: string;
    readonly connectTimeoutMs: number;
    readonly commandTimeoutMs: number;
    readonly tlsCaFile: string | undefined;
    readonly iamAuth: boolean;
    readonly iamUser: string | undefined;
    readonly iamCacheName: string | undefined;
    readonly iamServerless: boolean;
  };
  readonly awsRegion: string | undefined;
  readonly cacheTtlSeconds: number;
  readonly breaker: { readonly failureThreshold: number; readonly resetMs: number };
  readonly idempotency: { readonly ttlSeconds: number; readonly lockTimeoutMs: number };
  readonly outbox: {
    readonly enabled: boolean;
    readonly stream: string;
    readonly pollMs: number;
    readonly batchSize: number;
    readonly streamMaxLen: number;
  };
  readonly shutdown: { readonly delayMs: number; readonly timeoutMs: number };
  readonly telemetry: {
    readonly serviceName: string;
    readonly otlpEndpoint: string | undefined;
    readonly samplingRatio: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  required(name: string, hint: string): string {
    const v = this.raw(name);
    if (v === undefined) this.problems.push(`${name} is required (${hint})`);
    return v ?? '';
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || n > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max}, got "${v}"`);
      return fallback;
    }
    return n;
  }

  ratio(name: string, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      this.problems.push(`${name} must be a number between 0 and 1, got "${v}"`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    this.problems.push(`${name} must be true or false, got "${v}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
      return fallback;
    }
    return v as T;
  }

  url(name: string, value: string, protocols: readonly string[]): void {
    if (value === '') return;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problems.push(`${name} is not a valid URL`);
      return;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
    }
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const TLS_MODES: readonly TlsMode[] = ['off', 'require', 'verify-full'];
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const databaseUrl = r.required('DATABASE_URL', 'e.g. postgres://app@db.example:5432/orders');
  r.url('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  const redisUrl = r.required('REDIS_URL', 'e.g. rediss://cache.example:6379');
  r.url('REDIS_URL', redisUrl, ['redis:', 'rediss:']);

  const dbIam = r.bool('DATABASE_IAM_AUTH', false);
  const redisIam = r.bool('REDIS_IAM_AUTH', false);
  const awsRegion = r.raw('AWS_REGION') ?? r.raw('AWS_DEFAULT_REGION');
  const dbTls = r.oneOf('DATABASE_TLS', TLS_MODES, dbIam ? 'verify-full' : 'off');
  const schema = r.string('DATABASE_SCHEMA', 'public');
  if (!IDENT.test(schema)) r.problems.push(`DATABASE_SCHEMA must match ${IDENT}, got "${schema}"`);

  if (dbIam && dbTls === 'off') r.problems.push('DATABASE_IAM_AUTH=true requires DATABASE_TLS=require or verify-full');
  if ((dbIam || redisIam) && awsRegion === undefined) {
    r.problems.push('AWS_REGION is required when DATABASE_IAM_AUTH or REDIS_IAM_AUTH is true');
  }
  const iamUser = r.raw('REDIS_IAM_USER');
  const iamCacheName = r.raw('REDIS_IAM_CACHE_NAME');
  if (redisIam) {
    if (!redisUrl.startsWith('rediss:')) r.problems.push('REDIS_IAM_AUTH=true requires a rediss:// REDIS_URL (TLS)');
    if (iamUser === undefined) r.problems.push('REDIS_IAM_USER is required when REDIS_IAM_AUTH is true');
    if (iamCacheName === undefined) r.problems.push('REDIS_IAM_CACHE_NAME is required when REDIS_IAM_AUTH is true');
  }
  const otlp = r.raw('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (otlp !== undefined) r.url('OTEL_EXPORTER_OTLP_ENDPOINT', otlp, ['http:', 'https:']);
  const tracesExporter = r.oneOf('OTEL_TRACES_EXPORTER', ['otlp', 'none'] as const, 'otlp');

  const config: Config = {
    port: r.int('PORT', 8080, 0, 65535),
    host: r.string('HOST', '0.0.0.0'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    accessLog: r.oneOf('ACCESS_LOG', ['all', 'errors', 'off'] as const, 'all'),
    http: {
      requestTimeoutMs: r.int('HTTP_REQUEST_TIMEOUT_MS', 10_000, 100, 300_000),
      keepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1_000, 600_000),
      bodyLimitBytes: r.int('HTTP_BODY_LIMIT_BYTES', 65_536, 1_024, 10_485_760),
      callerIdHeader: r.string('CALLER_ID_HEADER', 'x-forwarded-client-cert').toLowerCase(),
    },
    database: {
      url: databaseUrl,
      schema,
      poolMax: r.int('DATABASE_POOL_MAX', 10, 1, 200),
      connectTimeoutMs: r.int('DATABASE_CONNECT_TIMEOUT_MS', 2_000, 100, 60_000),
      statementTimeoutMs: r.int('DATABASE_STATEMENT_TIMEOUT_MS', 2_000, 100, 600_000),
      queryTimeoutMs: r.int('DATABASE_QUERY_TIMEOUT_MS', 3_000, 100, 600_000),
      tls: dbTls,
      tlsCaFile: r.raw('DATABASE_TLS_CA_FILE'),
      iamAuth: dbIam,
    },
    redis: {
      url: redisUrl,
      keyPrefix: r.string('REDIS_KEY_PREFIX', 'sample:'),
      connectTimeoutMs: r.int('REDIS_CONNECT_TIMEOUT_MS', 1_000, 50, 60_000),
      commandTimeoutMs: r.int('REDIS_COMMAND_TIMEOUT_MS', 100, 5, 60_000),
      tlsCaFile: r.raw('REDIS_TLS_CA_FILE'),
      iamAuth: redisIam,
      iamUser,
      iamCacheName,
      iamServerless: r.bool('REDIS_IAM_SERVERLESS', false),
    },
    awsRegion,
    cacheTtlSeconds: r.int('CACHE_TTL_SECONDS', 300, 1, 86_400),
    breaker: {
      failureThreshold: r.int('BREAKER_FAILURE_THRESHOLD', 5, 1, 1_000),
      resetMs: r.int('BREAKER_RESET_MS', 5_000, 100, 600_000),
    },
    idempotency: {
      ttlSeconds: r.int('IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 2_592_000),
      lockTimeoutMs: r.int('IDEMPOTENCY_LOCK_TIMEOUT_MS', 2_000, 10, 60_000),
    },
    outbox: {
      enabled: r.bool('OUTBOX_RELAY_ENABLED', true),
      stream: r.string('OUTBOX_STREAM', 'orders.events'),
      pollMs: r.int('OUTBOX_POLL_MS', 250, 10, 60_000),
      batchSize: r.int('OUTBOX_BATCH_SIZE', 100, 1, 1_000),
      streamMaxLen: r.int('OUTBOX_STREAM_MAXLEN', 1_000_000, 1_000, 1_000_000_000),
    },
    shutdown: {
      delayMs: r.int('SHUTDOWN_DELAY_MS', 5_000, 0, 120_000),
      timeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 20_000, 1_000, 300_000),
    },
    telemetry: {
      serviceName: r.string('OTEL_SERVICE_NAME', 'sample-service'),
      otlpEndpoint: tracesExporter === 'none' ? undefined : otlp,
      samplingRatio: r.ratio('OTEL_TRACES_SAMPLER_ARG', 0.1),
    },
  };
  if (config.shutdown.delayMs >= config.shutdown.timeoutMs) {
    r.problems.push('SHUTDOWN_DELAY_MS must be smaller than SHUTDOWN_TIMEOUT_MS');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}
