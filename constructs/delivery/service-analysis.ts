import type { AnalysisTemplateSpec, CanaryStep } from './rollouts-api';

/** How a new version of a service replaces the old one. */
export type DeliveryStrategy = 'rolling' | 'canary' | 'blue-green';

/** Every `DeliveryStrategy`, for checking a value read from configuration. */
export const DELIVERY_STRATEGIES: readonly DeliveryStrategy[] = ['rolling', 'canary', 'blue-green'];

/** Where analysis queries go: a Prometheus-compatible HTTP API signed with SigV4 (AMP). */
export interface PrometheusQueryTarget {
  /** Base URL of the Prometheus HTTP API, e.g. `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`. */
  readonly address: string;
  /** Region the SigV4 signature is for. */
  readonly region: string;
}

/** Analysis settings, resolved (plain numbers), as the chart renders them. */
export interface ServiceAnalysisSettings {
  /** Largest share of 5xx responses tolerated, e.g. 0.01. */
  readonly maxErrorRatio: number;
  /** Largest p99 request duration tolerated, in milliseconds. */
  readonly maxP99LatencyMs: number;
  /** Seconds between measurements (also the PromQL rate window is twice this). */
  readonly intervalSeconds: number;
  /** Failed measurements tolerated per metric; one more aborts the rollout. */
  readonly failureLimit: number;
  /** Measurements in a row without data tolerated; one more aborts the rollout. */
  readonly consecutiveErrorLimit: number;
  /**
   * Measurements per run; unset for a background analysis that runs until the rollout completes.
   * @default - unset: measures until the rollout completes
   */
  readonly count?: number;
}

/** One canary step, resolved: weight in percent and the pause after it in seconds. */
export interface CanaryStepSettings {
  /** Percentage of traffic (0-100) sent to the canary at this step. */
  readonly weight: number;
  /**
   * Seconds to wait at this weight before the next step.
   * @default - no pause: the next step follows at once
   */
  readonly pauseSeconds?: number;
}

/** Everything the chart needs to render a Rollout instead of a Deployment. */
export interface ProgressiveDeliverySettings {
  /** Rollout strategy: `canary` (weighted steps) or `blue-green`. */
  readonly strategy: 'canary' | 'blue-green';
  /** Where the analysis queries go. */
  readonly prometheus: PrometheusQueryTarget;
  /** Thresholds and timing of the analysis. */
  readonly analysis: ServiceAnalysisSettings;
  /** Canary only. */
  readonly canarySteps: CanaryStepSettings[];
  /** Blue-green only: seconds the previous version stays up after promotion (rollback window). */
  readonly scaleDownDelaySeconds: number;
}

/** Argument of the analysis template: the pod-template hash of the version under analysis. */
export const POD_TEMPLATE_HASH_ARG = 'pod-template-hash';

/** The histogram the platform's HTTP services expose on `/metrics` (labels method, route, status_code). */
export const HTTP_DURATION_METRIC = 'http_server_request_duration_seconds';

/**
 * Default canary: 10% for 2 minutes, 25% for 2 minutes, 50% for 5 minutes, then all traffic.
 * The background analysis watches every step; failing it aborts and traffic returns to stable.
 */
export const DEFAULT_CANARY_STEPS: readonly CanaryStepSettings[] = [
  { weight: 10, pauseSeconds: 120 },
  { weight: 25, pauseSeconds: 120 },
  { weight: 50, pauseSeconds: 300 },
  { weight: 100 },
];

/** Canary steps as Argo reads them: `setWeight`, then `pause` where one is set. */
export function canarySteps(steps: readonly CanaryStepSettings[]): CanaryStep[] {
  return steps.flatMap((step) => step.pauseSeconds === undefined
    ? [{ setWeight: step.weight }]
    : [{ setWeight: step.weight }, { pause: { duration: argoDuration(step.pauseSeconds) } }]);
}

/** `120` -> `2m`, `90` -> `90s`. */
export function argoDuration(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

/**
 * The AnalysisTemplate of an HTTP service, measured on the version under analysis only
 * (selected by its `rollouts-pod-template-hash`, which the scraper copies onto every series):
 *
 * - `error-ratio`: 5xx / all requests of `http_server_request_duration_seconds`;
 * - `p99-latency-ms`: p99 of the same histogram, in milliseconds;
 * - `scraped`: the version's pods are scraped at all (`up`), so a broken metrics pipeline can
 *   never pass an analysis: without data the measurements error and, past the
 *   consecutive-error limit, the run fails.
 *
 * A version that serves no requests in a window has an error ratio and p99 of 0 (nothing went
 * wrong); `scraped` still demands its pods report.
 */
export function serviceAnalysisTemplateSpec(props: {
  readonly serviceName: string;
  readonly namespace: string;
  readonly prometheus: PrometheusQueryTarget;
  readonly analysis: ServiceAnalysisSettings;
}): AnalysisTemplateSpec {
  const a = props.analysis;
  const selector = `namespace="${props.namespace}",app="${props.serviceName}",rollouts_pod_template_hash="{{args.${POD_TEMPLATE_HASH_ARG}}}"`;
  const window = argoDuration(a.intervalSeconds * 2);
  const requests = (extra = '') => `sum(rate(${HTTP_DURATION_METRIC}_count{${selector}${extra}}[${window}]))`;
  const provider = (query: string) => ({
    prometheus: { address: props.prometheus.address, query, timeout: 30, authentication: { sigv4: { region: props.prometheus.region } } },
  });
  const common = {
    interval: argoDuration(a.intervalSeconds),
    failureLimit: a.failureLimit,
    consecutiveErrorLimit: a.consecutiveErrorLimit,
    ...(a.count === undefined ? {} : { count: a.count }),
  };
  return {
    args: [{ name: POD_TEMPLATE_HASH_ARG }],
    metrics: [
      {
        name: 'error-ratio',
        ...common,
        successCondition: `result[0] < ${a.maxErrorRatio}`,
        failureCondition: `result[0] >= ${a.maxErrorRatio}`,
        provider: provider(`(${requests(',status_code=~"5.."')} or vector(0)) / (${requests()} > 0 or vector(1))`),
      },
      {
        name: 'p99-latency-ms',
        ...common,
        successCondition: `result[0] < ${a.maxP99LatencyMs}`,
        failureCondition: `result[0] >= ${a.maxP99LatencyMs}`,
        // NaN (buckets without requests) fails `>= 0` and falls back to 0 like an empty result.
        provider: provider(`(1000 * histogram_quantile(0.99, sum by (le) (rate(${HTTP_DURATION_METRIC}_bucket{${selector}}[${window}]))) >= 0) or vector(0)`),
      },
      {
        name: 'scraped',
        ...common,
        successCondition: 'result[0] >= 1',
        failureCondition: 'result[0] < 1',
        provider: provider(`sum(up{${selector}})`),
      },
    ],
  };
}
