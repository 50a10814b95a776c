/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the value is a Structured Field sf-string
 * (quoted); bare tokens are accepted too. Keys are scoped per caller and expire after a published TTL.
 */
import { createHash } from 'node:crypto';
import { ProblemError } from './problem';

const MAX_KEY_LENGTH = 255;
const BARE = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // visible ASCII without '"' and '\'
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/** Returns the key, or throws a 400 problem for a missing or malformed header. */
export function parseIdempotencyKey(header: string | string[] | undefined): string {
  if (header === undefined || header === '') {
    throw new ProblemError(400, 'idempotency-key-missing', 'Idempotency-Key header required', 'POST /v1/orders requires an Idempotency-Key header.');
  }
  const raw = (Array.isArray(header) ? header.join(',') : header).trim();
  const quoted = QUOTED.exec(raw);
  const key = quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : BARE.test(raw) ? raw : undefined;
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new ProblemError(
      400,
      'idempotency-key-invalid',
      'Invalid Idempotency-Key header',
      `Idempotency-Key must be a quoted string or token of 1-${MAX_KEY_LENGTH} printable ASCII characters.`,
    );
  }
  return key;
}

/**
 * The caller a key is scoped to. Behind the mesh the sidecar sets X-Forwarded-Client-Cert from the
 * verified mTLS peer (client values are sanitized), so the SPIFFE URI of the nearest hop identifies it.
 */
export function callerIdentity(header: string | string[] | undefined): string {
  if (header === undefined) return 'anonymous';
  const value = Array.isArray(header) ? header[header.length - 1]! : header;
  const lastHop = value.split(',').pop() ?? '';
  const uri = /(?:^|;)URI=([^;]+)/.exec(lastHop)?.[1];
  const id = (uri ?? value).trim().slice(0, 512);
  return id === '' ? 'anonymous' : id;
}

/** Stable JSON (sorted object keys) so equal payloads hash equal regardless of key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('hex');
}
