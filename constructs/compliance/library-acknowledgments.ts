import { CfnCondition, CfnResource, CustomResourceProviderBase, Stack, Token } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { CfnReplicationGroup } from 'aws-cdk-lib/aws-elasticache';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnDBInstance } from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';
import { PlatformCluster } from '../cluster/platform-cluster';
import { DatabaseBootstrap } from '../data/database-bootstrap';
import { PostgresDatabase } from '../data/postgres-database';
import { RedisCache } from '../data/redis-cache';
import { AwsLoadBalancerController } from '../mesh/load-balancer-controller';
import { S3PrefixList } from '../network/s3-prefix-list';
import { ZeroTrustVpc } from '../network/zero-trust-vpc';
import { ServiceMonitoring } from '../observability/service-monitoring';
import { ChartMirror } from '../registry/chart-mirror';
import { TraceCollector } from '../observability/trace-collector';
import { enclosing, resourceOf, type ComplianceAcknowledgment } from './acknowledgment';

const PACKS_WITH_NO_INLINE_POLICY = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];
const PACKS_WITH_LAMBDA_RULES = ['HIPAA.Security', 'NIST.800.53.R5'];
const managedPolicy = (name: string) => `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;
const noInlinePolicy = PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-IAMNoInlinePolicy`);
const lambdaDlq = PACKS_WITH_LAMBDA_RULES.map((pack) => `${pack}::${pack}-LambdaDLQ`);
const lambdaConcurrency = PACKS_WITH_LAMBDA_RULES.map((pack) => `${pack}::${pack}-LambdaConcurrency`);
const LAMBDA_INSIDE_VPC_GUARD = 'cdk-validator-cfnguard::lambda_inside_vpc_check';
const PACKS_WITH_LAMBDA_INSIDE_VPC_RULE = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];

/** The library's owner of its acknowledgments. */
const OWNER = 'platform-team';
/** Findings on handlers and roles aws-cdk-lib writes (they change only with aws-cdk-lib): reviewed yearly. */
const CDK_INTERNAL_EXPIRES = '2027-12-06';
/** Findings on what the library itself configures: reviewed every six months. */
const LIBRARY_EXPIRES = '2027-06-06';

const NETWORK_TEST = 'test/constructs/network/zero-trust-vpc.test.ts';
const S3_PREFIX_LIST_TEST = 'test/constructs/network/s3-prefix-list.test.ts';
const CLUSTER_TEST = 'test/constructs/cluster/platform-cluster.test.ts';
const POSTGRES_TEST = 'test/constructs/data/postgres-database.test.ts';
const BOOTSTRAP_TEST = 'test/constructs/data/database-bootstrap.test.ts';
const REGISTRY_TEST = 'test/constructs/registry/private-registry.test.ts';

/** A child of `construct` by id (CDK's own ids: they are the logical-id contract of what it builds). */
const child = (construct: IConstruct | undefined, id: string): IConstruct | undefined => construct?.node.tryFindChild(id);
/** The default (inline) policy CDK adds to a role, if any. */
const defaultPolicyOf = (role: IConstruct | undefined): IConstruct | undefined => child(role, 'DefaultPolicy');
/** The execution role of a Lambda function construct. */
const roleOf = (fn: IConstruct | undefined): IConstruct | undefined => (fn instanceof lambda.Function ? fn.role : undefined);

/** The kubectl provider aws-eks-v2 creates for the Cluster of a PlatformCluster. */
const kubectlProviderOf = (cluster: PlatformCluster): IConstruct | undefined =>
  (cluster.kubectlProvider instanceof eks.KubectlProvider ? cluster.kubectlProvider : undefined);
/** Its kubectl/Helm handler function. */
const kubectlHandlerOf = (cluster: PlatformCluster) => child(kubectlProviderOf(cluster), 'Handler');
/** Its CDK provider framework function (framework-onEvent), which CloudFormation invokes. */
const kubectlFrameworkOf = (cluster: PlatformCluster) => child(child(kubectlProviderOf(cluster), 'Provider'), 'framework-onEvent');
/** The CDK provider framework function (framework-onEvent) of a DatabaseBootstrap. */
const bootstrapFrameworkOf = (bootstrap: DatabaseBootstrap) => child(child(bootstrap, 'Provider'), 'framework-onEvent');

/** The logical id of a CfnElement, resolved in its stack. */
const logicalIdOf = (element: CfnResource | CfnCondition) => Stack.of(element).resolve(element.logicalId) as string;

