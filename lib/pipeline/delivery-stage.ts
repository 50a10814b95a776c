import type { Construct } from 'constructs';
import { attachComplianceAcknowledgments } from '@zero-trust/platform-constructs';
import { ACKNOWLEDGMENTS } from '../compliance/acknowledgments';
import { PlatformStage, type PlatformStageProps } from '../platform-stage';
import { SmokeTestStack } from './smoke-tests';

export interface DeliveryStageProps extends PlatformStageProps {
  /** `https://<internal gateway host>` of this environment. */
  readonly smokeTestBaseUrl: string;
  /** Account of the pipeline that starts the smoke tests. */
  readonly pipelineAccount: string;
}

/**
 * One environment as the pipeline deploys it: the PlatformStage stacks, plus the in-VPC
 * smoke-test runner the pipeline starts after the deployment (it waits for the sample
 * service's rollout to finish, then tests it over HTTP).
 */
export class DeliveryStage extends PlatformStage {
  readonly smokeTests: SmokeTestStack;

  constructor(scope: Construct, id: string, props: DeliveryStageProps) {
    // The environment pulls the images the pipeline built from the pipeline's account.
    super(scope, id, { ...props, imageRegistryAccounts: [...(props.imageRegistryAccounts ?? []), props.pipelineAccount] });
    const { config } = props;
    this.smokeTests = new SmokeTestStack(this, 'SmokeTests', {
      config,
      vpc: this.network.vpc,
      awsApiEndpoints: this.network.network,
      baseUrl: props.smokeTestBaseUrl,
      pipelineAccount: props.pipelineAccount,
      cluster: this.cluster.platformCluster.cluster,
      rollout: {
        namespace: config.workloads.sample.namespace,
        // StatelessService names the Rollout or Deployment, and the service account, after the service.
        serviceName: this.workloads.sample.serviceAccountName,
        strategy: config.workloads.sample.delivery,
      },
      stackName: `${config.name}-smoke-tests`,
      description: `Zero-trust platform ${config.envName}: in-VPC smoke-test runner started by the delivery pipeline`,
      terminationProtection: config.envName === 'prod',
    });
    // CDK Pipelines synthesizes a stage as soon as it is added to the pipeline, before the
    // app-level compliance gate can attach the acknowledgments to it: attach them here (the
    // library's own, plus this app's registry).
    attachComplianceAcknowledgments(this, ACKNOWLEDGMENTS);
  }
}
