/**
 * The runbook contract of the observability constructs: every alarm they create names, in its
 * description, the runbook entry an on-call engineer opens first (`Runbook: <runbook>#<anchor>`).
 * The anchors are part of the library's API: renaming one breaks the links in every runbook.
 */

/** Anchors of the runbook entries, one per kind of alarm the library creates. */
export const RUNBOOK_ANCHORS = {
  /** A service burns its availability (5xx) error budget too fast. */
  serviceAvailability: 'service-availability-slo-burn',
  /** A service burns its latency error budget too fast. */
  serviceLatency: 'service-latency-slo-burn',
  /** Aurora CPU high. */
  auroraCpu: 'aurora-cpu',
  /** Aurora freeable memory low. */
  auroraFreeableMemory: 'aurora-freeable-memory',
  /** Aurora connections high. */
  auroraConnections: 'aurora-connections',
  /** Aurora replica lag high. */
  auroraReplicaLag: 'aurora-replica-lag',
  /** ElastiCache engine CPU high. */
  cacheEngineCpu: 'cache-engine-cpu',
  /** ElastiCache memory use high. */
  cacheMemory: 'cache-memory',
  /** ElastiCache evicting keys. */
  cacheEvictions: 'cache-evictions',
  /** ElastiCache replication lag high. */
  cacheReplicationLag: 'cache-replication-lag',
  /** The ingress load balancer has unhealthy targets. */
  ingressUnhealthyTargets: 'ingress-unhealthy-targets',
  /** The ingress load balancer has no healthy target. */
  ingressNoHealthyTargets: 'ingress-no-healthy-targets',
  /** A cluster node is not ready (or the cluster's metrics stopped). */
  nodeNotReady: 'node-not-ready',
} as const;

/** Where the alarms point by default: the runbook of this repository (a path or a URL). */
export const DEFAULT_RUNBOOK = 'docs/runbook.md';

/** A runbook anchor: lowercase letters, digits and single hyphens. */
export const RUNBOOK_ANCHOR = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The line an alarm description ends with. */
export function runbookLine(runbook: string, anchor: string): string {
  return `Runbook: ${runbook}#${anchor}`;
}
