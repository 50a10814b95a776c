import { DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { CodePipeline } from 'aws-cdk-lib/pipelines';
import type { IConstruct } from 'constructs';
import { enclosing, resourceOf, type ComplianceAcknowledgment } from '@zero-trust/platform-constructs';
import { PipelineArtifactStore } from '../pipeline/artifact-store';
// pipeline-stack imports this module (through delivery-stage): PipelineStack is read only when a
// selector runs, never while this module loads.
import { PipelineStack } from '../pipeline/pipeline-stack';
import { SmokeTestStack } from '../pipeline/smoke-tests';

/**
 * THE app's registry of compliance acknowledgments: the only place this app accepts a cdk-nag or
 * cfn-guard finding, for resources `lib/` builds (the delivery pipeline, its artifact store, the
 * smoke-test runner). Findings on resources the construct library builds are acknowledged by the
 * library itself (`LIBRARY_ACKNOWLEDGMENTS`, attached by `applyComplianceGate`), never here.
 * Fix the resource first; an entry here is for what cannot be fixed (a handler or policy CDK
 * writes for us, a documented false positive). Each entry selects single CloudFormation resources
 * by the construct type that builds them and their role in it, lists only the rule ids that fire
 * there (computed from the resource where a rule would otherwise cover statements added later),
 * and carries a reason a reviewer can check, the compensating control, the test proving it, its
 * owner (`delivery-team`) and its expiry (six months). Every entry must match at least one finding in
 * the full app (a test fails on stale entries), and the reasons are copied to
 * `cdk.out/validation-report.json` next to each suppressed finding.
 */

const PACKS_WITH_NO_INLINE_POLICY = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];
const noInlinePolicy = PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-IAMNoInlinePolicy`);
const iam5 = (what: string) => `AwsSolutions::AwsSolutions-IAM5[${what}]`;

const OWNER = 'delivery-team';
const EXPIRES = '2027-06-06';
const PIPELINE_TEST = 'test/lib/pipeline/pipeline-stack.test.ts';
/** The full-app checks of the pipeline's policies, and of what the ids computed from them leave out. */
const ACKNOWLEDGMENTS_TEST = 'test/constructs/compliance/acknowledgments.test.ts';

interface StatementJson {
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : ([] as T[]).concat(value));
const json = (value: unknown) => JSON.stringify(value);

/** The statements of an inline policy, resolved as they are synthesized (after lib/pipeline/policy-scoping.ts). */
function statementsOf(policy: iam.CfnPolicy): StatementJson[] {
  return list((Stack.of(policy).resolve(policy.policyDocument) as { Statement?: StatementJson | StatementJson[] }).Statement);
}

/** The default (inline) policy CDK adds to a role, if any. */
const defaultPolicyOf = (role: IConstruct | undefined): IConstruct | undefined => role?.node.tryFindChild('DefaultPolicy');

/**
 * The inline default policies CDK Pipelines writes for the roles of a pipeline: its pipeline role
 * and the role of each of its CodeBuild projects (steps, self-mutation, asset publishing, and the
 * smoke-test invokers whose role we pass).
 */
function generatedPolicies(pipeline: CodePipeline): IConstruct[] {
  let pipelineRole: iam.IRole;
  try {
    pipelineRole = pipeline.pipeline.role;
  } catch {
    return []; // not built yet
  }
  const projectRoles = pipeline.node.findAll().filter((c): c is codebuild.Project => c instanceof codebuild.Project).map((project) => project.role);
  return [pipelineRole, ...projectRoles].map((role) => defaultPolicyOf(role)?.node.defaultChild).filter((p): p is IConstruct => p !== undefined);
}

/** An inline default policy CDK Pipelines writes for a role of a pipeline of a PipelineStack. */
function isGeneratedPipelinePolicy(construct: IConstruct): construct is iam.CfnPolicy {
  if (!(construct instanceof iam.CfnPolicy) || enclosing(PipelineStack, construct) === undefined) return false;
  const pipeline = enclosing(CodePipeline, construct);
  return pipeline !== undefined && generatedPolicies(pipeline).includes(construct);
}

/**
 * The findings a generated pipeline policy raises for its grants on the ONE artifact bucket and
 * ONE key of the PipelineArtifactStore, computed from its statements: a wildcard action only when
 * every statement granting it names nothing but the bucket, its objects and the key; the object
 * resource `<bucket>/*` only when a statement names it; and IAMNoInlinePolicy (the policy is
 * CDK's inline default policy). A grant added later on anything else raises an open finding.
 */
