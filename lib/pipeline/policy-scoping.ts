import { Lazy, Stack } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
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
 *   (`cdk-<qualifier>-*`), keeping CDK's tag condition.
 *
 * It rewrites the rendered policy documents at synthesis, after every grant was added.
 */
export function scopeGeneratedPolicies(scope: IConstruct, options: { qualifier: string }): void {
  const stack = Stack.of(scope);
  // Only this stack's own policies: the stages it deploys are separate stacks with their own review.
  for (const policy of scope.node.findAll().filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy && Stack.of(c) === stack)) {
    const original = policy.policyDocument;
    policy.policyDocument = Lazy.any({
      produce: () => {
        const document = stack.resolve(original) as { Statement: Statement[] };
        const statements = document.Statement.flatMap((statement) => rewrite(statement, options.qualifier));
        return { ...document, Statement: statements };
      },
    });
  }
}

function rewrite(statement: Statement, qualifier: string): Statement[] {
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
  pipeline.stages = Lazy.any({
    // L1 property values are in camelCase (`actions`, `configuration`) until rendered.
    produce: () => (stack.resolve(original) as { actions: { configuration?: Record<string, Intrinsic> }[] }[]).map((stage) => ({
      ...stage,
      actions: stage.actions.map((action) => (action.configuration
        ? { ...action, configuration: Object.fromEntries(Object.entries(action.configuration).map(([key, value]) => [key, joinToSub(value)])) }
        : action)),
    })),
  }) as unknown as codepipeline.CfnPipeline['stages'];
}
