import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Dependable } from 'constructs';
import { IstioMesh } from '../../../constructs/mesh';
import { ApplicationNamespace, NAMESPACE_NETWORK_POLICIES, type ApplicationNamespaceProps } from '../../../constructs/cluster';
import { kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type KubernetesObject } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from '../mesh/mesh-test-cluster';

function namespaceStack(props: Partial<ApplicationNamespaceProps> = {}, id = 'Ns') {
  const built = meshTestCluster(id);
  const ns = new ApplicationNamespace(built.stack, 'Orders', { cluster: built.cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 }, ...props });
  return { ...built, ns };
}

describe('ApplicationNamespace', () => {
  // GIVEN a cluster WHEN an application namespace is added and synthesized through the gate
  const built = namespaceStack();
  const { findings } = synthWithGate(built.app);
  // The namespace's own manifest (the cluster in the same stack applies CoreDNS's policy to kube-system).
  const template = Template.fromStack(built.stack);
  const own = built.stack.resolve((built.ns.manifest.node.defaultChild as CfnResource).logicalId) as string;
  const objects: KubernetesObject[] = kubernetesObjects(Template.fromJSON({ Resources: { [own]: template.toJSON().Resources[own] } }));
  const policy = (name: string) => objectOf(objects, 'NetworkPolicy', name).spec;

  test('passes the compliance gate', () => {
    expect(findings).toEqual([]);
  });

  test('every object matches its upstream schema and lives in the namespace', () => {
    for (const object of objects) {
      validateAgainstSchema(object);
      if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe('orders');
    }
  });

  test('enforces, audits and warns Pod Security "restricted" at a pinned version, and enables sidecar injection', () => {
    expect(objectOf(objects, 'Namespace', 'orders').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.36',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'istio-injection': 'enabled',
    });
  });

  test('a quota bounds requests, limits and pods, and forbids LoadBalancer and NodePort services', () => {
    expect(objectOf(objects, 'ResourceQuota', 'quota').spec.hard).toEqual({
      'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.cpu': '8', 'limits.memory': '16Gi', 'pods': '20',
      'services.loadbalancers': '0', 'services.nodeports': '0',
    });
  });

  test('a LimitRange gives containers without resources bounded defaults (so the quota applies to them)', () => {
    expect(objectOf(objects, 'LimitRange', 'container-defaults').spec.limits).toEqual([{
      type: 'Container', defaultRequest: { cpu: '100m', memory: '128Mi' }, default: { cpu: '500m', memory: '512Mi' }, max: { cpu: '2', memory: '4Gi' },
    }]);
  });

  test('default deny for ingress and egress of every pod', () => {
    expect(policy(NAMESPACE_NETWORK_POLICIES.defaultDeny)).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test('the only default allows: DNS to kube-dns and xDS to istiod', () => {
    expect(objectsOfKind(objects, 'NetworkPolicy').map((o) => o.metadata.name).sort()).toEqual(['allow-dns', 'allow-mesh-control-plane', 'default-deny']);
    expect(policy(NAMESPACE_NETWORK_POLICIES.allowDns)).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      }],
    });
    expect(policy(NAMESPACE_NETWORK_POLICIES.allowMeshControlPlane)).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
        ports: [{ protocol: 'TCP', port: 15012 }],
      }],
    });
  });

  test('exposes its name, cluster, manifest and readiness', () => {
    expect(built.ns.namespaceName).toBe('orders');
    expect(built.ns.cluster).toBe(built.cluster);
    expect(built.ns.manifest.node.id).toBe('Resource');
    expect(Dependable.of(built.ns.ready).dependencyRoots).toEqual([built.ns.manifest]);
    expect(ApplicationNamespace.isApplicationNamespace(built.ns)).toBe(true);
    expect(ApplicationNamespace.isApplicationNamespace('orders')).toBe(false);
  });

  test('with no mesh in the app, the guardrails wait for the cluster\'s node group', () => {
    const manifest = Object.values(Template.fromStack(built.stack).findResources('Custom::AWSCDK-EKS-KubernetesResource'))[0];
    const nodegroups = Object.keys(Template.fromStack(built.stack).findResources('AWS::EKS::Nodegroup'));
    expect(nodegroups).toHaveLength(1);
    expect(manifest.DependsOn).toContain(nodegroups[0]);
  });

  test.each<[string, Partial<ApplicationNamespaceProps>, string]>([
    ['a name that is not DNS-1123', { name: 'Orders_1' }, 'name "Orders_1" is not a DNS-1123 label. Fix: use up to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit.'],
    ['kube-system', { name: 'kube-system' }, 'name "kube-system" is reserved for the platform. Fix: choose a name that is not "default" and does not start with "kube-" or "istio-".'],
    ['istio-ingress', { name: 'istio-ingress' }, 'name "istio-ingress" is reserved for the platform.'],
    ['default', { name: 'default' }, 'name "default" is reserved for the platform.'],
    ['zero CPU', { quota: { cpu: 0, memoryGiB: 8, pods: 20 } }, 'quota.cpu is 0: must be 0.1 to 512 cores in steps of 0.1.'],
    ['fractional memory', { quota: { cpu: 4, memoryGiB: 1.5, pods: 20 } }, 'quota.memoryGiB is 1.5: must be a whole number of GiB from 1 to 4096.'],
    ['no pods', { quota: { cpu: 4, memoryGiB: 8, pods: 0 } }, 'quota.pods is 0: must be a whole number from 1 to 1000.'],
  ])('rejects %s', (_name, props, message) => {
    expect(() => namespaceStack(props, 'Bad')).toThrow(`ApplicationNamespace Bad/Orders: ${message}`);
  });
});

test('an ApplicationNamespace waits for the IstioMesh of its cluster, wherever and whenever the mesh is declared', () => {
  // GIVEN a namespace declared before the mesh, each in its own stack of the app
  const built = meshTestCluster('Cluster');
  const namespaces = new Stack(built.app, 'Namespaces');
  const ns = new ApplicationNamespace(namespaces, 'Orders', { cluster: built.cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } });
  const meshStack = new Stack(built.app, 'MeshStack');
  const mesh = new IstioMesh(meshStack, 'Mesh', { cluster: built.cluster, vpc: built.vpc });
  // WHEN synthesized
  const assembly = built.app.synth();
  // THEN the namespace's stack deploys after the mesh's (a cross-stack dependency becomes a stack dependency)
  expect(assembly.getStackArtifact(namespaces.artifactId).dependencies.map((d) => d.id)).toContain(meshStack.artifactId);
  expect(Dependable.of(ns.ready).dependencyRoots).toEqual([ns.manifest]);
  expect(ns.manifest.node.dependencies).toEqual(expect.arrayContaining([mesh.charts.istiod, mesh.podIdentityAgentEntry]));
});
