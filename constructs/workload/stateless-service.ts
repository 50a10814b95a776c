import { Duration as CdkDuration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { managedPolicyGrantee } from '../core/managed-policy-grantee';
import { isDns1035Label, isDns1123Label, isIntBetween, validationFailure } from '../core/validation';
import type { IPostgresDatabase, IRedisCache } from '../data';
import { DEFAULT_CANARY_STEPS, type CanaryStepSettings, type DeliveryStrategy, type ProgressiveDeliverySettings, type ServiceAnalysisSettings } from '../delivery/service-analysis';
import type { IMetricsWorkspace } from '../observability/metrics-workspace';
import { ISTIO_MERGED_METRICS_PORT } from '../observability/cluster-metrics-scraper';
import type { ServiceImage } from './service-image';
import { StatelessServiceChart, type EgressDestination, type GatewayRoute, type MetricsScrape, type ServiceTrafficPolicy } from './stateless-service-chart';

/** Postgres the service uses: it logs in as `user` with IAM tokens over TLS. */
export interface PostgresDependency {
  readonly database: IPostgresDatabase;
  /** Database role the service logs in as (created by DatabaseBootstrap); never the master user. */
  readonly user: string;
  /** Subnets the database lives in (its NetworkPolicy and ServiceEntry addresses). */
  readonly subnets: ec2.ISubnet[];
}

/** A cache the service uses: it connects as the cache's IAM-authenticated application user. */
export interface CacheDependency {
  readonly cache: IRedisCache;
  /** Subnets the cache lives in (its NetworkPolicy and ServiceEntry addresses). */
  readonly subnets: ec2.ISubnet[];
}

/** Resources of each pod (the app container; the migration init container gets the same). */
export interface ServiceResources {
  /** @default 250 */
  readonly cpuRequestMillis?: number;
  /** @default 1000 */
  readonly cpuLimitMillis?: number;
  /** @default 256 */
  readonly memoryRequestMiB?: number;
  /** @default - same as the request: memory is not overcommitted */
  readonly memoryLimitMiB?: number;
}

/** Who may call the service through the mesh ingress gateway. */
export interface GatewayExposure {
  /** The Istio Gateway to bind to, `<namespace>/<name>`. */
  readonly gateway: string;
  /** Namespace of the gateway pods. */
  readonly namespace: string;
  /** Labels selecting the gateway pods. */
  readonly podLabels: Record<string, string>;
  /** SPIFFE principal of the gateway's service account, `cluster.local/ns/<ns>/sa/<sa>`. */
  readonly principal: string;
  /** Host names routed to the service. */
  readonly hosts: string[];
  /**
   * Path prefixes routed to and allowed on the service.
   * @default ['/v1/']
   */
  readonly pathPrefixes?: string[];
  /**
   * HTTP methods allowed from the gateway.
   * @default ['GET', 'POST']
   */
  readonly methods?: string[];
}

/** Where the service's metrics are collected and queried. */
export interface DeliveryMetrics {
  /** The workspace the scraper writes to and analysis queries (SigV4, Argo's own credentials). */
  readonly workspace: IMetricsWorkspace;
  /** CIDRs the metrics scraper connects from (`ClusterMetricsScraper.sourceCidrs`). */
  readonly scrapeSourceCidrs: string[];
  /**
   * Path of the service's Prometheus endpoint on its HTTP port.
   * @default '/metrics'
   */
  readonly path?: string;
}

/** What makes a new version bad enough to roll back. */
export interface AnalysisOptions {
  /**
   * Largest share of 5xx responses (of `http_server_request_duration_seconds`) tolerated.
   * @default 0.01
   */
  readonly maxErrorRatio?: number;
  /**
   * Largest p99 request duration tolerated, in milliseconds.
   * @default 500
   */
  readonly maxP99LatencyMs?: number;
  /**
   * Time between measurements (whole minutes or seconds, at least the 30 s scrape interval).
   * @default Duration.minutes(1)
   */
  readonly interval?: CdkDuration;
  /**
   * Failed measurements tolerated per metric; one more aborts the rollout.
   * @default 1
   */
  readonly failureLimit?: number;
  /**
   * Measurements of a blue-green analysis (before and after promotion).
   * @default 5
   */
  readonly measurements?: number;
}

/** One canary step: the traffic weight, then a pause while the analysis watches. */
export interface CanaryStepOptions {
  /** Percentage of requests sent to the new version (1 to 100). */
  readonly weight: number;
  /** @default - no pause (use for the final 100) */
  readonly pause?: CdkDuration;
}

/** How new versions replace old ones. */
export interface ServiceDelivery {
  /**
   * `rolling` (a Deployment), or `canary` / `blue-green` (an Argo Rollout whose analysis on the
   * service's metrics aborts and rolls back a bad version automatically).
   * @default 'rolling'
   */
  readonly strategy?: DeliveryStrategy;
  /**
   * Metrics collection and the workspace analysis queries. Required for canary and blue-green;
   * with rolling, it makes the pods scrapeable.
   * @default - pods not scraped (rolling only)
   */
  readonly metrics?: DeliveryMetrics;
  /** @default - see AnalysisOptions */
  readonly analysis?: AnalysisOptions;
  /**
   * Canary steps, weights increasing to 100.
   * @default 10% for 2 min, 25% for 2 min, 50% for 5 min, 100%
   */
  readonly canarySteps?: CanaryStepOptions[];
  /**
   * Blue-green: how long the previous version stays up after promotion, so a failed
   * post-promotion analysis switches traffic back at once.
   * @default Duration.minutes(10)
   */
  readonly rollbackWindow?: CdkDuration;
}

export interface StatelessServiceProps {
  /** The cluster to run on; the manifests are applied from this construct's stack. */
  readonly cluster: eks.ICluster;
  /** Namespace the service runs in; it must exist and carry the platform guardrails. */
  readonly namespace: string;
  /**
   * Service name (RFC 1035 label: a DNS-1123 label starting with a letter, as Kubernetes requires of
   * Service names): names the Kubernetes objects, the service account and the database/cache rules.
   */
  readonly serviceName: string;
  /** The image, by digest or immutable tag. */
  readonly image: ServiceImage;
  /**
   * Port the container serves HTTP on.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Arguments of the serving container.
   * @default [] - the image's default command serves
   */
  readonly args?: string[];
  /**
   * Arguments of an init container that applies schema migrations before the new version
   * serves (it must be idempotent and safe with many replicas).
   * @default - no migration step
   */
  readonly migrationArgs?: string[];
  /**
   * Environment variables (no secrets: AWS access comes from Pod Identity, database and cache
   * logins from IAM tokens).
   * @default - none besides AWS_REGION
   */
  readonly environment?: Record<string, string>;
  /** @default 2 (at least 2: one pod is never a service) */
  readonly minReplicas?: number;
  /** @default 4 x minReplicas */
  readonly maxReplicas?: number;
  /** @default 70 */
  readonly targetCpuUtilizationPercent?: number;
  /** @default - see ServiceResources */
  readonly resources?: ServiceResources;
  /**
   * Probe paths.
   * @default startup and liveness `/livez`, readiness `/readyz`
   */
  readonly probes?: { readonly startupPath?: string; readonly readinessPath?: string; readonly livenessPath?: string };
  /**
   * Sleep before the container gets SIGTERM, while endpoints and proxies stop routing to it.
   * @default Duration.seconds(5)
   */
  readonly preStopSleep?: CdkDuration;
  /**
   * How long the service needs after SIGTERM to finish in-flight work (its own drain).
   * @default Duration.seconds(20)
   */
  readonly drainTimeout?: CdkDuration;
  /**
   * Grace period before SIGKILL; must exceed preStopSleep + drainTimeout.
   * @default preStopSleep + drainTimeout + 5 seconds
   */
  readonly terminationGracePeriod?: CdkDuration;
  /** @default - no database */
  readonly postgres?: PostgresDependency;
  /** @default - no cache */
  readonly cache?: CacheDependency;
  /** @default - not exposed at the ingress gateway */
  readonly gateway?: GatewayExposure;
  /**
   * The peer that stands for the cluster's pods on the AWS side (with the VPC CNI, pods use the
   * cluster security group): the database and cache admit it on their ports.
   * @default - the cluster's `connections`
   */
  readonly podSecurityGroup?: ec2.ISecurityGroup;
  /** @default DEFAULT_TRAFFIC_POLICY */
  readonly traffic?: Partial<ServiceTrafficPolicy>;
  /** @default - rolling update of a Deployment, pods not scraped */
  readonly delivery?: ServiceDelivery;
}

/** Mesh traffic policy defaults: bounded, and only idempotent-safe retries. */
export const DEFAULT_TRAFFIC_POLICY: ServiceTrafficPolicy = {
  requestTimeout: cdk8s.Duration.seconds(10),
  retryAttempts: 2,
  perTryTimeout: cdk8s.Duration.seconds(3),
  // Failures before the app answered, and 503 (overloaded or draining pod). POST is safe to
  // retry only because the API is idempotent (Idempotency-Key): the service contract.
  retryOn: 'connect-failure,refused-stream,unavailable,cancelled,503',
  maxConnections: 1024,
  maxPendingRequests: 256,
  consecutive5xxErrors: 5,
  maxEjectionPercent: 50,
};


/**
 * Runs a stateless HTTP service on the platform, built with cdk8s and cdk8s-plus-27:
 *
 * - a Deployment (≥2 replicas spread over zones, startup/readiness/liveness probes, requests and
 *   limits, Pod Security "restricted", no service-account token, preStop sleep and a grace period
 *   longer than the drain, an immutable image), a Service, an HPA and a PodDisruptionBudget;
 * - an optional migration init container: the new version serves only once migrations ran;
 * - identity: a ServiceAccount bound by EKS Pod Identity to a role that can only `rds-db:connect`
 *   as its own database user and `elasticache:Connect` as its cache user;
 * - traffic from declarations: NetworkPolicies (from the gateway, to the database and cache
 *   subnets, to the Pod Identity agent), an Istio VirtualService (timeout, bounded retries), a
 *   DestinationRule (ISTIO_MUTUAL, outlier detection, connection-pool limits), an
 *   AuthorizationPolicy allowing only the gateway principal on the declared methods and paths,
 *   and ServiceEntries for the database and cache (the mesh is REGISTRY_ONLY);
 * - AWS side: the database and cache security groups admit the cluster's pods on their ports.
 */
export class StatelessService extends Construct {
  /** The role the service's pods assume through EKS Pod Identity. */
  readonly role: iam.Role;
  /** The cdk8s chart with every Kubernetes object of the service. */
  readonly chart: StatelessServiceChart;
  /** The manifest resource that applies the chart. */
  readonly manifest: eks.KubernetesManifest;
  /** Name of the Kubernetes ServiceAccount. */
  readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, props: StatelessServiceProps) {
    super(scope, id);
    const settings = resolveSettings(this, props);
    const stack = Stack.of(this);
    this.serviceAccountName = props.serviceName;

    // Identity: EKS Pod Identity (no OIDC provider, no token in the pod spec).
    this.role = new iam.Role(this, 'PodRole', {
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com'),
      description: `Pods of ${props.serviceName} (${props.namespace}) through EKS Pod Identity`,
    });
    (this.role.assumeRolePolicy as iam.PolicyDocument).addStatements(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('pods.eks.amazonaws.com')],
      actions: ['sts:TagSession'],
    }));
    // Grants land in a customer managed policy, never inline.
    const grantee = managedPolicyGrantee(this.role, () => new iam.ManagedPolicy(this, 'PodPolicy', {
      description: `${props.serviceName}: connect to its own database and cache users`,
      roles: [this.role],
    }));
    new eks.CfnPodIdentityAssociation(this, 'PodIdentity', {
      clusterName: props.cluster.clusterName,
      namespace: props.namespace,
      serviceAccount: this.serviceAccountName,
      roleArn: this.role.roleArn,
    });

    const podPeer = props.podSecurityGroup ?? props.cluster.connections.securityGroups[0];
    const egress: EgressDestination[] = [];
    if (props.postgres) {
      props.postgres.database.grantConnect(grantee, props.postgres.user);
      this.admitPods('Postgres', props.postgres.database, props.postgres.database.port, podPeer);
      egress.push({ name: 'postgres', host: props.postgres.database.clusterEndpoint.hostname, port: props.postgres.database.port, cidrs: props.postgres.subnets.map((s) => s.ipv4CidrBlock) });
    }
    if (props.cache) {
      props.cache.cache.grantConnect(grantee);
      this.admitPods('Cache', props.cache.cache, props.cache.cache.primaryEndpoint.port, podPeer);
      egress.push({ name: 'cache', host: props.cache.cache.primaryEndpoint.hostname, port: props.cache.cache.primaryEndpoint.port, cidrs: props.cache.subnets.map((s) => s.ipv4CidrBlock) });
    }

    const gatewayRoute: GatewayRoute | undefined = props.gateway && {
      gateway: props.gateway.gateway,
      gatewayNamespace: props.gateway.namespace,
      gatewayPodLabels: props.gateway.podLabels,
      gatewayPrincipal: props.gateway.principal,
      hosts: props.gateway.hosts,
      pathPrefixes: props.gateway.pathPrefixes ?? ['/v1/'],
      methods: props.gateway.methods ?? ['GET', 'POST'],
    };
    this.chart = new StatelessServiceChart(new cdk8s.App(), 'Chart', {
      serviceName: props.serviceName,
      namespace: props.namespace,
      image: props.image.imageUri,
      version: props.image.version,
      port: settings.port,
      args: props.args ?? [],
      migrationArgs: props.migrationArgs,
      environment: { AWS_REGION: stack.region, ...props.environment },
      serviceAccountName: this.serviceAccountName,
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      targetCpuUtilizationPercent: settings.targetCpuUtilizationPercent,
      ...settings.resources,
      startupProbePath: props.probes?.startupPath ?? '/livez',
      readinessProbePath: props.probes?.readinessPath ?? '/readyz',
      livenessProbePath: props.probes?.livenessPath ?? '/livez',
      preStopSleep: cdk8s.Duration.seconds(settings.preStopSleep.toSeconds()),
      terminationGracePeriod: cdk8s.Duration.seconds(settings.terminationGracePeriod.toSeconds()),
      egress,
      gatewayRoute,
      meshCallers: [],
      traffic: { ...DEFAULT_TRAFFIC_POLICY, ...props.traffic },
      delivery: settings.delivery,
      metricsScrape: settings.metricsScrape,
    });

    // Apply from this construct's stack through an imported handle of the cluster: the
    // service's objects then churn with its own stack, never with the cluster's.
    const cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: props.cluster.clusterName,
      kubectlProvider: props.cluster.kubectlProvider,
    });
    this.manifest = cluster.addCdk8sChart('Chart', this.chart);
  }

  /** The dependency's security group admits the pods; the rule lives here, with the consumer. */
  private admitPods(id: string, dependency: ec2.IConnectable, port: number, pods: ec2.ISecurityGroup): void {
    dependency.connections.securityGroups.forEach((group, i) => new ec2.CfnSecurityGroupIngress(this, `${id}Ingress${i}`, {
      groupId: group.securityGroupId,
      sourceSecurityGroupId: pods.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `${this.node.path}: pods of the cluster to ${id.toLowerCase()}`,
    }));
  }
}

