import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Stack, type App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import {
  acknowledgedIds,
  expiredAcknowledgments,
  LIBRARY_ACKNOWLEDGMENTS,
  resourceOf,
  type ComplianceAcknowledgment,
} from '@zero-trust/platform-constructs';
import { isIsoDate } from '../../../constructs/compliance/acknowledgment';
import { ACKNOWLEDGMENTS } from '../../../lib/compliance/acknowledgments';
import { PipelineStack } from '../../../lib/pipeline';
import { buildPlatformApp, PIPELINE_STACK_ID } from '../../../lib/platform-app';
import { createTestApp } from '../../support/test-app';
import { FULL_PLATFORM } from '../../support/platform-contexts';

/** The repository root: `verifiedBy` paths are relative to it. */
const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');

const REGISTRIES = { library: LIBRARY_ACKNOWLEDGMENTS, app: ACKNOWLEDGMENTS } as const;
const OWNERS = { library: 'platform-team', app: 'delivery-team' } as const;
const entries = Object.entries(REGISTRIES).flatMap(([registry, acknowledgments]) =>
  acknowledgments.map((acknowledgment) => ({ registry: registry as keyof typeof REGISTRIES, acknowledgment })));

const DAY_MS = 24 * 60 * 60 * 1000;
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

function acknowledgment(overrides: Partial<ComplianceAcknowledgment> = {}): ComplianceAcknowledgment {
  return {
    ids: ['AwsSolutions::AwsSolutions-S1'],
    scope: 'the bucket of a TeamBucket',
    appliesTo: () => false,
    reason: 'test reason',
    compensatingControl: 'test control',
    verifiedBy: 'test/constructs/compliance/acknowledgments.test.ts',
    owner: 'team-a',
    expires: '2027-06-06',
    ...overrides,
  };
}

describe('every acknowledgment of both registries is owned, dated and verified', () => {
  test.each(entries.map(({ registry, acknowledgment: a }) => [registry, a.scope, a] as const))('%s: %s', (registry, _scope, a) => {
    // an owner: the library's team for the library registry, the delivery team for the app's
    expect(a.owner).toBe(OWNERS[registry]);
    // a real date, at most a year out, not passed
    expect({ expires: a.expires, isIsoDate: isIsoDate(a.expires) }).toEqual({ expires: a.expires, isIsoDate: true });
    const oneYearOut = new Date(Date.now() + 366 * DAY_MS);
    expect({ expires: a.expires, withinAYear: a.expires <= isoDay(oneYearOut) }).toEqual({ expires: a.expires, withinAYear: true });
    expect(expiredAcknowledgments([a], new Date())).toEqual([]);
    // a reason and a compensating control a reviewer can read, and the test proving the control
    expect(a.reason.length).toBeGreaterThan(40);
    expect(a.compensatingControl.length).toBeGreaterThan(20);
    expect(a.verifiedBy).toMatch(/^test\/.+\.test\.ts$/);
    expect({ verifiedBy: a.verifiedBy, exists: fs.existsSync(path.join(REPOSITORY_ROOT, a.verifiedBy)) }).toEqual({ verifiedBy: a.verifiedBy, exists: true });
  });

  test('scopes are unique: each names one entry of the exceptions register', () => {
    const scopes = entries.map(({ acknowledgment: a }) => a.scope);
    expect(scopes.filter((scope, index) => scopes.indexOf(scope) !== index)).toEqual([]);
  });
});

