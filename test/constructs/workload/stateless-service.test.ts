import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { ApplicationNamespace } from '../../../constructs/cluster';
import { IstioMesh } from '../../../constructs/mesh';
import { TraceCollector } from '../../../constructs/observability';
import { ServiceImage } from '../../../constructs/workload';
import { kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type KubernetesObject } from '../../support/manifests';
import { podTemplateSpec, restrictedViolations } from '../../support/pod-security';
import { synthWithGate } from '../../support/test-app';
import { DIGEST, workloadFixture } from './workload-fixture';
import { podIdentityTrustStatements } from '../../support/pod-identity';

describe('StatelessService', () => {
  let built: ReturnType<typeof workloadFixture>;
  let template: Template;
  let objects: KubernetesObject[];
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN the orders service with a database, a cache and a gateway route
    built = workloadFixture();
    // WHEN the app is synthesized through the compliance gate
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(built.stack);
    // THEN what will be applied is read back from the template
    objects = kubernetesObjects(template);
  });

  const deployment = () => objectOf(objects, 'Deployment', 'orders');
  const pod = () => podTemplateSpec(deployment())!;
  const app = () => pod().containers.find((c: any) => c.name === 'app');

  test('the compliance gate has no open findings', () => {
    expect(findings).toEqual([]);
  });

  test('every object is valid against its Kubernetes or Istio schema', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) validateAgainstSchema(object);
  });

  test('every object lives in the service namespace', () => {
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['orders']));
  });

  describe('pods', () => {
    test('pass Pod Security "restricted"', () => {
      expect(restrictedViolations(pod())).toEqual([]);
      expect(app().securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(pod().securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    });

    test('carry no service-account token and run as the Pod Identity service account', () => {
      expect(pod().automountServiceAccountToken).toBe(false);
      expect(pod().serviceAccountName).toBe('orders');
      expect(objectOf(objects, 'ServiceAccount', 'orders').automountServiceAccountToken).toBe(false);
    });

    test('run the image by digest, never a moving tag', () => {
      for (const container of [...pod().initContainers, ...pod().containers]) {
        expect(container.image).toMatch(new RegExp(`/\\{\\{Ref:Repository[0-9A-F]+\\}\\}@${DIGEST}$`));
      }
    });

    test('have startup, readiness and liveness probes, requests and limits', () => {
      expect(app().startupProbe.httpGet).toMatchObject({ path: '/livez', port: 8080 });
      expect(app().readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 8080 });
      expect(app().livenessProbe.httpGet).toMatchObject({ path: '/livez', port: 8080 });
      expect(app().resources).toEqual({
        requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
        limits: { cpu: '1000m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
      });
    });

    test('spread over zones and drain before they stop', () => {
      expect(pod().topologySpreadConstraints).toContainEqual(expect.objectContaining({
        topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1,
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } },
      }));
      expect(app().lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
      // preStop 5 s + drain 20 s < grace
      expect(pod().terminationGracePeriodSeconds).toBe(30);
    });

    test('run migrations in an init container before the app serves', () => {
      expect(pod().initContainers).toEqual([expect.objectContaining({ name: 'migrate', args: ['migrate'], image: app().image })]);
    });

    test('roll out without dropping below the current capacity', () => {
      expect(deployment().spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } });
    });
  });

  test('a Service, an autoscaler (at least 2 replicas) and a disruption budget', () => {
    expect(objectOf(objects, 'Service', 'orders').spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' }]);
    expect(objectOf(objects, 'HorizontalPodAutoscaler', 'orders').spec).toMatchObject({
      minReplicas: 2, maxReplicas: 8, scaleTargetRef: { kind: 'Deployment', name: 'orders' },
    });
    expect(objectOf(objects, 'PodDisruptionBudget', 'orders').spec).toEqual({
      maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  describe('network policies follow the declared traffic', () => {
    const policies = () => objectsOfKind(objects, 'NetworkPolicy');
    const selectsPods = (p: KubernetesObject) => p.spec.podSelector.matchLabels?.['cdk8s.io/metadata.addr'] === deployment().spec.selector.matchLabels['cdk8s.io/metadata.addr'];

    test('the pods are isolated in both directions', () => {
      expect(policies().filter((p) => !p.spec.ingress && !p.spec.egress && selectsPods(p)).map((p) => p.spec.policyTypes.sort())).toContainEqual(['Egress', 'Ingress']);
    });

    test('ingress only from the gateway pods, on the app port', () => {
      const ingress = policies().flatMap((p) => p.spec.ingress ?? []);
      expect(ingress).toEqual([{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-ingress' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      }]);
    });

    test('egress only to the data subnets on the database and cache ports, and to the Pod Identity agent', () => {
      expect(policies().every(selectsPods)).toBe(true);
      const egress = policies().flatMap((p) => p.spec.egress ?? []).map((e: any) => `${e.to[0].ipBlock.cidr}:${e.ports[0].port}`).sort();
      expect(egress).toEqual(['10.50.100.0/22:5432', '10.50.100.0/22:6380', '10.50.96.0/22:5432', '10.50.96.0/22:6380', '169.254.170.23/32:80']);
    });
  });

  describe('mesh policies', () => {
    test('routes have a timeout and bounded retries', () => {
      for (const vs of objectsOfKind(objects, 'VirtualService')) {
        for (const route of vs.spec.http) {
          expect(route.timeout).toBe('10s');
          expect(route.retries).toEqual({ attempts: 2, perTryTimeout: '3s', retryOn: 'connect-failure,refused-stream,unavailable,cancelled,503' });
        }
      }
      expect(objectOf(objects, 'VirtualService', 'orders-ingress').spec).toMatchObject({
        gateways: ['istio-ingress/ingress'], hosts: ['orders.internal.example.com'], http: [{ match: [{ uri: { prefix: '/v1/' } }] }],
      });
    });

    test('calls to the service use Istio mTLS, with outlier detection and connection limits', () => {
      expect(objectOf(objects, 'DestinationRule', 'orders').spec).toEqual({
        host: 'orders.orders.svc.cluster.local',
        trafficPolicy: {
          tls: { mode: 'ISTIO_MUTUAL' },
          connectionPool: { tcp: { maxConnections: 1024, connectTimeout: '2s' }, http: { http1MaxPendingRequests: 256, http2MaxRequests: 1024 } },
          outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
        },
      });
    });

    test('only the gateway principal may call, on the declared methods and paths', () => {
      expect(objectsOfKind(objects, 'AuthorizationPolicy')).toHaveLength(1);
      expect(objectOf(objects, 'AuthorizationPolicy', 'orders-allow-callers').spec).toEqual({
        selector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } },
        action: 'ALLOW',
        rules: [{
          from: [{ source: { principals: ['cluster.local/ns/istio-ingress/sa/istio-ingressgateway'] } }],
          to: [{ operation: { methods: ['GET', 'POST'], paths: ['/v1/*'], ports: ['8080'] } }],
        }],
      });
    });

    test('the database and cache are registered for the REGISTRY_ONLY mesh, visible to this namespace only', () => {
      for (const [name, port] of [['orders-postgres', 5432], ['orders-cache', 6380]] as const) {
        expect(objectOf(objects, 'ServiceEntry', name).spec).toMatchObject({
          addresses: ['10.50.96.0/22', '10.50.100.0/22'],
          ports: [{ number: port, protocol: 'TCP', name: `tcp-${port}` }],
          location: 'MESH_EXTERNAL', resolution: 'NONE', exportTo: ['.'],
        });
      }
    });
  });

  describe('AWS side', () => {
    test('the pods get a Pod Identity role that can only connect as their own database and cache users', () => {
      template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'orders', ServiceAccount: 'orders' });
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: podIdentityTrustStatements('orders', ['orders']) },
      });
      template.resourceCountIs('AWS::IAM::Policy', 0);
      const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements.map((s: any) => s.Action).sort()).toEqual(['elasticache:Connect', 'rds-db:connect']);
      const dbUser = statements.find((s: any) => s.Action === 'rds-db:connect').Resource['Fn::Join'][1];
      expect(dbUser[dbUser.length - 1]).toBe('/app');
    });

    test('the database and cache admit the pods\' own security group on their ports, never the cluster security group (ADR 0019)', () => {
      const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties)
        .filter((r) => /PostgresSecurityGroup|CacheSecurityGroup/.test(JSON.stringify(r.GroupId)));
      expect(rules.map((r) => [r.FromPort, r.ToPort, r.IpProtocol])).toEqual([[5432, 5432, 'tcp'], [6380, 6380, 'tcp']]);
      for (const rule of rules) {
        expect(rule.SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^OrdersPodSecurityGroup/), 'GroupId'] });
        expect(rule.CidrIp).toBeUndefined();
      }
      // (test/constructs/workload/pod-security-group.test.ts checks every rule of the pods' group)
      expect(objectOf(objects, 'SecurityGroupPolicy', 'orders').spec.securityGroups.groupIds).toEqual([expect.stringMatching(/^\{\{GetAtt:OrdersPodSecurityGroup[0-9A-F]+\.GroupId\}\}$/)]);
    });

    test('the manifest is applied from the workloads stack, not the cluster stack', () => {
      template.resourceCountIs('Custom::AWSCDK-EKS-KubernetesResource', 1);
      // (The cluster stack holds the `orders` Namespace object itself: the ApplicationNamespace.)
      expect(kubernetesObjects(Template.fromStack(built.clusterStack)).filter((o) => o.metadata.name === 'orders' && o.kind !== 'Namespace')).toEqual([]);
    });
  });

  test('chart snapshot', () => {
    const normalized = JSON.parse(JSON.stringify(objects).replace(/aws\.cdk\.eks\/prune-[0-9a-f]+/g, '<prune-label>'));
    expect(normalized).toMatchSnapshot();
  });
});

