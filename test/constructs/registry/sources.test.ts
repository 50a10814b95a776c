import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ApplicationNamespace, PlatformCluster } from '../../../constructs/cluster';
import { renderCfnString } from '../../../constructs/compliance/evidence/kubernetes-objects';
import { ArgoRollouts } from '../../../constructs/delivery';
import { IstioMesh } from '../../../constructs/mesh';
import { ZeroTrustVpc } from '../../../constructs/network';
import { ContainerLogs, MetricsCollector, MetricsWorkspace, TraceCollector } from '../../../constructs/observability';
import { ChartMirror, PrivateRegistry } from '../../../constructs/registry';
import { helmReleases, type HelmRelease } from '../../support/manifests';
import { createTestApp } from '../../support/test-app';

/** The registry as the templates write it (an environment-agnostic stack). */
const HOST = '{{Ref:AWS::AccountId}}.dkr.ecr.{{Ref:AWS::Region}}.{{Ref:AWS::URLSuffix}}';
const CACHE = `${HOST}/ztp-test`;
const DIGEST = `sha256:${'c'.repeat(64)}`;
/** A template value as text, tokens written as the manifests helpers write them (`{{Ref:X}}`). */
const text = (value: unknown) => renderCfnString(value);

/** Every chart construct of the platform on one cluster, all given the same private registry. */
function platformOnRegistry() {
  const app = createTestApp();
  const stack = new Stack(app, 'Platform');
  const network = new ZeroTrustVpc(stack, 'Network', { cidr: '10.50.0.0/16' });
  const kubectlLayer = new KubectlV36Layer(stack, 'KubectlLayer');
  const registry = new PrivateRegistry(stack, 'Registry', {
    repositoryPrefix: 'ztp-test',
    upstreamCredentials: { 'docker-hub': secretsmanager.Secret.fromSecretNameV2(stack, 'DockerHub', 'ecr-pullthroughcache/ztp-test/docker-hub') },
    helmLayer: kubectlLayer,
  });
  const platform = new PlatformCluster(stack, 'Cluster', { vpc: network.vpc, version: eks.KubernetesVersion.V1_36, kubectlLayer, registry });
  const cluster = platform.cluster;
  const mesh = new IstioMesh(stack, 'Mesh', { cluster, vpc: network.vpc, tracing: TraceCollector.meshTracing(10), registry, imageDigests: { pilot: DIGEST } });
  const orders = new ApplicationNamespace(stack, 'Orders', { cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 40 } });
  new TraceCollector(stack, 'Traces', { cluster, vpc: network.vpc, mesh, senders: [{ namespace: orders }], registry });
  const workspace = new MetricsWorkspace(stack, 'Metrics');
  new MetricsCollector(stack, 'MetricsCollector', { cluster, vpc: network.vpc, workspace, registry, image: { repository: 'otel/opentelemetry-collector-contrib', tag: '0.158.0', digest: DIGEST } });
  new ArgoRollouts(stack, 'Argo', { cluster, metricsWorkspace: workspace, registry });
  new ContainerLogs(stack, 'Logs', { cluster, logGroupPrefix: 'ztp-test', vpcCidr: '10.50.0.0/16', applicationNamespaces: [orders], registry });
  return { stack, platform, registry, template: Template.fromStack(stack) };
}

