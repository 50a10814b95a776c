/**
 * The cluster's side of security groups for pods (ADR 0019): the VPC CNI's settings, the cluster
 * role's right to manage branch interfaces, node types that can carry a trunk interface, and the
 * SecurityGroupPolicy object.
 */
import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Chart, Testing } from 'cdk8s';
import {
  branchNetworkInterfacesOf,
  isTrunkingCompatible,
  PlatformCluster,
  SecurityGroupPolicy,
  type NodePoolOptions,
  type SecurityGroupPolicySpec,
} from '../../../constructs/cluster';
import { ZeroTrustVpc } from '../../../constructs/network';
import { validateAgainstSchema, type KubernetesObject } from '../../support/manifests';
import { createTestApp } from '../../support/test-app';

function cluster(nodePool?: NodePoolOptions) {
  const stack = new Stack(createTestApp(), 'Eks');
  const platform = new PlatformCluster(stack, 'Platform', {
    vpc: new ZeroTrustVpc(stack, 'Network', { cidr: '10.50.0.0/16' }).vpc,
    version: eks.KubernetesVersion.V1_36,
    kubectlLayer: new KubectlV36Layer(stack, 'KubectlLayer'),
    nodePool,
  });
  return { stack, platform };
}

describe('PlatformCluster turns security groups for pods on', () => {
  let template: Template;
  let built: ReturnType<typeof cluster>;

  beforeAll(() => {
    // GIVEN a cluster with the default node pool; WHEN synthesized
    built = cluster();
    template = Template.fromStack(built.stack);
  });

  test('the VPC CNI runs pod ENIs in standard mode, without SNAT for pods, and still enforces NetworkPolicies', () => {
    const [vpcCni] = Object.values(template.findResources('AWS::EKS::Addon', { Properties: { AddonName: 'vpc-cni' } }));
    expect(JSON.parse(vpcCni.Properties.ConfigurationValues)).toEqual({
      enableNetworkPolicy: 'true',
      nodeAgent: { enablePolicyEventLogs: 'true' },
      env: { ENABLE_POD_ENI: 'true', POD_SECURITY_GROUP_ENFORCING_MODE: 'standard', AWS_VPC_K8S_CNI_EXTERNALSNAT: 'true' },
    });
  });

  test('the cluster role may manage the pods\' trunk and branch network interfaces (AmazonEKSVPCResourceController), and nothing else is added', () => {
    const role = template.findResources('AWS::IAM::Role')[built.stack.resolve((built.platform.cluster.role.node.defaultChild as iam.CfnRole).logicalId)];
    expect(JSON.stringify(role.Properties.ManagedPolicyArns).match(/policy\/[\w/-]+/g)).toEqual(['policy/AmazonEKSClusterPolicy', 'policy/AmazonEKSVPCResourceController']);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' } }]);
  });

  test('the default and configured node types can carry a trunk interface', () => {
    template.hasResourceProperties('AWS::EKS::Nodegroup', { InstanceTypes: ['m7i.large'] });
    expect(() => cluster({ instanceTypes: ['m7i.xlarge', 'm6i.xlarge'].map((t) => new ec2.InstanceType(t)) })).not.toThrow();
  });
});

describe('node types that cannot carry a trunk interface are refused', () => {
  const fix = 'Fix: use instance types listed with IsTrunkingCompatible: true in aws/amazon-vpc-resource-controller-k8s v1.7.19 pkg/aws/vpc/limits.go, e.g. "m7i.large" or "m6i.large" (no "t" type is).';
  const why = 'which cannot attach a trunk network interface: pods with their own security group (every StatelessService\'s pods; its database and cache admit only that group) would never be scheduled on such a node.';

  test.each<[string, string[], string]>([
    ['a burstable type', ['t3.large'], `nodePool.instanceTypes has "t3.large", ${why} ${fix}`],
    ['one of two', ['m7i.large', 't3a.xlarge'], `nodePool.instanceTypes has "t3a.xlarge", ${why} ${fix}`],
    ['a type listed as not trunking compatible', ['i3.large'], `nodePool.instanceTypes has "i3.large", ${why} ${fix}`],
    ['a type the list does not know', ['m99x.large', 't4g.small'], `nodePool.instanceTypes has "m99x.large", "t4g.small", ${why} ${fix}`],
  ])('%s', (_, types, message) => {
    expect(() => cluster({ instanceTypes: types.map((t) => new ec2.InstanceType(t)) })).toThrow(`PlatformCluster Eks/Platform: ${message}`);
  });
});

describe('the trunking table (vpc-resource-controller limits.go v1.7.19)', () => {
  test.each<[string, number | undefined]>([
    ['m7i.large', 9], ['m7i.xlarge', 18], ['m6i.large', 9], ['m6i.xlarge', 18], ['m5.large', 9], ['m7i-flex.large', 3], ['m7i.metal-24xl', 107],
    ['t3.large', undefined], ['i3.large', undefined], ['m7i', undefined], ['constructor.name', undefined], ['m7i.toString', undefined],
  ])('%s: %s branch interfaces', (type, branches) => {
    expect(branchNetworkInterfacesOf(type)).toBe(branches);
    expect(isTrunkingCompatible(type)).toBe(branches !== undefined);
  });
});

describe('SecurityGroupPolicy', () => {
  const make = (spec: SecurityGroupPolicySpec) => new SecurityGroupPolicy(new Chart(Testing.app(), 'Chart', { namespace: 'orders' }), 'Policy', { metadata: { name: 'orders' }, spec });

  test('renders vpcresources.k8s.aws/v1beta1 that matches the CRD schema', () => {
    const object = make({ serviceAccountSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } }, securityGroups: { groupIds: ['sg-0123456789abcdef0'] } }).toJson() as KubernetesObject;
    expect(object).toMatchObject({ apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'orders', namespace: 'orders' } });
    validateAgainstSchema(object);
    expect(() => validateAgainstSchema({ ...object, spec: { ...object.spec, securityGroups: { groupIds: [] } } })).toThrow(/does not match its schema/);
  });

  test.each<[string, SecurityGroupPolicySpec, string]>([
    ['no selector', { securityGroups: { groupIds: ['sg-0123456789abcdef0'] } }, 'no podSelector and no serviceAccountSelector; the controller ignores such a policy. Fix: select the pods by labels, by service account labels, or both.'],
    ['no group', { podSelector: {}, securityGroups: { groupIds: [] } }, 'securityGroups.groupIds has 0 groups; the controller takes 1 to 5. Fix: list the groups the pods need, at most 5.'],
    ['six groups', { podSelector: {}, securityGroups: { groupIds: Array.from({ length: 6 }, (_, i) => `sg-0${i}`) } }, 'securityGroups.groupIds has 6 groups; the controller takes 1 to 5. Fix: list the groups the pods need, at most 5.'],
  ])('refuses %s', (_, spec, message) => {
    expect(() => make(spec)).toThrow(`SecurityGroupPolicy orders: ${message}`);
  });
});