test('a service with no database or cache synthesizes with a role that holds no rights', () => {
  // GIVEN a mesh-internal service with no data dependencies
  const built = workloadFixture({ postgres: undefined, cache: undefined, gateway: undefined });
  built.app.synth();
  const template = Template.fromStack(built.stack);
  // THEN no (empty, invalid) managed policy, and its pods' own group touches no data store
  template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  template.resourceCountIs('AWS::IAM::Policy', 0);
  expect(JSON.stringify([template.findResources('AWS::EC2::SecurityGroupIngress'), template.findResources('AWS::EC2::SecurityGroupEgress')])).not.toMatch(/PostgresSecurityGroup|CacheSecurityGroup/);
  template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
  template.resourceCountIs('AWS::EKS::PodIdentityAssociation', 1);
  expect(objectsOfKind(kubernetesObjects(template), 'ServiceEntry')).toEqual([]);
});

describe('StatelessService validation', () => {
  test.each<[string, Parameters<typeof workloadFixture>[0], string]>([
    ['service name', { serviceName: 'Orders_Service' }, 'serviceName "Orders_Service" is not an RFC 1035 label, which Kubernetes requires of Service names. Fix: lowercase letters, digits and "-", at most 63, starting with a letter.'],
    ['digit-first service name', { serviceName: '1orders' }, 'serviceName "1orders" is not an RFC 1035 label, which Kubernetes requires of Service names. Fix: lowercase letters, digits and "-", at most 63, starting with a letter.'],
    ['too long service name', { serviceName: `o${'r'.repeat(63)}` }, `serviceName "o${'r'.repeat(63)}" is not an RFC 1035 label, which Kubernetes requires of Service names. Fix: lowercase letters, digits and "-", at most 63, starting with a letter.`],
    ['privileged port', { port: 80 }, 'port 80 must be an unprivileged port (1024 to 65535): the container runs as non-root without capabilities.'],
    ['single replica', { minReplicas: 1 }, 'minReplicas 1 must be between 2 and 100: one replica is a single point of failure.'],
    ['max below min', { minReplicas: 3, maxReplicas: 2 }, 'maxReplicas 2 must be between minReplicas (3) and 1000.'],
    ['cpu limit below request', { resources: { cpuRequestMillis: 500, cpuLimitMillis: 100 } }, 'resources cpu request 500m / limit 100m: the request must be 10m to 64000m and the limit at least the request.'],
    ['grace too short', { preStopSleep: Duration.seconds(5), drainTimeout: Duration.seconds(20), terminationGracePeriod: Duration.seconds(25) },
      'terminationGracePeriod 25s must be longer than preStopSleep + drainTimeout (25s), or in-flight requests are killed. Fix: raise it above 25s or leave it unset.'],
  ])('refuses a bad %s', (_, overrides, message) => {
    expect(() => workloadFixture(overrides)).toThrow(`StatelessService Workloads/Orders: ${message}`);
  });

  test('runs in any namespace ApplicationNamespace creates, a digit-first one included', () => {
    const { stack } = workloadFixture(({ clusterStack, platform }) => ({
      namespace: new ApplicationNamespace(clusterStack, 'Namespace-1team', { cluster: platform.cluster, name: '1team', quota: { cpu: 4, memoryGiB: 8, pods: 20 } }),
    }));
    expect(objectOf(kubernetesObjects(Template.fromStack(stack)), 'Deployment', 'orders').metadata.namespace).toBe('1team');
  });

  test.each([
    ['latest', 'ServiceImage: tag "latest" names a moving target, not a build. Fix: deploy by digest, or by an immutable tag such as the commit id.'],
    ['-bad', 'ServiceImage: tag "-bad" is not a valid image tag. Fix: use letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-"), e.g. the commit id.'],
  ])('refuses image tag %s', (tag, message) => {
    const repository = new ecr.Repository(new Stack(), 'Repo');
    expect(() => ServiceImage.fromEcrTag(repository, tag)).toThrow(message);
  });

  test('refuses a malformed digest and accepts an immutable tag', () => {
    const repository = new ecr.Repository(new Stack(), 'Repo');
    expect(() => ServiceImage.fromEcrDigest(repository, 'sha256:abc')).toThrow('ServiceImage: digest "sha256:abc" is not an image digest.');
    expect(ServiceImage.fromEcrTag(repository, '3f2c1a9').version).toBe('3f2c1a9');
  });
});

