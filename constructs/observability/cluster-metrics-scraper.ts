import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { validationFailure } from '../core/validation';
import { vendedLogGroup, type MetricsWorkspace } from './metrics-workspace';

/**
 * Port of the Istio sidecar's merged metrics endpoint (`/stats/prometheus`): the pilot-agent
 * serves the app's own metrics (from its `prometheus.io/*` annotations) merged with Envoy's
 * `istio_*` metrics, outside the mTLS-intercepted inbound listener.
 */
export const ISTIO_MERGED_METRICS_PORT = 15020;

/** Properties of a `ClusterMetricsScraper`. */
export interface ClusterMetricsScraperProps {
  /** The cluster to scrape; its authentication mode must allow access entries (aws-eks-v2 uses API). */
  readonly cluster: eks.ICluster;
  /** The cluster's VPC. */
  readonly vpc: ec2.IVpc;
  /** Where the metrics go. */
  readonly workspace: MetricsWorkspace;
  /**
   * Subnets the scraper's network interfaces go to (at least two, in two zones).
   * @default - the private subnets (where the nodes and pods are)
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Ports the scraper may reach on the cluster's security group besides the API server (443),
   * e.g. a controller's own metrics port.
   * @default [ISTIO_MERGED_METRICS_PORT]
   */
  readonly metricsPorts?: number[];
  /**
   * How often targets are scraped (AWS managed collectors allow 30 seconds or more).
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;
  /**
   * Retention of the scraper's own log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the scraper's log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An AWS managed collector (`AWS::APS::Scraper`) for an EKS cluster: agentless, highly
 * available, writing into a MetricsWorkspace. It scrapes pods that ask for it with the
 * `prometheus.io/scrape|port|path` annotations (in the mesh, Istio rewrites them to the
 * sidecar's merged endpoint on 15020) and copies the pod's namespace, name,
 * `app.kubernetes.io/name|version` and `rollouts-pod-template-hash` labels onto every series,
 * so analysis can tell a canary from the stable version.
 *
 * - Cluster access: with access entries (authentication mode API), Amazon Managed Service for
 *   Prometheus creates the scraper's access entry itself (read-only: pods, services, endpoints,
 *   nodes, `/metrics`); no aws-auth entry is needed.
 * - Network: its own security group, allowed to the cluster security group on 443 (service
 *   discovery against the API server) and on the metrics ports only; the cluster security group
 *   admits it on exactly those ports. Pods must also admit `sourceCidrs` on the metrics port in
 *   their NetworkPolicies (their namespaces deny by default).
 * - Customer managed key: the workspace is encrypted with one, so the scraper writes through a
 *   source/target role pair in this account (RoleConfiguration), the target holding only
 *   `aps:RemoteWrite` on that workspace.
 *
 * Caveat: AWS has documented that workspaces encrypted with a customer managed key could not be
 * used with AWS managed collectors; whether a given region and account accept this pairing cannot
 * be settled at synth. The platform therefore collects with the in-cluster `MetricsCollector`
 * (scrape on each node, remote write signed with SigV4 under EKS Pod Identity), which works either
 * way and writes the same series and labels (the same `annotatedPodsScrapeConfiguration`). This
 * construct stays for workspaces with an AWS owned key, or once AWS supports the pairing.
 */
export class ClusterMetricsScraper extends Construct {
  /** The L1 scraper. */
  readonly resource: aps.CfnScraper;
  /** Security group of the scraper's network interfaces. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** CIDRs the scrapes come from (the subnets of its network interfaces), for NetworkPolicies. */
  readonly sourceCidrs: string[];
  /** Ports it scrapes on pods. */
  readonly metricsPorts: number[];
  /** The scrape configuration (Prometheus format), before base64 encoding. */
  readonly scrapeConfiguration: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: ClusterMetricsScraperProps) {
    super(scope, id);
    const fail = validationFailure('ClusterMetricsScraper', this.node.path);
    const interval = props.scrapeInterval ?? Duration.seconds(30);
    if (interval.toSeconds() < 30) fail(`scrapeInterval ${interval.toSeconds()}s is below the 30s minimum of AWS managed collectors. Fix: use 30 seconds or more.`);
    this.metricsPorts = props.metricsPorts ?? [ISTIO_MERGED_METRICS_PORT];
    for (const port of this.metricsPorts) {
      if (!Number.isInteger(port) || port < 1 || port > 65535 || port === 443) fail(`metricsPorts has ${port}: must be a TCP port other than 443 (the API server port is always allowed).`);
    }
    const subnets = props.vpc.selectSubnets(props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    if (subnets.subnets.length < 2) fail(`the subnets select ${subnets.subnets.length} subnet(s): AWS managed collectors need at least two, in two Availability Zones.`);
    this.sourceCidrs = subnets.subnets.map((s) => s.ipv4CidrBlock);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Managed Prometheus scraper: API server discovery and pod metrics ports only',
      allowAllOutbound: false,
    });
    this.securityGroup = securityGroup;
    // The cluster security group is on the control-plane network interfaces and on the nodes
    // (and so the pods, with the VPC CNI): one rule per port, nothing else.
    for (const port of [443, ...this.metricsPorts]) {
      props.cluster.clusterSecurityGroup.connections.allowFrom(securityGroup, ec2.Port.tcp(port), port === 443 ? 'Managed Prometheus scraper: service discovery' : `Managed Prometheus scraper: metrics on ${port}`);
    }

