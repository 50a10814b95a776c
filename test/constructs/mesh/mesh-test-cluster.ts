import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { PlatformCluster } from '../../../constructs/cluster';
import { ZeroTrustVpc } from '../../../constructs/network';
import { createTestApp } from '../../support/test-app';

/** A gated test app with a stack holding a VPC and a PlatformCluster, for mesh and guardrail tests. */
export function meshTestCluster(id = 'Mesh') {
  const app = createTestApp();
  const stack = new Stack(app, id);
  const network = new ZeroTrustVpc(stack, 'Network', { cidr: '10.50.0.0/16' });
  const platform = new PlatformCluster(stack, 'Platform', {
    vpc: network.vpc,
    version: eks.KubernetesVersion.V1_36,
    kubectlLayer: new KubectlV36Layer(stack, 'KubectlLayer'),
  });
  return { app, stack, vpc: network.vpc, cluster: platform.cluster };
}
