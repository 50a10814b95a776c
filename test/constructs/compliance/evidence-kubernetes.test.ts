import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { readEnvironments, type EvidenceEnvironment } from '../../../constructs/compliance/evidence/assembly';
import {
  classifyImage,
  classifyKubernetesObjects,
  kubernetesMarkdown,
  kubernetesReport,
  type KubernetesObjectSource,
  type KubernetesReport,
  type ObjectEvidence,
  type SourcedKubernetesObject,
} from '../../../constructs/compliance/evidence/kubernetes';
import { POD_SECURITY_EXCEPTION_ANNOTATION } from '../../../constructs/cluster/pod-security';
import { buildPlatformApp } from '../../../lib/platform-app';
import { renderAssemblyCharts, writeRenderedCharts, type RenderedChart } from '../../support/charts/render-charts';
import { upstreamSkipReason } from '../../support/charts/upstream';
import { renderCfnString, type KubernetesObject } from '../../support/manifests';
import { createTestApp } from '../../support/test-app';

/**
 * The Kubernetes section of the evidence pack, on the dev platform as it synthesizes: every object
 * the templates apply (and, rendered, every object of the charts they install) with its source,
 * and the checks a reviewer signs off: Pod Security, image pins, NetworkPolicies, Istio, RBAC.
 */
const key = (o: { kind: string; namespace?: string; name: string; source: string }) => `${o.kind} ${o.namespace ?? '-'}/${o.name} from ${o.source}`;

/** The objects each manifest resource of the templates applies, read here independently of the report. */
function ownObjectKeys(environment: EvidenceEnvironment): string[] {
  return environment.stacks.flatMap((stack) => Object.entries(Template.fromJSON(stack.template).findResources('Custom::AWSCDK-EKS-KubernetesResource'))
    .flatMap(([logicalId, resource]) => (JSON.parse(renderCfnString(resource.Properties.Manifest)) as KubernetesObject[])
      .map((o) => key({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, source: `own manifest ${stack.stackName}/${logicalId}` }))));
}

const rowOf = (o: ObjectEvidence) => `| ${o.kind} | ${o.namespace ?? '(cluster-wide)'} | ${o.name} | ${o.source} | ${o.status} |`;

