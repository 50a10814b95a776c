import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';
import type { Construct } from 'constructs';

/**
 * Typed cdk8s objects for the Argo Rollouts kinds the platform uses (argoproj.io/v1alpha1),
 * written like `cdk8s import` output (typed props, no `any`) so constructs need no ESM-only
 * model package. The shapes follow the Argo Rollouts CRD schemas and are proven against
 * `@kubernetes-models/argo-rollouts` in test/constructs/delivery/rollouts-api.test.ts.
 *
 * Narrower than upstream on purpose: only the Prometheus metric provider (the platform's
 * metrics live in Amazon Managed Service for Prometheus) and the Job provider (a check that
 * drives requests at a version and judges them), only Istio traffic routing.
 */

/** Metadata of an Argo object: name is required, namespace should be set. */
export interface RolloutsObjectMetadata extends ApiObjectMetadata {
  /** Name of the object. */
  readonly name: string;
}

/** A Kubernetes duration string as Argo reads it: `30s`, `2m`, `1h`. */
export type ArgoDuration = string;

// --- Shared: analysis references -----------------------------------------------------------

/** Where an analysis argument's value comes from at run time. */
export interface ArgumentValueFrom {
  /** The pod-template hash of the stable or the latest (canary/preview) ReplicaSet. @default - unset: set this or `fieldRef` */
  readonly podTemplateHashValue?: 'Stable' | 'Latest';
  /** A field of the Rollout, e.g. `metadata.labels['app']`. @default - unset: set this or `podTemplateHashValue` */
  readonly fieldRef?: { readonly fieldPath: string };
}

/** A value passed from a Rollout to an AnalysisTemplate argument. */
export interface AnalysisRunArgument {
  /** Name of the argument passed to the analysis template. */
  readonly name: string;
  /** A literal value. @default - unset: set this or `valueFrom` */
  readonly value?: string;
  /** Where the value comes from at run time. @default - unset: set this or `value` */
  readonly valueFrom?: ArgumentValueFrom;
}

/** An AnalysisTemplate (namespaced) or ClusterAnalysisTemplate to run. */
export interface AnalysisTemplateRef {
  /** Name of the referenced AnalysisTemplate (or ClusterAnalysisTemplate). */
  readonly templateName: string;
  /**
   * Whether the reference points to a ClusterAnalysisTemplate.
   * @default false - an AnalysisTemplate in the Rollout's namespace
   */
  readonly clusterScope?: boolean;
}

/** Analysis run at a canary step, or before/after a blue-green promotion. */
export interface RolloutAnalysis {
  /** Analysis templates run for this analysis. */
  readonly templates: AnalysisTemplateRef[];
  /** Values for the templates' arguments. @default - none */
  readonly args?: AnalysisRunArgument[];
}

/** Analysis running in the background of a canary from `startingStep` until it completes. */
export interface RolloutAnalysisBackground extends RolloutAnalysis {
  /** Index of the step the analysis starts at. @default 0 */
  readonly startingStep?: number;
}

// --- Rollout: canary ---------------------------------------------------------------------

/** A pause; without a duration the rollout waits for a manual promotion. */
export interface RolloutPause {
  /** `30s`, `2m`, ... or seconds. @default - unset: paused until promoted by hand */
  readonly duration?: ArgoDuration | number;
}

/** One canary step: set exactly one field. */
export interface CanaryStep {
  /** Percentage of traffic (0-100) sent to the canary. @default - unset: another field of the step is set */
  readonly setWeight?: number;
  /** A pause before the next step. @default - unset: another field of the step is set */
  readonly pause?: RolloutPause;
  /** An inline analysis that blocks the step until it completes. @default - unset: another field of the step is set */
  readonly analysis?: RolloutAnalysis;
}

/** An Istio VirtualService and the named HTTP routes of it whose weights Argo manages. */
export interface IstioVirtualServiceRef {
  /** Name of the Istio VirtualService whose routes the controller adjusts. */
  readonly name: string;
  /** Route names; each must have exactly a stable and a canary destination. */
  readonly routes: string[];
}

