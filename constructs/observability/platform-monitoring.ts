import { Duration, Size, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import {
  type CustomAlarmThreshold,
  DefaultDashboardFactory,
  ElastiCacheClusterType,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { describeValue, validationFailure } from '../core/validation';
import type { IPostgresDatabase } from '../data/postgres-database';
import type { RedisCache } from '../data/redis-cache';
import { DEFAULT_RUNBOOK, RUNBOOK_ANCHORS } from './runbook';
import type { ServiceMonitoring } from './service-monitoring';

/** What to watch on the database, and when to alarm. */
export interface DatabaseMonitoringOptions {
  /** The Aurora PostgreSQL database. */
  readonly database: IPostgresDatabase;
  /**
   * Alarm when average CPU stays above this (percent) for 15 minutes.
   * @default 80
   */
  readonly maxCpuPercent?: number;
  /**
   * Alarm when freeable memory stays below this for 15 minutes (Serverless v2: memory left at the
   * maximum capacity).
   * @default Size.mebibytes(512)
   */
  readonly minFreeableMemory?: Size;
  /**
   * Alarm when connections stay above this for 15 minutes. Aurora PostgreSQL allows about
   * `LEAST(memory / 9531392, 5000)` (about 900 at 4 ACUs, Serverless v2's maximum capacity counts).
   * @default 500
   */
  readonly maxConnections?: number;
  /**
   * Alarm when the largest reader lag stays above this for 5 minutes.
   * @default Duration.seconds(1)
   */
  readonly maxReplicaLag?: Duration;
}

/** What to watch on the cache, and when to alarm (per node). */
export interface CacheMonitoringOptions {
  /** The ElastiCache (Valkey) replication group. */
  readonly cache: RedisCache;
  /**
   * Alarm when a node's engine thread CPU stays above this (percent) for 15 minutes.
   * @default 90
   */
  readonly maxEngineCpuPercent?: number;
  /**
   * Alarm when a node's memory use (percent of maxmemory) stays above this for 15 minutes.
   * @default 90
   */
  readonly maxMemoryPercent?: number;
  /**
   * Alarm when a node evicts more keys than this in each 5 minutes for 15 minutes.
   * @default 1000
   */
  readonly maxEvictions?: number;
  /**
   * Alarm when a replica's lag stays above this for 5 minutes.
   * @default Duration.seconds(30)
   */
  readonly maxReplicationLag?: Duration;
}

/** Properties of a `PlatformMonitoring`. */
export interface PlatformMonitoringProps {
  /** Where alarms notify (an `AlarmTopic`'s topic, whose key CloudWatch may use). */
  readonly topic: sns.ITopic;
  /**
   * Readiness of the cluster's nodes: a metric whose value is below 1 when a node is not ready,
   * e.g. `MetricsCollector.metricNodeReady()` (`NODE_READY_METRIC`, Minimum over the nodes).
   * Alarmed on per minute.
   */
  readonly nodeReadiness: cloudwatch.Metric;
  /**
   * The services, each with its own alarms; their widgets head the dashboard.
   * @default - none
   */
  readonly services?: ServiceMonitoring[];
  /**
   * The database to watch.
   * @default - none
   */
  readonly database?: DatabaseMonitoringOptions;
  /**
   * The cache to watch.
   * @default - none
   */
  readonly cache?: CacheMonitoringOptions;
  /**
   * Watch the ingress load balancer: every Network Load Balancer target group of this account and
   * region (the gateway's NLB is made at deploy time by the AWS Load Balancer Controller, so it
   * cannot be named at synth; one environment per account and region keeps that to the gateway's).
   * @default true
   */
  readonly ingressLoadBalancer?: boolean;
  /**
   * Name of the dashboard.
   * @default - the stack name
   */
  readonly dashboardName?: string;
  /**
   * Prefix of the alarm names.
   * @default - the stack name
   */
  readonly alarmNamePrefix?: string;
  /**
   * The runbook the alarm descriptions link to (a path in the repository or a URL).
   * @default DEFAULT_RUNBOOK
   */
  readonly runbook?: string;
}

/**
 * An environment's dashboard (one CloudWatch dashboard, built with cdk-monitoring-constructs) and
 * its resource alarms, all notifying one topic on alarm and on recovery:
 *
 * - the services' sections (`ServiceMonitoring`: RED, SLI, business signals, their pages);
 * - Aurora: CPU, connections (AuroraClusterMonitoring), freeable memory and replica lag;
 * - ElastiCache, per node: engine CPU and evictions (ElastiCacheClusterMonitoring), memory use and
 *   replication lag;
 * - the ingress NLB: unhealthy targets and no healthy target, through CloudWatch Metrics Insights
 *   queries over the account's NLB target groups (hermetic: nothing about the load balancer is
 *   known at synth);
 * - the cluster's nodes: readiness below 1 (a node not ready) for 5 minutes, where missing data
 *   breaches (no data means the cluster or its metrics collector stopped reporting).
 *
 * AWS metrics are always published, so their missing data stays "missing" (no state change);
 * every alarm names its runbook entry (`RUNBOOK_ANCHORS`) in its description.
 */
export class PlatformMonitoring extends Construct {
  /** The environment's dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The resource alarms this construct creates (the services' own are on each ServiceMonitoring). */
  readonly alarms: cloudwatch.AlarmBase[];

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const dashboardName = props.dashboardName ?? stackName;
    validatePlatformMonitoringProps(this, props, dashboardName);
    const runbook = props.runbook ?? DEFAULT_RUNBOOK;
    const link = (anchor: string) => `${runbook}#${anchor}`;

    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: dashboardName,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
    const facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: props.alarmNamePrefix ?? stackName,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.topic, onOkTopic: props.topic }),
        // 3 consecutive 5-minute periods unless an alarm says otherwise.
        datapointsToAlarm: 3,
      },
      dashboardFactory: dashboards,
    });

    facade.addLargeHeader(`Environment ${dashboardName}`);
    for (const service of props.services ?? []) facade.addSegment(service);
    if (props.database) monitorDatabase(facade, props.database, link);
    if (props.cache) monitorCache(facade, props.cache, link);
    if (props.ingressLoadBalancer ?? true) monitorIngress(facade, link);
    monitorNodes(facade, props.nodeReadiness, link);

    this.dashboard = dashboards.dashboard!;
    this.alarms = facade.createdAlarms().map((a) => a.alarm);
  }
}

