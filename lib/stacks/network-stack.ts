import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ZeroTrustVpc } from '@zero-trust/platform-constructs';
import type { PlatformConfig } from '../config';
import { removalPolicyOf, retentionOf } from './config-mapping';

export interface NetworkStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** Accounts whose ECR repositories the environment pulls images from (e.g. the delivery pipeline's). */
  readonly imageRegistryAccounts?: string[];
}

/** The VPC, its subnets, endpoints and flow logs: long-lived, shared by every other stack. */
export class NetworkStack extends Stack {
  readonly network: ZeroTrustVpc;
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { network } = props.config;
    this.network = new ZeroTrustVpc(this, 'Network', {
      cidr: network.vpcCidr,
      ...(network.availabilityZones ? { availabilityZones: network.availabilityZones } : { maxAzs: network.maxAzs }),
      natGateways: network.natGateways,
      flowLogRetention: retentionOf(network.flowLogRetentionDays),
      organizationId: network.organizationId,
      imageRegistryAccounts: props.imageRegistryAccounts,
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
    });
    this.vpc = this.network.vpc;
  }
}
