/**
 * Per-service data-plane segmentation (issue 22, item 1; ADR 0019): a service's pods, and only
 * they, reach its database and cache. Each StatelessService's pods get their own security group
 * through a SecurityGroupPolicy; the data stores admit that group only (never the cluster security
 * group that every node, the gateway and every other pod has), and the group reaches only what
 * the pods need, each peer named by security group.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApplicationNamespace } from '../../../constructs/cluster';
import { MetricsWorkspace } from '../../../constructs/observability';
import { ServiceImage, StatelessService } from '../../../constructs/workload';
import { kubernetesObjects, objectOf, objectsOfKind, validateAgainstSchema, type KubernetesObject } from '../../support/manifests';
import { createTestApp } from '../../support/test-app';
import { DIGEST, workloadFixture } from './workload-fixture';

type Json = Record<string, any>;
const QUOTA = { cpu: 4, memoryGiB: 8, pods: 20 };

/** Every security group rule of the app (standalone resources and inline rules), with the stack it is declared in. */
function securityGroupRules(stacks: Stack[]): (Json & { type: string; stack: string })[] {
  return stacks.flatMap((stack) => Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Json>).flatMap((resource) => {
    if (resource.Type === 'AWS::EC2::SecurityGroupIngress' || resource.Type === 'AWS::EC2::SecurityGroupEgress') return [{ ...resource.Properties, type: resource.Type, stack: stack.stackName }];
    if (resource.Type !== 'AWS::EC2::SecurityGroup') return [];
    return [
      ...(resource.Properties.SecurityGroupIngress ?? []).map((rule: Json) => ({ ...rule, type: 'inline ingress', stack: stack.stackName })),
      ...(resource.Properties.SecurityGroupEgress ?? []).map((rule: Json) => ({ ...rule, type: 'inline egress', stack: stack.stackName })),
    ];
  }));
}

/** The logical id of a security group made in the app. */
const logicalIdOf = (group: ec2.ISecurityGroup) => Stack.of(group).getLogicalId(group.node.defaultChild as ec2.CfnSecurityGroup);
/**
 * True when `value` (a GroupId, SourceSecurityGroupId...) names `group`: its GroupId attribute in
 * its own stack, or the export of it (whose name holds its logical id) in another.
 */
const names = (value: unknown, group: ec2.ISecurityGroup) => value !== undefined && JSON.stringify(value).includes(`"${logicalIdOf(group)}"`) || (value !== undefined && JSON.stringify(value).includes(`${logicalIdOf(group)}GroupId`));
/** The EKS cluster security group, as the workloads stack imports it. */
const CLUSTER_SECURITY_GROUP = /ClusterSecurityGroupId/;

