import { Match, Template } from 'aws-cdk-lib/assertions';
import { AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION, AwsLoadBalancerController, EKS_CHARTS_REPOSITORY } from '../../../constructs/mesh';
import { restrictedViolations } from '../../support/pod-security';
import { helmReleases } from '../../support/manifests';
import { synthWithGate } from '../../support/test-app';
import { meshTestCluster } from './mesh-test-cluster';

describe('AwsLoadBalancerController', () => {
  // GIVEN a cluster WHEN the controller is added and synthesized through the gate
  const built = meshTestCluster('Lbc');
  new AwsLoadBalancerController(built.stack, 'Lbc', { cluster: built.cluster, vpc: built.vpc });
  const { findings } = synthWithGate(built.app);
  const template = Template.fromStack(built.stack);
  const release = helmReleases(template).find((r) => r.chart === 'aws-load-balancer-controller')!;

  test('passes the compliance gate with only registered acknowledgments', () => {
    expect(findings).toEqual([]);
  });

  test('pins chart 3.5.0 (controller v3.5.0, docs/adr/0009)', () => {
    expect(AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION).toBe('3.5.0');
    expect(EKS_CHARTS_REPOSITORY).toBe('https://aws.github.io/eks-charts');
  });

  test('installs the pinned chart from the official https repository in kube-system, two replicas over zones', () => {
    expect(release).toMatchObject({ repository: 'https://aws.github.io/eks-charts', version: '3.5.0', namespace: 'kube-system', release: 'aws-load-balancer-controller' });
    expect(release.values).toMatchObject({ replicaCount: 2, podDisruptionBudget: { maxUnavailable: 1 }, enableServiceMutatorWebhook: false });
    expect(release.values.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
  });

  test('load balancers only for Services that ask (no Service mutator webhook, no ALB Ingress class), no cluster-wide Secrets read, webhook certificate renewed on upgrade', () => {
    expect(release.values).toMatchObject({
      enableServiceMutatorWebhook: false,
      createIngressClassResource: false,
      disableIngressClassAnnotation: true,
      clusterSecretsPermissions: { allowAllSecrets: false },
      keepTLSSecret: false,
    });
  });

  test('runs as Pod Security "restricted" would admit it (the chart default drops no capabilities, sets no seccomp)', () => {
    const { podSecurityContext, securityContext } = release.values;
    expect(securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(podSecurityContext).toEqual({ fsGroup: 65534, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    // as the chart's deployment template places them (pod and the one container)
    expect(restrictedViolations({ securityContext: podSecurityContext, containers: [{ name: 'aws-load-balancer-controller', securityContext }] })).toEqual([]);
  });

  test('knows its VPC and region without IMDS', () => {
    expect(release.values.vpcId).toBe('{{Ref:NetworkVpc7FB7348F}}');
    expect(release.values.region).toBe('{{Ref:AWS::Region}}');
  });

  test('gets AWS rights through Pod Identity, for its service account only', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'kube-system', ServiceAccount: 'aws-load-balancer-controller' });
    // the chart names its service account after serviceAccount.name (its default would be the release's fullname)
    expect(release.values.serviceAccount).toEqual({ create: true, name: 'aws-load-balancer-controller' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [
        Match.objectLike({ Action: 'sts:AssumeRole', Principal: { Service: 'pods.eks.amazonaws.com' } }),
        Match.objectLike({ Action: 'sts:TagSession', Principal: { Service: 'pods.eks.amazonaws.com' } }),
      ] },
      Description: Match.stringLikeRegexp('AWS Load Balancer Controller'),
    });
    expect(release.dependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/PodIdentity/)]));
  });

  test('its policy is a customer managed policy: modifying actions are conditioned on the controller tag', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Load Balancer Controller') } }))[0];
    expect(policy.Properties.Description).toBe('Upstream least-privilege policy of the AWS Load Balancer Controller v3.5.0');
    const statements: { Sid: string; Condition?: unknown; Resource: unknown }[] = policy.Properties.PolicyDocument.Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const inRegion = { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } };
    for (const sid of ['ManageOwnSecurityGroups', 'ManageOwnLoadBalancers']) {
      expect(bySid[sid].Condition).toEqual({ ...inRegion, Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } });
    }
    expect(bySid.CreateTaggedLoadBalancers.Condition).toEqual({ ...inRegion, Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } });
    expect(bySid.CreateElbServiceLinkedRole.Condition).toEqual({ StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } });
    // ARNs narrowed to this account and region (upstream allows any)
    expect(JSON.stringify(bySid.RegisterTargets.Resource)).toContain('"Ref":"AWS::AccountId"');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('elasticloadbalancing');
  });

  test('every statement on "*" whose actions are all EC2 or Elastic Load Balancing calls is limited to the stack\'s region; the others are upstream\'s', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Load Balancer Controller') } }))[0];
    const statements: { Sid: string; Action: string | string[]; Condition?: { StringEquals?: Record<string, unknown> }; Resource: unknown }[] = policy.Properties.PolicyDocument.Statement;
    const onStar = statements.filter((s) => s.Resource === '*');
    const regional = onStar.filter((s) => ([] as string[]).concat(s.Action).every((a) => /^(ec2|elasticloadbalancing):/.test(a)));
    expect(regional.map((s) => s.Sid)).toEqual([
      'DescribeNetworkAndLoadBalancers', 'ManageNodeSecurityGroupIngress', 'CreateSecurityGroup', 'ManageOwnSecurityGroups',
      'CreateTaggedLoadBalancers', 'ManageListenersAndRules', 'ManageOwnLoadBalancers', 'ModifyListenersAndRules',
    ]);
    for (const s of regional) expect({ sid: s.Sid, region: s.Condition?.StringEquals?.['aws:RequestedRegion'] }).toEqual({ sid: s.Sid, region: { Ref: 'AWS::Region' } });
    // IAM (global) and the certificate, WAF and Shield calls (Shield is global) keep upstream's conditions
    expect(onStar.filter((s) => !regional.includes(s)).map((s) => [s.Sid, s.Condition])).toEqual([
      ['CreateElbServiceLinkedRole', { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } }],
      ['CertificatesWafShield', undefined],
    ]);
  });
});
