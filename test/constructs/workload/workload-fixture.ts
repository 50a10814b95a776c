import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Stack, type App } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PlatformCluster } from '../../../constructs/cluster';
import { PostgresDatabase, RedisCache } from '../../../constructs/data';
import { ZeroTrustVpc } from '../../../constructs/network';
import { ServiceImage, ServiceRepository, StatelessService, type StatelessServiceProps } from '../../../constructs/workload';
import { createTestApp } from '../../support/test-app';

export const DIGEST = `sha256:${'ab12'.repeat(16)}`;

/** Network, data, cluster and a workloads stack composed like the platform stage does. */
export function workloadFixture(overrides: Partial<StatelessServiceProps> = {}, app: App = createTestApp()) {
  const networkStack = new Stack(app, 'Network');
  const network = new ZeroTrustVpc(networkStack, 'Network', { cidr: '10.50.0.0/16' });
  const dataStack = new Stack(app, 'Data');
  const postgres = new PostgresDatabase(dataStack, 'Postgres', { vpc: network.vpc });
  const cache = new RedisCache(dataStack, 'Cache', { vpc: network.vpc });
  const clusterStack = new Stack(app, 'Cluster');
  const platform = new PlatformCluster(clusterStack, 'Platform', {
    vpc: network.vpc,
    version: eks.KubernetesVersion.V1_36,
    kubectlLayer: new KubectlV36Layer(clusterStack, 'KubectlLayer'),
  });
  const stack = new Stack(app, 'Workloads');
  const { repository } = new ServiceRepository(stack, 'Repository');
  const dataSubnets = network.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnets;
  const service = new StatelessService(stack, 'Orders', {
    cluster: platform.cluster,
    namespace: 'orders',
    serviceName: 'orders',
    image: ServiceImage.fromEcrDigest(repository, DIGEST),
    migrationArgs: ['migrate'],
    postgres: { database: postgres, user: 'app', subnets: dataSubnets },
    cache: { cache, subnets: dataSubnets },
    gateway: {
      gateway: 'istio-ingress/ingress',
      namespace: 'istio-ingress',
      podLabels: { istio: 'ingressgateway' },
      principal: 'cluster.local/ns/istio-ingress/sa/istio-ingressgateway',
      hosts: ['orders.internal.example.com'],
    },
    ...overrides,
  });
  return { app, stack, service, postgres, cache, platform, dataStack, clusterStack, repository };
}
