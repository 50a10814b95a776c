import { App, Chart } from 'cdk8s';
import { AnalysisTemplate, type AnalysisMetric } from '../../../constructs/delivery/rollouts-api';
import {
  PREVIEW_CHECK_METRIC,
  PREVIEW_REQUESTS_METRIC,
  previewAnalysisTemplateSpec,
  serviceAnalysisTemplateSpec,
  type ServiceAnalysisSettings,
} from '../../../constructs/delivery/service-analysis';
import { crdSchemaErrors, pinnedCrdSchemas } from '../../support/charts/pinned-crds';
import { validateAgainstSchema, type KubernetesObject } from '../../support/manifests';

const PROMETHEUS = { address: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/', region: 'eu-west-1' };
const ANALYSIS: ServiceAnalysisSettings = { maxErrorRatio: 0.01, maxP99LatencyMs: 500, intervalSeconds: 60, failureLimit: 1, consecutiveErrorLimit: 3, count: 5 };
const CHECK_JOB = {
  metadata: { labels: { 'app.kubernetes.io/name': 'orders-preview-check' } },
  spec: {
    backoffLimit: 0,
    activeDeadlineSeconds: 120,
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'orders-preview-check' } },
      spec: { restartPolicy: 'Never', serviceAccountName: 'orders-preview-check', containers: [{ name: 'check', image: 'example/orders@sha256:' + 'a'.repeat(64), args: ['check'] }] },
    },
  },
};

function preview(minRequests = 20, excludedRoutes = ['/livez', '/readyz', '/metrics']) {
  return previewAnalysisTemplateSpec({ serviceName: 'orders', namespace: 'orders', prometheus: PROMETHEUS, analysis: ANALYSIS, excludedRoutes, checkJob: CHECK_JOB, minRequests });
}
const metricOf = (metrics: AnalysisMetric[], name: string) => metrics.find((m) => m.name === name)!;

/**
 * Argo Rollouts v1.9.0's verdict on one metric, after the given measurement results, for the fields
 * the platform uses (utils/evaluate/evaluate.go EvaluateResult; analysis/analysis.go
 * assessMetricStatus and assessMetricFailureInconclusiveOrError). Conditions are expr-lang; the
 * ones used here read the same in JavaScript once `len(x)` is `x.length`.
 */
function argoVerdict(metric: AnalysisMetric, results: number[][]): 'Successful' | 'Failed' | 'Inconclusive' | 'Running' {
  const holds = (condition: string, result: number[]) => Function('result', `return (${condition.replace(/len\(result\)/g, 'result.length')});`)(result) === true;
  let failed = 0;
  let inconclusive = 0;
  let consecutiveSuccess = 0;
  for (const result of results) {
    const success = metric.successCondition ? holds(metric.successCondition, result) : undefined;
    const failure = metric.failureCondition ? holds(metric.failureCondition, result) : undefined;
    // Without a failure condition a measurement fails when the success condition does not hold.
    const isFailure = failure ?? !success;
    const isSuccess = success ?? !failure;
    const phase = isFailure ? 'Failed' : isSuccess ? 'Successful' : 'Inconclusive';
    if (phase === 'Failed') { failed += 1; consecutiveSuccess = 0; }
    if (phase === 'Inconclusive') { inconclusive += 1; consecutiveSuccess = 0; }
    if (phase === 'Successful') consecutiveSuccess += 1;
    const failureLimit = metric.failureLimit ?? 0;
    if (failureLimit >= 0 && failed > failureLimit) return 'Failed';
    if (inconclusive > (metric.inconclusiveLimit ?? 0)) return 'Inconclusive';
    const successLimit = metric.consecutiveSuccessLimit ?? 0;
    if (successLimit > 0 && consecutiveSuccess >= successLimit) return 'Successful';
  }
  if (metric.count !== undefined && results.length >= metric.count) {
    const successApplicable = (metric.consecutiveSuccessLimit ?? 0) > 0;
    const failureApplicable = (metric.failureLimit ?? 0) >= 0;
    if (successApplicable && failureApplicable) return 'Inconclusive';
    if (successApplicable) return 'Failed';
    return 'Successful';
  }
  return 'Running';
}

