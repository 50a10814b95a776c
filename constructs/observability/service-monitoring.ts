import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { IDashboardSegment } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { describeValue, isDns1123Label, validationFailure } from '../core/validation';
import { DEFAULT_METRICS_PATH, DEFAULT_PROBE_PATHS } from '../workload/stateless-service';
import { PLATFORM_METRICS_NAMESPACE } from './cloudwatch-metrics';
import { DEFAULT_RUNBOOK, RUNBOOK_ANCHOR, RUNBOOK_ANCHORS, runbookLine } from './runbook';

/** A service's objectives over a rolling 30 days, in its own terms. */
export interface ServiceSlo {
  /** Share of requests, in percent, that must not fail with a 5xx (e.g. 99.9). */
  readonly availabilityPercent: number;
  /** A request slower than this is "slow" for the latency objective. */
  readonly latencyThreshold: Duration;
  /** Share of requests, in percent, that must be faster than `latencyThreshold` (e.g. 99). */
  readonly latencyPercent: number;
}

/**
 * Objectives (in percent) the burn-rate alarms can page on. Above the top, the error budget is too
 * small to measure from a few log lines an hour; below the bottom, even failing every request burns
 * the budget slower than 14.4x (the fast page), so that page could never fire.
 */
export const SLO_OBJECTIVE_PERCENT = { min: 93.1, max: 99.99 } as const;

/** A pair of windows that pages when both burn the error budget faster than `burnRate`. */
export interface BurnRateWindows {
  /** The window that says the burn is significant. */
  readonly long: Duration;
  /** The window that says it is still going on (so the page resets soon after a fix). */
  readonly short: Duration;
  /** Multiple of the sustainable rate (the rate that spends exactly the budget in 30 days). */
  readonly burnRate: number;
}

/**
 * The paging windows of the Google SRE workbook ("Alerting on SLOs", multiwindow, multi-burn-rate):
 * 2% of a 30-day budget spent in an hour (14.4x, confirmed over 5 minutes) or 5% in six hours (6x,
 * confirmed over 30 minutes).
 */
export const PAGE_BURN_RATE_WINDOWS: readonly BurnRateWindows[] = [
  { long: Duration.hours(1), short: Duration.minutes(5), burnRate: 14.4 },
  { long: Duration.hours(6), short: Duration.minutes(30), burnRate: 6 },
];

/**
 * Metrics the access-log filters publish in `PLATFORM_METRICS_NAMESPACE`, each with the `Service`
 * dimension (the `service` field of the log line).
 */
export const ACCESS_LOG_METRICS = {
  /** One per request (count). */
  requests: 'access_log_requests',
  /** One per request answered with a 5xx (count). */
  serverErrors: 'access_log_server_errors',
  /** The response time of each request in milliseconds (one value per request, so percentiles are exact). */
  responseTime: 'access_log_response_time',
} as const;

/** An alarm on a business metric. */
export interface BusinessMetricAlarm {
  /** The value the metric's statistic over its period is compared with. */
  readonly threshold: number;
  /** How the metric compares with the threshold to be alarming. */
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /**
   * How long the condition must hold: a whole number of the metric's periods, at most a day.
   * @default Duration.minutes(15)
   */
  readonly duration?: Duration;
  /** What it means when it fires, for the alarm description (one sentence). */
  readonly description: string;
  /** The anchor of its runbook entry (lowercase words joined by hyphens). */
  readonly runbookAnchor: string;
}

/** A business signal of the service, e.g. a metric the metrics collector publishes (`MetricsCollector.metricService`). */
export interface BusinessMetric {
  /** The metric, with the statistic and period to graph and alarm on (a counter's Sum, a gauge's Maximum). */
  readonly metric: cloudwatch.Metric;
  /**
   * An alarm on it (missing data is not breaching: no traffic is not an outage).
   * @default - graphed only
   */
  readonly alarm?: BusinessMetricAlarm;
}