describe('the pods of a service are the only peer of its database and cache', () => {
  let built: ReturnType<typeof workloadFixture>;
  let billing: StatelessService;
  let rules: ReturnType<typeof securityGroupRules>;
  let objects: KubernetesObject[];
  let billingObjects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN orders (database and cache) and, in another namespace and stack, billing with no data store
    built = workloadFixture();
    const billingNamespace = new ApplicationNamespace(built.clusterStack, 'Namespace-billing', { cluster: built.platform.cluster, name: 'billing', quota: QUOTA });
    billing = new StatelessService(new Stack(built.app, 'BillingWorkloads'), 'Billing', {
      cluster: built.platform.cluster, namespace: billingNamespace, serviceName: 'billing', image: ServiceImage.fromEcrDigest(built.repository, DIGEST),
    });
    // WHEN the app is synthesized
    built.app.synth();
    rules = securityGroupRules(built.app.node.children.filter((c): c is Stack => c instanceof Stack));
    objects = kubernetesObjects(Template.fromStack(built.stack));
    billingObjects = kubernetesObjects(Template.fromStack(Stack.of(billing)));
  });

  const dataGroups = () => [built.postgres.connections.securityGroups[0], built.cache.connections.securityGroups[0]];
  /** Every ingress rule of `group`: standalone ones naming it, and its own inline ones. */
  const ingressTo = (group: ec2.ISecurityGroup) => [
    ...rules.filter((r) => r.type === 'AWS::EC2::SecurityGroupIngress' && names(r.GroupId, group)),
    ...(Template.fromStack(Stack.of(group)).toJSON().Resources[logicalIdOf(group)].Properties.SecurityGroupIngress ?? []),
  ];

  test('the database and the cache admit exactly one peer each: the orders pods\' security group, on their own port', () => {
    for (const [group, port] of [[dataGroups()[0], 5432], [dataGroups()[1], 6380]] as const) {
      const ingress = ingressTo(group);
      expect(ingress.map((r) => [r.FromPort, r.ToPort, r.IpProtocol, r.stack])).toEqual([[port, port, 'tcp', 'Workloads']]);
      expect(ingress[0].SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': [logicalIdOf(built.service.podSecurityGroup), 'GroupId'] });
      expect(ingress[0].CidrIp).toBeUndefined();
    }
  });

  test('nodes and the ingress gateway are refused: no rule anywhere admits the cluster security group to a data store', () => {
    const toData = dataGroups().flatMap(ingressTo);
    expect(toData.length).toBeGreaterThan(0);
    expect(toData.filter((r) => CLUSTER_SECURITY_GROUP.test(JSON.stringify(r.SourceSecurityGroupId ?? '')))).toEqual([]);
  });

  test('pods in another namespace get no path: billing\'s group is in no data store rule, and reaches none', () => {
    const billingRules = rules.filter((r) => names(r.GroupId, billing.podSecurityGroup) || names(r.SourceSecurityGroupId, billing.podSecurityGroup) || names(r.DestinationSecurityGroupId, billing.podSecurityGroup));
    expect(billingRules.length).toBeGreaterThan(0);
    expect(billingRules.filter((r) => dataGroups().some((g) => names(r.GroupId, g) || names(r.DestinationSecurityGroupId, g)))).toEqual([]);
    // (billing's pods have its group, never orders', nor the cluster security group the stores refuse)
    expect(dataGroups().flatMap(ingressTo).every((r) => names(r.SourceSecurityGroupId, built.service.podSecurityGroup))).toBe(true);
    // ...and its pods cannot borrow orders' group: a SecurityGroupPolicy selects pods of its own namespace only
    expect(objectOf(objects, 'SecurityGroupPolicy', 'orders').metadata.namespace).toBe('orders');
    expect(objectOf(billingObjects, 'SecurityGroupPolicy', 'billing').metadata.namespace).toBe('billing');
    expect(billing.podSecurityGroup).not.toBe(built.service.podSecurityGroup);
  });

  test('the orders pods\' group sends only to its database, its cache, CoreDNS and istiod, each named by security group: no CIDR, no 0.0.0.0/0', () => {
    const podGroup = built.service.podSecurityGroup;
    const egress = rules.filter((r) => r.type === 'AWS::EC2::SecurityGroupEgress' && names(r.GroupId, podGroup));
    const described = egress.map((r) => {
      const peer = JSON.stringify(r.DestinationSecurityGroupId);
      const kind = CLUSTER_SECURITY_GROUP.test(peer) ? 'cluster' : /PostgresSecurityGroup/.test(peer) ? 'postgres' : /CacheSecurityGroup/.test(peer) ? 'cache' : peer;
      return `${kind} ${r.IpProtocol}/${r.FromPort}`;
    }).sort();
    expect(described).toEqual(['cache tcp/6380', 'cluster tcp/15012', 'cluster tcp/53', 'cluster udp/53', 'postgres tcp/5432']);
    const group = Template.fromStack(built.stack).toJSON().Resources[logicalIdOf(podGroup)];
    // No inline rule: CloudFormation drops EC2's default allow-all egress once a standalone egress rule is added.
    expect(group.Properties.SecurityGroupEgress).toBeUndefined();
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(JSON.stringify(rules.filter((r) => names(r.GroupId, podGroup)))).not.toMatch(/CidrIp/);
  });

  test('the cluster security group admits the pods\' group back on exactly those cluster ports (DNS, istiod)', () => {
    const podGroup = built.service.podSecurityGroup;
    const clusterIngress = rules.filter((r) => r.type === 'AWS::EC2::SecurityGroupIngress' && CLUSTER_SECURITY_GROUP.test(JSON.stringify(r.GroupId)) && names(r.SourceSecurityGroupId, podGroup));
    expect(clusterIngress.map((r) => `${r.IpProtocol}/${r.FromPort}`).sort()).toEqual(['tcp/15012', 'tcp/53', 'udp/53']);
  });

  test('the pods\' group admits only the cluster security group, on the app port, the Istio status port and the sidecar health port', () => {
    const podGroup = built.service.podSecurityGroup;
    const ingress = rules.filter((r) => r.type === 'AWS::EC2::SecurityGroupIngress' && names(r.GroupId, podGroup));
    expect(ingress.map((r) => [r.IpProtocol, r.FromPort, r.ToPort, CLUSTER_SECURITY_GROUP.test(JSON.stringify(r.SourceSecurityGroupId))])).toEqual([
      ['tcp', 8080, 8080, true], ['tcp', 15020, 15020, true], ['tcp', 15021, 15021, true],
    ]);
  });

  describe('the SecurityGroupPolicy', () => {
    const policy = () => objectOf(objects, 'SecurityGroupPolicy', 'orders');

    test('matches its CRD schema and gives the pods exactly their own group', () => {
      validateAgainstSchema(policy());
      expect(policy().spec.securityGroups).toEqual({ groupIds: [`{{GetAtt:${logicalIdOf(built.service.podSecurityGroup)}.GroupId}}`] });
    });

    test('selects exactly the service\'s ServiceAccount and the service\'s pods, and nothing else of the chart', () => {
      const { serviceAccountSelector, podSelector } = policy().spec;
      const matches = (selector: Json, labels: Record<string, string> = {}) => Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);
      expect(serviceAccountSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'orders' } });
      expect(podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'orders' } });
      const accounts = objectsOfKind(objects, 'ServiceAccount');
      expect(accounts.filter((sa) => matches(serviceAccountSelector, sa.metadata.labels)).map((sa) => sa.metadata.name)).toEqual(['orders']);
      const deployment = objectOf(objects, 'Deployment', 'orders');
      expect(matches(podSelector, deployment.spec.template.metadata.labels)).toBe(true);
      expect(deployment.spec.template.spec.serviceAccountName).toBe('orders');
    });

    test('is applied before the pods it must shape (it only affects pods created after it)', () => {
      const kinds = objects.map((o) => o.kind);
      expect(kinds.indexOf('SecurityGroupPolicy')).toBeGreaterThanOrEqual(0);
      expect(kinds.indexOf('SecurityGroupPolicy')).toBeLessThan(kinds.indexOf('Deployment'));
      expect(kinds.indexOf('ServiceAccount')).toBeLessThan(kinds.indexOf('SecurityGroupPolicy'));
    });
  });

  test('the service exposes its pods\' group and connections', () => {
    expect(built.service.connections.securityGroups).toEqual([built.service.podSecurityGroup]);
    expect(built.service.connections.defaultPort?.toString()).toBe('8080');
  });
});