describe('Kubernetes policy report of the dev platform', () => {
  let assembly: string;
  let dev: EvidenceEnvironment;
  let applicationNamespaces: string[];
  let report: KubernetesReport;
  let markdown: string;

  beforeAll(() => {
    const app = createTestApp({ context: { env: 'dev' } });
    const [stage] = buildPlatformApp(app, { complianceGate: false });
    applicationNamespaces = stage.config.cluster.namespaces.map((ns) => ns.name);
    assembly = app.synth().directory;
    dev = readEnvironments(assembly).find((e) => e.name === 'Dev')!;
    report = kubernetesReport(dev);
    markdown = kubernetesMarkdown(report);
  });

  test('every object of the templates appears exactly once, with its stack and logical id', () => {
    const expected = ownObjectKeys(dev);
    expect(expected.length).toBeGreaterThan(30);
    expect(report.objects.filter((o) => o.origin.type === 'own manifest').map(key).sort()).toEqual(expected.sort());
    expect(report.summary.ownObjects).toBe(expected.length);
    for (const object of report.objects) expect(markdown).toContain(rowOf(object));
  });

  test('without renders, every chart release is listed as not rendered, and the report says its objects are missing', () => {
    const releases = dev.stacks.flatMap((s) => s.resources).filter((r) => r.type === 'Custom::AWSCDK-EKS-HelmChart').map((r) => r.properties.Release);
    expect(report.charts.map((c) => c.release).sort()).toEqual([...releases].sort());
    expect(report.charts.every((c) => c.status === 'not rendered')).toBe(true);
    expect(report.summary).toMatchObject({ chartObjects: 0, chartsRendered: 0, chartsNotRendered: releases.length });
    expect(report.notes[0]).toMatch(new RegExp(`^${releases.length} of ${releases.length} chart releases were not rendered .*istiod: istiod@.*NOT in this report`));
    for (const release of releases) expect(markdown).toMatch(new RegExp(`\\| ${release} \\|.*\\| not rendered \\|`));
  });

  test('application namespaces enforce Pod Security "restricted" and their pods pass every control', () => {
    expect(applicationNamespaces).toEqual(['orders']);
    for (const name of applicationNamespaces) {
      expect(report.namespaces.find((n) => n.name === name)).toMatchObject({ managed: true, enforce: 'restricted', enforceVersion: 'v1.36', status: 'pass', podTemplates: 1 });
      const pods = report.podTemplates.filter((p) => p.namespace === name);
      expect(pods.map((p) => `${p.kind} ${p.name}`)).toEqual(['Deployment orders']);
      for (const pod of pods) {
        expect(pod).toMatchObject({ level: 'restricted', status: 'pass', failingControls: [] });
        expect(pod.controls.map((c) => c.status)).toEqual(pod.controls.map(() => 'pass'));
      }
    }
  });

  test('the privileged namespaces the platform manages (Istio CNI, Fluent Bit) are exceptions with their recorded reasons', () => {
    const privileged = report.namespaces.filter((n) => n.managed && n.enforce === 'privileged');
    expect(privileged.map((n) => [n.name, n.status])).toEqual([['istio-system', 'not applicable'], ['logging', 'not applicable']]);
    expect(privileged.find((n) => n.name === 'istio-system')!.podSecurityException).toMatch(/istio-cni.*hostPath/s);
    expect(privileged.find((n) => n.name === 'logging')!.podSecurityException).toMatch(/Fluent Bit.*hostPath.*root/s);
    for (const name of ['istio-system', 'logging']) {
      expect(report.objects.find((o) => o.kind === 'Namespace' && o.name === name)).toMatchObject({ status: 'pass', findings: [] });
      expect(markdown).toMatch(new RegExp(`^\\| ${name} \\| privileged \\| v1\\.36 \\| not applicable \\| \\d+ \\| [^|*]{40,} \\|`, 'm'));
    }
    expect(markdown).not.toContain('**none recorded**');
  });

  test('namespaces without a Namespace object here are "not managed here" (kube-system)', () => {
    expect(report.namespaces.find((n) => n.name === 'kube-system')).toMatchObject({ managed: false, enforce: 'not managed here', status: 'not applicable' });
    expect(markdown).toContain('| kube-system | not managed here |');
  });

  test("the orders Deployment's images are pinned, in an ECR repository with immutable tags", () => {
    const images = report.images.filter((i) => i.kind === 'Deployment' && i.namespace === 'orders' && i.name === 'orders');
    expect(images.map((i) => i.container).sort()).toEqual(['app', 'migrate']);
    for (const image of images) {
      expect(image).toMatchObject({ pin: 'exact tag', status: 'pass' });
      expect(image.detail).toMatch(/^release tag 1\.0\.0 in ECR repository SampleRepository\w+ \(stack ztp-dev-workloads\), whose tags cannot be overwritten \(IMMUTABLE\)$/);
    }
  });

  test('every namespace the platform manages denies by default, istio-system (the control plane) included; kube-system is EKS\'s, its platform pods are isolated one by one', () => {
    // (before: istio-system had no NetworkPolicy at all, and failed both checks)
    const managed = report.network.namespaces.filter((n) => n.managed);
    expect(managed.map((n) => n.namespace)).toEqual(expect.arrayContaining(['istio-system', 'istio-ingress', 'argo-rollouts', ...applicationNamespaces]));
    for (const namespace of managed) expect(namespace).toMatchObject({ defaultDenyIngress: 'pass', defaultDenyEgress: 'pass' });
    expect(report.network.namespaces.find((n) => n.namespace === 'istio-system')!.policies).toEqual(expect.arrayContaining(['default-deny', 'istiod-from-meshed-workloads', 'istiod-from-api-server', 'istiod-to-api-server']));
    expect(report.network.namespaces.find((n) => n.namespace === 'kube-system')).toMatchObject({ managed: false, policies: expect.arrayContaining(['coredns', 'aws-load-balancer-controller']) });
    // no rule of the platform's own policies sends to, or admits from, anywhere
    expect(report.network.rules.filter((r) => /0\.0\.0\.0\/0|any address|anywhere/.test(`${r.from} ${r.to}`))).toEqual([]);
  });

  test('every application namespace denies by default, and each policy rule is a row', () => {
    for (const name of applicationNamespaces) {
      expect(report.network.namespaces.find((n) => n.namespace === name)).toMatchObject({ defaultDenyIngress: 'pass', defaultDenyEgress: 'pass' });
      expect(report.network.rules.filter((r) => r.namespace === name && r.policy === 'default-deny')).toEqual([
        expect.objectContaining({ direction: 'ingress', from: 'nothing (denies all ingress)', to: `all pods in ${name} (Deployment ${name}/orders)` }),
        expect.objectContaining({ direction: 'egress', from: `all pods in ${name} (Deployment ${name}/orders)`, to: 'nothing (denies all egress)' }),
      ]);
    }
    expect(report.network.rules).toContainEqual(expect.objectContaining({
      namespace: 'orders', direction: 'ingress', ports: 'TCP 8080', from: 'pods istio=ingress-gateway in namespace istio-ingress',
    }));
    expect(report.network.rules).toContainEqual(expect.objectContaining({ namespace: 'orders', policy: 'allow-dns', direction: 'egress', to: 'pods k8s-app=kube-dns in namespace kube-system', ports: 'UDP 53, TCP 53' }));
  });

  test('mesh-wide mutual TLS is STRICT, and the mesh-wide allow-nothing policy is listed', () => {
    expect(report.istio.peerAuthentications).toEqual([
      expect.objectContaining({ scope: 'mesh-wide', namespace: 'istio-system', name: 'default', mode: 'STRICT', status: 'pass' }),
    ]);
    expect(report.istio.authorizationRules).toContainEqual(expect.objectContaining({
      namespace: 'istio-system', policy: 'allow-nothing', action: 'ALLOW', scope: 'mesh-wide', allowNothing: true, note: expect.stringMatching(/^allow-nothing: matches no request/),
    }));
    expect(report.istio.authorizationRules).toContainEqual(expect.objectContaining({
      namespace: 'orders', policy: 'orders-allow-callers', rule: 1, from: 'principals cluster.local/ns/istio-ingress/sa/ingress-gateway', to: 'methods GET, POST; paths /v1/*; ports 8080', allowNothing: false,
    }));
    expect(markdown).toMatch(/\| istio-system \| allow-nothing \| ALLOW \| every workload in the mesh \|/);
  });

  test('EKS access: API authentication only, no creator admin, and the kubectl role as cluster admin', () => {
    expect(report.clusterAccess).toEqual([expect.objectContaining({ authenticationMode: 'API', bootstrapClusterCreatorAdmin: false, status: 'pass' })]);
    expect(report.accessEntries).toEqual([expect.objectContaining({
      stack: 'ztp-dev-cluster',
      principalResource: { logicalId: expect.stringMatching(/^PlatformClusterKubectlProviderHandlerServiceRole/), type: 'AWS::IAM::Role' },
      accessPolicies: [{ policy: 'AmazonEKSClusterAdminPolicy', scope: 'cluster' }],
      clusterAdmin: true,
    })]);
  });

  test('the report is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  describe('a rendered chart directory', () => {
    let empty: string;
    beforeAll(() => { empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rendered-charts-')); });
    afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

    test('without a release file lists that release as not rendered', () => {
      expect(kubernetesReport(dev, { renderedChartsDirectory: empty }).charts.map((c) => c.status)).toEqual(report.charts.map(() => 'not rendered'));
    });

    test('that does not exist is refused', () => {
      expect(() => kubernetesReport(dev, { renderedChartsDirectory: path.join(empty, 'nope') })).toThrow(/renderedChartsDirectory ".*nope" does not exist: pass the stage's folder/);
    });
  });
});

describe('a deliberately bad workload', () => {
  const source: KubernetesObjectSource = { type: 'own manifest', stack: 'test', logicalId: 'Bad', label: 'own manifest test/Bad' };
  const namespace = (name: string, level: string): SourcedKubernetesObject => ({
    source, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': level } } },
  });
  const deployment = (ns: string): SourcedKubernetesObject => ({
    source,
    object: {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest', securityContext: { privileged: true } }] } } },
    },
  });

  test.each([
    ['restricted', 'fail', ['Privileged Containers', 'Privilege Escalation', 'Running as Non-root', 'Seccomp (restricted)', 'Capabilities (restricted)']],
    ['baseline', 'fail', ['Privileged Containers']],
    ['privileged', 'not applicable', []],
  ])('in a %s namespace: Pod Security %s, image not pinned', (level, status, failing) => {
    const result = classifyKubernetesObjects([namespace('shop', level), deployment('shop')]);
    expect(result.podTemplates).toEqual([expect.objectContaining({ kind: 'Deployment', namespace: 'shop', name: 'web', level, status, failingControls: failing })]);
    expect(result.podTemplates[0].controls.find((c) => c.control === 'Privileged Containers')).toEqual({
      control: 'Privileged Containers', level: 'baseline', status: level === 'privileged' ? 'not applicable' : 'fail', violations: ['nginx: privileged'],
    });
    expect(result.images).toEqual([expect.objectContaining({ image: 'nginx:latest', pin: 'not pinned', status: 'fail', container: 'nginx' })]);
    expect(result.objects.find((o) => o.kind === 'Deployment')).toMatchObject({ status: 'fail', findings: expect.arrayContaining([expect.stringMatching(/^image nginx:latest \(container nginx\) not pinned/)]) });
    expect(result.network.namespaces).toEqual([expect.objectContaining({ namespace: 'shop', defaultDenyIngress: 'fail', defaultDenyEgress: 'fail' })]);
  });

  test('a privileged namespace managed here without a recorded reason fails; with one, it is an exception shown with its reason', () => {
    const withReason: SourcedKubernetesObject = {
      source,
      object: {
        apiVersion: 'v1', kind: 'Namespace',
        metadata: { name: 'agents', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' }, annotations: { [POD_SECURITY_EXCEPTION_ANNOTATION]: 'reads host logs' } },
      },
    };
    const unlabelled: SourcedKubernetesObject = { source, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } } };
    const result = classifyKubernetesObjects([namespace('shop', 'privileged'), withReason, unlabelled, namespace('safe', 'restricted')]);
    expect(result.namespaces.map((n) => [n.name, n.enforce, n.status, n.podSecurityException])).toEqual([
      ['agents', 'privileged', 'not applicable', 'reads host logs'],
      // No enforce label: Pod Security admission enforces nothing there either.
      ['bare', 'privileged', 'fail', undefined],
      ['safe', 'restricted', 'pass', undefined],
      ['shop', 'privileged', 'fail', undefined],
    ]);
    const finding = 'Pod Security "privileged" (enforces nothing) without a recorded reason: annotate the namespace with platform.zero-trust/pod-security-exception, or enforce "restricted"';
    expect(result.objects.filter((o) => o.kind === 'Namespace').map((o) => [o.name, o.status, o.findings])).toEqual([
      ['shop', 'fail', [finding]], ['agents', 'pass', []], ['bare', 'fail', [finding]], ['safe', 'not applicable', []],
    ]);
  });

  test.each([
    ['nginx', 'not pinned', 'fail'],
    ['nginx:latest', 'not pinned', 'fail'],
    ['docker.io/istio/pilot:stable', 'not pinned', 'fail'],
    ['registry:5000/team/app', 'not pinned', 'fail'],
    ['registry:5000/team/app:{{Ref:Tag}}', 'not pinned', 'fail'],
    ['docker.io/istio/pilot:1.31.0', 'exact tag', 'pass'],
    ['quay.io/argoproj/argo-rollouts:v1.9.0', 'exact tag', 'pass'],
    [`ghcr.io/x/y@sha256:${'a'.repeat(64)}`, 'digest', 'pass'],
    [`ghcr.io/x/y:1.0@sha256:${'a'.repeat(64)}`, 'digest', 'pass'],
    ['ghcr.io/x/y@sha256:abc', 'not pinned', 'fail'],
    ['auto', 'set at admission', 'not applicable'],
  ])('image %s is pinned by: %s (%s)', (image, pin, status) => {
    expect(classifyImage(image)).toMatchObject({ pin, status });
  });

  test('a release tag in an ECR repository of the templates whose tags can be overwritten is not a pin', () => {
    const web = deployment('shop');
    const image = '{{Fn::Select}}.dkr.ecr.{{Fn::Select}}.{{Ref:AWS::URLSuffix}}/{{Ref:Repo}}:1.0.0';
    const object = { ...web.object, spec: { ...web.object.spec, template: { spec: { containers: [{ name: 'app', image }] } } } };
    const classify = (imageTagMutability: string) => classifyKubernetesObjects([{ source, object }], { ecrRepositories: [{ stack: 'test', logicalId: 'Repo', imageTagMutability }] });
    expect(classify('MUTABLE').images).toEqual([expect.objectContaining({ pin: 'not pinned', status: 'fail', detail: expect.stringMatching(/^release tag 1\.0\.0 in ECR repository Repo \(stack test\), whose tags can be overwritten \(MUTABLE\)/) })]);
    expect(classify('MUTABLE').objects[0]).toMatchObject({ status: 'fail' });
    expect(classify('IMMUTABLE').images).toEqual([expect.objectContaining({ pin: 'exact tag', status: 'pass' })]);
  });

  test('a permissive PeerAuthentication fails, as an unset mesh-wide one does', () => {
    const peer = (ns: string, name: string, spec: Record<string, unknown>): SourcedKubernetesObject => ({ source, object: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: ns }, spec } });
    const result = classifyKubernetesObjects([peer('istio-system', 'default', {}), peer('shop', 'legacy', { mtls: { mode: 'PERMISSIVE' } }), peer('shop', 'inherit', {})]);
    expect(result.istio.peerAuthentications.map((p) => [p.scope, p.name, p.mode, p.status])).toEqual([
      ['mesh-wide', 'default', 'UNSET', 'fail'], ['namespace', 'legacy', 'PERMISSIVE', 'fail'], ['namespace', 'inherit', 'UNSET', 'not applicable'],
    ]);
    expect(result.notes).toContainEqual(expect.stringMatching(/^No mesh-wide STRICT PeerAuthentication/));
  });

  test('RBAC: wildcards, Secret readers and cluster-admin bindings, with who they are granted to', () => {
    const object = (o: { kind: string; metadata: KubernetesObject['metadata']; [key: string]: unknown }): SourcedKubernetesObject => ({ source, object: { apiVersion: 'rbac.authorization.k8s.io/v1', ...o } });
    const result = classifyKubernetesObjects([
      object({ kind: 'ClusterRole', metadata: { name: 'everything' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }),
      object({ kind: 'Role', metadata: { name: 'tls', namespace: 'shop' }, rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['tls'], verbs: ['get'] }] }),
      object({ kind: 'ClusterRoleBinding', metadata: { name: 'ops' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'ops' }] }),
      object({ kind: 'RoleBinding', metadata: { name: 'tls', namespace: 'shop' }, roleRef: { kind: 'Role', name: 'tls' }, subjects: [{ kind: 'ServiceAccount', name: 'web' }] }),
    ]);
    expect(result.rbac.wildcardRules).toEqual([expect.objectContaining({ name: 'everything', wildcards: ['verbs', 'resources', 'API groups'], grantedTo: ['no binding among these objects'] })]);
    expect(result.rbac.secretReaders).toEqual([
      expect.objectContaining({ name: 'everything', verbs: ['*'], secrets: 'all, in every namespace (where bound by a ClusterRoleBinding)' }),
      expect.objectContaining({ kind: 'Role', namespace: 'shop', name: 'tls', verbs: ['get'], secrets: 'tls', grantedTo: ['ServiceAccount shop/web (RoleBinding tls in shop)'] }),
    ]);
    expect(result.rbac.clusterAdminBindings).toEqual([expect.objectContaining({ kind: 'ClusterRoleBinding', name: 'ops', subjects: ['Group ops'] })]);
  });
});

