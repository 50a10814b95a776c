import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Stack, type App } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { ApplicationNamespace, PlatformCluster } from '../../../constructs/cluster';
import { PostgresDatabase, RedisCache } from '../../../constructs/data';
import { ZeroTrustVpc } from '../../../constructs/network';
import { ServiceImage, ServiceRepository, StatelessService, type StatelessServiceProps } from '../../../constructs/workload';
import { createTestApp } from '../../support/test-app';

export const DIGEST = `sha256:${'ab12'.repeat(16)}`;

/** What the fixture builds before the service, for overrides that need it. */
export interface FixtureParts {
  readonly app: App;
  readonly network: ZeroTrustVpc;
  readonly postgres: PostgresDatabase;
  readonly cache: RedisCache;
  readonly platform: PlatformCluster;
  readonly namespace: ApplicationNamespace;
  readonly clusterStack: Stack;
  readonly dataStack: Stack;
  readonly stack: Stack;
}

/** Network, data, cluster (with the `orders` ApplicationNamespace) and a workloads stack composed like the platform stage does. */
export function workloadFixture(overrides: Partial<StatelessServiceProps> | ((built: FixtureParts) => Partial<StatelessServiceProps>) = {}, app: App = createTestApp()) {
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
  const namespace = new ApplicationNamespace(clusterStack, 'Namespace-orders', { cluster: platform.cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } });
  const stack = new Stack(app, 'Workloads');
  const { repository } = new ServiceRepository(stack, 'Repository');
  const service = new StatelessService(stack, 'Orders', {
    cluster: platform.cluster,
    namespace,
    serviceName: 'orders',
    image: ServiceImage.fromEcrDigest(repository, DIGEST),
    migrationArgs: ['migrate'],
    postgres: { database: postgres, user: 'app' },
    cache: { cache },
    gateway: {
      gateway: 'istio-ingress/ingress',
      namespace: 'istio-ingress',
      podLabels: { istio: 'ingressgateway' },
      principal: 'cluster.local/ns/istio-ingress/sa/istio-ingressgateway',
      hosts: ['orders.internal.example.com'],
    },
    ...(typeof overrides === 'function' ? overrides({ app, network, postgres, cache, platform, namespace, clusterStack, dataStack, stack }) : overrides),
  });
  return { app, stack, service, postgres, cache, platform, namespace, network, dataStack, clusterStack, repository };
}