test('tracing and an outside scraper: the pods\' group reaches the collector\'s OTLP ports and admits the scraper\'s CIDR on 15020 only', () => {
  // GIVEN a service that exports spans and is scraped from outside the cluster
  const tracing = { otlpHttpEndpoint: 'http://trace-collector.tracing.svc.cluster.local:4318', samplingRatio: 0.1, collectorNamespace: 'tracing', collectorPodLabels: { app: 'collector' }, ports: [4317, 4318] };
  const app: App = createTestApp();
  const workspace = new MetricsWorkspace(new Stack(app, 'Observability'), 'Metrics');
  const built = workloadFixture({ tracing, delivery: { strategy: 'rolling', metrics: { workspace, scrapeSourceCidrs: ['10.50.32.0/19'] } } }, app);
  built.app.synth();
  const template = Template.fromStack(built.stack).toJSON();
  const podGroupId = logicalIdOf(built.service.podSecurityGroup);
  const egressPorts = Object.values(template.Resources as Record<string, Json>)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties.GroupId).includes(podGroupId) && CLUSTER_SECURITY_GROUP.test(JSON.stringify(r.Properties.DestinationSecurityGroupId)))
    .map((r) => `${r.Properties.IpProtocol}/${r.Properties.FromPort}`).sort();
  expect(egressPorts).toEqual(['tcp/15012', 'tcp/4317', 'tcp/4318', 'tcp/53', 'udp/53']);
  // THEN the one CIDR rule is the scraper's, on the status port
  expect(template.Resources[podGroupId].Properties.SecurityGroupIngress).toEqual([
    { CidrIp: '10.50.32.0/19', Description: 'Metrics scraper outside the cluster to the Istio status port', FromPort: 15020, IpProtocol: 'tcp', ToPort: 15020 },
  ]);
});