describe('chart constructs on a private registry', () => {
  let built: ReturnType<typeof platformOnRegistry>;
  let releases: HelmRelease[];
  const release = (name: string) => releases.find((r) => r.release === name)!;

  beforeAll(() => {
    // GIVEN a PrivateRegistry; WHEN every chart construct of the platform is built with it
    built = platformOnRegistry();
    releases = helmReleases(built.template);
  });

  test('every chart is installed from its ECR mirror over OCI (the kubectl handler never fetches from a public repository)', () => {
    expect(releases.map((r) => [r.release, text(r.repository)]).sort()).toEqual([
      ['argo-rollouts', `oci://${CACHE}/charts/argo-rollouts`],
      ['aws-load-balancer-controller', `oci://${CACHE}/charts/aws-load-balancer-controller`],
      ['fluent-bit', `oci://${CACHE}/charts/aws-for-fluent-bit`],
      ['ingress-gateway', `oci://${CACHE}/charts/gateway`],
      ['istio-base', `oci://${CACHE}/charts/base`],
      ['istio-cni', `oci://${CACHE}/charts/cni`],
      ['istiod', `oci://${CACHE}/charts/istiod`],
      ['metrics-agent', `oci://${CACHE}/charts/opentelemetry-collector`],
      ['metrics-cluster', `oci://${CACHE}/charts/opentelemetry-collector`],
      ['trace-collector', `oci://${CACHE}/charts/opentelemetry-collector`],
    ]);
  });

  test('the mirror copies each pinned version from the repository upstream publishes it in', () => {
    const [mirror] = Object.values(built.template.findResources(ChartMirror.RESOURCE_TYPE));
    expect(JSON.parse(mirror.Properties.Charts).map((c: { chart: string; version: string; sourceRepository: string }) => `${c.chart} ${c.version} ${c.sourceRepository}`)).toEqual([
      'argo-rollouts 2.41.0 https://argoproj.github.io/argo-helm',
      'aws-for-fluent-bit 0.2.0 https://aws.github.io/eks-charts',
      'aws-load-balancer-controller 3.5.0 https://aws.github.io/eks-charts',
      'base 1.31.0 https://blob.istio.io/istio-release/charts',
      'cni 1.31.0 https://blob.istio.io/istio-release/charts',
      'gateway 1.31.0 https://blob.istio.io/istio-release/charts',
      'istiod 1.31.0 https://blob.istio.io/istio-release/charts',
      'opentelemetry-collector 0.170.0 https://open-telemetry.github.io/opentelemetry-helm-charts',
    ]);
  });

  test('every chart waits for the mirror and for the cache rules its pods pull through', () => {
    const mirror = Object.keys(built.template.findResources(ChartMirror.RESOURCE_TYPE))[0];
    const rules = Object.keys(built.template.findResources('AWS::ECR::PullThroughCacheRule'));
    expect(rules).toHaveLength(3);
    for (const r of releases) expect({ release: r.release, dependsOn: r.dependsOn }).toEqual({ release: r.release, dependsOn: expect.arrayContaining([mirror, ...rules]) });
  });

  test('every image comes through the cache, with its digest where one is pinned', () => {
    const istiod = release('istiod').values;
    expect([istiod.image, istiod.global.hub, istiod.global.proxy.image, istiod.global.proxy_init.image].map(text)).toEqual([
      `${CACHE}/docker-hub/istio/pilot:1.31.0@${DIGEST}`,
      `${CACHE}/docker-hub/istio`,
      `${CACHE}/docker-hub/istio/proxyv2:1.31.0`,
      `${CACHE}/docker-hub/istio/proxyv2:1.31.0`,
    ]);
    expect(text(release('istio-cni').values.image)).toBe(`${CACHE}/docker-hub/istio/install-cni:1.31.0`);
    const lbc = release('aws-load-balancer-controller').values.image;
    expect([text(lbc.repository), lbc.tag]).toEqual([`${CACHE}/ecr-public/eks/aws-load-balancer-controller`, 'v3.5.0']);
    const argo = release('argo-rollouts').values.controller.image;
    expect([text(argo.registry), argo.repository, argo.tag]).toEqual([HOST, 'ztp-test/quay/argoproj/argo-rollouts', 'v1.9.0']);
    const fluentBit = release('fluent-bit').values.image;
    expect([text(fluentBit.repository), fluentBit.tag]).toEqual([`${CACHE}/ecr-public/aws-observability/aws-for-fluent-bit`, '3.2.1']);
    const traces = release('trace-collector').values.image;
    expect([text(traces.repository), traces.tag, traces.digest]).toEqual([`${CACHE}/docker-hub/otel/opentelemetry-collector-contrib`, '0.158.0', undefined]);
    for (const name of ['metrics-agent', 'metrics-cluster']) {
      const image = release(name).values.image;
      expect([text(image.repository), image.tag, image.digest]).toEqual([`${CACHE}/docker-hub/otel/opentelemetry-collector-contrib`, '0.158.0', DIGEST]);
    }
  });

  test('the node role may pull through the cache exactly the images the charts run, by a customer managed policy in place before the nodes start', () => {
    const policies = built.template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: 'EKS worker nodes: pull through the private registry\'s cache' } });
    expect(Object.keys(policies)).toHaveLength(1);
    const [id, policy] = Object.entries(policies)[0];
    const nodeRole = built.stack.getLogicalId(built.platform.nodeRole.node.defaultChild as never);
    expect(policy.Properties.Roles).toEqual([{ Ref: nodeRole }]);
    expect(policy.Properties.PolicyDocument.Statement.map((s: { Action: unknown; Resource: unknown }) => [s.Action, [s.Resource].flat().map(text)])).toEqual([
      ['ecr:GetAuthorizationToken', ['*']],
      [['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
        ['docker-hub/istio/install-cni', 'docker-hub/istio/pilot', 'docker-hub/istio/proxyv2', 'docker-hub/otel/opentelemetry-collector-contrib', 'ecr-public/aws-observability/aws-for-fluent-bit',
          'ecr-public/eks/aws-load-balancer-controller', 'quay/argoproj/argo-rollouts'].map((r) => `arn:{{Ref:AWS::Partition}}:ecr:{{Ref:AWS::Region}}:{{Ref:AWS::AccountId}}:repository/ztp-test/${r}`)],
    ]);
    const [nodegroup] = Object.values(built.template.findResources('AWS::EKS::Nodegroup'));
    expect(nodegroup.DependsOn).toContain(id);
  });
});
