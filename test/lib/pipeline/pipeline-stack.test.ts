import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { parse as parseYaml } from 'yaml';
import { loadPipelineConfig } from '../../../lib/config';
import type { OpenFinding } from '@zero-trust/platform-constructs';
import { DEFAULT_CANARY_STEPS } from '../../../constructs/delivery';
import {
  PipelineStack,
  ROLLOUT_POLL_SECONDS,
  ROLLOUT_STATE_FILTERS,
  rolloutWaitCommands,
  SMOKE_TEST_READERS_GROUP,
  SMOKE_TEST_RUNNER_COMMANDS,
  smokeTestTimeouts,
} from '../../../lib/pipeline';
import { buildPlatformApp, PIPELINE_STACK_ID } from '../../../lib/platform-app';
import { cfnLintErrors } from '../../support/cfn-lint';
import { egressOf, internetEgress } from '../../support/security-group-egress';
import { createTestApp, synthWithGate, VALIDATION_CACHE_DIRECTORY } from '../../support/test-app';
import { PIPELINE_CONTEXT, PROD_ACCOUNT, REGION, STAGING_ACCOUNT, TOOLING_ACCOUNT } from './pipeline-context';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: unknown };
type Action = { Name: string; RunOrder: number; ActionTypeId: { Category: string; Provider: string }; Configuration?: Record<string, any>; RoleArn?: unknown };
type PipelineStage = { Name: string; Actions: Action[] };

