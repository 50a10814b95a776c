import { Stack } from 'aws-cdk-lib';
import { CfnProject } from 'aws-cdk-lib/aws-codebuild';
import { CfnReplicationGroup } from 'aws-cdk-lib/aws-elasticache';
import { Policy } from 'aws-cdk-lib/aws-iam';
import { CfnDBInstance } from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';
import { CodePipeline } from 'aws-cdk-lib/pipelines';
import { AwsLoadBalancerController, DatabaseBootstrap, PostgresDatabase, RedisCache } from '@zero-trust/platform-constructs';
import { PipelineArtifactStore } from '../pipeline/artifact-store';
import { SmokeTestStack } from '../pipeline/smoke-tests';

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

/** The nearest enclosing construct of the given class, if any. */
function enclosing<T>(type: abstract new (...args: never[]) => T, construct: IConstruct): T | undefined {
  return construct.node.scopes.slice(0, -1).reverse().find((scope): scope is IConstruct & T => scope instanceof type);
}

/**
 * Matches the construct at exactly `segments` below an instance of `type` (e.g. the
 * `Handler` of any DatabaseBootstrap), wherever that instance lives: precise, and it works in
 * consumer stacks too.
 */
export function childOf(type: abstract new (...args: never[]) => unknown, ...segments: string[]): (construct: IConstruct) => boolean {
  return (construct) => {
    const scopes = construct.node.scopes;
    const owner = scopes.length - 1 - segments.length;
    return owner >= 0 && scopes[owner] instanceof type && scopes.slice(owner + 1).map((s) => s.node.id).join('/') === segments.join('/');
  };
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
      'It runs inside the VPC isolated subnets with its own security group (VpcConfig present; reserved concurrency 1); the cfn-guard check cannot resolve subnet ids imported from the Network stack with Fn::ImportValue.',
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
  // --- Pipeline ------------------------------------------------------------------------------
  {
    ids: [
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((action) => `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`),
      'AwsSolutions::AwsSolutions-IAM5[Resource::<StoreArtifactsD98A7408.Arn>/*]',
      ...PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-IAMNoInlinePolicy`),
    ],
    scope: 'the default policies CDK Pipelines generates for the pipeline role and each CodeBuild step role of the delivery pipeline (PipelineStack)',
    appliesTo: (c) => c instanceof Policy && enclosing(CodePipeline, c) !== undefined,
    reason:
      'Generated by aws-cdk-lib pipelines/codepipeline: the wildcard actions (s3:GetObject*, s3:List*, kms:GenerateDataKey*, ...) and the <bucket>/* object resource are the standard read/write grants on the ONE pipeline artifact bucket and ONE pipeline key, both owned by this stack (KMS, TLS only, versioned, access-logged). ' +
      'The roles and policies are created inside CodePipeline and cannot be replaced by customer managed policies without dropping the grants CDK adds as the pipeline grows. CodeBuild default log-group and report-group grants were removed (lib/pipeline/policy-scoping.ts); test/lib/pipeline asserts no Action "*", no cloudformation:* and no AdministratorAccess.',
  },
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    scope: 'the role policy of the pipeline image step (SampleImage)',
    appliesTo: (c) => c instanceof Policy && enclosing(CodePipeline, c) !== undefined && c.node.path.endsWith('/Build/SampleImage/SampleImage/Role/DefaultPolicy'),
    reason:
      'Only statement EcrLogin uses "*": ecr:GetAuthorizationToken has no resource-level permissions (it returns a registry login token). Every push, pull and scan-result action is scoped to the one pipeline-owned sample image repository (statement PushAndInspectSampleImages).',
  },
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]', 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-*]'],
    scope: 'the role policy of the CDK Pipelines self-mutation step (UpdatePipeline/SelfMutation)',
    appliesTo: childOf(CodePipeline, 'UpdatePipeline', 'SelfMutation', 'Role', 'DefaultPolicy'),
    reason:
      'Generated by CDK Pipelines for `cdk deploy` of the pipeline stack: cloudformation:DescribeStacks and s3:ListBucket are read-only and take "*" in CDK; sts:AssumeRole is narrowed (lib/pipeline/policy-scoping.ts) from every role of the account to the CDK bootstrap roles (cdk-hnb659fds-*) of the pipeline account only, and CDK keeps its condition that the role carries the aws-cdk:bootstrap-role tag (deploy, file-publishing, image-publishing). Deployment rights are those of the bootstrap roles.',
  },
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    scope: 'the role policy of the CDK Pipelines file-asset publishing step (Assets/FileRole)',
    appliesTo: childOf(CodePipeline, 'Assets', 'FileRole', 'DefaultPolicy'),
    reason:
      'Generated by CDK Pipelines: the asset role is also the CodePipeline action role of the asset CodeBuild project, and CDK grants it codebuild:StartBuild/BatchGetBuilds/StopBuild on "*" (start and watch builds only, no project changes). Its sts:AssumeRole is limited to the named file-publishing bootstrap role of each target account and region.',
  },
  {
    ids: ['HIPAA.Security', 'PCI.DSS.321'].map((pack) => `${pack}::${pack}-CodeBuildProjectSourceRepoUrl`),
    scope: 'CodeBuild projects of the delivery pipeline and the smoke-test runner, whose source is CodePipeline or none (never a repository URL)',
    appliesTo: (c) => c instanceof CfnProject && ['CODEPIPELINE', 'NO_SOURCE'].includes((Stack.of(c).resolve(c.source) as { type?: string }).type ?? ''),
    reason:
      'False positive: the rule wants OAuth on GitHub/Bitbucket repository sources. These projects have no repository source at all: CodePipeline hands them the commit it fetched through the CodeConnections connection (no credentials in any URL or project), or they run an inline buildspec (smoke-test runner).',
  },
  {
    ids: ['cdk-validator-cfnguard::codebuild_project_environment_privileged_check'],
    scope: 'the CodeBuild project of the pipeline image step (SampleImage), the only privileged project',
    appliesTo: (c) => c instanceof CfnProject && enclosing(CodePipeline, c) !== undefined && c.node.path.endsWith('/Build/SampleImage/SampleImage/Resource'),
    reason:
      '`docker build` needs the Docker daemon, which CodeBuild runs only in privileged mode. The project builds the repository\'s own Dockerfile from the pipeline source, has no VPC access, and may push only to the one sample image repository; every other project is unprivileged (test/lib/pipeline asserts exactly one privileged project).',
  },
  {
    ids: [
      ...PACKS_WITH_NO_INLINE_POLICY.flatMap((pack) => [`${pack}::${pack}-S3BucketReplicationEnabled`, `${pack}::${pack}-S3DefaultEncryptionKMS`]),
      'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
    ],
    scope: 'the server access-log bucket of the pipeline artifact store',
    appliesTo: childOf(PipelineArtifactStore, 'AccessLogs', 'Resource'),
    reason:
      'S3 delivers server access logs only to a bucket encrypted with SSE-S3 (not SSE-KMS), and a log bucket logging to itself would loop. It holds only access logs of the artifact bucket: TLS only, no public access, versioned, Object Lock (governance, 365 days), kept 731 days. ' +
      'Cross-region replication and event notifications add nothing for a log sink read only during audits.',
  },
  {
    ids: [
      ...PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-S3BucketReplicationEnabled`),
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
    ],
    scope: 'the artifact bucket of the delivery pipeline',
    appliesTo: childOf(PipelineArtifactStore, 'Artifacts', 'Resource'),
    reason:
      'Pipeline artifacts are reproducible build outputs (source zip, cloud assembly), not records: they can be rebuilt from the Git commit, and the deployed state lives in CloudFormation. The bucket is KMS-encrypted with the rotated pipeline key, TLS only, versioned, access-logged, retained, with no public access. ' +
      'Object Lock would block the lifecycle expiry of old artifacts; CodePipeline itself reacts to its own events, so no bucket notifications are needed.',
  },
  {
    ids: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]', 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]'],
    scope: 'the customer managed policy of the in-VPC smoke-test runner (SmokeTestStack)',
    appliesTo: childOf(SmokeTestStack, 'RunnerPolicy'),
    reason:
      'Only the VPC-attachment statements use "*": the EC2 actions CodeBuild needs to place a build in a VPC (ec2:CreateNetworkInterface, ec2:Describe*, ...) have no resource-level permissions, and ec2:CreateNetworkInterfacePermission names network interfaces that do not exist yet; it is limited to codebuild.amazonaws.com and to the Workloads subnets by condition. ' +
      'Logs and key statements name the runner\'s own log group and key.',
  },
];
