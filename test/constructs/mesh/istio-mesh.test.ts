import { CfnResource, Stack, type CfnElement } from 'aws-cdk-lib';
import { Dependable } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { IstioMesh, MESH_TRACING_PROVIDER, type IstioMeshProps, type MeshTracingOptions } from '../../../constructs/mesh';
import { helmReleases, kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type HelmRelease, type KubernetesObject } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from './mesh-test-cluster';

const EXACT_SEMVER = /^\d+\.\d+\.\d+$/;

function meshStack(props: Partial<IstioMeshProps> = {}, id = 'Mesh') {
  const built = meshTestCluster(id);
  const mesh = new IstioMesh(built.stack, 'Mesh', { cluster: built.cluster, vpc: built.vpc, ...props });
  return { ...built, mesh };
}

describe('IstioMesh', () => {
  let built: ReturnType<typeof meshStack>;
  let template: Template;
  let objects: KubernetesObject[];
  let releases: HelmRelease[];
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN a cluster WHEN the mesh is added with its defaults and synthesized through the gate
    built = meshStack();
    built.mesh.addServiceEntry('Sts', { name: 'aws-sts', hosts: ['sts.eu-west-1.amazonaws.com'], ports: [{ port: 443 }] });
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(built.stack);
    objects = kubernetesObjects(template);
    releases = helmReleases(template);
  });

  const release = (chart: string) => {
    const found = releases.filter((r) => r.chart === chart);
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('passes the compliance gate with only registered acknowledgments', () => {
    expect(findings).toEqual([]);
  });

  // --- charts ---------------------------------------------------------------------------------
  test('installs base, cni, istiod and gateway from the official repository, pinned to one exact Istio version', () => {
    for (const chart of ['base', 'cni', 'istiod', 'gateway']) {
      // Istio 1.31 charts are published only at blob.istio.io (istio-release.storage.googleapis.com stopped with 1.31).
      expect(release(chart)).toMatchObject({ repository: 'https://blob.istio.io/istio-release/charts', version: '1.31.0' });
    }
  });

  test('every chart is pinned to an exact version from an https repository', () => {
    expect(releases.length).toBe(5);
    for (const r of releases) {
      expect(r.version).toMatch(EXACT_SEMVER);
      expect(r.repository).toMatch(/^https:\/\//);
    }
  });

  test('charts install in order: base -> cni -> istiod -> policies -> gateway', () => {
    const id = (chart: string) => release(chart).logicalId;
    expect(release('cni').dependsOn).toContain(id('base'));
    expect(release('istiod').dependsOn).toContain(id('cni'));
    const policies = Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .find(([, r]) => JSON.stringify(r.Properties.Manifest).includes('allow-nothing'))!;
    expect(policies[1].DependsOn).toContain(id('istiod'));
    expect(release('gateway').dependsOn).toEqual(expect.arrayContaining([policies[0], id('aws-load-balancer-controller')]));
  });

  test('istiod uses Istio CNI (no NET_ADMIN init container) and native sidecars', () => {
    expect(release('istiod').values).toMatchObject({ cni: { enabled: true }, env: { ENABLE_NATIVE_SIDECARS: 'true' } });
    expect(release('istiod').values.pilot).toBeUndefined();
    expect(release('istiod').values.global.proxy.privileged).toBe(false);
  });

  test('the CNI node agent runs in istio-system, chained to the VPC CNI', () => {
    expect(release('cni')).toMatchObject({ namespace: 'istio-system', values: { chained: true, cniBinDir: '/opt/cni/bin', cniConfDir: '/etc/cni/net.d' } });
  });

  test('outbound traffic is limited to the mesh registry (REGISTRY_ONLY)', () => {
    expect(release('istiod').values.meshConfig.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
  });

  test('istiod is highly available: HPA min 2, PDB, spread over zones', () => {
    const { values } = release('istiod');
    expect(values).toMatchObject({ autoscaleEnabled: true, autoscaleMin: 2, replicaCount: 2 });
    expect(values.global.defaultPodDisruptionBudget).toEqual({ enabled: true });
    expect(values.topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, labelSelector: { matchLabels: { app: 'istiod' } } })]);
  });

  test('the gateway is highly available: HPA min 2, PDB, spread over zones', () => {
    const { values } = release('gateway');
    expect(values.autoscaling).toMatchObject({ enabled: true, minReplicas: 2 });
    expect(values.podDisruptionBudget).toEqual({ minAvailable: 1 });
    expect(values.topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { app: 'ingress-gateway', istio: 'ingress-gateway' } } })]);
  });

  test('the gateway runs non-root without capabilities, as Pod Security "restricted" requires', () => {
    const { values } = release('gateway');
    expect(values.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.containerSecurityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  test('exposes a service through its gateway: the Gateway, its pods, its identity, the routes given', () => {
    expect(built.mesh.gatewayExposure({ hosts: ['orders.example.com'], methods: ['GET'] })).toEqual({
      gateway: 'istio-ingress/ingress',
      namespace: 'istio-ingress',
      podLabels: { istio: 'ingress-gateway' },
      principal: 'cluster.local/ns/istio-ingress/sa/ingress-gateway',
      hosts: ['orders.example.com'],
      methods: ['GET'],
    });
  });

  test('the gateway Service is an internal NLB (AWS Load Balancer Controller) on 443 only, open to the VPC CIDR', () => {
    const { service } = release('gateway').values;
    expect(service.type).toBe('LoadBalancer');
    expect(service.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 }]);
    expect(service.annotations).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
    });
    expect(service.annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toBeUndefined();
    expect(service.loadBalancerSourceRanges).toEqual(['{{GetAtt:NetworkVpc7FB7348F.CidrBlock}}']);
  });

  // --- policies -------------------------------------------------------------------------------
  test('every manifest object matches its upstream schema', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) validateAgainstSchema(object);
  });

  test('mesh-wide mTLS is STRICT in the root namespace', () => {
    expect(objectOf(objects, 'PeerAuthentication', 'default')).toMatchObject({ metadata: { namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } });
  });

  test('mesh-wide default deny: an allow-nothing AuthorizationPolicy in the root namespace', () => {
    expect(objectOf(objects, 'AuthorizationPolicy', 'allow-nothing')).toMatchObject({ metadata: { namespace: 'istio-system' }, spec: {} });
    expect(objectOf(objects, 'AuthorizationPolicy', 'allow-nothing').spec).toEqual({});
  });

  test('no PERMISSIVE or DISABLE anywhere in manifests or chart values', () => {
    const everything = JSON.stringify([objects, releases.map((r) => r.values)]);
    expect(everything).not.toMatch(/PERMISSIVE|"DISABLE"/);
  });

  test('the gateway accepts its HTTPS port only from the VPC (where the NLB lives)', () => {
    expect(objectOf(objects, 'AuthorizationPolicy', 'ingress-gateway-from-load-balancer')).toMatchObject({
      metadata: { namespace: 'istio-ingress' },
      spec: { action: 'ALLOW', selector: { matchLabels: { istio: 'ingress-gateway' } }, rules: [{ from: [{ source: { ipBlocks: ['{{GetAtt:NetworkVpc7FB7348F.CidrBlock}}'] } }], to: [{ operation: { ports: ['8443'] } }] }] },
    });
  });

  test('the gateway namespace is default-denied: the NLB reaches 8443 and 15021 from the VPC, the gateway reaches DNS, istiod and meshed apps only', () => {
    const inGatewayNs = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'istio-ingress');
    expect(objectOf(inGatewayNs, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const ingress = inGatewayNs.flatMap((p) => p.spec.ingress ?? []);
    expect(ingress).toEqual([{ from: [{ ipBlock: { cidr: expect.stringMatching(/^10\.|\{\{/) } }], ports: [{ protocol: 'TCP', port: 8443 }, { protocol: 'TCP', port: 15021 }] }]);
    const egressTo = inGatewayNs.flatMap((p) => p.spec.egress ?? []).map((e: any) => JSON.stringify(e.to));
    expect(egressTo).toHaveLength(3);
    expect(egressTo.join()).not.toMatch(/ipBlock/);
  });

  describe('istio-system (the control plane) denies by default', () => {
    const inRoot = () => objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'istio-system');
    const istiod = { matchLabels: { app: 'istiod' } };

    test('exactly: default deny, DNS, xDS from meshed namespaces, webhooks from the API server, HTTPS to the API server; every policy schema-valid', () => {
      for (const policy of inRoot()) validateAgainstSchema(policy);
      expect(Object.fromEntries(inRoot().map((p) => [p.metadata.name, p.spec]))).toEqual({
        'default-deny': { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
        'allow-dns': {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
        },
        'istiod-from-meshed-workloads': {
          podSelector: istiod,
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }], ports: [{ protocol: 'TCP', port: 15012 }] }],
        },
        'istiod-from-api-server': {
          podSelector: istiod,
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ ipBlock: { cidr: '10.50.0.0/16' } }], ports: [{ protocol: 'TCP', port: 15017 }] }],
        },
        'istiod-to-api-server': {
          podSelector: istiod,
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '172.20.0.1/32' } }, { ipBlock: { cidr: '10.50.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
        },
      });
    });

    test('no policy admits or sends to anywhere: every rule names its peers and ports', () => {
      for (const policy of inRoot()) {
        for (const rule of [...(policy.spec.ingress ?? []), ...(policy.spec.egress ?? [])]) {
          expect((rule.from ?? rule.to ?? []).length).toBeGreaterThan(0);
          expect((rule.ports ?? []).length).toBeGreaterThan(0);
          expect(JSON.stringify(rule)).not.toContain('0.0.0.0/0');
        }
      }
    });

    test('they are in place before istiod is installed, after the namespace exists; the charts\' own allow-all policies stay off', () => {
      const id = built.stack.resolve((built.mesh.controlPlaneNetworkPolicies.node.defaultChild as CfnResource).logicalId);
      expect(release('istiod').dependsOn).toContain(id);
      expect(template.toJSON().Resources[id].DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^MeshNamespaces/)]));
      for (const chart of ['base', 'cni', 'istiod']) expect(release(chart).values.global?.networkPolicy?.enabled).not.toBe(true);
    });

    test('allowControlPlaneScrape admits the metrics collector\'s pods to istiod\'s monitoring port 15014 only, once per scraper namespace', () => {
      const b = meshStack({}, 'Scrape');
      const source = { namespace: 'metrics', podLabels: { 'app.kubernetes.io/instance': 'metrics-agent' } };
      b.mesh.allowControlPlaneScrape(source);
      const policy = objectOf(kubernetesObjects(Template.fromStack(b.stack)), 'NetworkPolicy', 'istiod-from-scraper-metrics');
      validateAgainstSchema(policy);
      expect(policy.spec).toEqual({
        podSelector: istiod,
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'metrics' } }, podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'metrics-agent' } } }], ports: [{ protocol: 'TCP', port: 15014 }] }],
      });
      expect(() => b.mesh.allowControlPlaneScrape(source)).toThrow('IstioMesh Scrape/Mesh: allowControlPlaneScrape was already called for scrapers in namespace "metrics". Fix: call it once per scraper namespace.');
      expect(() => b.mesh.allowControlPlaneScrape({ namespace: 'other', podLabels: {} })).toThrow('IstioMesh Scrape/Mesh: allowControlPlaneScrape source[0].podLabels is empty');
    });
  });

  test('the Istio Gateway terminates TLS (1.2+) on 443 with a credential secret', () => {
    expect(objectOf(objects, 'Gateway', 'ingress')).toMatchObject({
      metadata: { namespace: 'istio-ingress' },
      spec: { selector: { istio: 'ingress-gateway' }, servers: [{ port: { number: 443, protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'ingress-gateway-tls', minProtocolVersion: 'TLSV1_2' } }] },
    });
  });

  test('istio-system is privileged (CNI node agent), the gateway namespace restricted', () => {
    expect(objectOf(objects, 'Namespace', 'istio-system').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    expect(objectOf(objects, 'Namespace', 'istio-ingress').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.36' });
  });

  test('addServiceEntry registers a MESH_EXTERNAL destination for every namespace, after the mesh is ready', () => {
    expect(objectOf(objects, 'ServiceEntry', 'aws-sts')).toMatchObject({
      metadata: { namespace: 'istio-system' },
      spec: { hosts: ['sts.eu-west-1.amazonaws.com'], ports: [{ number: 443, protocol: 'TLS', name: 'tls-443' }], location: 'MESH_EXTERNAL', resolution: 'DNS', exportTo: ['*'] },
    });
  });

  test('the mesh itself registers the EKS Pod Identity agent (REGISTRY_ONLY would block pods\' AWS credentials), and is ready only with it', () => {
    expect(objectOf(objects, 'ServiceEntry', 'eks-pod-identity-agent')).toMatchObject({
      metadata: { namespace: 'istio-system' },
      spec: {
        hosts: ['eks-pod-identity-agent.amazonaws.internal'], addresses: ['169.254.170.23/32'], endpoints: [{ address: '169.254.170.23' }],
        ports: [{ number: 80, protocol: 'TCP', name: 'tcp-80' }], location: 'MESH_EXTERNAL', resolution: 'STATIC', exportTo: ['*'],
      },
    });
    const entryId = built.stack.getLogicalId(built.mesh.podIdentityAgentEntry.node.findAll().find(CfnResource.isCfnResource) as CfnElement);
    expect(template.toJSON().Resources[entryId].DependsOn).toContain(release('istiod').logicalId);
    const readyIds = Dependable.of(built.mesh.ready).dependencyRoots.flatMap((root) => root.node.findAll()).filter(CfnResource.isCfnResource).map((r) => built.stack.getLogicalId(r));
    expect(readyIds).toEqual(expect.arrayContaining([release('istiod').logicalId, entryId]));
  });

  test('every chart and manifest waits for the cluster\'s node group (wired by the mesh, not by the stack)', () => {
    const nodegroup = Object.keys(template.findResources('AWS::EKS::Nodegroup'));
    expect(nodegroup).toHaveLength(1);
    for (const r of releases) expect(r.dependsOn).toContain(nodegroup[0]);
    for (const manifest of Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))) {
      expect(manifest.DependsOn).toContain(nodegroup[0]);
    }
  });

  test('exposes what consumers compose with', () => {
    expect(built.mesh.gatewayNamespace).toBe('istio-ingress');
    expect(built.mesh.gatewayPrincipal).toBe('cluster.local/ns/istio-ingress/sa/ingress-gateway');
    expect(built.mesh.gatewayName).toBe('istio-ingress/ingress');
    expect(built.mesh.rootNamespace).toBe('istio-system');
    expect(built.mesh.cluster).toBe(built.cluster);
    expect(IstioMesh.isIstioMesh(built.mesh)).toBe(true);
    expect(IstioMesh.isIstioMesh(built.stack)).toBe(false);
    expect(release('gateway').values.serviceAccount).toEqual({ create: true, name: 'ingress-gateway' });
  });

  test('snapshot of the mesh manifests and chart values', () => {
    const strip = (o: KubernetesObject) => ({ ...o, metadata: { ...o.metadata, labels: Object.fromEntries(Object.entries(o.metadata.labels ?? {}).filter(([k]) => !k.startsWith('aws.cdk.eks/prune-'))) } });
    expect({ objects: objects.map(strip), releases: releases.map(({ chart, repository, version, namespace, release: name, values }) => ({ chart, repository, version, namespace, name, values })) }).toMatchSnapshot();
  });
});