describe('blue-green pre-promotion analysis', () => {
  test('the check Job runs once per interval, as many rounds as the health metrics measure; a failed round beyond the limit fails the run', () => {
    // GIVEN 5 measurements a minute apart; WHEN the pre-promotion template is built
    const check = metricOf(preview().metrics, PREVIEW_CHECK_METRIC);
    // THEN the Job is the metric's provider, with the same count, interval and limits
    expect(check).toEqual({ name: 'preview-check', provider: { job: CHECK_JOB }, interval: '1m', count: 5, failureLimit: 1, consecutiveErrorLimit: 3 });
  });

  test('the health metrics of the preview start one interval late, once the first round\'s requests are in the window', () => {
    const spec = preview();
    for (const name of ['error-ratio', 'p99-latency-ms', 'scraped']) expect(metricOf(spec.metrics, name)).toMatchObject({ initialDelay: '1m', interval: '1m', count: 5 });
    expect(spec.metrics.map((m) => m.name)).toEqual(['preview-check', 'preview-requests', 'error-ratio', 'p99-latency-ms', 'scraped']);
  });

  test.each<[string, string, number[][]]>([
    ['no series at all (an empty result)', 'Failed', [[], [], [], [], [], [], []]],
    ['NaN', 'Failed', Array(7).fill([Number.NaN])],
    ['too few requests', 'Failed', Array(7).fill([19])],
    ['the requests arriving after a few minutes', 'Successful', [[0], [5], [12], [20]]],
    ['enough requests at the first measurement', 'Successful', [[25]]],
    ['no requests yet, measurements left', 'Running', [[0], [0]]],
  ])('no data fails: the guard with %s is %s', (_, verdict, results) => {
    // GIVEN the guard metric as rendered; WHEN Argo measures these results; THEN its verdict
    expect(argoVerdict(metricOf(preview().metrics, PREVIEW_REQUESTS_METRIC), results)).toBe(verdict);
  });

  test('the model of Argo\'s verdict tells the old health metrics passed on no data (so the guard test above proves something)', () => {
    // With no requests the old error-ratio query measures 0 (`or vector(0)`), which its conditions call a success.
    const errorRatio = metricOf(serviceAnalysisTemplateSpec({ serviceName: 'orders', namespace: 'orders', prometheus: PROMETHEUS, analysis: ANALYSIS }).metrics, 'error-ratio');
    expect(argoVerdict(errorRatio, Array(5).fill([0]))).toBe('Successful');
    // And a success condition next to a failure condition makes NaN inconclusive (Argo pauses instead of aborting).
    expect(argoVerdict({ name: 'x', provider: {}, successCondition: 'result[0] >= 20', failureCondition: 'result[0] < 20', count: 1 }, [[Number.NaN]])).toBe('Inconclusive');
  });

  test('the guard counts the version\'s requests without probes and scrapes, and never errors or turns inconclusive on missing data', () => {
    const guard = metricOf(preview(30).metrics, PREVIEW_REQUESTS_METRIC);
    expect(guard.provider.prometheus!.query).toBe(
      'sum(http_server_request_duration_seconds_count{namespace="orders",app="orders",rollouts_pod_template_hash="{{args.pod-template-hash}}",route!~"/livez|/readyz|/metrics"}) or vector(0)',
    );
    expect(guard).toMatchObject({ successCondition: 'len(result) > 0 && result[0] >= 30', failureLimit: -1, consecutiveSuccessLimit: 1, count: 7, interval: '1m', initialDelay: '1m' });
    expect(guard.failureCondition).toBeUndefined();
  });

  test('excluded routes are regex-escaped literals', () => {
    const guard = metricOf(preview(20, ['/healthz.json', '/ready']).metrics, PREVIEW_REQUESTS_METRIC);
    expect(guard.provider.prometheus!.query).toContain('route!~"/healthz\\\\.json|/ready"');
  });

  test('the template matches the Argo Rollouts 2.41.0 CRD and the @kubernetes-models schema', () => {
    const chart = new Chart(new App(), 'Test', { namespace: 'orders' });
    new AnalysisTemplate(chart, 'Pre', { metadata: { name: 'orders-pre-promotion' }, spec: preview() });
    const [object] = chart.toJson() as KubernetesObject[];
    validateAgainstSchema(object);
    const crds = pinnedCrdSchemas(['AnalysisTemplate']);
    expect(crdSchemaErrors(crds, object)).toEqual([]);
    // The CRD reaches into the Job spec: a misspelt field there is refused (so the check above proves something).
    const misspelt = structuredClone(object);
    misspelt.spec.metrics[0].provider.job.spec.template.spec.containers[0].argz = ['check'];
    expect(crdSchemaErrors(crds, misspelt)).toEqual([expect.stringContaining('must NOT have additional properties (argz)')]);
  });
});
