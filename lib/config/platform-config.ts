/**
 * The typed configuration of one platform environment.
 *
 * Every deployable setting lives here; stacks and constructs receive typed values derived
 * from it and never read the environment themselves. Defaults per environment are in
 * `environments.ts`; overrides come from cdk context (`cdk.json` or `-c`), see `load-config.ts`.
 */

import type { DeliveryStrategy } from '@zero-trust/platform-constructs';

/** Every `DataClassification`. */
export const DATA_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
/** How much the data handled by the environment must be protected (drives tags and reviews). */
export type DataClassification = (typeof DATA_CLASSIFICATIONS)[number];

/** Every `StatefulRemovalPolicy`. */
export const REMOVAL_POLICIES = ['retain', 'snapshot', 'destroy'] as const;
/** What happens to stateful resources (keys, logs, databases) when they leave the stack. */
export type StatefulRemovalPolicy = (typeof REMOVAL_POLICIES)[number];

/** Every `ApiEndpointAccess`. */
export const API_ENDPOINT_ACCESS = ['private', 'public-and-private'] as const;
/** Who can reach the Kubernetes API server. */
export type ApiEndpointAccess = (typeof API_ENDPOINT_ACCESS)[number];

export interface NetworkConfig {
  /** IPv4 CIDR of the VPC: an RFC 1918 range between /16 and /20. */
  readonly vpcCidr: string;
  /** How many Availability Zones to spread subnets over (2 to 4). */
  readonly maxAzs: number;
  /**
   * Explicit Availability Zone names. Required when `region` is set, so synth never
   * looks AZs up in the account; leave unset for an environment-agnostic synth.
   */
  readonly availabilityZones?: string[];
  /**
   * NAT gateways for egress from the workload subnets to the internet (0 to maxAzs). 0: no route
   * out; AWS APIs through the VPC endpoints, images and charts from private ECR (docs/adr/0020).
   * prod: 0, unless `natException` says why not (then one per AZ).
   */
  readonly natGateways: number;
  /**
   * Why prod needs NAT gateways (a route to the internet) and until when: required, and only
   * allowed, in prod with `natGateways` above 0.
   */
  readonly natException?: NatException;
  /** Days to keep VPC flow logs (a CloudWatch Logs retention value of at least 365). */
  readonly flowLogRetentionDays: number;
  /**
   * AWS Organizations organization id: the VPC endpoints then admit its principals to its
   * resources too. Unset: this account's principals and resources only.
   */
  readonly organizationId?: string;
}

/** A documented, expiring exception to "no route to the internet" in prod (`network.natException`). */
export interface NatException {
  /** What in prod needs the internet, and why no VPC endpoint or private mirror serves it yet. */
  readonly reason: string;
  /** The last day it holds (`YYYY-MM-DD`, at most `MAX_NAT_EXCEPTION_DAYS` out); synth fails after it. */
  readonly expires: string;
}

export interface NodePoolConfig {
  /** EC2 instance types for the managed node group, e.g. `m7i.large`. */
  readonly instanceTypes: string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** Root volume size of each node in GiB. */
  readonly diskSizeGiB: number;
}

export interface ClusterConfig {
  /** Kubernetes minor version, e.g. `1.36`; must have a matching kubectl layer. */
  readonly kubernetesVersion: string;
  /** `private` (default) or `public-and-private` with an explicit CIDR allow-list. */
  readonly endpointAccess: ApiEndpointAccess;
  /** CIDRs allowed to reach a public endpoint; must be empty when the endpoint is private. */
  readonly publicAccessCidrs: string[];
  /** IAM role ARNs granted cluster-admin through EKS access entries. */
  readonly adminRoleArns: string[];
  /** IAM role ARNs granted read-only cluster access through EKS access entries. */
  readonly viewerRoleArns: string[];
  /** Days to keep control-plane logs. */
  readonly controlPlaneLogRetentionDays: number;
  readonly nodePool: NodePoolConfig;
  /** Application namespaces with their guardrails (Pod Security restricted, mesh, quota, default-deny). */
  readonly namespaces: NamespaceConfig[];
}

export interface NamespaceConfig {
  /** DNS-1123 label; not `default`, `kube-*` or `istio-*`. */
  readonly name: string;
  /** What all pods of the namespace may request together (limits may burst to twice this). */
  readonly quota: { readonly cpu: number; readonly memoryGiB: number; readonly pods: number };
}

