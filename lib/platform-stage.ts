import { Aspects, Stage, Tags, type StageProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KeyAdministrators } from '@zero-trust/platform-constructs';
import type { Construct } from 'constructs';
import type { PlatformConfig } from './config';
import { ClusterStack, DataStack, NetworkStack, ObservabilityStack, WorkloadsStack } from './stacks';

export interface PlatformStageProps extends StageProps {
  readonly config: PlatformConfig;
  /**
   * Accounts whose ECR repositories the environment pulls service images from (the delivery
   * pipeline's): the VPC's ECR endpoints admit pulls from them.
   * @default - none: images of the environment's own account (and the EKS add-ons') only
   */
  readonly imageRegistryAccounts?: string[];
}

/**
 * One environment of the platform, split by lifecycle and blast radius: Network (long-lived),
 * Data (stateful: database and cache), Cluster (churns with Kubernetes upgrades: nodes,
 * add-ons, mesh, guardrails), Workloads (churns with every release: the services) and
 * Observability (dashboards and alarms, deployed after the workloads they watch).
 */
export class PlatformStage extends Stage {
  readonly config: PlatformConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly cluster: ClusterStack;
  readonly workloads: WorkloadsStack;
  readonly observability: ObservabilityStack;

  constructor(scope: Construct, id: string, props: PlatformStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: props.env ?? (config.account ? { account: config.account, region: config.region } : undefined) });
    this.config = config;
    // No context is seeded: ZeroTrustVpc takes the AZ names from config and looks nothing up, so
    // synth stays hermetic (config validation requires the AZ names when a region is set).

    const prefix = config.name;
    this.network = new NetworkStack(this, 'Network', {
      config,
      imageRegistryAccounts: props.imageRegistryAccounts,
      stackName: `${prefix}-network`,
      description: `Zero-trust platform ${config.envName}: VPC, subnets, endpoints, flow logs`,
      terminationProtection: config.envName === 'prod',
    });
    this.data = new DataStack(this, 'Data', {
      config,
      vpc: this.network.vpc,
      stackName: `${prefix}-data`,
      description: `Zero-trust platform ${config.envName}: Aurora PostgreSQL, ElastiCache, their keys and security groups`,
      terminationProtection: config.envName === 'prod',
    });
    this.cluster = new ClusterStack(this, 'Cluster', {
      config,
      vpc: this.network.vpc,
      stackName: `${prefix}-cluster`,
      description: `Zero-trust platform ${config.envName}: EKS cluster, nodes, add-ons`,
      terminationProtection: config.envName === 'prod',
    });

    this.workloads = new WorkloadsStack(this, 'Workloads', {
      config,
      cluster: this.cluster,
      data: this.data,
      stackName: `${prefix}-workloads`,
      description: `Zero-trust platform ${config.envName}: services (Kubernetes objects through cdk8s), their images and identities`,
      terminationProtection: config.envName === 'prod',
    });
    this.observability = new ObservabilityStack(this, 'Observability', {
      config,
      cluster: this.cluster,
      data: this.data,
      workloads: this.workloads,
      stackName: `${prefix}-observability`,
      description: `Zero-trust platform ${config.envName}: alarm topic, service SLO alarms, dashboard and resource alarms`,
      terminationProtection: config.envName === 'prod',
    });
    // Watches what the workloads deploy: after them, so its first evaluation sees them running.
    this.observability.addStackDependency(this.workloads);

    // Every key is administered by its stack's CloudFormation execution role and these roles; none of them uses a key.
    for (const stack of [this.network, this.data, this.cluster, this.workloads, this.observability]) {
      const roles = config.security.keyAdminRoleArns.map((arn, i) => iam.Role.fromRoleArn(stack, `KeyAdministrator${i}`, arn, { mutable: false }));
      Aspects.of(stack).add(new KeyAdministrators(roles));
    }

    Tags.of(this).add('platform:environment', config.envName);
    Tags.of(this).add('owner', config.tags.owner);
    Tags.of(this).add('cost-center', config.tags.costCenter);
    Tags.of(this).add('data-classification', config.tags.dataClassification);
  }
}
