import { DefaultStackSynthesizer, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import type { PipelineConfig, PlatformConfig } from '../config';
import { stageId } from '../platform-app';
import { nodeRoleName } from '../stacks/cluster-stack';
import { retentionOf } from '../stacks/config-mapping';
import {
  IMAGE_MANIFEST_DIR,
  INSTALL_TEST_SERVICES,
  serviceImageCommands,
  SMOKE_TEST_INVOKER_COMMANDS,
  synthCommands,
} from './build-commands';
import { PipelineArtifactStore } from './artifact-store';
import { DeliveryStage } from './delivery-stage';
import { IMAGES_CONTEXT_KEY } from './image-context';
import { ServiceImageRepository } from './image-repository';
import { scopeGeneratedPolicies, useSubInActionConfigurations } from './policy-scoping';
import { smokeTestNames, smokeTestTimeouts } from './smoke-tests';

const S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

/** The CDK CLI the pipeline's generated steps install: the one this repository is tested with (never `latest`). */
export const PIPELINE_CDK_CLI_VERSION: string = (require('aws-cdk/package.json') as { version: string }).version;

/** The service the pipeline builds an image for, and its Dockerfile (build context: the repository root). */
export const SAMPLE_SERVICE = { workspace: 'services/sample', dockerfile: 'services/sample/Dockerfile' } as const;

export interface PipelineStackProps extends StackProps {
  /** The validated pipeline section. */
  readonly pipeline: PipelineConfig;
  /** The validated configurations of the environments it deploys, in order. */
  readonly environments: readonly PlatformConfig[];
}

/**
 * The self-mutating delivery pipeline (CDK Pipelines on CodePipeline V2):
 *
 * Source (CodeConnections) -> Build: image step (test, build, push by commit id, scan gate,
 * digest out), then synth (`npm ci`, `npm test` with Postgres and Redis, `cdk synth` with the
 * compliance gate and the image digest) -> UpdatePipeline (self-mutation) -> Assets -> one
 * stage per environment in config order, each deployed to its own account and region and
 * followed by in-VPC smoke tests; a manual approval guards prod.
 */
export class PipelineStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly stages: DeliveryStage[];
  readonly store: PipelineArtifactStore;
  readonly sampleImages: ServiceImageRepository;
  /** The image step: the pipeline's only privileged CodeBuild project (`docker build`). */
  readonly sampleImageStep: pipelines.CodeBuildStep;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { pipeline: config, environments } = props;
    // S3 server access logs delivered through the bucket policy, not the legacy ACL.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.store = new PipelineArtifactStore(this, 'Store', { logRetention: retentionOf(731) });
    this.sampleImages = new ServiceImageRepository(this, 'SampleImages', {
      encryptionKey: this.store.key,
      pullers: environments.map((env) => ({ account: env.account!, nodeRoleName: nodeRoleName(env) })),
    });
    const repository = this.sampleImages.repository;

    const source = pipelines.CodePipelineSource.connection(config.repository, config.branch, {
      connectionArn: config.connectionArn,
      codeBuildCloneOutput: false,
      triggerOnPush: true,
    });
    const commitId = source.sourceAttribute('CommitId');

    const imageStep = this.sampleImageStep = new pipelines.CodeBuildStep('SampleImage', {
      input: source,
      installCommands: [...INSTALL_TEST_SERVICES],
      commands: serviceImageCommands(SAMPLE_SERVICE.workspace, SAMPLE_SERVICE.dockerfile),
      primaryOutputDirectory: 'out',
      env: { COMMIT_ID: commitId },
      buildEnvironment: {
        // The only privileged project: docker build needs the daemon.
        privileged: true,
        computeType: codebuild.ComputeType.MEDIUM,
        environmentVariables: {
          REPOSITORY_URI: { value: repository.repositoryUri },
          REPOSITORY_NAME: { value: repository.repositoryName },
        },
      },
      rolePolicyStatements: [
        new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PushAndInspectSampleImages',
          actions: [
            'ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:CompleteLayerUpload', 'ecr:DescribeImages', 'ecr:DescribeImageScanFindings',
            'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart',
          ],
          resources: [repository.repositoryArn],
        }),
      ],
      timeout: Duration.minutes(45),
    });

    const synth = new pipelines.CodeBuildStep('Synth', {
      input: source,
      additionalInputs: { [IMAGE_MANIFEST_DIR]: imageStep },
      installCommands: [...INSTALL_TEST_SERVICES, 'npm ci --no-audit --no-fund'],
      commands: synthCommands(IMAGES_CONTEXT_KEY),
      primaryOutputDirectory: 'cdk.out',
      buildEnvironment: { computeType: codebuild.ComputeType.LARGE },
      timeout: Duration.minutes(60),
    });

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      selfMutation: true,
      crossAccountKeys: true,
      enableKeyRotation: true,
      artifactBucket: this.store.bucket,
      cliVersion: PIPELINE_CDK_CLI_VERSION,
      publishAssetsInParallel: false,
      useChangeSets: true,
      // Source and approval actions run as the pipeline role instead of one generated role each.
      usePipelineRoleForActions: true,
      synth,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_8_0, computeType: codebuild.ComputeType.SMALL, privileged: false },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          env: { shell: 'bash' },
          // Node 24 (docs/adr/0011): every `npm run`/`npx` after `npm ci` runs the lock-pinned Node 24 of the
          // root devDependency `node` (npm puts node_modules/.bin first on PATH), whatever the image's own Node.
          // The image's Node runs npm itself and the generated self-mutation and asset steps (global
          // aws-cdk / cdk-assets, no `npm ci`): standard:8.0 lists nodejs 24 among its runtimes.
          phases: { install: { 'runtime-versions': { nodejs: 24 } } },
        }),
        logging: { cloudWatch: { logGroup: this.store.logGroup } },
        timeout: Duration.minutes(30),
      },
    });

    const pipelineAccount = this.account;
    this.stages = environments.map((env) => {
      const stage = new DeliveryStage(this, stageId(env.envName), {
        config: env,
        smokeTestBaseUrl: config.smokeTestBaseUrls[env.envName],
        pipelineAccount,
      });
      this.pipeline.addStage(stage, {
        pre: env.envName === 'prod'
          ? [new pipelines.ManualApprovalStep('PromoteToProd', {
            comment: 'Staging is deployed and its smoke tests passed. Approve to deploy this commit (same image digest) to prod.',
          })]
          : [],
        post: [this.smokeTestStep(env, commitId)],
      });
      return stage;
    });

    this.pipeline.buildPipeline();
    // Build artifacts of every project are encrypted with the pipeline key, not the AWS-managed one.
    for (const project of this.node.findAll().filter((c): c is codebuild.CfnProject => c instanceof codebuild.CfnProject)) {
      project.encryptionKey = this.store.key.keyArn;
    }
    scopeGeneratedPolicies(this, { qualifier: DefaultStackSynthesizer.DEFAULT_QUALIFIER });
    useSubInActionConfigurations(this.pipeline.pipeline.node.defaultChild as codepipeline.CfnPipeline);
  }

  /** Runs in the pipeline account and starts the environment's in-VPC runner (see SmokeTestStack). */
  private smokeTestStep(env: PlatformConfig, commitId: string): pipelines.CodeBuildStep {
    const names = smokeTestNames(env);
    const invoker = new iam.Role(this.pipeline, `${stageId(env.envName)}SmokeTestInvoker`, {
      roleName: names.invokerRole,
      description: `Delivery pipeline: starts the ${env.envName} smoke tests in ${env.account}/${env.region}`,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
    });
    const starterRoleArn = `arn:${this.partition}:iam::${env.account}:role/${names.starterRole}`;
    return new pipelines.CodeBuildStep('SmokeTests', {
      role: invoker,
      commands: [...SMOKE_TEST_INVOKER_COMMANDS],
      env: { COMMIT_ID: commitId, STARTER_ROLE_ARN: starterRoleArn, RUNNER_PROJECT: names.runnerProject, TARGET_REGION: env.region! },
      rolePolicyStatements: [new iam.PolicyStatement({ sid: 'AssumeSmokeTestStarter', actions: ['sts:AssumeRole'], resources: [starterRoleArn] })],
      // The runner waits for the rollout (canary steps, blue-green analyses) before its HTTP checks.
      timeout: smokeTestTimeouts(env.workloads.sample.delivery).invoker,
    });
  }
}