describe('StatelessService tracing', () => {
  const collectorPods = { 'app.kubernetes.io/name': 'trace-collector', 'app.kubernetes.io/instance': 'trace-collector' };
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN the platform's composition: a mesh tracing to a TraceCollector in the cluster stack, the service in the workloads stack
    const built = workloadFixture(({ clusterStack, platform, network, namespace }) => {
      const mesh = new IstioMesh(clusterStack, 'Mesh', { cluster: platform.cluster, vpc: network.vpc, tracing: TraceCollector.meshTracing(5) });
      const collector = new TraceCollector(clusterStack, 'Traces', { cluster: platform.cluster, vpc: network.vpc, mesh, senders: [{ namespace }] });
      // WHEN the service exports to it
      return { tracing: collector.exportFor(namespace) };
    });
    // THEN the app synthesizes across stacks (no cycle) and the service's objects carry the export
    built.app.synth();
    objects = kubernetesObjects(Template.fromStack(built.stack));
  });

  test('the pods get the SDK\'s standard OTLP/HTTP endpoint and a parent-based sampler at the mesh\'s ratio', () => {
    const env = Object.fromEntries(podTemplateSpec(objectOf(objects, 'Deployment', 'orders'))!.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://trace-collector.tracing.svc.cluster.local:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
    });
  });

  test('the pods (the app and its sidecar) may reach the collector\'s pods on the OTLP ports, and nothing more of the tracing namespace', () => {
    const policies = objectsOfKind(objects, 'NetworkPolicy');
    for (const policy of policies) validateAgainstSchema(policy);
    const toCollector = policies.flatMap((p) => p.spec.egress ?? []).filter((e: any) => e.to.some((peer: any) => peer.namespaceSelector));
    expect(toCollector).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tracing' } }, podSelector: { matchLabels: collectorPods } }],
      ports: [{ port: 4317, protocol: 'TCP' }, { port: 4318, protocol: 'TCP' }],
    }]);
  });

  const collectorExport = { otlpHttpEndpoint: 'http://trace-collector.tracing.svc.cluster.local:4318', samplingRatio: 0.1, collectorNamespace: 'tracing', collectorPodLabels: collectorPods, ports: [4317, 4318] };
  test.each<[string, Parameters<typeof workloadFixture>[0], string]>([
    ['an SDK variable set twice', { tracing: collectorExport, environment: { OTEL_TRACES_SAMPLER_ARG: '1' } }, 'environment sets OTEL_TRACES_SAMPLER_ARG, which tracing sets. Fix: remove it from environment (tracing follows the collector and the mesh\'s sampling).'],
    ['a sampling ratio above 1', { tracing: { ...collectorExport, samplingRatio: 10 } }, 'tracing.samplingRatio 10 must be a ratio from 0 to 1. Fix: pass TraceCollector.exportFor(namespace), which follows the mesh\'s sampling.'],
    ['an endpoint with the signal path', { tracing: { ...collectorExport, otlpHttpEndpoint: 'http://trace-collector.tracing:4318/v1/traces' } }, 'tracing.otlpHttpEndpoint "http://trace-collector.tracing:4318/v1/traces" is not an OTLP/HTTP base URL. Fix: pass TraceCollector.exportFor(namespace), or a URL such as "http://trace-collector.tracing.svc.cluster.local:4318".'],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => workloadFixture(overrides)).toThrow(`StatelessService Workloads/Orders: ${message}`);
  });
});
