import { Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { ArgoRollouts } from '../../../constructs/delivery';
import { MetricsWorkspace } from '../../../constructs/observability';
import { helmReleases, kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type HelmRelease, type KubernetesObject } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from '../mesh/mesh-test-cluster';

describe('ArgoRollouts', () => {
  let template: Template;
  let release: HelmRelease;
  let objects: KubernetesObject[];
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN a cluster and a metrics workspace; WHEN Argo Rollouts is installed and synthesized through the gate
    const built = meshTestCluster('Delivery');
    const workspace = new MetricsWorkspace(built.stack, 'Metrics');
    new ArgoRollouts(built.stack, 'Argo', { cluster: built.cluster, metricsWorkspace: workspace, scrapeSourceCidrs: ['10.50.64.0/20', '10.50.80.0/20'] });
    findings = synthWithGate(built.app).findings;
    template = Template.fromStack(built.stack);
    [release] = helmReleases(template);
    objects = kubernetesObjects(template);
  });

  test('the compliance gate has no open findings', () => {
    expect(findings).toEqual([]);
  });

  test('the official chart over https at an exact pinned version, CRDs installed and kept', () => {
    // 2.41.0 (controller v1.9.0): the newest chart whose upstream source could be read and rendered.
    expect(release).toMatchObject({ chart: 'argo-rollouts', repository: 'https://argoproj.github.io/argo-helm', version: '2.41.0', namespace: 'argo-rollouts', createNamespace: false });
    expect(release.values).toMatchObject({ installCRDs: true, keepCRDs: true, dashboard: { enabled: false } });
  });

  test('the controller is highly available: 2 replicas (leader election), a PDB, spread over zones', () => {
    expect(release.values.controller).toMatchObject({
      replicas: 2,
      pdb: { enabled: true, maxUnavailable: 1 },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'argo-rollouts', 'app.kubernetes.io/component': 'rollouts-controller' } } }],
    });
  });

  test('pods are Pod Security "restricted" and the namespace enforces it, outside the mesh', () => {
    expect(release.values.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(release.values.containerSecurityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(objectOf(objects, 'Namespace', 'argo-rollouts').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.36', 'istio-injection': 'disabled',
    });
  });

  test('RBAC for the Istio traffic router only', () => {
    const providers = release.values.providerRBAC.providers;
    expect(Object.entries(providers).filter(([, on]) => on).map(([name]) => name)).toEqual(['istio']);
  });

  test('NetworkPolicies: default deny, then DNS, HTTPS to the API server and the VPC endpoints, the Pod Identity agent, and the scraper on 8090', () => {
    const policies = objectsOfKind(objects, 'NetworkPolicy').filter((p) => p.metadata.namespace === 'argo-rollouts');
    for (const policy of policies) validateAgainstSchema(policy);
    expect(policies.map((p) => p.metadata.name)).toEqual(['default-deny', 'allow-dns', 'allow-api-server-and-endpoints', 'allow-pod-identity-agent', 'allow-metrics-scraper']);
    // HTTPS by address, not to anywhere: the `kubernetes` Service address and the VPC (API server
    // interfaces, aps-workspaces endpoint).
    expect(objectOf(objects, 'NetworkPolicy', 'allow-api-server-and-endpoints').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '172.20.0.1/32' } }, { ipBlock: { cidr: '10.50.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
    });
    for (const policy of policies) for (const rule of policy.spec.egress ?? []) expect(rule.to?.length).toBeGreaterThan(0);
    expect(objectOf(objects, 'NetworkPolicy', 'allow-metrics-scraper').spec.ingress).toEqual([{
      from: [{ ipBlock: { cidr: '10.50.64.0/20' } }, { ipBlock: { cidr: '10.50.80.0/20' } }], ports: [{ protocol: 'TCP', port: 8090 }],
    }]);
    expect(release.values.controller.podAnnotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8090', 'prometheus.io/path': '/metrics' });
  });

  test('a cluster imported without its VPC needs vpc: the controller\'s egress names the VPC\'s addresses', () => {
    const b = meshTestCluster('NoVpc');
    const imported = eks.Cluster.fromClusterAttributes(b.stack, 'Imported', { clusterName: 'other', kubectlProvider: b.cluster.kubectlProvider });
    expect(() => new ArgoRollouts(b.stack, 'Argo', { cluster: imported })).toThrow(
      'ArgoRollouts NoVpc/Argo: cluster NoVpc/Imported (name "other") has no VPC, and the controller\'s NetworkPolicy names the VPC\'s addresses (API server, metrics endpoint). Fix: pass vpc, or import the cluster with its vpc.');
    const argo = new ArgoRollouts(b.stack, 'ArgoWithVpc', { cluster: imported, vpc: b.vpc });
    expect(argo.namespace).toBe('argo-rollouts');
  });

  test('scrapeSources admit the in-cluster collector\'s pods by namespace and labels on 8090, not CIDRs', () => {
    // GIVEN the collector's scrape source; WHEN Argo Rollouts takes it instead of CIDRs
    const b = meshTestCluster('Pods');
    new ArgoRollouts(b.stack, 'Argo', { cluster: b.cluster, scrapeSources: [{ namespace: 'metrics', podLabels: { 'app.kubernetes.io/instance': 'metrics-agent' } }] });
    const pods = kubernetesObjects(Template.fromStack(b.stack));
    // THEN the policy's only peer is those pods, and the controller is annotated for scraping
    expect(objectOf(pods, 'NetworkPolicy', 'allow-metrics-scraper').spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'metrics' } }, podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'metrics-agent' } } }],
      ports: [{ protocol: 'TCP', port: 8090 }],
    }]);
    validateAgainstSchema(objectOf(pods, 'NetworkPolicy', 'allow-metrics-scraper'));
    expect(helmReleases(Template.fromStack(b.stack))[0].values.controller.podAnnotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8090' });
  });

  test('the controller may only read the metrics workspace, through Pod Identity bound to its service account', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'argo-rollouts', ServiceAccount: 'argo-rollouts' });
    const argoPolicies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) => id.startsWith('Argo'));
    expect(argoPolicies).toHaveLength(1);
    expect(argoPolicies[0][1].Properties.PolicyDocument.Statement).toEqual([{
      Action: ['aps:QueryMetrics', 'aps:GetLabels', 'aps:GetSeries', 'aps:GetMetricMetadata'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Metrics/), 'Arn'] },
    }]);
    expect(release.values.controller.extraEnv).toEqual([{ name: 'AWS_REGION', value: '{{Ref:AWS::Region}}' }]);
  });

  test('the chart waits for its namespace and the Pod Identity association', () => {
    expect(release.dependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ArgoNamespace/), expect.stringMatching(/^ArgoPodIdentity/)]));
  });

  test.each([
    ['a version range', { chartVersion: '~2.41' }, 'chartVersion "~2.41" is not an exact version. Fix: pin a release such as "2.41.0" (no ranges).'],
    ['a single replica', { replicas: 1 }, 'replicas 1 must be between 2 and 5: one replica makes rollbacks wait for a reschedule.'],
    ['a scrape source without pod labels', { scrapeSources: [{ namespace: 'metrics', podLabels: {} }] }, 'scrapeSources[0].podLabels is empty: it would admit every pod of namespace "metrics". Fix: give the labels of the scraper pods (MetricsCollector.scrapeSource).'],
  ])('refuses %s', (_, overrides, message) => {
    const b = meshTestCluster('Bad');
    expect(() => new ArgoRollouts(b.stack, 'Argo', { cluster: b.cluster, ...overrides })).toThrow(`ArgoRollouts Bad/Argo: ${message}`);
  });
});