const skipped = upstreamSkipReason();
if (skipped) console.warn(skipped);

(skipped ? describe.skip : describe)('Kubernetes policy report with the charts rendered as deployed', () => {
  let dev: EvidenceEnvironment;
  let rendered: RenderedChart[];
  let report: KubernetesReport;

  beforeAll(async () => {
    const app = createTestApp({ context: { env: 'dev' } });
    buildPlatformApp(app, { complianceGate: false });
    const assembly = app.synth().directory;
    dev = readEnvironments(assembly).find((e) => e.name === 'Dev')!;
    rendered = await renderAssemblyCharts(assembly);
    writeRenderedCharts(rendered, path.join(assembly, 'rendered-charts'));
    const stageFolder = path.dirname(dev.stacks[0].templateFile);
    report = kubernetesReport(dev, { renderedChartsDirectory: path.join(assembly, 'rendered-charts', stageFolder) });
  });

  test('every chart release is rendered and each rendered object appears exactly once, with its chart and version', () => {
    expect(report.charts.map((c) => [c.release, c.status])).toEqual(rendered.map((c) => [c.release.release, 'pass']));
    const expected = rendered.flatMap((c) => c.objects.map((o) => `${o.kind} ${o.metadata.name} from chart ${c.release.chart}@${c.release.version} (release ${c.release.release})`));
    expect(report.objects.filter((o) => o.origin.type === 'chart release').map((o) => `${o.kind} ${o.name} from ${o.source}`).sort()).toEqual(expected.sort());
    expect(report.summary).toMatchObject({ chartsNotRendered: 0, chartObjects: expected.length });
    expect(report.notes.join('\n')).not.toMatch(/not rendered/);
  });

  test("istiod's Deployment is in the report with its image and its Pod Security status", () => {
    const source = expect.stringMatching(/^chart istiod@1\.31\.0 \(release istiod\)$/);
    expect(report.objects.filter((o) => o.kind === 'Deployment' && o.name === 'istiod')).toEqual([expect.objectContaining({ namespace: 'istio-system', source, status: 'pass' })]);
    // From the environment's pull through cache (ADR 0021), not Docker Hub.
    expect(report.images.filter((i) => i.name === 'istiod')).toEqual([expect.objectContaining({ image: '${Ref:AWS::AccountId}.dkr.ecr.${Ref:AWS::Region}.${Ref:AWS::URLSuffix}/ztp-dev/docker-hub/istio/pilot:1.31.0', pin: 'exact tag', status: 'pass', source })]);
    // istio-system enforces "privileged" (the CNI node agent needs host access): nothing is enforced there.
    expect(report.podTemplates.find((p) => p.kind === 'Deployment' && p.name === 'istiod')).toMatchObject({ namespace: 'istio-system', level: 'privileged', status: 'not applicable', failingControls: [] });
  });

  test('the charts in restricted namespaces pass, and kube-system is not managed here', () => {
    for (const name of ['ingress-gateway', 'argo-rollouts']) {
      expect(report.podTemplates.find((p) => p.name === name)).toMatchObject({ level: 'restricted', status: 'pass', failingControls: [] });
    }
    expect(report.podTemplates.find((p) => p.name === 'aws-load-balancer-controller')).toMatchObject({ namespace: 'kube-system', level: 'not managed here', status: 'not applicable' });
  });

  test('every image of every chart is pinned (the gateway proxy is set at admission)', () => {
    expect(report.images.filter((i) => i.status !== 'pass').map((i) => `${i.name}/${i.container}: ${i.pin}`)).toEqual(['ingress-gateway/istio-proxy: set at admission']);
  });

  test("the charts' Secret readers are listed with the service accounts they are bound to", () => {
    expect(report.rbac.secretReaders).toContainEqual(expect.objectContaining({
      kind: 'ClusterRole', name: 'istiod-clusterrole-istio-system', grantedTo: ['ServiceAccount istio-system/istiod (ClusterRoleBinding istiod-clusterrole-istio-system)'],
    }));
  });
});