    // Customer managed key on the workspace: write through a role pair in this account.
    const scraperArns = stack.formatArn({ service: 'aps', resource: 'scraper', resourceName: '*' });
    const sourceRole = new iam.Role(this, 'SourceRole', {
      description: `Managed Prometheus scraper ${this.node.path}: assumed by the collector, may only assume the target role`,
      assumedBy: new iam.ServicePrincipal('scraper.aps.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': scraperArns } },
      }),
    });
    const targetRole = new iam.Role(this, 'TargetRole', {
      description: `Managed Prometheus scraper ${this.node.path}: remote write into its workspace only`,
      assumedBy: new iam.ArnPrincipal(sourceRole.roleArn).withConditions({ StringLike: { 'sts:ExternalId': scraperArns } }),
    });
    new iam.ManagedPolicy(this, 'SourcePolicy', {
      description: 'Assume the scraper target role only',
      roles: [sourceRole],
      statements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [targetRole.roleArn] })],
    });
    const targetPolicy = new iam.ManagedPolicy(this, 'TargetPolicy', { description: 'Remote write into the platform metrics workspace only', roles: [targetRole] });
    targetPolicy.addStatements(new iam.PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [props.workspace.workspaceArn] }));

    const logGroup = vendedLogGroup(this, 'Logs', props.workspace.encryptionKey, props.logRetention, removalPolicy);
    this.scrapeConfiguration = annotatedPodsScrapeConfiguration(interval.toSeconds());
    this.resource = new aps.CfnScraper(this, 'Resource', {
      alias: `${Stack.of(this).stackName}-pods`.replace(/[^-.0-9A-Z_a-z]/g, '-').slice(0, 100),
      source: {
        eksConfiguration: {
          clusterArn: props.cluster.clusterArn,
          subnetIds: subnets.subnetIds,
          securityGroupIds: [securityGroup.securityGroupId],
        },
      },
      destination: { ampConfiguration: { workspaceArn: props.workspace.workspaceArn } },
      roleConfiguration: { sourceRoleArn: sourceRole.roleArn, targetRoleArn: targetRole.roleArn },
      // JSON is YAML: the collector reads the same document either way.
      scrapeConfiguration: { configurationBlob: Buffer.from(JSON.stringify(this.scrapeConfiguration)).toString('base64') },
      scraperLoggingConfiguration: {
        loggingDestination: { cloudWatchLogs: { logGroupArn: logGroup.logGroupArn } },
        scraperComponents: [{ type: 'SERVICE_DISCOVERY' }, { type: 'COLLECTOR' }, { type: 'EXPORTER' }],
      },
    });
    this.resource.node.addDependency(targetPolicy);
  }
}

/** Name of the scrape job of annotated pods: the `job` label of every series it collects. */
export const ANNOTATED_PODS_JOB = 'annotated-pods';

/**
 * The Prometheus scrape configuration of the platform (one job, `annotated-pods`): pods that opt
 * in with `prometheus.io/scrape|port|path` annotations, labelled with `namespace`, `pod`, `app`
 * (`app.kubernetes.io/name`), `version` (`app.kubernetes.io/version`) and
 * `rollouts_pod_template_hash`, so rollout analysis can tell a canary from the stable version.
 * Shared by the AWS managed scraper and the in-cluster `MetricsCollector`: one home for the labels
 * the analysis queries.
 *
 * @param intervalSeconds seconds between scrapes of a target
 */
export function annotatedPodsScrapeConfiguration(intervalSeconds: number): Record<string, unknown> {
  const copy = (label: string, target: string) => ({ source_labels: [`__meta_kubernetes_pod_label_${label}`], target_label: target, action: 'replace' });
  return {
    global: { scrape_interval: `${intervalSeconds}s`, scrape_timeout: '10s' },
    scrape_configs: [{
      job_name: ANNOTATED_PODS_JOB,
      kubernetes_sd_configs: [{ role: 'pod' }],
      relabel_configs: [
        { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' },
        { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
        { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], regex: '(.+)', target_label: '__metrics_path__', action: 'replace' },
        {
          source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
          regex: '([^:]+)(?::\\d+)?;(\\d+)',
          replacement: '$1:$2',
          target_label: '__address__',
          action: 'replace',
        },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace', action: 'replace' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod', action: 'replace' },
        copy('app_kubernetes_io_name', 'app'),
        copy('app_kubernetes_io_version', 'version'),
        copy('rollouts_pod_template_hash', 'rollouts_pod_template_hash'),
      ],
    }],
  };
}