interface ResolvedSettings {
  readonly port: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetCpuUtilizationPercent: number;
  readonly resources: { cpuRequestMillis: number; cpuLimitMillis: number; memoryRequestMiB: number; memoryLimitMiB: number };
  readonly preStopSleep: CdkDuration;
  readonly terminationGracePeriod: CdkDuration;
  readonly delivery?: ProgressiveDeliverySettings;
  readonly metricsScrape?: MetricsScrape;
}

function resolveSettings(scope: Construct, props: StatelessServiceProps): ResolvedSettings {
  const fail = validationFailure('StatelessService', scope.node.path);
  if (!props.cluster.kubectlProvider) fail('the cluster has no kubectl provider, so manifests cannot be applied. Fix: pass a cluster created with kubectlProviderOptions (PlatformCluster does).');
  if (!isDns1035Label(props.serviceName)) fail(`serviceName "${props.serviceName}" is not an RFC 1035 label, which Kubernetes requires of Service names. Fix: lowercase letters, digits and "-", at most 63, starting with a letter.`);
  // The same rule as ApplicationNamespace's name: any namespace the platform can create is accepted here.
  if (!Token.isUnresolved(props.namespace) && !isDns1123Label(props.namespace)) fail(`namespace "${props.namespace}" is not a DNS-1123 label. Fix: use the name of a platform application namespace.`);
  const port = props.port ?? 8080;
  if (!isIntBetween(port, 1024, 65535)) fail(`port ${port} must be an unprivileged port (1024 to 65535): the container runs as non-root without capabilities.`);
  const minReplicas = props.minReplicas ?? 2;
  if (!isIntBetween(minReplicas, 2, 100)) fail(`minReplicas ${minReplicas} must be between 2 and 100: one replica is a single point of failure.`);
  const maxReplicas = props.maxReplicas ?? minReplicas * 4;
  if (!isIntBetween(maxReplicas, minReplicas, 1000)) fail(`maxReplicas ${maxReplicas} must be between minReplicas (${minReplicas}) and 1000.`);
  const targetCpuUtilizationPercent = props.targetCpuUtilizationPercent ?? 70;
  if (!isIntBetween(targetCpuUtilizationPercent, 10, 95)) fail(`targetCpuUtilizationPercent ${targetCpuUtilizationPercent} must be between 10 and 95.`);
  const r = props.resources ?? {};
  const memoryRequestMiB = r.memoryRequestMiB ?? 256;
  const resources = {
    cpuRequestMillis: r.cpuRequestMillis ?? 250,
    cpuLimitMillis: r.cpuLimitMillis ?? 1000,
    memoryRequestMiB,
    memoryLimitMiB: r.memoryLimitMiB ?? memoryRequestMiB,
  };
  if (!(isIntBetween(resources.cpuRequestMillis, 10, 64_000) && resources.cpuLimitMillis >= resources.cpuRequestMillis)) {
    fail(`resources cpu request ${resources.cpuRequestMillis}m / limit ${resources.cpuLimitMillis}m: the request must be 10m to 64000m and the limit at least the request.`);
  }
  if (!(isIntBetween(resources.memoryRequestMiB, 32, 262_144) && resources.memoryLimitMiB >= resources.memoryRequestMiB)) {
    fail(`resources memory request ${resources.memoryRequestMiB}Mi / limit ${resources.memoryLimitMiB}Mi: the request must be 32Mi to 256Gi and the limit at least the request.`);
  }
  const preStopSleep = props.preStopSleep ?? CdkDuration.seconds(5);
  const drainTimeout = props.drainTimeout ?? CdkDuration.seconds(20);
  const minimumGrace = preStopSleep.toSeconds() + drainTimeout.toSeconds();
  const terminationGracePeriod = props.terminationGracePeriod ?? CdkDuration.seconds(minimumGrace + 5);
  if (terminationGracePeriod.toSeconds() <= minimumGrace) {
    fail(`terminationGracePeriod ${terminationGracePeriod.toSeconds()}s must be longer than preStopSleep + drainTimeout (${minimumGrace}s), or in-flight requests are killed. Fix: raise it above ${minimumGrace}s or leave it unset.`);
  }
  if (props.postgres && props.postgres.subnets.length === 0) fail('postgres.subnets is empty: the NetworkPolicy and ServiceEntry need the subnets the database lives in.');
  if (props.cache && props.cache.subnets.length === 0) fail('cache.subnets is empty: the NetworkPolicy and ServiceEntry need the subnets the cache lives in.');
  return { port, minReplicas, maxReplicas, targetCpuUtilizationPercent, resources, preStopSleep, terminationGracePeriod, ...resolveDelivery(fail, props.delivery) };
}

