import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AlarmTopic, PLATFORM_METRICS_NAMESPACE, ServiceMonitoring, type ServiceMonitoringProps, type ServiceSlo } from '../../../constructs/observability';
import { metricFilterDataPoints, type MetricFilterResource } from '../../support/log-filter-pattern';
import { createTestStack } from '../../support/test-app';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const SLO: ServiceSlo = { availabilityPercent: 99.9, latencyThreshold: Duration.millis(300), latencyPercent: 99 };

/**
 * The paging windows of the Google SRE workbook ("Alerting on SLOs", table 5-8), as the workbook
 * states them: the share of a 30-day error budget spent within the long window, and the short
 * window (1/12 of the long one) that confirms the burn is still going on.
 */
const WORKBOOK_PAGES = [
  { budgetSpent: 0.02, longHours: 1, shortMinutes: 5 },
  { budgetSpent: 0.05, longHours: 6, shortMinutes: 30 },
];
const SLO_PERIOD_HOURS = 30 * 24;
/** Burn rate = share of the budget spent x SLO period / window. */
const burnRate = (page: (typeof WORKBOOK_PAGES)[number]) => (page.budgetSpent * SLO_PERIOD_HOURS) / page.longHours;

type Resource = { Type: string; Properties: Record<string, any> };

function build(props: Partial<ServiceMonitoringProps> = {}) {
  const { stack } = createTestStack('Service', { env: ENV });
  const topic = new AlarmTopic(stack, 'Alarms');
  const logGroup = new logs.LogGroup(stack, 'Logs');
  const backlog = new cloudwatch.Metric({ namespace: PLATFORM_METRICS_NAMESPACE, metricName: 'outbox_backlog', dimensionsMap: { ClusterName: 'c', Namespace: 'orders', Service: 'orders' }, statistic: 'Maximum', period: Duration.minutes(5) });
  const created = new cloudwatch.Metric({ namespace: PLATFORM_METRICS_NAMESPACE, metricName: 'orders_created_total', dimensionsMap: { ClusterName: 'c', Namespace: 'orders', Service: 'orders' }, statistic: 'Sum', period: Duration.minutes(5) });
  const service = new ServiceMonitoring(stack, 'Orders', {
    serviceName: 'orders',
    logGroup,
    logServiceName: 'orders-api',
    slo: SLO,
    businessMetrics: [
      { metric: created },
      { metric: backlog, alarm: { threshold: 1000, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, description: 'The outbox is backing up', runbookAnchor: 'orders-outbox-backlog' } },
    ],
    topic: topic.topic,
    ...props,
  });
  return { stack, service, topic, template: Template.fromStack(stack) };
}

/** An access line as the service writes it. */
const accessLine = (fields: { service?: string; msg?: string; route?: string; status?: number; ms?: number } = {}) => ({
  level: 'info',
  service: fields.service ?? 'orders-api',
  reqId: 'r-1',
  req: { method: 'GET', url: '/v1/orders/1', route: fields.route ?? '/v1/orders/:id' },
  res: { statusCode: fields.status ?? 200 },
  responseTime: fields.ms ?? 12.5,
  msg: fields.msg ?? 'request completed',
});

