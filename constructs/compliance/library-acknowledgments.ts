import { CfnCondition, CfnResource, CustomResourceProviderBase, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CfnReplicationGroup } from 'aws-cdk-lib/aws-elasticache';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnDBInstance } from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';
import { PlatformCluster } from '../cluster/platform-cluster';
import { DatabaseBootstrap } from '../data/database-bootstrap';
import { PostgresDatabase } from '../data/postgres-database';
import { RedisCache } from '../data/redis-cache';
import { AwsLoadBalancerController } from '../mesh/load-balancer-controller';
import { ZeroTrustVpc } from '../network/zero-trust-vpc';
import { childOf, enclosing, type ComplianceAcknowledgment } from './acknowledgment';

const PACKS_WITH_NO_INLINE_POLICY = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];
const PACKS_WITH_LAMBDA_RULES = ['HIPAA.Security', 'NIST.800.53.R5'];
const managedPolicy = (name: string) => `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
const KUBECTL_PROVIDER = 'the kubectl provider CDK generates for the aws-eks-v2 Cluster of a PlatformCluster (Handler and Provider/framework-onEvent)';

/** The kubectl provider aws-eks-v2 creates for the Cluster of a PlatformCluster (`<cluster>/KubectlProvider`). */
const kubectlProviderOfPlatformCluster = childOf(PlatformCluster, 'Cluster', 'KubectlProvider');

/**
 * The two AwsSolutions ids of the kubectl provider whose text embeds CloudFormation logical ids
 * (of its Handler function and of the Handler's HasEcrPublic condition), resolved from the
 * provider's own children, so they hold whatever the app calls its stack and cluster.
 */
function kubectlProviderLogicalIdFindings(provider: IConstruct): string[] {
  const handler = provider.node.tryFindChild('Handler');
  const handlerFunction = handler?.node.defaultChild;
  const hasEcrPublic = handler?.node.tryFindChild('HasEcrPublic');
  if (!handler || !CfnResource.isCfnResource(handlerFunction) || !(hasEcrPublic instanceof CfnCondition)) return [];
  const stack = Stack.of(provider);
  const functionId = stack.resolve(handlerFunction.logicalId) as string;
  const conditionId = stack.resolve(hasEcrPublic.logicalId) as string;
  return [
    `AwsSolutions::AwsSolutions-IAM4[Policy::{"Fn::If":["${conditionId}",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]`,
    `AwsSolutions::AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
  ];
}

/** The 0.0.0.0/0 route of a public ("Ingress") subnet of a ZeroTrustVpc. */
function isIngressDefaultRoute(construct: IConstruct): boolean {
  if (!(construct instanceof ec2.CfnRoute) || construct.node.id !== 'DefaultRoute') return false;
  const subnet = construct.node.scope;
  const owner = enclosing(ZeroTrustVpc, construct);
  return owner !== undefined && owner.vpc.publicSubnets.includes(subnet as ec2.ISubnet);
}

/**
 * The stack-wide provider aws-cdk-lib adds for `restrictDefaultSecurityGroup` (which every
 * ZeroTrustVpc turns on), in a stack that holds a ZeroTrustVpc.
 */
function isRestrictDefaultSgProviderOfZeroTrustVpc(construct: IConstruct): boolean {
  return construct instanceof CustomResourceProviderBase && construct.node.id === 'Custom::VpcRestrictDefaultSGCustomResourceProvider' &&
    Stack.isStack(construct.node.scope) && construct.node.scope.node.findAll().some((c) => c instanceof ZeroTrustVpc);
}

/**
 * The library's own acknowledgments, for findings on resources its constructs build (CDK-internal
 * handlers, AWS-managed policies AWS documents as required, documented false positives). Each
 * selects its constructs by construct type and role (e.g. the node role of any PlatformCluster),
 * never by an app's construct ids, so they hold in any composition. `applyComplianceGate`
 * attaches them; your own acknowledgments go in the registry you pass to it.
 */