type Link = (anchor: string) => string;

const FIVE_MINUTES_3_TIMES = { datapointsToAlarm: 3, evaluationPeriods: 3 } as const;
const ONE_MINUTE_5_TIMES = { datapointsToAlarm: 5, evaluationPeriods: 5 } as const;

function threshold(description: string, anchor: string, link: Link, extra: CustomAlarmThreshold = {}): CustomAlarmThreshold {
  return { alarmDescriptionOverride: description, runbookLink: link(anchor), ...extra };
}

function monitorDatabase(facade: MonitoringFacade, options: DatabaseMonitoringOptions, link: Link): void {
  const cluster = options.database.cluster;
  const maxCpu = options.maxCpuPercent ?? 80;
  const maxConnections = options.maxConnections ?? 500;
  const minMemory = options.minFreeableMemory ?? Size.mebibytes(512);
  const maxLag = options.maxReplicaLag ?? Duration.seconds(1);
  facade.monitorAuroraCluster({
    cluster,
    alarmFriendlyName: 'Aurora',
    humanReadableName: 'Aurora PostgreSQL',
    addCpuUsageAlarm: {
      Critical: { maxUsagePercent: maxCpu, ...threshold(`Aurora CPU has been above ${maxCpu}% for 15 minutes.`, RUNBOOK_ANCHORS.auroraCpu, link, FIVE_MINUTES_3_TIMES) },
    },
    addMaxConnectionCountAlarm: {
      Critical: { maxConnectionCount: maxConnections, ...threshold(`Aurora has had more than ${maxConnections} connections for 15 minutes.`, RUNBOOK_ANCHORS.auroraConnections, link, FIVE_MINUTES_3_TIMES) },
    },
  });
  facade.monitorCustom({
    alarmFriendlyName: 'Aurora',
    humanReadableName: 'Aurora PostgreSQL memory and replication',
    metricGroups: [
      {
        title: 'Freeable memory (bytes)',
        metrics: [{
          metric: cluster.metricFreeableMemory({ statistic: cloudwatch.Stats.MINIMUM, label: 'freeable memory' }),
          alarmFriendlyName: 'FreeableMemory',
          addAlarm: {
            Critical: {
              threshold: minMemory.toBytes(),
              comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
              ...threshold(`Aurora freeable memory has been below ${minMemory.toMebibytes()} MiB for 15 minutes.`, RUNBOOK_ANCHORS.auroraFreeableMemory, link, FIVE_MINUTES_3_TIMES),
            },
          },
        }],
      },
      {
        title: 'Replica lag, largest (ms)',
        metrics: [{
          metric: cluster.metric('AuroraReplicaLagMaximum', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), label: 'replica lag' }),
          alarmFriendlyName: 'ReplicaLag',
          addAlarm: {
            Critical: {
              threshold: maxLag.toMilliseconds(),
              comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
              ...threshold(`An Aurora reader has lagged more than ${maxLag.toMilliseconds()} ms behind the writer for 5 minutes.`, RUNBOOK_ANCHORS.auroraReplicaLag, link, ONE_MINUTE_5_TIMES),
            },
          },
        }],
      },
    ],
  });
}

