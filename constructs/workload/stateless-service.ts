import { Duration as CdkDuration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { ApplicationNamespace } from '../cluster/application-namespace';
import { isReservedNamespaceName } from '../cluster/limits';
import { describeCluster, findInApp, sameCluster } from '../core/composition';
import { managedPolicyGrantee } from '../core/managed-policy-grantee';
import { PodIdentityRole } from '../core/pod-identity-role';
import { describeValue, isDns1035Label, isIntBetween, validationFailure } from '../core/validation';
import type { IPostgresDatabase, IRedisCache } from '../data';
import { subnetCidrs } from '../data/placement';
import { DEFAULT_CANARY_STEPS, DELIVERY_STRATEGIES, PREVIEW_CHECK_ENVIRONMENT, type CanaryStepSettings, type DeliveryStrategy, type PreviewCheckSettings, type ProgressiveDeliverySettings, type ServiceAnalysisSettings } from '../delivery/service-analysis';
import type { IMetricsWorkspace } from '../observability/metrics-workspace';
import { validateScrapeSources, type MetricsScrapeSource } from '../observability/scrape-source';
import type { TraceExport } from '../observability/trace-collector';
import { ISTIO_MERGED_METRICS_PORT } from '../observability/cluster-metrics-scraper';
import { SERVICE_MAX_REPLICAS, SERVICE_MIN_REPLICAS } from './limits';
import { allowClusterTraffic } from './pod-security-group';
import type { ServiceImage } from './service-image';
import { previewCheckName, StatelessServiceChart, type EgressDestination, type GatewayRoute, type MetricsScrape, type ServiceTrafficPolicy, type TraceEgress } from './stateless-service-chart';

/** Probe paths of a StatelessService unless `probes` says otherwise (monitoring leaves them out of user traffic). */
export const DEFAULT_PROBE_PATHS = { startup: '/livez', readiness: '/readyz', liveness: '/livez' } as const;
/** Path of the service's Prometheus endpoint unless `delivery.metrics.path` says otherwise. */
export const DEFAULT_METRICS_PATH = '/metrics';

/**
 * Postgres the service uses: it logs in as `user` with IAM tokens over TLS. The NetworkPolicy and
 * ServiceEntry address the database's own subnets (`database.subnets`); no other subnets can be
 * given (the former `subnets` prop is refused).
 */
export interface PostgresDependency {
  /** The database: a `PostgresDatabase`, or one imported with `PostgresDatabase.fromDatabaseAttributes`. */
  readonly database: IPostgresDatabase;
  /** Database role the service logs in as (created by DatabaseBootstrap); never the master user. */
  readonly user: string;
}

/**
 * A cache the service uses: it connects as the cache's IAM-authenticated application user. The
 * NetworkPolicy and ServiceEntry address the cache's own subnets (`cache.subnets`); no other
 * subnets can be given (the former `subnets` prop is refused).
 */
export interface CacheDependency {
  /** The cache: a `RedisCache`, or one imported with `RedisCache.fromCacheAttributes`. */
  readonly cache: IRedisCache;
}

/** Resources of each pod (the app container; the migration init container gets the same). */
export interface ServiceResources {
  /**
   * CPU request of the service container, in millicores.
   * @default 250
   */
  readonly cpuRequestMillis?: number;
  /**
   * CPU limit of the service container, in millicores.
   * @default 1000
   */
  readonly cpuLimitMillis?: number;
  /**
   * Memory request of the service container, in MiB.
   * @default 256
   */
  readonly memoryRequestMiB?: number;
  /**
   * Memory limit of the service container, in MiB.
   * @default - same as the request: memory is not overcommitted
   */
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
  /**
   * Pods in the cluster that scrape the service (`MetricsCollector.scrapeSource`): the pods'
   * NetworkPolicy admits exactly them, by namespace and labels, on the metrics port.
   * @default - none; then `scrapeSourceCidrs` must be given
   */
  readonly scrapeSources?: MetricsScrapeSource[];
  /**
   * CIDRs a scraper outside the cluster connects from (`ClusterMetricsScraper.sourceCidrs`).
   * Prefer `scrapeSources` for a scraper in the cluster: it admits its pods, not whole subnets.
   * @default - none; then `scrapeSources` must be given
   */
  readonly scrapeSourceCidrs?: string[];
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
  /**
   * How long to hold this weight before the next step.
   * @default - no pause (use for the final 100)
   */
  readonly pause?: CdkDuration;
}

/**
 * Blue-green: the requests sent at the new version, through its preview Service, before it may be
 * promoted. A Job runs the service's own image (the release's digest) with `args`, once per
 * analysis interval (`analysis.measurements` rounds); each round sends requests to the URL in
 * `PREVIEW_URL` and exits 0 only if every response was right. The Job's pods have their own
 * service account, and the service admits them (AuthorizationPolicy and NetworkPolicy) on the
 * preview host only, with `methods` on `pathPrefixes`. Every request must be safe to repeat:
 * reads, and creates made idempotent by a key derived from `PREVIEW_VERSION`.
 */
export interface PreviewCheck {
  /** Arguments of the service's image that run one round of the check (the sample service: `["check"]`). */
  readonly args: string[];
  /**
   * Plain environment variables of the check (no secrets), besides `PREVIEW_URL` and
   * `PREVIEW_VERSION`, which the platform sets.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * HTTP methods the check may use.
   * @default ['GET', 'POST']
   */
  readonly methods?: string[];
  /**
   * Path prefixes the check may call.
   * @default ['/v1/']
   */
  readonly pathPrefixes?: string[];
  /**
   * Requests the preview version must have served (its own metrics, probes and the metrics
   * endpoint not counted) before promotion: without them the analysis fails and the release is
   * aborted. The check's rounds together must send at least this many.
   * @default 20
   */
  readonly minRequests?: number;
  /**
   * Longest one round may take; a round still running then fails.
   * @default Duration.minutes(2)
   */
  readonly timeout?: CdkDuration;
}

/** Methods a preview check may be allowed. */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

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
  /**
   * How canary analysis judges a step.
   * @default - see AnalysisOptions
   */
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
  /**
   * Blue-green: the requests that exercise the preview version before promotion (required for
   * blue-green: the preview Service gets no other traffic, so without them the pre-promotion
   * analysis would judge nothing). Refused for `rolling` and `canary`.
   * @default - none (blue-green refuses to synthesize without it)
   */
  readonly previewCheck?: PreviewCheck;
}

