import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import { baselineNetworkPolicies, networkPolicy, POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';
import { podSecurityLabels, RESTRICTED_CONTAINER_SECURITY_CONTEXT } from '../cluster/pod-security';
import { cloudWatchLogsKeyStatement, PlatformKey } from '../compliance/platform-key';
import { managedPolicyGrantee } from '../core/managed-policy-grantee';
import { PodIdentityRole } from '../core/pod-identity-role';
import { describeValue, isIntBetween, validationFailure } from '../core/validation';
import { CLUSTER_METRIC_DIMENSIONS, NODE_READY_METRIC, PLATFORM_METRICS_NAMESPACE, SERVICE_METRIC_DIMENSIONS } from './cloudwatch-metrics';
import { annotatedPodsScrapeConfiguration, ISTIO_MERGED_METRICS_PORT } from './cluster-metrics-scraper';
import type { IMetricsWorkspace } from './metrics-workspace';
import type { MetricsScrapeSource } from './scrape-source';
import type { IPrivateRegistry } from '../registry/private-registry';
import { helmChartFrom, imageFrom } from '../registry/sources';
import type { ImageReference } from '../registry/upstream-registries';
import { OTEL_COLLECTOR_CHART_VERSION, OTEL_COLLECTOR_IMAGE, OTEL_HELM_REPOSITORY } from './versions';

/** Properties of a `MetricsCollector`. */
export interface MetricsCollectorProps {
  /** The cluster (with a kubectl provider); Pod Identity must be available (PlatformCluster installs its agent). */
  readonly cluster: eks.ICluster;
  /** The cluster's VPC: its CIDR bounds where the collectors may connect (nodes, pods, VPC endpoints, API server). */
  readonly vpc: ec2.IVpc;
  /** Where the metrics go (remote write, SigV4-signed); analysis and dashboards query it. */
  readonly workspace: IMetricsWorkspace;
  /**
   * Scraped Prometheus metrics (counters and gauges, by their exposition name, e.g.
   * `orders_created_total`) also published to CloudWatch, in `PLATFORM_METRICS_NAMESPACE` with
   * the dimensions `SERVICE_METRIC_DIMENSIONS`. Counters arrive as the increase since the
   * previous scrape, so their `Sum` over a period is the increase in that period.
   * @default - none: only node readiness is published to CloudWatch
   */
  readonly cloudWatchMetrics?: string[];
  /**
   * Ports the agents may scrape on pods (egress NetworkPolicy), e.g. a controller's own metrics port.
   * @default [ISTIO_MERGED_METRICS_PORT]
   */
  readonly metricsPorts?: number[];
  /**
   * How often targets are scraped and cluster state is collected (10 to 60 seconds, whole seconds).
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;
  /**
   * First segment of the name of the log group the embedded-metric-format events go to,
   * `/<logGroupPrefix>/metrics/emf` (e.g. the environment's name, as other platform log groups).
   * @default - a name unique to this construct's path
   */
  readonly logGroupPrefix?: string;
  /**
   * Retention of the log group the embedded-metric-format events go to.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Key encrypting that log group. Its key policy must let CloudWatch Logs use it for the log
   * group; a statement bound to exactly that log group's ARN is added to it.
   * @default - a new rotating PlatformKey, usable by CloudWatch Logs for this log group only
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the log group (and the key created here) when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Version of the opentelemetry-collector Helm chart to install.
   * @default OTEL_COLLECTOR_CHART_VERSION
   */
  readonly chartVersion?: string;
  /**
   * The collector image (upstream name, exact tag, optionally a digest).
   * @default OTEL_COLLECTOR_IMAGE
   */
  readonly image?: ImageReference;
  /**
   * Private registry the charts and the image come from (mirrored chart, pull through cache).
   * @default - the chart from the OpenTelemetry Helm repository, the image from Docker Hub
   */
  readonly registry?: IPrivateRegistry;
}

/** Release (and name prefix) of the per-node agents. */
const AGENT_RELEASE = 'metrics-agent';
/** Release of the single cluster-state collector. */
const CLUSTER_RELEASE = 'metrics-cluster';
/** The chart's name, the `app.kubernetes.io/name` label of its pods. */
const CHART = 'opentelemetry-collector';
/** The kubelet's authenticated API (node and pod CPU/memory statistics). */
const KUBELET_PORT = 10250;
/** Port of the collectors' health_check extension (the chart's probes). */
const HEALTH_PORT = 13133;

const EXACT_SEMVER = /^\d+\.\d+\.\d+$/;
const PROMETHEUS_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LOG_GROUP_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The CloudWatch metric name under which `MetricsCollector` publishes a scraped Prometheus metric:
 * the exposition name, unchanged (`orders_created_total`, `outbox_backlog`). The prometheus
 * receiver names a metric by its exposition family name (suffixes such as `_total` are kept; it
 * trims them only with `trim_metric_suffixes`, which is off) and the `awsemf` exporter publishes
 * a metric under that name. Dashboards and alarms read names through this function.
 */
export function cloudWatchMetricName(prometheusName: string): string {
  if (!PROMETHEUS_METRIC_NAME.test(prometheusName)) {
    throw new Error(`cloudWatchMetricName: ${describeValue(prometheusName)} is not a Prometheus metric name. Fix: use the name the service exposes, e.g. "orders_created_total".`);
  }
  return prometheusName;
}

/** Dimension values of a service's metric in CloudWatch. */
export interface ServiceMetricDimensions {
  /** Kubernetes namespace of the service's pods. */
  readonly namespace: string;
  /** The service (`app.kubernetes.io/name` of its pods, the `app` scrape label). */
  readonly service: string;
}

/**
 * Metrics that leave the cluster, collected by the OpenTelemetry collector (contrib distribution,
 * pinned chart and image) in its own namespace `metrics`, in two Helm releases:
 *
 * - `metrics-agent`, a DaemonSet: on each node, a prometheus receiver runs the platform's scrape
 *   job (`annotatedPodsScrapeConfiguration`, the labels the rollout analysis queries) restricted
 *   to the pods of its own node (`spec.nodeName`), so no series is collected twice and no single
 *   collector carries the cluster; the kubeletstats receiver adds node, pod and container
 *   CPU/memory from the node's kubelet. Scraped series are remote-written to the workspace exactly
 *   as Prometheus would store them (resource attributes not turned into labels, no suffixes added,
 *   no `target_info`); Kubernetes metrics carry their resource attributes as labels
 *   (`k8s_pod_name`, `k8s_namespace_name`, ...). `cloudWatchMetrics` also go to CloudWatch.
 * - `metrics-cluster`, a one-replica Deployment: the k8s_cluster receiver (cluster state, from
 *   exactly one instance) to the workspace, and node readiness to CloudWatch as `NODE_READY_METRIC`.
 *
 * Remote write is signed with the sigv4auth extension (service `aps`), bounded in retries and
 * queue; every pipeline starts with memory_limiter and batches. CloudWatch metrics are embedded
 * metric format events in a log group this construct creates (KMS customer key, bound to that log
 * group); the exporter never creates groups (its role cannot). One Pod Identity role for both
 * releases: remote write to the one workspace, and writing to the one log group.
 *
 * Outside the mesh (injection disabled): the agents scrape the sidecars' merged metrics endpoint
 * (15020, served by the pilot-agent outside the intercepted inbound listener, so plain HTTP from
 * outside the mesh reaches it without mTLS or authorization policies) and Argo Rollouts' 8090
 * (not meshed), and call only the API server, the kubelet and AWS endpoints, each over TLS with
 * its own authentication; a sidecar would add nothing but a dependency of the metrics the
 * rollback path reads on the mesh's own health. Pod Security "restricted" (no hostPath, host
 * network or host ports), NetworkPolicies: no ingress; egress DNS, the Pod Identity agent, HTTPS
 * to the VPC CIDR, and (agents only) the kubelet and the metrics ports in the VPC CIDR.
 */
export class MetricsCollector extends Construct {
  /** Namespace both releases run in. */
  static readonly NAMESPACE = 'metrics';
  /** Service account of the per-node agents. */
  static readonly AGENT_SERVICE_ACCOUNT = AGENT_RELEASE;
  /** Service account of the cluster-state collector. */
  static readonly CLUSTER_SERVICE_ACCOUNT = CLUSTER_RELEASE;

  /** The namespace the collectors run in. */
  readonly namespace = MetricsCollector.NAMESPACE;
  /** The agents' pods, for scraped workloads' NetworkPolicies (StatelessService, ArgoRollouts `scrapeSources`). */
  readonly scrapeSource: MetricsScrapeSource;
  /** Helm release of the per-node agents (DaemonSet). */
  readonly agentChart: eks.HelmChart;
  /** Helm release of the cluster-state collector (one-replica Deployment). */
  readonly clusterChart: eks.HelmChart;
  /** The collectors' role (EKS Pod Identity). */
  readonly role: iam.Role;
  /** Log group of the embedded-metric-format events CloudWatch extracts the metrics from. */
  readonly logGroup: logs.LogGroup;
  /** Key encrypting the log group. */
  readonly encryptionKey: kms.IKey;
  /** Prometheus metrics also published to CloudWatch (their CloudWatch names: `cloudWatchMetricName`). */
  readonly cloudWatchMetrics: readonly string[];
  /** Name of the cluster, the `ClusterName` dimension of every CloudWatch metric. */
  readonly clusterName: string;
  /** Depend on this for metrics to be collected: namespace, policies, roles and both releases are in place. */
  readonly ready: IDependable;

  constructor(scope: Construct, id: string, props: MetricsCollectorProps) {
    super(scope, id);
    const fail = validationFailure('MetricsCollector', this.node.path);
    const version = props.chartVersion ?? OTEL_COLLECTOR_CHART_VERSION;
    if (!EXACT_SEMVER.test(version)) fail(`chartVersion ${describeValue(version)} is not an exact version. Fix: pin a release such as "${OTEL_COLLECTOR_CHART_VERSION}" (no ranges).`);
    const interval = props.scrapeInterval ?? Duration.seconds(30);
    const intervalSeconds = interval.toSeconds({ integral: false });
    if (!isIntBetween(intervalSeconds, 10, 60)) fail(`scrapeInterval ${intervalSeconds}s must be 10 to 60 whole seconds: rollout analysis reads rates over two of its 30s+ intervals. Fix: use e.g. Duration.seconds(30).`);
    const metricsPorts = props.metricsPorts ?? [ISTIO_MERGED_METRICS_PORT];
    if (metricsPorts.length === 0) fail('metricsPorts is empty: the agents could scrape nothing. Fix: pass at least ISTIO_MERGED_METRICS_PORT.');
    for (const port of metricsPorts) {
      if (!isIntBetween(port, 1, 65535) || port === 443 || port === KUBELET_PORT) fail(`metricsPorts has ${describeValue(port)}: must be a TCP port other than 443 and ${KUBELET_PORT} (always allowed for the API server and the kubelet).`);
    }
    const cloudWatchMetrics = props.cloudWatchMetrics ?? [];
    for (const name of cloudWatchMetrics) {
      if (!PROMETHEUS_METRIC_NAME.test(name)) fail(`cloudWatchMetrics has ${describeValue(name)}, which is not a Prometheus metric name. Fix: use the name the service exposes, e.g. "orders_created_total".`);
      if (/_(bucket|count|sum)$/.test(name)) fail(`cloudWatchMetrics has "${name}": a histogram or summary series, which the collector sees as part of a metric, never on its own. Fix: publish a counter or gauge.`);
    }
    const duplicates = cloudWatchMetrics.filter((name, i) => cloudWatchMetrics.indexOf(name) !== i);
    if (duplicates.length > 0) fail(`cloudWatchMetrics lists ${describeValue([...new Set(duplicates)])} more than once. Fix: list each metric once.`);
    this.cloudWatchMetrics = [...cloudWatchMetrics];
    const vpcCidr = props.vpc.vpcCidrBlock;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);
    const ns = MetricsCollector.NAMESPACE;
    this.clusterName = props.cluster.clusterName;

    // --- Where CloudWatch metrics go: an encrypted log group, the key bound to it alone ---------
    const prefix = props.logGroupPrefix ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    if (!Token.isUnresolved(prefix) && !LOG_GROUP_PREFIX.test(prefix)) fail(`logGroupPrefix ${describeValue(prefix)} is not a log group name segment. Fix: 1 to 64 letters, digits, ".", "_" and "-", starting with a letter or digit.`);
    const logGroupName = `/${prefix}/metrics/emf`;
    // Built from the name (not the log group's attribute), so the key policy names the group without a cycle.
    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.encryptionKey = props.encryptionKey ?? new PlatformKey(this, 'Key', { description: `Encrypts the embedded-metric-format log group of ${this.node.path}`, removalPolicy });
    this.encryptionKey.addToResourcePolicy(cloudWatchLogsKeyStatement(stack, [logGroupArn]));
    this.logGroup = new logs.LogGroup(this, 'EmfLogs', {
      logGroupName,
      encryptionKey: this.encryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });

    // --- Identity: Pod Identity, remote write to the workspace, write to the log group ----------
    const role = new PodIdentityRole(this, 'Role', {
      cluster: props.cluster,
      namespace: ns,
      serviceAccounts: [AGENT_RELEASE, CLUSTER_RELEASE],
      description: `Metrics collectors (${ns}/${AGENT_RELEASE}, ${ns}/${CLUSTER_RELEASE}) through EKS Pod Identity: remote write and metric log events`,
    });
    this.role = role;
    const grantee = managedPolicyGrantee(this.role, () => new iam.ManagedPolicy(this, 'Policy', {
      description: 'Metrics collectors: remote write into the platform metrics workspace and embedded-metric-format events into their log group, nothing else',
      roles: [this.role],
    }));
    props.workspace.grantRemoteWrite(grantee);
    // CreateLogStream/PutLogEvents/DescribeLogStreams only: no CreateLogGroup or PutRetentionPolicy,
    // so the exporter cannot create or alter groups. The Arn attribute covers the group's streams.
    this.logGroup.grant(grantee, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
    const policy = this.node.findChild('Policy');
    const associations = [role.associate(this, 'AgentPodIdentity', AGENT_RELEASE), role.associate(this, 'ClusterPodIdentity', CLUSTER_RELEASE)];

    // --- Namespace and NetworkPolicies ------------------------------------------------------------
    const agentLabels = { 'app.kubernetes.io/name': CHART, 'app.kubernetes.io/instance': AGENT_RELEASE };
    this.scrapeSource = { namespace: ns, podLabels: agentLabels };
    const namespace = new eks.KubernetesManifest(this, 'Namespace', {
      cluster: props.cluster,
      overwrite: true,
      manifest: [
        // Not in the mesh (see above): injection explicitly off.
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...podSecurityLabels('restricted'), 'istio-injection': 'disabled' } } },
        ...collectorNetworkPolicies(ns, vpcCidr, metricsPorts, agentLabels),
      ],
    });

    // --- The collectors ---------------------------------------------------------------------------
    const region = stack.region;
    const exporters = {
      // Scraped series as Prometheus stores them: `job`/`instance` from the scrape, the scrape's
      // labels, names as exposed. Resource attributes (k8s.pod.name, server.address, ...) would
      // only duplicate labels, so they stay off the series, and no target_info is written.
      'prometheusremotewrite/pods': remoteWrite(props.workspace.prometheusEndpoint, { resourceLabels: false }),
      // Kubernetes metrics identify their node, pod and container by resource attributes only: they become labels.
      'prometheusremotewrite/kubernetes': remoteWrite(props.workspace.prometheusEndpoint, { resourceLabels: true }),
    };
    const extensions = {
      health_check: { endpoint: `\${env:MY_POD_IP}:${HEALTH_PORT}` },
      sigv4auth: { region, service: 'aps' },
    };
    const baseProcessors = {
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
      batch: { timeout: '5s', send_batch_size: 1024, send_batch_max_size: 2048 },
    };
    const emf = (dimensions: readonly string[], metricNames: readonly string[]) => ({
      region,
      namespace: PLATFORM_METRICS_NAMESPACE,
      log_group_name: logGroupName,
      // One stream per collector pod (the chart sets OTEL_K8S_POD_NAME).
      log_stream_name: '${env:OTEL_K8S_POD_NAME}',
      output_destination: 'cloudwatch',
      version: '1',
      // Only the declared dimension set, no rollups; datapoint attributes only (no resource attributes).
      dimension_rollup_option: 'NoDimensionRollup',
      resource_to_telemetry_conversion: { enabled: false },
      // The first value of a counter is its baseline, never a delta (a restarted collector would
      // otherwise publish every counter's whole history as one period's increase).
      retain_initial_value_of_delta_metric: false,
      metric_declarations: [{ dimensions: [[...dimensions]], metric_name_selectors: metricNames.map((n) => `^${n}$`) }],
    });

    const scrape = nodeLocalScrapeConfiguration(intervalSeconds);
    const agentPipelines: Record<string, unknown> = {
      // `metrics` is the pipeline the chart's kubeletMetrics preset adds kubeletstats to.
      'metrics': { receivers: ['kubeletstats'], processors: ['memory_limiter', 'batch'], exporters: ['prometheusremotewrite/kubernetes'] },
      'metrics/pods': { receivers: ['prometheus'], processors: ['memory_limiter', 'batch'], exporters: ['prometheusremotewrite/pods'] },
    };
    const agentConfig: Record<string, unknown> = {
      extensions,
      receivers: {
        prometheus: { config: scrape },
        kubeletstats: {
          auth_type: 'serviceAccount',
          // The kubelet's serving certificate is verified against the cluster CA.
          endpoint: `\${env:K8S_NODE_IP}:${KUBELET_PORT}`,
          insecure_skip_verify: false,
          collection_interval: `${intervalSeconds}s`,
          metric_groups: ['node', 'pod', 'container'],
        },
      },
      processors: { ...baseProcessors },
      exporters: { ...exporters },
      service: { extensions: Object.keys(extensions), pipelines: agentPipelines, telemetry: { logs: { encoding: 'json' } } },
    };
    if (cloudWatchMetrics.length > 0) {
      Object.assign(agentConfig.processors as object, {
        'filter/cloudwatch': {
          error_mode: 'ignore',
          metrics: {
            metric: [`not IsMatch(name, "^(${cloudWatchMetrics.join('|')})$")`],
            // Points without the service's labels could carry no dimensions.
            datapoint: ['attributes["namespace"] == nil or attributes["app"] == nil'],
          },
        },
        'transform/cloudwatch': {
          error_mode: 'ignore',
          metric_statements: [{
            context: 'datapoint',
            statements: [
              `set(attributes["${SERVICE_METRIC_DIMENSIONS[0]}"], "${this.clusterName}")`,
              `set(attributes["${SERVICE_METRIC_DIMENSIONS[1]}"], attributes["namespace"])`,
              `set(attributes["${SERVICE_METRIC_DIMENSIONS[2]}"], attributes["app"])`,
            ],
          }],
        },
      });
      Object.assign(agentConfig.exporters as object, { awsemf: emf(SERVICE_METRIC_DIMENSIONS, cloudWatchMetrics) });
      agentPipelines['metrics/cloudwatch'] = { receivers: ['prometheus'], processors: ['memory_limiter', 'filter/cloudwatch', 'transform/cloudwatch', 'batch'], exporters: ['awsemf'] };
    }

    const clusterConfig = {
      extensions,
      receivers: {
        k8s_cluster: {
          auth_type: 'serviceAccount',
          collection_interval: `${intervalSeconds}s`,
          node_conditions_to_report: ['Ready'],
          allocatable_types_to_report: ['cpu', 'memory'],
        },
      },
      processors: {
        ...baseProcessors,
        'filter/node-ready': { error_mode: 'ignore', metrics: { metric: ['name != "k8s.node.condition_ready"'] } },
        'transform/node-ready': {
          error_mode: 'ignore',
          metric_statements: [
            { context: 'metric', statements: [`set(name, "${NODE_READY_METRIC}") where name == "k8s.node.condition_ready"`] },
            {
              context: 'datapoint',
              statements: [
                // Unknown (-1: the kubelet stopped reporting, e.g. a lost node) is not ready.
                'set(value_int, 0) where value_int < 0',
                `set(attributes["${CLUSTER_METRIC_DIMENSIONS[0]}"], "${this.clusterName}")`,
                // Not a dimension: keeps each node's value its own event (same labels would be merged).
                'set(attributes["NodeName"], resource.attributes["k8s.node.name"])',
              ],
            },
          ],
        },
      },
      exporters: { 'prometheusremotewrite/kubernetes': exporters['prometheusremotewrite/kubernetes'], 'awsemf': emf(CLUSTER_METRIC_DIMENSIONS, [NODE_READY_METRIC]) },
      service: {
        extensions: Object.keys(extensions),
        pipelines: {
          'metrics': { receivers: ['k8s_cluster'], processors: ['memory_limiter', 'batch'], exporters: ['prometheusremotewrite/kubernetes'] },
          'metrics/cloudwatch': { receivers: ['k8s_cluster'], processors: ['memory_limiter', 'filter/node-ready', 'transform/node-ready', 'batch'], exporters: ['awsemf'] },
        },
        telemetry: { logs: { encoding: 'json' } },
      },
    };

    const from = helmChartFrom(props.registry, { chart: CHART, version, repository: OTEL_HELM_REPOSITORY });
    const image = imageFrom(props.registry, props.image ?? OTEL_COLLECTOR_IMAGE);
    const common = {
      image: { repository: image.repository, tag: image.tag, ...(image.digest ? { digest: image.digest } : {}), pullPolicy: 'IfNotPresent' },
      command: { name: 'otelcol-contrib' },
      // No receiver listens for pushes: no container ports, so no Service and no host ports.
      ports: Object.fromEntries(['otlp', 'otlp-http', 'jaeger-compact', 'jaeger-thrift', 'jaeger-grpc', 'zipkin', 'metrics'].map((port) => [port, { enabled: false }])),
      service: { enabled: false },
      hostNetwork: false,
      podSecurityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      securityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
      useGOMEMLIMIT: true,
    };
    this.agentChart = new eks.HelmChart(this, 'AgentChart', {
      cluster: props.cluster,
      ...from.location,
      release: AGENT_RELEASE,
      namespace: ns,
      createNamespace: false,
      wait: true,
      values: {
        ...common,
        mode: 'daemonset',
        fullnameOverride: 'metrics',
        // The API token: pod discovery and the kubelet's authenticated API.
        serviceAccount: { create: true, name: AGENT_RELEASE, automountServiceAccountToken: true },
        // Read-only: pods (discovery) here, nodes/stats (kubelet) from the kubeletMetrics preset.
        clusterRole: {
          create: true,
          name: AGENT_RELEASE,
          clusterRoleBinding: { name: AGENT_RELEASE },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
        },
        presets: { kubeletMetrics: { enabled: true } },
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        alternateConfig: agentConfig,
      },
    });
    this.clusterChart = new eks.HelmChart(this, 'ClusterChart', {
      cluster: props.cluster,
      ...from.location,
      release: CLUSTER_RELEASE,
      namespace: ns,
      createNamespace: false,
      wait: true,
      values: {
        ...common,
        // Exactly one instance reads cluster state: no duplicate series, no leader election (and
        // so no write access to leases).
        mode: 'deployment',
        replicaCount: 1,
        fullnameOverride: CLUSTER_RELEASE,
        serviceAccount: { create: true, name: CLUSTER_RELEASE, automountServiceAccountToken: true },
        // The chart's read-only k8s_cluster rules (get/list/watch; no secrets or config maps).
        presets: { clusterMetrics: { enabled: true } },
        // Off a lost node within a minute (default 5 minutes), so node readiness keeps reporting.
        tolerations: ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 })),
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        alternateConfig: clusterConfig,
      },
    });
    for (const chart of [this.agentChart, this.clusterChart]) chart.node.addDependency(namespace, ...associations, policy, this.logGroup, ...from.dependencies);
    this.ready = new DependencyGroup(this.agentChart, this.clusterChart);
  }

  /**
   * A service's metric in CloudWatch, as this collector publishes it (`cloudWatchMetrics`):
   * namespace `PLATFORM_METRICS_NAMESPACE`, dimensions ClusterName, Namespace, Service.
   * @default statistic - `Sum` for a counter (a name ending in `_total`: per-period increase), `Average` otherwise
   */
  metricService(metricName: string, dimensions: ServiceMetricDimensions, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    if (!this.cloudWatchMetrics.includes(metricName)) {
      throw new Error(`MetricsCollector ${this.node.path}: metric "${metricName}" is not published to CloudWatch (cloudWatchMetrics: ${describeValue(this.cloudWatchMetrics)}). Fix: add it to cloudWatchMetrics.`);
    }
    return new cloudwatch.Metric({
      namespace: PLATFORM_METRICS_NAMESPACE,
      metricName: cloudWatchMetricName(metricName),
      dimensionsMap: { ClusterName: this.clusterName, Namespace: dimensions.namespace, Service: dimensions.service },
      statistic: metricName.endsWith('_total') ? 'Sum' : 'Average',
      ...props,
    });
  }

  /**
   * Node readiness in CloudWatch (`NODE_READY_METRIC`, 1 ready, 0 not or unknown, per node),
   * dimension ClusterName only: its Minimum over a period is 0 when any node was not ready.
   * @default statistic - `Minimum`
   */
  metricNodeReady(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PLATFORM_METRICS_NAMESPACE,
      metricName: NODE_READY_METRIC,
      dimensionsMap: { ClusterName: this.clusterName },
      statistic: 'Minimum',
      ...props,
    });
  }
}