/** Properties of a `ServiceMonitoring`. */
export interface ServiceMonitoringProps {
  /** The service's name (`app.kubernetes.io/name`): alarm names and the dashboard show it. */
  readonly serviceName: string;
  /**
   * The log group its container logs are shipped to, one JSON object per line with the service's
   * fields at the top level: the access lines (`msg` "request completed" or "request errored",
   * `req.route`, `res.statusCode`, `responseTime` in ms) are turned into metrics there.
   */
  readonly logGroup: logs.ILogGroup;
  /**
   * The value of the `service` field on the service's log lines.
   * @default - serviceName
   */
  readonly logServiceName?: string;
  /**
   * Routes (`req.route`, the route template) that are not user traffic, left out of the
   * request, error and latency metrics: probes and the metrics endpoint.
   * @default - the probe and metrics paths StatelessService uses by default (`/livez`, `/readyz`, `/metrics`)
   */
  readonly excludedRoutes?: string[];
  /** Its objectives. */
  readonly slo: ServiceSlo;
  /**
   * Business signals to graph (and alarm on).
   * @default - none
   */
  readonly businessMetrics?: BusinessMetric[];
  /** Where alarms notify (an `AlarmTopic`'s topic, whose key CloudWatch may use). */
  readonly topic: sns.ITopic;
  /**
   * The runbook the alarm descriptions link to (a path in the repository or a URL).
   * @default DEFAULT_RUNBOOK
   */
  readonly runbook?: string;
  /**
   * Prefix of the alarm names.
   * @default - `<stack name>-<service name>`
   */
  readonly alarmNamePrefix?: string;
}

/** What one service level indicator pages on. */
interface BurnRateAlarms {
  /** The alarm that notifies: any pair of windows burning too fast. */
  readonly page: cloudwatch.CompositeAlarm;
  /** The per-window alarms it combines (no actions of their own). */
  readonly windows: cloudwatch.Alarm[];
}

/**
 * Monitoring of one service on the platform, from its structured access log and its business
 * metrics:
 *
 * - RED metrics from the access log (metric filters in `PLATFORM_METRICS_NAMESPACE`, dimension
 *   `Service`): requests, 5xx responses, and the response time of every request (raw values, so
 *   p50, p99 and percentile rank `PR(:threshold)` are exact). Probes and the metrics endpoint are
 *   left out.
 * - SLO burn-rate pages (multiwindow, multi-burn-rate): for availability (5xx ratio) and latency
 *   (share of requests slower than the threshold), each window pair of `PAGE_BURN_RATE_WINDOWS` is
 *   two alarms, long and short, and one composite alarm per objective fires when both alarms of any
 *   pair do. Only the composites notify (alarm and recovery). No traffic is not an outage: missing
 *   data is not breaching.
 * - Dashboard widgets (a cdk-monitoring-constructs dashboard segment): rate, 5xx ratio, p50/p99,
 *   the latency SLI and the business signals.
 */
export class ServiceMonitoring extends Construct implements IDashboardSegment {
  /** The service's name. */
  readonly serviceName: string;
  /** The service's objectives. */
  readonly slo: ServiceSlo;
  /** The composite alarm paging on the availability objective. */
  readonly availabilityAlarm: cloudwatch.CompositeAlarm;
  /** The composite alarm paging on the latency objective. */
  readonly latencyAlarm: cloudwatch.CompositeAlarm;
  /**
   * The per-window alarms the two composite alarms combine (the long and short window of each pair
   * of `PAGE_BURN_RATE_WINDOWS`, per objective). They notify no one themselves.
   */
  readonly burnRateWindowAlarms: cloudwatch.Alarm[];
  /** Alarms on business metrics, by metric name. */
  readonly businessAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** Every alarm this construct creates (composites, their windows, business alarms). */
  readonly alarms: cloudwatch.AlarmBase[];

  private readonly logServiceName: string;
  private readonly businessMetrics: BusinessMetric[];

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    const excludedRoutes = props.excludedRoutes ?? [...new Set([...Object.values(DEFAULT_PROBE_PATHS), DEFAULT_METRICS_PATH])];
    validateServiceMonitoringProps(this, props, excludedRoutes);
    this.serviceName = props.serviceName;
    this.slo = props.slo;
    this.logServiceName = props.logServiceName ?? props.serviceName;
    this.businessMetrics = props.businessMetrics ?? [];
    const runbook = props.runbook ?? DEFAULT_RUNBOOK;
    const prefix = props.alarmNamePrefix ?? `${Stack.of(this).stackName}-${props.serviceName}`;