/** Properties of a `StatelessService`. */
export interface StatelessServiceProps {
  /**
   * The cluster to run on; the manifests are applied from this construct's stack. A cluster
   * made elsewhere: `PlatformCluster.fromClusterAttributes` (or `eks.Cluster.fromClusterAttributes`
   * with a kubectl provider, and `clusterSecurityGroupId` when the service uses a database or cache).
   */
  readonly cluster: eks.ICluster;
  /**
   * The namespace the service runs in: an `ApplicationNamespace` on the same cluster (a name
   * string is refused), so the namespace exists and carries the platform guardrails. The
   * service's objects are applied after it is `ready`.
   */
  readonly namespace: ApplicationNamespace;
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
  /**
   * Fewest pods the autoscaler keeps running.
   * @default 2 (at least 2: one pod is never a service)
   */
  readonly minReplicas?: number;
  /**
   * Most pods the autoscaler may run.
   * @default 4 x minReplicas
   */
  readonly maxReplicas?: number;
  /**
   * Average CPU utilisation, as a percentage of the request, that the autoscaler aims for.
   * @default 70
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * CPU and memory requests and limits of the service container.
   * @default - see ServiceResources
   */
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
  /**
   * Postgres database the service connects to.
   * @default - no database
   */
  readonly postgres?: PostgresDependency;
  /**
   * Cache the service connects to.
   * @default - no cache
   */
  readonly cache?: CacheDependency;
  /**
   * How the service is exposed at the mesh ingress gateway.
   * @default - not exposed at the ingress gateway
   */
  readonly gateway?: GatewayExposure;
  /**
   * The security group of the service's pods, and only theirs (EKS security groups for pods, ADR
   * 0019): a SecurityGroupPolicy in the service's chart gives it to the pods of the service's
   * ServiceAccount, the database and cache admit only it on their ports, and its rules name each
   * peer (CoreDNS, istiod, the trace collector and the gateway through the cluster security group;
   * no 0.0.0.0/0). The cluster's nodes must be able to attach trunk interfaces (PlatformCluster
   * checks its instance types). The cluster security group, or a group of another service, is refused.
   * @default - a new security group in the cluster's VPC, with no rule but those above
   */
  readonly podSecurityGroup?: ec2.ISecurityGroup;
  /**
   * Mesh traffic policy of the service; given fields override the defaults.
   * @default DEFAULT_TRAFFIC_POLICY
   */
  readonly traffic?: Partial<ServiceTrafficPolicy>;
  /**
   * How new versions are rolled out.
   * @default - rolling update of a Deployment, pods not scraped
   */
  readonly delivery?: ServiceDelivery;
  /**
   * Send the service's spans to a trace collector (`TraceCollector.exportFor(namespace)`): the
   * pods get the OpenTelemetry SDK's standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
   * `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_TRACES_SAMPLER=parentbased_traceidratio` and
   * `OTEL_TRACES_SAMPLER_ARG` = the mesh's sampling) and a NetworkPolicy to the collector's OTLP
   * ports, which their sidecar's own spans use too.
   * @default - no collector: the SDK gets no endpoint, and the pods cannot reach one
   */
  readonly tracing?: TraceExport;
}