describe('expiredAcknowledgments', () => {
  const today = new Date('2026-12-06T15:30:00Z');

  test('reports an entry past its expires date with its scope, owner and date', () => {
    const expired = acknowledgment({ scope: 'the bucket of a TeamBucket', owner: 'team-a', expires: '2026-12-05' });
    expect(expiredAcknowledgments([expired], today)).toEqual([{
      scope: 'the bucket of a TeamBucket',
      owner: 'team-a',
      expires: '2026-12-05',
      message: 'Acknowledgment "the bucket of a TeamBucket" (owner: team-a) expired after 2026-12-05. Fix: the owner renews it (reviewed reason, new expires at most a year out) or fixes the resource and removes it.',
    }]);
  });

  test('an entry holds through its expires day, compared as UTC dates', () => {
    expect(expiredAcknowledgments([acknowledgment({ expires: '2026-12-06' })], today)).toEqual([]);
    expect(expiredAcknowledgments([acknowledgment({ expires: '2026-12-06' })], new Date('2026-12-06T23:59:59Z'))).toEqual([]);
    expect(expiredAcknowledgments([acknowledgment({ expires: '2026-12-06' })], new Date('2026-12-07T00:00:00Z'))).toHaveLength(1);
  });

  test('reports only the expired ones of a registry, in order', () => {
    const registry = [
      acknowledgment({ scope: 'a', expires: '2027-01-01' }),
      acknowledgment({ scope: 'b', owner: 'team-b', expires: '2025-12-31' }),
      acknowledgment({ scope: 'c', expires: '2026-12-06' }),
      acknowledgment({ scope: 'd', owner: 'team-d', expires: '2026-11-30' }),
    ];
    expect(expiredAcknowledgments(registry, today).map(({ scope, owner, expires }) => ({ scope, owner, expires }))).toEqual([
      { scope: 'b', owner: 'team-b', expires: '2025-12-31' },
      { scope: 'd', owner: 'team-d', expires: '2026-11-30' },
    ]);
  });

  test.each(['2027-02-30', '2027-2-3', '06/06/2027', '', 'never'])('an expires that is not a date YYYY-MM-DD (%j) counts as expired, saying so', (expires) => {
    expect(expiredAcknowledgments([acknowledgment({ expires })], today)).toEqual([expect.objectContaining({
      expires,
      message: `Acknowledgment "the bucket of a TeamBucket" (owner: team-a) has expires ${JSON.stringify(expires)}, which is not a date YYYY-MM-DD. Fix: give the last day it holds, e.g. "2027-06-30".`,
    })]);
  });
});

describe('resourceOf', () => {
  class TeamBucket extends Construct {
    readonly bucket: s3.Bucket;
    constructor(scope: Construct, id: string) {
      super(scope, id);
      this.bucket = new s3.Bucket(this, 'Bucket', { enforceSSL: true });
    }
  }

  test('selects exactly the CloudFormation resource of the picked construct, not its siblings, children or look-alikes', () => {
    const stack = new Stack(undefined, 'Stack');
    const team = new TeamBucket(stack, 'Team');
    const lookAlike = new Construct(stack, 'Other');
    new s3.Bucket(lookAlike, 'Bucket', { enforceSSL: true });
    const selected = stack.node.findAll().filter(resourceOf(TeamBucket, (owner) => owner.bucket));
    expect(selected.map((c) => c.node.path)).toEqual(['Stack/Team/Bucket/Resource']);
    expect(selected[0]).toBe(team.bucket.node.defaultChild);
    // the bucket policy under the same L2 is another resource: not selected
    expect(stack.node.findAll().filter((c) => c.node.path === 'Stack/Team/Bucket/Policy/Resource')).toHaveLength(1);
    expect(stack.node.findAll().filter(resourceOf(TeamBucket, () => undefined))).toEqual([]);
  });

  test('the single-resource check names what a subtree selection would cover', () => {
    const stack = new Stack(undefined, 'Stack');
    const team = new TeamBucket(stack, 'Team');
    expect(notSingleResource(team.bucket.node.defaultChild!)).toBeUndefined();
    expect(notSingleResource(team.bucket)).toBe(
      'selects Stack/Team/Bucket, a construct holding 2 CloudFormation resources (Stack/Team/Bucket/Resource, Stack/Team/Bucket/Policy/Resource): ' +
      'select one resource instead (its CfnResource, e.g. with resourceOf(Type, pick))',
    );
  });
});

