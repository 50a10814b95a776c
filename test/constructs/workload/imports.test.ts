/**
 * A team runs a service on things that already exist: a VPC, an EKS cluster, a database and a
 * cache made by another app, imported with the constructs' `from...Attributes` methods.
 */
import { Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApplicationNamespace, PlatformCluster } from '../../../constructs/cluster';
import { PostgresDatabase, RedisCache } from '../../../constructs/data';
import { ZeroTrustVpc, type ZeroTrustVpcAttributes } from '../../../constructs/network';
import { ServiceImage, ServiceRepository, StatelessService } from '../../../constructs/workload';
import { kubernetesObjects, objectOf, objectsOfKind, type KubernetesObject } from '../../support/manifests';
import { createTestApp, synthWithGate } from '../../support/test-app';
import { DIGEST, workloadFixture } from './workload-fixture';

const KUBECTL_SERVICE_TOKEN = 'arn:aws:lambda:eu-west-1:111122223333:function:team-kubectl';
const DATA_CIDRS = ['10.70.96.0/22', '10.70.100.0/22'];

const VPC_ATTRIBUTES: ZeroTrustVpcAttributes = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidrBlock: '10.70.0.0/16',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  ingressSubnets: [
    { subnetId: 'subnet-000000000000000a1', ipv4CidrBlock: '10.70.0.0/22', routeTableId: 'rtb-000000000000000a1' },
    { subnetId: 'subnet-000000000000000a2', ipv4CidrBlock: '10.70.4.0/22', routeTableId: 'rtb-000000000000000a2' },
  ],
  workloadSubnets: [
    { subnetId: 'subnet-000000000000000b1', ipv4CidrBlock: '10.70.32.0/19', routeTableId: 'rtb-000000000000000b1' },
    { subnetId: 'subnet-000000000000000b2', ipv4CidrBlock: '10.70.64.0/19', routeTableId: 'rtb-000000000000000b2' },
  ],
  dataSubnets: [
    { subnetId: 'subnet-000000000000000c1', ipv4CidrBlock: DATA_CIDRS[0], routeTableId: 'rtb-000000000000000c1' },
    { subnetId: 'subnet-000000000000000c2', ipv4CidrBlock: DATA_CIDRS[1], routeTableId: 'rtb-000000000000000c2' },
  ],
};

function importedCluster(stack: Stack, vpc?: ec2.IVpc): eks.ICluster {
  return PlatformCluster.fromClusterAttributes(stack, 'Cluster', {
    clusterName: 'team-cluster',
    clusterSecurityGroupId: 'sg-0c1a2b3c4d5e6f708',
    kubectlProvider: eks.KubectlProvider.fromKubectlProviderAttributes(stack, 'Kubectl', {
      serviceToken: KUBECTL_SERVICE_TOKEN,
      role: iam.Role.fromRoleArn(stack, 'KubectlRole', 'arn:aws:iam::111122223333:role/team-kubectl', { mutable: false }),
    }),
    vpc,
  });
}

function importedDatabase(stack: Stack, vpc: ec2.IVpc) {
  return PostgresDatabase.fromDatabaseAttributes(stack, 'Database', {
    vpc,
    clusterIdentifier: 'team-orders',
    clusterResourceIdentifier: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    clusterEndpointAddress: 'team-orders.cluster-c1a2b3.eu-west-1.rds.amazonaws.com',
    readerEndpointAddress: 'team-orders.cluster-ro-c1a2b3.eu-west-1.rds.amazonaws.com',
    securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'DatabaseSg', 'sg-0d1a2b3c4d5e6f708', { mutable: false })],
  });
}

function importedCache(stack: Stack, vpc: ec2.IVpc) {
  return RedisCache.fromCacheAttributes(stack, 'Cache', {
    vpc,
    replicationGroupId: 'team-orders-cache',
    primaryEndpointAddress: 'master.team-orders-cache.c1a2b3.euw1.cache.amazonaws.com',
    readerEndpointAddress: 'replica.team-orders-cache.c1a2b3.euw1.cache.amazonaws.com',
    appUserName: 'team-orders-app',
    securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'CacheSg', 'sg-0e1a2b3c4d5e6f708', { mutable: false })],
  });
}