/** Every `IngressScheme`. */
export const INGRESS_SCHEMES = ['internal', 'internet-facing'] as const;
/** Where the mesh ingress gateway's Network Load Balancer is reachable from. */
export type IngressScheme = (typeof INGRESS_SCHEMES)[number];

export interface MeshIngressConfig {
  /** `internal` (default): reachable from the VPC only; `internet-facing` needs `allowedCidrs`. */
  readonly scheme: IngressScheme;
  /** Client CIDRs allowed to reach an internet-facing NLB; must be empty when internal. */
  readonly allowedCidrs: string[];
  /** ACM certificate ARN for a TLS listener on the NLB (re-encrypting to the gateway); unset = TCP passthrough. */
  readonly certificateArn?: string;
  /** Host names the gateway serves, e.g. `["orders.example.com"]`; `["*"]` serves any. */
  readonly hosts: string[];
}

/** Replica range of an autoscaled mesh component: 2 <= min <= max <= 20. */
export interface ReplicaRangeConfig {
  readonly min: number;
  readonly max: number;
}

export interface MeshConfig {
  readonly ingress: MeshIngressConfig;
  readonly gatewayReplicas: ReplicaRangeConfig;
  readonly istiodReplicas: ReplicaRangeConfig;
}

export interface PostgresConfig {
  /** Minimum Serverless v2 capacity per instance in ACUs (0 to 256, steps of 0.5). */
  readonly minCapacityAcu: number;
  /** Maximum Serverless v2 capacity per instance in ACUs (1 to 256, steps of 0.5, >= minCapacityAcu). */
  readonly maxCapacityAcu: number;
  /** Serverless v2 readers besides the writer (1 to 15; prod: at least 2). */
  readonly readers: number;
  /** Days of automated backups and point-in-time recovery (7 to 35; prod: 35). */
  readonly backupRetentionDays: number;
}

export interface CacheConfig {
  /** ElastiCache node type, e.g. `cache.t4g.small` or `cache.r7g.large`. */
  readonly nodeType: string;
  /** Read replicas besides the primary (1 to 5; prod: at least 2). */
  readonly replicas: number;
  /** Days daily snapshots are kept (15 to 35: `RedisCache` takes 1 to 35, the compliance packs ask for 15). */
  readonly snapshotRetentionDays: number;
}

export interface DataConfig {
  /** Aurora PostgreSQL Serverless v2: the system of record. */
  readonly postgres: PostgresConfig;
  /** ElastiCache (Valkey): the cache. */
  readonly cache: CacheConfig;
}

/** How a new version of a service replaces the old one: `StatelessService`'s own type (`DELIVERY_STRATEGIES` lists them). */
export type { DeliveryStrategy };

/** An image in the environment's ECR repository: by digest (what the pipeline hands over) or immutable tag. */
export interface ServiceImageConfig {
  /** `sha256:<64 hex>`; wins over `tag` when both are set. */
  readonly digest?: string;
  /** An immutable tag such as the commit id or release version; never `latest`. */
  readonly tag?: string;
}

/** The sample orders service (services/sample) as deployed by the Workloads stack. */
/**
 * Service level objectives of a service: the burn-rate alarms page when the error budget is spent
 * too fast (multi-window, multi-burn-rate), not on every failed request.
 */
export interface ServiceSloConfig {
  /** Share of requests that must not fail with a 5xx, in percent (90 to 99.99), e.g. 99.9. */
  readonly availabilityPercent: number;
  /** A request slower than this is "slow" for the latency objective (10 to 60000 ms). */
  readonly latencyThresholdMs: number;
  /** Share of requests that must be faster than `latencyThresholdMs`, in percent (90 to 99.99). */
  readonly latencyPercent: number;
}

export interface SampleServiceConfig {
  readonly image: ServiceImageConfig;
  /** Application namespace it runs in; must be one of `cluster.namespaces`. */
  readonly namespace: string;
  /** Host name routed to it at the ingress gateway, e.g. `orders.dev.internal.example.com`. */
  readonly hostname: string;
  /** Autoscaling bounds: 2 <= minReplicas <= 100, minReplicas <= maxReplicas <= 1000 (`StatelessService`'s ranges). */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** `rolling` (Deployment), `canary` or `blue-green` (Argo Rollouts with automatic rollback). */
  readonly delivery: DeliveryStrategy;
  /** Its service level objectives (burn-rate alarms, dashboard). */
  readonly slo: ServiceSloConfig;
}