describe('ServiceMonitoring', () => {
  let built: ReturnType<typeof build>;
  let resources: Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const filter = (metricName: string): MetricFilterResource => ofType('AWS::Logs::MetricFilter').map(([, r]) => r.Properties).find((p) => p.MetricTransformations[0].MetricName === metricName)! as MetricFilterResource;
  const windowAlarm = (kind: 'availability' | 'latency', seconds: number) => ofType('AWS::CloudWatch::Alarm').find(([, r]) =>
    (kind === 'latency' ? r.Properties.Period === seconds && r.Properties.ExtendedStatistic : r.Properties.Metrics?.some((m: any) => m.MetricStat?.Period === seconds && m.MetricStat.Metric.MetricName === 'access_log_server_errors')))!;

  beforeAll(() => {
    // GIVEN a service with a 99.9% availability and a 99% within 300 ms objective; WHEN synthesized
    built = build();
    resources = built.template.toJSON().Resources;
  });

  describe('metrics from the access log', () => {
    test('three filters on the log group publish requests, 5xx and response times in the platform namespace, by Service', () => {
      const filters = ofType('AWS::Logs::MetricFilter').map(([, r]) => r.Properties);
      expect(filters.map((f) => f.MetricTransformations[0])).toEqual([
        { MetricName: 'access_log_requests', MetricNamespace: PLATFORM_METRICS_NAMESPACE, MetricValue: '1', Unit: 'Count', Dimensions: [{ Key: 'Service', Value: '$.service' }] },
        { MetricName: 'access_log_server_errors', MetricNamespace: PLATFORM_METRICS_NAMESPACE, MetricValue: '1', Unit: 'Count', Dimensions: [{ Key: 'Service', Value: '$.service' }] },
        { MetricName: 'access_log_response_time', MetricNamespace: PLATFORM_METRICS_NAMESPACE, MetricValue: '$.responseTime', Unit: 'Milliseconds', Dimensions: [{ Key: 'Service', Value: '$.service' }] },
      ]);
      for (const f of filters) expect(f.LogGroupName).toEqual({ Ref: expect.stringMatching(/^Logs/) });
    });

    test('a request is an access line of this service (completed or errored), probes and the metrics endpoint excluded', () => {
      const events = [
        accessLine(),
        accessLine({ msg: 'request errored', status: 500 }),
        accessLine({ service: 'payments' }),
        accessLine({ route: '/livez' }),
        accessLine({ route: '/readyz' }),
        accessLine({ route: '/metrics' }),
        { level: 'error', service: 'orders-api', reqId: 'r-1', msg: 'request failed' },
        'not json at all',
      ];
      expect(metricFilterDataPoints(filter('access_log_requests'), events)).toEqual([
        { value: 1, dimensions: { Service: 'orders-api' } },
        { value: 1, dimensions: { Service: 'orders-api' } },
      ]);
    });

    test('a server error is a request answered with 500 or more', () => {
      const events = [accessLine({ status: 200 }), accessLine({ status: 404 }), accessLine({ status: 499 }), accessLine({ status: 500 }), accessLine({ status: 503 }), accessLine({ status: 503, route: '/readyz' })];
      expect(metricFilterDataPoints(filter('access_log_server_errors'), events).length).toBe(2);
    });

    test('every request publishes its own response time (raw values, so percentiles are exact)', () => {
      const events = [accessLine({ ms: 3.25 }), accessLine({ ms: 1200, status: 503 }), accessLine({ ms: 5, route: '/livez' })];
      expect(metricFilterDataPoints(filter('access_log_response_time'), events).map((p) => p.value)).toEqual([3.25, 1200]);
    });

    test('excludedRoutes replaces the default exclusions', () => {
      const { template } = build({ excludedRoutes: ['/healthz'] });
      const requests = Object.values(template.findResources('AWS::Logs::MetricFilter'))[0].Properties as MetricFilterResource;
      expect(metricFilterDataPoints(requests, [accessLine({ route: '/healthz' }), accessLine({ route: '/livez' })]).length).toBe(1);
    });
  });

  describe('SLO burn-rate pages', () => {
    test.each(WORKBOOK_PAGES)('availability: the %j windows alarm at burn rate x error budget, over the window, no data not breaching', (page) => {
      const budget = 1 - SLO.availabilityPercent / 100;
      for (const seconds of [page.longHours * 3600, page.shortMinutes * 60]) {
        const [, alarm] = windowAlarm('availability', seconds);
        expect(alarm.Properties.Threshold).toBeCloseTo(burnRate(page) * budget, 10);
        expect(alarm.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
        const byId = Object.fromEntries(alarm.Properties.Metrics.map((m: any) => [m.Id, m]));
        expect(byId.expr_1.Expression).toBe('errors / requests');
        expect(byId.errors.MetricStat).toMatchObject({ Period: seconds, Stat: 'Sum', Metric: { MetricName: 'access_log_server_errors', Dimensions: [{ Name: 'Service', Value: 'orders-api' }] } });
        expect(byId.requests.MetricStat).toMatchObject({ Period: seconds, Stat: 'Sum', Metric: { MetricName: 'access_log_requests', Dimensions: [{ Name: 'Service', Value: 'orders-api' }] } });
      }
    });

    test.each(WORKBOOK_PAGES)('latency: the %j windows alarm when the share within the threshold (percentile rank) drops below 100 - burn rate x budget', (page) => {
      const budgetPercent = 100 - SLO.latencyPercent;
      for (const seconds of [page.longHours * 3600, page.shortMinutes * 60]) {
        const [, alarm] = windowAlarm('latency', seconds);
        expect(alarm.Properties.Threshold).toBeCloseTo(100 - burnRate(page) * budgetPercent, 10);
        expect(alarm.Properties).toMatchObject({
          ExtendedStatistic: 'PR(:300)',
          MetricName: 'access_log_response_time',
          Namespace: PLATFORM_METRICS_NAMESPACE,
          Dimensions: [{ Name: 'Service', Value: 'orders-api' }],
          ComparisonOperator: 'LessThanThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
      }
    });

    test.each([
      [{ availabilityPercent: 99.5, latencyThreshold: Duration.millis(1000), latencyPercent: 95 }],
      [{ availabilityPercent: 99.99, latencyThreshold: Duration.seconds(2), latencyPercent: 99.9 }],
    ])('thresholds follow the objectives: %j', (slo) => {
      const { template } = build({ slo });
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties);
      for (const page of WORKBOOK_PAGES) {
        const latency = alarms.find((a) => a.Period === page.longHours * 3600)!;
        expect(latency.ExtendedStatistic).toBe(`PR(:${slo.latencyThreshold.toMilliseconds()})`);
        expect(latency.Threshold).toBeCloseTo(100 - burnRate(page) * (100 - slo.latencyPercent), 10);
        const availability = alarms.find((a) => a.Metrics?.some((m: any) => m.MetricStat?.Period === page.longHours * 3600))!;
        expect(availability.Threshold).toBeCloseTo(burnRate(page) * (1 - slo.availabilityPercent / 100), 10);
      }
    });

    test.each(['availability', 'latency'] as const)('%s pages when the long and short window of any pair both alarm', (kind) => {
      const composite = ofType('AWS::CloudWatch::CompositeAlarm').find(([, r]) => r.Properties.AlarmName.includes(kind))![1];
      const rule = JSON.stringify(composite.Properties.AlarmRule);
      const ids = WORKBOOK_PAGES.map((p) => [windowAlarm(kind, p.longHours * 3600)[0], windowAlarm(kind, p.shortMinutes * 60)[0]]);
      expect(rule).toBe(JSON.stringify({ 'Fn::Join': ['', [
        '((ALARM("', { 'Fn::GetAtt': [ids[0][0], 'Arn'] }, '") AND ALARM("', { 'Fn::GetAtt': [ids[0][1], 'Arn'] },
        '")) OR (ALARM("', { 'Fn::GetAtt': [ids[1][0], 'Arn'] }, '") AND ALARM("', { 'Fn::GetAtt': [ids[1][1], 'Arn'] }, '")))',
      ]] }));
    });

    test('only the pages and the business alarm notify the topic (on alarm and on recovery); the window alarms notify no one', () => {
      const topic = { Ref: Object.keys(built.template.findResources('AWS::SNS::Topic'))[0] };
      const composites = ofType('AWS::CloudWatch::CompositeAlarm');
      expect(composites).toHaveLength(2);
      for (const [, c] of composites) expect(c.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
      const alarms = ofType('AWS::CloudWatch::Alarm');
      const notifying = alarms.filter(([, a]) => a.Properties.AlarmActions);
      expect(notifying.map(([, a]) => a.Properties.MetricName)).toEqual(['outbox_backlog']);
      expect(notifying[0][1].Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic], TreatMissingData: 'notBreaching', EvaluationPeriods: 3, Threshold: 1000 });
      expect(alarms.filter(([, a]) => !a.Properties.AlarmActions)).toHaveLength(8);
      expect(built.service.alarms).toHaveLength(11);
    });

    test('every alarm names its runbook entry', () => {
      const descriptions = [...ofType('AWS::CloudWatch::Alarm'), ...ofType('AWS::CloudWatch::CompositeAlarm')].map(([, a]) => a.Properties.AlarmDescription as string);
      expect(descriptions.filter((d) => d.includes('availability objective')).every((d) => d.endsWith('Runbook: docs/runbook.md#service-availability-slo-burn'))).toBe(true);
      expect(descriptions.filter((d) => d.includes('latency objective')).every((d) => d.endsWith('Runbook: docs/runbook.md#service-latency-slo-burn'))).toBe(true);
      expect(descriptions).toContain('orders: The outbox is backing up. Runbook: docs/runbook.md#orders-outbox-backlog');
      expect(descriptions.filter((d) => /Runbook: docs\/runbook\.md#[a-z0-9-]+$/.test(d))).toHaveLength(11);
    });
  });

  test('its dashboard widgets graph the rate, the 5xx ratio, p50 and p99, the latency SLI and the business signals', () => {
    const stack = new Stack(built.stack.node.scope!, 'Dashboard', { env: ENV });
    const dashboard = new cloudwatch.Dashboard(stack, 'D', { widgets: [built.service.widgets()] });
    const body = JSON.stringify(stack.resolve((dashboard.node.defaultChild as cloudwatch.CfnDashboard).dashboardBody));
    for (const text of ['Requests and 5xx per minute', '100 * FILL(errors, 0) / requests', '\\"stat\\":\\"p50\\"', '\\"stat\\":\\"p99\\"', 'PR(:300)', 'orders_created_total', 'outbox_backlog', 'orders alarms']) {
      expect(body).toContain(text);
    }
  });

  describe('refuses', () => {
    const message = (m: string) => `ServiceMonitoring Service/Orders: ${m}`;
    test.each<[string, Partial<ServiceMonitoringProps>, string]>([
      ['a service name that is no Kubernetes name', { serviceName: 'Orders API' }, 'serviceName is "Orders API": must be the service\'s Kubernetes name (lowercase letters, digits and "-", at most 63). Fix: use e.g. "orders".'],
      ['a log service name with a quote', { logServiceName: 'a"b' }, 'logServiceName is "a\\"b": must be the literal value of the "service" field of the service\'s log lines (no quotes or backslashes). Fix: pass what the service logs, e.g. "orders".'],
      ['an excluded route with a quote', { excludedRoutes: ['/"x'] }, 'excludedRoutes has "/\\"x": must be a literal route template as the access line logs it (req.route). Fix: use e.g. "/livez".'],
      ['an objective the fast page could never fire on', { slo: { ...SLO, availabilityPercent: 90 } }, 'slo.availabilityPercent is 90: must be from 93.1 to 99.99. Below, failing every request spends the error budget slower than 14.4x and the page could never fire; 100 leaves no budget. Fix: use e.g. 99.9.'],
      ['an objective without budget', { slo: { ...SLO, latencyPercent: 100 } }, 'slo.latencyPercent is 100: must be from 93.1 to 99.99.'],
      ['a sub-millisecond latency threshold', { slo: { ...SLO, latencyThreshold: Duration.millis(0.5) } }, 'slo.latencyThreshold is 0.5 millis: must be a whole number of milliseconds from 1 ms to 60 s. Fix: use e.g. Duration.millis(300).'],
      ['a latency threshold above a minute', { slo: { ...SLO, latencyThreshold: Duration.minutes(2) } }, 'slo.latencyThreshold is 2 minutes: must be a whole number of milliseconds from 1 ms to 60 s.'],
    ])('%s', (_name, props, expected) => {
      expect(() => build({ ...props })).toThrow(message(expected));
    });

    test('more excluded routes than a filter pattern (1024 characters) holds', () => {
      const excludedRoutes = Array.from({ length: 40 }, (_, i) => `/internal/route-${i}`);
      expect(() => build({ excludedRoutes })).toThrow(/^ServiceMonitoring Service\/Orders: excludedRoutes lists 40 routes: the metric filter pattern would have \d{4} characters, more than the 1024 CloudWatch Logs allows\. Fix: exclude only the probes and the metrics endpoint\.$/);
      expect(() => build({ excludedRoutes: excludedRoutes.slice(0, 10) })).not.toThrow();
    });

    const metric = (metricName: string, period = Duration.minutes(5)) => new cloudwatch.Metric({ namespace: PLATFORM_METRICS_NAMESPACE, metricName, period });
    const alarm = { threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, description: 'x', runbookAnchor: 'x-y' };
    test.each<[string, ServiceMonitoringProps['businessMetrics'], string]>([
      ['the same business metric twice', [{ metric: metric('a') }, { metric: metric('a') }], 'businessMetrics lists "a" twice. Fix: list each metric once.'],
      ['an alarm duration that is not whole periods', [{ metric: metric('a'), alarm: { ...alarm, duration: Duration.minutes(7) } }], 'businessMetrics a: alarm.duration is 7 minutes: must be a whole number of the metric\'s 5 minutes periods, at most a day.'],
      ['a runbook anchor that is not one', [{ metric: metric('a'), alarm: { ...alarm, runbookAnchor: 'Outbox Backlog' } }], 'businessMetrics a: alarm.runbookAnchor is "Outbox Backlog": must be lowercase words joined by single hyphens.'],
      ['an empty alarm description', [{ metric: metric('a'), alarm: { ...alarm, description: ' ' } }], 'businessMetrics a: alarm.description is empty. Fix: say in one sentence what it means when it fires.'],
    ])('%s', (_name, businessMetrics, expected) => {
      expect(() => build({ businessMetrics })).toThrow(message(expected));
    });
  });
});
