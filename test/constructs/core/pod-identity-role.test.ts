import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PodIdentityRole } from '../../../constructs/core/pod-identity-role';
import { renderPolicyDocument } from '../../support/iam-policy-compare';

/**
 * PodIdentityRole: the one trust policy every Pod Identity role of the library has. The request
 * EKS Pod Identity makes to STS is modelled below (its session tags and source account, EKS user
 * guide `pod-id-abac`), and evaluated against the synthesized trust policy and against the one the
 * constructs had before (the EKS default: no condition at all).
 */

const ACCOUNT = '123456789012';
/** As the template writes it, rendered (`renderPolicyDocument`): the stack's partition is `<partition>`. */
const CLUSTER_ARN = `arn:<partition>:eks:eu-west-1:${ACCOUNT}:cluster/platform`;

/** What STS sees when EKS Pod Identity assumes a role for a pod. */
interface PodIdentityRequest {
  readonly action: 'sts:AssumeRole' | 'sts:TagSession';
  readonly service: string;
  readonly sourceAccount: string;
  readonly clusterArn: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

interface TrustStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Principal: { Service: string };
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** Whether an Allow-only trust policy with StringEquals conditions admits the request (anything else fails the test). */
function admits(statements: TrustStatement[], request: PodIdentityRequest): boolean {
  const context: Record<string, string> = {
    'aws:SourceAccount': request.sourceAccount,
    'aws:RequestTag/eks-cluster-arn': request.clusterArn,
    'aws:RequestTag/kubernetes-namespace': request.namespace,
    'aws:RequestTag/kubernetes-service-account': request.serviceAccount,
  };
  return statements.some((s) => {
    expect(s.Effect).toBe('Allow');
    if (![s.Action].flat().includes(request.action) || s.Principal.Service !== request.service) return false;
    return Object.entries(s.Condition ?? {}).every(([operator, keys]) => {
      expect(operator).toBe('StringEquals');
      return Object.entries(keys).every(([key, values]) => [values].flat().includes(context[key]));
    });
  });
}

function synthesizedTrust(serviceAccounts = ['trace-collector']): { statements: TrustStatement[]; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Identity', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'platform' });
  const role = new PodIdentityRole(stack, 'Role', { cluster, namespace: 'tracing', serviceAccounts, description: 'test role' });
  role.associate(stack, 'Association', serviceAccounts[0]);
  const template = Template.fromStack(stack);
  const roles = Object.values(template.findResources('AWS::IAM::Role'));
  expect(roles).toHaveLength(1);
  return { statements: [renderPolicyDocument(roles[0].Properties.AssumeRolePolicyDocument).Statement].flat() as unknown as TrustStatement[], template };
}

/** The trust policy the constructs had before PodIdentityRole (EKS's documented minimum). */
const OLD_TRUST: TrustStatement[] = [
  { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'pods.eks.amazonaws.com' } },
  { Effect: 'Allow', Action: 'sts:TagSession', Principal: { Service: 'pods.eks.amazonaws.com' } },
];

const OWN: PodIdentityRequest = {
  action: 'sts:AssumeRole', service: 'pods.eks.amazonaws.com', sourceAccount: ACCOUNT, clusterArn: CLUSTER_ARN, namespace: 'tracing', serviceAccount: 'trace-collector',
};

describe('PodIdentityRole', () => {
  // GIVEN a role for tracing/trace-collector of the cluster "platform"
  const { statements, template } = synthesizedTrust();

  test('trusts EKS Pod Identity only, with the two actions it needs, in one conditioned statement', () => {
    expect(statements).toEqual([{
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Condition: {
        StringEquals: {
          'aws:SourceAccount': ACCOUNT,
          'aws:RequestTag/eks-cluster-arn': CLUSTER_ARN,
          'aws:RequestTag/kubernetes-namespace': 'tracing',
          'aws:RequestTag/kubernetes-service-account': 'trace-collector',
        },
      },
    }]);
  });

  test.each<[string, Partial<PodIdentityRequest>]>([
    ['another cluster of the account', { clusterArn: `arn:<partition>:eks:eu-west-1:${ACCOUNT}:cluster/sandbox` }],
    ['another namespace of the cluster', { namespace: 'orders' }],
    ['another service account of the namespace', { serviceAccount: 'default' }],
    ['another account', { sourceAccount: '210987654321' }],
  ])('refuses a credential request for %s; the old trust policy admitted it', (_, change) => {
    // WHEN EKS Pod Identity asks for credentials on behalf of a pod elsewhere
    const request = { ...OWN, ...change };
    // THEN the role refuses, where the old, unconditioned trust policy would have admitted it
    expect(admits(statements, request)).toBe(false);
    expect(admits(statements, { ...request, action: 'sts:TagSession' })).toBe(false);
    expect(admits(OLD_TRUST, request)).toBe(true);
  });

  test('admits the request for its own service account (both actions)', () => {
    expect(admits(statements, OWN)).toBe(true);
    expect(admits(statements, { ...OWN, action: 'sts:TagSession' })).toBe(true);
  });

  test('a role for several service accounts lists each, and admits only them', () => {
    const several = synthesizedTrust(['metrics-agent', 'metrics-cluster']).statements;
    expect(several[0].Condition!.StringEquals['aws:RequestTag/kubernetes-service-account']).toEqual(['metrics-agent', 'metrics-cluster']);
    expect(admits(several, { ...OWN, serviceAccount: 'metrics-cluster' })).toBe(true);
    expect(admits(several, { ...OWN, serviceAccount: 'trace-collector' })).toBe(false);
  });

  test('associate() binds the role to its own service account in the cluster', () => {
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      ClusterName: 'platform', Namespace: 'tracing', ServiceAccount: 'trace-collector', RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Role'), 'Arn'] },
    });
  });

  test.each<[string, () => void, string]>([
    ['an association for a service account the role does not trust',
      () => {
        const stack = new Stack(new App(), 'S');
        const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'platform' });
        new PodIdentityRole(stack, 'Role', { cluster, namespace: 'tracing', serviceAccounts: ['trace-collector'], description: 'd' }).associate(stack, 'A', 'default');
      },
      'PodIdentityRole S/Role: associate() was given service account "default", which the role does not trust (it trusts ["trace-collector"]). Fix: list it in serviceAccounts.'],
    ['no service account',
      () => {
        const stack = new Stack(new App(), 'S');
        new PodIdentityRole(stack, 'Role', { cluster: eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'platform' }), namespace: 'tracing', serviceAccounts: [], description: 'd' });
      },
      'PodIdentityRole S/Role: serviceAccounts is empty: a role no service account may assume is useless. Fix: list the service accounts the role is for.'],
    ['a namespace that is no Kubernetes name',
      () => {
        const stack = new Stack(new App(), 'S');
        new PodIdentityRole(stack, 'Role', { cluster: eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'platform' }), namespace: 'Tracing_NS', serviceAccounts: ['trace-collector'], description: 'd' });
      },
      'PodIdentityRole S/Role: namespace is "Tracing_NS", not a Kubernetes namespace name. Fix: use lowercase letters, digits and "-" (e.g. "orders").'],
  ])('refuses %s at synth', (_, build, message) => {
    expect(build).toThrow(message);
  });
});