test('a group the caller gives is the pods\' group: the policy names it, the data stores admit it, no other group is made', () => {
  // GIVEN a team's own group for the orders pods
  const built = workloadFixture(({ stack, network }) => ({ podSecurityGroup: new ec2.SecurityGroup(stack, 'OrdersPods', { vpc: network.vpc, allowAllOutbound: false }) }));
  built.app.synth();
  const template = Template.fromStack(built.stack);
  const own = logicalIdOf(built.service.podSecurityGroup);
  expect(own).toMatch(/^OrdersPods/);
  expect(Object.keys(template.findResources('AWS::EC2::SecurityGroup'))).toEqual([own]);
  expect(objectOf(kubernetesObjects(template), 'SecurityGroupPolicy', 'orders').spec.securityGroups.groupIds).toEqual([`{{GetAtt:${own}.GroupId}}`]);
  const dataIngress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) => /PostgresSecurityGroup|CacheSecurityGroup/.test(JSON.stringify(r.Properties.GroupId)));
  expect(dataIngress.map((r) => r.Properties.SourceSecurityGroupId)).toEqual([{ 'Fn::GetAtt': [own, 'GroupId'] }, { 'Fn::GetAtt': [own, 'GroupId'] }]);
});

describe('a pod security group that would not segment is refused', () => {
  test('the cluster security group', () => {
    expect(() => workloadFixture(({ platform }) => ({ podSecurityGroup: platform.cluster.clusterSecurityGroup }))).toThrow(
      'StatelessService Workloads/Orders: podSecurityGroup is the cluster security group (a value only known at deploy time (ClusterSecurityGroupId of Cluster/Platform/Cluster/Resource)), which every node and every pod without its own group has: the database and cache would admit the whole cluster. '
      + 'Fix: leave podSecurityGroup unset (the service gets a group of its own), or pass a group only this service\'s pods use.');
  });

  test('the cluster security group imported by its id', () => {
    expect(() => workloadFixture(({ stack, network }) => {
      const cluster = teamCluster(stack, network.vpc);
      return {
        cluster, namespace: new ApplicationNamespace(stack, 'Namespace', { cluster, name: 'orders', quota: QUOTA }),
        podSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Nodes', 'sg-0123456789abcdef0'),
      };
    })).toThrow('StatelessService Workloads/Orders: podSecurityGroup is the cluster security group ("sg-0123456789abcdef0")');
  });

  test('another service\'s group', () => {
    const fixture = workloadFixture();
    const namespace = new ApplicationNamespace(fixture.clusterStack, 'Namespace-billing', { cluster: fixture.platform.cluster, name: 'billing', quota: QUOTA });
    expect(() => new StatelessService(fixture.stack, 'Billing', {
      cluster: fixture.platform.cluster, namespace, serviceName: 'billing', image: ServiceImage.fromEcrDigest(fixture.repository, DIGEST),
      podSecurityGroup: fixture.service.podSecurityGroup,
    })).toThrow(/^StatelessService Workloads\/Billing: podSecurityGroup .* is already the pod security group of StatelessService Workloads\/Orders: each service's database and cache would admit the other's pods\. Fix: give each service its own group, or leave podSecurityGroup unset\.$/);
  });

  test('none can be made: a cluster imported without its VPC', () => {
    expect(() => workloadFixture(({ stack }) => {
      const cluster = teamCluster(stack);
      return { cluster, namespace: new ApplicationNamespace(stack, 'Namespace', { cluster, name: 'orders', quota: QUOTA }) };
    })).toThrow('StatelessService Workloads/Orders: cluster Workloads/TeamCluster (name "team-cluster") was imported without its VPC, so the pods\' own security group cannot be created. '
      + 'Fix: import the cluster with vpc (PlatformCluster.fromClusterAttributes({ ..., vpc })), or pass podSecurityGroup.');
  });
});

/** A cluster another app made, imported with its cluster security group (and, if given, its VPC). */
function teamCluster(stack: Stack, vpc?: ec2.IVpc): eks.ICluster {
  return eks.Cluster.fromClusterAttributes(stack, 'TeamCluster', {
    clusterName: 'team-cluster', clusterSecurityGroupId: 'sg-0123456789abcdef0', vpc,
    kubectlProvider: eks.KubectlProvider.fromKubectlProviderAttributes(stack, 'Kubectl', {
      serviceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:team-kubectl',
      role: iam.Role.fromRoleArn(stack, 'KubectlRole', 'arn:aws:iam::111122223333:role/team-kubectl', { mutable: false }),
    }),
  });
}
