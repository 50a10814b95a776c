import { Lazy, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

interface Statement {
  Resource?: unknown;
  [key: string]: unknown;
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** True for a resource (string or intrinsic) that contains the given ARN fragment. */
function mentions(resource: unknown, fragment: string): boolean {
  return JSON.stringify(resource).includes(fragment);
}

/**
 * Narrows the IAM policies CDK Pipelines and CodeBuild generate in the pipeline stack, where
 * their props cannot:
 *
 * - drops the grants every CodeBuild project adds for its default log group
 *   (`/aws/codebuild/<project>`) and its report groups: the projects log to the pipeline's
 *   KMS-encrypted log group instead (granted separately) and publish no test reports;
 * - narrows the self-mutation step's `sts:AssumeRole` from every tagged role of the account
 *   (`arn:*:iam::<account>:role/*`) to the CDK bootstrap roles of that account
 *   (`cdk-<qualifier>-*`), keeping CDK's tag condition;
 * - narrows `codebuild:StartBuild`/`BatchGetBuilds`/`StopBuild` on `*` (which CDK Pipelines grants
 *   every asset-publishing role, in case it is a CodePipeline action role, and which would let it
 *   start any project of the account with a buildspec override) to the projects of this
 *   pipeline's CodeBuild actions that run as that role, and drops it when there are none (with
 *   `usePipelineRoleForActions` the actions run as the pipeline role, which CDK already grants
 *   each project by ARN).
 *
 * It rewrites the rendered policy documents each time they are resolved (uncached: a grant added
 * after an early resolution, e.g. by a compliance check reading the statements, is kept).
 */
export function scopeGeneratedPolicies(scope: IConstruct, options: { qualifier: string }): void {
  const stack = Stack.of(scope);
  // Only this stack's own policies: the stages it deploys are separate stacks with their own review.
  const all = scope.node.findAll();
  const pipelines = all.filter((c): c is codepipeline.CfnPipeline => c instanceof codepipeline.CfnPipeline && Stack.of(c) === stack);
  for (const policy of all.filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy && Stack.of(c) === stack)) {
    const original = policy.policyDocument;
    policy.policyDocument = Lazy.uncachedAny({
      produce: () => {
        const document = stack.resolve(original) as { Statement: Statement[] };
        const roles = (stack.resolve(policy.roles) as unknown[] | undefined ?? []).map(logicalIdOf).filter(isString);
        const started = roles.flatMap((role) => pipelines.flatMap((pipeline) => projectsRunAs(stack, pipeline, role)));
        const statements = document.Statement.flatMap((statement) => rewrite(statement, options.qualifier, started));
        return { ...document, Statement: statements };
      },
    });
  }
}

/** The actions CDK Pipelines grants a role on `*` to run CodeBuild projects. */
const RUN_BUILD_ACTIONS = ['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild'];

/** The logical id in `{Ref: id}` or `{"Fn::GetAtt": [id, ...]}`, else undefined. */
function logicalIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { Ref: ref, 'Fn::GetAtt': getAtt } = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (isString(ref)) return ref;
  return Array.isArray(getAtt) && isString(getAtt[0]) ? getAtt[0] : undefined;
}

/**
 * The ARNs (`Fn::GetAtt`) of the CodeBuild projects the pipeline runs as the role `role` (a logical
 * id): actions whose RoleArn is that role, and, when it is the pipeline's own role, actions with
 * no RoleArn (they run as the pipeline role).
 */
function projectsRunAs(stack: Stack, pipeline: codepipeline.CfnPipeline, role: string): unknown[] {
  // L1 property values are in camelCase (`actions`, `roleArn`) until rendered; configuration keeps its keys.
  type Action = { actionTypeId: { provider: string }; roleArn?: unknown; configuration?: { ProjectName?: unknown } };
  const stages = stack.resolve(pipeline.stages) as { actions: Action[] }[];
  const pipelineRole = logicalIdOf(stack.resolve(pipeline.roleArn));
  return stages.flatMap((stage) => stage.actions)
    .filter((action) => action.actionTypeId.provider === 'CodeBuild')
    .filter((action) => (action.roleArn === undefined ? pipelineRole === role : logicalIdOf(action.roleArn) === role))
    .map((action) => logicalIdOf(action.configuration?.ProjectName))
    .filter(isString)
    .map((project) => ({ 'Fn::GetAtt': [project, 'Arn'] }));
}

function rewrite(statement: Statement, qualifier: string, projectsOfRole: unknown[]): Statement[] {
  const actions = [statement.Action].flat();
  if (statement.Resource === '*' && actions.length > 0 && actions.every((a) => isString(a) && RUN_BUILD_ACTIONS.includes(a))) {
    // Only the projects this role runs (as a CodePipeline action role); none: no statement.
    return projectsOfRole.length === 0 ? [] : [{ ...statement, Resource: projectsOfRole.length === 1 ? projectsOfRole[0] : projectsOfRole }];
  }
  const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  const kept = resources
    .filter((r) => !mentions(r, ':log-group:/aws/codebuild/') && !mentions(r, ':report-group/'))
    .map((r) => (isString(r) && /^arn:\*:iam::\d{12}:role\/\*$/.test(r)
      ? { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/cdk-${qualifier}-*`]] }
      : r));
  if (kept.length === 0) return [];
  return [{ ...statement, Resource: kept.length === 1 ? kept[0] : kept }];
}

type Intrinsic = string | { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] } | Record<string, unknown>;

/** `{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::..."]]}` -> `{"Fn::Sub": "arn:${AWS::Partition}:iam::..."}`; anything else unchanged. */
function joinToSub(value: Intrinsic): Intrinsic {
  const join = typeof value === 'object' && value !== null ? (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'] : undefined;
  if (!join || join[0] !== '') return value;
  let template = '';
  for (const part of join[1]) {
    if (typeof part === 'string') template += part.replace(/\$\{/g, '${!');
    else if (typeof part === 'object' && part !== null && typeof (part as { Ref?: unknown }).Ref === 'string' && Object.keys(part).length === 1) template += `\${${(part as { Ref: string }).Ref}}`;
    else if (typeof part === 'object' && part !== null && Array.isArray((part as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt']) && Object.keys(part).length === 1) template += `\${${((part as { 'Fn::GetAtt': string[] })['Fn::GetAtt']).join('.')}}`;
    else return value;
  }
  return { 'Fn::Sub': template };
}

/**
 * Renders the ARNs CDK Pipelines writes into action configurations (e.g. the CloudFormation
 * execution role of each deploy action) as `Fn::Sub` instead of `Fn::Join` with an empty
 * delimiter, which cfn-lint reports as E3703. Same values, only the notation changes.
 */
export function useSubInActionConfigurations(pipeline: codepipeline.CfnPipeline): void {
  const original = pipeline.stages;
  const stack = Stack.of(pipeline);
  pipeline.stages = Lazy.uncachedAny({
    // L1 property values are in camelCase (`actions`, `configuration`) until rendered.
    produce: () => (stack.resolve(original) as { actions: { configuration?: Record<string, Intrinsic> }[] }[]).map((stage) => ({
      ...stage,
      actions: stage.actions.map((action) => (action.configuration
        ? { ...action, configuration: Object.fromEntries(Object.entries(action.configuration).map(([key, value]) => [key, joinToSub(value)])) }
        : action)),
    })),
  }) as unknown as codepipeline.CfnPipeline['stages'];
}
