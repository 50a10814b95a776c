import type { IConstruct } from 'constructs';

/**
 * THE registry of compliance acknowledgments: the only place a cdk-nag or cfn-guard finding
 * may be accepted. Fix the resource first; an entry here is for what cannot be fixed (a
 * handler CDK writes for us, a documented false positive). Each entry names the narrowest
 * construct it applies to and a reason a reviewer can check. Every entry must match at least
 * one finding in the full app (a test fails on stale entries), and the reasons are copied to
 * `cdk.out/validation-report.json` next to each suppressed finding.
 */
export interface ComplianceAcknowledgment {
  /** Namespaced rule ids, e.g. `AwsSolutions::AwsSolutions-IAM4[Policy::...]`. */
  readonly ids: readonly string[];
  /** Human description of the constructs this applies to, for reviewers. */
  readonly scope: string;
  /** Selects those constructs (the construct itself, not its stack). */
  readonly appliesTo: (construct: IConstruct) => boolean;
  /** Why this cannot be fixed, in terms a compliance reviewer can verify. */
  readonly reason: string;
}

/** Matches a construct whose path ends with the given id segments. */
export function pathEndsWith(...segments: string[]): (construct: IConstruct) => boolean {
  const suffix = '/' + segments.join('/');
  return (construct) => ('/' + construct.node.path).endsWith(suffix);
}

const PACKS_WITH_NO_INLINE_POLICY = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];
const PACKS_WITH_LAMBDA_RULES = ['HIPAA.Security', 'NIST.800.53.R5'];
const managedPolicy = (name: string) => `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
const KUBECTL_PROVIDER = 'the kubectl provider CDK generates for an aws-eks-v2 Cluster (Handler and Provider/framework-onEvent)';

export const ACKNOWLEDGMENTS: readonly ComplianceAcknowledgment[] = [
  // --- Network -------------------------------------------------------------------------------
  {
    ids: ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map((pack) => `${pack}::${pack}-VPCNoUnrestrictedRouteToIGW`),
    scope: 'the default route of each public "Ingress" subnet of ZeroTrustVpc',
    appliesTo: (c) => /\/Vpc\/IngressSubnet\d+\/DefaultRoute$/.test(c.node.path),
    reason:
      'Public subnets exist only for NAT gateways and load balancers, which need the 0.0.0.0/0 route to the internet gateway. ' +
      'No instance gets a public IP (MapPublicIpOnLaunch=false); workloads live in private subnets and data in isolated subnets without any internet route (asserted in test/constructs/network).',
  },
  {
    ids: ['cdk-validator-cfnguard::lambda_inside_vpc_check'],
    scope: 'the Custom::VpcRestrictDefaultSG provider Lambda that aws-cdk-lib adds for restrictDefaultSecurityGroup',
    appliesTo: (c) => c.node.path.endsWith('/Custom::VpcRestrictDefaultSGCustomResourceProvider'),
    reason:
      'CDK-internal handler: runs once per deployment to strip the rules of the default security group, calling only the EC2 API; its code and placement are not configurable. ' +
      'The alternative (leaving the default security group open) is worse.',
  },
  // --- Cluster -------------------------------------------------------------------------------
  {
    ids: ['CloudFormation-Validate::W9009'],
    scope: 'the AWS::EKS::Cluster resource of PlatformCluster',
    appliesTo: (c) => c.node.path.endsWith('/Platform/Cluster') || /\/Cluster\/Cluster$/.test(c.node.path),
    reason:
      'Warning only: aws-eks-v2 writes EncryptionConfig[].Resources = ["secrets"], which the CloudFormation schema flags as deprecated, but the EKS CreateCluster API still requires it to turn on envelope encryption of secrets with our KMS key (asserted in test/constructs/cluster).',
  },
  {
    ids: [managedPolicy('AmazonEKSClusterPolicy')],
    scope: 'the EKS control-plane role created by aws-eks-v2 Cluster',
    appliesTo: (c) => c.node.path.endsWith('/Cluster/Role'),
    reason: 'AWS requires AmazonEKSClusterPolicy on the cluster service role and maintains it as EKS evolves; it is assumable only by eks.amazonaws.com.',
  },
  {
    ids: [managedPolicy('AmazonEKSWorkerNodePolicy'), managedPolicy('AmazonEC2ContainerRegistryPullOnly')],
    scope: 'the worker node role of PlatformCluster',
    appliesTo: (c) => c.node.path.endsWith('/NodeRole'),
    reason:
      'The two AWS-maintained policies EKS documents as the minimum for nodes (join the cluster, pull images). Pods get no rights from the node: IMDSv2 hop limit 1 blocks them and they use Pod Identity.',
  },
  {
    ids: [managedPolicy('AmazonEKS_CNI_Policy')],
    scope: 'the VPC CNI role of PlatformCluster (bound to kube-system/aws-node by Pod Identity)',
    appliesTo: (c) => c.node.path.endsWith('/VpcCniRole'),
    reason: 'AWS-maintained policy for the VPC CNI to manage ENIs and IPs; given to the aws-node service account only, through Pod Identity, instead of to every node.',
  },
  {
    ids: [
      managedPolicy('service-role/AWSLambdaBasicExecutionRole'),
      managedPolicy('service-role/AWSLambdaVPCAccessExecutionRole'),
      managedPolicy('AmazonEC2ContainerRegistryReadOnly'),
      'AwsSolutions::AwsSolutions-IAM4[Policy::{"Fn::If":["PlatformClusterKubectlProviderHandlerHasEcrPublic93383F72",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::<PlatformClusterKubectlProviderHandler878759C4.Arn>:*]',
      'AwsSolutions::AwsSolutions-L1',
      ...PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-IAMNoInlinePolicy`),
      ...PACKS_WITH_LAMBDA_RULES.flatMap((pack) => [`${pack}::${pack}-LambdaConcurrency`, `${pack}::${pack}-LambdaDLQ`]),
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
    ],
    scope: KUBECTL_PROVIDER,
    appliesTo: (c) => c.node.path.endsWith('/Cluster/KubectlProvider'),
    reason:
      'CDK-internal custom-resource handler (Python runtime, roles and policies chosen by aws-cdk-lib): it applies manifests and Helm charts during deployments only, is invoked solely by CloudFormation ' +
      '(synchronous, so no DLQ and no concurrency cap apply), and runs inside the VPC private subnets (VpcConfig present; the cfn-guard check cannot resolve subnet ids imported from the Network stack with Fn::ImportValue). ' +
      'Its cluster rights come from an EKS access entry that CDK scopes to this role.',
  },
];
