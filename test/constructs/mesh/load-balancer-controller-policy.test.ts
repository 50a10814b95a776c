import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION, AwsLoadBalancerController } from '../../../constructs/mesh';
import { loadBalancerControllerStatements } from '../../../constructs/mesh/load-balancer-controller-policy';
import { comparePolicies, policyNarrowings, renderCfnValue, renderPolicyDocument, resourceNarrows, type PolicyDocumentJson, type PolicyStatementJson } from '../../support/iam-policy-compare';
import { meshTestCluster } from './mesh-test-cluster';

/** `../shared/upstream` beside the repository (read in place, never copied into it). */
const UPSTREAM_DIR = path.resolve(__dirname, '../../../..', 'shared/upstream');
/** The controller's recommended policy at v3.5.0 (docs/install/iam_policy.json at that tag). */
const UPSTREAM_POLICY = path.join(UPSTREAM_DIR, 'aws-load-balancer-controller', 'iam_policy-v3.5.0.json');
const UPSTREAM_CHART = path.join(UPSTREAM_DIR, 'charts', 'aws-load-balancer-controller-3.5.0', 'Chart.yaml');

const upstreamPresent = fs.existsSync(UPSTREAM_POLICY) && fs.existsSync(UPSTREAM_CHART);
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const statements = (document: PolicyDocumentJson): PolicyStatementJson[] => [document.Statement].flat();
const actionsOf = (s: PolicyStatementJson): string[] => [s.Action ?? []].flat().sort();

describe('comparePolicies (the check itself, on a small policy)', () => {
  const upstream: PolicyDocumentJson = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['ec2:DescribeVpcs'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
        Resource: ['arn:aws:elasticloadbalancing:*:*:targetgroup/*/*'],
        Condition: { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' }, StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'] } },
      },
    ],
  };
  const narrowed: PolicyDocumentJson = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Describe', Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*' },
      {
        Sid: 'Tag',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RemoveTags', 'elasticloadbalancing:AddTags'],
        Resource: 'arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/*/*',
        Condition: { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' }, StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateTargetGroup' } },
      },
    ],
  };

  test('accepts upstream itself and a copy narrowed to the partition, region, account and fewer condition values', () => {
    expect(comparePolicies(upstream, upstream)).toEqual([]);
    expect(comparePolicies(narrowed, upstream)).toEqual([]);
  });

  test('policyNarrowings lists each added or narrowed condition and each changed resource, statement by statement', () => {
    expect(policyNarrowings(upstream, upstream)).toEqual([]);
    expect(policyNarrowings(narrowed, upstream)).toEqual([
      'Tag: StringEquals elasticloadbalancing:CreateAction ["CreateLoadBalancer","CreateTargetGroup"] -> ["CreateTargetGroup"]',
      'Tag: Resource ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"] -> ["arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/*/*"]',
    ]);
    const conditioned = clone(narrowed) as { Statement: PolicyStatementJson[] };
    (conditioned.Statement[0] as { Condition?: unknown }).Condition = { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } };
    expect(policyNarrowings(conditioned, upstream)[0]).toBe('Describe: + StringEquals aws:RequestedRegion = ["eu-west-1"]');
    expect(policyNarrowings({ Statement: [narrowed.Statement].flat().slice(1) }, upstream)).toEqual(['our policy has 1 statements, upstream\'s 2: they cannot be compared in order']);
  });

  test('narrowing means inside upstream\'s pattern, never wider', () => {
    expect(resourceNarrows('arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/*/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*')).toBe(true);
    expect(resourceNarrows('arn:<partition>:ec2:<region>:<account>:security-group/*', '*')).toBe(true);
    expect(resourceNarrows('*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*')).toBe(false);
    expect(resourceNarrows('arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*')).toBe(false);
    expect(resourceNarrows('arn:<partition>:ec2:<region>:<account>:targetgroup/*/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*')).toBe(false);
  });

  test('reports a missing action, an added one, a wider resource, a dropped or widened condition and another effect', () => {
    const missing = clone(narrowed) as { Statement: PolicyStatementJson[] };
    (missing.Statement[1] as { Action: string[] }).Action = ['elasticloadbalancing:AddTags'];
    expect(comparePolicies(missing, upstream)).toEqual([
      'upstream statement #2: action elasticloadbalancing:RemoveTags is missing from our policy',
    ]);

    const added = clone(narrowed) as { Statement: PolicyStatementJson[] };
    (added.Statement[0] as { Action: string[] }).Action = ['ec2:DescribeVpcs', 'ec2:DeleteVpc'];
    expect(comparePolicies(added, upstream)).toEqual(['our statement #1 (Describe): grants ec2:DeleteVpc, which upstream does not grant']);

    const wildcard = clone(narrowed) as { Statement: PolicyStatementJson[] };
    (wildcard.Statement[0] as { Action: string }).Action = 'ec2:Describe*';
    expect(comparePolicies(wildcard, upstream)).toEqual(['our statement #1 (Describe): grants ec2:Describe*, which upstream does not grant']);

    const wider = clone(narrowed) as { Statement: PolicyStatementJson[] };
    (wider.Statement[1] as { Resource: string }).Resource = '*';
    expect(comparePolicies(wider, upstream)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^our statement #2 \(Tag\): grants elasticloadbalancing:AddTags on \* more widely than upstream/),
    ]));

    const unconditioned = clone(narrowed) as { Statement: PolicyStatementJson[] };
    delete (unconditioned.Statement[1] as { Condition?: unknown }).Condition;
    expect(comparePolicies(unconditioned, upstream).join('\n')).toMatch(/lacks condition Null aws:ResourceTag\/elbv2.k8s.aws\/cluster/);

    const moreValues = clone(narrowed) as { Statement: PolicyStatementJson[] };
    (moreValues.Statement[1] as { Condition: Record<string, Record<string, unknown>> }).Condition.StringEquals['elasticloadbalancing:CreateAction'] = ['CreateTargetGroup', 'CreateListener'];
    expect(comparePolicies(moreValues, upstream).join('\n')).toMatch(/allows \["CreateListener"\] beyond upstream's/);

    const deny = clone(narrowed) as { Statement: PolicyStatementJson[] };
    (deny.Statement[0] as { Effect: string }).Effect = 'Deny';
    expect(comparePolicies(deny, upstream).join('\n')).toMatch(/Effect Deny/);
  });
});

