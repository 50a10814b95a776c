import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { openFindings, PLATFORM_METRICS_NAMESPACE, RUNBOOK_ANCHORS } from '@zero-trust/platform-constructs';
import { buildPlatformApp } from '../../../lib/platform-app';
import type { PlatformStage } from '../../../lib/platform-stage';
import { SAMPLE_OUTBOX_BACKLOG_ANCHOR, SAMPLE_SERVICE_NAME } from '../../../lib/stacks';
import { createService } from '../../../services/sample/src/app';
import { loadConfig } from '../../../services/sample/src/config';
import { createLogger } from '../../../services/sample/src/logger';
import { metricFilterDataPoints, type MetricFilterResource } from '../../support/log-filter-pattern';
import { DEV_AND_PROD } from '../../support/platform-contexts';
import { createTestApp, VALIDATION_CACHE_DIRECTORY } from '../../support/test-app';

const RUNBOOK = path.join(__dirname, '../../../docs/runbook.md');

/** The entries of docs/runbook.md: its `<a id="...">` anchors. */
function runbookEntries(): Set<string> {
  return new Set([...fs.readFileSync(RUNBOOK, 'utf8').matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((m) => m[1]));
}

/**
 * What the real sample service logs for a mix of requests (its own app, logger and access-line
 * controller; Postgres unreachable, so dependency-backed routes answer 503), with the status each
 * request got, as the client saw it.
 */
async function sampleServiceAccessLog(): Promise<{ lines: Record<string, unknown>[]; sent: { url: string; user: boolean; status: number }[] }> {
  const lines: Record<string, unknown>[] = [];
  // The service name the Workloads stack gives the pods (OTEL_SERVICE_NAME), logged as server.ts does.
  const config = loadConfig({ DATABASE_URL: 'postgres://app@127.0.0.1:1/orders', REDIS_URL: 'redis://127.0.0.1:1', OUTBOX_RELAY_ENABLED: 'false', DATABASE_CONNECT_TIMEOUT_MS: '200', OTEL_SERVICE_NAME: SAMPLE_SERVICE_NAME });
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }, config.telemetry.serviceName);
  const service = createService(config, logger);
  const requests = [
    { method: 'GET', url: '/livez', user: false },
    { method: 'GET', url: '/readyz', user: false },
    { method: 'GET', url: '/metrics', user: false },
    { method: 'GET', url: '/v1/orders/not-a-uuid', user: true },
    { method: 'GET', url: '/v1/orders/6f1c2b0e-8a4b-4c3e-9b1a-2d3e4f5a6b7c', user: true },
    { method: 'GET', url: '/v1/orders', user: true },
    { method: 'GET', url: '/no/such/route', user: true },
  ] as const;
  try {
    // Over HTTP (fastify's inject would load an ES module jest does not transform).
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const sent = [];
    for (const { method, url, user } of requests) {
      const response = await fetch(`${base}${url}`, { method });
      await response.arrayBuffer();
      sent.push({ url, user, status: response.status });
    }
    return { lines, sent };
  } finally {
    await service.stop(0);
  }
}