/** The OpenTelemetry SDK variables `tracing` sets (the `environment` prop cannot set them too). */
export const TRACING_ENVIRONMENT_VARIABLES = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'] as const;

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
 * - with `tracing`, the SDK's OTLP endpoint and parent-based sampler in the environment, and
 *   egress to the trace collector's OTLP ports (the app's spans and its sidecar's);
 * - with blue-green delivery, promotion on evidence: `delivery.previewCheck` runs the service's
 *   own check against the preview Service, a round per analysis interval, under its own identity
 *   admitted to the preview host only, and the pre-promotion analysis fails unless the preview
 *   served `minRequests` requests (ADR 0022);
 * - AWS side (EKS security groups for pods, ADR 0019): the pods get their own security group
 *   through a SecurityGroupPolicy; the database and cache admit only that group on their ports,
 *   and it reaches only them, DNS, istiod and the trace collector, each named by security group.
 */
export class StatelessService extends Construct implements ec2.IConnectable {
  /** True for a StatelessService (also one built by another copy of this library). */
  static isStatelessService(x: unknown): x is StatelessService {
    return typeof x === 'object' && x !== null && STATELESS_SERVICE_BRAND in x;
  }

  /** The service name. */
  readonly serviceName: string;
  /** The namespace the service runs in. */
  readonly namespace: ApplicationNamespace;
  /** The cluster the service runs on. */
  readonly cluster: eks.ICluster;
  /** The role the service's pods assume through EKS Pod Identity. */
  readonly role: iam.Role;
  /** The cdk8s chart with every Kubernetes object of the service. */
  readonly chart: StatelessServiceChart;
  /** The manifest resource that applies the chart. */
  readonly manifest: eks.KubernetesManifest;
  /** Name of the Kubernetes ServiceAccount. */
  readonly serviceAccountName: string;
  /** The security group of the service's pods (and only theirs): what its database and cache admit. */
  readonly podSecurityGroup: ec2.ISecurityGroup;
  /**
   * Network access of the service's pods on the AWS side (their security group, the app port by
   * default): `service.connections.allowTo(other, port)` lets them reach another peer,
   * `allowFrom` admits one.
   */
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: StatelessServiceProps) {
    super(scope, id);
    Object.defineProperty(this, STATELESS_SERVICE_BRAND, { value: true });
    const settings = resolveSettings(this, props);
    const clusterSecurityGroup = validateComposition(this, props);
    const stack = Stack.of(this);
    this.serviceName = props.serviceName;
    this.namespace = props.namespace;
    this.cluster = props.cluster;
    this.serviceAccountName = props.serviceName;
    const namespaceName = props.namespace.namespaceName;

    // Identity: EKS Pod Identity (no OIDC provider, no token in the pod spec).
    const podRole = new PodIdentityRole(this, 'PodRole', {
      cluster: props.cluster,
      namespace: namespaceName,
      serviceAccounts: [this.serviceAccountName],
      description: `Pods of ${props.serviceName} (${namespaceName}) through EKS Pod Identity`,
    });
    this.role = podRole;
    // Grants land in a customer managed policy, never inline.
    const grantee = managedPolicyGrantee(this.role, () => new iam.ManagedPolicy(this, 'PodPolicy', {
      description: `${props.serviceName}: connect to its own database and cache users`,
      roles: [this.role],
    }));
    podRole.associate(this, 'PodIdentity', this.serviceAccountName);

    // The pods' own security group (security groups for pods): all their data stores admit.
    this.podSecurityGroup = props.podSecurityGroup ?? new ec2.SecurityGroup(this, 'PodSecurityGroup', {
      vpc: props.cluster.vpc,
      description: `Pods of ${props.serviceName} (namespace ${namespaceName}) only: security groups for pods`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.podSecurityGroup], defaultPort: ec2.Port.tcp(settings.port) });
    allowClusterTraffic(this.connections, {
      cluster: clusterSecurityGroup,
      appPort: settings.port,
      traceCollectorPorts: settings.tracing?.egress.ports ?? [],
      scraperCidrs: settings.metricsScrape?.sourceCidrs ?? [],
    });

    const fail = validationFailure('StatelessService', this.node.path);
    const egress: EgressDestination[] = [];
    if (props.postgres) {
      const { database } = props.postgres;
      const cidrs = subnetCidrs(fail, this, 'postgres.database.subnets', database.subnets);
      database.grantConnect(grantee, props.postgres.user);
      this.admitPods('Postgres', database, database.port);
      egress.push({ name: 'postgres', host: database.clusterEndpoint.hostname, port: database.port, cidrs });
    }
    if (props.cache) {
      const { cache } = props.cache;
      const cidrs = subnetCidrs(fail, this, 'cache.cache.subnets', cache.subnets);
      cache.grantConnect(grantee);
      this.admitPods('Cache', cache, cache.primaryEndpoint.port);
      egress.push({ name: 'cache', host: cache.primaryEndpoint.hostname, port: cache.primaryEndpoint.port, cidrs });
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
      namespace: namespaceName,
      image: props.image.imageUri,
      version: props.image.version,
      port: settings.port,
      args: props.args ?? [],
      migrationArgs: props.migrationArgs,
      environment: { AWS_REGION: stack.region, ...settings.tracing?.environment, ...props.environment },
      serviceAccountName: this.serviceAccountName,
      podSecurityGroupIds: [this.podSecurityGroup.securityGroupId],
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      targetCpuUtilizationPercent: settings.targetCpuUtilizationPercent,
      ...settings.resources,
      startupProbePath: props.probes?.startupPath ?? DEFAULT_PROBE_PATHS.startup,
      readinessProbePath: props.probes?.readinessPath ?? DEFAULT_PROBE_PATHS.readiness,
      livenessProbePath: props.probes?.livenessPath ?? DEFAULT_PROBE_PATHS.liveness,
      preStopSleep: cdk8s.Duration.seconds(settings.preStopSleep.toSeconds()),
      terminationGracePeriod: cdk8s.Duration.seconds(settings.terminationGracePeriod.toSeconds()),
      egress,
      gatewayRoute,
      meshCallers: [],
      traffic: { ...DEFAULT_TRAFFIC_POLICY, ...props.traffic },
      delivery: settings.delivery,
      metricsScrape: settings.metricsScrape,
      traceEgress: settings.tracing?.egress,
    });

    // Apply from this construct's stack through an imported handle of the cluster: the
    // service's objects then churn with its own stack, never with the cluster's.
    const cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: props.cluster.clusterName,
      kubectlProvider: props.cluster.kubectlProvider,
    });
    this.manifest = cluster.addCdk8sChart('Chart', this.chart);
    // Applied once the namespace and its guardrails are (after the mesh and the nodes).
    this.manifest.node.addDependency(props.namespace.ready);
  }

  /**
   * The dependency's security groups admit the pods' group, and only it, on `port`; the pods' group
   * may reach them there. The rules live here, with the consumer (also on a group imported as
   * immutable: the consumer's access is declared with the consumer).
   */
  private admitPods(id: string, dependency: ec2.IConnectable, port: number): void {
    dependency.connections.securityGroups.forEach((group, i) => {
      new ec2.CfnSecurityGroupIngress(this, `${id}Ingress${i}`, {
        groupId: group.securityGroupId,
        sourceSecurityGroupId: this.podSecurityGroup.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `${this.node.path}: pods of ${this.serviceName} only, to its ${id.toLowerCase()}`,
      });
      this.podSecurityGroup.addEgressRule(group, ec2.Port.tcp(port), `Pods of ${this.serviceName} to its ${id.toLowerCase()}`);
    });
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
  readonly tracing?: { readonly environment: Record<string, string>; readonly egress: TraceEgress };
}

