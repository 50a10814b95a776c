import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { PlatformCluster } from '../../constructs/cluster';
import type { PlatformConfig } from '../config';
import { removalPolicyOf, retentionOf } from './config-mapping';

/** kubectl layers by Kubernetes version: the package must match the cluster's minor version. */
const KUBECTL_LAYERS: Readonly<Record<string, (scope: Construct, id: string) => lambda.ILayerVersion>> = {
  '1.36': (scope, id) => new KubectlV36Layer(scope, id),
};

export interface ClusterStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly vpc: ec2.IVpc;
}

/** The EKS cluster, its nodes and add-ons (and, later, the mesh and cluster guardrails). */
export class ClusterStack extends Stack {
  readonly platformCluster: PlatformCluster;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { cluster } = props.config;
    const layerFactory = KUBECTL_LAYERS[cluster.kubernetesVersion];
    this.platformCluster = new PlatformCluster(this, 'Platform', {
      vpc: props.vpc,
      version: eks.KubernetesVersion.of(cluster.kubernetesVersion),
      kubectlLayer: layerFactory(this, 'KubectlLayer'),
      publicEndpointAllowedCidrs: cluster.endpointAccess === 'public-and-private' ? cluster.publicAccessCidrs : [],
      adminRoles: cluster.adminRoleArns.map((arn, i) => iam.Role.fromRoleArn(this, `AdminRole${i}`, arn, { mutable: false })),
      viewerRoles: cluster.viewerRoleArns.map((arn, i) => iam.Role.fromRoleArn(this, `ViewerRole${i}`, arn, { mutable: false })),
      controlPlaneLogRetention: retentionOf(cluster.controlPlaneLogRetentionDays),
      nodePool: {
        instanceTypes: cluster.nodePool.instanceTypes.map((t) => new ec2.InstanceType(t)),
        minSize: cluster.nodePool.minSize,
        desiredSize: cluster.nodePool.desiredSize,
        maxSize: cluster.nodePool.maxSize,
        diskSize: Size.gibibytes(cluster.nodePool.diskSizeGiB),
      },
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
    });
  }
}
