import type { AnalysisMetric, AnalysisTemplateSpec, CanaryStep, JobMetric } from './rollouts-api';

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
  /**
   * Routes that are not user traffic (probes, the metrics endpoint): left out of every analysis
   * query, so a version is judged, and counted as having served requests, on real requests only.
   * @default - none: every route counts
   */
  readonly excludedRoutes?: string[];
  /**
   * Blue-green only: the check that drives requests at the preview Service before promotion.
   * @default - none (blue-green then has nothing to judge before promotion; StatelessService requires it)
   */
  readonly previewCheck?: PreviewCheckSettings;
}

/**
 * Blue-green's preview check, resolved: a Job (the service's own image running `args`) sends one
 * round of requests at the preview Service per measurement and exits 0 only if every response
 * was right; the preview version must have served `minRequests` requests before promotion.
 */
export interface PreviewCheckSettings {
  /** Arguments of the service's image that run one round of the check. */
  readonly args: string[];
  /** Plain environment variables of the check, besides `PREVIEW_CHECK_ENVIRONMENT`. */
  readonly environment: Record<string, string>;
  /** HTTP methods the check may use on the preview (its AuthorizationPolicy). */
  readonly methods: string[];
  /** Path prefixes the check may call on the preview (its AuthorizationPolicy). */
  readonly pathPrefixes: string[];
  /** Requests (not counting `excludedRoutes`) the preview version must have served before promotion. */
  readonly minRequests: number;
  /** Seconds one round may take before its Job is stopped and the measurement fails. */
  readonly timeoutSeconds: number;
}

/**
 * Variables the platform sets on the preview check's container: the check reads them to know
 * where to send its requests and which version it checks.
 */
export const PREVIEW_CHECK_ENVIRONMENT = {
  /** Base URL of the preview Service, `http://<service>-preview.<namespace>.svc.cluster.local:<port>` (the sidecar adds mTLS). */
  url: 'PREVIEW_URL',
  /**
   * The pod-template hash of the version under check: the same in every round of a release, so an
   * idempotency key made from it turns every create after the first into a replay.
   */
  version: 'PREVIEW_VERSION',
} as const;

/** Metric of the preview analysis that runs the check Job. */
export const PREVIEW_CHECK_METRIC = 'preview-check';
/** Metric of the preview analysis that demands the preview served requests at all (the no-data guard). */
export const PREVIEW_REQUESTS_METRIC = 'preview-requests';

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
 * wrong); `scraped` still demands its pods report. `excludedRoutes` (probes, the metrics
 * endpoint) never count as requests. `initialDelaySeconds` postpones the first measurement (the
 * preview analysis waits for the check's first requests).
 */
export function serviceAnalysisTemplateSpec(props: {
  readonly serviceName: string;
  readonly namespace: string;
  readonly prometheus: PrometheusQueryTarget;
  readonly analysis: ServiceAnalysisSettings;
  /** Routes that are not user traffic (probes, metrics): never counted as requests. @default - none */
  readonly excludedRoutes?: readonly string[];
  /** Seconds before the first measurement of each metric. @default - none: measured at once */
  readonly initialDelaySeconds?: number;
}): AnalysisTemplateSpec {
  const a = props.analysis;
  const q = analysisQueries(props);
  const common = {
    interval: argoDuration(a.intervalSeconds),
    ...(props.initialDelaySeconds === undefined ? {} : { initialDelay: argoDuration(props.initialDelaySeconds) }),
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
        provider: q.provider(`(${q.requestRate(',status_code=~"5.."')} or vector(0)) / (${q.requestRate()} > 0 or vector(1))`),
      },
      {
        name: 'p99-latency-ms',
        ...common,
        successCondition: `result[0] < ${a.maxP99LatencyMs}`,
        failureCondition: `result[0] >= ${a.maxP99LatencyMs}`,
        // NaN (buckets without requests) fails `>= 0` and falls back to 0 like an empty result.
        provider: q.provider(`(1000 * histogram_quantile(0.99, sum by (le) (rate(${HTTP_DURATION_METRIC}_bucket{${q.requests}}[${q.window}]))) >= 0) or vector(0)`),
      },
      {
        name: 'scraped',
        ...common,
        successCondition: 'result[0] >= 1',
        failureCondition: 'result[0] < 1',
        provider: q.provider(`sum(up{${q.version}})`),
      },
    ],
  };
}

