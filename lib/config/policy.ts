import { SLO_OBJECTIVE_PERCENT } from '@zero-trust/platform-constructs';

/**
 * Product policy: what this platform asks of its configuration beyond what the constructs
 * accept. The constructs own their ranges and enums (`constructs/<area>/limits.ts`); the schema
 * (`schema.ts`) checks values against them, narrowed by the bounds below; `validate-config.ts`
 * adds the rules that span settings (set together, prod must retain, ...).
 */

/**
 * The secret an environment's pull through cache reads Docker Hub credentials from, unless
 * `registries.dockerHubCredentialArn` names another: one per environment (its own prefix).
 */
export function dockerHubCredentialSecretName(name: string): string {
  return `ecr-pullthroughcache/${name}/docker-hub`;
}

/** Logs are audit evidence: a year at least (Control Tower CT.CLOUDWATCH.PR.2). */
export const MIN_LOG_RETENTION_DAYS = 365;

/**
 * Cache snapshots are kept 15 days at least: the compliance packs ask for 15
 * (`RedisCache` itself accepts 1 to 35, `REDIS_SNAPSHOT_RETENTION_DAYS`).
 */
export const MIN_CACHE_SNAPSHOT_RETENTION_DAYS = 15;

/** Largest node group this platform runs (EKS allows more): a bigger pool is a design review first. */
export const MAX_NODE_POOL_SIZE = 100;

/** Root volume of a node, in whole GiB. */
export const NODE_DISK_SIZE_GIB = { min: 20, max: 1000 } as const;

/**
 * Most replicas of a service (`StatelessService` accepts up to `SERVICE_MAX_REPLICAS`): more is a
 * capacity review first (namespace quotas, node pool, database connections).
 */
export const MAX_SERVICE_REPLICAS = 100;

/** Most replicas of istiod and of the ingress gateway (`IstioMesh` sets no upper bound). */
export const MAX_MESH_REPLICAS = 20;

/**
 * prod: NAT gateways (a route to the internet) only with `network.natException`, which holds for
 * at most this many days: long enough to build the missing endpoint or mirror, short enough to be
 * reviewed again.
 */
export const MAX_NAT_EXCEPTION_DAYS = 90;

/** Shortest `network.natException.reason`: it must name what needs the internet. */
export const MIN_NAT_EXCEPTION_REASON_LENGTH = 20;

/** prod: Availability Zones at least, so losing one leaves a majority of capacity. */
export const PROD_MIN_AZS = 3;

/** prod: Aurora readers at least, so a failover still leaves a reader. */
export const PROD_MIN_POSTGRES_READERS = 2;

/** prod: cache replicas at least, so a failover still leaves a replica. */
export const PROD_MIN_CACHE_REPLICAS = 2;

/**
 * Service level objectives, in percent: the range `ServiceMonitoring`'s burn-rate pages work with
 * (below it, failing every request burns the budget slower than the fast page's 14.4x; 100 leaves
 * no error budget).
 */
export const SLO_PERCENT = SLO_OBJECTIVE_PERCENT;

/** Latency objective threshold in milliseconds. */
export const SLO_LATENCY_THRESHOLD_MS = { min: 10, max: 60_000 } as const;
