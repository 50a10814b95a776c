import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MetricsWorkspace } from '../../../constructs/observability';
import type { ServiceDelivery } from '../../../constructs/workload';
import { kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type KubernetesObject } from '../../support/manifests';
import { crdSchemaErrors, pinnedCrdSchemas } from '../../support/charts/pinned-crds';
import { podTemplateSpec, restrictedViolations } from '../../support/pod-security';
import { createTestApp, synthWithGate } from '../../support/test-app';
import { DIGEST, workloadFixture } from './workload-fixture';

const SCRAPER_CIDRS = ['10.50.64.0/20', '10.50.80.0/20'];
/** The in-cluster collector's agents (MetricsCollector.scrapeSource). */
const SCRAPER_PODS = { namespace: 'metrics', podLabels: { 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': 'metrics-agent' } };

/** The orders service of the workload fixture, with a metrics workspace and the given delivery. */
function deliveryFixture(delivery: (workspace: MetricsWorkspace) => ServiceDelivery | undefined) {
  const app = createTestApp();
  const workspace = new MetricsWorkspace(new Stack(app, 'Observability'), 'Metrics');
  const built = workloadFixture({ delivery: delivery(workspace) }, app);
  return { ...built, workspace };
}

function synthObjects(built: ReturnType<typeof deliveryFixture>, gate = false) {
  const findings = gate ? synthWithGate(built.app).findings : (built.app.synth(), []);
  const objects = kubernetesObjects(Template.fromStack(built.stack));
  return { objects, findings };
}

/** The sample service's check: one round of its smoke sequence, against PREVIEW_URL. */
const PREVIEW_CHECK = { args: ['check'], environment: { CHECK_CUSTOMER_ID: '5a0e7e57-0000-4000-8000-000000000001' } };
/** Routes that are not user traffic: StatelessService's default probes and metrics path. */
const NOT_REQUESTS = 'route!~"/livez|/readyz|/metrics"';

const normalized = (objects: KubernetesObject[]) => JSON.parse(JSON.stringify(objects).replace(/aws\.cdk\.eks\/prune-[0-9a-f]+/g, '<prune-label>'));

describe('StatelessService canary delivery', () => {
  let objects: KubernetesObject[];
  let findings: unknown[];
  const rollout = () => objectOf(objects, 'Rollout', 'orders');
  const canary = () => rollout().spec.strategy.canary;
  const template = () => objectOf(objects, 'AnalysisTemplate', 'orders-health');
  const metric = (name: string) => template().spec.metrics.find((m: { name: string }) => m.name === name);

  beforeAll(() => {
    // GIVEN the orders service delivered by canary with the metrics of a workspace
    // WHEN synthesized through the compliance gate; THEN the applied objects are read back
    ({ objects, findings } = synthObjects(deliveryFixture((workspace) => ({ strategy: 'canary', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS } })), true));
  });

  test('the compliance gate has no open findings', () => {
    expect(findings).toEqual([]);
  });

  test('a Rollout and an AnalysisTemplate replace the Deployment, and every object is schema-valid', () => {
    expect(objectsOfKind(objects, 'Deployment')).toEqual([]);
    expect(rollout().apiVersion).toBe('argoproj.io/v1alpha1');
    expect(template().apiVersion).toBe('argoproj.io/v1alpha1');
    for (const object of objects) validateAgainstSchema(object);
  });

  test('the Rollout runs the hardened pod template: Pod Security "restricted", drain, zone spread', () => {
    const pod = podTemplateSpec(rollout())!;
    expect(restrictedViolations(pod)).toEqual([]);
    expect(pod.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(pod.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' });
    expect(rollout().spec.selector.matchLabels).toEqual(rollout().spec.template.metadata.labels && { 'cdk8s.io/metadata.addr': rollout().spec.template.metadata.labels['cdk8s.io/metadata.addr'] });
    expect(rollout().spec).toMatchObject({ progressDeadlineSeconds: 600, progressDeadlineAbort: true });
  });

  test('canary steps raise the weight to 100 with a pause after every weight but the last', () => {
    expect(canary().steps).toEqual([
      { setWeight: 10 }, { pause: { duration: '2m' } },
      { setWeight: 25 }, { pause: { duration: '2m' } },
      { setWeight: 50 }, { pause: { duration: '5m' } },
      { setWeight: 100 },
    ]);
    const weights = canary().steps.filter((s: { setWeight?: number }) => s.setWeight !== undefined).map((s: { setWeight: number }) => s.setWeight);
    expect(weights).toEqual([...weights].sort((a, b) => a - b));
  });

  test('traffic routing names the mesh and gateway routes and the DestinationRule subsets', () => {
    expect(canary().trafficRouting).toEqual({
      istio: {
        virtualServices: [{ name: 'orders', routes: ['mesh'] }, { name: 'orders-ingress', routes: ['api'] }],
        destinationRule: { name: 'orders', canarySubsetName: 'canary', stableSubsetName: 'stable' },
      },
    });
    const host = 'orders.orders.svc.cluster.local';
    for (const [vs, route] of [['orders', 'mesh'], ['orders-ingress', 'api']]) {
      const routes = objectOf(objects, 'VirtualService', vs).spec.http;
      expect(routes.map((r: { name: string }) => r.name)).toEqual([route]);
      expect(routes[0].route).toEqual([
        { destination: { host, subset: 'stable', port: { number: 8080 } }, weight: 100 },
        { destination: { host, subset: 'canary', port: { number: 8080 } }, weight: 0 },
      ]);
    }
    expect(objectOf(objects, 'DestinationRule', 'orders').spec.subsets).toEqual([
      { name: 'stable', labels: { 'app.kubernetes.io/name': 'orders' } },
      { name: 'canary', labels: { 'app.kubernetes.io/name': 'orders' } },
    ]);
    expect(objectOf(objects, 'DestinationRule', 'orders').spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
  });

  test('a background analysis of the canary from the first pause on; failing it aborts (traffic back to stable)', () => {
    expect(canary().analysis).toEqual({
      templates: [{ templateName: 'orders-health' }],
      args: [{ name: 'pod-template-hash', valueFrom: { podTemplateHashValue: 'Latest' } }],
      startingStep: 1,
    });
    expect(canary()).toMatchObject({ abortScaleDownDelaySeconds: 30, maxUnavailable: 0 });
    // A background analysis runs until the rollout completes: no count.
    for (const m of template().spec.metrics) expect(m.count).toBeUndefined();
  });

  test('analysis thresholds: error ratio below 0.01 and p99 below 500 ms, exact, one failed measurement tolerated', () => {
    expect(metric('error-ratio')).toMatchObject({ successCondition: 'result[0] < 0.01', failureCondition: 'result[0] >= 0.01', failureLimit: 1, interval: '1m', consecutiveErrorLimit: 3 });
    expect(metric('p99-latency-ms')).toMatchObject({ successCondition: 'result[0] < 500', failureCondition: 'result[0] >= 500', failureLimit: 1, interval: '1m' });
    expect(metric('scraped')).toMatchObject({ successCondition: 'result[0] >= 1', failureCondition: 'result[0] < 1' });
  });

  test('queries read the version under analysis from the workspace, signed with SigV4', () => {
    const prometheus = metric('error-ratio').provider.prometheus;
    expect(prometheus.address).toMatch(/^\{\{ImportValue:.*Metrics.*PrometheusEndpoint.*\}\}$/);
    expect(prometheus.authentication).toEqual({ sigv4: { region: '{{Ref:AWS::Region}}' } });
    const version = 'namespace="orders",app="orders",rollouts_pod_template_hash="{{args.pod-template-hash}}"';
    // Probes and scrapes are not requests: they would dilute the error ratio and the p99.
    const selector = `${version},${NOT_REQUESTS}`;
    expect(prometheus.query).toBe(
      `(sum(rate(http_server_request_duration_seconds_count{${selector},status_code=~"5.."}[2m])) or vector(0)) / (sum(rate(http_server_request_duration_seconds_count{${selector}}[2m])) > 0 or vector(1))`,
    );
    expect(metric('p99-latency-ms').provider.prometheus.query).toBe(
      `(1000 * histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{${selector}}[2m]))) >= 0) or vector(0)`,
    );
    expect(metric('scraped').provider.prometheus.query).toBe(`sum(up{${version}})`);
    expect(template().spec.args).toEqual([{ name: 'pod-template-hash' }]);
  });

  test('the autoscaler sizes the Rollout; the PDB and policies still select the pods of both versions', () => {
    expect(objectOf(objects, 'HorizontalPodAutoscaler', 'orders').spec.scaleTargetRef).toEqual({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'orders' });
    expect(objectOf(objects, 'PodDisruptionBudget', 'orders').spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'orders' } });
    expect(objectOf(objects, 'AuthorizationPolicy', 'orders-allow-callers').spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'orders' } });
    const podLabels = rollout().spec.template.metadata.labels;
    for (const policy of objectsOfKind(objects, 'NetworkPolicy')) {
      for (const [key, value] of Object.entries(policy.spec.podSelector.matchLabels ?? {})) expect(podLabels[key]).toBe(value);
    }
  });

  test('the pods are scrapeable: annotations for Istio metrics merging and ingress from the scraper on 15020 only', () => {
    expect(rollout().spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
    const scrape = objectsOfKind(objects, 'NetworkPolicy').flatMap((p) => p.spec.ingress ?? []).filter((rule: any) => rule.from[0].ipBlock);
    expect(scrape).toEqual(SCRAPER_CIDRS.map((cidr) => ({ from: [{ ipBlock: { cidr } }], ports: [{ port: 15020, protocol: 'TCP' }] })));
  });
});

describe('StatelessService blue-green delivery', () => {
  let objects: KubernetesObject[];
  const blueGreen = () => objectOf(objects, 'Rollout', 'orders').spec.strategy.blueGreen;
  const prePromotion = () => objectOf(objects, 'AnalysisTemplate', 'orders-pre-promotion');
  const preMetric = (name: string) => prePromotion().spec.metrics.find((m: { name: string }) => m.name === name);
  const checkJob = () => preMetric('preview-check').provider.job;
  const checkPod = () => checkJob().spec.template;
  const checkPrincipal = 'cluster.local/ns/orders/sa/orders-preview-check';
  const previewHost = 'orders-preview.orders.svc.cluster.local';

  beforeAll(() => {
    // GIVEN blue-green with a 15 minute rollback window and the sample service's preview check
    // WHEN synthesized; THEN the applied objects are read back
    ({ objects } = synthObjects(deliveryFixture((workspace) => ({
      strategy: 'blue-green', rollbackWindow: Duration.minutes(15), metrics: { workspace, scrapeSources: [SCRAPER_PODS] }, previewCheck: PREVIEW_CHECK,
    }))));
  });

  test('scrapeSources: the collector\'s agent pods, by namespace and labels, are the only scrapers admitted, on 15020 only', () => {
    const scrape = objectsOfKind(objects, 'NetworkPolicy').flatMap((p) => p.spec.ingress ?? []).filter((rule: any) => rule.ports?.some((port: any) => port.port === 15020));
    expect(scrape).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'metrics' } }, podSelector: { matchLabels: SCRAPER_PODS.podLabels } }],
      ports: [{ port: 15020, protocol: 'TCP' }],
    }]);
    expect(objectsOfKind(objects, 'NetworkPolicy').flatMap((p) => p.spec.ingress ?? []).filter((rule: any) => rule.from?.some((peer: any) => peer.ipBlock))).toEqual([]);
  });

  test('every object is schema-valid, the Argo and Istio objects against the pinned charts\' CRDs; no Deployment and no Job is applied', () => {
    // Core Kubernetes kinds against the upstream OpenAPI schemas.
    for (const object of objects.filter((o) => !o.apiVersion.includes('.') || /\.k8s\.io\//.test(o.apiVersion))) validateAgainstSchema(object);
    const custom = objects.filter((o) => /argoproj\.io\/|istio\.io\//.test(o.apiVersion));
    const crds = pinnedCrdSchemas([...new Set(custom.map((o) => o.kind))]);
    expect(custom.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual(expect.arrayContaining(['AnalysisTemplate orders-pre-promotion', 'AuthorizationPolicy orders-allow-preview-check', 'Rollout orders']));
    expect(custom.flatMap((o) => crdSchemaErrors(crds, o))).toEqual([]);
    expect(objectsOfKind(objects, 'Deployment')).toEqual([]);
    // Argo creates the check's Jobs, one per round, from the pre-promotion analysis.
    expect(objectsOfKind(objects, 'Job')).toEqual([]);
    expect(restrictedViolations(podTemplateSpec(objectOf(objects, 'Rollout', 'orders'))!)).toEqual([]);
  });

  test('active and preview Services; promotion is automatic only after the pre-promotion analysis passed', () => {
    expect(blueGreen()).toEqual({
      activeService: 'orders',
      previewService: 'orders-preview',
      autoPromotionEnabled: true,
      prePromotionAnalysis: { templates: [{ templateName: 'orders-pre-promotion' }], args: [{ name: 'pod-template-hash', valueFrom: { podTemplateHashValue: 'Latest' } }] },
      postPromotionAnalysis: { templates: [{ templateName: 'orders-health' }], args: [{ name: 'pod-template-hash', valueFrom: { podTemplateHashValue: 'Latest' } }] },
      scaleDownDelaySeconds: 900,
      abortScaleDownDelaySeconds: 30,
    });
    expect(objectOf(objects, 'Service', 'orders-preview').spec.selector).toEqual(objectOf(objects, 'Service', 'orders').spec.selector);
    expect(objectOf(objects, 'DestinationRule', 'orders-preview').spec).toMatchObject({ host: previewHost, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
  });

  test('the pre-promotion analysis drives requests at the preview (a Job per round) and judges them with the health metrics, one interval later', () => {
    expect(prePromotion().spec.metrics.map((m: { name: string }) => m.name)).toEqual(['preview-check', 'preview-requests', 'error-ratio', 'p99-latency-ms', 'scraped']);
    // Five rounds a minute apart; a failed round beyond the failure limit aborts the release.
    expect(preMetric('preview-check')).toEqual({ name: 'preview-check', provider: { job: expect.any(Object) }, interval: '1m', count: 5, failureLimit: 1, consecutiveErrorLimit: 3 });
    for (const name of ['error-ratio', 'p99-latency-ms', 'scraped']) expect(preMetric(name)).toMatchObject({ initialDelay: '1m', interval: '1m', count: 5 });
    expect(prePromotion().spec.args).toEqual([{ name: 'pod-template-hash' }]);
  });

  test('no data fails: the preview must have served 20 requests (probes and scrapes not counted), or the analysis fails and the release is aborted', () => {
    const guard = preMetric('preview-requests');
    expect(guard.provider.prometheus.query).toBe(
      `sum(http_server_request_duration_seconds_count{namespace="orders",app="orders",rollouts_pod_template_hash="{{args.pod-template-hash}}",${NOT_REQUESTS}}) or vector(0)`,
    );
    // Only a success condition, guarded by len(): an empty result or NaN is a failed measurement
    // (with a failure condition too, NaN would be inconclusive and Argo would pause, not abort).
    expect(guard).toMatchObject({ successCondition: 'len(result) > 0 && result[0] >= 20', interval: '1m', initialDelay: '1m', count: 7, failureLimit: -1, consecutiveSuccessLimit: 1 });
    expect(guard.failureCondition).toBeUndefined();
  });

  test('the check Job: the service\'s own image by digest, its own service account, Pod Security "restricted", bounded in time and resources', () => {
    const job = checkJob();
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 120 });
    const pod = checkPod().spec;
    expect(restrictedViolations(pod)).toEqual([]);
    expect(pod).toMatchObject({ serviceAccountName: 'orders-preview-check', automountServiceAccountToken: false, restartPolicy: 'Never', securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    expect(pod.containers).toHaveLength(1);
    const [container] = pod.containers;
    expect(container.image).toBe(podTemplateSpec(objectOf(objects, 'Rollout', 'orders'))!.containers[0].image);
    expect(container.image).toMatch(new RegExp(`@${DIGEST}$`));
    expect(container.args).toEqual(['check']);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '192Mi' }, limits: { cpu: '500m', memory: '192Mi' } });
    expect(container.env).toEqual(expect.arrayContaining([
      { name: 'PREVIEW_URL', value: `http://${previewHost}:8080` },
      { name: 'PREVIEW_VERSION', value: '{{args.pod-template-hash}}' },
      { name: 'CHECK_CUSTOMER_ID', value: PREVIEW_CHECK.environment.CHECK_CUSTOMER_ID },
    ]));
    expect(objectOf(objects, 'ServiceAccount', 'orders-preview-check').automountServiceAccountToken).toBe(false);
  });

  test('the mesh admits the check\'s identity, and only it, to the preview host only, on the check\'s methods and paths', () => {
    const policies = objectsOfKind(objects, 'AuthorizationPolicy');
    const admitting = policies.filter((p) => JSON.stringify(p.spec.rules ?? []).includes(checkPrincipal));
    expect(admitting.map((p) => p.metadata.name)).toEqual(['orders-allow-preview-check']);
    expect(admitting[0].spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: [checkPrincipal] } }],
        to: [{ operation: { hosts: [previewHost, `${previewHost}:8080`], ports: ['8080'], methods: ['GET', 'POST'], paths: ['/v1/*'] } }],
      }],
    });
  });

  test('NetworkPolicies: the check\'s pods reach the service\'s pods on 8080 and nothing else; the service\'s pods admit them there', () => {
    const checkLabels = checkPod().metadata.labels;
    const podLabels = objectOf(objects, 'Rollout', 'orders').spec.template.metadata.labels;
    const selects = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>) =>
      Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const ofCheck = objectsOfKind(objects, 'NetworkPolicy').filter((p) => Object.keys(p.spec.podSelector.matchLabels ?? {}).length > 0 && selects(p.spec.podSelector, checkLabels));
    expect(ofCheck.flatMap((p) => p.spec.ingress ?? [])).toEqual([]);
    expect(ofCheck.flatMap((p) => p.spec.egress ?? [])).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } }, podSelector: { matchLabels: { 'cdk8s.io/metadata.addr': podLabels['cdk8s.io/metadata.addr'] } } }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    }]);
    const fromCheck = objectsOfKind(objects, 'NetworkPolicy').flatMap((p) => (p.spec.ingress ?? []).map((rule: any) => ({ policy: p, rule })))
      .filter(({ rule }) => rule.from?.some((peer: any) => peer.podSelector && selects(peer.podSelector, checkLabels)));
    expect(fromCheck.map(({ policy, rule }) => ({ selects: policy.spec.podSelector.matchLabels, ports: rule.ports }))).toEqual([
      { selects: { 'cdk8s.io/metadata.addr': podLabels['cdk8s.io/metadata.addr'] }, ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
  });

  test('routes are not split by weight (Argo switches the Services instead)', () => {
    expect(objectOf(objects, 'VirtualService', 'orders').spec.http[0].route).toEqual([{ destination: { host: 'orders.orders.svc.cluster.local', port: { number: 8080 } } }]);
    expect(objectOf(objects, 'DestinationRule', 'orders').spec.subsets).toBeUndefined();
  });

  test('the post-promotion analysis ends (5 measurements a minute apart)', () => {
    for (const m of objectOf(objects, 'AnalysisTemplate', 'orders-health').spec.metrics) expect(m).toMatchObject({ count: 5, interval: '1m' });
  });
});

