import { Duration, Size } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PlatformKey } from '../../../constructs/compliance';
import { PostgresDatabase, RedisCache } from '../../../constructs/data';
import {
  AlarmTopic,
  NODE_READY_METRIC,
  PLATFORM_METRICS_NAMESPACE,
  PlatformMonitoring,
  RUNBOOK_ANCHORS,
  ServiceMonitoring,
  type PlatformMonitoringProps,
} from '../../../constructs/observability';
import { importedPlatformVpc } from '../data/data-test-vpc';
import { createTestStack, synthWithGate } from '../../support/test-app';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function build(props: (parts: { database: PostgresDatabase; cache: RedisCache }) => Partial<PlatformMonitoringProps> = () => ({}), options: { gate?: boolean } = {}) {
  const { app, stack } = createTestStack('Observability', { env: ENV });
  const vpc = importedPlatformVpc(stack);
  const database = new PostgresDatabase(stack, 'Postgres', { vpc });
  const cache = new RedisCache(stack, 'Cache', { vpc, replicas: 2 });
  const topic = new AlarmTopic(stack, 'Alarms', { emailAddresses: ['oncall@example.com'] });
  const logKey = new PlatformKey(stack, 'LogKey', { description: 'container logs' });
  logKey.allowCloudWatchLogs();
  const service = new ServiceMonitoring(stack, 'Orders', {
    serviceName: 'orders',
    logGroup: new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: logKey }),
    slo: { availabilityPercent: 99.9, latencyThreshold: Duration.millis(300), latencyPercent: 99 },
    topic: topic.topic,
  });
  const nodeReadiness = new cloudwatch.Metric({ namespace: PLATFORM_METRICS_NAMESPACE, metricName: NODE_READY_METRIC, dimensionsMap: { ClusterName: 'ztp-dev' }, statistic: 'Minimum' });
  const monitoring = new PlatformMonitoring(stack, 'Monitoring', {
    topic: topic.topic,
    nodeReadiness,
    services: [service],
    database: { database },
    cache: { cache },
    ...props({ database, cache }),
  });
  const findings = options.gate ? synthWithGate(app).findings : undefined;
  return { stack, monitoring, database, cache, findings, template: Template.fromStack(stack) };
}

type Alarm = { Properties: Record<string, any> };