    // RED metrics: one filter each, all on the access lines of this service's user traffic.
    const accessLines = logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.service', '=', this.logServiceName),
      logs.FilterPattern.any(
        logs.FilterPattern.stringValue('$.msg', '=', 'request completed'),
        logs.FilterPattern.stringValue('$.msg', '=', 'request errored'),
      ),
      ...excludedRoutes.map((route) => logs.FilterPattern.stringValue('$.req.route', '!=', route)),
    );
    const filter = (filterId: string, metricName: string, pattern: logs.JsonPattern, metricValue: string, unit: cloudwatch.Unit) => new logs.MetricFilter(this, filterId, {
      logGroup: props.logGroup,
      filterPattern: pattern,
      metricNamespace: PLATFORM_METRICS_NAMESPACE,
      metricName,
      metricValue,
      unit,
      dimensions: { Service: '$.service' },
    });
    const serverErrors = logs.FilterPattern.all(accessLines, logs.FilterPattern.numberValue('$.res.statusCode', '>=', 500));
    if (serverErrors.logPatternString.length > MAX_FILTER_PATTERN_LENGTH) {
      validationFailure('ServiceMonitoring', this.node.path)(`excludedRoutes lists ${excludedRoutes.length} routes: the metric filter pattern would have ${serverErrors.logPatternString.length} characters, more than the ${MAX_FILTER_PATTERN_LENGTH} CloudWatch Logs allows. Fix: exclude only the probes and the metrics endpoint.`);
    }
    filter('Requests', ACCESS_LOG_METRICS.requests, accessLines, '1', cloudwatch.Unit.COUNT);
    filter('ServerErrors', ACCESS_LOG_METRICS.serverErrors, serverErrors, '1', cloudwatch.Unit.COUNT);
    filter('ResponseTime', ACCESS_LOG_METRICS.responseTime, accessLines, '$.responseTime', cloudwatch.Unit.MILLISECONDS);

    // SLO burn-rate pages.
    const action = new actions.SnsAction(props.topic);
    const availabilityBudget = 1 - props.slo.availabilityPercent / 100;
    const availability = this.burnRateAlarms('Availability', {
      alarmName: `${prefix}-availability-slo-burn`,
      anchor: RUNBOOK_ANCHORS.serviceAvailability,
      runbook,
      objective: `the ${props.slo.availabilityPercent}% availability objective (share of requests without a 5xx)`,
      window: (w, burnRate) => ({
        metric: this.metricServerErrorRatio({ period: w }),
        threshold: round(burnRate * availabilityBudget),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        condition: `the 5xx ratio over ${windowName(w)} is above ${percent(burnRate * availabilityBudget)} (${burnRate}x the ${percent(availabilityBudget)} error budget)`,
      }),
    }, action);
    const latencyBudgetPercent = 100 - props.slo.latencyPercent;
    const thresholdMs = props.slo.latencyThreshold.toMilliseconds();
    const latency = this.burnRateAlarms('Latency', {
      alarmName: `${prefix}-latency-slo-burn`,
      anchor: RUNBOOK_ANCHORS.serviceLatency,
      runbook,
      objective: `the latency objective (${props.slo.latencyPercent}% of requests within ${thresholdMs} ms)`,
      window: (w, burnRate) => ({
        metric: this.metricResponseTime({ period: w, statistic: cloudwatch.Stats.percentileRank(thresholdMs) }),
        threshold: round(100 - burnRate * latencyBudgetPercent),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        condition: `fewer than ${round(100 - burnRate * latencyBudgetPercent)}% of requests over ${windowName(w)} took ${thresholdMs} ms or less (slow requests at ${burnRate}x the ${round(latencyBudgetPercent)}% budget)`,
      }),
    }, action);
    this.availabilityAlarm = availability.page;
    this.burnRateWindowAlarms = [...availability.windows, ...latency.windows];
    this.latencyAlarm = latency.page;

    // Business signals.
    const businessAlarms: Record<string, cloudwatch.Alarm> = {};
    for (const business of this.businessMetrics) {
      if (!business.alarm) continue;
      const alarm = business.alarm;
      const { metricName, period } = business.metric;
      const alarmResource = new cloudwatch.Alarm(this, `Business-${metricName}`, {
        alarmName: `${prefix}-${metricName}`,
        alarmDescription: `${props.serviceName}: ${sentence(alarm.description)} ${runbookLine(runbook, alarm.runbookAnchor)}`,
        metric: business.metric,
        threshold: alarm.threshold,
        comparisonOperator: alarm.comparisonOperator,
        evaluationPeriods: (alarm.duration ?? Duration.minutes(15)).toSeconds() / period.toSeconds(),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarmResource.addAlarmAction(action);
      alarmResource.addOkAction(action);
      businessAlarms[metricName] = alarmResource;
    }
    this.businessAlarms = businessAlarms;
    this.alarms = [availability.page, latency.page, ...this.burnRateWindowAlarms, ...Object.values(businessAlarms)];
  }

  /** Requests (access lines of user traffic), sum per period. */
  metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.accessLogMetric(ACCESS_LOG_METRICS.requests, { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /** Requests answered with a 5xx, sum per period. */
  metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.accessLogMetric(ACCESS_LOG_METRICS.serverErrors, { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /** Response time of requests in milliseconds (p99 by default; any percentile or `PR(:ms)`). */
  metricResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.accessLogMetric(ACCESS_LOG_METRICS.responseTime, { statistic: cloudwatch.Stats.p(99), ...props });
  }

  /** Share of requests answered with a 5xx per period (0 to 1; no data without traffic or without 5xx). */
  metricServerErrorRatio(props: { period?: Duration; label?: string } = {}): cloudwatch.MathExpression {
    const period = props.period ?? Duration.minutes(5);
    return new cloudwatch.MathExpression({
      expression: 'errors / requests',
      usingMetrics: { errors: this.metricServerErrors({ period }), requests: this.metricRequests({ period }) },
      period,
      label: props.label ?? '5xx ratio',
    });
  }

  /** Widgets of the service on a dashboard. */
  widgets(): cloudwatch.IWidget[] {
    const minute = Duration.minutes(1);
    const { availabilityPercent, latencyPercent } = this.slo;
    const thresholdMs = this.slo.latencyThreshold.toMilliseconds();
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({
        markdown: `### Service ${this.serviceName}\nObjectives (30 days): ${availabilityPercent}% of requests without a 5xx; ${latencyPercent}% within ${thresholdMs} ms. Pages when the error budget burns ${PAGE_SUMMARY}.`,
        width: 24,
        height: 2,
      }),
      new cloudwatch.GraphWidget({
        title: 'Requests and 5xx per minute',
        left: [this.metricRequests({ period: minute, label: 'requests' }), this.metricServerErrors({ period: minute, label: '5xx' })],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: '5xx ratio (%)',
        left: [new cloudwatch.MathExpression({
          expression: '100 * FILL(errors, 0) / requests',
          usingMetrics: { errors: this.metricServerErrors({ period: minute }), requests: this.metricRequests({ period: minute }) },
          period: minute,
          label: '5xx %',
        })],
        leftAnnotations: [{ value: round(100 - availabilityPercent), label: 'error budget' }],
        leftYAxis: { min: 0 },
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Response time (ms)',
        left: [this.metricResponseTime({ period: minute, statistic: cloudwatch.Stats.p(50), label: 'p50' }), this.metricResponseTime({ period: minute, statistic: cloudwatch.Stats.p(99), label: 'p99' })],
        leftAnnotations: [{ value: thresholdMs, label: 'latency threshold' }],
        leftYAxis: { min: 0 },
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: `Requests within ${thresholdMs} ms (%)`,
        left: [this.metricResponseTime({ period: minute, statistic: cloudwatch.Stats.percentileRank(thresholdMs), label: `within ${thresholdMs} ms` })],
        leftAnnotations: [{ value: latencyPercent, label: 'objective' }],
        leftYAxis: { min: 0, max: 100 },
        width: 6,
      }),
      ...this.businessMetrics.map((business) => new cloudwatch.GraphWidget({
        title: business.metric.label ?? business.metric.metricName,
        left: [business.metric],
        leftAnnotations: business.alarm ? [{ value: business.alarm.threshold, label: 'alarm' }] : undefined,
        width: 6,
      })),
    ];
    return [...widgets, ...this.alarmWidgets()];
  }

  /** The state of the service's paging alarms. */
  alarmWidgets(): cloudwatch.IWidget[] {
    return [new cloudwatch.AlarmStatusWidget({
      title: `${this.serviceName} alarms`,
      alarms: [this.availabilityAlarm, this.latencyAlarm, ...Object.values(this.businessAlarms)],
      width: 24,
      height: 3,
    })];
  }

  /** The widgets for a summary: request rate, 5xx ratio and response time. */
  summaryWidgets(): cloudwatch.IWidget[] {
    return this.widgets().slice(1, 4);
  }

  private accessLogMetric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: PLATFORM_METRICS_NAMESPACE, metricName, dimensionsMap: { Service: this.logServiceName }, ...props });
  }

  /** One alarm per window of PAGE_BURN_RATE_WINDOWS and the composite that pages. */
  private burnRateAlarms(id: string, sli: {
    alarmName: string;
    anchor: string;
    runbook: string;
    objective: string;
    window: (window: Duration, burnRate: number) => { metric: cloudwatch.IMetric; threshold: number; comparisonOperator: cloudwatch.ComparisonOperator; condition: string };
  }, action: cloudwatch.IAlarmAction): BurnRateAlarms {
    const windows: cloudwatch.Alarm[] = [];
    const pairs = PAGE_BURN_RATE_WINDOWS.map(({ long, short, burnRate }) => {
      const [longAlarm, shortAlarm] = [long, short].map((w) => {
        const window = sli.window(w, burnRate);
        const alarm = new cloudwatch.Alarm(this, `${id}Burn${windowName(w)}`, {
          alarmName: `${sli.alarmName}-${windowName(w)}`,
          alarmDescription: `${this.serviceName}: ${window.condition}. Part of the page on ${sli.objective}, which fires when the ${windowName(long)} and ${windowName(short)} windows both burn; this alarm notifies no one itself. ${runbookLine(sli.runbook, sli.anchor)}`,
          metric: window.metric,
          threshold: window.threshold,
          comparisonOperator: window.comparisonOperator,
          evaluationPeriods: 1,
          // No traffic is not an outage: a window without requests (or without 5xx) does not breach.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        windows.push(alarm);
        return alarm;
      });
      return cloudwatch.AlarmRule.allOf(cloudwatch.AlarmRule.fromAlarm(longAlarm, cloudwatch.AlarmState.ALARM), cloudwatch.AlarmRule.fromAlarm(shortAlarm, cloudwatch.AlarmState.ALARM));
    });
    const page = new cloudwatch.CompositeAlarm(this, `${id}BurnRate`, {
      compositeAlarmName: sli.alarmName,
      alarmDescription: `${this.serviceName} is burning the error budget of ${sli.objective} too fast: ${PAGE_SUMMARY}. ${runbookLine(sli.runbook, sli.anchor)}`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...pairs),
    });
    page.addAlarmAction(action);
    page.addOkAction(action);
    return { page, windows };
  }
}