/**
 * The AwsSolutions-IAM4 id of the AWS managed policy that aws-eks-v2 attaches to its kubectl
 * handler role only in the `aws` partition: its text embeds the logical id of the handler's
 * HasEcrPublic condition, resolved from the handler, so it holds whatever the app calls its stack
 * and cluster.
 */
function kubectlHandlerRoleConditionalPolicyIds(role: IConstruct): string[] {
  const owner = enclosing(PlatformCluster, role);
  const hasEcrPublic = owner && child(kubectlHandlerOf(owner), 'HasEcrPublic');
  if (!(hasEcrPublic instanceof CfnCondition)) return [];
  return [`AwsSolutions::AwsSolutions-IAM4[Policy::{"Fn::If":["${logicalIdOf(hasEcrPublic)}",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]`];
}

/** The AwsSolutions-IAM5 id of `lambda:InvokeFunction` on the versions and aliases (`<arn>:*`) of the kubectl handler. */
function kubectlHandlerVersionsIds(policy: IConstruct): string[] {
  const owner = enclosing(PlatformCluster, policy);
  const handler = owner && kubectlHandlerOf(owner)?.node.defaultChild;
  return CfnResource.isCfnResource(handler) ? [`AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalIdOf(handler)}.Arn>:*]`] : [];
}

/** The 0.0.0.0/0 route to the internet gateway of a public ("Ingress") subnet of a ZeroTrustVpc. */
function isIngressDefaultRoute(construct: IConstruct): boolean {
  if (!(construct instanceof ec2.CfnRoute) || construct.destinationCidrBlock !== '0.0.0.0/0' || construct.gatewayId === undefined) return false;
  const owner = enclosing(ZeroTrustVpc, construct);
  return owner !== undefined && owner.vpc.publicSubnets.includes(construct.node.scope as ec2.ISubnet);
}

/**
 * The Lambda function of the stack-wide provider aws-cdk-lib adds for
 * `restrictDefaultSecurityGroup` (which every ZeroTrustVpc turns on), in a stack that holds a
 * ZeroTrustVpc.
 */
function isRestrictDefaultSgHandlerOfZeroTrustVpc(construct: IConstruct): boolean {
  const provider = construct.node.scope;
  return CfnResource.isCfnResource(construct) && construct.cfnResourceType === 'AWS::Lambda::Function' &&
    provider instanceof CustomResourceProviderBase && provider.node.id === 'Custom::VpcRestrictDefaultSGCustomResourceProvider' &&
    Stack.isStack(provider.node.scope) && provider.node.scope.node.findAll().some((c) => c instanceof ZeroTrustVpc);
}

/** The function aws-cdk-lib's AwsCustomResource runs as, when it runs under an S3PrefixList's role (the S3PrefixList made it). */
function isS3PrefixListFunction(construct: IConstruct): boolean {
  const fn = construct.node.scope;
  if (!(construct instanceof lambda.CfnFunction) || !(fn instanceof lambda.Function)) return false;
  return Stack.of(fn).node.findAll().some((c) => c instanceof S3PrefixList && c.role === fn.role);
}

/**
 * The library's own acknowledgments, for findings on resources its constructs build (CDK-internal
 * handlers, AWS-managed policies AWS documents as required, documented false positives). Each
 * selects single CloudFormation resources by the construct type that builds them and their role
 * in it (e.g. the node role of any PlatformCluster), never by an app's construct ids, so they hold
 * in any composition; each lists only the rule ids that fire on those resources, is owned by
 * `platform-team` and expires (CDK-internal handlers after a year, the rest after six months).
 * `applyComplianceGate` attaches them; your own acknowledgments go in the registry you pass to it.
 */