/**
 * Why an acknowledgment may not select `construct`, or undefined when it is one CloudFormation
 * resource (a CfnResource, or an L2 whose only resource is its node.defaultChild): an acknowledgment
 * covers every finding below the construct it is attached to.
 */
function notSingleResource(construct: IConstruct): string | undefined {
  const resources = construct.node.findAll().filter((c) => CfnResource.isCfnResource(c));
  if (resources.length === 1 && (resources[0] === construct || resources[0] === construct.node.defaultChild)) return undefined;
  return `selects ${construct.node.path}, a construct holding ${resources.length} CloudFormation resources (${resources.map((r) => r.node.path).join(', ')}): ` +
    'select one resource instead (its CfnResource, e.g. with resourceOf(Type, pick))';
}

describe('in the full platform app (dev, prod and the pipeline), every acknowledgment selects single resources', () => {
  let app: App;
  let all: IConstruct[];

  beforeAll(() => {
    app = createTestApp({ context: FULL_PLATFORM });
    buildPlatformApp(app, { complianceGate: false });
    all = app.node.findAll();
  });

  test.each(entries.map(({ registry, acknowledgment: a }) => [registry, a.scope, a] as const))('%s: %s', (registry, scope, a) => {
    const selected = all.filter((c) => a.appliesTo(c));
    expect({ registry, scope, selectsSomething: selected.length > 0 }).toEqual({ registry, scope, selectsSomething: true });
    for (const construct of selected) {
      expect({ registry, scope, problem: notSingleResource(construct) }).toEqual({ registry, scope, problem: undefined });
      for (const id of acknowledgedIds(a, construct)) expect(id).toMatch(/^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|PCI\.DSS\.321|cdk-validator-cfnguard|CloudFormation-Validate)::\S+$/);
    }
  });

  test('codebuild:StartBuild is never granted on "*" in the pipeline stack: the asset role, which runs no action, keeps none', () => {
    const template = Template.fromStack(app.node.findChild(PIPELINE_STACK_ID) as PipelineStack);
    const startBuild = Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([id, policy]) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((s) => ([] as string[]).concat(s.Action).includes('codebuild:StartBuild'))
        .map((s) => ({ id, resource: s.Resource })));
    expect(startBuild.length).toBeGreaterThan(0);
    for (const { id, resource } of startBuild) expect({ id, resource }).toEqual({ id, resource: { 'Fn::GetAtt': [expect.stringMatching(/^Pipeline/), 'Arn'] } });
    expect(startBuild.filter(({ id }) => id.startsWith('PipelineAssetsFileRole'))).toEqual([]);
  });

  test('the smoke-test runner policy uses "*" only for the EC2 calls of a VPC build, and may create ENI permissions only for CodeBuild in the Workloads subnets', () => {
    const pipelineStack = app.node.findChild(PIPELINE_STACK_ID) as PipelineStack;
    for (const stage of pipelineStack.stages) {
      const runner = stage.smokeTests;
      const statements = runner.resolve((runner.runnerPolicy.node.defaultChild as iam.CfnManagedPolicy).policyDocument).Statement as
        { Sid: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> }[];
      const onStar = statements.filter((s) => s.Resource === '*');
      expect(onStar.map((s) => s.Sid)).toEqual(['DescribeVpcForAttachment']);
      expect(([] as string[]).concat(onStar[0].Action).every((action) => action.startsWith('ec2:'))).toBe(true);
      const permission = statements.find((s) => s.Sid === 'AttachToWorkloadSubnetsOnly')!;
      expect(permission.Action).toBe('ec2:CreateNetworkInterfacePermission');
      expect(permission.Condition).toEqual({
        StringEquals: { 'ec2:AuthorizedService': 'codebuild.amazonaws.com' },
        ArnEquals: { 'ec2:Subnet': expect.arrayContaining([expect.anything()]) },
      });
      const workloadSubnets = stage.network.vpc.selectSubnets({ subnetGroupName: 'Workloads' }).subnetIds;
      expect((permission.Condition!.ArnEquals['ec2:Subnet'] as unknown[]).length).toBe(workloadSubnets.length);
      expect(Template.fromStack(runner).findResources('AWS::IAM::Policy')).toEqual({});
      for (const other of statements.filter((s) => s.Resource !== '*' && s.Sid !== 'AttachToWorkloadSubnetsOnly')) {
        expect({ sid: other.Sid, resource: JSON.stringify(other.Resource) }).toEqual({ sid: other.Sid, resource: expect.stringMatching(/^\{"Fn::GetAtt":\["(Logs|Key)[0-9A-F]{8}","Arn"\]\}$/) });
      }
    }
  });

  /** The resolved statements of the inline default policy of a role of the pipeline. */
  const defaultPolicyStatements = (role: iam.IRole) => {
    const policy = role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy;
    return Stack.of(policy).resolve(policy.policyDocument).Statement as { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> }[];
  };
  const actionsOf = (s: { Action: string | string[] }) => ([] as string[]).concat(s.Action);

  test('the image step\'s role: "*" only for ecr:GetAuthorizationToken; pushes, pulls and scan results on the one sample image repository', () => {
    const pipelineStack = app.node.findChild(PIPELINE_STACK_ID) as PipelineStack;
    const statements = defaultPolicyStatements(pipelineStack.sampleImageStep.project.role!);
    expect(statements.filter((s) => ([] as unknown[]).concat(s.Resource).includes('*')).map(actionsOf)).toEqual([['ecr:GetAuthorizationToken']]);
    const push = statements.find((s) => s.Sid === 'PushAndInspectSampleImages')!;
    expect(push.Resource).toEqual(pipelineStack.resolve(pipelineStack.sampleImages.repository.repositoryArn));
    expect(actionsOf(push).every((a) => a.startsWith('ecr:'))).toBe(true);
  });

  test('the self-mutation role: "*" only for cloudformation:DescribeStacks and s3:ListBucket; sts:AssumeRole only on tagged CDK bootstrap roles of its account', () => {
    const pipelineStack = app.node.findChild(PIPELINE_STACK_ID) as PipelineStack;
    const statements = defaultPolicyStatements(pipelineStack.pipeline.selfMutationProject.role!);
    expect(statements.filter((s) => ([] as unknown[]).concat(s.Resource).includes('*')).flatMap(actionsOf).sort()).toEqual(['cloudformation:DescribeStacks', 's3:ListBucket']);
    const assume = statements.filter((s) => actionsOf(s).includes('sts:AssumeRole'));
    expect(assume).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/cdk-hnb659fds-*']] },
      Condition: { 'ForAnyValue:StringEquals': { 'iam:ResourceTag/aws-cdk:bootstrap-role': ['image-publishing', 'file-publishing', 'deploy'] } },
    }]);
  });

  test('the artifact-store entry accepts a wildcard action only where every statement granting it names only the store\'s bucket and key', () => {
    const store = ACKNOWLEDGMENTS.find((a) => a.scope.includes('their grants on the pipeline artifact bucket and key'))!;
    const pipelineStack = app.node.findChild(PIPELINE_STACK_ID) as PipelineStack;
    const pipelinePolicy = () => all.find((c) => c instanceof iam.CfnPolicy && c.node.path === `${pipelineStack.pipeline.pipeline.role.node.path}/DefaultPolicy/Resource`)!;
    expect(store.appliesTo(pipelinePolicy())).toBe(true);
    const before = acknowledgedIds(store, pipelinePolicy());
    expect(before).toEqual(expect.arrayContaining(['AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]', 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy']));
    // WHEN a grant on another bucket with the same wildcard action joins the policy
    pipelineStack.pipeline.pipeline.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject*'], resources: ['arn:aws:s3:::another-bucket/*'] }));
    // THEN that action is no longer accepted there (its finding stays open); the store's other grants still are
    const after = acknowledgedIds(store, pipelinePolicy());
    expect(after).not.toContain('AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]');
    expect(after).toEqual(expect.arrayContaining(['AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]']));
  });
});