/** When the pages fire, as the dashboard and the composite alarms say it. */
const PAGE_SUMMARY = PAGE_BURN_RATE_WINDOWS.map((w) => `${w.burnRate}x over ${windowName(w.long)} and ${windowName(w.short)}`).join(', or ');

/** `1h`, `30m`: a window as the alarm names and descriptions show it. */
function windowName(window: Duration): string {
  const minutes = window.toMinutes();
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

/** A number without binary noise (99.9 - 100 gives 0.09999999999999432). */
function round(value: number): number {
  return Number(value.toFixed(6));
}

/** Text ending with a full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** A ratio in percent, e.g. 0.0144 -> "1.44%". */
function percent(ratio: number): string {
  return `${round(ratio * 100)}%`;
}

/** A value written into a filter pattern between double quotes. */
const PATTERN_VALUE = /^[^"\\]+$/;
/** Most a metric filter pattern may hold (CloudWatch Logs). */
const MAX_FILTER_PATTERN_LENGTH = 1024;

function validateServiceMonitoringProps(scope: Construct, props: ServiceMonitoringProps, excludedRoutes: string[]): void {
  const fail = validationFailure('ServiceMonitoring', scope.node.path);
  if (!Token.isUnresolved(props.serviceName) && !isDns1123Label(props.serviceName)) {
    fail(`serviceName is ${describeValue(props.serviceName)}: must be the service's Kubernetes name (lowercase letters, digits and "-", at most 63). Fix: use e.g. "orders".`);
  }
  const logServiceName = props.logServiceName ?? props.serviceName;
  if (Token.isUnresolved(logServiceName) || !PATTERN_VALUE.test(logServiceName)) {
    fail(`logServiceName is ${describeValue(logServiceName, scope)}: must be the literal value of the "service" field of the service's log lines (no quotes or backslashes). Fix: pass what the service logs, e.g. "orders".`);
  }
  for (const route of excludedRoutes) {
    if (Token.isUnresolved(route) || !PATTERN_VALUE.test(route)) fail(`excludedRoutes has ${describeValue(route, scope)}: must be a literal route template as the access line logs it (req.route). Fix: use e.g. "/livez".`);
  }
  const { availabilityPercent, latencyPercent, latencyThreshold } = props.slo;
  for (const [name, value] of [['slo.availabilityPercent', availabilityPercent], ['slo.latencyPercent', latencyPercent]] as const) {
    if (Token.isUnresolved(value) || !(value >= SLO_OBJECTIVE_PERCENT.min && value <= SLO_OBJECTIVE_PERCENT.max)) {
      const burn = PAGE_BURN_RATE_WINDOWS[0].burnRate;
      fail(`${name} is ${describeValue(value, scope)}: must be from ${SLO_OBJECTIVE_PERCENT.min} to ${SLO_OBJECTIVE_PERCENT.max}. Below, failing every request spends the error budget slower than ${burn}x and the page could never fire; 100 leaves no budget. Fix: use e.g. 99.9.`);
    }
  }
  if (latencyThreshold.isUnresolved() || latencyThreshold.toMilliseconds({ integral: false }) < 1 || latencyThreshold.toMilliseconds({ integral: false }) > 60_000 || !Number.isInteger(latencyThreshold.toMilliseconds({ integral: false }))) {
    fail(`slo.latencyThreshold is ${latencyThreshold.toHumanString()}: must be a whole number of milliseconds from 1 ms to 60 s. Fix: use e.g. Duration.millis(300).`);
  }
  const names = new Set<string>();
  for (const { metric, alarm } of props.businessMetrics ?? []) {
    const name = metric.metricName;
    if (names.has(name)) fail(`businessMetrics lists ${describeValue(name)} twice. Fix: list each metric once.`);
    names.add(name);
    if (!alarm) continue;
    const duration = alarm.duration ?? Duration.minutes(15);
    const periods = duration.toSeconds({ integral: false }) / metric.period.toSeconds();
    if (!Number.isInteger(periods) || periods < 1 || duration.toSeconds({ integral: false }) > 24 * 3600) {
      fail(`businessMetrics ${name}: alarm.duration is ${duration.toHumanString()}: must be a whole number of the metric's ${metric.period.toHumanString()} periods, at most a day. Fix: use e.g. Duration.minutes(15) with a 5-minute metric.`);
    }
    if (!RUNBOOK_ANCHOR.test(alarm.runbookAnchor)) {
      fail(`businessMetrics ${name}: alarm.runbookAnchor is ${describeValue(alarm.runbookAnchor)}: must be lowercase words joined by single hyphens. Fix: use e.g. "orders-outbox-backlog" and add that entry to the runbook.`);
    }
    if (alarm.description.trim().length === 0) fail(`businessMetrics ${name}: alarm.description is empty. Fix: say in one sentence what it means when it fires.`);
  }
}
