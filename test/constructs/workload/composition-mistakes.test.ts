/**
 * The mistakes a team composing the constructs could make, each refused at synth with a message
 * that names the setting, the value (described, never a raw token) and the fix (issue 17, item 4).
 */
import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApplicationNamespace, PlatformCluster } from '../../../constructs/cluster';
import { PostgresDatabase, RedisCache } from '../../../constructs/data';
import { ZeroTrustVpc } from '../../../constructs/network';
import { ServiceImage, StatelessService, type StatelessServiceProps } from '../../../constructs/workload';
import { createTestApp } from '../../support/test-app';
import { DIGEST, workloadFixture } from './workload-fixture';

const QUOTA = { cpu: 4, memoryGiB: 8, pods: 20 };
const RAW_TOKEN = /\$\{Token\[/;

/** The message `build` throws with (fails the test when it does not throw). */
function messageOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a synth-time error, but nothing was thrown');
}

function kubectlProvider(scope: Stack): eks.IKubectlProvider {
  return eks.KubectlProvider.fromKubectlProviderAttributes(scope, 'TeamKubectl', {
    serviceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:team-kubectl',
    role: iam.Role.fromRoleArn(scope, 'TeamKubectlRole', 'arn:aws:iam::111122223333:role/team-kubectl', { mutable: false }),
  });
}

describe('data stores in the wrong subnets', () => {
  function dataStack() {
    const stack = new Stack(createTestApp(), 'Data');
    return { stack, vpc: new ZeroTrustVpc(stack, 'Network', { cidr: '10.50.0.0/16' }).vpc };
  }

  test('a cache in public subnets', () => {
    const { stack, vpc } = dataStack();
    const message = messageOf(() => new RedisCache(stack, 'Cache', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }));
    expect(message).toBe('RedisCache Data/Cache: vpcSubnets selects public subnets ['
      + 'a value only known at deploy time (Ref of Data/Network/Vpc/IngressSubnet1/Subnet), '
      + 'a value only known at deploy time (Ref of Data/Network/Vpc/IngressSubnet2/Subnet)]'
      + ': a cache there has a route from the internet. Fix: place the cache in isolated subnets (the default vpcSubnets, SubnetType.PRIVATE_ISOLATED: the "Data" subnets of a ZeroTrustVpc).');
    expect(message).not.toMatch(RAW_TOKEN);
  });

  test('a database in workload subnets', () => {
    const { stack, vpc } = dataStack();
    const message = messageOf(() => new PostgresDatabase(stack, 'Postgres', { vpc, vpcSubnets: { subnetGroupName: 'Workloads' } }));
    expect(message).toBe('PostgresDatabase Data/Postgres: vpcSubnets selects private subnets with egress (where the workloads run) ['
      + 'a value only known at deploy time (Ref of Data/Network/Vpc/WorkloadsSubnet1/Subnet), '
      + 'a value only known at deploy time (Ref of Data/Network/Vpc/WorkloadsSubnet2/Subnet)]'
      + ': a database there shares a routed network with the pods. Fix: place the database in isolated subnets (the default vpcSubnets, SubnetType.PRIVATE_ISOLATED: the "Data" subnets of a ZeroTrustVpc).');
    expect(message).not.toMatch(RAW_TOKEN);
  });

  test('a cache in workload subnets and a database in public subnets are refused the same way', () => {
    const { stack, vpc } = dataStack();
    expect(messageOf(() => new RedisCache(stack, 'Cache', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } })))
      .toMatch(/^RedisCache Data\/Cache: vpcSubnets selects private subnets with egress \(where the workloads run\) \[a value only known at deploy time \(Ref of Data\/Network\/Vpc\/WorkloadsSubnet1\/Subnet\), /);
    expect(messageOf(() => new PostgresDatabase(stack, 'Postgres', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })))
      .toMatch(/^PostgresDatabase Data\/Postgres: vpcSubnets selects public subnets \[a value only known at deploy time \(Ref of Data\/Network\/Vpc\/IngressSubnet1\/Subnet\), /);
  });
});