function resolveSettings(scope: Construct, props: StatelessServiceProps): ResolvedSettings {
  const fail = validationFailure('StatelessService', scope.node.path);
  if (!props.cluster.kubectlProvider) fail('the cluster has no kubectl provider, so manifests cannot be applied. Fix: pass a cluster created with kubectlProviderOptions (PlatformCluster does).');
  if (Token.isUnresolved(props.serviceName)) {
    fail(`serviceName is ${describeValue(props.serviceName, scope)}: it names the Kubernetes objects, so it must be known at synth. Fix: write the name literally, e.g. "orders".`);
  }
  if (!isDns1035Label(props.serviceName)) fail(`serviceName ${describeValue(props.serviceName)} is not an RFC 1035 label, which Kubernetes requires of Service names. Fix: lowercase letters, digits and "-", at most 63, starting with a letter.`);
  validateNamespace(fail, scope, props.namespace as unknown);
  const port = props.port ?? 8080;
  if (!isIntBetween(port, 1024, 65535)) fail(`port ${describeValue(port, scope)} must be an unprivileged port (1024 to 65535): the container runs as non-root without capabilities.`);
  const minReplicas = props.minReplicas ?? 2;
  if (!isIntBetween(minReplicas, SERVICE_MIN_REPLICAS.min, SERVICE_MIN_REPLICAS.max)) fail(`minReplicas ${describeValue(minReplicas, scope)} must be between ${SERVICE_MIN_REPLICAS.min} and ${SERVICE_MIN_REPLICAS.max}: one replica is a single point of failure.`);
  const maxReplicas = props.maxReplicas ?? minReplicas * 4;
  if (!isIntBetween(maxReplicas, minReplicas, SERVICE_MAX_REPLICAS)) fail(`maxReplicas ${describeValue(maxReplicas, scope)} must be between minReplicas (${describeValue(minReplicas, scope)}) and ${SERVICE_MAX_REPLICAS}.`);
  const targetCpuUtilizationPercent = props.targetCpuUtilizationPercent ?? 70;
  if (!isIntBetween(targetCpuUtilizationPercent, 10, 95)) fail(`targetCpuUtilizationPercent ${describeValue(targetCpuUtilizationPercent, scope)} must be between 10 and 95.`);
  const r = props.resources ?? {};
  const memoryRequestMiB = r.memoryRequestMiB ?? 256;
  const resources = {
    cpuRequestMillis: r.cpuRequestMillis ?? 250,
    cpuLimitMillis: r.cpuLimitMillis ?? 1000,
    memoryRequestMiB,
    memoryLimitMiB: r.memoryLimitMiB ?? memoryRequestMiB,
  };
  if (!(isIntBetween(resources.cpuRequestMillis, 10, 64_000) && resources.cpuLimitMillis >= resources.cpuRequestMillis)) {
    fail(`resources cpu request ${describeValue(resources.cpuRequestMillis, scope)}m / limit ${describeValue(resources.cpuLimitMillis, scope)}m: the request must be 10m to 64000m and the limit at least the request.`);
  }
  if (!(isIntBetween(resources.memoryRequestMiB, 32, 262_144) && resources.memoryLimitMiB >= resources.memoryRequestMiB)) {
    fail(`resources memory request ${describeValue(resources.memoryRequestMiB, scope)}Mi / limit ${describeValue(resources.memoryLimitMiB, scope)}Mi: the request must be 32Mi to 256Gi and the limit at least the request.`);
  }
  const preStopSleep = props.preStopSleep ?? CdkDuration.seconds(5);
  const drainTimeout = props.drainTimeout ?? CdkDuration.seconds(20);
  const minimumGrace = preStopSleep.toSeconds() + drainTimeout.toSeconds();
  const terminationGracePeriod = props.terminationGracePeriod ?? CdkDuration.seconds(minimumGrace + 5);
  if (terminationGracePeriod.toSeconds() <= minimumGrace) {
    fail(`terminationGracePeriod ${terminationGracePeriod.toSeconds()}s must be longer than preStopSleep + drainTimeout (${minimumGrace}s), or in-flight requests are killed. Fix: raise it above ${minimumGrace}s or leave it unset.`);
  }
  return { port, minReplicas, maxReplicas, targetCpuUtilizationPercent, resources, preStopSleep, terminationGracePeriod, ...resolveDelivery(fail, props), tracing: resolveTracing(fail, scope, props) };
}

