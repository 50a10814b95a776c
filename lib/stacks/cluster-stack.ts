import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ApplicationNamespace, ARGO_ROLLOUTS_METRICS_PORT, ArgoRollouts, ClusterMetricsScraper, ISTIO_MERGED_METRICS_PORT, IstioMesh, MetricsWorkspace, PlatformCluster } from '@zero-trust/platform-constructs';
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

/** The EKS cluster, its nodes and add-ons, the Istio mesh and the cluster guardrails (application namespaces). */
export class ClusterStack extends Stack {
  readonly platformCluster: PlatformCluster;
  /** The Istio mesh (with the Pod Identity agent's ServiceEntry): gateway identity and name, `ready` to depend on, `addServiceEntry`. */
  readonly mesh: IstioMesh;
  /** Application namespaces from `cluster.namespaces`, by name; services take them as their `namespace` (and wait for `.ready`). */
  readonly namespaces: Readonly<Record<string, ApplicationNamespace>>;
  /** Amazon Managed Service for Prometheus workspace of the environment (analysis queries it). */
  readonly metricsWorkspace: MetricsWorkspace;
  /** AWS managed collector scraping the cluster's annotated pods into `metricsWorkspace`. */
  readonly metricsScraper: ClusterMetricsScraper;
  /** Argo Rollouts (canary and blue-green delivery with analysis), installed after the mesh. */
  readonly argoRollouts: ArgoRollouts;

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
    const { cluster: eksCluster } = this.platformCluster;

    const { mesh } = props.config;
    const ingress = mesh.ingress;
    this.mesh = new IstioMesh(this, 'Mesh', {
      cluster: eksCluster,
      vpc: props.vpc,
      controlPlaneReplicas: mesh.istiodReplicas,
      ingress: {
        internetFacing: ingress.scheme === 'internet-facing',
        allowedSourceCidrs: ingress.scheme === 'internet-facing' ? ingress.allowedCidrs : undefined,
        certificate: ingress.certificateArn ? acm.Certificate.fromCertificateArn(this, 'IngressCertificate', ingress.certificateArn) : undefined,
        hosts: ingress.hosts,
        replicas: mesh.gatewayReplicas,
      },
    });
    // The constructs order themselves: the mesh waits for the node group, each namespace for the
    // mesh's `ready` (which includes the Pod Identity agent's ServiceEntry the mesh adds).
    const namespaces: Record<string, ApplicationNamespace> = {};
    for (const ns of cluster.namespaces) {
      namespaces[ns.name] = new ApplicationNamespace(this, `Namespace-${ns.name}`, { cluster: eksCluster, name: ns.name, quota: ns.quota });
    }
    this.namespaces = namespaces;

    // Progressive delivery: metrics collection and Argo Rollouts, after the mesh.
    this.metricsWorkspace = new MetricsWorkspace(this, 'Metrics', {
      logRetention: retentionOf(cluster.controlPlaneLogRetentionDays),
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
    });
    this.metricsScraper = new ClusterMetricsScraper(this, 'MetricsScraper', {
      cluster: eksCluster,
      vpc: props.vpc,
      workspace: this.metricsWorkspace,
      metricsPorts: [ISTIO_MERGED_METRICS_PORT, ARGO_ROLLOUTS_METRICS_PORT],
      logRetention: retentionOf(cluster.controlPlaneLogRetentionDays),
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
    });
    this.argoRollouts = new ArgoRollouts(this, 'ArgoRollouts', {
      cluster: eksCluster,
      metricsWorkspace: this.metricsWorkspace,
      scrapeSourceCidrs: this.metricsScraper.sourceCidrs,
    });
    this.argoRollouts.node.addDependency(this.mesh.ready);
  }
}