function monitorCache(facade: MonitoringFacade, options: CacheMonitoringOptions, link: Link): void {
  const { cache } = options;
  const maxCpu = options.maxEngineCpuPercent ?? 90;
  const maxMemory = options.maxMemoryPercent ?? 90;
  const maxEvictions = options.maxEvictions ?? 1000;
  const maxLag = options.maxReplicationLag ?? Duration.seconds(30);
  const nodes = Array.from({ length: cache.nodeCount }, (_, i) => i + 1);
  for (const node of nodes) {
    facade.monitorElastiCacheCluster({
      clusterId: cache.cacheClusterId(node),
      clusterType: ElastiCacheClusterType.REDIS,
      alarmFriendlyName: `Cache-node-${node}`,
      humanReadableName: `ElastiCache node ${node}`,
      addRedisEngineCpuUsageAlarm: {
        Critical: { maxUsagePercent: maxCpu, ...threshold(`Cache node ${node}: engine CPU has been above ${maxCpu}% for 15 minutes.`, RUNBOOK_ANCHORS.cacheEngineCpu, link, FIVE_MINUTES_3_TIMES) },
      },
      addMaxEvictedItemsCountAlarm: {
        Critical: { maxItemsCount: maxEvictions, ...threshold(`Cache node ${node} has evicted more than ${maxEvictions} keys every 5 minutes for 15 minutes.`, RUNBOOK_ANCHORS.cacheEvictions, link, FIVE_MINUTES_3_TIMES) },
      },
    });
  }
  facade.monitorCustom({
    alarmFriendlyName: 'Cache',
    humanReadableName: 'ElastiCache memory and replication',
    metricGroups: [
      {
        title: 'Memory used (% of maxmemory)',
        graphWidgetAxis: { min: 0, max: 100 },
        metrics: nodes.map((node) => ({
          metric: cache.metricDatabaseMemoryUsagePercentage({ statistic: cloudwatch.Stats.MAXIMUM, label: `node ${node}` }, node),
          alarmFriendlyName: `Memory-node-${node}`,
          addAlarm: {
            Critical: {
              threshold: maxMemory,
              comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
              ...threshold(`Cache node ${node} has used more than ${maxMemory}% of its memory for 15 minutes.`, RUNBOOK_ANCHORS.cacheMemory, link, FIVE_MINUTES_3_TIMES),
            },
          },
        })),
      },
      {
        title: 'Replication lag (s)',
        // Only a replica publishes it, and the primary role moves on failover: every node is watched.
        metrics: nodes.map((node) => ({
          metric: cache.metricReplicationLag({ period: Duration.minutes(1), label: `node ${node}` }, node),
          alarmFriendlyName: `ReplicationLag-node-${node}`,
          addAlarm: {
            Critical: {
              threshold: maxLag.toSeconds(),
              comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
              ...threshold(`Cache node ${node} has lagged more than ${maxLag.toSeconds()} s behind the primary for 5 minutes.`, RUNBOOK_ANCHORS.cacheReplicationLag, link, ONE_MINUTE_5_TIMES),
            },
          },
        })),
      },
    ],
  });
}

/** Metrics Insights over every NLB target group of the account and region. */
function nlbQuery(aggregate: 'MAX' | 'MIN', metricName: string, groupBy = ''): string {
  return `SELECT ${aggregate}(${metricName}) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup)${groupBy}`;
}