const STRATEGIES: readonly DeliveryStrategy[] = ['rolling', 'canary', 'blue-green'];

function resolveDelivery(fail: (message: string) => never, delivery: ServiceDelivery | undefined): Pick<ResolvedSettings, 'delivery' | 'metricsScrape'> {
  if (!delivery) return {};
  const strategy = delivery.strategy ?? 'rolling';
  if (!STRATEGIES.includes(strategy)) fail(`delivery.strategy "${strategy}" is not one of ${STRATEGIES.join(', ')}.`);
  const metrics = delivery.metrics;
  if (metrics && metrics.scrapeSourceCidrs.length === 0) fail('delivery.metrics.scrapeSourceCidrs is empty: the pods\' NetworkPolicy must admit the scraper. Fix: pass ClusterMetricsScraper.sourceCidrs.');
  const metricsScrape: MetricsScrape | undefined = metrics && { path: metrics.path ?? '/metrics', scrapePort: ISTIO_MERGED_METRICS_PORT, sourceCidrs: metrics.scrapeSourceCidrs };
  if (strategy === 'rolling') return { metricsScrape };
  if (!metrics) fail(`delivery.strategy "${strategy}" needs delivery.metrics: the analysis that rolls a bad version back reads the service's metrics. Fix: pass the metrics workspace and the scraper's source CIDRs.`);

  const a = delivery.analysis ?? {};
  const interval = a.interval ?? CdkDuration.minutes(1);
  const analysis: ServiceAnalysisSettings = {
    maxErrorRatio: a.maxErrorRatio ?? 0.01,
    maxP99LatencyMs: a.maxP99LatencyMs ?? 500,
    intervalSeconds: interval.toSeconds(),
    failureLimit: a.failureLimit ?? 1,
    consecutiveErrorLimit: 3,
    count: a.measurements ?? 5,
  };
  if (!(analysis.maxErrorRatio > 0 && analysis.maxErrorRatio < 1)) fail(`delivery.analysis.maxErrorRatio ${analysis.maxErrorRatio} must be between 0 and 1 (exclusive), e.g. 0.01 for 1%.`);
  if (!isIntBetween(analysis.maxP99LatencyMs, 1, 60_000)) fail(`delivery.analysis.maxP99LatencyMs ${analysis.maxP99LatencyMs} must be a whole number of milliseconds from 1 to 60000.`);
  if (!isIntBetween(analysis.intervalSeconds, 30, 3600)) fail(`delivery.analysis.interval ${analysis.intervalSeconds}s must be 30s to 1h: metrics are scraped every 30s.`);
  if (!isIntBetween(analysis.failureLimit, 0, 10)) fail(`delivery.analysis.failureLimit ${analysis.failureLimit} must be a whole number from 0 to 10.`);
  if (!isIntBetween(analysis.count!, 1, 60)) fail(`delivery.analysis.measurements ${analysis.count} must be a whole number from 1 to 60.`);

  const steps: CanaryStepSettings[] = delivery.canarySteps
    ? delivery.canarySteps.map((s) => ({ weight: s.weight, pauseSeconds: s.pause?.toSeconds() }))
    : [...DEFAULT_CANARY_STEPS];
  if (strategy === 'canary') validateCanarySteps(fail, steps, analysis.intervalSeconds);
  const rollbackWindow = (delivery.rollbackWindow ?? CdkDuration.minutes(10)).toSeconds();
  if (!isIntBetween(rollbackWindow, 30, 3600)) fail(`delivery.rollbackWindow ${rollbackWindow}s must be 30s to 1h: the previous version must outlive the post-promotion analysis.`);

  return {
    metricsScrape,
    delivery: {
      strategy,
      prometheus: { address: metrics!.workspace.prometheusEndpoint, region: metrics!.workspace.region },
      analysis,
      canarySteps: steps,
      scaleDownDelaySeconds: rollbackWindow,
    },
  };
}

