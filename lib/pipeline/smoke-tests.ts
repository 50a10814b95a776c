import { ArnFormat, Aws, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_CANARY_STEPS, type DeliveryStrategy, type IAwsApiEndpoints, PlatformKey, SUBNET_GROUPS } from '@zero-trust/platform-constructs';
import type { PlatformConfig } from '../config';
import { removalPolicyOf, retentionOf } from '../stacks/config-mapping';
import { rolloutWaitCommands, SMOKE_TEST_RUNNER_COMMANDS } from './build-commands';

/** Physical names shared by the two halves of the smoke test (they live in different accounts). */
export function smokeTestNames(config: PlatformConfig): { runnerProject: string; starterRole: string; invokerRole: string } {
  return {
    runnerProject: `${config.name}-smoke-tests`,
    starterRole: `${config.name}-smoke-test-starter`,
    invokerRole: `${config.name}-smoke-test-invoker`,
  };
}

/** Kubernetes group of the runner's access entry; only the namespaced Role below is bound to it. */
export const SMOKE_TEST_READERS_GROUP = 'smoke-test-readers';

/** Pods scheduled, migrations run, replicas ready; Rollouts and Deployments abort after a 10-minute progress deadline. */
const ROLLOUT_MARGIN = Duration.minutes(15);
/** Blue-green: pre- and post-promotion analysis, 5 measurements one minute apart each (StatelessService defaults). */
const BLUE_GREEN_ANALYSIS = Duration.minutes(2 * 5);
/** The HTTP checks after the rollout: readiness retried up to 5 minutes, then three requests; plus attaching to the VPC. */
const HTTP_CHECKS = Duration.minutes(15);
/** How long a runner build may wait in CodeBuild's queue. */
const RUNNER_QUEUED_TIMEOUT = Duration.minutes(15);

/** How long each part of the smoke test may take for a delivery strategy. */
export interface SmokeTestTimeouts {
  /** The runner's wait for the rollout to finish: canary pauses or blue-green analyses, plus a margin. */
  readonly rolloutWait: Duration;
  /** The runner's CodeBuild timeout: the wait plus the HTTP checks. */
  readonly runner: Duration;
  /** The pipeline's invoker step: the runner's queue and run time, plus 5 minutes. */
  readonly invoker: Duration;
}

/**
 * Timeouts derived from the delivery strategy of the sample service: canary, the sum of the
 * pauses of its steps (DEFAULT_CANARY_STEPS, which the Workloads stack uses: 9 min) + 15 min =
 * 24 min; blue-green, both analyses (10 min) + 15 min; rolling, 15 min.
 */
export function smokeTestTimeouts(strategy: DeliveryStrategy): SmokeTestTimeouts {
  const progression = strategy === 'canary'
    ? DEFAULT_CANARY_STEPS.reduce((sum, step) => sum + (step.pauseSeconds ?? 0), 0)
    : strategy === 'blue-green' ? BLUE_GREEN_ANALYSIS.toSeconds() : 0;
  const rolloutWait = Duration.seconds(progression + ROLLOUT_MARGIN.toSeconds());
  const runner = Duration.minutes(Math.ceil((rolloutWait.toSeconds() + HTTP_CHECKS.toSeconds()) / 60));
  const invoker = Duration.minutes(RUNNER_QUEUED_TIMEOUT.toMinutes() + runner.toMinutes() + 5);
  return { rolloutWait, runner, invoker };
}

/** The service whose new version the runner waits for before the HTTP checks. */
export interface SmokeTestRollout {
  /** Namespace the service runs in. */
  readonly namespace: string;
  /** Name of its Rollout or Deployment (StatelessService names them after the service). */
  readonly serviceName: string;
  /** `rolling` (a Deployment) or `canary` / `blue-green` (an Argo Rollout). */
  readonly strategy: DeliveryStrategy;
}

