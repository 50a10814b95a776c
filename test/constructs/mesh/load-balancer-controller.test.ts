import { Match, Template } from 'aws-cdk-lib/assertions';
import { AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION, AwsLoadBalancerController, EKS_CHARTS_REPOSITORY } from '../../../constructs/mesh';
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

  test('installs the pinned chart from the official https repository in kube-system, two replicas over zones', () => {
    expect(release).toMatchObject({ repository: EKS_CHARTS_REPOSITORY, version: AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION, namespace: 'kube-system' });
    expect(release.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(release.values).toMatchObject({ replicaCount: 2, podDisruptionBudget: { maxUnavailable: 1 }, enableServiceMutatorWebhook: false });
    expect(release.values.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
  });

  test('knows its VPC and region without IMDS', () => {
    expect(release.values.vpcId).toBe('{{Ref:NetworkVpc7FB7348F}}');
    expect(release.values.region).toBe('{{Ref:AWS::Region}}');
  });

  test('gets AWS rights through Pod Identity, for its service account only', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'kube-system', ServiceAccount: 'aws-load-balancer-controller' });
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
    const statements: { Sid: string; Condition?: unknown; Resource: unknown }[] = policy.Properties.PolicyDocument.Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    for (const sid of ['ManageOwnSecurityGroups', 'ManageOwnLoadBalancers']) {
      expect(bySid[sid].Condition).toEqual({ Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } });
    }
    expect(bySid.CreateTaggedLoadBalancers.Condition).toEqual({ Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } });
    expect(bySid.CreateElbServiceLinkedRole.Condition).toEqual({ StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } });
    // narrowed to this account and region (upstream allows any)
    expect(JSON.stringify(bySid.RegisterTargets.Resource)).toContain('"Ref":"AWS::AccountId"');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('elasticloadbalancing');
  });
});