/** The SDK's standard variables and the pods' egress to the collector. */
function resolveTracing(fail: (message: string) => never, scope: Construct, props: StatelessServiceProps): ResolvedSettings['tracing'] {
  const tracing = props.tracing;
  if (!tracing) return undefined;
  const endpoint = tracing.otlpHttpEndpoint;
  if (!Token.isUnresolved(endpoint) && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    fail(`tracing.otlpHttpEndpoint ${describeValue(endpoint)} is not an OTLP/HTTP base URL. Fix: pass TraceCollector.exportFor(namespace), or a URL such as "http://trace-collector.tracing.svc.cluster.local:4318".`);
  }
  const ratio = tracing.samplingRatio;
  if (!(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1)) fail(`tracing.samplingRatio ${describeValue(ratio, scope)} must be a ratio from 0 to 1. Fix: pass TraceCollector.exportFor(namespace), which follows the mesh's sampling.`);
  if (tracing.ports.length === 0 || tracing.ports.some((p) => !isIntBetween(p, 1, 65535))) fail(`tracing.ports ${describeValue(tracing.ports, scope)} must list the collector's TCP ports. Fix: pass TraceCollector.exportFor(namespace).`);
  const clash = TRACING_ENVIRONMENT_VARIABLES.filter((name) => props.environment?.[name] !== undefined);
  if (clash.length > 0) fail(`environment sets ${clash.join(', ')}, which tracing sets. Fix: remove ${clash.length > 1 ? 'them' : 'it'} from environment (tracing follows the collector and the mesh's sampling).`);
  return {
    environment: {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // A caller's (the gateway's, a sidecar's) sampling decision wins; the ratio only starts traces.
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(ratio),
    },
    egress: { namespace: tracing.collectorNamespace, podLabels: { ...tracing.collectorPodLabels }, ports: [...tracing.ports] },
  };
}

const STATELESS_SERVICE_BRAND = Symbol.for('@zero-trust/platform-constructs.StatelessService');

/** The namespace must be an ApplicationNamespace: a name string is refused, a system namespace with its own message. */
function validateNamespace(fail: (message: string) => never, scope: Construct, namespace: unknown): asserts namespace is ApplicationNamespace {
  const fix = 'Fix: create the namespace with new ApplicationNamespace(scope, id, { cluster, name, quota }) on the service\'s cluster and pass that object as namespace.';
  if (typeof namespace === 'string') {
    if (isReservedNamespaceName(namespace)) {
      fail(`namespace ${describeValue(namespace, scope)} is a system namespace, reserved for the platform: services never run there (no Pod Security "restricted", no default-deny policies, no sidecar injection). ${fix}`);
    }
    fail(`namespace ${describeValue(namespace, scope)} is a name, not an ApplicationNamespace: nothing guarantees the namespace exists or carries the platform guardrails. ${fix}`);
  }
  if (!ApplicationNamespace.isApplicationNamespace(namespace)) {
    fail(`namespace is ${namespace === undefined || namespace === null ? String(namespace) : `a ${(namespace as object).constructor?.name ?? typeof namespace}`}, not an ApplicationNamespace. ${fix}`);
  }
}

