import { Aws, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PlatformKey } from '../../constructs/compliance';
import { SUBNET_GROUPS } from '../../constructs/network/zero-trust-vpc';
import type { PlatformConfig } from '../config';
import { removalPolicyOf, retentionOf } from '../stacks/config-mapping';
import { SMOKE_TEST_RUNNER_COMMANDS } from './build-commands';

/** Physical names shared by the two halves of the smoke test (they live in different accounts). */
export function smokeTestNames(config: PlatformConfig): { runnerProject: string; starterRole: string; invokerRole: string } {
  return {
    runnerProject: `${config.name}-smoke-tests`,
    starterRole: `${config.name}-smoke-test-starter`,
    invokerRole: `${config.name}-smoke-test-invoker`,
  };
}

export interface SmokeTestStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly vpc: ec2.IVpc;
  /** `https://<internal gateway host>`: the runner calls `<baseUrl>/v1/orders`. */
  readonly baseUrl: string;
  /** Account of the pipeline, whose invoker role may start the runner. */
  readonly pipelineAccount: string;
}

/**
 * The half of the smoke test that lives in the target environment: a CodeBuild project in the
 * environment's Workloads subnets (the internal gateway is reachable only from inside the
 * VPC), and a starter role that the pipeline's invoker role (by exact ARN, from the pipeline
 * account) assumes to start it and read its status. A CodeBuild step in the pipeline account
 * cannot join a VPC of another account, hence the split.
 */
export class SmokeTestStack extends Stack {
  readonly project: codebuild.Project;
  readonly starterRole: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SmokeTestStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = smokeTestNames(config);
    const key = new PlatformKey(this, 'Key', {
      description: `${config.name} smoke tests: build artifacts and logs`,
      removalPolicy: removalPolicyOf(config, { allowSnapshot: false }),
    });
    key.allowCloudWatchLogs();
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: key,
      retention: retentionOf(config.cluster.controlPlaneLogRetentionDays),
      removalPolicy: removalPolicyOf(config, { allowSnapshot: false }),
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${config.name} smoke tests: HTTPS out to the internal gateway and AWS APIs only`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the internal gateway, VPC endpoints and AWS APIs');

    // Everything the runner may do, in one customer managed policy (no inline policies).
    const role = new iam.Role(this, 'RunnerRole', {
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: `${config.name} smoke-test runner`,
    });
    const subnets = props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.workloads });
    const projectArn = this.formatArn({ service: 'codebuild', resource: 'project', resourceName: names.runnerProject });
    const policy = new iam.ManagedPolicy(this, 'RunnerPolicy', {
      description: `${config.name} smoke-test runner: its logs, its key, VPC attachment`,
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
        new iam.PolicyStatement({ sid: 'UseOwnKey', actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }),
        new iam.PolicyStatement({
          sid: 'DescribeVpcForAttachment',
          actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'AttachToWorkloadSubnetsOnly',
          actions: ['ec2:CreateNetworkInterfacePermission'],
          resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:network-interface/*`],
          conditions: {
            StringEquals: { 'ec2:AuthorizedService': 'codebuild.amazonaws.com' },
            ArnEquals: { 'ec2:Subnet': subnets.subnetIds.map((subnetId) => this.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnetId })) },
          },
        }),
      ],
    });
    role.addManagedPolicy(policy);

    this.project = new codebuild.Project(this, 'Runner', {
      projectName: names.runnerProject,
      description: `${config.name}: smoke tests against the internal gateway, started by the delivery pipeline`,
      role: role.withoutPolicyUpdates(),
      vpc: props.vpc,
      subnetSelection: { subnetGroupName: SUBNET_GROUPS.workloads },
      securityGroups: [this.securityGroup],
      encryptionKey: key,
      environment: {
        buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: codebuild.ComputeType.SMALL,
        privileged: false,
        environmentVariables: { BASE_URL: { value: props.baseUrl } },
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: { build: { commands: [...SMOKE_TEST_RUNNER_COMMANDS] } },
      }),
      logging: { cloudWatch: { logGroup } },
      timeout: Duration.minutes(15),
      queuedTimeout: Duration.minutes(15),
    });
    this.project.node.addDependency(policy);
    // CodeBuild adds an inline policy for VPC access; it cannot attach to the immutable role and
    // RunnerPolicy grants the same (subnet-scoped), so drop the unattached construct.
    this.project.node.tryRemoveChild('PolicyDocument');

    this.starterRole = new iam.Role(this, 'StarterRole', {
      roleName: names.starterRole,
      description: `${config.name}: lets the delivery pipeline's smoke-test invoker start the runner and read its status`,
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': `arn:${this.partition}:iam::${props.pipelineAccount}:role/${names.invokerRole}` },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    this.starterRole.addManagedPolicy(new iam.ManagedPolicy(this, 'StarterPolicy', {
      description: `${config.name}: start the smoke-test runner and read its status`,
      statements: [new iam.PolicyStatement({ actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'], resources: [projectArn] })],
    }));
  }
}