describe('the wrong data subnets handed to a service', () => {
  test('the service takes the database\'s and the cache\'s own subnets: other subnets are refused', () => {
    const message = messageOf(() => workloadFixture(({ network, postgres }) => ({
      // What a caller used to be able to do: hand the service the workload subnets as the database's.
      postgres: { database: postgres, user: 'app', subnets: network.vpc.privateSubnets } as unknown as StatelessServiceProps['postgres'],
    })));
    expect(message).toBe('StatelessService Workloads/Orders: postgres.subnets is given (['
      + 'a value only known at deploy time (Ref of Network/Network/Vpc/WorkloadsSubnet1/Subnet), '
      + 'a value only known at deploy time (Ref of Network/Network/Vpc/WorkloadsSubnet2/Subnet)]'
      + '), but the service addresses the database\'s own subnets (postgres.database.subnets), so no other subnets can be handed to it. Fix: remove postgres.subnets.');
  });

  test('the same for the cache', () => {
    const message = messageOf(() => workloadFixture(({ network, cache }) => ({
      cache: { cache, subnets: network.vpc.publicSubnets } as unknown as StatelessServiceProps['cache'],
    })));
    expect(message).toMatch(/^StatelessService Workloads\/Orders: cache\.subnets is given \(\[a value only known at deploy time \(Ref of Network\/Network\/Vpc\/IngressSubnet1\/Subnet\), .*\]\), but the service addresses the cache's own subnets \(cache\.cache\.subnets\), so no other subnets can be handed to it\. Fix: remove cache\.subnets\.$/);
  });
});

describe('namespaces', () => {
  test('a namespace no ApplicationNamespace created', () => {
    const message = messageOf(() => workloadFixture({ namespace: 'orders' as unknown as ApplicationNamespace }));
    expect(message).toBe('StatelessService Workloads/Orders: namespace "orders" is a name, not an ApplicationNamespace: nothing guarantees the namespace exists or carries the platform guardrails. '
      + 'Fix: create the namespace with new ApplicationNamespace(scope, id, { cluster, name, quota }) on the service\'s cluster and pass that object as namespace.');
  });

  test('kube-system as a service namespace', () => {
    const message = messageOf(() => workloadFixture({ namespace: 'kube-system' as unknown as ApplicationNamespace }));
    expect(message).toBe('StatelessService Workloads/Orders: namespace "kube-system" is a system namespace, reserved for the platform: services never run there (no Pod Security "restricted", no default-deny policies, no sidecar injection). '
      + 'Fix: create the namespace with new ApplicationNamespace(scope, id, { cluster, name, quota }) on the service\'s cluster and pass that object as namespace.');
  });

  test('kube-system cannot be an ApplicationNamespace either', () => {
    const { stack, cluster } = importedClusterStack();
    expect(messageOf(() => new ApplicationNamespace(stack, 'System', { cluster, name: 'kube-system', quota: QUOTA })))
      .toBe('ApplicationNamespace Team/System: name "kube-system" is reserved for the platform. Fix: choose a name that is not "default" and does not start with "kube-" or "istio-".');
  });

  test('a namespace on one cluster and its service on another', () => {
    const message = messageOf(() => workloadFixture(({ stack }) => ({
      cluster: PlatformCluster.fromClusterAttributes(stack, 'OtherCluster', { clusterName: 'team-b', clusterSecurityGroupId: 'sg-0123456789abcdef0', kubectlProvider: kubectlProvider(stack) }),
    })));
    expect(message).toBe('StatelessService Workloads/Orders: namespace "orders" (Cluster/Namespace-orders) is on cluster Cluster/Platform/Cluster, but the service\'s cluster is Workloads/OtherCluster (name "team-b"): '
      + 'the service\'s objects would go to a cluster where the namespace and its guardrails do not exist. Fix: pass an ApplicationNamespace created on the service\'s cluster, or run the service on the namespace\'s cluster.');
  });

  test('a namespace name given as a deploy-time value is described, not printed as a token', () => {
    const { stack, cluster } = importedClusterStack();
    const name = new CfnParameter(stack, 'NamespaceName').valueAsString;
    const message = messageOf(() => new ApplicationNamespace(stack, 'Orders', { cluster, name, quota: QUOTA }));
    expect(message).toBe('ApplicationNamespace Team/Orders: name is a value only known at deploy time (Ref of Team/NamespaceName): a namespace name must be known at synth (objects and policies are rendered with it). Fix: write the name literally, e.g. "orders".');
    expect(message).not.toMatch(RAW_TOKEN);
  });
});

describe('the same service name twice', () => {
  function secondService(stack: Stack, built: ReturnType<typeof workloadFixture>, overrides: Partial<StatelessServiceProps> = {}, id = 'Orders') {
    return new StatelessService(stack, id, {
      cluster: built.platform.cluster,
      namespace: built.namespace,
      serviceName: 'orders',
      image: ServiceImage.fromEcrDigest(built.repository, DIGEST),
      ...overrides,
    });
  }

  test('in one stack', () => {
    const built = workloadFixture();
    const message = messageOf(() => secondService(built.stack, built, {}, 'OrdersAgain'));
    expect(message).toBe('StatelessService Workloads/OrdersAgain: serviceName "orders" is already taken in namespace "orders" on cluster Cluster/Platform/Cluster by StatelessService Workloads/Orders: '
      + 'both would apply the same Deployment, Service and ServiceAccount, and whichever deploys last silently replaces the other. Fix: give one of them another serviceName, or run it in another namespace.');
  });

  test('across stacks', () => {
    const built = workloadFixture();
    const message = messageOf(() => secondService(new Stack(built.app, 'MoreWorkloads'), built));
    expect(message).toBe('StatelessService MoreWorkloads/Orders: serviceName "orders" is already taken in namespace "orders" on cluster Cluster/Platform/Cluster by StatelessService Workloads/Orders: '
      + 'both would apply the same Deployment, Service and ServiceAccount, and whichever deploys last silently replaces the other. Fix: give one of them another serviceName, or run it in another namespace.');
  });

  test('another name, or the same name in another namespace, is fine', () => {
    const built = workloadFixture();
    const other = new Stack(built.app, 'MoreWorkloads');
    expect(secondService(other, built, { serviceName: 'invoices' }).serviceName).toBe('invoices');
    const payments = new ApplicationNamespace(built.clusterStack, 'Namespace-payments', { cluster: built.platform.cluster, name: 'payments', quota: QUOTA });
    expect(new StatelessService(other, 'PaymentsOrders', {
      cluster: built.platform.cluster, namespace: payments, serviceName: 'orders', image: ServiceImage.fromEcrDigest(built.repository, DIGEST),
    }).namespace.namespaceName).toBe('payments');
  });
});

describe('an imported cluster without clusterSecurityGroupId', () => {
  const noClusterSecurityGroup = 'StatelessService Workloads/Orders: cluster Workloads/TeamCluster (name "team-cluster") has no security group (a cluster imported without clusterSecurityGroupId): '
    + 'the pods\' security group admits the gateway and the kubelet from it, and reaches CoreDNS and istiod in it. Fix: import the cluster with clusterSecurityGroupId (PlatformCluster.fromClusterAttributes requires it).';

  test('a service with a database gets a message, not a TypeError', () => {
    const message = messageOf(() => workloadFixture(({ stack }) => {
      const cluster = eks.Cluster.fromClusterAttributes(stack, 'TeamCluster', { clusterName: 'team-cluster', kubectlProvider: kubectlProvider(stack) });
      return { cluster, namespace: new ApplicationNamespace(stack, 'Namespace', { cluster, name: 'orders', quota: QUOTA }) };
    }));
    expect(message).toBe(noClusterSecurityGroup);
  });

  test('PlatformCluster.fromClusterAttributes refuses to import one', () => {
    const stack = new Stack(createTestApp(), 'Team');
    expect(messageOf(() => PlatformCluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'team-cluster', kubectlProvider: kubectlProvider(stack),
    } as unknown as Parameters<typeof PlatformCluster.fromClusterAttributes>[2])))
      .toBe('PlatformCluster.fromClusterAttributes Team/Cluster: clusterSecurityGroupId is undefined: without it no service\'s pods can get a security group of their own (its peer for DNS, istiod and the gateway). Fix: pass the cluster security group id (aws eks describe-cluster --name <name> --query cluster.resourcesVpcConfig.clusterSecurityGroupId).');
  });

  test('a service without data stores needs it too: its pods get their own group all the same (ADR 0019)', () => {
    const message = messageOf(() => workloadFixture(({ stack }) => {
      const cluster = eks.Cluster.fromClusterAttributes(stack, 'TeamCluster', { clusterName: 'team-cluster', kubectlProvider: kubectlProvider(stack) });
      return { cluster, namespace: new ApplicationNamespace(stack, 'Namespace', { cluster, name: 'orders', quota: QUOTA }), postgres: undefined, cache: undefined };
    }));
    expect(message).toBe(noClusterSecurityGroup);
  });
});

function importedClusterStack() {
  const stack = new Stack(createTestApp(), 'Team');
  const cluster = PlatformCluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'team-cluster', clusterSecurityGroupId: 'sg-0123456789abcdef0', kubectlProvider: kubectlProvider(stack) });
  return { stack, cluster };
}