describe('PipelineStack', () => {
  let stack: PipelineStack;
  let template: Template;
  let stages: PipelineStage[];
  let findings: OpenFinding[];
  let assemblyDirectory: string;

  beforeAll(() => {
    // GIVEN the pipeline section of a tooling account deploying staging then prod
    const app = createTestApp({ context: PIPELINE_CONTEXT });
    const { pipeline, environments } = loadPipelineConfig(app.node)!;
    stack = new PipelineStack(app, 'Pipeline', { pipeline, environments, env: { account: TOOLING_ACCOUNT, region: REGION } });
    // WHEN synthesized with the compliance gate
    ({ findings, assemblyDirectory } = synthWithGate(app));
    template = Template.fromStack(stack);
    stages = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties.Stages;
  });

  const stage = (name: string) => stages.find((s) => s.Name === name)!;
  const projects = () => Object.entries(template.findResources('AWS::CodeBuild::Project')) as [string, Resource][];
  const buildSpecOf = (project: Resource): string => JSON.stringify(project.Properties.Source.BuildSpec);
  /** Every command of a project's inline buildspec, in order (install phase first). */
  const commandsOf = (project: Resource): string[] => {
    const spec = JSON.parse(project.Properties.Source.BuildSpec) as { phases: Record<string, { commands?: string[] }> };
    return ['install', 'pre_build', 'build', 'post_build'].flatMap((phase) => spec.phases[phase]?.commands ?? []);
  };
  const indexOf = (commands: string[], text: string) => commands.findIndex((c) => c.includes(text));
  const projectWith = (text: string): Resource => {
    const matches = projects().filter(([, p]) => buildSpecOf(p).includes(text));
    expect(matches).toHaveLength(1);
    return matches[0][1];
  };

  test('has zero unacknowledged findings (pipeline stack and every stage it deploys)', () => {
    expect(findings).toEqual([]);
  });

  test('is a V2 pipeline sourcing the configured repository and branch through CodeConnections', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
    const [source] = stage('Source').Actions;
    expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(source.Configuration).toMatchObject({
      ConnectionArn: PIPELINE_CONTEXT.pipeline.connectionArn,
      FullRepositoryId: 'example-org/zero-trust-platform',
      BranchName: 'main',
    });
  });

  test('runs source, build, self-mutation, assets, then the environments in config order', () => {
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Staging', 'Prod']);
  });

  test('mutates itself before deploying anything', () => {
    const [selfMutate] = stage('UpdatePipeline').Actions;
    expect(selfMutate.Name).toBe('SelfMutate');
    expect(buildSpecOf(projectWith(' deploy Pipeline --require-approval=never'))).toContain('npm install -g aws-cdk@2.');
  });

  test('builds the image before synth, so synth pins its digest', () => {
    const build = stage('Build').Actions;
    const image = build.find((a) => a.Name === 'SampleImage')!;
    const synth = build.find((a) => a.Name === 'Synth')!;
    expect(image.RunOrder).toBeLessThan(synth.RunOrder);
  });

  test('asks for a manual approval before prod, and only there', () => {
    const prod = stage('Prod').Actions;
    const approval = prod.find((a) => a.ActionTypeId.Category === 'Approval')!;
    expect(approval.Name).toBe('PromoteToProd');
    const deploys = prod.filter((a) => a.ActionTypeId.Category === 'Deploy');
    expect(deploys.length).toBeGreaterThan(0);
    expect(Math.max(approval.RunOrder)).toBeLessThan(Math.min(...deploys.map((a) => a.RunOrder)));
    expect(stage('Staging').Actions.filter((a) => a.ActionTypeId.Category === 'Approval')).toEqual([]);
  });

  test.each(['Staging', 'Prod'])('%s: smoke tests run after every stack of the environment is deployed', (name) => {
    const actions = stage(name).Actions;
    const smoke = actions.find((a) => a.Name === 'SmokeTests')!;
    expect(smoke.ActionTypeId.Category).toBe('Build');
    expect(smoke.RunOrder).toBeGreaterThan(Math.max(...actions.filter((a) => a.ActionTypeId.Category === 'Deploy').map((a) => a.RunOrder)));
  });

  test.each([['Staging', STAGING_ACCOUNT], ['Prod', PROD_ACCOUNT]])('%s deploys into its own account through the CDK bootstrap roles', (name, account) => {
    const deploys = stage(name).Actions.filter((a) => a.ActionTypeId.Category === 'Deploy');
    for (const deploy of deploys) {
      expect(JSON.stringify(deploy.RoleArn)).toContain(`:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${REGION}`);
      if (deploy.Configuration!.ActionMode === 'CHANGE_SET_REPLACE') {
        expect(deploy.Configuration!.RoleArn).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${REGION}` });
      }
    }
    // prod's stacks, including the smoke-test runner, deploy only after approval
    expect(deploys.map((a) => a.Configuration!.StackName)).toEqual(expect.arrayContaining([`ztp-${name.toLowerCase()}-network`, `ztp-${name.toLowerCase()}-smoke-tests`]));
  });

  test('artifact bucket: customer KMS key, TLS only, versioned, no public access, access-logged', () => {
    const [bucketId] = Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } }));
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] } } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^StoreAccessLogs') } },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ArtifactStore: { Type: 'S3', Location: { Ref: bucketId }, EncryptionKey: { Type: 'KMS', Id: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] } } },
    });
  });

  test('the access-log bucket has no ACLs, no public access, TLS only and Object Lock', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      ObjectLockEnabled: true,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.AccessControl).toBeUndefined();
      expect(bucket.DeletionPolicy).toBe('Retain');
    }
  });

  test('every key rotates and is retained', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key'));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe('Retain');
    }
  });

  test('every CodeBuild project logs to the KMS-encrypted log group and encrypts artifacts with the pipeline key', () => {
    const [logGroupId, logGroup] = Object.entries(template.findResources('AWS::Logs::LogGroup'))[0];
    expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StoreKey/), 'Arn'] });
    expect(logGroup.Properties.RetentionInDays).toBeGreaterThanOrEqual(365);
    for (const [, project] of projects()) {
      expect(project.Properties.LogsConfig).toEqual({ CloudWatchLogs: { GroupName: { Ref: logGroupId }, Status: 'ENABLED' } });
      expect(project.Properties.EncryptionKey).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StoreKey/), 'Arn'] });
    }
  });

  test('exactly one CodeBuild project is privileged: the one that builds images', () => {
    const privileged = projects().filter(([, p]) => p.Properties.Environment.PrivilegedMode === true);
    expect(privileged).toHaveLength(1);
    expect(buildSpecOf(privileged[0][1])).toContain('docker build');
    for (const [, project] of projects().filter(([, p]) => p.Properties.Environment.PrivilegedMode !== true)) {
      expect(buildSpecOf(project)).not.toContain('docker ');
    }
  });

  test('no wildcard admin: no Action "*" or service-wide wildcard, no IAM/CloudFormation changes on "*", no AdministratorAccess', () => {
    const templates = fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.template.json'));
    expect(templates.length).toBeGreaterThan(5);
    for (const file of templates) {
      const json = fs.readFileSync(path.join(assemblyDirectory, file), 'utf8');
      expect({ file, admin: json.includes('AdministratorAccess') }).toEqual({ file, admin: false });
      for (const resource of Object.values(JSON.parse(json).Resources) as Resource[]) {
        // A VPC endpoint policy grants nothing: it only limits what may pass through the endpoint
        // (its "*" statements are narrowed by account conditions, test/constructs/network/endpoint-policies.test.ts).
        if (resource.Type === 'AWS::EC2::VPCEndpoint') continue;
        const documents = [resource.Properties?.PolicyDocument, ...(resource.Properties?.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument)].filter(Boolean);
        for (const statement of documents.flatMap((d: { Statement: unknown[] }) => d.Statement) as { Effect: string; Action: string | string[]; Resource?: unknown }[]) {
          if (statement.Effect !== 'Allow') continue;
          const actions = ([] as string[]).concat(statement.Action);
          expect({ file, actions }).not.toEqual({ file, actions: expect.arrayContaining(['*']) });
          for (const action of actions) expect({ file, action, serviceWide: /^(iam|cloudformation|sts|kms|s3|ecr|codebuild):\*$/.test(action) }).toEqual({ file, action, serviceWide: false });
          // in the pipeline's own templates, nothing that changes IAM or CloudFormation applies to "*"
          if (file === 'Pipeline.template.json' || file.includes('SmokeTests')) {
            const onStar = ([] as unknown[]).concat(statement.Resource).includes('*');
            for (const action of actions) {
              expect({ file, action, onStar: onStar && /^(iam|cloudformation|sts):/.test(action) && action !== 'cloudformation:DescribeStacks' }).toEqual({ file, action, onStar: false });
            }
          }
        }
      }
    }
  });

  test('sts:AssumeRole is scoped: bootstrap roles of the pipeline account, named asset roles, the smoke-test starters', () => {
    const assumed: string[] = [];
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (([] as string[]).concat(statement.Action).includes('sts:AssumeRole')) assumed.push(...([] as unknown[]).concat(statement.Resource).map((r) => JSON.stringify(r)));
      }
    }
    expect(assumed.length).toBeGreaterThan(0);
    for (const arn of assumed) {
      expect(arn).toMatch(/cdk-hnb659fds-|smoke-test-starter|CodePipelineActionRole|Role[0-9A-F]{8}/);
      expect(arn).not.toMatch(/:role\/\*"/);
    }
    expect(assumed).toContainEqual(JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/cdk-hnb659fds-*']] }));
  });

  test('the synth step runs npm ci, the full npm test against Postgres and Redis, then cdk synth with the image manifest', () => {
    const synth = commandsOf(projectWith('cdk synth'));
    expect(synth).toEqual(expect.arrayContaining([
      'npm ci --no-audit --no-fund',
      'npm test',
      'npx cdk synth --quiet -c env= -c images="$(cat pipeline-images/images.json)"',
    ]));
    for (const text of ['apt-get install', 'postgresql redis-server', 'cfn-lint==', 'pg_ctlcluster', 'createdb', 'redis-server --daemonize yes']) {
      expect(indexOf(synth, text)).toBeGreaterThanOrEqual(0);
    }
    expect(indexOf(synth, 'pg_ctlcluster')).toBeLessThan(synth.indexOf('npm test'));
    expect(synth.indexOf('npm test')).toBeLessThan(indexOf(synth, 'cdk synth'));
  });

  test('every pipeline CodeBuild project (synth, image, self-mutation, assets, invokers) runs on standard:8.0 with Node 24', () => {
    expect(projects().length).toBeGreaterThanOrEqual(5);
    for (const [id, project] of projects()) {
      // inline JSON, or (asset publishing) a YAML file in the cloud assembly that the template names
      const inline = project.Properties.Source.BuildSpec as string;
      const file = inline.startsWith('buildspec-') ? fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' }).find((f) => path.basename(f) === inline) : undefined;
      const spec = parseYaml(file ? fs.readFileSync(path.join(assemblyDirectory, file), 'utf8') : inline) as { phases: { install?: { 'runtime-versions'?: unknown } } };
      expect({ id, image: project.Properties.Environment.Image, runtimes: spec.phases.install?.['runtime-versions'] })
        .toEqual({ id, image: 'aws/codebuild/standard:8.0', runtimes: { nodejs: 24 } });
    }
  });

  test('the synth and image steps run npm ci before any npm script or npx (which then run the lock-pinned Node 24)', () => {
    for (const commands of [commandsOf(projectWith('cdk synth')), commandsOf(projectWith('docker build'))]) {
      const install = commands.indexOf('npm ci --no-audit --no-fund');
      expect(install).toBeGreaterThanOrEqual(0);
      const usesNode = commands.map((c, i) => [c, i] as const).filter(([c]) => /\b(npm (test|run)|npx)\b/.test(c));
      expect(usesNode.length).toBeGreaterThan(0);
      for (const [command, index] of usesNode) expect({ command, afterNpmCi: index > install }).toEqual({ command, afterNpmCi: true });
    }
  });

  test('the image step tests the service, pushes under the commit id, gates on CRITICAL scan findings and hands over the digest', () => {
    const image = projectWith('docker build');
    const commands = commandsOf(image);
    for (const text of ['docker build --pull -f services/sample/Dockerfile -t "$REPOSITORY_URI:$COMMIT_ID" .', 'npm test --workspace services/sample', 'docker push "$REPOSITORY_URI:$COMMIT_ID"',
      'aws ecr wait image-scan-complete', 'findingSeverityCounts.CRITICAL', 'digest: $digest']) {
      expect({ text, found: indexOf(commands, text) >= 0 }).toEqual({ text, found: true });
    }
    expect(commands).toContain('if [ "$CRITICAL" -gt 0 ]; then echo "$CRITICAL CRITICAL finding(s) in $REPOSITORY_URI@$DIGEST: not promoted"; exit 1; fi');
    expect(indexOf(commands, 'npm test --workspace')).toBeLessThan(indexOf(commands, 'docker push'));
    expect(indexOf(commands, 'docker push')).toBeLessThan(indexOf(commands, 'aws ecr wait image-scan-complete'));
    expect(indexOf(commands, 'aws ecr wait image-scan-complete')).toBeLessThan(indexOf(commands, 'findingSeverityCounts.CRITICAL'));
    expect(indexOf(commands, 'findingSeverityCounts.CRITICAL')).toBeLessThan(indexOf(commands, 'out/images.json'));
    const env = image.Properties.Environment.EnvironmentVariables as { Name: string; Value: unknown }[];
    expect(env.map((e) => e.Name)).toEqual(expect.arrayContaining(['REPOSITORY_URI', 'REPOSITORY_NAME']));
    // the commit id comes from the source action's variables
    const buildAction = stage('Build').Actions.find((a) => a.Name === 'SampleImage')!;
    expect(buildAction.Configuration!.EnvironmentVariables).toContain('#{Source@example-org_zero-trust-platform.CommitId}');
  });

  test('the image repository: immutable tags, scan on push, KMS, pull-only for the node role of each environment, named exactly', () => {
    template.hasResourceProperties('AWS::ECR::Repository', {
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] } },
    });
    const [repository] = Object.values(template.findResources('AWS::ECR::Repository'));
    const statements = repository.Properties.RepositoryPolicyText.Statement;
    expect(statements).toHaveLength(2);
    for (const [statement, [account, prefix]] of statements.map((s: unknown, i: number) => [s, [[STAGING_ACCOUNT, 'ztp-staging'], [PROD_ACCOUNT, 'ztp-prod']][i]])) {
      expect(statement.Action.sort()).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']);
      expect(JSON.stringify(statement.Principal)).toContain(`:iam::${account}:root`);
      // The exact ARN of the environment's node role: no other role of the account (the old
      // `ArnLike <prefix>-cluster-*` admitted every role of the cluster stack: controllers, handlers)
      expect(statement.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:role/${prefix}-cluster-nodes`]] } } });
      expect(JSON.stringify(statement.Condition)).not.toContain('*');
    }
    // and that is the name the environment gives its node role
    stack.stages.forEach((stage, i) => Template.fromStack(stage.cluster).hasResourceProperties('AWS::IAM::Role', {
      RoleName: `${['ztp-staging', 'ztp-prod'][i]}-cluster-nodes`,
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
    }));
    // and the environment's ECR endpoints let its principals pull from the pipeline's account (pulls only)
    for (const stage of stack.stages) {
      const endpoints = Object.entries(Template.fromStack(stage.network).findResources('AWS::EC2::VPCEndpoint')).filter(([id]) => /Ecr(Api|Docker)/.test(id));
      expect(endpoints).toHaveLength(2);
      for (const [, endpoint] of endpoints) {
        const pull = endpoint.Properties.PolicyDocument.Statement.find((s: { Sid: string }) => s.Sid === 'PullImagesOfEksAddonsAndTrustedRegistries');
        expect(JSON.stringify(pull.Resource)).toContain(`:ecr:${REGION}:${TOOLING_ACCOUNT}:repository/*`);
        expect(pull.Action).toEqual(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability']);
      }
    }
    expect(repository.DeletionPolicy).toBe('Retain');
  });

  test('the smoke-test invoker may assume exactly the starter role of its environment', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'ztp-staging-smoke-test-invoker' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('StagingSmokeTestInvoker') }],
      PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'AssumeSmokeTestStarter', Action: 'sts:AssumeRole', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${STAGING_ACCOUNT}:role/ztp-staging-smoke-test-starter`]] } }]) },
    });
  });

  test('the in-VPC smoke-test runner: Workloads subnets, unprivileged, started only by the invoker role of the pipeline account', () => {
    const staging = stack.stages[0];
    expect(staging.smokeTests.account).toBe(STAGING_ACCOUNT);
    const runner = Template.fromStack(staging.smokeTests);
    runner.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'ztp-staging-smoke-tests',
      VpcConfig: Match.objectLike({ Subnets: Match.anyValue(), SecurityGroupIds: Match.anyValue() }),
      Environment: Match.objectLike({ PrivilegedMode: false, EnvironmentVariables: Match.arrayWith([{ Name: 'BASE_URL', Type: 'PLAINTEXT', Value: 'https://orders.staging.internal.example.com' }]) }),
      EncryptionKey: Match.anyValue(),
    });
    // staging delivers the sample by canary: wait for its Rollout, then the HTTP checks
    expect(commandsOf(Object.values(runner.findResources('AWS::CodeBuild::Project'))[0] as Resource)).toEqual([...rolloutWaitCommands('rollout'), ...SMOKE_TEST_RUNNER_COMMANDS]);
    // HTTPS to named peers only (no 0.0.0.0/0): the gateway's internal NLB in each Workloads subnet,
    // the cluster API, the VPC's interface endpoints
    const group = staging.smokeTests.resolve((staging.smokeTests.securityGroup.node.defaultChild as ec2.CfnSecurityGroup).logicalId);
    const https = (peer: unknown) => ({ peer: typeof peer === 'string' ? peer : JSON.stringify(peer), protocol: 'tcp', ports: '443-443' });
    const workloadCidrs = staging.network.vpc.selectSubnets({ subnetGroupName: 'Workloads' }).subnets.map((subnet) => subnet.ipv4CidrBlock);
    expect(workloadCidrs).toEqual(['10.20.32.0/19', '10.20.64.0/19', '10.20.96.0/19']);
    expect(egressOf(runner, group)).toEqual([
      ...workloadCidrs.map(https),
      https(staging.smokeTests.resolve(staging.cluster.platformCluster.cluster.clusterSecurityGroupId)),
      https(staging.smokeTests.resolve(staging.network.network.endpointSecurityGroup.securityGroupId)),
    ].sort((a, b) => a.peer.localeCompare(b.peer)));
    expect(internetEgress(runner)).toEqual([]);
    runner.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ztp-staging-smoke-test-starter',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${TOOLING_ACCOUNT}:root`]] } },
        Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${TOOLING_ACCOUNT}:role/ztp-staging-smoke-test-invoker`]] } } },
      })] },
    });
    runner.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test.each([0, 1])('stage %i: the smoke-test runner is on standard:8.0 and starts no Node (no node, npm or npx in its commands)', (index) => {
    const runner = Template.fromStack(stack.stages[index].smokeTests);
    const [project] = Object.values(runner.findResources('AWS::CodeBuild::Project')) as Resource[];
    expect(project.Properties.Environment.Image).toBe('aws/codebuild/standard:8.0');
    const commands = commandsOf(project);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) expect({ command, startsNode: /\b(node|npm|npx)\b/.test(command) }).toEqual({ command, startsNode: false });
  });

  describe('the runner waits for the rollout before the HTTP checks', () => {
    const runnerOf = (index: number) => Template.fromStack(stack.stages[index].smokeTests);
    const projectOf = (runner: Template) => Object.values(runner.findResources('AWS::CodeBuild::Project'))[0] as Resource;
    const envOf = (runner: Template) => Object.fromEntries((projectOf(runner).Properties.Environment.EnvironmentVariables as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    const importOf = (value: unknown) => JSON.stringify(value);

    test.each([0, 1])('stage %i: the runner role gets an EKS access entry with no access policy, only the smoke-test-readers group', (index) => {
      const runner = runnerOf(index);
      const entries = Object.values(runner.findResources('AWS::EKS::AccessEntry'));
      expect(entries).toHaveLength(1);
      const [entry] = entries;
      expect(entry.Properties.PrincipalArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RunnerRole/), 'Arn'] });
      expect(entry.Properties.KubernetesGroups).toEqual([SMOKE_TEST_READERS_GROUP]);
      expect(entry.Properties.AccessPolicies).toBeUndefined();
      expect(entry.Properties.Type).toBe('STANDARD');
      expect(importOf(entry.Properties.ClusterName)).toMatch(/-cluster:ExportsOutputRefPlatformCluster/);
    });

    test.each([0, 1])('stage %i: RBAC is one namespaced Role (get/list/watch on the orders Rollout and Deployment) bound to that group only', (index) => {
      const runner = runnerOf(index);
      const manifests = Object.values(runner.findResources('Custom::AWSCDK-EKS-KubernetesResource'));
      expect(manifests).toHaveLength(1);
      const objects = JSON.parse(manifests[0].Properties.Manifest) as { kind: string; metadata: { name: string; namespace?: string }; rules?: unknown; roleRef?: unknown; subjects?: unknown }[];
      expect(objects.map((o) => o.kind)).toEqual(['Role', 'RoleBinding']);
      const [role, binding] = objects;
      expect(role.metadata).toMatchObject({ name: 'orders-smoke-test-reader', namespace: 'orders' });
      expect(role.rules).toEqual([
        { apiGroups: ['argoproj.io'], resources: ['rollouts'], resourceNames: ['orders'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['orders'], verbs: ['get', 'list', 'watch'] },
      ]);
      expect(binding.metadata).toMatchObject({ name: 'orders-smoke-test-reader', namespace: 'orders' });
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'orders-smoke-test-reader' });
      expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: SMOKE_TEST_READERS_GROUP }]);
      // applied from the smoke-test stack through the cluster's kubectl provider
      expect(importOf(manifests[0].Properties.ServiceToken)).toMatch(/-cluster:ExportsOutputFnGetAttPlatformClusterKubectlProvider/);
    });

    test.each([0, 1])('stage %i: the cluster security group admits the runner security group on 443, and nothing else', (index) => {
      const runner = runnerOf(index);
      const rules = Object.values(runner.findResources('AWS::EC2::SecurityGroupIngress'));
      expect(rules).toHaveLength(1);
      const { CidrIp, CidrIpv6, SourcePrefixListId, ...rule } = rules[0].Properties;
      expect({ CidrIp, CidrIpv6, SourcePrefixListId }).toEqual({ CidrIp: undefined, CidrIpv6: undefined, SourcePrefixListId: undefined });
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^SecurityGroup/), 'GroupId'] } });
      expect(importOf(rule.GroupId)).toMatch(/-cluster:ExportsOutputFnGetAttPlatformCluster[0-9A-F]{8}ClusterSecurityGroupId/);
    });

    test('the runner gets the cluster endpoint, CA and the rollout to wait for from the stage, and needs no EKS API permission', () => {
      const runner = runnerOf(0);
      const env = envOf(runner);
      expect(importOf(env.CLUSTER_NAME)).toMatch(/ExportsOutputRefPlatformCluster/);
      expect(importOf(env.CLUSTER_ENDPOINT)).toMatch(/ExportsOutputFnGetAttPlatformCluster[0-9A-F]{8}Endpoint/);
      expect(importOf(env.CLUSTER_CA_DATA)).toMatch(/ExportsOutputFnGetAttPlatformCluster[0-9A-F]{8}CertificateAuthorityData/);
      expect({ namespace: env.ROLLOUT_NAMESPACE, name: env.ROLLOUT_NAME }).toEqual({ namespace: 'orders', name: 'orders' });
      // get-token presigns sts:GetCallerIdentity locally: no eks:* in the runner's policy
      const [policy] = Object.values(runner.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('smoke-test runner') } }));
      const actions = (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((st) => ([] as string[]).concat(st.Action));
      expect(actions.filter((a) => a.startsWith('eks:'))).toEqual([]);
    });

    test('the wait comes before every HTTP check and fails at once on an aborted or Degraded Rollout', () => {
      const commands = commandsOf(projectOf(runnerOf(0)));
      const wait = indexOf(commands, 'aws eks get-token --cluster-name "$CLUSTER_NAME" --output json | jq -r .status.token');
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(indexOf(commands, '$ORDERS?customerId='));
      expect(wait).toBeLessThan(indexOf(commands, 'idempotency-key'));
      const loop = commands[wait];
      expect(loop).toContain('--cacert cluster-ca.pem');
      expect(commands).toContain('ROLLOUT_URL="$CLUSTER_ENDPOINT/apis/argoproj.io/v1alpha1/namespaces/$ROLLOUT_NAMESPACE/rollouts/$ROLLOUT_NAME"');
      expect(ROLLOUT_STATE_FILTERS.rollout).toContain('elif .status.abort == true or .status.phase == "Degraded" then "failed"');
      expect(ROLLOUT_STATE_FILTERS.rollout).toContain('.status.phase == "Healthy"');
      expect(ROLLOUT_STATE_FILTERS.rollout).toMatch(/^if \(\(\.status\.observedGeneration .*\) != \(\.metadata\.generation/);
      expect(loop).toMatch(/if \[ "\$STATE" = failed \]; then echo "ROLLOUT FAILED: [^"]*"; exit 1; fi/);
      expect(loop).toMatch(/if \[ "\$SECONDS" -ge "\$DEADLINE" \]; then echo "ROLLOUT TIMED OUT[^"]*"; exit 1; fi/);
      expect(loop).toContain(`sleep ${ROLLOUT_POLL_SECONDS}; done`);
      expect(ROLLOUT_POLL_SECONDS).toBe(15);
    });

    test('a rolling service is waited for through its Deployment: all replicas updated and available, progress deadline fails', () => {
      const commands = rolloutWaitCommands('deployment');
      expect(commands).toContain('ROLLOUT_URL="$CLUSTER_ENDPOINT/apis/apps/v1/namespaces/$ROLLOUT_NAMESPACE/deployments/$ROLLOUT_NAME"');
      expect(ROLLOUT_STATE_FILTERS.deployment).toContain('.reason == "ProgressDeadlineExceeded") then "failed"');
      expect(ROLLOUT_STATE_FILTERS.deployment).toContain('[(.spec.replicas // 1), (.status.updatedReplicas // 0), (.status.replicas // 0), (.status.availableReplicas // 0)] | unique | length == 1 then "done"');
    });

    test('the timeouts cover the canary: the wait outlasts its pauses, the runner the wait, the invoker the runner', () => {
      const pauses = DEFAULT_CANARY_STEPS.reduce((sum, step) => sum + (step.pauseSeconds ?? 0), 0);
      const runner = runnerOf(0);
      const waitSeconds = Number(envOf(runner).ROLLOUT_TIMEOUT_SECONDS);
      expect(waitSeconds).toBe(pauses + 15 * 60);
      const project = projectOf(runner);
      expect(project.Properties.TimeoutInMinutes * 60).toBeGreaterThanOrEqual(waitSeconds + 10 * 60);
      // the pipeline's invoker steps (staging, prod) wait for the runner's queue and run time
      const invokers = projects().filter(([, p]) => buildSpecOf(p).includes('aws codebuild start-build'));
      expect(invokers).toHaveLength(2);
      for (const [, invoker] of invokers) {
        expect(invoker.Properties.TimeoutInMinutes).toBeGreaterThanOrEqual(project.Properties.QueuedTimeoutInMinutes + project.Properties.TimeoutInMinutes);
      }
    });

    test.each([
      ['rolling', 15, 30, 50],
      ['canary', 24, 39, 59],
      ['blue-green', 25, 40, 60],
    ] as const)('smokeTestTimeouts(%s): wait %i min, runner %i min, invoker %i min', (strategy, wait, runner, invoker) => {
      const t = smokeTestTimeouts(strategy);
      expect([t.rolloutWait.toMinutes(), t.runner.toMinutes(), t.invoker.toMinutes()]).toEqual([wait, runner, invoker]);
    });
  });

  test('cfn-lint reports zero errors on the pipeline template and the smoke-test templates', () => {
    const files = fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' })
      .filter((f) => f === 'Pipeline.template.json' || /SmokeTests.*\.template\.json$/.test(f));
    expect(files).toHaveLength(3);
    const { byTemplate, other } = cfnLintErrors(files.map((file) => path.join(assemblyDirectory, file)));
    for (const file of files) {
      expect({ file, errors: byTemplate.get(path.join(assemblyDirectory, file)) }).toEqual({ file, errors: [] });
    }
    expect(other).toEqual([]);
  });

  test('synth is hermetic: no context had to be looked up', () => {
    const manifests = fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('manifest.json'));
    for (const manifest of manifests) {
      expect(JSON.parse(fs.readFileSync(path.join(assemblyDirectory, manifest), 'utf8')).missing ?? []).toEqual([]);
    }
  });
});

describe('how the pipeline joins the app', () => {
  test('no pipeline section: the app is the -c env stages only (default synth stays the dev platform)', () => {
    const app = new App({ context: { env: 'dev' } });
    buildPlatformApp(app, { validationCacheDirectory: VALIDATION_CACHE_DIRECTORY });
    expect(app.node.tryFindChild(PIPELINE_STACK_ID)).toBeUndefined();
  });

  test('a pipeline section adds the PipelineStack in the tooling account, next to the -c env stages', () => {
    const app = new App({ context: { ...PIPELINE_CONTEXT, env: 'dev' } });
    const stages = buildPlatformApp(app, { validationCacheDirectory: VALIDATION_CACHE_DIRECTORY });
    expect(stages.map((s) => s.stageName)).toEqual(['Dev']);
    const pipeline = app.node.tryFindChild(PIPELINE_STACK_ID) as PipelineStack;
    expect(pipeline).toBeInstanceOf(PipelineStack);
    expect({ account: pipeline.account, region: pipeline.region, stackName: pipeline.stackName }).toEqual({ account: TOOLING_ACCOUNT, region: REGION, stackName: 'ztp-pipeline' });
    expect(pipeline.stages.map((s) => [s.stageName, s.account])).toEqual([['Staging', STAGING_ACCOUNT], ['Prod', PROD_ACCOUNT]]);
  });

  test('without an explicit pipeline account the pipeline lives in the first environment\'s account', () => {
    const { account: _a, region: _r, ...section } = PIPELINE_CONTEXT.pipeline;
    const app = new App({ context: { ...PIPELINE_CONTEXT, pipeline: section } });
    buildPlatformApp(app, { validationCacheDirectory: VALIDATION_CACHE_DIRECTORY });
    expect((app.node.tryFindChild(PIPELINE_STACK_ID) as PipelineStack).account).toBe(STAGING_ACCOUNT);
  });
});