describe('the pods of Argo analysis templates (issue 22: the blue-green preview check)', () => {
  const source: KubernetesObjectSource = { type: 'own manifest', stack: 'test', logicalId: 'Analysis', label: 'own manifest test/Analysis' };
  const restricted: SourcedKubernetesObject = { source, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } };
  const template = (container: Record<string, unknown>): SourcedKubernetesObject => ({
    source,
    object: {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name: 'web-pre-promotion', namespace: 'shop' },
      spec: {
        metrics: [
          { name: 'error-ratio', provider: { prometheus: { address: 'https://prometheus', query: 'vector(0)' } } },
          { name: 'preview-check', provider: { job: { spec: { backoffLimit: 0, template: { metadata: { labels: { app: 'check' } }, spec: { restartPolicy: 'Never', containers: [container] } } } } } },
        ],
      },
    },
  });

  test('a Job metric\'s pod is a pod template of the report, named after its metric, with its image; a hardened one passes', () => {
    // GIVEN a check pod as StatelessService renders it; WHEN classified; THEN it is checked like any workload
    const hardened = {
      name: 'check', image: `example/web@sha256:${'a'.repeat(64)}`,
      securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    };
    const result = classifyKubernetesObjects([restricted, template(hardened)]);
    expect(result.podTemplates).toEqual([expect.objectContaining({ kind: 'AnalysisTemplate', namespace: 'shop', name: 'web-pre-promotion/preview-check', status: 'pass', failingControls: [] })]);
    expect(result.images).toEqual([expect.objectContaining({ kind: 'AnalysisTemplate', name: 'web-pre-promotion/preview-check', container: 'check', pin: 'digest', status: 'pass' })]);
  });

  test('a privileged check pod with a floating image fails, where before it was not looked at', () => {
    const result = classifyKubernetesObjects([restricted, template({ name: 'check', image: 'curlimages/curl:latest', securityContext: { privileged: true } })]);
    expect(result.podTemplates[0]).toMatchObject({ name: 'web-pre-promotion/preview-check', status: 'fail', failingControls: expect.arrayContaining(['Privileged Containers']) });
    expect(result.objects.find((o) => o.kind === 'AnalysisTemplate')).toMatchObject({ status: 'fail', findings: expect.arrayContaining([expect.stringMatching(/^image curlimages\/curl:latest \(container check\) not pinned/)]) });
  });
});
