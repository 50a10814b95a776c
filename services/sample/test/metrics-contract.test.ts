/**
 * The platform rolls a bad version back on this service's metrics: the Argo Rollouts analysis
 * (constructs/delivery/service-analysis.ts) queries `http_server_request_duration_seconds`. Every series
 * its queries select must be one the service exposes on /metrics, with the labels they filter and group on.
 * A renamed metric or label fails here, not in a canary that can never be judged.
 */
import { HTTP_DURATION_METRIC, previewAnalysisTemplateSpec, serviceAnalysisTemplateSpec } from '../../../constructs/delivery/service-analysis';
import { startTestService, type TestService } from './helpers';

/** Labels the scraper puts on every series of a pod (from its Kubernetes metadata), not the service. */
const TARGET_LABELS = new Set(['namespace', 'app', 'rollouts_pod_template_hash']);

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ OUTBOX_RELAY_ENABLED: 'false' });
});
afterAll(async () => t.close());

/** Series of a Prometheus text exposition: metric name -> label names of each series. */
function exposedSeries(text: string): Map<string, Set<string>[]> {
  const series = new Map<string, Set<string>[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (m === null) continue;
    const labels = new Set([...(m[2] ?? '').matchAll(/(\w+)="/g)].map((l) => l[1]!));
    series.set(m[1]!, [...(series.get(m[1]!) ?? []), labels]);
  }
  return series;
}

test('every series the rollout analysis queries is exposed by the service, with the labels the query uses', async () => {
  const props = {
    serviceName: 'orders',
    namespace: 'orders',
    prometheus: { address: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/', region: 'eu-west-1' },
    analysis: { maxErrorRatio: 0.01, maxP99LatencyMs: 500, intervalSeconds: 60, failureLimit: 1, consecutiveErrorLimit: 2 },
    // The probes and the metrics endpoint, left out by their `route` label.
    excludedRoutes: ['/livez', '/readyz', '/metrics'],
  };
  // Canary and post-promotion analysis, and blue-green's pre-promotion analysis (its no-data guard counts requests).
  const spec = serviceAnalysisTemplateSpec(props);
  const preview = previewAnalysisTemplateSpec({ ...props, checkJob: { spec: {} }, minRequests: 20 });
  const queries = [...spec.metrics, ...preview.metrics].map((m) => m.provider.prometheus?.query ?? '');
  // Selectors of the service's own series: `name{label=...,...}` (the scraper's `up` is not the service's).
  const selectors = queries.flatMap((q) => [...q.matchAll(/(\w+)\{([^}]*)\}/g)]).filter((m) => m[1] !== 'up');
  expect(selectors.map((m) => m[1])).toEqual(expect.arrayContaining([`${HTTP_DURATION_METRIC}_count`, `${HTTP_DURATION_METRIC}_bucket`]));

  expect((await t.service.app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200); // one observation
  const exposed = exposedSeries((await t.service.app.inject({ method: 'GET', url: '/metrics' })).body);
  for (const [, name, matchers] of selectors) {
    const used = [...matchers!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!).filter((l) => !TARGET_LABELS.has(l));
    const series = exposed.get(name!) ?? [];
    expect({ name, exposed: series.length > 0 }).toEqual({ name, exposed: true });
    for (const label of used) expect({ name, label, onEverySeries: series.every((s) => s.has(label)) }).toEqual({ name, label, onEverySeries: true });
  }
  // The p99 query groups the buckets by `le`; the error ratio matches 5xx on status_code.
  expect(queries.join('\n')).toContain('sum by (le)');
  expect(exposed.get(`${HTTP_DURATION_METRIC}_bucket`)!.every((s) => s.has('le') && s.has('status_code') && s.has('route') && s.has('method'))).toBe(true);
});