function artifactStoreGrantIds(policy: IConstruct): string[] {
  const pipelineStack = enclosing(PipelineStack, policy);
  if (!(policy instanceof iam.CfnPolicy) || pipelineStack === undefined) return [];
  const { bucket, key } = pipelineStack.store;
  const stack = Stack.of(policy);
  const objects = json(stack.resolve(bucket.arnForObjects('*')));
  const store = new Set([json(stack.resolve(bucket.bucketArn)), objects, json(stack.resolve(key.keyArn))]);
  const statements = statementsOf(policy);
  const onStoreOnly = (statement: StatementJson) => list(statement.Resource).every((resource) => store.has(json(resource)));
  const wildcards = [...new Set(statements.flatMap((s) => list(s.Action)).filter((action) => action.includes('*')))];
  const storeWildcards = wildcards.filter((action) => statements.filter((s) => list(s.Action).includes(action)).every(onStoreOnly));
  const bucketId = stack.resolve((bucket.node.defaultChild as CfnBucket).logicalId) as string;
  const namesObjects = statements.some((s) => onStoreOnly(s) && list(s.Resource).some((resource) => json(resource) === objects));
  return [
    ...storeWildcards.map((action) => iam5(`Action::${action}`)),
    ...(namesObjects ? [iam5(`Resource::<${bucketId}.Arn>/*`)] : []),
    ...noInlinePolicy,
  ];
}

/** `IAM5[Resource::*]` when every statement of the policy on "*" grants only `allowed` actions. */
function starOnlyFor(allowed: readonly string[]): (policy: IConstruct) => string[] {
  return (policy) => {
    if (!(policy instanceof iam.CfnPolicy)) return [];
    const onStar = statementsOf(policy).filter((s) => list(s.Resource).includes('*'));
    return onStar.length > 0 && onStar.every((s) => list(s.Action).every((action) => allowed.includes(action))) ? [iam5('Resource::*')] : [];
  };
}

const BOOTSTRAP_ROLES = `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-*`;

/**
 * The self-mutation policy's findings: "*" only for cloudformation:DescribeStacks and
 * s3:ListBucket, and the CDK bootstrap roles pattern only while its sts:AssumeRole keeps CDK's
 * condition that the role is tagged as a bootstrap role.
 */