export const LIBRARY_ACKNOWLEDGMENTS: readonly ComplianceAcknowledgment[] = [
  // --- Network -------------------------------------------------------------------------------
  {
    ids: ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map((pack) => `${pack}::${pack}-VPCNoUnrestrictedRouteToIGW`),
    scope: 'the default route of each public "Ingress" subnet of ZeroTrustVpc',
    appliesTo: isIngressDefaultRoute,
    reason:
      'Public subnets exist only for NAT gateways and load balancers, which need the 0.0.0.0/0 route to the internet gateway. ' +
      'No instance gets a public IP (MapPublicIpOnLaunch=false); workloads live in private subnets and data in isolated subnets without any internet route (asserted in test/constructs/network).',
  },
  {
    ids: ['cdk-validator-cfnguard::lambda_inside_vpc_check'],
    scope: 'the Custom::VpcRestrictDefaultSG provider Lambda that aws-cdk-lib adds for restrictDefaultSecurityGroup (in a stack with a ZeroTrustVpc)',
    appliesTo: isRestrictDefaultSgProviderOfZeroTrustVpc,
    reason:
      'CDK-internal handler: runs once per deployment to strip the rules of the default security group, calling only the EC2 API; its code and placement are not configurable. ' +
      'The alternative (leaving the default security group open) is worse.',
  },
  // --- Cluster -------------------------------------------------------------------------------
  {
    ids: ['CloudFormation-Validate::W9009'],
    scope: 'the AWS::EKS::Cluster resource of PlatformCluster',
    appliesTo: childOf(PlatformCluster, 'Cluster', 'Resource'),
    reason:
      'Warning only: aws-eks-v2 writes EncryptionConfig[].Resources = ["secrets"], which the CloudFormation schema flags as deprecated, but the EKS CreateCluster API still requires it to turn on envelope encryption of secrets with our KMS key (asserted in test/constructs/cluster).',
  },
  {
    ids: [managedPolicy('AmazonEKSClusterPolicy')],
    scope: 'the EKS control-plane role created by the aws-eks-v2 Cluster of PlatformCluster',
    appliesTo: childOf(PlatformCluster, 'Cluster', 'Role'),
    reason: 'AWS requires AmazonEKSClusterPolicy on the cluster service role and maintains it as EKS evolves; it is assumable only by eks.amazonaws.com.',
  },
  {
    ids: [managedPolicy('AmazonEKSWorkerNodePolicy'), managedPolicy('AmazonEC2ContainerRegistryPullOnly')],
    scope: 'the worker node role of PlatformCluster',
    appliesTo: childOf(PlatformCluster, 'NodeRole'),
    reason:
      'The two AWS-maintained policies EKS documents as the minimum for nodes (join the cluster, pull images). Pods get no rights from the node: IMDSv2 hop limit 1 blocks them and they use Pod Identity.',
  },
  {
    ids: [managedPolicy('AmazonEKS_CNI_Policy')],
    scope: 'the VPC CNI role of PlatformCluster (bound to kube-system/aws-node by Pod Identity)',
    appliesTo: childOf(PlatformCluster, 'VpcCniRole'),
    reason: 'AWS-maintained policy for the VPC CNI to manage ENIs and IPs; given to the aws-node service account only, through Pod Identity, instead of to every node.',
  },
  {
    ids: (provider) => [
      managedPolicy('service-role/AWSLambdaBasicExecutionRole'),
      managedPolicy('service-role/AWSLambdaVPCAccessExecutionRole'),
      managedPolicy('AmazonEC2ContainerRegistryReadOnly'),
      ...kubectlProviderLogicalIdFindings(provider),
      'AwsSolutions::AwsSolutions-L1',
      ...PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-IAMNoInlinePolicy`),
      ...PACKS_WITH_LAMBDA_RULES.flatMap((pack) => [`${pack}::${pack}-LambdaConcurrency`, `${pack}::${pack}-LambdaDLQ`]),
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
    ],
    scope: KUBECTL_PROVIDER,
    appliesTo: kubectlProviderOfPlatformCluster,
    reason:
      'CDK-internal custom-resource handler (Python runtime, roles and policies chosen by aws-cdk-lib): it applies manifests and Helm charts during deployments only, is invoked solely by CloudFormation ' +
      '(synchronous, so no DLQ and no concurrency cap apply), and runs inside the VPC private subnets (VpcConfig present; the cfn-guard check cannot resolve subnet ids imported from another stack with Fn::ImportValue). ' +
      'Its cluster rights come from an EKS access entry that CDK scopes to this role.',
  },
  // --- Data ----------------------------------------------------------------------------------
  {
    ids: ['AwsSolutions::AwsSolutions-AEC6'],
    scope: 'the replication group of a RedisCache, only while it authenticates through an RBAC user group with TLS required',
    appliesTo: (c) =>
      c instanceof CfnReplicationGroup && enclosing(RedisCache, c) !== undefined &&
      Array.isArray(c.userGroupIds) && c.userGroupIds.length > 0 && c.transitEncryptionEnabled === true && c.transitEncryptionMode === 'required',
    reason:
      'Documented false positive: AEC6 only recognises the legacy shared AUTH token, which ElastiCache does not allow together with RBAC user groups. ' +
      'Every client authenticates through the RBAC user group instead: its "default" user is disabled ("off") and the only enabled user authenticates with IAM (short-lived SigV4 tokens, granted per principal by RedisCache.grantConnect), over TLS that is required (asserted in test/constructs/data/redis-cache.test.ts).',
  },
  {
    ids: ['HIPAA.Security', 'NIST.800.53.R5'].map((pack) => `${pack}::${pack}-RDSInBackupPlan`),
    scope: 'the Aurora DB instances (writer, readers) of a PostgresDatabase whose cluster is selected in its AWS Backup plan',
    appliesTo: (c) => c instanceof CfnDBInstance && enclosing(PostgresDatabase, c)?.backupPlan !== undefined,
    reason:
      'False positive for Aurora: AWS Backup protects Aurora at the cluster level (instances have no storage of their own; the shared cluster volume is backed up), while the rule only looks for DB instance ids in backup selections. ' +
      'The DB cluster is selected in the PostgresDatabase backup plan (daily and monthly, vault encrypted with the customer key) on top of 7-35 days of automated backups with point-in-time recovery (asserted in test/constructs/data/postgres-database.test.ts).',
  },
  {
    ids: [managedPolicy('service-role/AmazonRDSEnhancedMonitoringRole')],
    scope: 'the enhanced-monitoring role of a PostgresDatabase',
    appliesTo: childOf(PostgresDatabase, 'MonitoringRole'),
    reason: 'The AWS-maintained policy RDS documents for enhanced monitoring; the role is assumable only by monitoring.rds.amazonaws.com, which uses it to write OS metrics to the RDSOSMetrics log group.',
  },
  {
    ids: [managedPolicy('service-role/AWSBackupServiceRolePolicyForBackup')],
    scope: 'the backup-selection role of the AWS Backup plan of a PostgresDatabase',
    appliesTo: childOf(PostgresDatabase, 'BackupPlan', 'Cluster', 'Role'),
    reason: 'The AWS-maintained policy AWS Backup documents for its service role, assumable only by backup.amazonaws.com; AWS keeps it current with the resource types Backup supports.',
  },
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    scope: 'the customer managed policy of the DatabaseBootstrap handler',
    appliesTo: childOf(DatabaseBootstrap, 'HandlerPolicy'),
    reason:
      'Only statement ManageVpcNetworkInterfaces uses "*": the EC2 network-interface actions Lambda needs to attach a function to a VPC (ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces, ec2:DescribeSubnets, ...) do not support resource-level permissions. ' +
      'Every other statement names its one log group, the master secret, or its key (decrypt only via Secrets Manager).',
  },
  {
    ids: [
      ...PACKS_WITH_LAMBDA_RULES.map((pack) => `${pack}::${pack}-LambdaDLQ`),
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
    ],
    scope: 'the DatabaseBootstrap handler Lambda',
    appliesTo: childOf(DatabaseBootstrap, 'Handler'),
    reason:
      'It is invoked only synchronously, by the custom-resource provider framework during deployments: a dead-letter queue receives failed asynchronous invocations only, so it would stay empty; a failure fails the deployment and is logged to its encrypted log group. ' +
      'It runs inside the VPC isolated subnets with its own security group (VpcConfig present; reserved concurrency 1); the cfn-guard check cannot resolve subnet ids imported from another stack with Fn::ImportValue.',
  },
  {
    ids: [
      ...PACKS_WITH_LAMBDA_RULES.flatMap((pack) => [`${pack}::${pack}-LambdaDLQ`, `${pack}::${pack}-LambdaConcurrency`]),
      ...PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-LambdaInsideVPC`),
      'cdk-validator-cfnguard::lambda_inside_vpc_check',
    ],
    scope: 'the CDK custom-resource provider framework Lambda (framework-onEvent) of DatabaseBootstrap',
    appliesTo: childOf(DatabaseBootstrap, 'Provider', 'framework-onEvent'),
    reason:
      'CDK-internal handler (code and runtime chosen by aws-cdk-lib) that only relays CloudFormation events to the bootstrap handler, synchronously, and posts the result to the pre-signed CloudFormation response URL: no DLQ or concurrency cap applies to that. ' +
      'It must reach the Lambda API and S3, which the isolated data subnets cannot (no route out), so it runs outside the VPC; it handles no data, and its role (one customer managed policy) may only write its own encrypted log group and invoke the one bootstrap handler.',
  },
  {
    // Only while the loaded aws-cdk-lib knows a newer Node.js runtime than the function's, which is
    // exactly when AwsSolutions-L1 reports it: no acknowledgment stands without a finding.
    ids: (c) => (functionRuntime(c) !== undefined && functionRuntime(c) !== newestNodeRuntime() ? ['AwsSolutions::AwsSolutions-L1'] : []),
    scope: 'the DatabaseBootstrap handler Lambda and its CDK provider framework Lambda (framework-onEvent), when the app\'s aws-cdk-lib knows a Node.js runtime newer than theirs',
    appliesTo: (c) => childOf(DatabaseBootstrap, 'Handler')(c) || childOf(DatabaseBootstrap, 'Provider', 'framework-onEvent')(c),
    reason:
      'The bootstrap handler runs Node.js 24 LTS (maintained until 2028-04-30), the runtime its pre-bundled code is built (esbuild target node24) and tested for (docs/adr/0011); the provider framework Lambda runs the runtime aws-cdk-lib chooses for it. ' +
      'A newer aws-cdk-lib in the consumer\'s app may list a newer Node.js runtime, which the rule then asks for; both functions run only during deployments, invoked by CloudFormation.',
  },
  // --- Mesh ----------------------------------------------------------------------------------
  {
    ids: [
      '*',
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/*',
      ...['targetgroup/*/*', 'loadbalancer/net/*/*', 'loadbalancer/app/*/*', 'listener/net/*/*/*', 'listener/app/*/*/*', 'listener-rule/net/*/*/*', 'listener-rule/app/*/*/*']
        .map((resource) => `arn:<AWS::Partition>:elasticloadbalancing:<AWS::Region>:<AWS::AccountId>:${resource}`),
    ].map((resource) => `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`),
    scope: 'the customer managed policy of the AWS Load Balancer Controller (bound to kube-system/aws-load-balancer-controller by Pod Identity)',
    appliesTo: childOf(AwsLoadBalancerController, 'Policy'),
    reason:
      'The upstream least-privilege policy of the AWS Load Balancer Controller v3.5.0 (kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json, compared statement by statement in test/constructs/mesh/load-balancer-controller-policy.test.ts), narrowed to this account and region. ' +
      'Its "*" resources are (a) Describe/Get actions, which support no resource-level permissions; (b) creating load balancers, target groups and security groups, whose ids do not exist before creation (load balancers and target groups only with the elbv2.k8s.aws/cluster request tag); ' +
      '(c) modifying and deleting them, only when they carry the elbv2.k8s.aws/cluster tag; and (d), as upstream publishes it, listener/rule and security-group ingress changes, which the controller needs to wire its load balancers to the node and pod security groups. ' +
      'The ARN patterns name only load balancers, target groups, listeners, rules and security groups. The role is assumable only by pods.eks.amazonaws.com, bound to that one service account (constructs/mesh/load-balancer-controller-policy.ts, asserted in test/constructs/mesh).',
  },
];

/** The runtime of a Lambda function construct (or its CfnFunction), when it is a literal. */
function functionRuntime(construct: IConstruct): string | undefined {
  const cfn = construct instanceof lambda.CfnFunction ? construct : construct.node.defaultChild;
  return cfn instanceof lambda.CfnFunction && typeof cfn.runtime === 'string' ? cfn.runtime : undefined;
}

/** The newest Node.js Lambda runtime the loaded aws-cdk-lib knows, compared as cdk-nag's AwsSolutions-L1 does. */
function newestNodeRuntime(): string {
  const versions = lambda.Runtime.ALL.map((runtime) => runtime.name).filter((name) => /^nodejs\d/.test(name));
  return versions.sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })).at(-1)!;
}
