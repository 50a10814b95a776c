import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MetricsWorkspace } from '../../../constructs/observability';
import type { ServiceDelivery } from '../../../constructs/workload';
import { kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type KubernetesObject } from '../../support/manifests';
import { podTemplateSpec, restrictedViolations } from '../../support/pod-security';
import { createTestApp, synthWithGate } from '../../support/test-app';
import { workloadFixture } from './workload-fixture';

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
    const selector = 'namespace="orders",app="orders",rollouts_pod_template_hash="{{args.pod-template-hash}}"';
    expect(prometheus.query).toBe(
      `(sum(rate(http_server_request_duration_seconds_count{${selector},status_code=~"5.."}[2m])) or vector(0)) / (sum(rate(http_server_request_duration_seconds_count{${selector}}[2m])) > 0 or vector(1))`,
    );
    expect(metric('p99-latency-ms').provider.prometheus.query).toBe(
      `(1000 * histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{${selector}}[2m]))) >= 0) or vector(0)`,
    );
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

  beforeAll(() => {
    // GIVEN blue-green with a 15 minute rollback window; WHEN synthesized
    ({ objects } = synthObjects(deliveryFixture((workspace) => ({ strategy: 'blue-green', rollbackWindow: Duration.minutes(15), metrics: { workspace, scrapeSources: [SCRAPER_PODS] } }))));
  });

  test('scrapeSources: the collector\'s agent pods, by namespace and labels, are the only scrapers admitted, on 15020 only', () => {
    const scrape = objectsOfKind(objects, 'NetworkPolicy').flatMap((p) => p.spec.ingress ?? []).filter((rule: any) => rule.ports?.some((port: any) => port.port === 15020));
    expect(scrape).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'metrics' } }, podSelector: { matchLabels: SCRAPER_PODS.podLabels } }],
      ports: [{ port: 15020, protocol: 'TCP' }],
    }]);
    expect(objectsOfKind(objects, 'NetworkPolicy').flatMap((p) => p.spec.ingress ?? []).filter((rule: any) => rule.from?.some((peer: any) => peer.ipBlock))).toEqual([]);
  });

  test('every object is schema-valid and no Deployment is applied', () => {
    for (const object of objects) validateAgainstSchema(object);
    expect(objectsOfKind(objects, 'Deployment')).toEqual([]);
    expect(restrictedViolations(podTemplateSpec(objectOf(objects, 'Rollout', 'orders'))!)).toEqual([]);
  });

  test('active and preview Services; promotion is automatic only after the pre-promotion analysis passed', () => {
    expect(blueGreen()).toEqual({
      activeService: 'orders',
      previewService: 'orders-preview',
      autoPromotionEnabled: true,
      prePromotionAnalysis: { templates: [{ templateName: 'orders-health' }], args: [{ name: 'pod-template-hash', valueFrom: { podTemplateHashValue: 'Latest' } }] },
      postPromotionAnalysis: { templates: [{ templateName: 'orders-health' }], args: [{ name: 'pod-template-hash', valueFrom: { podTemplateHashValue: 'Latest' } }] },
      scaleDownDelaySeconds: 900,
      abortScaleDownDelaySeconds: 30,
    });
    expect(objectOf(objects, 'Service', 'orders-preview').spec.selector).toEqual(objectOf(objects, 'Service', 'orders').spec.selector);
    expect(objectOf(objects, 'DestinationRule', 'orders-preview').spec).toMatchObject({ host: 'orders-preview.orders.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
  });

  test('the analysis ends (5 measurements a minute apart) so promotion can happen', () => {
    for (const m of objectOf(objects, 'AnalysisTemplate', 'orders-health').spec.metrics) expect(m).toMatchObject({ count: 5, interval: '1m' });
  });

  test('routes are not split by weight (Argo switches the Services instead)', () => {
    expect(objectOf(objects, 'VirtualService', 'orders').spec.http[0].route).toEqual([{ destination: { host: 'orders.orders.svc.cluster.local', port: { number: 8080 } } }]);
    expect(objectOf(objects, 'DestinationRule', 'orders').spec.subsets).toBeUndefined();
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
  ])('refuses %s', (_, delivery, message) => {
    expect(() => deliveryFixture(delivery)).toThrow(`StatelessService Workloads/Orders: ${message}`);
  });
});
