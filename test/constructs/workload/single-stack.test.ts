/**
 * The whole platform composed in ONE stack, as another team would: the constructs wire their own
 * deploy ordering (service after namespace after istiod after nodes), and synth in a stack with a
 * concrete account and region looks nothing up.
 */
import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { CfnResource, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { IConstruct } from 'constructs';
import { ApplicationNamespace, PlatformCluster } from '../../../constructs/cluster';
import { PostgresDatabase, RedisCache } from '../../../constructs/data';
import { IstioMesh } from '../../../constructs/mesh';
import { ZeroTrustVpc } from '../../../constructs/network';
import { ServiceImage, ServiceRepository, StatelessService } from '../../../constructs/workload';
import { kubernetesObjects, objectOf } from '../../support/manifests';
import { createTestApp } from '../../support/test-app';
import { DIGEST } from './workload-fixture';

describe('the platform composed in a single stack', () => {
  let stack: Stack;
  let template: Template;
  let missing: unknown;
  let built: { platform: PlatformCluster; mesh: IstioMesh; namespace: ApplicationNamespace; service: StatelessService };

  /** The logical id of the (first) CloudFormation resource of a construct. */
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.findAll().find(CfnResource.isCfnResource) as CfnElement);
  const dependsOn = (construct: IConstruct): string[] => template.toJSON().Resources[logicalId(construct)].DependsOn ?? [];

  beforeAll(() => {
    // GIVEN one stack with a concrete environment and explicit zones (no context seeded)
    const app = createTestApp();
    stack = new Stack(app, 'Team', { env: { account: '111122223333', region: 'eu-west-1' } });
    const { vpc } = new ZeroTrustVpc(stack, 'Network', { cidr: '10.60.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 1 });
    const platform = new PlatformCluster(stack, 'Platform', { vpc, version: eks.KubernetesVersion.V1_36, kubectlLayer: new KubectlV36Layer(stack, 'KubectlLayer') });
    // The namespace is declared before the mesh: ordering must not depend on declaration order.
    const namespace = new ApplicationNamespace(stack, 'OrdersNamespace', { cluster: platform.cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } });
    const mesh = new IstioMesh(stack, 'Mesh', { cluster: platform.cluster, vpc });
    const postgres = new PostgresDatabase(stack, 'Postgres', { vpc });
    const cache = new RedisCache(stack, 'Cache', { vpc });
    const { repository } = new ServiceRepository(stack, 'Repository');
    // WHEN a service is added with no ordering wired by hand
    const service = new StatelessService(stack, 'Orders', {
      cluster: platform.cluster,
      namespace,
      serviceName: 'orders',
      image: ServiceImage.fromEcrDigest(repository, DIGEST),
      postgres: { database: postgres, user: 'app' },
      cache: { cache },
      gateway: mesh.gatewayExposure({ hosts: ['orders.example.com'] }),
    });
    built = { platform, mesh, namespace, service };
    const assembly = app.synth();
    missing = assembly.manifest.missing;
    template = Template.fromStack(stack);
  });

  test('the service manifest waits for its namespace', () => {
    expect(dependsOn(built.service.manifest)).toContain(logicalId(built.namespace.manifest));
  });

  test('the namespace waits for istiod, the mesh policies and the Pod Identity agent\'s ServiceEntry', () => {
    const namespaceDeps = dependsOn(built.namespace.manifest);
    expect(namespaceDeps).toEqual(expect.arrayContaining([logicalId(built.mesh.charts.istiod), logicalId(built.mesh.podIdentityAgentEntry)]));
  });

  test('every mesh chart waits for the node group', () => {
    const nodegroup = logicalId(built.platform.nodegroup);
    for (const chart of Object.values(built.mesh.charts)) expect(dependsOn(chart)).toContain(nodegroup);
    expect(dependsOn(built.mesh.podIdentityAgentEntry)).toContain(nodegroup);
  });

  test('the mesh registers the Pod Identity agent for every namespace (REGISTRY_ONLY)', () => {
    expect(objectOf(kubernetesObjects(template), 'ServiceEntry', 'eks-pod-identity-agent')).toMatchObject({
      metadata: { namespace: 'istio-system' },
      spec: { hosts: ['eks-pod-identity-agent.amazonaws.internal'], addresses: ['169.254.170.23/32'], ports: [{ number: 80, protocol: 'TCP' }], resolution: 'STATIC', exportTo: ['*'] },
    });
  });

  test('synth is hermetic: explicit zones in a concrete environment need no context lookup', () => {
    expect(missing ?? []).toEqual([]);
    expect(stack.node.tryGetContext('availability-zones:account=111122223333:region=eu-west-1')).toBeUndefined();
  });
});

test('a namespace on a cluster with no mesh in the app waits for the node group', () => {
  const app = createTestApp();
  const stack = new Stack(app, 'NoMesh');
  const { vpc } = new ZeroTrustVpc(stack, 'Network', { cidr: '10.61.0.0/16' });
  const platform = new PlatformCluster(stack, 'Platform', { vpc, version: eks.KubernetesVersion.V1_36, kubectlLayer: new KubectlV36Layer(stack, 'KubectlLayer') });
  const namespace = new ApplicationNamespace(stack, 'OrdersNamespace', { cluster: platform.cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } });
  app.synth();
  const manifestId = stack.getLogicalId(namespace.manifest.node.findAll().find(CfnResource.isCfnResource) as CfnElement);
  const nodegroupId = stack.getLogicalId(platform.nodegroup.node.defaultChild as CfnElement);
  expect(Template.fromStack(stack).toJSON().Resources[manifestId].DependsOn).toContain(nodegroupId);
});