/** Subset-level splitting: Argo labels the subsets with `rollouts-pod-template-hash`. */
export interface IstioDestinationRuleRef {
  /** Name of the Istio DestinationRule holding the stable and canary subsets. */
  readonly name: string;
  /** Subset of the DestinationRule that selects canary pods. */
  readonly canarySubsetName: string;
  /** Subset of the DestinationRule that selects stable pods. */
  readonly stableSubsetName: string;
}

/** Istio traffic routing of a canary Rollout. */
export interface IstioTrafficRouting {
  /** VirtualServices whose route weights the controller updates. */
  readonly virtualServices: IstioVirtualServiceRef[];
  /** Subset-level splitting instead of host-level. @default - unset: host-level, over `canaryService` and `stableService` */
  readonly destinationRule?: IstioDestinationRuleRef;
}

/** How the canary's traffic split is enforced. */
export interface RolloutTrafficRouting {
  /** Traffic split through Istio. */
  readonly istio: IstioTrafficRouting;
}

/** An int or a percentage such as `25%`. */
export type IntOrPercent = number | string;

/** Canary update strategy of a Rollout. */
export interface CanaryStrategy {
  /** Steps the canary goes through (weights, pauses, analyses). */
  readonly steps: CanaryStep[];
  /** Traffic split by the mesh. @default - unset: traffic follows the ratio of canary to stable pods */
  readonly trafficRouting?: RolloutTrafficRouting;
  /** Background analysis: failing it aborts the rollout (traffic goes back to stable). @default - none */
  readonly analysis?: RolloutAnalysisBackground;
  /** Pods above the desired count during the update. @default '25%' */
  readonly maxSurge?: IntOrPercent;
  /** Pods that may be unavailable during the update. @default '25%' */
  readonly maxUnavailable?: IntOrPercent;
  /** Seconds the canary ReplicaSet stays up after an abort. @default 30 */
  readonly abortScaleDownDelaySeconds?: number;
  /** Scale the stable ReplicaSet down as the canary takes traffic. @default false */
  readonly dynamicStableScale?: boolean;
  /** Service Argo points at the canary pods only. @default - none (required for host-level Istio routing) */
  readonly canaryService?: string;
  /** Service Argo points at the stable pods only. @default - none (required for host-level Istio routing) */
  readonly stableService?: string;
}

// --- Rollout: blue-green -----------------------------------------------------------------

/** Blue-green update strategy of a Rollout. */
export interface BlueGreenStrategy {
  /** Service that receives production traffic (Argo points it at the active ReplicaSet). */
  readonly activeService: string;
  /** Service that reaches the new version before promotion. @default - none */
  readonly previewService?: string;
  /** Promote without a manual step once the preview is ready (and pre-promotion analysis passed). @default true */
  readonly autoPromotionEnabled?: boolean;
  /** Seconds to wait, once the preview is fully available, before auto-promotion. @default 0 */
  readonly autoPromotionSeconds?: number;
  /** Must pass before promotion. @default - none */
  readonly prePromotionAnalysis?: RolloutAnalysis;
  /** Failing it after promotion aborts: the active Service goes back to the previous version. @default - none */
  readonly postPromotionAnalysis?: RolloutAnalysis;
  /** Seconds the previous ReplicaSet stays up after promotion (the rollback window). @default 30 */
  readonly scaleDownDelaySeconds?: number;
  /** Seconds the preview ReplicaSet stays up after an abort (0: never scaled down). @default 30 */
  readonly abortScaleDownDelaySeconds?: number;
  /** Preview replicas before promotion (scaled up fully before the switch). @default - the full replica count */
  readonly previewReplicaCount?: number;
}