export const LIBRARY_ACKNOWLEDGMENTS: readonly ComplianceAcknowledgment[] = [
  // --- Network -------------------------------------------------------------------------------
  {
    ids: ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map((pack) => `${pack}::${pack}-VPCNoUnrestrictedRouteToIGW`),
    scope: 'the 0.0.0.0/0 route to the internet gateway of each public "Ingress" subnet of ZeroTrustVpc',
    appliesTo: isIngressDefaultRoute,
    reason:
      'Public subnets exist only for NAT gateways and internet-facing load balancers, which need the 0.0.0.0/0 route to the internet gateway.',
    compensatingControl:
      'No instance in a public subnet gets a public IP (MapPublicIpOnLaunch=false); only the public subnets route to the internet gateway; workloads live in private subnets (egress through NAT) and data in isolated subnets with no route out.',
    verifiedBy: NETWORK_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: ['CloudFormation-Validate::W3010'],
    scope: 'the subnets of a ZeroTrustVpc built with explicit availabilityZones (literal zone names)',
    appliesTo: (c) => c instanceof ec2.CfnSubnet && typeof c.availabilityZone === 'string' && !Token.isUnresolved(c.availabilityZone) && enclosing(ZeroTrustVpc, c) !== undefined,
    reason:
      'cfn-lint W3010 ("avoid hardcoding availability zones") flags the literal zone names, which are the point: the environment names its zones (availabilityZones) so that synth looks nothing up. ' +
      'aws-cdk-lib acknowledges the same warning itself when the zones come from a context lookup.',
    compensatingControl:
      'Only subnets whose zone is a literal are covered; the zones come from the availabilityZones prop alone (2 to 4, checked at synth), and a zone that is not in the stack\'s region fails the subnet\'s creation instead of landing elsewhere.',
    verifiedBy: NETWORK_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [LAMBDA_INSIDE_VPC_GUARD],
    scope: 'the Lambda function of the Custom::VpcRestrictDefaultSG provider that aws-cdk-lib adds for restrictDefaultSecurityGroup (in a stack with a ZeroTrustVpc)',
    appliesTo: isRestrictDefaultSgHandlerOfZeroTrustVpc,
    reason:
      'CDK-internal handler (aws-cdk-lib CustomResourceProvider): it runs during deployments to remove the rules of the VPC default security group, calling only the EC2 API; CustomResourceProvider takes no VPC, so its placement is not configurable. ' +
      'The alternative, leaving the default security group open, is worse.',
    compensatingControl:
      'Its role may only authorize and revoke rules of the one default security group of the VPC (no other EC2 action or resource); it handles no data.',
    verifiedBy: NETWORK_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  {
    ids: [...lambdaDlq, ...['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map((pack) => `${pack}::${pack}-LambdaInsideVPC`), LAMBDA_INSIDE_VPC_GUARD],
    scope: 'the function of aws-cdk-lib\'s AwsCustomResource when it runs under the role of an S3PrefixList (the lookup of the S3 prefix list id)',
    appliesTo: isS3PrefixListFunction,
    reason:
      'It reads the id of the AWS-managed S3 prefix list at deploy time (no synth-time lookup; CloudFormation has no attribute for it) so that security groups can name S3 instead of 0.0.0.0/0. ' +
      'It cannot run in the VPC: it answers CloudFormation on a pre-signed S3 URL, and a function in the VPC could reach S3 only through the egress rule that needs the id it is looking up. ' +
      'CloudFormation invokes it asynchronously; a failed lookup fails the stack operation, so a dead-letter queue would hold nothing anyone acts on.',
    compensatingControl:
      'Its role may only call ec2:DescribeManagedPrefixLists (read-only) and write its own KMS-encrypted log group; it handles no data, runs only during deployments, and its concurrency is reserved at 1.',
    verifiedBy: S3_PREFIX_LIST_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    scope: 'the customer managed policy of an S3PrefixList (ec2:DescribeManagedPrefixLists)',
    appliesTo: resourceOf(S3PrefixList, (list) => list.node.tryFindChild('Policy')),
    reason: 'ec2:DescribeManagedPrefixLists, like every EC2 Describe action, supports no resource-level permissions: IAM accepts only "*".',
    compensatingControl: 'The statement holds that one read-only action; the policy\'s other statement names the function\'s own log group.',
    verifiedBy: S3_PREFIX_LIST_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  // --- Cluster -------------------------------------------------------------------------------
  {
    ids: ['CloudFormation-Validate::W9009'],
    scope: 'the AWS::EKS::Cluster resource of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, (cluster) => cluster.cluster),
    reason:
      'Warning only: aws-eks-v2 writes EncryptionConfig[].Resources = ["secrets"], which the CloudFormation schema flags as deprecated, but the EKS CreateCluster API still requires it to turn on envelope encryption of secrets.',
    compensatingControl: 'Secrets are envelope-encrypted with the PlatformCluster customer managed key, which rotates.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [managedPolicy('AmazonEKSClusterPolicy'), managedPolicy('AmazonEKSVPCResourceController')],
    scope: 'the EKS control-plane role created by the aws-eks-v2 Cluster of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, (cluster) => cluster.cluster.role),
    reason:
      'AWS requires AmazonEKSClusterPolicy on the cluster service role, and AmazonEKSVPCResourceController on it for security groups for pods ' +
      '(the VPC resource controller in the control plane attaches trunk and branch network interfaces with it, ADR 0019); AWS maintains both as EKS evolves.',
    compensatingControl: 'The role is assumable only by eks.amazonaws.com and holds only these two AWS managed policies, no inline policy.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [managedPolicy('AmazonEKSWorkerNodePolicy'), managedPolicy('AmazonEC2ContainerRegistryPullOnly')],
    scope: 'the worker node role of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, (cluster) => cluster.nodeRole),
    reason: 'The two AWS-maintained policies EKS documents as the minimum for nodes: join the cluster, pull images.',
    compensatingControl:
      'Pods get no rights from the node: IMDSv2 with a hop limit of 1 keeps them from the node credentials, and they use Pod Identity; the node role holds no CNI rights and no inline policy.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [managedPolicy('AmazonEKS_CNI_Policy')],
    scope: 'the VPC CNI role of PlatformCluster (bound to kube-system/aws-node by Pod Identity)',
    appliesTo: resourceOf(PlatformCluster, (cluster) => child(cluster, 'VpcCniRole')),
    reason: 'The AWS-maintained policy the VPC CNI (aws-node) needs to attach network interfaces and assign pod IP addresses; AWS keeps it current with the CNI.',
    compensatingControl: 'Given to the aws-node service account only, through Pod Identity (the role trusts pods.eks.amazonaws.com), instead of to every node.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  // The kubectl provider aws-eks-v2 creates for the Cluster of a PlatformCluster: one entry per resource.
  {
    ids: ['AwsSolutions::AwsSolutions-L1', ...lambdaConcurrency, ...lambdaDlq, LAMBDA_INSIDE_VPC_GUARD],
    scope: 'the kubectl handler function of the aws-eks-v2 kubectl provider of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, kubectlHandlerOf),
    reason:
      'CDK-internal handler: aws-eks-v2 chooses its Python runtime and sets no dead-letter queue or reserved concurrency, and KubectlProvider exposes neither. ' +
      'It is invoked only synchronously (RequestResponse), by the kubectl provider framework function, so a dead-letter queue (for failed asynchronous invocations) would stay empty; a concurrency cap would throttle the manifests and charts CloudFormation applies in parallel and fail the deployment. ' +
      'It runs in the VPC (VpcConfig with the private subnets and its own security group); the cfn-guard check cannot resolve subnet ids imported from another stack (Fn::ImportValue).',
    compensatingControl:
      'It runs in the private workload subnets with the kubectl security group (HTTPS to the API server, the VPC\'s interface endpoints and S3 only; no rule to the internet), is invoked only by the provider framework during deployments, and its Kubernetes rights come from the one access entry aws-eks-v2 creates for its role.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  {
    ids: (role) => [
      managedPolicy('service-role/AWSLambdaBasicExecutionRole'),
      managedPolicy('service-role/AWSLambdaVPCAccessExecutionRole'),
      managedPolicy('AmazonEC2ContainerRegistryReadOnly'),
      ...kubectlHandlerRoleConditionalPolicyIds(role),
    ],
    scope: 'the execution role of the kubectl handler of the aws-eks-v2 kubectl provider of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, (cluster) => roleOf(kubectlHandlerOf(cluster))),
    reason:
      'aws-eks-v2 creates this role and attaches the AWS managed policies for logs (AWSLambdaBasicExecutionRole), VPC ENIs (AWSLambdaVPCAccessExecutionRole) and pulling charts from ECR (AmazonEC2ContainerRegistryReadOnly, and AmazonElasticContainerRegistryPublicReadOnly in the aws partition). ' +
      'Replacing it (kubectlProviderOptions.role) would mean keeping customer managed copies of what a CDK-internal handler needs in step with aws-cdk-lib by hand; not done.',
    compensatingControl:
      'The role is assumable only by lambda.amazonaws.com and used only by the kubectl handler; the managed policies are read-only (ECR) or limited to logs and ENIs; its cluster-admin rights come from one EKS access entry for this role only.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  {
    ids: noInlinePolicy,
    scope: 'the default (inline) policy of the kubectl handler role of the aws-eks-v2 kubectl provider of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, (cluster) => defaultPolicyOf(roleOf(kubectlHandlerOf(cluster)))),
    reason: 'aws-eks-v2 grants its handler eks:DescribeCluster through the role\'s default inline policy; the role is CDK\'s (see the role\'s entry), so the grant cannot be moved to a customer managed policy.',
    compensatingControl: 'Its only statement allows eks:DescribeCluster on this one cluster.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  {
    ids: [...lambdaConcurrency, ...lambdaDlq, LAMBDA_INSIDE_VPC_GUARD],
    scope: 'the CDK provider framework function (framework-onEvent) of the aws-eks-v2 kubectl provider of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, kubectlFrameworkOf),
    reason:
      'CDK-internal function (aws-cdk-lib custom-resources Provider): CloudFormation invokes it asynchronously for every manifest and chart event; KubectlProvider exposes no dead-letter queue or concurrency setting for it. ' +
      'It catches every failure of the kubectl handler and reports it to CloudFormation as FAILED, failing the deployment, so a dead-letter queue would only hold events whose answer could not be posted at all, which CloudFormation fails when the custom resource times out. ' +
      'A concurrency cap would queue the manifests and charts CloudFormation deploys in parallel behind each other (each waits for its Helm release) towards that timeout. ' +
      'It runs in the VPC (VpcConfig with the private subnets and the kubectl security group); the cfn-guard check cannot resolve subnet ids imported from another stack (Fn::ImportValue).',
    compensatingControl:
      'It runs in the private workload subnets with the kubectl security group (HTTPS to the API server, the VPC\'s interface endpoints and S3 only; no rule to the internet); its role may only invoke the kubectl handler and write logs; it handles no data beyond the CloudFormation event.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  {
    ids: [managedPolicy('service-role/AWSLambdaBasicExecutionRole'), managedPolicy('service-role/AWSLambdaVPCAccessExecutionRole')],
    scope: 'the execution role of the CDK provider framework function of the aws-eks-v2 kubectl provider of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, (cluster) => roleOf(kubectlFrameworkOf(cluster))),
    reason:
      'aws-cdk-lib creates this role for the provider framework function and attaches the AWS managed policies for logs and for VPC ENIs; KubectlProvider passes no role for it.',
    compensatingControl: 'The role is assumable only by lambda.amazonaws.com and used only by the framework function; beyond logs and ENIs it may only invoke the kubectl handler.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  {
    ids: (policy) => [...noInlinePolicy, ...kubectlHandlerVersionsIds(policy)],
    scope: 'the default (inline) policy of the provider framework role of the aws-eks-v2 kubectl provider of PlatformCluster',
    appliesTo: resourceOf(PlatformCluster, (cluster) => defaultPolicyOf(roleOf(kubectlFrameworkOf(cluster)))),
    reason:
      'aws-cdk-lib grants the framework function lambda:InvokeFunction on the kubectl handler through the role\'s default inline policy (Function.grantInvoke), which names the function and its versions and aliases (<handler ARN>:*); the role is CDK\'s.',
    compensatingControl: 'Its statements allow only lambda:InvokeFunction and lambda:GetFunction on the one kubectl handler function.',
    verifiedBy: CLUSTER_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  // --- Data ----------------------------------------------------------------------------------
  {
    ids: ['AwsSolutions::AwsSolutions-AEC6'],
    scope: 'the replication group of a RedisCache, only while it authenticates through an RBAC user group with TLS required',
    appliesTo: (c) =>
      c instanceof CfnReplicationGroup && enclosing(RedisCache, c)?.node.defaultChild === c &&
      Array.isArray(c.userGroupIds) && c.userGroupIds.length > 0 && c.transitEncryptionEnabled === true && c.transitEncryptionMode === 'required',
    reason:
      'Documented false positive: AEC6 only recognises the legacy shared AUTH token, which ElastiCache does not allow together with RBAC user groups.',
    compensatingControl:
      'Every client authenticates through the RBAC user group: its "default" user is disabled ("off") and the only enabled user authenticates with IAM (short-lived SigV4 tokens, granted per principal by RedisCache.grantConnect), over TLS that is required.',
    verifiedBy: 'test/constructs/data/redis-cache.test.ts',
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: ['HIPAA.Security', 'NIST.800.53.R5'].map((pack) => `${pack}::${pack}-RDSInBackupPlan`),
    scope: 'the Aurora DB instances (writer, readers) of a PostgresDatabase whose cluster is selected in its AWS Backup plan',
    appliesTo: (c) => c instanceof CfnDBInstance && enclosing(PostgresDatabase, c)?.backupPlan !== undefined,
    reason:
      'False positive for Aurora: AWS Backup protects Aurora at the cluster level (instances have no storage of their own; the shared cluster volume is backed up), while the rule only looks for DB instance ids in backup selections.',
    compensatingControl:
      'The DB cluster is selected in the PostgresDatabase backup plan (daily and monthly, vault encrypted with the customer key), on top of 7-35 days of automated backups with point-in-time recovery.',
    verifiedBy: POSTGRES_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [managedPolicy('service-role/AmazonRDSEnhancedMonitoringRole')],
    scope: 'the enhanced-monitoring role of a PostgresDatabase',
    appliesTo: resourceOf(PostgresDatabase, (database) => child(database, 'MonitoringRole')),
    reason: 'The AWS-maintained policy RDS documents for enhanced monitoring, which RDS uses to write OS metrics to the RDSOSMetrics log group.',
    compensatingControl: 'The role is assumable only by monitoring.rds.amazonaws.com and holds only that policy.',
    verifiedBy: POSTGRES_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [managedPolicy('service-role/AWSBackupServiceRolePolicyForBackup')],
    scope: 'the backup-selection role of the AWS Backup plan of a PostgresDatabase',
    appliesTo: resourceOf(PostgresDatabase, (database) => {
      const selection = child(database.backupPlan, 'Cluster');
      return selection instanceof backup.BackupSelection ? child(selection, 'Role') : undefined;
    }),
    reason: 'The AWS-maintained policy AWS Backup documents for its service role; AWS keeps it current with the resource types Backup supports.',
    compensatingControl: 'The role is assumable only by backup.amazonaws.com and holds only that policy.',
    verifiedBy: POSTGRES_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    scope: 'the customer managed policies of the DatabaseBootstrap handler and of its provider framework function',
    appliesTo: (c) => resourceOf(DatabaseBootstrap, (b) => child(b, 'HandlerPolicy'))(c) || resourceOf(DatabaseBootstrap, (b) => child(b, 'ProviderPolicy'))(c),
    reason:
      'Only statement ManageVpcNetworkInterfaces uses "*": the EC2 network-interface actions Lambda needs to attach a function to a VPC (ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces, ec2:DescribeSubnets, ...) do not support resource-level permissions.',
    compensatingControl:
      'Every other statement names one resource: the handler\'s policy its log group, the master secret and its key (decrypt only via Secrets Manager); the provider\'s policy its log group and the one bootstrap handler function.',
    verifiedBy: BOOTSTRAP_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [...lambdaDlq, LAMBDA_INSIDE_VPC_GUARD],
    scope: 'the DatabaseBootstrap handler Lambda',
    appliesTo: resourceOf(DatabaseBootstrap, (bootstrap) => bootstrap.handler),
    reason:
      'It is invoked only synchronously (RequestResponse), by the CDK provider framework function during deployments: a dead-letter queue receives failed asynchronous invocations only, so it would stay empty; the framework reports a failure to CloudFormation, which fails the deployment. ' +
      'It runs in the VPC (VpcConfig with the isolated data subnets and its own security group); the cfn-guard check cannot resolve subnet ids imported from another stack (Fn::ImportValue).',
    compensatingControl:
      'Reserved concurrency 1; it runs in the isolated data subnets with a security group that allows only HTTPS to the VPC endpoints and Postgres to the database; its log group is encrypted.',
    verifiedBy: BOOTSTRAP_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [...lambdaDlq, LAMBDA_INSIDE_VPC_GUARD],
    scope: 'the CDK provider framework function (framework-onEvent) of DatabaseBootstrap',
    appliesTo: resourceOf(DatabaseBootstrap, bootstrapFrameworkOf),
    reason:
      'CDK-internal function (aws-cdk-lib custom-resources Provider, which exposes no dead-letter queue): CloudFormation invokes it asynchronously; it catches every failure of the bootstrap handler and reports it to CloudFormation as FAILED, failing the deployment. ' +
      'A dead-letter queue would only hold an event whose answer could not be posted at all, which CloudFormation fails after the custom resource\'s 10-minute service timeout. ' +
      'It runs in the VPC (VpcConfig with the isolated data subnets and its own security group); the cfn-guard check cannot resolve subnet ids imported from another stack (Fn::ImportValue).',
    compensatingControl:
      'Reserved concurrency 1; it runs in the isolated data subnets (routes: the VPC and the S3 gateway endpoint only) with a security group that allows only HTTPS out; its role may only write its log group, manage its ENIs and invoke the one bootstrap handler; ServiceTimeout 10 minutes.',
    verifiedBy: BOOTSTRAP_TEST,
    owner: OWNER,
    expires: CDK_INTERNAL_EXPIRES,
  },
  {
    // Only while the loaded aws-cdk-lib knows a newer Node.js runtime than the function's, which is
    // exactly when AwsSolutions-L1 reports it: no acknowledgment stands without a finding.
    ids: (c) => (functionRuntime(c) !== undefined && functionRuntime(c) !== newestNodeRuntime() ? ['AwsSolutions::AwsSolutions-L1'] : []),
    scope: 'the DatabaseBootstrap handler Lambda, its CDK provider framework Lambda (framework-onEvent), the framework Lambda of PlatformCluster\'s kubectl provider and the AwsCustomResource function of an S3PrefixList, when the app\'s aws-cdk-lib knows a Node.js runtime newer than theirs',
    appliesTo: (c) => resourceOf(DatabaseBootstrap, (bootstrap) => bootstrap.handler)(c) || resourceOf(DatabaseBootstrap, bootstrapFrameworkOf)(c) ||
      resourceOf(PlatformCluster, kubectlFrameworkOf)(c) || isS3PrefixListFunction(c),
    reason:
      'The bootstrap handler runs Node.js 24 LTS (maintained until 2028-04-30), the runtime its pre-bundled code is built (esbuild target node24) and tested for (docs/adr/0011); the provider framework Lambdas (of the bootstrap and of the kubectl provider) and the AwsCustomResource function of the S3 prefix-list lookup run the runtime aws-cdk-lib chooses for them. ' +
      'A newer aws-cdk-lib in the consumer\'s app may list a newer Node.js runtime, which the rule then asks for.',
    compensatingControl: 'Both run only during deployments, invoked by CloudFormation, on a runtime AWS supports; a test pins both to Node.js 24.',
    verifiedBy: BOOTSTRAP_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
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
    appliesTo: resourceOf(AwsLoadBalancerController, (controller) => child(controller, 'Policy')),
    reason:
      'The upstream policy of the AWS Load Balancer Controller v3.5.0 (kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json), which the controller needs to create and wire load balancers. ' +
      'Its ARN patterns (security groups, target groups, load balancers, listeners, rules) are upstream\'s, narrowed from any region and account to the stack\'s. ' +
      'Its "*" resources are upstream\'s too: (a) Describe/Get calls, which support no resource-level permissions; (b) creating load balancers and target groups, whose ids do not exist before creation, only with this cluster\'s elbv2.k8s.aws/cluster request tag and in the VPC\'s subnets; ' +
      '(c) modifying and deleting security groups (in the cluster\'s VPC), load balancers and target groups, and creating and deleting listeners and rules, only when they carry this cluster\'s elbv2.k8s.aws/cluster tag; and, as upstream publishes them, ' +
      '(d) modifying listeners and rules (SetWebAcl and SetRulePriorities have no condition key), and the ACM, IAM server-certificate, Cognito, WAF and Shield calls. Security-group ingress changes and security-group creation name security groups and the cluster\'s VPC instead of "*".',
    compensatingControl:
      'The policy is compared statement by statement with upstream\'s file and may only be narrower, by exactly the narrowings the test lists; every statement on "*" whose actions are EC2 and Elastic Load Balancing calls is limited to the stack\'s region (aws:RequestedRegion); EC2 and Elastic Load Balancing have no resource policies, so "*" reaches only this account. ' +
      'The role is assumable only by EKS Pod Identity for the one service account kube-system/aws-load-balancer-controller of its cluster (session-tag conditions).',
    verifiedBy: 'test/constructs/mesh/load-balancer-controller-policy.test.ts',
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  // --- Observability -------------------------------------------------------------------------
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    scope: 'the customer managed policy of a TraceCollector (bound to tracing/trace-collector by Pod Identity)',
    appliesTo: resourceOf(TraceCollector, (collector) => child(collector, 'Policy')),
    reason:
      'Its one statement allows xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray does not authorize per resource: the service authorization reference lists no resource type for them, so "*" is the only resource they can be granted on.',
    compensatingControl:
      'Only those two write actions (no read, no sampling-rule or group management), only in the stack\'s region (aws:RequestedRegion); the role is assumable only by pods.eks.amazonaws.com, bound to the one service account tracing/trace-collector, whose pods the mesh admits traffic to only from the listed senders.',
    verifiedBy: 'test/constructs/observability/trace-collector.test.ts',
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: ['cdk-validator-cfnguard::cloudwatch_alarm_action_check', 'HIPAA.Security::HIPAA.Security-CloudWatchAlarmAction', 'NIST.800.53.R5::NIST.800.53.R5-CloudWatchAlarmAction'],
    scope: 'the per-window burn-rate alarms of a ServiceMonitoring (the long and short window of each pair its composite SLO alarms combine)',
    appliesTo: (c) => CfnResource.isCfnResource(c) && (enclosing(ServiceMonitoring, c)?.burnRateWindowAlarms.some((alarm) => alarm.node.defaultChild === c) ?? false),
    reason:
      'They are the inputs of the multiwindow, multi-burn-rate pages: one window alone is noise by design (a 5-minute spike, or an hour-long burn that has already stopped), and notifying on each would page up to four times per incident. ' +
      'CloudWatch composite alarms exist for this: the composite alarm over them carries the actions.',
    compensatingControl:
      'The composite alarm of each objective (availability, latency) notifies the environment\'s KMS-encrypted alarm topic on ALARM and on OK when the long and the short window of any pair are both in ALARM; the tests check every window alarm is in a composite rule and both composites notify.',
    verifiedBy: 'test/constructs/observability/service-monitoring.test.ts',
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  // --- Registry ------------------------------------------------------------------------------
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    scope: 'the customer managed policy that lets PlatformCluster\'s nodes pull through its PrivateRegistry\'s cache, and the policy of the PrivateRegistry\'s chart mirror handler',
    appliesTo: (c) => resourceOf(PlatformCluster, (cluster) => child(cluster, 'NodeRegistryPolicy'))(c) || resourceOf(ChartMirror, (mirror) => child(mirror, 'HandlerPolicy'))(c),
    reason:
      'Only the statement with ecr:GetAuthorizationToken uses "*": the service authorization reference lists no resource type for it, so "*" is the only resource it can be granted on. A token alone reads or writes nothing.',
    compensatingControl:
      'Every other statement names exact repositories: the nodes\' the cache repositories of the images the charts run (pull, import from upstream, create on first pull), the mirror\'s the chart repositories (pull and push); both roles are assumable only by their service (ec2, lambda).',
    verifiedBy: REGISTRY_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
  },
  {
    ids: [...lambdaDlq, ...PACKS_WITH_LAMBDA_INSIDE_VPC_RULE.map((pack) => `${pack}::${pack}-LambdaInsideVPC`), LAMBDA_INSIDE_VPC_GUARD],
    scope: 'the chart mirror handler Lambda of a PrivateRegistry and its CDK provider framework function (framework-onEvent)',
    appliesTo: (c) => resourceOf(ChartMirror, (mirror) => mirror.handler)(c) || resourceOf(ChartMirror, (mirror) => child(child(mirror, 'Provider'), 'framework-onEvent'))(c),
    reason:
      'Outside the VPC on purpose (docs/adr/0021): the handler downloads the pinned Helm charts from their public repositories, the one thing the platform fetches from the internet itself, and the cluster\'s VPC has no route out; placed in the VPC it would need a NAT gateway for every workload there. ' +
      'No dead-letter queue: CloudFormation invokes the framework function, which invokes the handler synchronously and reports every failure to CloudFormation as FAILED (failing the deployment before any chart is installed); a queue would only hold an event whose answer could not be posted, which fails after the custom resource\'s 15-minute service timeout.',
    compensatingControl:
      'They run only during deployments (a custom resource), one at a time (reserved concurrency 1); the handler\'s role may log in to ECR and pull and push the chart repositories only, never reaches the cluster, refuses a chart version whose archive differs from its pinned digest and never replaces one already mirrored (immutable tags); the framework\'s role may only invoke the handler; both log to KMS-encrypted log groups kept a year.',
    verifiedBy: REGISTRY_TEST,
    owner: OWNER,
    expires: LIBRARY_EXPIRES,
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