/** Egress to addresses (the service's; the namespace baseline allows DNS and istiod by selector) as `cidr:port`. */
function egressOf(objects: KubernetesObject[]): string[] {
  return objectsOfKind(objects, 'NetworkPolicy').flatMap((p) => p.spec.egress ?? []).filter((e: any) => e.to[0].ipBlock).map((e: any) => `${e.to[0].ipBlock.cidr}:${e.ports[0].port}`).sort();
}

describe('a service on an imported VPC, cluster, database and cache (one stack, nothing created but the service)', () => {
  let template: Template;
  let objects: KubernetesObject[];
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN everything imported
    const app = createTestApp();
    const stack = new Stack(app, 'TeamOrders', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = ZeroTrustVpc.fromVpcAttributes(stack, 'Vpc', VPC_ATTRIBUTES);
    const cluster = importedCluster(stack, vpc);
    const namespace = new ApplicationNamespace(stack, 'Namespace', { cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } });
    const { repository } = new ServiceRepository(stack, 'Repository');
    // WHEN the service uses them
    new StatelessService(stack, 'Orders', {
      cluster,
      namespace,
      serviceName: 'orders',
      image: ServiceImage.fromEcrDigest(repository, DIGEST),
      postgres: { database: importedDatabase(stack, vpc), user: 'app' },
      cache: { cache: importedCache(stack, vpc) },
    });
    ({ findings } = synthWithGate(app));
    template = Template.fromStack(stack);
    objects = kubernetesObjects(template);
  });

  test('synthesizes through the compliance gate with no open finding', () => {
    expect(findings).toEqual([]);
  });

  test('imported VPC: the NetworkPolicies and ServiceEntries name its data subnets\' CIDRs', () => {
    expect(egressOf(objects)).toEqual(['10.70.100.0/22:5432', '10.70.100.0/22:6380', '10.70.96.0/22:5432', '10.70.96.0/22:6380', '169.254.170.23/32:80']);
    expect(objectOf(objects, 'ServiceEntry', 'orders-postgres').spec.addresses).toEqual(DATA_CIDRS);
    expect(objectOf(objects, 'ServiceEntry', 'orders-cache').spec.addresses).toEqual(DATA_CIDRS);
  });

  test('imported cluster: manifests go through its kubectl provider, pods are bound to it by Pod Identity', () => {
    const manifests = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'));
    expect(manifests).toHaveLength(2);
    for (const manifest of manifests) expect(manifest.Properties).toMatchObject({ ServiceToken: KUBECTL_SERVICE_TOKEN, ClusterName: 'team-cluster' });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { ClusterName: 'team-cluster', Namespace: 'orders', ServiceAccount: 'orders' });
  });

  test('imported database and cache: their security groups admit the service\'s own pod security group on their ports, never the cluster security group', () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties)
      .filter((r) => ['sg-0d1a2b3c4d5e6f708', 'sg-0e1a2b3c4d5e6f708'].includes(r.GroupId));
    const pods = { 'Fn::GetAtt': [expect.stringMatching(/^OrdersPodSecurityGroup/), 'GroupId'] };
    expect(rules.map((r) => [r.GroupId, r.SourceSecurityGroupId, r.FromPort])).toEqual([
      ['sg-0d1a2b3c4d5e6f708', pods, 5432],
      ['sg-0e1a2b3c4d5e6f708', pods, 6380],
    ]);
  });

  test('imported database: rds-db:connect as the application user of that cluster only', () => {
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const connect = statements.find((s: any) => s.Action === 'rds-db:connect');
    expect(JSON.stringify(connect.Resource)).toContain(':dbuser:cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ/app');
  });

  test('imported cache: elasticache:Connect on its replication group and its IAM user only', () => {
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const connect = statements.find((s: any) => s.Action === 'elasticache:Connect');
    expect(JSON.stringify(connect.Resource)).toMatch(/:replicationgroup:team-orders-cache".*:user:team-orders-app"/);
  });

  test('the endpoints of the imported stores are the hosts of the ServiceEntries', () => {
    expect(objectOf(objects, 'ServiceEntry', 'orders-postgres').spec.hosts).toEqual(['team-orders.cluster-c1a2b3.eu-west-1.rds.amazonaws.com']);
    expect(objectOf(objects, 'ServiceEntry', 'orders-cache').spec.hosts).toEqual(['master.team-orders-cache.c1a2b3.euw1.cache.amazonaws.com']);
  });
});