function selfMutationIds(policy: IConstruct): string[] {
  if (!(policy instanceof iam.CfnPolicy)) return [];
  const pattern = json({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-*`]] });
  const assumesBootstrapRoles = statementsOf(policy).some((s) =>
    list(s.Action).includes('sts:AssumeRole') && list(s.Resource).map(json).includes(pattern) &&
    s.Condition?.['ForAnyValue:StringEquals']?.['iam:ResourceTag/aws-cdk:bootstrap-role'] !== undefined);
  return [...starOnlyFor(['cloudformation:DescribeStacks', 's3:ListBucket'])(policy), ...(assumesBootstrapRoles ? [iam5(`Resource::${BOOTSTRAP_ROLES}`)] : [])];
}

/** The role of the self-mutation project of a built pipeline with self-mutation, else undefined. */
function selfMutationRoleOf(pipeline: CodePipeline): iam.IRole | undefined {
  try {
    return pipeline.selfMutationProject.role;
  } catch {
    return undefined; // not built yet, or selfMutation: false
  }
}

/** The CodeBuild project of the image step of the PipelineStack around `construct`, once the pipeline is built. */
function sampleImageProject(construct: IConstruct): codebuild.IProject | undefined {
  try {
    return enclosing(PipelineStack, construct)?.sampleImageStep.project;
  } catch {
    return undefined; // not built yet: CDK Pipelines synthesizes each stage while it is added
  }
}

export const ACKNOWLEDGMENTS: readonly ComplianceAcknowledgment[] = [
  // --- Pipeline ------------------------------------------------------------------------------
  {
    ids: artifactStoreGrantIds,
    scope: 'the inline default policies CDK Pipelines generates for the pipeline role and the role of each CodeBuild project of the delivery pipeline (PipelineStack): their grants on the pipeline artifact bucket and key',
    appliesTo: isGeneratedPipelinePolicy,
    reason:
      'Generated by aws-cdk-lib pipelines: the wildcard actions (s3:GetObject*, s3:List*, kms:GenerateDataKey*, ...) and the <bucket>/* object resource are CDK\'s standard read/write grants on the ONE pipeline artifact bucket and the ONE pipeline key, both owned by this stack. ' +
      'The roles and these policies are created inside CodePipeline, which adds its grants to them as the pipeline grows; they cannot be replaced by customer managed policies without losing those grants.',
    compensatingControl:
      'The rule ids are computed from each policy: a wildcard action is accepted only where every statement granting it names nothing but the artifact bucket, its objects and the pipeline key (KMS, TLS only, versioned, access-logged, retained). ' +
      'CodeBuild default log-group and report-group grants are removed and codebuild:StartBuild on "*" is narrowed (lib/pipeline/policy-scoping.ts); no Action "*", no service-wide wildcard, no IAM or CloudFormation change on "*" (bucket, key and wildcard checks: test/lib/pipeline/pipeline-stack.test.ts).',
    verifiedBy: ACKNOWLEDGMENTS_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
  {
    ids: starOnlyFor(['ecr:GetAuthorizationToken']),
    scope: 'the inline default policy of the role of the pipeline image step (PipelineStack.sampleImageStep)',
    appliesTo: (c) => isGeneratedPipelinePolicy(c) && defaultPolicyOf(sampleImageProject(c)?.role)?.node.defaultChild === c,
    reason: 'Only statement EcrLogin uses "*": ecr:GetAuthorizationToken has no resource-level permissions (it returns a registry login token).',
    compensatingControl:
      'Accepted only while every statement on "*" grants ecr:GetAuthorizationToken alone; every push, pull and scan-result action is scoped to the one pipeline-owned sample image repository (statement PushAndInspectSampleImages).',
    verifiedBy: ACKNOWLEDGMENTS_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
  {
    ids: selfMutationIds,
    scope: 'the inline default policy of the role of the CDK Pipelines self-mutation project (CodePipeline.selfMutationProject)',
    appliesTo: (c) => isGeneratedPipelinePolicy(c) && resourceOf(CodePipeline, (pipeline) => defaultPolicyOf(selfMutationRoleOf(pipeline)))(c),
    reason:
      'Generated by CDK Pipelines for `cdk deploy` of the pipeline stack: cloudformation:DescribeStacks and s3:ListBucket are read-only and take "*" in CDK; sts:AssumeRole is narrowed (lib/pipeline/policy-scoping.ts) from every role of the account to the CDK bootstrap roles (cdk-hnb659fds-*) of the pipeline account only.',
    compensatingControl:
      'Accepted only while "*" carries nothing but cloudformation:DescribeStacks and s3:ListBucket, and the bootstrap-role pattern keeps CDK\'s condition that the role is tagged aws-cdk:bootstrap-role (deploy, file-publishing, image-publishing); deployment rights are those of the bootstrap roles.',
    verifiedBy: ACKNOWLEDGMENTS_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
  {
    ids: ['HIPAA.Security', 'PCI.DSS.321'].map((pack) => `${pack}::${pack}-CodeBuildProjectSourceRepoUrl`),
    scope: 'the CodeBuild projects of the delivery pipeline and the smoke-test runner, whose source is CodePipeline or none (never a repository URL)',
    appliesTo: (c) => c instanceof codebuild.CfnProject &&
      (enclosing(CodePipeline, c) !== undefined || enclosing(SmokeTestStack, c)?.project.node.defaultChild === c) &&
      ['CODEPIPELINE', 'NO_SOURCE'].includes((Stack.of(c).resolve(c.source) as { type?: string }).type ?? ''),
    reason:
      'False positive: the rule wants OAuth on GitHub/Bitbucket repository sources. These projects have no repository source at all: CodePipeline hands them the commit it fetched through the CodeConnections connection, or they run an inline buildspec (smoke-test runner).',
    compensatingControl: 'Accepted only for projects whose source type is CODEPIPELINE or NO_SOURCE; no credentials in any URL or project; the source is fetched by the CodeConnections connection.',
    verifiedBy: PIPELINE_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
  {
    ids: ['cdk-validator-cfnguard::codebuild_project_environment_privileged_check'],
    scope: 'the CodeBuild project of the pipeline image step (PipelineStack.sampleImageStep), the only privileged project',
    appliesTo: (c) => c instanceof codebuild.CfnProject && sampleImageProject(c)?.node.defaultChild === c,
    reason: '`docker build` needs the Docker daemon, which CodeBuild runs only in privileged mode.',
    compensatingControl:
      'It builds the repository\'s own Dockerfile from the pipeline source, has no VPC access and may push only to the one sample image repository; every other project is unprivileged (exactly one privileged project).',
    verifiedBy: PIPELINE_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
  {
    ids: [
      ...PACKS_WITH_NO_INLINE_POLICY.flatMap((pack) => [`${pack}::${pack}-S3BucketReplicationEnabled`, `${pack}::${pack}-S3DefaultEncryptionKMS`]),
      'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
      'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
    ],
    scope: 'the server access-log bucket of the pipeline artifact store',
    appliesTo: resourceOf(PipelineArtifactStore, (store) => store.accessLogsBucket),
    reason:
      'S3 delivers server access logs only to a bucket encrypted with SSE-S3 (not SSE-KMS), and a log bucket logging to itself would loop. ' +
      'Cross-region replication and event notifications add nothing for a log sink read only during audits.',
    compensatingControl: 'It holds only access logs of the artifact bucket: TLS only, no public access, no ACLs, versioned, Object Lock (governance, 365 days), kept 731 days, retained.',
    verifiedBy: PIPELINE_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
  {
    ids: [
      ...PACKS_WITH_NO_INLINE_POLICY.map((pack) => `${pack}::${pack}-S3BucketReplicationEnabled`),
      'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
    ],
    scope: 'the artifact bucket of the delivery pipeline',
    appliesTo: resourceOf(PipelineArtifactStore, (store) => store.bucket),
    reason:
      'Pipeline artifacts are reproducible build outputs (source zip, cloud assembly), not records: they can be rebuilt from the Git commit, and the deployed state lives in CloudFormation. ' +
      'Object Lock would block the lifecycle expiry of old artifacts; CodePipeline itself reacts to its own events, so no bucket notifications are needed.',
    compensatingControl: 'KMS-encrypted with the rotated pipeline key, TLS only, versioned, access-logged, retained, no public access.',
    verifiedBy: PIPELINE_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
  {
    ids: [iam5('Resource::*'), iam5('Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*')],
    scope: 'the customer managed policy of the in-VPC smoke-test runner (SmokeTestStack.runnerPolicy)',
    appliesTo: resourceOf(SmokeTestStack, (stack) => stack.runnerPolicy),
    reason:
      'Only the VPC-attachment statements use "*": the EC2 actions CodeBuild needs to place a build in a VPC (ec2:CreateNetworkInterface, ec2:Describe*, ...) have no resource-level permissions, and ec2:CreateNetworkInterfacePermission names network interfaces that do not exist yet.',
    compensatingControl:
      'ec2:CreateNetworkInterfacePermission is limited to codebuild.amazonaws.com and to the Workloads subnets by condition; the logs and key statements name the runner\'s own log group and key; the runner role has no inline policy.',
    verifiedBy: ACKNOWLEDGMENTS_TEST,
    owner: OWNER,
    expires: EXPIRES,
  },
];