/**
 * The checks that look beyond the props: the namespace is on the service's cluster, no other
 * service of the app has the same name in that namespace and cluster, data subnets come from the
 * data stores, and the pods can have a security group of their own (see `validatePodSecurityGroup`).
 * Returns the cluster security group.
 */
function validateComposition(scope: StatelessService, props: StatelessServiceProps): ec2.ISecurityGroup {
  const fail = validationFailure('StatelessService', scope.node.path);
  const namespace = props.namespace;
  const nsName = describeValue(namespace.namespaceName);
  if (!sameCluster(namespace.cluster, props.cluster)) {
    fail(`namespace ${nsName} (${namespace.node.path}) is on cluster ${describeCluster(namespace.cluster)}, but the service's cluster is ${describeCluster(props.cluster)}: the service's objects would go to a cluster where the namespace and its guardrails do not exist. Fix: pass an ApplicationNamespace created on the service's cluster, or run the service on the namespace's cluster.`);
  }
  const taken = findInApp(scope, (c): c is StatelessService => c !== scope && StatelessService.isStatelessService(c)
    && c.serviceName === props.serviceName && c.namespace.namespaceName === namespace.namespaceName && sameCluster(c.cluster, props.cluster));
  if (taken.length > 0) {
    fail(`serviceName ${describeValue(props.serviceName)} is already taken in namespace ${nsName} on cluster ${describeCluster(props.cluster)} by StatelessService ${taken[0].node.path}: both would apply the same Deployment, Service and ServiceAccount, and whichever deploys last silently replaces the other. Fix: give one of them another serviceName, or run it in another namespace.`);
  }
  for (const [setting, dependency] of [['postgres', props.postgres], ['cache', props.cache]] as const) {
    const legacy = (dependency as { subnets?: ec2.ISubnet[] } | undefined)?.subnets;
    if (legacy !== undefined) {
      const store = setting === 'postgres' ? 'postgres.database' : 'cache.cache';
      fail(`${setting}.subnets is given (${describeValue(Array.isArray(legacy) ? legacy.map((s) => s?.subnetId) : legacy, scope)}), but the service addresses the ${setting === 'postgres' ? 'database' : 'cache'}'s own subnets (${store}.subnets), so no other subnets can be handed to it. Fix: remove ${setting}.subnets.`);
    }
  }
  if (props.postgres && props.postgres.database.subnets.length === 0) fail('postgres.database has no subnets: the NetworkPolicy and ServiceEntry address the subnets the database lives in. Fix: pass a PostgresDatabase, or import one with PostgresDatabase.fromDatabaseAttributes.');
  if (props.cache && props.cache.cache.subnets.length === 0) fail('cache.cache has no subnets: the NetworkPolicy and ServiceEntry address the subnets the cache lives in. Fix: pass a RedisCache, or import one with RedisCache.fromCacheAttributes.');
  return validatePodSecurityGroup(fail, scope, props);
}

/**
 * The pods' own security group needs the cluster security group (its peer for DNS, istiod, the
 * gateway and the kubelet) and, unless one is given, the cluster's VPC to be created in; a given
 * group must be neither the cluster security group (every node and pod has it) nor another
 * service's. Returns the cluster security group.
 */
function validatePodSecurityGroup(fail: (message: string) => never, scope: StatelessService, props: StatelessServiceProps): ec2.ISecurityGroup {
  const clusterSecurityGroup = clusterSecurityGroupOf(props.cluster);
  if (clusterSecurityGroup === undefined) {
    fail(`cluster ${describeCluster(props.cluster)} has no security group (a cluster imported without clusterSecurityGroupId): the pods' security group admits the gateway and the kubelet from it, and reaches CoreDNS and istiod in it. Fix: import the cluster with clusterSecurityGroupId (PlatformCluster.fromClusterAttributes requires it).`);
  }
  const given = props.podSecurityGroup;
  if (given === undefined) {
    if (!hasVpc(props.cluster)) {
      fail(`cluster ${describeCluster(props.cluster)} was imported without its VPC, so the pods' own security group cannot be created. Fix: import the cluster with vpc (PlatformCluster.fromClusterAttributes({ ..., vpc })), or pass podSecurityGroup.`);
    }
    return clusterSecurityGroup;
  }
  if (given === clusterSecurityGroup || given.securityGroupId === clusterSecurityGroup.securityGroupId) {
    fail(`podSecurityGroup is the cluster security group (${describeValue(given.securityGroupId, scope)}), which every node and every pod without its own group has: the database and cache would admit the whole cluster. Fix: leave podSecurityGroup unset (the service gets a group of its own), or pass a group only this service's pods use.`);
  }
  const sharing = findInApp(scope, (c): c is StatelessService => c !== scope && StatelessService.isStatelessService(c)
    && (c.podSecurityGroup === given || c.podSecurityGroup.securityGroupId === given.securityGroupId));
  if (sharing.length > 0) {
    fail(`podSecurityGroup ${describeValue(given.securityGroupId, scope)} is already the pod security group of StatelessService ${sharing[0].node.path}: each service's database and cache would admit the other's pods. Fix: give each service its own group, or leave podSecurityGroup unset.`);
  }
  return clusterSecurityGroup;
}