export interface SmokeTestStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly vpc: ec2.IVpc;
  /** The VPC's interface endpoints (the runner's logs, AWS CLI calls): its only way to AWS. */
  readonly awsApiEndpoints: IAwsApiEndpoints;
  /** `https://<internal gateway host>`: the runner calls `<baseUrl>/v1/orders`. */
  readonly baseUrl: string;
  /** Account of the pipeline, whose invoker role may start the runner. */
  readonly pipelineAccount: string;
  /**
   * The environment's cluster: the runner reads the service's rollout status from its private
   * API endpoint. It needs a kubectl provider (the read-only RBAC is applied from this stack).
   */
  readonly cluster: eks.ICluster;
  /** The service whose rollout the runner waits for. */
  readonly rollout: SmokeTestRollout;
}

/**
 * The half of the smoke test that lives in the target environment: a CodeBuild project in the
 * environment's Workloads subnets (the internal gateway is reachable only from inside the
 * VPC), and a starter role that the pipeline's invoker role (by exact ARN, from the pipeline
 * account) assumes to start it and read its status. A CodeBuild step in the pipeline account
 * cannot join a VPC of another account, hence the split.
 *
 * The runner first waits until the service's new version has fully rolled out (every canary
 * step or blue-green analysis passed) and fails on an aborted or degraded rollout, then runs
 * the HTTP checks. For that it reads the cluster API with least privilege: an EKS access entry
 * with no access policy, only the Kubernetes group `smoke-test-readers`, bound by a namespaced
 * Role to get/list/watch that one Rollout or Deployment; the cluster security group admits the
 * runner on 443. The RBAC and the rule live here, with their consumer.
 */