test('an imported database and cache next to a cluster made in the app', () => {
  // GIVEN the platform's own network and cluster, and stores another app made in that VPC
  const built = workloadFixture(({ stack, network }) => ({
    postgres: { database: importedDatabase(stack, network.vpc), user: 'app' },
    cache: { cache: importedCache(stack, network.vpc) },
  }));
  built.app.synth();
  // THEN the service addresses the isolated subnets the stores were imported with
  expect(egressOf(kubernetesObjects(Template.fromStack(built.stack)))).toEqual(['10.50.100.0/22:5432', '10.50.100.0/22:6380', '10.50.96.0/22:5432', '10.50.96.0/22:6380', '169.254.170.23/32:80']);
});

test('an imported cluster runs a service in a VPC made in the app', () => {
  // GIVEN a cluster imported with the VPC made in the app (the pods' own group is created in it)
  const built = workloadFixture(({ stack, network }) => {
    const cluster = importedCluster(stack, network.vpc);
    return { cluster, namespace: new ApplicationNamespace(stack, 'Namespace', { cluster, name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } }) };
  });
  built.app.synth();
  // THEN the stores admit the pods' own group (in the cluster's VPC); the imported cluster security group admits it back for DNS and istiod
  const template = Template.fromStack(built.stack);
  const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
  const pods = { 'Fn::GetAtt': [expect.stringMatching(/^OrdersPodSecurityGroup/), 'GroupId'] };
  expect(rules.filter((r) => /PostgresSecurityGroup|CacheSecurityGroup/.test(JSON.stringify(r.GroupId))).map((r) => r.SourceSecurityGroupId)).toEqual([pods, pods]);
  expect(rules.filter((r) => r.GroupId === 'sg-0c1a2b3c4d5e6f708').map((r) => `${r.IpProtocol}/${r.FromPort}`).sort()).toEqual(['tcp/15012', 'tcp/53', 'udp/53']);
  expect(Object.values(template.findResources('AWS::EC2::SecurityGroup')).map((g) => g.Properties.VpcId)).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/NetworkVpc/) }]);
});

