/**
 * `node server.js check`: one round of requests at a running instance of this service, each response judged;
 * exits 0 only if every one was right, 1 otherwise (2 for bad settings). The platform runs it before a blue-green
 * release is promoted (constructs/workload, `delivery.previewCheck`): one Job per round of the pre-promotion
 * analysis, against the preview Service, which only the new version serves.
 *
 * Safe to repeat: reads, and one create per version whose Idempotency-Key comes from PREVIEW_VERSION (the new
 * version's pod-template hash), so every round after the first replays it, which checks the replay path too.
 * Keys are scoped to the caller (the check's own mesh identity), so they never meet a real caller's. The test
 * order belongs to CHECK_CUSTOMER_ID (the platform's smoke-test customer), sku `PREVIEW-CHECK`, price 0: one per
 * version and key lifetime (IDEMPOTENCY_TTL_SECONDS), in the environment's own database, like the pipeline's
 * smoke test. It needs no database or cache settings: it only speaks HTTP, with Node's own fetch.
 */
import { isUuid } from './orders/schemas';

type Env = Readonly<Record<string, string | undefined>>;

/** What one round of the check needs. */
export interface CheckSettings {
  /** Base URL of the instance under check (PREVIEW_URL). */
  readonly baseUrl: string;
  /** The version under check (PREVIEW_VERSION): the idempotency key of the round's create. */
  readonly version: string;
  /** Customer the test order belongs to (CHECK_CUSTOMER_ID). */
  readonly customerId: string;
  /** Timeout of each request (CHECK_REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs: number;
}

/** The settings from the environment, or every problem with them. */
export function loadCheckSettings(env: Env): CheckSettings | { problems: string[] } {
  const problems: string[] = [];
  const baseUrl = env['PREVIEW_URL'] ?? '';
  if (!/^https?:\/\/[^/\s]+\/?$/.test(baseUrl)) problems.push(`PREVIEW_URL ${JSON.stringify(env['PREVIEW_URL'])} must be a base URL such as http://orders-preview.orders.svc.cluster.local:8080`);
  const version = env['PREVIEW_VERSION'] ?? '';
  // The platform sets the pod-template hash; it must be filled in (not an unresolved `{{args...}}`).
  if (!/^[A-Za-z0-9._-]{1,63}$/.test(version)) problems.push(`PREVIEW_VERSION ${JSON.stringify(env['PREVIEW_VERSION'])} must be the version under check (1-63 letters, digits, ".", "_", "-")`);
  const customerId = env['CHECK_CUSTOMER_ID'] ?? '';
  if (!isUuid(customerId)) problems.push(`CHECK_CUSTOMER_ID ${JSON.stringify(env['CHECK_CUSTOMER_ID'])} must be the UUID of the customer test orders belong to`);
  const timeout = Number(env['CHECK_REQUEST_TIMEOUT_MS'] ?? '5000');
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 60_000) problems.push(`CHECK_REQUEST_TIMEOUT_MS ${JSON.stringify(env['CHECK_REQUEST_TIMEOUT_MS'])} must be 100 to 60000`);
  return problems.length > 0 ? { problems } : { baseUrl: baseUrl.replace(/\/$/, ''), version, customerId, requestTimeoutMs: timeout };
}

/** One request of the round and how it went. */
export interface CheckStep {
  readonly step: string;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly ms: number;
  /** What was wrong with the response; empty when it was right. */
  readonly problems: string[];
}

/**
 * One round: list the test customer's orders, create the version's test order, replay the create, read the order
 * from the database and through the cache. Stops at the first wrong response (later steps need the order).
 */