/** The cluster security group of `cluster`, or undefined for a cluster imported without it. */
function clusterSecurityGroupOf(cluster: eks.ICluster): ec2.ISecurityGroup | undefined {
  try {
    return cluster.clusterSecurityGroup;
  } catch {
    return undefined;
  }
}

/** False for a cluster imported without its VPC (whose `vpc` throws). */
function hasVpc(cluster: eks.ICluster): boolean {
  try {
    return cluster.vpc !== undefined;
  } catch {
    return false;
  }
}

const STRATEGIES = DELIVERY_STRATEGIES;

function resolveDelivery(fail: (message: string) => never, props: StatelessServiceProps): Pick<ResolvedSettings, 'delivery' | 'metricsScrape'> {
  const delivery = props.delivery;
  if (!delivery) return {};
  const strategy = delivery.strategy ?? 'rolling';
  if (!STRATEGIES.includes(strategy)) fail(`delivery.strategy ${describeValue(strategy)} is not one of ${STRATEGIES.join(', ')}.`);
  const metrics = delivery.metrics;
  const scrapeSources = metrics?.scrapeSources ?? [];
  const scrapeSourceCidrs = metrics?.scrapeSourceCidrs ?? [];
  validateScrapeSources(fail, 'delivery.metrics.scrapeSources', scrapeSources);
  if (metrics && scrapeSources.length === 0 && scrapeSourceCidrs.length === 0) fail('delivery.metrics has no scrapeSources and no scrapeSourceCidrs: the pods\' NetworkPolicy must admit the scraper. Fix: pass MetricsCollector.scrapeSource in scrapeSources (or ClusterMetricsScraper.sourceCidrs in scrapeSourceCidrs).');
  const metricsScrape: MetricsScrape | undefined = metrics && { path: metrics.path ?? DEFAULT_METRICS_PATH, scrapePort: ISTIO_MERGED_METRICS_PORT, sources: scrapeSources, sourceCidrs: scrapeSourceCidrs };
  if (delivery.previewCheck !== undefined && strategy !== 'blue-green') {
    fail(`delivery.previewCheck is set, but delivery.strategy is ${describeValue(strategy)}: only blue-green has a preview Service to check before promotion. Fix: remove previewCheck, or set strategy to "blue-green".`);
  }
  if (strategy === 'rolling') return { metricsScrape };
  if (!metrics) fail(`delivery.strategy ${describeValue(strategy)} needs delivery.metrics: the analysis that rolls a bad version back reads the service's metrics. Fix: pass the metrics workspace and the scraper (scrapeSources: MetricsCollector.scrapeSource).`);

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
  if (!(analysis.maxErrorRatio > 0 && analysis.maxErrorRatio < 1)) fail(`delivery.analysis.maxErrorRatio ${describeValue(analysis.maxErrorRatio)} must be between 0 and 1 (exclusive), e.g. 0.01 for 1%.`);
  if (!isIntBetween(analysis.maxP99LatencyMs, 1, 60_000)) fail(`delivery.analysis.maxP99LatencyMs ${describeValue(analysis.maxP99LatencyMs)} must be a whole number of milliseconds from 1 to 60000.`);
  if (!isIntBetween(analysis.intervalSeconds, 30, 3600)) fail(`delivery.analysis.interval ${analysis.intervalSeconds}s must be 30s to 1h: metrics are scraped every 30s.`);
  if (!isIntBetween(analysis.failureLimit, 0, 10)) fail(`delivery.analysis.failureLimit ${describeValue(analysis.failureLimit)} must be a whole number from 0 to 10.`);
  if (!isIntBetween(analysis.count!, 1, 60)) fail(`delivery.analysis.measurements ${describeValue(analysis.count)} must be a whole number from 1 to 60.`);

  const steps: CanaryStepSettings[] = delivery.canarySteps
    ? delivery.canarySteps.map((s) => ({ weight: s.weight, pauseSeconds: s.pause?.toSeconds() }))
    : [...DEFAULT_CANARY_STEPS];
  if (strategy === 'canary') validateCanarySteps(fail, steps, analysis.intervalSeconds);
  const rollbackWindow = (delivery.rollbackWindow ?? CdkDuration.minutes(10)).toSeconds();
  if (!isIntBetween(rollbackWindow, 30, 3600)) fail(`delivery.rollbackWindow ${rollbackWindow}s must be 30s to 1h: the previous version must outlive the post-promotion analysis.`);

  const previewCheck = strategy === 'blue-green' ? resolvePreviewCheck(fail, props.serviceName, delivery.previewCheck, analysis.intervalSeconds) : undefined;
  // Probes and the metrics endpoint are not user traffic: no analysis counts them as requests.
  const excludedRoutes = [...new Set([
    props.probes?.startupPath ?? DEFAULT_PROBE_PATHS.startup,
    props.probes?.readinessPath ?? DEFAULT_PROBE_PATHS.readiness,
    props.probes?.livenessPath ?? DEFAULT_PROBE_PATHS.liveness,
    metricsScrape!.path,
  ])];

  return {
    metricsScrape,
    delivery: {
      strategy,
      prometheus: { address: metrics!.workspace.prometheusEndpoint, region: metrics!.workspace.region },
      analysis,
      canarySteps: steps,
      scaleDownDelaySeconds: rollbackWindow,
      excludedRoutes,
      previewCheck,
    },
  };
}