describe('IstioMesh ingress options', () => {
  test('an internet-facing NLB admits only the configured CIDRs, and an ACM certificate re-encrypts to the gateway', () => {
    const built = meshStack({
      ingress: {
        internetFacing: true,
        allowedSourceCidrs: ['203.0.113.0/24'],
        certificate: acm.Certificate.fromCertificateArn(new Stack(), 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555'),
        hosts: ['orders.example.com'],
      },
    }, 'Internet');
    const gateway = helmReleases(Template.fromStack(built.stack)).find((r) => r.chart === 'gateway')!;
    expect(gateway.values.service.loadBalancerSourceRanges).toEqual(['203.0.113.0/24']);
    expect(gateway.values.service.annotations).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': 'https',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'ssl',
    });
    expect(objectOf(kubernetesObjects(Template.fromStack(built.stack)), 'Gateway', 'ingress').spec.servers[0].hosts).toEqual(['orders.example.com']);
  });

  test.each<[string, Partial<IstioMeshProps>, string]>([
    ['internet-facing without CIDRs', { ingress: { internetFacing: true } }, 'ingress.internetFacing needs ingress.allowedSourceCidrs. Fix: list the client CIDRs allowed to reach the NLB.'],
    ['internet-facing open to the world', { ingress: { internetFacing: true, allowedSourceCidrs: ['0.0.0.0/0'] } }, 'ingress.allowedSourceCidrs has "0.0.0.0/0", which opens the gateway to too wide a range (wider than /8). Fix: list only your clients\' CIDRs.'],
    ['a malformed CIDR', { ingress: { internetFacing: true, allowedSourceCidrs: ['example.com'] } }, 'ingress.allowedSourceCidrs has "example.com", which is not an IPv4 CIDR. Fix: use a.b.c.d/n.'],
    ['CIDRs on an internal NLB', { ingress: { allowedSourceCidrs: ['203.0.113.0/24'] } }, 'ingress.allowedSourceCidrs is set on an internal NLB, which admits the VPC CIDR only. Fix: remove it, or set internetFacing.'],
    ['one gateway replica', { ingress: { replicas: { min: 1, max: 3 } } }, 'ingress.replicas is {"min":1,"max":3}: needs whole numbers with 2 <= min <= max, so losing a pod or a zone keeps the mesh up.'],
    ['min above max istiod replicas', { controlPlaneReplicas: { min: 4, max: 3 } }, 'controlPlaneReplicas is {"min":4,"max":3}: needs whole numbers with 2 <= min <= max, so losing a pod or a zone keeps the mesh up.'],
    ['a version range', { istioVersion: '^1.31.0' }, 'istioVersion "^1.31.0" is not an exact version. Fix: pin a release such as "1.31.0" (no ranges).'],
  ])('rejects %s', (_name, props, message) => {
    expect(() => meshStack(props, 'Bad')).toThrow(`IstioMesh Bad/Mesh: ${message}`);
  });
});