function validateCanarySteps(fail: (message: string) => never, steps: CanaryStepSettings[], intervalSeconds: number): void {
  const shown = JSON.stringify(steps.map((s) => s.weight));
  if (steps.length === 0) fail('delivery.canarySteps is empty. Fix: list weights increasing to 100, e.g. 10, 25, 50, 100.');
  steps.forEach((step, i) => {
    if (!isIntBetween(step.weight, 1, 100)) fail(`delivery.canarySteps weight ${step.weight} must be a whole percentage from 1 to 100.`);
    if (i > 0 && step.weight <= steps[i - 1].weight) fail(`delivery.canarySteps weights ${shown} must increase step by step.`);
    if (step.pauseSeconds !== undefined && step.pauseSeconds < intervalSeconds) {
      fail(`delivery.canarySteps pause of ${step.pauseSeconds}s after ${step.weight}% is shorter than the analysis interval (${intervalSeconds}s): the step would pass unmeasured.`);
    }
  });
  if (steps[steps.length - 1].weight !== 100) fail(`delivery.canarySteps weights ${shown} must end at 100.`);
  if (steps.slice(0, -1).some((s) => s.pauseSeconds === undefined)) fail('delivery.canarySteps: every step before the last needs a pause, or the analysis never sees that weight.');
}
