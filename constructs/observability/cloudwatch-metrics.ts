/**
 * The contract between the in-cluster metrics collector (which publishes selected Prometheus
 * series to CloudWatch as embedded metric format) and what reads them in CloudWatch (dashboards
 * and alarms): namespace and dimension names. Changing either is a breaking change for every
 * dashboard and alarm built on them.
 */

/** CloudWatch namespace of the metrics the collector publishes. */
export const PLATFORM_METRICS_NAMESPACE = 'ZeroTrustPlatform';

/** Dimensions of a service's metrics: the cluster, the Kubernetes namespace and the service (`app.kubernetes.io/name`). */
export const SERVICE_METRIC_DIMENSIONS = ['ClusterName', 'Namespace', 'Service'] as const;

/** Dimensions of cluster-wide metrics (node readiness). */
export const CLUSTER_METRIC_DIMENSIONS = ['ClusterName'] as const;

/**
 * Node readiness per node (1 ready, 0 not), published with `CLUSTER_METRIC_DIMENSIONS` only, so
 * its Minimum over a period is 0 when any node was not ready.
 */
export const NODE_READY_METRIC = 'node_ready';