describe('IstioMesh tracing', () => {
  const COLLECTOR = 'trace-collector.tracing.svc.cluster.local';
  let built: ReturnType<typeof meshStack>;
  let istiod: HelmRelease;
  let objects: KubernetesObject[];
  let template: Template;

  beforeAll(() => {
    // GIVEN a cluster; WHEN the mesh traces to a collector, 7% sampled (0.07 * 100 is 7.000000000000001 in floating point)
    built = meshStack({ tracing: { collectorHost: COLLECTOR, samplingPercentage: 0.07 * 100 } }, 'Traced');
    template = Template.fromStack(built.stack);
    istiod = helmReleases(template).find((r) => r.chart === 'istiod')!;
    objects = kubernetesObjects(template);
  });

  test('istiod\'s mesh config has one OpenTelemetry extension provider: the collector\'s Service over OTLP/gRPC', () => {
    expect(istiod.values.meshConfig).toMatchObject({
      enableTracing: true,
      extensionProviders: [{ name: 'otel-tracing', opentelemetry: { service: COLLECTOR, port: 4317 } }],
      // Tracing changes nothing else of the mesh config.
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      enableAutoMtls: true,
    });
    // No legacy tracer in the proxies' default config: the Telemetry API selects the provider.
    expect(istiod.values.meshConfig.defaultConfig).toEqual({ holdApplicationUntilProxyStarts: true });
  });

  test('a mesh-wide Telemetry in the root namespace reports every proxy\'s spans to that provider, sampling 7% (Istio\'s two decimals)', () => {
    const telemetry = objectOf(objects, 'Telemetry', 'mesh-default');
    validateAgainstSchema(telemetry);
    expect(telemetry).toMatchObject({ apiVersion: 'telemetry.istio.io/v1', metadata: { namespace: 'istio-system' } });
    expect(telemetry.spec).toEqual({ tracing: [{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 7 }] });
    // The only selector-less Telemetry of the root namespace, applied with the mesh policies once istiod validates it.
    expect(objectsOfKind(objects, 'Telemetry').filter((t) => t.metadata.namespace === 'istio-system')).toHaveLength(1);
    const policies = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')).find((r) => JSON.stringify(r.Properties.Manifest).includes('mesh-default'))!;
    expect(JSON.stringify(policies.Properties.Manifest)).toContain('allow-nothing');
    expect(policies.DependsOn).toContain(istiod.logicalId);
  });

  test('exposes the tracing it configured, for collectors and services to follow', () => {
    expect(built.mesh.tracing).toEqual({ providerName: MESH_TRACING_PROVIDER, collectorHost: COLLECTOR, port: 4317, samplingPercentage: 7 });
  });

  test('without tracing: no provider, no Telemetry (proxies report nothing)', () => {
    const untraced = meshStack({}, 'Untraced');
    const t = Template.fromStack(untraced.stack);
    expect(helmReleases(t).find((r) => r.chart === 'istiod')!.values.meshConfig.extensionProviders).toBeUndefined();
    expect(objectsOfKind(kubernetesObjects(t), 'Telemetry')).toEqual([]);
    expect(untraced.mesh.tracing).toBeUndefined();
  });

  test.each<[string, MeshTracingOptions, string]>([
    ['a short host name', { collectorHost: 'trace-collector', samplingPercentage: 10 }, 'tracing.collectorHost "trace-collector" is not the DNS name of a Service, known at synth. Fix: give the collector Service\'s fully qualified name, e.g. "trace-collector.tracing.svc.cluster.local".'],
    ['a URL for a host', { collectorHost: 'http://trace-collector.tracing:4317', samplingPercentage: 10 }, 'tracing.collectorHost "http://trace-collector.tracing:4317" is not the DNS name of a Service, known at synth. Fix: give the collector Service\'s fully qualified name, e.g. "trace-collector.tracing.svc.cluster.local".'],
    ['port 0', { collectorHost: 'trace-collector.tracing.svc.cluster.local', port: 0, samplingPercentage: 10 }, 'tracing.port 0 is not a TCP port (1-65535). Fix: give the collector\'s OTLP/gRPC port, normally 4317.'],
    ['a ratio for a percentage above 100', { collectorHost: 'trace-collector.tracing.svc.cluster.local', samplingPercentage: 150 }, 'tracing.samplingPercentage 150 must be a percentage from 0 to 100 with at most two decimals (Istio\'s precision is 0.01). Fix: e.g. 10 to trace one request in ten.'],
    ['three decimals', { collectorHost: 'trace-collector.tracing.svc.cluster.local', samplingPercentage: 12.345 }, 'tracing.samplingPercentage 12.345 must be a percentage from 0 to 100 with at most two decimals (Istio\'s precision is 0.01). Fix: e.g. 10 to trace one request in ten.'],
    ['not a number', { collectorHost: 'trace-collector.tracing.svc.cluster.local', samplingPercentage: Number.NaN }, 'tracing.samplingPercentage NaN must be a percentage from 0 to 100 with at most two decimals (Istio\'s precision is 0.01). Fix: e.g. 10 to trace one request in ten.'],
  ])('rejects %s', (_name, tracing, message) => {
    expect(() => meshStack({ tracing }, 'Bad')).toThrow(`IstioMesh Bad/Mesh: ${message}`);
  });
});