describe('import attributes are checked', () => {
  const stack = () => new Stack(createTestApp(), 'Team');

  test.each<[string, Partial<ZeroTrustVpcAttributes>, string]>([
    ['a VPC CIDR from another stack\'s export', { vpcCidrBlock: Fn.importValue('team-vpc-cidr') }, 'vpcCidrBlock is a value only known at deploy time ({"Fn::ImportValue":"team-vpc-cidr"}), not a literal IPv4 CIDR. Fix: pass the VPC\'s CIDR as written, e.g. "10.0.0.0/16".'],
    ['a VPC CIDR that is not one', { vpcCidrBlock: '10.70.0.0' }, 'vpcCidrBlock is "10.70.0.0", not a literal IPv4 CIDR. Fix: pass the VPC\'s CIDR as written, e.g. "10.0.0.0/16".'],
    ['one zone', { availabilityZones: ['eu-west-1a'] }, 'availabilityZones is ["eu-west-1a"]: needs 2 to 4 zones (EKS and multi-AZ data stores need two). Fix: list the zones of the VPC\'s subnets.'],
    ['a subnet per zone missing', { dataSubnets: VPC_ATTRIBUTES.dataSubnets!.slice(0, 1) }, 'dataSubnets has 1 subnet(s) for 2 Availability Zones. Fix: list one subnet per zone, in the order of availabilityZones.'],
    ['a subnet CIDR outside the VPC', { dataSubnets: [VPC_ATTRIBUTES.dataSubnets![0], { subnetId: 'subnet-000000000000000c2', ipv4CidrBlock: '10.80.0.0/22' }] },
      'dataSubnets[1].ipv4CidrBlock is "10.80.0.0/22", not a literal IPv4 CIDR inside the VPC\'s "10.70.0.0/16". Fix: pass the CIDR of subnet "subnet-000000000000000c2" as written.'],
  ])('ZeroTrustVpc.fromVpcAttributes refuses %s', (_, attrs, message) => {
    expect(() => ZeroTrustVpc.fromVpcAttributes(stack(), 'Vpc', { ...VPC_ATTRIBUTES, ...attrs })).toThrow(`ZeroTrustVpc.fromVpcAttributes Team/Vpc: ${message}`);
  });

  test('an imported database or cache in the workload subnets is refused like a new one', () => {
    const s = stack();
    const vpc = ZeroTrustVpc.fromVpcAttributes(s, 'Vpc', VPC_ATTRIBUTES);
    const fix = 'in isolated subnets (the default vpcSubnets, SubnetType.PRIVATE_ISOLATED: the "Data" subnets of a ZeroTrustVpc).';
    expect(() => PostgresDatabase.fromDatabaseAttributes(s, 'Db', {
      vpc, vpcSubnets: { subnetGroupName: 'Workloads' }, clusterIdentifier: 'x', clusterResourceIdentifier: 'cluster-X', clusterEndpointAddress: 'w', readerEndpointAddress: 'r',
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(s, 'DbSg', 'sg-0d1a2b3c4d5e6f708')],
    })).toThrow(`PostgresDatabase.fromDatabaseAttributes Team/Db: vpcSubnets selects private subnets with egress (where the workloads run) ["subnet-000000000000000b1","subnet-000000000000000b2"]: a database there shares a routed network with the pods. Fix: place the database ${fix}`);
    expect(() => RedisCache.fromCacheAttributes(s, 'Cache', {
      vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC }, replicationGroupId: 'c', primaryEndpointAddress: 'p', readerEndpointAddress: 'r', appUserName: 'team-app',
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(s, 'CacheSg', 'sg-0e1a2b3c4d5e6f708')],
    })).toThrow(`RedisCache.fromCacheAttributes Team/Cache: vpcSubnets selects public subnets ["subnet-000000000000000a1","subnet-000000000000000a2"]: a cache there has a route from the internet. Fix: place the cache ${fix}`);
  });

  test('an imported database needs its security groups', () => {
    const s = stack();
    expect(() => PostgresDatabase.fromDatabaseAttributes(s, 'Db', {
      vpc: ZeroTrustVpc.fromVpcAttributes(s, 'Vpc', VPC_ATTRIBUTES), clusterIdentifier: 'x', clusterResourceIdentifier: 'cluster-X', clusterEndpointAddress: 'w', readerEndpointAddress: 'r', securityGroups: [],
    })).toThrow('PostgresDatabase.fromDatabaseAttributes Team/Db: securityGroups is empty: services could not be admitted to the database. Fix: pass the security groups of the cluster (ec2.SecurityGroup.fromSecurityGroupId).');
  });

  test('a service refuses a store whose subnets were imported without CIDRs', () => {
    const message = (() => {
      try {
        workloadFixture(({ stack: s }) => {
          const vpc = ec2.Vpc.fromVpcAttributes(s, 'BareVpc', {
            vpcId: 'vpc-0a1b2c3d4e5f60719', vpcCidrBlock: '10.70.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
            isolatedSubnetIds: ['subnet-000000000000000c1', 'subnet-000000000000000c2'], isolatedSubnetRouteTableIds: ['rtb-1', 'rtb-2'],
          });
          return { postgres: { database: importedDatabase(s, vpc), user: 'app' }, cache: undefined };
        });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toBe('StatelessService Workloads/Orders: postgres.database.subnets has subnet "subnet-000000000000000c1" without an IPv4 CIDR (imported without ipv4CidrBlock), so no NetworkPolicy can name it. '
      + 'Fix: import the VPC with its subnet CIDRs (ZeroTrustVpc.fromVpcAttributes, or isolatedSubnetIpv4CidrBlocks in ec2.Vpc.fromVpcAttributes).');
  });
});