/** Set exactly one strategy. */
export interface RolloutStrategy {
  /**
   * Canary update strategy.
   * @default - unset: set this or `blueGreen`
   */
  readonly canary?: CanaryStrategy;
  /**
   * Blue-green update strategy.
   * @default - unset: set this or `canary`
   */
  readonly blueGreen?: BlueGreenStrategy;
}

// --- Rollout -----------------------------------------------------------------------------

/** A Deployment (or other workload) whose pod template the Rollout uses instead of its own. */
export interface WorkloadRef {
  /** API version of the referenced workload. */
  readonly apiVersion: string;
  /** Kind of the referenced workload (e.g. `Deployment`). */
  readonly kind: string;
  /** Name of the referenced workload. */
  readonly name: string;
  /** When Argo scales the referenced Deployment down. @default 'never' */
  readonly scaleDown?: 'never' | 'onsuccess' | 'progressively';
}

/** A label selector (matchLabels only: what the platform uses). */
export interface RolloutSelector {
  /** Labels the Rollout's pods must carry. */
  readonly matchLabels: Record<string, string>;
}

/**
 * A pod template: the Kubernetes `PodTemplateSpec` JSON, as rendered by cdk8s-plus (kept as
 * JSON so a Rollout carries the exact hardened template of the workload it replaces).
 */
export interface PodTemplateJson {
  /** Pod labels and annotations. @default - none */
  readonly metadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  /** Pod spec, as Kubernetes JSON. */
  readonly spec: Record<string, unknown>;
}

/** Spec of an Argo Rollouts `Rollout`. */
export interface RolloutSpec {
  /**
   * Number of desired pods.
   * @default - unset: an autoscaler owns the replica count
   */
  readonly replicas?: number;
  /** Pods the Rollout owns. @default - unset: required unless `workloadRef` is set (the workload's selector is used) */
  readonly selector?: RolloutSelector;
  /** The pod template (or `workloadRef`, not both). @default - unset: `workloadRef` provides it */
  readonly template?: PodTemplateJson;
  /** A workload whose pod template the Rollout uses (or `template`, not both). @default - unset: `template` is used */
  readonly workloadRef?: WorkloadRef;
  /** How pods are replaced during an update. */
  readonly strategy: RolloutStrategy;
  /** Seconds a new pod must be ready, without a container crashing, to count as available. @default 0 */
  readonly minReadySeconds?: number;
  /** Old ReplicaSets kept. @default 10 */
  readonly revisionHistoryLimit?: number;
  /** Seconds the update may make no progress before it counts as failed. @default 600 */
  readonly progressDeadlineSeconds?: number;
  /** Abort (and roll back) when the progress deadline passes. @default false */
  readonly progressDeadlineAbort?: boolean;
}

/** Properties of a `Rollout`. */
export interface RolloutProps {
  /** Metadata of the Rollout. */
  readonly metadata: RolloutsObjectMetadata;
  /** Spec of the Rollout. */
  readonly spec: RolloutSpec;
}

