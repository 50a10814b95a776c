import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApplicationNamespace } from '../../../constructs/cluster';
import { IstioMesh, type MeshTracingOptions } from '../../../constructs/mesh';
import { OTEL_COLLECTOR_CHART_VERSION, OTEL_COLLECTOR_IMAGE, TraceCollector, type TraceCollectorProps } from '../../../constructs/observability';
import { helmReleases, kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type HelmRelease, type KubernetesObject } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from '../mesh/mesh-test-cluster';
import { podIdentityTrustStatements } from '../../support/pod-identity';

const QUOTA = { cpu: 4, memoryGiB: 8, pods: 40 };
const COLLECTOR_PODS = { 'app.kubernetes.io/name': 'trace-collector', 'app.kubernetes.io/instance': 'trace-collector' };

/** A cluster with a mesh tracing to the collector (10%), two application namespaces, and the collector. */
function collectorStack(id: string, overrides: Partial<TraceCollectorProps> = {}, meshTracing: MeshTracingOptions | null = TraceCollector.meshTracing(10)) {
  const built = meshTestCluster(id);
  const mesh = new IstioMesh(built.stack, 'Mesh', { cluster: built.cluster, vpc: built.vpc, tracing: meshTracing ?? undefined });
  const orders = new ApplicationNamespace(built.stack, 'Orders', { cluster: built.cluster, name: 'orders', quota: QUOTA });
  const billing = new ApplicationNamespace(built.stack, 'Billing', { cluster: built.cluster, name: 'billing', quota: QUOTA });
  const make = () => new TraceCollector(built.stack, 'Traces', {
    cluster: built.cluster,
    vpc: built.vpc,
    mesh,
    senders: [{ namespace: orders }, { namespace: billing, serviceAccounts: ['invoices'] }],
    ...overrides,
  });
  return { ...built, mesh, orders, billing, make };
}