export interface WorkloadsConfig {
  readonly sample: SampleServiceConfig;
}

/** Logs, traces, metrics, dashboards and alarms of the environment. */
export interface ObservabilityConfig {
  /** Days container logs are kept (application, mesh access, platform): a CloudWatch Logs value of at least 365. */
  readonly logRetentionDays: number;
  /**
   * Share of requests that start a sampled trace at the edge (0 to 1): the ingress gateway decides,
   * sidecars and services follow the caller's `traceparent`.
   */
  readonly traceSamplingRatio: number;
  /** E-mail addresses subscribed to the environment's alarm topic (confirmed by each recipient). */
  readonly alarmEmails: string[];
}

/** Who administers the environment's KMS keys. */
export interface SecurityConfig {
  /**
   * IAM role ARNs (of the environment's account) that administer every KMS key of the
   * environment, besides the CloudFormation execution role that deploys it: key policy,
   * rotation, description, tags, aliases, disabling and deletion; no use of any key. E.g. a
   * break-glass role; SSO roles with their full path (`role/aws-reserved/sso.amazonaws.com/...`).
   */
  readonly keyAdminRoleArns: string[];
}

/** Where the environment's images and charts come from: its private ECR registry (docs/adr/0021). */
export interface RegistriesConfig {
  /**
   * Complete ARN (with its 6-character suffix) of the Secrets Manager secret holding the Docker Hub
   * credentials (`{"username": ..., "accessToken": ...}`) ECR's pull through cache uses for Istio's
   * and the OpenTelemetry collector's images. Its name must start with `ecr-pullthroughcache/`; it
   * must be in the environment's account and region. Unset: the secret named
   * `ecr-pullthroughcache/<name>/docker-hub` there (`dockerHubCredentialSecretName`).
   */
  readonly dockerHubCredentialArn?: string;
}

export interface PlatformTags {
  /** Team that owns the environment (a mail alias or team id). */
  readonly owner: string;
  readonly costCenter: string;
  readonly dataClassification: DataClassification;
}

export interface PlatformConfig {
  /** Environment key selected with `-c env=<envName>`. */
  readonly envName: string;
  /** Short lowercase name used as prefix for stacks and named resources. */
  readonly name: string;
  /** Target AWS account; unset for an environment-agnostic synth. */
  readonly account?: string;
  /** Target AWS region; unset for an environment-agnostic synth. */
  readonly region?: string;
  readonly network: NetworkConfig;
  readonly cluster: ClusterConfig;
  readonly data: DataConfig;
  /** The Istio service mesh and its ingress gateway. */
  readonly mesh: MeshConfig;
  /** Services deployed onto the platform (Workloads stack). */
  readonly workloads: WorkloadsConfig;
  /** Logs, traces, metrics, dashboards and alarms. */
  readonly observability: ObservabilityConfig;
  /** The private registry the environment's images and charts come from. */
  readonly registries: RegistriesConfig;
  /** Administration of the environment's KMS keys. */
  readonly security: SecurityConfig;
  /** Removal policy of stateful resources; prod must retain. */
  readonly removalPolicy: StatefulRemovalPolicy;
  readonly tags: PlatformTags;
}

/**
 * The delivery pipeline (`lib/pipeline`): app-wide, not per environment. Read from the
 * `pipeline` context key; when it is absent the app synthesizes the `-c env` stages instead.
 */
export interface PipelineConfig {
  /** ARN of the CodeConnections (CodeStar Connections) connection to the Git provider. */
  readonly connectionArn: string;
  /** Source repository as `owner/name`. */
  readonly repository: string;
  /** Branch that triggers the pipeline. */
  readonly branch: string;
  /** Environments deployed, in order (e.g. `["staging", "prod"]`); prod, if listed, last. */
  readonly environments: string[];
  /** Account of the pipeline itself (the tooling account); defaults to the first environment's. */
  readonly account?: string;
  /** Region of the pipeline; defaults to the first environment's. Every environment must be in it. */
  readonly region?: string;
  /**
   * Base URL of each deployed environment's internal gateway, e.g.
   * `{ "staging": "https://orders.staging.internal.example.com" }`: the smoke tests call
   * `<url>/v1/orders` from inside that environment's VPC. Defaults to
   * `https://<workloads.sample.hostname>` of each environment.
   */
  readonly smokeTestBaseUrls: Record<string, string>;
}