export class SmokeTestStack extends Stack {
  readonly project: codebuild.Project;
  /** The runner's role: its EKS access entry maps it to `smoke-test-readers` only. */
  readonly runnerRole: iam.Role;
  /** The Role and RoleBinding that let `smoke-test-readers` read the service's rollout. */
  readonly readerRbac: eks.KubernetesManifest;
  readonly timeouts: SmokeTestTimeouts;
  readonly starterRole: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  /** The runner role's customer managed policy: its logs, its key, attaching builds to the Workloads subnets. */
  readonly runnerPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: SmokeTestStackProps) {
    super(scope, id, props);
    const { config, rollout } = props;
    const names = smokeTestNames(config);
    this.timeouts = smokeTestTimeouts(rollout.strategy);
    const kind = rollout.strategy === 'rolling' ? 'deployment' : 'rollout';
    const key = new PlatformKey(this, 'Key', {
      description: `${config.name} smoke tests: build artifacts and logs`,
      removalPolicy: removalPolicyOf(config, { allowSnapshot: false }),
    });
    // Named, so the key admits CloudWatch Logs for this log group only.
    const logGroupName = `/aws/codebuild/${names.runnerProject}`;
    const logGroupArn = this.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    key.allowCloudWatchLogs([logGroupArn]);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: key,
      retention: retentionOf(config.cluster.controlPlaneLogRetentionDays),
      removalPolicy: removalPolicyOf(config, { allowSnapshot: false }),
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${config.name} smoke tests: HTTPS out to the internal gateway, the cluster API and AWS APIs only`,
      allowAllOutbound: false,
    });
    // Named peers only, no 0.0.0.0/0 (ADR 0020): the gateway's internal NLB, which the load balancer
    // controller places in the Workloads subnets (its security group is made at runtime, so the
    // subnets' addresses name it); the cluster API; the AWS APIs through the interface endpoints.
    const workloadSubnets = props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.workloads }).subnets;
    workloadSubnets.forEach((subnet) => this.securityGroup.addEgressRule(ec2.Peer.ipv4(subnet.ipv4CidrBlock), ec2.Port.tcp(443), `HTTPS to the internal gateway's load balancer in ${subnet.ipv4CidrBlock}`));
    this.securityGroup.addEgressRule(ec2.Peer.securityGroupId(props.cluster.clusterSecurityGroupId), ec2.Port.tcp(443), 'HTTPS to the cluster API (private endpoint)');
    this.securityGroup.addEgressRule(props.awsApiEndpoints.endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to AWS APIs through the VPC interface endpoints (logs)');
    // The cluster security group (on the API endpoint's network interfaces) admits the runner on 443.
    new ec2.CfnSecurityGroupIngress(this, 'ClusterApiFromRunner', {
      groupId: props.cluster.clusterSecurityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: `${config.name} smoke-test runner to the cluster API (reads the ${rollout.namespace}/${rollout.serviceName} rollout status)`,
    });

    // Everything the runner may do, in one customer managed policy (no inline policies).
    const role = new iam.Role(this, 'RunnerRole', {
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: `${config.name} smoke-test runner`,
    });
    this.runnerRole = role;
    // Cluster access: no EKS access policy, only a Kubernetes group that RBAC below lets read one
    // object in one namespace. (eks.AccessEntry requires access policies and has no groups.)
    // `aws eks get-token` only presigns sts:GetCallerIdentity: the role needs no EKS permission.
    new eks.CfnAccessEntry(this, 'RunnerClusterAccess', {
      clusterName: props.cluster.clusterName,
      principalArn: role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [SMOKE_TEST_READERS_GROUP],
    });
    const cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: props.cluster.clusterName,
      kubectlProvider: props.cluster.kubectlProvider,
    });
    const rbacName = `${rollout.serviceName}-smoke-test-reader`;
    this.readerRbac = cluster.addManifest('ReaderRbac', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: rbacName, namespace: rollout.namespace },
      rules: [
        { apiGroups: ['argoproj.io'], resources: ['rollouts'], resourceNames: [rollout.serviceName], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [rollout.serviceName], verbs: ['get', 'list', 'watch'] },
      ],
    }, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: rbacName, namespace: rollout.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rbacName },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: SMOKE_TEST_READERS_GROUP }],
    });
    const subnets = props.vpc.selectSubnets({ subnetGroupName: SUBNET_GROUPS.workloads });
    const projectArn = this.formatArn({ service: 'codebuild', resource: 'project', resourceName: names.runnerProject });
    // Attached from the policy's side (its Roles), not the role's: the key policy names the role (the
    // project's grant on its key), so a role that depended on this policy (its logs, its key) would cycle.
    const policy = this.runnerPolicy = new iam.ManagedPolicy(this, 'RunnerPolicy', {
      description: `${config.name} smoke-test runner: its logs, its key, VPC attachment`,
      roles: [role],
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

    this.project = new codebuild.Project(this, 'Runner', {
      projectName: names.runnerProject,
      description: `${config.name}: smoke tests against the internal gateway, started by the delivery pipeline`,
      role: role.withoutPolicyUpdates(),
      vpc: props.vpc,
      subnetSelection: { subnetGroupName: SUBNET_GROUPS.workloads },
      securityGroups: [this.securityGroup],
      encryptionKey: key,
      environment: {
        // Runs only bash, curl, jq and the AWS CLI: no Node is started, so no runtime-versions pin (a
        // test keeps node/npm/npx out of its commands; docs/adr/0011).
        buildImage: codebuild.LinuxBuildImage.STANDARD_8_0,
        computeType: codebuild.ComputeType.SMALL,
        privileged: false,
        environmentVariables: {
          BASE_URL: { value: props.baseUrl },
          CLUSTER_NAME: { value: props.cluster.clusterName },
          CLUSTER_ENDPOINT: { value: props.cluster.clusterEndpoint },
          CLUSTER_CA_DATA: { value: props.cluster.clusterCertificateAuthorityData },
          ROLLOUT_NAMESPACE: { value: rollout.namespace },
          ROLLOUT_NAME: { value: rollout.serviceName },
          ROLLOUT_TIMEOUT_SECONDS: { value: String(this.timeouts.rolloutWait.toSeconds()) },
        },
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        // Wait for the rollout first: the HTTP checks then test the version that fully replaced the old one.
        phases: { build: { commands: [...rolloutWaitCommands(kind), ...SMOKE_TEST_RUNNER_COMMANDS] } },
      }),
      logging: { cloudWatch: { logGroup } },
      timeout: this.timeouts.runner,
      queuedTimeout: RUNNER_QUEUED_TIMEOUT,
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