describe('StatelessService rolling delivery', () => {
  test('"rolling" without metrics renders exactly what no delivery setting renders', () => {
    // GIVEN the same service with no delivery and with an explicit rolling delivery
    const plain = synthObjects(deliveryFixture(() => undefined)).objects;
    const rolling = synthObjects(deliveryFixture(() => ({ strategy: 'rolling' }))).objects;
    // THEN the applied objects are identical, with a Deployment and no Argo object
    expect(normalized(rolling)).toEqual(normalized(plain));
    expect(objectsOfKind(rolling, 'Deployment')).toHaveLength(1);
    expect(rolling.filter((o) => o.apiVersion.startsWith('argoproj.io'))).toEqual([]);
  });
});

describe('StatelessService delivery validation', () => {
  test.each<[string, (w: MetricsWorkspace) => ServiceDelivery, string]>([
    ['canary without metrics', () => ({ strategy: 'canary' }), 'delivery.strategy "canary" needs delivery.metrics: the analysis that rolls a bad version back reads the service\'s metrics. Fix: pass the metrics workspace and the scraper (scrapeSources: MetricsCollector.scrapeSource).'],
    ['an error ratio of 1', (workspace) => ({ strategy: 'canary', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, analysis: { maxErrorRatio: 1 } }), 'delivery.analysis.maxErrorRatio 1 must be between 0 and 1 (exclusive), e.g. 0.01 for 1%.'],
    ['an interval below the scrape interval', (workspace) => ({ strategy: 'canary', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, analysis: { interval: Duration.seconds(10) } }), 'delivery.analysis.interval 10s must be 30s to 1h: metrics are scraped every 30s.'],
    ['weights that do not increase', (workspace) => ({ strategy: 'canary', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, canarySteps: [{ weight: 50, pause: Duration.minutes(2) }, { weight: 20, pause: Duration.minutes(2) }, { weight: 100 }] }), 'delivery.canarySteps weights [50,20,100] must increase step by step.'],
    ['weights that stop short of 100', (workspace) => ({ strategy: 'canary', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, canarySteps: [{ weight: 10, pause: Duration.minutes(2) }, { weight: 50, pause: Duration.minutes(2) }] }), 'delivery.canarySteps weights [10,50] must end at 100.'],
    ['a pause shorter than the interval', (workspace) => ({ strategy: 'canary', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, canarySteps: [{ weight: 10, pause: Duration.seconds(30) }, { weight: 100 }] }), 'delivery.canarySteps pause of 30s after 10% is shorter than the analysis interval (60s): the step would pass unmeasured.'],
    ['no scraper', (workspace) => ({ strategy: 'rolling', metrics: { workspace, scrapeSourceCidrs: [] } }), 'delivery.metrics has no scrapeSources and no scrapeSourceCidrs: the pods\' NetworkPolicy must admit the scraper. Fix: pass MetricsCollector.scrapeSource in scrapeSources (or ClusterMetricsScraper.sourceCidrs in scrapeSourceCidrs).'],
    ['a scraper in no namespace', (workspace) => ({ strategy: 'rolling', metrics: { workspace, scrapeSources: [{ namespace: '', podLabels: { app: 'x' } }] } }), 'delivery.metrics.scrapeSources[0].namespace is empty. Fix: give the namespace the scraper pods run in (MetricsCollector.scrapeSource).'],
    ['blue-green without a preview check', (workspace) => ({ strategy: 'blue-green', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS } }), 'delivery.strategy "blue-green" needs delivery.previewCheck: nothing else sends requests to the preview version, so its pre-promotion analysis would judge no traffic and promote on no evidence. Fix: pass previewCheck: { args } with a command of the service\'s image that sends one round of requests at PREVIEW_URL and exits 0 only if every response was right (the sample service: ["check"]).'],
    ['a preview check on a canary', (workspace) => ({ strategy: 'canary', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, previewCheck: PREVIEW_CHECK }), 'delivery.previewCheck is set, but delivery.strategy is "canary": only blue-green has a preview Service to check before promotion. Fix: remove previewCheck, or set strategy to "blue-green".'],
    ['a preview check without a command', (workspace) => ({ strategy: 'blue-green', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, previewCheck: { args: [] } }), 'delivery.previewCheck.args [] must name the check command of the service\'s image (non-empty strings), e.g. ["check"].'],
    ['a preview check that sets PREVIEW_URL', (workspace) => ({ strategy: 'blue-green', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, previewCheck: { args: ['check'], environment: { PREVIEW_URL: 'http://orders' } } }), 'delivery.previewCheck.environment sets PREVIEW_URL, which the platform sets (the preview URL and the version under check). Fix: remove it.'],
    ['a preview check needing no requests', (workspace) => ({ strategy: 'blue-green', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, previewCheck: { args: ['check'], minRequests: 0 } }), 'delivery.previewCheck.minRequests 0 must be a whole number from 1 to 100000: with 0 the preview could be promoted without serving a request.'],
    ['a preview check allowed a wildcard path', (workspace) => ({ strategy: 'blue-green', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, previewCheck: { args: ['check'], pathPrefixes: ['/*'] } }), 'delivery.previewCheck.pathPrefixes ["/*"] must list path prefixes starting with "/" (without "*"), at least one, e.g. ["/v1/"].'],
    ['a preview check that may hang for an hour', (workspace) => ({ strategy: 'blue-green', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, previewCheck: { args: ['check'], timeout: Duration.hours(1) } }), 'delivery.previewCheck.timeout 3600s must be 10s to 600s: a round that hangs longer holds the release.'],
  ])('refuses %s', (_, delivery, message) => {
    expect(() => deliveryFixture(delivery)).toThrow(`StatelessService Workloads/Orders: ${message}`);
  });

  test('refuses blue-green for a service name too long to name its preview check', () => {
    const app = createTestApp();
    const workspace = new MetricsWorkspace(new Stack(app, 'Observability'), 'Metrics');
    const serviceName = `o${'r'.repeat(49)}`;
    expect(() => workloadFixture({ serviceName, delivery: { strategy: 'blue-green', metrics: { workspace, scrapeSourceCidrs: SCRAPER_CIDRS }, previewCheck: PREVIEW_CHECK } }, app))
      .toThrow(`StatelessService Workloads/Orders: serviceName "${serviceName}" is too long for blue-green: "${serviceName}-preview-check" names the preview check's service account and labels its pods, and label values have at most 63 characters. Fix: a serviceName of at most 49 characters.`);
  });
});