export async function runCheck(settings: CheckSettings, fetchImpl: typeof fetch = fetch): Promise<CheckStep[]> {
  const steps: CheckStep[] = [];
  const call = async (step: string, method: string, path: string, init: RequestInit, judge: (status: number, body: unknown, headers: Headers) => string[]): Promise<unknown> => {
    const started = performance.now();
    let status: number | undefined;
    let body: unknown;
    let problems: string[];
    try {
      const response = await fetchImpl(`${settings.baseUrl}${path}`, { ...init, method, signal: AbortSignal.timeout(settings.requestTimeoutMs) });
      status = response.status;
      const text = await response.text();
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      problems = judge(status, body, response.headers);
    } catch (err) {
      problems = [`request failed: ${(err as Error).message}`];
    }
    steps.push({ step, method, path, status, ms: Math.round(performance.now() - started), problems });
    return problems.length === 0 ? body : undefined;
  };
  const expectStatus = (expected: number) => (status: number, body: unknown): string[] =>
    status === expected ? [] : [`HTTP ${status}, expected ${expected}: ${JSON.stringify(body)?.slice(0, 300)}`];
  const isOrder = (body: unknown, id?: string): string[] => {
    const order = body as { id?: unknown; customerId?: unknown } | undefined;
    if (typeof order?.id !== 'string' || !isUuid(order.id)) return [`not an order: ${JSON.stringify(body)?.slice(0, 300)}`];
    if (order.customerId !== settings.customerId) return [`order ${order.id} belongs to ${String(order.customerId)}, not ${settings.customerId}`];
    return id === undefined || order.id === id ? [] : [`order ${order.id}, expected ${id}`];
  };
  // The first thing wrong with a response (a wrong status makes the body checks moot).
  const allOf = (...checks: ((status: number, body: unknown, headers: Headers) => string[])[]) => (status: number, body: unknown, headers: Headers) =>
    checks.flatMap((c) => c(status, body, headers)).slice(0, 1);

  const list = await call('list', 'GET', `/v1/orders?customerId=${settings.customerId}&limit=1`, {}, allOf(expectStatus(200), (_s, body) =>
    Array.isArray((body as { orders?: unknown })?.orders) ? [] : [`no orders array: ${JSON.stringify(body)?.slice(0, 300)}`]));
  if (list === undefined) return steps;

  const create: RequestInit = {
    headers: { 'content-type': 'application/json', 'idempotency-key': `preview-check-${settings.version}` },
    body: JSON.stringify({ customerId: settings.customerId, currency: 'EUR', items: [{ sku: 'PREVIEW-CHECK', quantity: 1, unitPriceCents: 0 }] }),
  };
  const created = await call('create', 'POST', '/v1/orders', create, allOf(expectStatus(201), (_s, body) => isOrder(body))) as { id: string } | undefined;
  if (created === undefined) return steps;
  const replayed = await call('replay', 'POST', '/v1/orders', create, allOf(expectStatus(201), (_s, body) => isOrder(body, created.id), (_s, _b, headers) =>
    headers.get('idempotent-replayed') === 'true' ? [] : ['no Idempotent-Replayed: true on a repeated create']));
  if (replayed === undefined) return steps;
  const fromDatabase = await call('read from the database', 'GET', `/v1/orders/${created.id}`, { headers: { 'cache-control': 'no-cache' } }, allOf(expectStatus(200), (_s, body) => isOrder(body, created.id)));
  if (fromDatabase === undefined) return steps;
  await call('read', 'GET', `/v1/orders/${created.id}`, {}, allOf(expectStatus(200), (_s, body) => isOrder(body, created.id)));
  return steps;
}

/** The `check` command: one JSON line per request and a verdict on stdout; the exit code is the verdict. */
export async function checkCommand(env: Env, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`), fetchImpl: typeof fetch = fetch): Promise<number> {
  const settings = loadCheckSettings(env);
  if ('problems' in settings) {
    write(JSON.stringify({ level: 'error', msg: 'check: invalid settings', problems: settings.problems }));
    return 2;
  }
  const steps = await runCheck(settings, fetchImpl);
  for (const step of steps) write(JSON.stringify({ level: step.problems.length > 0 ? 'error' : 'info', msg: 'check request', version: settings.version, ...step }));
  const failed = steps.filter((s) => s.problems.length > 0);
  const passed = failed.length === 0 && steps.length === 5;
  write(JSON.stringify({ level: passed ? 'info' : 'error', msg: passed ? 'check passed' : 'check failed', version: settings.version, requests: steps.length }));
  return passed ? 0 : 1;
}
