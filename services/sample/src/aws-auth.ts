/**
 * Short-lived IAM auth tokens for Aurora PostgreSQL (RDS IAM) and ElastiCache (IAM users). Tokens are
 * valid 15 minutes; we reuse one for at most 10 minutes and only for new connections, so no request
 * path ever signs. Credentials come from the default AWS chain (EKS Pod Identity / IRSA in production).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Signer } from '@aws-sdk/rds-signer';
import { SignatureV4 } from '@smithy/signature-v4';

const TOKEN_REUSE_MS = 10 * 60_000;

type Credentials = NonNullable<ConstructorParameters<typeof Signer>[0]['credentials']>;

/** Memoise an async token for `ttlMs`; a failed fetch is not cached. */
export function cachedToken(fetch: () => Promise<string>, ttlMs = TOKEN_REUSE_MS, now = Date.now): () => Promise<string> {
  let value: string | undefined;
  let fetchedAt = 0;
  return async () => {
    if (value !== undefined && now() - fetchedAt < ttlMs) return value;
    value = await fetch();
    fetchedAt = now();
    return value;
  };
}

export function rdsTokenProvider(opts: {
  hostname: string;
  port: number;
  username: string;
  region: string;
  credentials?: Credentials;
}): () => Promise<string> {
  const signer = new Signer({
    hostname: opts.hostname,
    port: opts.port,
    username: opts.username,
    region: opts.region,
    credentials: opts.credentials ?? defaultProvider(),
  });
  return cachedToken(() => signer.getAuthToken());
}

/**
 * ElastiCache IAM auth token: a SigV4-presigned `GET http://<cacheName>/?Action=connect&User=<userId>`
 * (service `elasticache`, 900 s), sent as the AUTH password without its scheme, with the user id as username.
 */
export async function elastiCacheToken(opts: {
  cacheName: string;
  userId: string;
  region: string;
  serverless?: boolean;
  credentials?: Credentials;
  signingDate?: Date;
}): Promise<string> {
  const signer = new SignatureV4({
    service: 'elasticache',
    region: opts.region,
    credentials: opts.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const query: Record<string, string> = { Action: 'connect', User: opts.userId };
  if (opts.serverless === true) query['ResourceType'] = 'ServerlessCache';
  const signed = await signer.presign(
    { method: 'GET', protocol: 'http:', hostname: opts.cacheName, path: '/', query, headers: { host: opts.cacheName } },
    { expiresIn: 900, ...(opts.signingDate ? { signingDate: opts.signingDate } : {}) },
  );
  const qs = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${opts.cacheName}/?${qs}`;
}
