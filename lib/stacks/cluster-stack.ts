import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ApplicationNamespace, ARGO_ROLLOUTS_METRICS_PORT, ArgoRollouts, ISTIO_MERGED_METRICS_PORT, ISTIOD_MONITORING_PORT, IstioMesh, MetricsCollector, MetricsWorkspace, PlatformCluster, TraceCollector } from '@zero-trust/platform-constructs';
import { ContainerLogs, PrivateRegistry } from '@zero-trust/platform-constructs';
import { dockerHubCredentialSecretName, type PlatformConfig } from '../config';
import { removalPolicyOf, retentionOf } from './config-mapping';

/** kubectl layers by Kubernetes version: the package must match the cluster's minor version. */
const KUBECTL_LAYERS: Readonly<Record<string, (scope: Construct, id: string) => lambda.ILayerVersion>> = {
  '1.36': (scope, id) => new KubectlV36Layer(scope, id),
};

/**
 * The sample service's business metrics (services/sample/src/metrics.ts) the collector also
 * publishes to CloudWatch, by the names dashboards read (`cloudWatchMetricName`): orders created and
 * idempotent replays as per-period increases (statistic Sum), the outbox backlog as a gauge.
 */
export const SAMPLE_CLOUDWATCH_METRICS = ['orders_created_total', 'idempotent_replays_total', 'outbox_backlog'] as const;

/**
 * The name of an environment's EKS node role: the pipeline's image repository (another account)
 * admits exactly this role's ARN to pull, so both sides build it here.
 */
export function nodeRoleName(config: Pick<PlatformConfig, 'name'>): string {
  return `${config.name}-cluster-nodes`;
}

export interface ClusterStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly vpc: ec2.IVpc;
}

/** The EKS cluster, its nodes and add-ons, the Istio mesh and the cluster guardrails (application namespaces). */
export class ClusterStack extends Stack {
  /**
   * The environment's private registry (`<name>/...` in ECR): every image the platform's charts run
   * is pulled through its cache, every chart is installed from its mirror (docs/adr/0021).
   */
  readonly registry: PrivateRegistry;
  readonly platformCluster: PlatformCluster;
  /** The Istio mesh (with the Pod Identity agent's ServiceEntry): gateway identity and name, `ready` to depend on, `addServiceEntry`. */
  readonly mesh: IstioMesh;
  /** Application namespaces from `cluster.namespaces`, by name; services take them as their `namespace` (and wait for `.ready`). */
  readonly namespaces: Readonly<Record<string, ApplicationNamespace>>;
  /** Amazon Managed Service for Prometheus workspace of the environment (analysis queries it). */
  readonly metricsWorkspace: MetricsWorkspace;
  /**
   * In-cluster metrics collection (per-node agents and one cluster-state collector) into
   * `metricsWorkspace`, and the selected service metrics and node readiness to CloudWatch.
   * (The AWS managed collector, ClusterMetricsScraper, cannot be relied on with the workspace's
   * customer managed key.)
   */
  readonly metricsCollector: MetricsCollector;
  /** Argo Rollouts (canary and blue-green delivery with analysis), installed after the mesh. */
  readonly argoRollouts: ArgoRollouts;
  /**
   * Every container's stdout/stderr in CloudWatch Logs (Fluent Bit): `applicationLogGroup`,
   * `meshAccessLogGroup` (Envoy access logs) and `platformLogGroup`, named `/<environment>/containers/<kind>`.
   */
  readonly containerLogs: ContainerLogs;
  /** The trace gateway (OpenTelemetry collector to X-Ray): the mesh's proxies report to it; services get `exportFor(namespace)`. */
  readonly traceCollector: TraceCollector;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { cluster } = props.config;
    const layerFactory = KUBECTL_LAYERS[cluster.kubernetesVersion];
    const kubectlLayer = layerFactory(this, 'KubectlLayer');
    // Nothing in the cluster pulls from a public registry: images through ECR's pull through cache
    // (Docker Hub with the environment's credentials), charts from their mirror.
    const { registries } = props.config;
    this.registry = new PrivateRegistry(this, 'Registry', {
      repositoryPrefix: props.config.name,
      upstreamCredentials: {
        'docker-hub': registries.dockerHubCredentialArn
          ? secretsmanager.Secret.fromSecretCompleteArn(this, 'DockerHubCredential', registries.dockerHubCredentialArn)
          : secretsmanager.Secret.fromSecretNameV2(this, 'DockerHubCredential', dockerHubCredentialSecretName(props.config.name)),
      },
      helmLayer: kubectlLayer,
      logRetention: retentionOf(props.config.observability.logRetentionDays),
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
    });
    const registry = this.registry;
    this.platformCluster = new PlatformCluster(this, 'Platform', {
      vpc: props.vpc,
      version: eks.KubernetesVersion.of(cluster.kubernetesVersion),
      kubectlLayer,
      registry,
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
        roleName: nodeRoleName(props.config),
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
      // The gateway samples observability.traceSamplingRatio of the requests; everything after it
      // (sidecars, the services' SDKs) follows the incoming traceparent.
      tracing: TraceCollector.meshTracing(props.config.observability.traceSamplingRatio * 100),
      registry,
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
    this.metricsCollector = new MetricsCollector(this, 'MetricsCollector', {
      cluster: eksCluster,
      vpc: props.vpc,
      workspace: this.metricsWorkspace,
      metricsPorts: [ISTIO_MERGED_METRICS_PORT, ARGO_ROLLOUTS_METRICS_PORT, ISTIOD_MONITORING_PORT],
      cloudWatchMetrics: [...SAMPLE_CLOUDWATCH_METRICS],
      logGroupPrefix: props.config.name,
      logRetention: retentionOf(props.config.observability.logRetentionDays),
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
      registry,
    });
    // istio-system denies by default: istiod admits the metrics agents on its monitoring port.
    this.mesh.allowControlPlaneScrape(this.metricsCollector.scrapeSource);
    // Spans of every application namespace and of the gateway leave the cluster through it; the
    // metrics agents scrape its sidecars' merged endpoint like every meshed pod.
    this.traceCollector = new TraceCollector(this, 'Traces', {
      cluster: eksCluster,
      vpc: props.vpc,
      mesh: this.mesh,
      senders: Object.values(namespaces).map((namespace) => ({ namespace })),
      scrapeSources: [this.metricsCollector.scrapeSource],
      registry,
    });
    this.argoRollouts = new ArgoRollouts(this, 'ArgoRollouts', {
      cluster: eksCluster,
      metricsWorkspace: this.metricsWorkspace,
      scrapeSources: [this.metricsCollector.scrapeSource],
      registry,
    });
    this.argoRollouts.node.addDependency(this.mesh.ready);

    // Container logs to CloudWatch: the application namespaces above are the `application` log group's.
    this.containerLogs = new ContainerLogs(this, 'ContainerLogs', {
      cluster: eksCluster,
      logGroupPrefix: props.config.name,
      vpcCidr: props.config.network.vpcCidr,
      applicationNamespaces: Object.values(namespaces),
      retention: retentionOf(props.config.observability.logRetentionDays),
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
      registry,
    });
  }
}