/** A Deployment replacement whose updates progress by canary or blue-green, gated by analysis. */
export class Rollout extends ApiObject {
  /** API version and kind of the Rollout resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' };

  constructor(scope: Construct, id: string, props: RolloutProps) {
    super(scope, id, { ...Rollout.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- AnalysisTemplate --------------------------------------------------------------------

/** An argument of a template, filled by the Rollout (`{{args.<name>}}` in queries). */
export interface AnalysisArgument {
  /** Name of the argument. */
  readonly name: string;
  /**
   * Value of the argument.
   * @default - required from the caller
   */
  readonly value?: string;
}

/** AWS SigV4 signing of Prometheus queries (Amazon Managed Service for Prometheus). */
export interface Sigv4Config {
  /** AWS Region used to sign the requests. */
  readonly region: string;
  /** Role to assume before signing. @default - the controller's own credentials */
  readonly roleArn?: string;
}

/** Prometheus metric provider of an analysis. */
export interface PrometheusMetric {
  /** Base URL of the Prometheus HTTP API (`<address>/api/v1/query` is called). */
  readonly address: string;
  /** PromQL returning one sample; `{{args.x}}` is substituted. */
  readonly query: string;
  /** Query timeout in seconds. @default - unset: the controller's own query timeout */
  readonly timeout?: number;
  /** How queries are signed. @default - unsigned */
  readonly authentication?: { readonly sigv4?: Sigv4Config };
}

/**
 * A Kubernetes Job as a metric: Argo creates one Job per measurement (named after the
 * AnalysisRun, owned by it) in the run's namespace; the Job completing is a successful
 * measurement, the Job failing a failed one. `{{args.x}}` is substituted anywhere in it.
 */
export interface JobMetric {
  /** Labels and annotations of the Job object (not of its pods). @default - none */
  readonly metadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  /**
   * The Job spec: the Kubernetes `JobSpec` JSON, as rendered by cdk8s-plus (kept as JSON so the
   * check runs the exact hardened pod template it was rendered with).
   */
  readonly spec: Record<string, unknown>;
}

/** Where a metric's measurements come from: set exactly one provider. */
export interface MetricProvider {
  /** Measurements from a Prometheus query. @default - unset: set this or `job` */
  readonly prometheus?: PrometheusMetric;
  /** Measurements from a Job's exit status. @default - unset: set this or `prometheus` */
  readonly job?: JobMetric;
}

/** A metric an analysis measures and judges. */
export interface AnalysisMetric {
  /** Name of the metric. */
  readonly name: string;
  /** Where the measurements come from. */
  readonly provider: MetricProvider;
  /** expr-lang condition on `result` (e.g. `result[0] < 0.01`): true = measurement successful. @default - none */
  readonly successCondition?: string;
  /** Condition that fails the measurement outright. @default - none */
  readonly failureCondition?: string;
  /** Time between measurements, e.g. `1m`. @default - unset: a single measurement (`count` must then be 1 or unset) */
  readonly interval?: ArgoDuration;
  /** Wait before the first measurement. @default - none */
  readonly initialDelay?: ArgoDuration;
  /**
   * Number of measurements to take.
   * @default - unlimited while the rollout runs (background analysis)
   */
  readonly count?: number;
  /** Failed measurements tolerated; one more fails the metric (and the run); -1 turns the limit off (then `consecutiveSuccessLimit` must be set). @default 0 */
  readonly failureLimit?: number;
  /**
   * Successful measurements in a row that complete the metric successfully. With
   * `failureLimit: -1` the metric waits for a condition: it fails only if `count` measurements
   * pass without that many successes in a row.
   * @default 0 - off: the metric is judged by `failureLimit` and `count`
   */
  readonly consecutiveSuccessLimit?: number;
  /** Measurements in error (e.g. no data) tolerated in a row. @default 4 */
  readonly consecutiveErrorLimit?: number;
  /** Inconclusive measurements tolerated; one more makes the metric inconclusive. @default 0 */
  readonly inconclusiveLimit?: number;
}

/** Spec of an Argo Rollouts `AnalysisTemplate`. */
export interface AnalysisTemplateSpec {
  /** Arguments the queries use as `{{args.<name>}}`. @default - none */
  readonly args?: AnalysisArgument[];
  /** Metrics the analysis measures. */
  readonly metrics: AnalysisMetric[];
}

/** Properties of an `AnalysisTemplate`. */
export interface AnalysisTemplateProps {
  /** Metadata of the AnalysisTemplate. */
  readonly metadata: RolloutsObjectMetadata;
  /** Spec of the AnalysisTemplate. */
  readonly spec: AnalysisTemplateSpec;
}

/** How to judge a version from its metrics; a Rollout runs it as an AnalysisRun. */
export class AnalysisTemplate extends ApiObject {
  /** API version and kind of the AnalysisTemplate resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate' };

  constructor(scope: Construct, id: string, props: AnalysisTemplateProps) {
    super(scope, id, { ...AnalysisTemplate.GVK, metadata: props.metadata, spec: props.spec });
  }
}