/** Blue-green's preview check, with its defaults; blue-green without one is refused. */
function resolvePreviewCheck(fail: (message: string) => never, serviceName: string, check: PreviewCheck | undefined, intervalSeconds: number): PreviewCheckSettings {
  if (check === undefined) {
    fail('delivery.strategy "blue-green" needs delivery.previewCheck: nothing else sends requests to the preview version, so its pre-promotion analysis would judge no traffic and promote on no evidence. Fix: pass previewCheck: { args } with a command of the service\'s image that sends one round of requests at PREVIEW_URL and exits 0 only if every response was right (the sample service: ["check"]).');
  }
  const checkName = previewCheckName(serviceName);
  if (checkName.length > 63) {
    fail(`serviceName ${describeValue(serviceName)} is too long for blue-green: "${checkName}" names the preview check's service account and labels its pods, and label values have at most 63 characters. Fix: a serviceName of at most ${63 - (checkName.length - serviceName.length)} characters.`);
  }
  if (!Array.isArray(check.args) || check.args.length === 0 || check.args.some((arg) => typeof arg !== 'string' || arg === '')) {
    fail(`delivery.previewCheck.args ${describeValue(check.args)} must name the check command of the service's image (non-empty strings), e.g. ["check"].`);
  }
  const environment = check.environment ?? {};
  const reserved = Object.values(PREVIEW_CHECK_ENVIRONMENT).filter((name) => environment[name] !== undefined);
  if (reserved.length > 0) fail(`delivery.previewCheck.environment sets ${reserved.join(', ')}, which the platform sets (the preview URL and the version under check). Fix: remove ${reserved.length > 1 ? 'them' : 'it'}.`);
  const methods = check.methods ?? ['GET', 'POST'];
  if (methods.length === 0 || methods.some((m) => !HTTP_METHODS.includes(m))) fail(`delivery.previewCheck.methods ${describeValue(methods)} must list methods from ${HTTP_METHODS.join(', ')} (uppercase), at least one.`);
  const pathPrefixes = check.pathPrefixes ?? ['/v1/'];
  if (pathPrefixes.length === 0 || pathPrefixes.some((p) => typeof p !== 'string' || !p.startsWith('/') || p.includes('*'))) {
    fail(`delivery.previewCheck.pathPrefixes ${describeValue(pathPrefixes)} must list path prefixes starting with "/" (without "*"), at least one, e.g. ["/v1/"].`);
  }
  const minRequests = check.minRequests ?? 20;
  if (!isIntBetween(minRequests, 1, 100_000)) fail(`delivery.previewCheck.minRequests ${describeValue(minRequests)} must be a whole number from 1 to 100000: with 0 the preview could be promoted without serving a request.`);
  const timeoutSeconds = (check.timeout ?? CdkDuration.minutes(2)).toSeconds();
  if (!isIntBetween(timeoutSeconds, 10, Math.min(600, intervalSeconds * 10))) {
    fail(`delivery.previewCheck.timeout ${timeoutSeconds}s must be 10s to ${Math.min(600, intervalSeconds * 10)}s: a round that hangs longer holds the release.`);
  }
  return { args: [...check.args], environment: { ...environment }, methods: [...methods], pathPrefixes: [...pathPrefixes], minRequests, timeoutSeconds };
}

function validateCanarySteps(fail: (message: string) => never, steps: CanaryStepSettings[], intervalSeconds: number): void {
  const shown = JSON.stringify(steps.map((s) => s.weight));
  if (steps.length === 0) fail('delivery.canarySteps is empty. Fix: list weights increasing to 100, e.g. 10, 25, 50, 100.');
  steps.forEach((step, i) => {
    if (!isIntBetween(step.weight, 1, 100)) fail(`delivery.canarySteps weight ${describeValue(step.weight)} must be a whole percentage from 1 to 100.`);
    if (i > 0 && step.weight <= steps[i - 1].weight) fail(`delivery.canarySteps weights ${shown} must increase step by step.`);
    if (step.pauseSeconds !== undefined && step.pauseSeconds < intervalSeconds) {
      fail(`delivery.canarySteps pause of ${describeValue(step.pauseSeconds)}s after ${describeValue(step.weight)}% is shorter than the analysis interval (${intervalSeconds}s): the step would pass unmeasured.`);
    }
  });
  if (steps[steps.length - 1].weight !== 100) fail(`delivery.canarySteps weights ${shown} must end at 100.`);
  if (steps.slice(0, -1).some((s) => s.pauseSeconds === undefined)) fail('delivery.canarySteps: every step before the last needs a pause, or the analysis never sees that weight.');
}