describe('ObservabilityStack', () => {
  let stages: PlatformStage[];
  let dev: PlatformStage;
  let template: Template;
  let findings: ReturnType<typeof openFindings>;
  let templates: { file: string; resources: Record<string, { Type: string; Properties: Record<string, any> }> }[];

  beforeAll(() => {
    // GIVEN dev and prod as shipped, one alarm e-mail in dev; WHEN synthesized through the compliance gate
    const app = createTestApp({ context: { ...DEV_AND_PROD, platform: { ...DEV_AND_PROD.platform, dev: { observability: { alarmEmails: ['oncall@example.com'] } } } } });
    stages = buildPlatformApp(app, { validationCacheDirectory: VALIDATION_CACHE_DIRECTORY });
    const assembly = app.synth();
    findings = openFindings(assembly.directory);
    dev = stages.find((s) => s.config.envName === 'dev')!;
    template = Template.fromStack(dev.observability);
    templates = fs.readdirSync(assembly.directory, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => ({ file: f, resources: JSON.parse(fs.readFileSync(path.join(assembly.directory, f), 'utf8')).Resources }));
  });

  test('one stack per environment, deployed after the workloads, protected from deletion in prod', () => {
    for (const stage of stages) {
      expect(stage.observability.stackName).toBe(`${stage.config.name}-observability`);
      expect(stage.observability.dependencies).toEqual(expect.arrayContaining([stage.workloads, stage.cluster, stage.data]));
      expect(stage.observability.terminationProtection).toBe(stage.config.envName === 'prod');
    }
  });

  test('has no open compliance findings', () => {
    const stackPaths = stages.map((s) => `${s.observability.node.path}/`);
    expect(findings.filter((f) => f.constructPaths.some((p) => stackPaths.some((stack) => p.startsWith(stack))))).toEqual([]);
  });

  test('alarms go to a KMS-encrypted topic with the configured e-mail subscriptions', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] } });
    expect(Object.values(template.findResources('AWS::SNS::Subscription')).map((s) => s.Properties.Endpoint)).toEqual(['oncall@example.com']);
  });

  describe('the sample service', () => {
    const filters = () => Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f) => f.Properties as MetricFilterResource & { LogGroupName: unknown });
    const filter = (metricName: string) => filters().find((f) => f.MetricTransformations[0].MetricName === metricName)!;

    test('its metric filters read the application log group of the cluster\'s container logs', () => {
      const logGroupName = dev.cluster.resolve(dev.cluster.containerLogs.applicationLogGroup.logGroupName);
      expect(filters()).toHaveLength(3);
      for (const f of filters()) {
        // a reference to the Cluster stack's log group, not a second log group of the same name
        expect(JSON.stringify(f.LogGroupName)).toMatch(/Fn::ImportValue/);
        expect(JSON.stringify(f.LogGroupName)).toContain(JSON.stringify(logGroupName).match(/"Ref":"([^"]+)"/)![1]);
      }
      expect(template.findResources('AWS::Logs::LogGroup')).toEqual({});
    });

    test('the filters turn the access lines the real service writes into requests, 5xx and response times, probes and /metrics left out', async () => {
      const { lines, sent } = await sampleServiceAccessLog();
      // The service did log its probes and scrapes: leaving them out is the filters' doing.
      expect(lines.filter((l) => ['/livez', '/readyz', '/metrics'].includes((l['req'] as { route?: string } | undefined)?.route ?? ''))).toHaveLength(3);
      const user = sent.filter((s) => s.user);
      const expectedErrors = user.filter((s) => s.status >= 500).length;
      expect(expectedErrors).toBeGreaterThan(0);
      expect(sent.find((s) => s.url === '/readyz')!.status).toBe(503); // a 5xx that must not count

      const requests = metricFilterDataPoints(filter('access_log_requests'), lines);
      const errors = metricFilterDataPoints(filter('access_log_server_errors'), lines);
      const times = metricFilterDataPoints(filter('access_log_response_time'), lines);
      expect(requests).toHaveLength(user.length);
      expect(errors).toHaveLength(expectedErrors);
      expect(times).toHaveLength(user.length);
      for (const point of [...requests, ...errors, ...times]) expect(point.dimensions).toEqual({ Service: SAMPLE_SERVICE_NAME });
      for (const point of times) expect(point.value).toBeGreaterThan(0);
    });

    test('its SLO pages follow workloads.sample.slo (dev: 99.9%, 99% within 300 ms)', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      const latency1h = alarms.find((a) => a.AlarmName === 'ztp-dev-observability-orders-latency-slo-burn-1h')!;
      expect(latency1h).toMatchObject({ ExtendedStatistic: 'PR(:300)', Period: 3600, Dimensions: [{ Name: 'Service', Value: SAMPLE_SERVICE_NAME }] });
      // 2% of a 30-day budget in 1 hour: 0.02 x 720 = 14.4x; the budget is 1% of requests
      expect(latency1h.Threshold).toBeCloseTo(100 - 0.02 * 720 * 1, 10);
      const availability1h = alarms.find((a) => a.AlarmName === 'ztp-dev-observability-orders-availability-slo-burn-1h')!;
      expect(availability1h.Threshold).toBeCloseTo(0.02 * 720 * 0.001, 10);
      expect(Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')).map((c) => c.Properties.AlarmName).sort()).toEqual([
        'ztp-dev-observability-orders-availability-slo-burn',
        'ztp-dev-observability-orders-latency-slo-burn',
      ]);
    });

    test('its business signals are the collector\'s metrics of the orders service, the outbox backlog alarmed on', () => {
      const collector = dev.cluster.metricsCollector;
      const clusterName = dev.observability.resolve(collector.clusterName);
      const body = JSON.stringify(dev.observability.resolve(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody));
      for (const name of ['orders_created_total', 'idempotent_replays_total', 'outbox_backlog']) expect(body).toContain(`\\"${PLATFORM_METRICS_NAMESPACE}\\",\\"${name}\\"`);
      const backlog = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.AlarmName === 'ztp-dev-observability-orders-outbox_backlog')!.Properties;
      expect(backlog).toMatchObject({ EvaluationPeriods: 3, Threshold: 1000, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      const stat = backlog.Metrics[0].MetricStat;
      expect(stat).toMatchObject({ Period: 300, Stat: 'Maximum', Metric: { Namespace: PLATFORM_METRICS_NAMESPACE, MetricName: 'outbox_backlog' } });
      expect(stat.Metric.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Namespace', Value: 'orders' }, { Name: 'Service', Value: 'orders' }, { Name: 'ClusterName', Value: clusterName }]));
      expect(backlog.AlarmDescription).toMatch(new RegExp(`Runbook: docs/runbook\\.md#${SAMPLE_OUTBOX_BACKLOG_ANCHOR}$`));
    });
  });

  test('the environment dashboard has the service, Aurora, ElastiCache, the ingress and the nodes, named after the stack', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards.map((d) => d.Properties.DashboardName)).toEqual(['ztp-dev-observability']);
    const body = JSON.stringify(dev.observability.resolve(dashboards[0].Properties.DashboardBody));
    for (const section of ['### Service orders', 'Aurora PostgreSQL', 'ElastiCache node 1', 'Ingress load balancer', 'Cluster nodes']) expect(body).toContain(section);
  });

  describe('the runbook', () => {
    const allAlarms = () => templates.flatMap(({ file, resources }) => Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm')
      .map(([id, r]) => ({ file, id, props: r.Properties })));

    test('every alarm of every template names a runbook entry that docs/runbook.md has', () => {
      const entries = runbookEntries();
      const alarms = allAlarms();
      expect(alarms.length).toBeGreaterThan(0);
      const missing = alarms
        .map(({ file, id, props }) => ({ file, id, anchor: /Runbook: docs\/runbook\.md#([a-z0-9-]+)/.exec(String(props.AlarmDescription))?.[1] }))
        .filter((a) => a.anchor === undefined || !entries.has(a.anchor));
      expect(missing).toEqual([]);
    });

    test('every entry the library can point to is in the runbook, with what it means, first checks and mitigation', () => {
      const text = fs.readFileSync(RUNBOOK, 'utf8');
      for (const anchor of [...Object.values(RUNBOOK_ANCHORS), SAMPLE_OUTBOX_BACKLOG_ANCHOR]) {
        const start = text.indexOf(`<a id="${anchor}"></a>`);
        expect({ anchor, found: start >= 0 }).toEqual({ anchor, found: true });
        const next = text.indexOf('<a id="', start + 1);
        const entry = text.slice(start, next < 0 ? undefined : next);
        for (const part of ['**Means.**', '**First checks.**', '**Mitigation.**']) expect({ anchor, part, found: entry.includes(part) }).toEqual({ anchor, part, found: true });
      }
    });

    test('every alarm notifies, or is a window of a composite alarm that does', () => {
      for (const { file, resources } of templates) {
        const composites = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm');
        const rules = composites.map((c) => JSON.stringify(c.Properties.AlarmRule)).join('\n');
        for (const [id, r] of Object.entries(resources).filter(([, x]) => x.Type.startsWith('AWS::CloudWatch::') && x.Type.endsWith('Alarm'))) {
          const notifies = (r.Properties.AlarmActions ?? []).length > 0 && (r.Properties.OKActions ?? []).length > 0;
          expect({ file, id, notifiesOrIsAWindow: notifies || rules.includes(`"${id}"`) }).toEqual({ file, id, notifiesOrIsAWindow: true });
        }
      }
    });
  });
});