/**
 * Blue-green's pre-promotion analysis: evidence first, then judgement.
 *
 * - `preview-check` (Job provider): each measurement runs `checkJob`, which sends one round of
 *   requests at the preview Service and fails on any wrong response; `count` rounds, one per
 *   interval (Argo waits for a Job to finish before the interval to the next starts);
 * - `preview-requests`, the no-data guard: the preview version's pods must have served
 *   `minRequests` requests (cumulative counters of `http_server_request_duration_seconds`,
 *   excluded routes not counted). It waits for that (`consecutiveSuccessLimit: 1`,
 *   `failureLimit: -1`) and fails once `count + 2` measurements passed without it. Only a success
 *   condition is set, and it tests `len(result)`: an empty result or NaN is a failed measurement,
 *   never an error or an inconclusive one (Argo pauses, rather than aborts, on inconclusive);
 * - `error-ratio`, `p99-latency-ms`, `scraped` as in `serviceAnalysisTemplateSpec`, starting one
 *   interval later, when the first round's requests are in the window.
 *
 * Argo runs the metrics of a run concurrently; the run succeeds only when every metric has, and
 * fails as soon as one fails (the others are then stopped, a running check Job deleted).
 */
export function previewAnalysisTemplateSpec(props: {
  readonly serviceName: string;
  readonly namespace: string;
  readonly prometheus: PrometheusQueryTarget;
  readonly analysis: ServiceAnalysisSettings;
  /** Routes that are not user traffic (probes, metrics): never counted as requests. @default - none */
  readonly excludedRoutes?: readonly string[];
  /** The Job each round of the check runs. */
  readonly checkJob: JobMetric;
  /** Requests the preview must have served (not counting `excludedRoutes`). */
  readonly minRequests: number;
}): AnalysisTemplateSpec {
  const a = props.analysis;
  const rounds = a.count ?? 1;
  const q = analysisQueries(props);
  const health = serviceAnalysisTemplateSpec({ ...props, analysis: { ...a, count: rounds }, initialDelaySeconds: a.intervalSeconds });
  const check: AnalysisMetric = {
    name: PREVIEW_CHECK_METRIC,
    provider: { job: props.checkJob },
    interval: argoDuration(a.intervalSeconds),
    count: rounds,
    failureLimit: a.failureLimit,
    consecutiveErrorLimit: a.consecutiveErrorLimit,
  };
  const served: AnalysisMetric = {
    name: PREVIEW_REQUESTS_METRIC,
    provider: q.provider(`sum(${HTTP_DURATION_METRIC}_count{${q.requests}}) or vector(0)`),
    successCondition: `len(result) > 0 && result[0] >= ${props.minRequests}`,
    interval: argoDuration(a.intervalSeconds),
    initialDelay: argoDuration(a.intervalSeconds),
    count: rounds + 2,
    failureLimit: -1,
    consecutiveSuccessLimit: 1,
    consecutiveErrorLimit: a.consecutiveErrorLimit,
  };
  return { args: health.args, metrics: [check, served, ...health.metrics] };
}

/** Selectors, rate window and provider of one service's analysis queries. */
function analysisQueries(props: {
  readonly serviceName: string;
  readonly namespace: string;
  readonly prometheus: PrometheusQueryTarget;
  readonly analysis: ServiceAnalysisSettings;
  readonly excludedRoutes?: readonly string[];
}) {
  const version = `namespace="${props.namespace}",app="${props.serviceName}",rollouts_pod_template_hash="{{args.${POD_TEMPLATE_HASH_ARG}}}"`;
  const excluded = props.excludedRoutes ?? [];
  const requests = excluded.length === 0 ? version : `${version},route!~"${excluded.map(promqlRegexLiteral).join('|')}"`;
  const window = argoDuration(props.analysis.intervalSeconds * 2);
  return {
    /** The version's series. */
    version,
    /** The version's request series: its series without the excluded routes. */
    requests,
    window,
    requestRate: (extra = '') => `sum(rate(${HTTP_DURATION_METRIC}_count{${requests}${extra}}[${window}]))`,
    provider: (query: string) => ({
      prometheus: { address: props.prometheus.address, query, timeout: 30, authentication: { sigv4: { region: props.prometheus.region } } },
    }),
  };
}

/** A literal for a PromQL regex matcher (fully anchored RE2), escaped for the double-quoted string. */
function promqlRegexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\\\${c}`);
}