describe('PlatformMonitoring', () => {
  let built: ReturnType<typeof build>;
  let alarms: Alarm[];
  const named = (suffix: string): Record<string, any> => {
    const found = alarms.filter((a) => (a.Properties.AlarmName as string).endsWith(suffix));
    if (found.length !== 1) throw new Error(`${found.length} alarms named *${suffix}: ${alarms.map((a) => a.Properties.AlarmName).join(', ')}`);
    return found[0].Properties;
  };
  const topicRef = () => ({ Ref: Object.keys(built.template.findResources('AWS::SNS::Topic'))[0] });

  beforeAll(() => {
    // GIVEN an environment's database, three-node cache, topic and one service; WHEN synthesized through the compliance gate
    built = build(undefined, { gate: true });
    alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm')).filter((a) => !(a.Properties.AlarmName as string).startsWith('Observability-orders-')) as Alarm[];
  });

  test('the compliance gate has no open findings', () => {
    expect(built.findings).toEqual([]);
  });

  test('one dashboard, named after the stack, with the service first and then the resources', () => {
    const dashboards = Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].Properties.DashboardName).toBe('Observability');
    const body = JSON.stringify(built.stack.resolve(dashboards[0].Properties.DashboardBody));
    const positions = ['### Service orders', 'Aurora PostgreSQL', 'ElastiCache node 1', 'ElastiCache node 3', 'ElastiCache memory and replication', 'Ingress load balancer', 'Cluster nodes'].map((t) => body.indexOf(t));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test('every resource alarm notifies the topic on alarm and on recovery', () => {
    expect(alarms.length).toBe(2 + 2 + 3 * 4 + 2 + 1);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({ ActionsEnabled: true, AlarmActions: [topicRef()], OKActions: [topicRef()] });
    }
    expect(built.monitoring.alarms).toHaveLength(alarms.length);
  });

  test('every alarm names its runbook entry, and every resource entry is used', () => {
    const anchors = alarms.map((a) => /\nRunbook: docs\/runbook\.md#([a-z0-9-]+)$/.exec(a.Properties.AlarmDescription)?.[1]);
    expect(anchors.filter((a) => a === undefined)).toEqual([]);
    const { serviceAvailability, serviceLatency, ...resourceAnchors } = RUNBOOK_ANCHORS;
    expect([serviceAvailability, serviceLatency]).toHaveLength(2);
    expect(new Set(anchors)).toEqual(new Set(Object.values(resourceAnchors)));
  });

  describe('Aurora', () => {
    const dbMetric = (p: Record<string, any>) => p.Metrics[0].MetricStat;
    test('CPU above 80% and more than 500 connections for 15 minutes (cdk-monitoring-constructs)', () => {
      const cpu = named('Aurora-CPU-Usage-Critical');
      expect(dbMetric(cpu)).toMatchObject({ Period: 300, Stat: 'Average', Metric: { Namespace: 'AWS/RDS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'DBClusterIdentifier', Value: { Ref: expect.stringMatching(/^PostgresCluster/) } }] } });
      expect(cpu).toMatchObject({ Threshold: 80, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 3, EvaluationPeriods: 3 });
      const connections = named('Aurora-Connection-Count-High-Critical');
      expect(dbMetric(connections).Metric.MetricName).toBe('DatabaseConnections');
      expect(connections).toMatchObject({ Threshold: 500, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 3 });
    });

    test('freeable memory below 512 MiB for 15 minutes, reader lag above 1 s for 5 minutes', () => {
      const memory = named('Aurora-FreeableMemory-Critical');
      expect(dbMetric(memory)).toMatchObject({ Stat: 'Minimum', Metric: { Namespace: 'AWS/RDS', MetricName: 'FreeableMemory' } });
      expect(memory).toMatchObject({ Threshold: 512 * 1024 * 1024, ComparisonOperator: 'LessThanThreshold', DatapointsToAlarm: 3, EvaluationPeriods: 3 });
      const lag = named('Aurora-ReplicaLag-Critical');
      expect(dbMetric(lag)).toMatchObject({ Period: 60, Stat: 'Maximum', Metric: { MetricName: 'AuroraReplicaLagMaximum' } });
      expect(lag).toMatchObject({ Threshold: 1000, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 5, EvaluationPeriods: 5 });
    });

    test('thresholds are props', () => {
      const { template } = build(({ database }) => ({ database: { database, maxCpuPercent: 60, minFreeableMemory: Size.gibibytes(1), maxConnections: 200, maxReplicaLag: Duration.millis(500) } }));
      const thresholds = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName.includes('Aurora')).map((a) => a.Properties.Threshold);
      expect(thresholds.sort((a, b) => a - b)).toEqual([60, 200, 500, 1024 ** 3]);
    });
  });

  describe('ElastiCache, every node', () => {
    const node = (n: number) => ({ 'Fn::Join': ['', [{ Ref: expect.stringMatching(/^Cache[0-9A-F]+$/) }, `-00${n}`]] });
    test.each([1, 2, 3])('node %i: engine CPU above 90%, more than 1000 evictions, memory above 90% for 15 minutes, replication lag above 30 s for 5 minutes', (n) => {
      const check = (suffix: string, metricName: string, expected: Record<string, unknown>) => {
        const alarm = named(suffix);
        expect(alarm.Metrics[0].MetricStat.Metric).toEqual({ Namespace: 'AWS/ElastiCache', MetricName: metricName, Dimensions: [{ Name: 'CacheClusterId', Value: node(n) }] });
        expect(alarm).toMatchObject(expected);
      };
      check(`Cache-node-${n}-CPU-Usage-RedisEngine-Critical`, 'EngineCPUUtilization', { Threshold: 90, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 3 });
      check(`Cache-node-${n}-Items-Evicted-Critical`, 'Evictions', { Threshold: 1000, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 3 });
      check(`Cache-Memory-node-${n}-Critical`, 'DatabaseMemoryUsagePercentage', { Threshold: 90, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 3 });
      check(`Cache-ReplicationLag-node-${n}-Critical`, 'ReplicationLag', { Threshold: 30, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 5, EvaluationPeriods: 5 });
    });

    test('the node ids are those of the replication group (one per cache cluster)', () => {
      const group = Object.values(built.template.findResources('AWS::ElastiCache::ReplicationGroup'))[0];
      expect(group.Properties.NumCacheClusters).toBe(built.cache.nodeCount);
      expect(built.stack.resolve(built.cache.cacheClusterId(3))).toEqual({ 'Fn::Join': ['', [{ Ref: Object.keys(built.template.findResources('AWS::ElastiCache::ReplicationGroup'))[0] }, '-003']] });
    });
  });

  describe('ingress load balancer (made at deploy time: Metrics Insights over the account\'s NLB target groups)', () => {
    test('unhealthy targets for 5 minutes; no data is not breaching', () => {
      const alarm = named('Ingress-UnhealthyTargets-Critical');
      expect(alarm.Metrics).toEqual([{ Id: 'expr_1', Expression: 'SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup)', Label: 'unhealthy targets (max)', Period: 60, ReturnData: true }]);
      expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: 'notBreaching' });
    });

    test('no healthy target for 3 minutes; no data (no load balancer) is breaching', () => {
      const alarm = named('Ingress-NoHealthyTargets-Critical');
      expect(alarm.Metrics[0].Expression).toBe('SELECT MIN(HealthyHostCount) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup)');
      expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold', DatapointsToAlarm: 3, TreatMissingData: 'breaching' });
    });

    test('can be left out', () => {
      const { template } = build(() => ({ ingressLoadBalancer: false }));
      expect(Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName.includes('Ingress'))).toEqual([]);
    });
  });

  test('a node not ready (or no readiness reported) for 5 minutes', () => {
    const alarm = named('Nodes-NodeNotReady-Critical');
    expect(alarm.Metrics[0].MetricStat).toEqual({ Metric: { Namespace: PLATFORM_METRICS_NAMESPACE, MetricName: NODE_READY_METRIC, Dimensions: [{ Name: 'ClusterName', Value: 'ztp-dev' }] }, Period: 60, Stat: 'Minimum' });
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold', DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: 'breaching' });
  });

  describe('refuses', () => {
    test.each<[string, (b: { database: PostgresDatabase; cache: RedisCache }) => Partial<PlatformMonitoringProps>, string]>([
      ['a dashboard name with spaces', () => ({ dashboardName: 'ztp dev' }), 'dashboardName is "ztp dev": a dashboard name is 1 to 255 letters, digits, "-" and "_". Fix: use e.g. "ztp-dev".'],
      ['a CPU percentage above 100', (b) => ({ database: { database: b.database, maxCpuPercent: 120 } }), 'database.maxCpuPercent is 120: must be a percentage above 0, at most 100. Fix: use e.g. 80.'],
      ['fractional connections', (b) => ({ database: { database: b.database, maxConnections: 10.5 } }), 'database.maxConnections is 10.5: must be a whole number above 0. Fix: use e.g. 500.'],
      ['a zero replica lag', (b) => ({ database: { database: b.database, maxReplicaLag: Duration.seconds(0) } }), 'database.maxReplicaLag (ms) is 0: must be above 0. Fix: use e.g. Duration.seconds(1).'],
      ['a memory percentage of 0', (b) => ({ cache: { cache: b.cache, maxMemoryPercent: 0 } }), 'cache.maxMemoryPercent is 0: must be a percentage above 0, at most 100. Fix: use e.g. 80.'],
      ['negative evictions', (b) => ({ cache: { cache: b.cache, maxEvictions: -1 } }), 'cache.maxEvictions is -1: must be above 0. Fix: use e.g. 1000.'],
    ])('%s', (_name, props, message) => {
      const { stack } = createTestStack('Bad', { env: ENV });
      const vpc = importedPlatformVpc(stack);
      const parts = { database: new PostgresDatabase(stack, 'Postgres', { vpc }), cache: new RedisCache(stack, 'Cache', { vpc }) };
      const topic = new AlarmTopic(stack, 'Alarms');
      const nodeReadiness = new cloudwatch.Metric({ namespace: PLATFORM_METRICS_NAMESPACE, metricName: NODE_READY_METRIC });
      expect(() => new PlatformMonitoring(stack, 'Monitoring', { topic: topic.topic, nodeReadiness, ...props(parts) })).toThrow(`PlatformMonitoring Bad/Monitoring: ${message}`);
    });
  });
});