function monitorIngress(facade: MonitoringFacade, link: Link): void {
  const minute = Duration.minutes(1);
  const query = (expression: string, label: string) => new cloudwatch.MathExpression({ expression, usingMetrics: {}, period: minute, label });
  facade.monitorCustom({
    alarmFriendlyName: 'Ingress',
    humanReadableName: 'Ingress load balancer (NLB)',
    description: 'The gateway\'s NLB is made at deploy time by the AWS Load Balancer Controller: these graphs and alarms query every NLB target group of the account and region (CloudWatch Metrics Insights).',
    metricGroups: [
      {
        title: 'Targets by load balancer',
        metrics: [
          query(nlbQuery('MAX', 'UnHealthyHostCount', ' GROUP BY LoadBalancer'), 'unhealthy'),
          query(nlbQuery('MIN', 'HealthyHostCount', ' GROUP BY LoadBalancer'), 'healthy'),
        ],
      },
      {
        title: 'Alarms: unhealthy targets (max) and healthy targets (min)',
        metrics: [
          {
            metric: query(nlbQuery('MAX', 'UnHealthyHostCount'), 'unhealthy targets (max)'),
            alarmFriendlyName: 'UnhealthyTargets',
            addAlarm: {
              Critical: {
                threshold: 0,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                // No NLB metric means no NLB: the alarm below covers that.
                treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                ...threshold('The ingress load balancer has had unhealthy targets (gateway pods failing their health check) for 5 minutes.', RUNBOOK_ANCHORS.ingressUnhealthyTargets, link, ONE_MINUTE_5_TIMES),
              },
            },
          },
          {
            metric: query(nlbQuery('MIN', 'HealthyHostCount'), 'healthy targets (min)'),
            alarmFriendlyName: 'NoHealthyTargets',
            addAlarm: {
              Critical: {
                threshold: 1,
                comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                // No data: no load balancer reports at all, so nothing can reach the gateway.
                treatMissingDataOverride: cloudwatch.TreatMissingData.BREACHING,
                ...threshold('The ingress load balancer has had no healthy target (or reported nothing) for 3 minutes: no request can reach the services.', RUNBOOK_ANCHORS.ingressNoHealthyTargets, link, { datapointsToAlarm: 3, evaluationPeriods: 3 }),
              },
            },
          },
        ],
      },
    ],
  });
}

function monitorNodes(facade: MonitoringFacade, nodeReadiness: cloudwatch.Metric, link: Link): void {
  facade.monitorCustom({
    alarmFriendlyName: 'Nodes',
    humanReadableName: 'Cluster nodes',
    metricGroups: [{
      title: 'Nodes ready (minimum over nodes: 0 when any node is not ready)',
      graphWidgetAxis: { min: 0, max: 1 },
      metrics: [{
        metric: nodeReadiness.with({ period: Duration.minutes(1), label: nodeReadiness.label ?? 'nodes ready (min)' }),
        alarmFriendlyName: 'NodeNotReady',
        addAlarm: {
          Critical: {
            threshold: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            // No data: the cluster (or its metrics collector) stopped reporting, which hides any failure.
            treatMissingDataOverride: cloudwatch.TreatMissingData.BREACHING,
            ...threshold('A cluster node has not been ready for 5 minutes, or the cluster has reported no node readiness for 5 minutes.', RUNBOOK_ANCHORS.nodeNotReady, link, ONE_MINUTE_5_TIMES),
          },
        },
      }],
    }],
  });
}

const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;

function validatePlatformMonitoringProps(scope: Construct, props: PlatformMonitoringProps, dashboardName: string): void {
  const fail = validationFailure('PlatformMonitoring', scope.node.path);
  if (!Token.isUnresolved(dashboardName) && !DASHBOARD_NAME.test(dashboardName)) {
    fail(`dashboardName is ${describeValue(dashboardName)}: a dashboard name is 1 to 255 letters, digits, "-" and "_". Fix: use e.g. "ztp-dev".`);
  }
  const percent = (name: string, value: number | undefined) => {
    if (value !== undefined && !(value > 0 && value <= 100)) fail(`${name} is ${describeValue(value, scope)}: must be a percentage above 0, at most 100. Fix: use e.g. 80.`);
  };
  const positive = (name: string, value: number | undefined, example: string) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) fail(`${name} is ${describeValue(value, scope)}: must be above 0. Fix: use e.g. ${example}.`);
  };
  const { database, cache } = props;
  if (database) {
    percent('database.maxCpuPercent', database.maxCpuPercent);
    positive('database.minFreeableMemory (bytes)', database.minFreeableMemory?.toBytes(), 'Size.mebibytes(512)');
    if (database.maxConnections !== undefined && !(Number.isInteger(database.maxConnections) && database.maxConnections > 0)) {
      fail(`database.maxConnections is ${describeValue(database.maxConnections, scope)}: must be a whole number above 0. Fix: use e.g. 500.`);
    }
    positive('database.maxReplicaLag (ms)', database.maxReplicaLag?.toMilliseconds(), 'Duration.seconds(1)');
  }
  if (cache) {
    percent('cache.maxEngineCpuPercent', cache.maxEngineCpuPercent);
    percent('cache.maxMemoryPercent', cache.maxMemoryPercent);
    positive('cache.maxEvictions', cache.maxEvictions, '1000');
    positive('cache.maxReplicationLag (s)', cache.maxReplicationLag?.toSeconds({ integral: false }), 'Duration.seconds(30)');
  }
  const names = (props.services ?? []).map((s) => s.serviceName);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) fail(`services has ${describeValue(repeated)} twice. Fix: monitor each service once.`);
}