if (!upstreamPresent) {
  // Never a silent pass: skipped (and named so) on a machine without the snapshot, failing in CI.
  const reason = `upstream snapshot absent: ${UPSTREAM_POLICY} and ${UPSTREAM_CHART} are needed to compare the controller's policy with upstream's`;
  if (inCi) {
    test(`AwsLoadBalancerController policy vs upstream: FAILED, ${reason} (CI must run this check)`, () => {
      throw new Error(`${reason}; CI=${process.env.CI} requires ../shared/upstream`);
    });
  } else {
    test.skip(`AwsLoadBalancerController policy vs upstream: SKIPPED, ${reason}`, () => undefined);
  }
} else {
  describe('AwsLoadBalancerController policy vs upstream v3.5.0 (../shared/upstream)', () => {
    // GIVEN the controller synthesized in a cluster stack, and upstream's policy file
    const built = meshTestCluster('LbcPolicy');
    new AwsLoadBalancerController(built.stack, 'Lbc', { cluster: built.cluster, vpc: built.vpc });
    const template = Template.fromStack(built.stack);
    const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Load Balancer Controller') } });
    const ours = renderPolicyDocument(Object.values(policies)[0].Properties.PolicyDocument);
    const upstream = JSON.parse(fs.readFileSync(UPSTREAM_POLICY, 'utf8')) as PolicyDocumentJson;
    // The cluster, VPC and subnets as the policy names them (template references, rendered).
    const rendered = (token: unknown) => renderCfnValue(built.stack.resolve(token));
    const clusterName = rendered(built.cluster.clusterName);
    const vpcArn = `arn:<partition>:ec2:<region>:<account>:vpc/${rendered(built.vpc.vpcId)}`;
    const subnets = [...built.vpc.publicSubnets, ...built.vpc.privateSubnets].map((s) => rendered(s.subnetId)).sort();

    test('is the policy of the controller the pinned chart ships', () => {
      expect(Object.keys(policies)).toHaveLength(1);
      expect(AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION).toBe('3.5.0');
      const chart = parse(fs.readFileSync(UPSTREAM_CHART, 'utf8')) as { version: string; appVersion: string };
      expect(chart).toMatchObject({ version: '3.5.0', appVersion: 'v3.5.0' });
    });

    test('grants every upstream action alike (same effect, same or stricter conditions, same or narrower resources) and no other', () => {
      expect(comparePolicies(ours, upstream)).toEqual([]);
    });

    test('follows upstream statement by statement, with a Sid on each', () => {
      expect(ours.Version).toBe('2012-10-17');
      expect(statements(ours).map(actionsOf)).toEqual(statements(upstream).map(actionsOf));
      expect(statements(ours).map((s) => s.Sid)).toEqual([
        'CreateElbServiceLinkedRole', 'DescribeNetworkAndLoadBalancers', 'CertificatesWafShield', 'ManageNodeSecurityGroupIngress',
        'CreateSecurityGroup', 'TagNewSecurityGroup', 'RetagOwnSecurityGroups', 'ManageOwnSecurityGroups', 'CreateTaggedLoadBalancers',
        'ManageListenersAndRules', 'RetagOwnLoadBalancers', 'TagListenersAndRules', 'ManageOwnLoadBalancers', 'TagOnCreate',
        'RegisterTargets', 'ModifyListenersAndRules',
      ]);
    });

    test('narrows every upstream ARN to this stack\'s partition, region and account', () => {
      const arns = statements(ours).flatMap((s) => [s.Resource ?? []].flat()).filter((r) => r !== '*');
      expect(arns.length).toBeGreaterThan(0);
      for (const arn of arns) expect(arn).toMatch(/^arn:<partition>:(ec2|elasticloadbalancing):<region>:<account>:/);
      // and keeps upstream's "*" where upstream has it, except the two security-group statements
      // whose resources name the cluster's VPC and security groups (see the narrowings below)
      const stars = (d: PolicyDocumentJson) => statements(d).filter((s) => [s.Resource].flat().includes('*')).map((s, i) => s.Sid ?? i);
      expect(statements(upstream).map((s) => [s.Resource].flat().includes('*'))).toEqual(statements(ours).map((s) => [s.Resource].flat().includes('*') || ['ManageNodeSecurityGroupIngress', 'CreateSecurityGroup'].includes(s.Sid!)));
      expect(stars(ours)).not.toContain('ManageNodeSecurityGroupIngress');
    });

    test('narrows upstream exactly as documented: the stack\'s partition, region and account; this cluster\'s tag; its VPC; its subnets', () => {
      const account = 'arn:<partition>:ec2:<region>:<account>';
      const elb = 'arn:<partition>:elasticloadbalancing:<region>:<account>';
      const region = '+ StringEquals aws:RequestedRegion = ["<region>"]';
      const ownCluster = (key: 'ResourceTag' | 'RequestTag') => `+ StringEquals aws:${key}/elbv2.k8s.aws/cluster = ["${clusterName}"]`;
      const inVpc = `+ ArnEquals ec2:Vpc = ["${vpcArn}"]`;
      const inSubnets = `+ ForAllValues:StringEquals elasticloadbalancing:Subnet = ${JSON.stringify(subnets)}`;
      expect(policyNarrowings(ours, upstream)).toEqual([
        // describe calls: this region only
        `DescribeNetworkAndLoadBalancers: ${region}`,
        // upstream: ingress changes on any security group of the account; here: only in the cluster's VPC
        `ManageNodeSecurityGroupIngress: ${region}`,
        `ManageNodeSecurityGroupIngress: ${inVpc}`,
        `ManageNodeSecurityGroupIngress: Resource ["*"] -> ["${account}:security-group/*"]`,
        // upstream: security groups in any VPC; here: in the cluster's
        `CreateSecurityGroup: ${region}`,
        `CreateSecurityGroup: Resource ["*"] -> ${JSON.stringify([`${account}:security-group/*`, vpcArn].sort())}`,
        // upstream: the cluster tag must be present; here: it must name this cluster
        `TagNewSecurityGroup: ${ownCluster('RequestTag')}`,
        'TagNewSecurityGroup: Resource ["arn:aws:ec2:*:*:security-group/*"] -> ["arn:<partition>:ec2:<region>:<account>:security-group/*"]',
        `RetagOwnSecurityGroups: ${ownCluster('ResourceTag')}`,
        'RetagOwnSecurityGroups: Resource ["arn:aws:ec2:*:*:security-group/*"] -> ["arn:<partition>:ec2:<region>:<account>:security-group/*"]',
        `ManageOwnSecurityGroups: ${region}`,
        `ManageOwnSecurityGroups: ${ownCluster('ResourceTag')}`,
        `ManageOwnSecurityGroups: ${inVpc}`,
        `CreateTaggedLoadBalancers: ${region}`,
        `CreateTaggedLoadBalancers: ${ownCluster('RequestTag')}`,
        `CreateTaggedLoadBalancers: ${inSubnets}`,
        // upstream: listeners and rules of any load balancer; here: of this cluster's
        `ManageListenersAndRules: ${region}`,
        `ManageListenersAndRules: ${ownCluster('ResourceTag')}`,
        `RetagOwnLoadBalancers: ${ownCluster('ResourceTag')}`,
        `RetagOwnLoadBalancers: Resource ${JSON.stringify(['arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*'])} -> ${JSON.stringify([`${elb}:loadbalancer/app/*/*`, `${elb}:loadbalancer/net/*/*`, `${elb}:targetgroup/*/*`])}`,
        `TagListenersAndRules: Resource ${JSON.stringify(['arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*', 'arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*', 'arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*', 'arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*'])} -> ${JSON.stringify([`${elb}:listener-rule/app/*/*/*`, `${elb}:listener-rule/net/*/*/*`, `${elb}:listener/app/*/*/*`, `${elb}:listener/net/*/*/*`])}`,
        `ManageOwnLoadBalancers: ${region}`,
        `ManageOwnLoadBalancers: ${ownCluster('ResourceTag')}`,
        `ManageOwnLoadBalancers: ${inSubnets}`,
        `TagOnCreate: ${ownCluster('RequestTag')}`,
        `TagOnCreate: Resource ${JSON.stringify(['arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*'])} -> ${JSON.stringify([`${elb}:loadbalancer/app/*/*`, `${elb}:loadbalancer/net/*/*`, `${elb}:targetgroup/*/*`])}`,
        // upstream: targets of any target group; here: of this cluster's
        `RegisterTargets: ${ownCluster('ResourceTag')}`,
        'RegisterTargets: Resource ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"] -> ["arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/*/*"]',
        `ModifyListenersAndRules: ${region}`,
      ]);
    });

    test('the old configuration (upstream\'s tag and VPC conditions only) lacks every cluster, VPC and subnet narrowing', () => {
      // GIVEN the statements without the cluster, VPC and subnets, as the controller had them
      const old = renderPolicyDocument(built.stack.resolve({ Version: '2012-10-17', Statement: loadBalancerControllerStatements({ partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID }).map((s) => s.toStatementJson()) }));
      // THEN it is still a narrowing of upstream, but none of the cluster's, VPC's or subnets' conditions is there
      expect(comparePolicies(old, upstream)).toEqual([]);
      const narrowings = policyNarrowings(old, upstream).join('\n');
      for (const missing of ['elbv2.k8s.aws/cluster = ', 'ec2:Vpc', 'elasticloadbalancing:Subnet', ':vpc/']) expect(narrowings).not.toContain(missing);
      // while ours has them on every statement that changes or deletes a security group, load balancer or target group
      const ourNarrowings = policyNarrowings(ours, upstream);
      for (const sid of ['ManageOwnSecurityGroups', 'ManageOwnLoadBalancers', 'RetagOwnSecurityGroups', 'RetagOwnLoadBalancers', 'RegisterTargets', 'ManageListenersAndRules']) {
        expect(ourNarrowings).toContain(`${sid}: + StringEquals aws:ResourceTag/elbv2.k8s.aws/cluster = ["${clusterName}"]`);
      }
    });

    test('the check fails on purpose: our synthesized policy with one action removed, or one added', () => {
      const removed = clone(ours) as { Statement: PolicyStatementJson[] };
      const manage = removed.Statement.find((s) => s.Sid === 'ManageOwnLoadBalancers') as { Action: string[] };
      manage.Action = manage.Action.filter((a) => a !== 'elasticloadbalancing:DeleteLoadBalancer');
      expect(comparePolicies(removed, upstream)).toEqual([
        'upstream statement #13: action elasticloadbalancing:DeleteLoadBalancer is missing from our policy',
      ]);

      const added = clone(ours) as { Statement: PolicyStatementJson[] };
      const register = added.Statement.find((s) => s.Sid === 'RegisterTargets') as { Action: string[] };
      register.Action = [...register.Action, 'elasticloadbalancing:DeleteTargetGroup'];
      // DeleteTargetGroup is upstream's only with the cluster tag condition: granted here without it, it is wider
      expect(comparePolicies(added, upstream)).toEqual([
        expect.stringMatching(/^our statement #15 \(RegisterTargets\): grants elasticloadbalancing:DeleteTargetGroup on arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup\/\*\/\* more widely than upstream; nearest is upstream statement #13: lacks condition Null aws:ResourceTag\/elbv2.k8s.aws\/cluster/),
      ]);

      const foreign = clone(ours) as { Statement: PolicyStatementJson[] };
      (foreign.Statement[0] as { Action: string[] }).Action = [...[foreign.Statement[0].Action ?? []].flat(), 'iam:PassRole'];
      expect(comparePolicies(foreign, upstream)).toEqual(['our statement #1 (CreateElbServiceLinkedRole): grants iam:PassRole, which upstream does not grant']);
    });
  });
}