/**
 * The platform's scrape job for a per-node agent: only the pods of the agent's own node
 * (`spec.nodeName`, from the downward API), and `$` escaped as `$$` for the collector's
 * configuration expansion (which would otherwise read `$1` in relabel replacements as variables).
 */
function nodeLocalScrapeConfiguration(intervalSeconds: number): Record<string, unknown> {
  const config = escapeDollars(annotatedPodsScrapeConfiguration(intervalSeconds)) as { scrape_configs: Array<{ kubernetes_sd_configs: Array<Record<string, unknown>> }> };
  for (const job of config.scrape_configs) {
    job.kubernetes_sd_configs = job.kubernetes_sd_configs.map((sd) => ({ ...sd, selectors: [{ role: 'pod', field: 'spec.nodeName=${env:K8S_NODE_NAME}' }] }));
  }
  return config;
}

function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDollars(v)]));
  return value;
}

function remoteWrite(prometheusEndpoint: string, options: { resourceLabels: boolean }): Record<string, unknown> {
  return {
    endpoint: `${prometheusEndpoint}api/v1/remote_write`,
    auth: { authenticator: 'sigv4auth' },
    // Scraped names already carry their suffixes; OpenTelemetry-native names get the standard ones.
    add_metric_suffixes: options.resourceLabels,
    resource_to_telemetry_conversion: { enabled: options.resourceLabels },
    target_info: { enabled: false },
    timeout: '15s',
    // Bounded: a workspace outage drops metrics after five minutes instead of exhausting memory.
    retry_on_failure: { enabled: true, initial_interval: '5s', max_interval: '30s', max_elapsed_time: '300s' },
    remote_write_queue: { enabled: true, queue_size: 2000, num_consumers: 4 },
  };
}

/** Default deny, then exactly what the collectors need. */
function collectorNetworkPolicies(ns: string, vpcCidr: string, metricsPorts: number[], agentLabels: Record<string, string>): Record<string, unknown>[] {
  const toVpc = (ports: number[]) => [{ to: [{ ipBlock: { cidr: vpcCidr } }], ports: ports.map((port) => ({ protocol: 'TCP', port })) }];
  return [
    ...baselineNetworkPolicies(ns),
    networkPolicy(ns, 'allow-pod-identity-agent', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: 'TCP', port: POD_IDENTITY_AGENT.port }] }] }),
    // The API server, and the workspace's (aps-workspaces) and CloudWatch Logs' interface endpoints.
    networkPolicy(ns, 'allow-https-egress', { podSelector: {}, policyTypes: ['Egress'], egress: toVpc([443]) }),
    networkPolicy(ns, 'allow-kubelet-egress', { podSelector: { matchLabels: agentLabels }, policyTypes: ['Egress'], egress: toVpc([KUBELET_PORT]) }),
    networkPolicy(ns, 'allow-scrape-egress', { podSelector: { matchLabels: agentLabels }, policyTypes: ['Egress'], egress: toVpc(metricsPorts) }),
  ];
}
