import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { AlarmTopic, PlatformMonitoring, ServiceMonitoring, type BusinessMetric } from '@zero-trust/platform-constructs';
import type { PlatformConfig } from '../config';
import { SAMPLE_CLOUDWATCH_METRICS, type ClusterStack } from './cluster-stack';
import { removalPolicyOf } from './config-mapping';
import type { DataStack } from './data-stack';
import type { WorkloadsStack } from './workloads-stack';

export interface ObservabilityStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly cluster: ClusterStack;
  readonly data: DataStack;
  readonly workloads: WorkloadsStack;
}

/** Runbook entry of the sample service's outbox backlog alarm (docs/runbook.md). */
export const SAMPLE_OUTBOX_BACKLOG_ANCHOR = 'orders-outbox-backlog';

/**
 * How the sample service's business metrics (the ones the collector publishes) are graphed, and the
 * one alarmed on: counters as their increase per 5 minutes, the outbox backlog as its maximum.
 */
const SAMPLE_BUSINESS_METRICS: Readonly<Record<(typeof SAMPLE_CLOUDWATCH_METRICS)[number], { label: string; statistic: string; alarm?: BusinessMetric['alarm'] }>> = {
  orders_created_total: { label: 'Orders created (per 5 minutes)', statistic: cloudwatch.Stats.SUM },
  idempotent_replays_total: { label: 'Idempotent replays (per 5 minutes)', statistic: cloudwatch.Stats.SUM },
  outbox_backlog: {
    label: 'Outbox backlog (unpublished events, max)',
    statistic: cloudwatch.Stats.MAXIMUM,
    alarm: {
      threshold: 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      duration: Duration.minutes(15),
      description: 'The outbox has held more than 1000 unpublished order events for 15 minutes: the relay is stuck or falling behind, and consumers of order events are late.',
      runbookAnchor: SAMPLE_OUTBOX_BACKLOG_ANCHOR,
    },
  },
};

/**
 * What leaves the cluster to be watched: the environment's alarm topic (KMS-encrypted, e-mail
 * subscriptions from `observability.alarmEmails`), the sample service's monitoring (RED from its
 * access log, SLO burn-rate pages, business signals) and one dashboard with the data tier, the
 * ingress load balancer and the nodes. It churns with dashboards and thresholds, so it is apart from
 * what it watches, and deploys after the workloads.
 */
export class ObservabilityStack extends Stack {
  /** The topic every alarm of the environment notifies. */
  readonly alarmTopic: AlarmTopic;
  /** The sample service's monitoring. */
  readonly sample: ServiceMonitoring;
  /** The environment's dashboard and resource alarms. */
  readonly monitoring: PlatformMonitoring;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, cluster, data, workloads } = props;

    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      emailAddresses: config.observability.alarmEmails,
      displayName: `${config.name} alarms`,
      removalPolicy: removalPolicyOf(config, { allowSnapshot: false }),
    });
    const topic = this.alarmTopic.topic;

    const sample = workloads.sample;
    const slo = config.workloads.sample.slo;
    const dimensions = { namespace: sample.namespace.namespaceName, service: sample.serviceName };
    const collector = cluster.metricsCollector;
    this.sample = new ServiceMonitoring(this, 'Sample', {
      serviceName: sample.serviceName,
      logGroup: cluster.containerLogs.applicationLogGroup,
      slo: { availabilityPercent: slo.availabilityPercent, latencyThreshold: Duration.millis(slo.latencyThresholdMs), latencyPercent: slo.latencyPercent },
      businessMetrics: SAMPLE_CLOUDWATCH_METRICS.map((name) => {
        const { label, statistic, alarm } = SAMPLE_BUSINESS_METRICS[name];
        return { metric: collector.metricService(name, dimensions, { label, statistic, period: Duration.minutes(5) }), alarm };
      }),
      topic,
    });

    this.monitoring = new PlatformMonitoring(this, 'Platform', {
      topic,
      nodeReadiness: collector.metricNodeReady(),
      services: [this.sample],
      database: { database: data.postgres },
      cache: { cache: data.cache },
    });
    // CloudFormation takes Tags on a dashboard (its template reference lists them, aws-cdk-lib
    // writes them), but the cfn-lint every template is checked with (1.51) does not know them yet
    // and fails the template: the dashboard goes untagged until cfn-lint does.
    (this.monitoring.dashboard.node.defaultChild as cloudwatch.CfnDashboard).addPropertyDeletionOverride('Tags');
  }
}