describe('TraceCollector', () => {
  let built: ReturnType<typeof collectorStack>;
  let collector: TraceCollector;
  let template: Template;
  let release: HelmRelease;
  let objects: KubernetesObject[];
  let findings: ReturnType<typeof synthWithGate>['findings'];
  const inTracing = () => objects.filter((o) => o.metadata.namespace === 'tracing');

  beforeAll(() => {
    // GIVEN a meshed cluster with two application namespaces; WHEN the collector is added and synthesized through the gate
    built = collectorStack('Tracing');
    collector = built.make();
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(built.stack);
    [release] = helmReleases(template).filter((r) => r.chart === 'opentelemetry-collector');
    objects = kubernetesObjects(template);
  });

  test('the compliance gate has no open findings', () => {
    expect(findings).toEqual([]);
  });

  // --- chart ----------------------------------------------------------------------------------
  test('the official chart at its pinned version, in its own namespace, with the pinned contrib image', () => {
    expect(release).toMatchObject({
      chart: 'opentelemetry-collector', repository: 'https://open-telemetry.github.io/opentelemetry-helm-charts', version: OTEL_COLLECTOR_CHART_VERSION,
      release: 'trace-collector', namespace: 'tracing', createNamespace: false,
    });
    expect(release.values.image).toEqual({ repository: 'otel/opentelemetry-collector-contrib', tag: OTEL_COLLECTOR_IMAGE.tag, pullPolicy: 'IfNotPresent' });
    expect(release.values).toMatchObject({ mode: 'deployment', nameOverride: 'trace-collector', fullnameOverride: 'trace-collector' });
  });

  test('highly available: 2 replicas, surge-only rollouts, spread over zones, bounded resources and GOMEMLIMIT', () => {
    expect(release.values.replicaCount).toBe(2);
    expect(release.values.rollout).toEqual({ strategy: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(release.values.topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, labelSelector: { matchLabels: COLLECTOR_PODS } })]);
    expect(release.values.resources).toEqual({ requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(release.values.useGOMEMLIMIT).toBe(true);
    const pdb = objectOf(objects, 'PodDisruptionBudget', 'trace-collector');
    validateAgainstSchema(pdb);
    expect(pdb).toMatchObject({ metadata: { namespace: 'tracing' }, spec: { maxUnavailable: 1, selector: { matchLabels: COLLECTOR_PODS }, unhealthyPodEvictionPolicy: 'AlwaysAllow' } });
  });

  test('Pod Security "restricted", enforced by its namespace, inside the mesh; no token, no host access', () => {
    expect(release.values.podSecurityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(release.values.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(release.values).toMatchObject({ hostNetwork: false, hostPID: false, clusterRole: { create: false } });
    expect(release.values.serviceAccount).toEqual({ create: true, name: 'trace-collector', automountServiceAccountToken: false });
    expect(objectOf(objects, 'Namespace', 'tracing').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.36', 'istio-injection': 'enabled',
    });
  });

  test('the collector config is ours whole: OTLP in on 4317/4318, memory_limiter then batch, X-Ray out, health check; no debug exporter', () => {
    const config = release.values.alternateConfig;
    expect(config.receivers).toEqual({ otlp: { protocols: { grpc: { endpoint: '${env:MY_POD_IP}:4317' }, http: { endpoint: '${env:MY_POD_IP}:4318' } } } });
    expect(config.exporters).toEqual({ awsxray: { region: '{{Ref:AWS::Region}}', telemetry: { enabled: true, include_metadata: false } } });
    expect(config.service.pipelines).toEqual({ traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['awsxray'] } });
    expect(config.processors.memory_limiter).toMatchObject({ limit_percentage: 80, spike_limit_percentage: 25 });
    expect(config.extensions).toEqual({ health_check: { endpoint: '${env:MY_POD_IP}:13133' } });
    expect(config.service.extensions).toEqual(['health_check']);
    expect(JSON.stringify(config)).not.toMatch(/debug|logging|zipkin|jaeger/);
    // Its own metrics on the pod's loopback only; no metrics port on the pod or the Service.
    expect(config.service.telemetry.metrics.readers).toEqual([{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: 8888 } } } }]);
    expect(release.values.ports.metrics).toEqual({ enabled: false });
  });

  test('only the OTLP ports are open on the pods and the Service, declared gRPC and HTTP for Istio', () => {
    const enabled = Object.entries(release.values.ports as Record<string, { enabled: boolean }>).filter(([, p]) => p.enabled).map(([name]) => name);
    expect(enabled.sort()).toEqual(['otlp', 'otlp-http']);
    expect(release.values.ports.otlp).toMatchObject({ containerPort: 4317, servicePort: 4317, appProtocol: 'grpc' });
    expect(release.values.ports['otlp-http']).toMatchObject({ containerPort: 4318, servicePort: 4318, appProtocol: 'http' });
    expect(release.values.service).toEqual({ type: 'ClusterIP' });
  });

  // --- zero trust -----------------------------------------------------------------------------
  test('the AuthorizationPolicy admits only the senders\' identities and the gateway\'s, and only trace export', () => {
    const policy = objectOf(objects, 'AuthorizationPolicy', 'trace-collector-allow-senders');
    validateAgainstSchema(policy);
    const principals = ['cluster.local/ns/orders/sa/*', 'cluster.local/ns/billing/sa/invoices', 'cluster.local/ns/istio-ingress/sa/ingress-gateway'];
    expect(policy.metadata.namespace).toBe('tracing');
    expect(policy.spec).toEqual({
      selector: { matchLabels: COLLECTOR_PODS },
      action: 'ALLOW',
      rules: [
        { from: [{ source: { principals } }], to: [{ operation: { ports: ['4317'], paths: ['/opentelemetry.proto.collector.trace.v1.TraceService/Export'] } }] },
        { from: [{ source: { principals } }], to: [{ operation: { ports: ['4318'], methods: ['POST'], paths: ['/v1/traces'] } }] },
      ],
    });
    expect(collector.senderPrincipals).toEqual(principals);
    // Nothing else in the namespace allows or weakens anything.
    expect(objectsOfKind(inTracing(), 'AuthorizationPolicy')).toHaveLength(1);
    expect(objectsOfKind(inTracing(), 'PeerAuthentication')).toEqual([]);
  });

  test('NetworkPolicies: default deny; OTLP in from the sender namespaces and the gateway pods only', () => {
    const policies = objectsOfKind(inTracing(), 'NetworkPolicy');
    for (const policy of policies) validateAgainstSchema(policy);
    expect(policies.map((p) => p.metadata.name)).toEqual(['default-deny', 'allow-dns', 'allow-mesh-control-plane', 'allow-trace-senders', 'allow-pod-identity-agent', 'allow-xray-endpoint']);
    expect(objectOf(policies, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(objectOf(policies, 'NetworkPolicy', 'allow-trace-senders').spec).toEqual({
      podSelector: { matchLabels: COLLECTOR_PODS },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'billing' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-ingress' } }, podSelector: { matchLabels: { istio: 'ingress-gateway' } } },
        ],
        ports: [{ protocol: 'TCP', port: 4317 }, { protocol: 'TCP', port: 4318 }],
      }],
    });
    // The only ingress rule of the namespace is that one.
    expect(policies.filter((p) => p.spec.ingress).map((p) => p.metadata.name)).toEqual(['allow-trace-senders']);
  });

  test('with scrapeSources, only those pods are admitted, only on the sidecars\' merged metrics port (15020); without, nothing', () => {
    const scraper = { namespace: 'metrics', podLabels: { 'app.kubernetes.io/instance': 'metrics-agent' } };
    const scraped = collectorStack('TracingScraped', { scrapeSources: [scraper] });
    scraped.make();
    const policies = objectsOfKind(kubernetesObjects(Template.fromStack(scraped.stack)).filter((o) => o.metadata.namespace === 'tracing'), 'NetworkPolicy');
    const scrape = objectOf(policies, 'NetworkPolicy', 'allow-metrics-scrape');
    validateAgainstSchema(scrape);
    expect(scrape.spec).toEqual({
      podSelector: { matchLabels: COLLECTOR_PODS },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'metrics' } }, podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'metrics-agent' } } }],
        ports: [{ protocol: 'TCP', port: 15020 }],
      }],
    });
    expect(objectsOfKind(inTracing(), 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('allow-metrics-scrape');
    // A source without pod labels would admit its whole namespace.
    expect(() => collectorStack('TracingWideScrape', { scrapeSources: [{ namespace: 'metrics', podLabels: {} }] }).make())
      .toThrow('scrapeSources[0].podLabels is empty: it would admit every pod of namespace "metrics"');
  });

  test('NetworkPolicies: egress only to DNS, istiod (xDS), the Pod Identity agent and HTTPS inside the VPC (X-Ray endpoint)', () => {
    const egress = Object.fromEntries(objectsOfKind(inTracing(), 'NetworkPolicy').filter((p) => p.spec.egress).map((p) => [p.metadata.name, p.spec.egress]));
    expect(egress).toEqual({
      'allow-dns': [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      }],
      'allow-mesh-control-plane': [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
        ports: [{ protocol: 'TCP', port: 15012 }],
      }],
      'allow-pod-identity-agent': [{ to: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }],
      'allow-xray-endpoint': [{ to: [{ ipBlock: { cidr: expect.stringMatching(/^\{\{GetAtt:NetworkVpc[0-9A-F]{8}\.CidrBlock\}\}$/) } }], ports: [{ protocol: 'TCP', port: 443 }] }],
    });
    expect(JSON.stringify(egress)).not.toContain('0.0.0.0/0');
  });

  test('a ServiceEntry lets only the region\'s X-Ray API out of the REGISTRY_ONLY mesh, for this namespace only', () => {
    const entries = objectsOfKind(inTracing(), 'ServiceEntry');
    expect(entries).toHaveLength(1);
    validateAgainstSchema(entries[0]);
    expect(entries[0].spec).toEqual({
      hosts: ['xray.{{Ref:AWS::Region}}.{{Ref:AWS::URLSuffix}}'],
      ports: [{ number: 443, protocol: 'TLS', name: 'tls-443' }],
      location: 'MESH_EXTERNAL',
      resolution: 'DNS',
      exportTo: ['.'],
    });
  });

  test('the collector\'s own sidecar reports no spans (its inbound traffic is span export, not a trace)', () => {
    const telemetry = objectOf(inTracing(), 'Telemetry', 'no-span-reporting');
    validateAgainstSchema(telemetry);
    expect(telemetry.spec).toEqual({ tracing: [{ disableSpanReporting: true }] });
  });

  // --- identity -------------------------------------------------------------------------------
  test('the role may only write trace segments and telemetry records, in the stack\'s region, through Pod Identity of its service account', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => id.startsWith('Traces'));
    expect(policies).toHaveLength(1);
    expect(policies[0][1].Properties.PolicyDocument.Statement).toEqual([{
      Sid: 'WriteTraces',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      Effect: 'Allow',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } },
    }]);
    expect(policies[0][1].Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^TracesRole/) }]);
    // No inline policy on the role.
    expect(Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) => id.startsWith('Traces'))).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: podIdentityTrustStatements('tracing', ['trace-collector']) },
      Description: Match.stringLikeRegexp('^Trace collector \\(tracing/trace-collector\\)'),
    });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'tracing', ServiceAccount: 'trace-collector', RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TracesRole'), 'Arn'] } });
  });

  // --- ordering and composition ---------------------------------------------------------------
  test('the chart waits for its namespace and policies, the Pod Identity association and the role\'s policy; those wait for the mesh', () => {
    expect(release.dependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^TracesNamespace/), expect.stringMatching(/^TracesPodIdentity/), expect.stringMatching(/^TracesPolicy/),
    ]));
    const manifest = Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')).find(([id]) => id.startsWith('TracesNamespace'))!;
    expect(manifest[1].DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^MeshIstiod/), expect.stringMatching(/^MeshPolicies/)]));
  });

  test('exportFor(namespace) hands a sender namespace the OTLP/HTTP endpoint, the mesh\'s sampling and the collector\'s pods', () => {
    expect(collector.exportFor(built.orders)).toEqual({
      otlpHttpEndpoint: 'http://trace-collector.tracing.svc.cluster.local:4318',
      samplingRatio: 0.1,
      collectorNamespace: 'tracing',
      collectorPodLabels: COLLECTOR_PODS,
      ports: [4317, 4318],
    });
  });

  test('exportFor refuses a namespace that is not a sender', () => {
    const other = new ApplicationNamespace(built.stack, 'Other', { cluster: built.cluster, name: 'other', quota: QUOTA });
    expect(() => collector.exportFor(other)).toThrow('TraceCollector Tracing/Traces: exportFor("other"): the namespace on cluster Tracing/Platform/Cluster is not one of the senders ("orders", "billing"), so the collector\'s AuthorizationPolicy and NetworkPolicy would refuse its spans. Fix: add { namespace } to senders.');
  });

  // --- bad input ------------------------------------------------------------------------------
  const meshFix = 'Fix: give the IstioMesh tracing: TraceCollector.meshTracing(samplingPercentage), i.e. collectorHost "trace-collector.tracing.svc.cluster.local" and port 4317.';
  test.each([
    ['a version range', { chartVersion: '^0.170.0' }, undefined, 'chartVersion "^0.170.0" is not an exact version. Fix: pin a release such as "0.170.0" (no ranges).'],
    ['a single replica', { replicas: 1 }, undefined, 'replicas 1 must be a whole number from 2 to 10: one replica loses spans while it restarts.'],
    ['a mesh without tracing', {}, null, `mesh Bad/Mesh has no tracing: its proxies (the gateway, every sidecar) would report no spans here, and services would have no edge sampling to follow. ${meshFix}`],
    ['a mesh tracing elsewhere', {}, { collectorHost: 'otel.observability.svc.cluster.local', samplingPercentage: 10 }, `mesh Bad/Mesh reports spans to "otel.observability.svc.cluster.local:4317", not to this collector. ${meshFix}`],
  ] as const)('refuses %s', (_, overrides, tracing, message) => {
    const bad = collectorStack('Bad', overrides, tracing === undefined ? TraceCollector.meshTracing(10) : tracing);
    expect(() => bad.make()).toThrow(`TraceCollector Bad/Traces: ${message}`);
  });

  test.each([
    ['a namespace listed twice', (b: ReturnType<typeof collectorStack>) => [{ namespace: b.orders }, { namespace: b.orders }], 'senders lists namespace "orders" twice. Fix: one entry per namespace (list its serviceAccounts together).'],
    ['an empty service account list', (b: ReturnType<typeof collectorStack>) => [{ namespace: b.orders, serviceAccounts: [] }], 'senders entry for namespace "orders" has an empty serviceAccounts list, which admits nobody. Fix: list the service accounts, or omit serviceAccounts to admit every one of the namespace.'],
    ['a malformed service account', (b: ReturnType<typeof collectorStack>) => [{ namespace: b.orders, serviceAccounts: ['Orders API'] }], 'senders entry for namespace "orders" has service account "Orders API", which is not a Kubernetes service account name known at synth. Fix: lowercase letters, digits, "-" and ".", e.g. "orders".'],
  ])('refuses %s', (_, senders, message) => {
    const bad = collectorStack('Bad');
    expect(() => new TraceCollector(bad.stack, 'Traces', { cluster: bad.cluster, vpc: bad.vpc, mesh: bad.mesh, senders: senders(bad) })).toThrow(`TraceCollector Bad/Traces: ${message}`);
  });
});
