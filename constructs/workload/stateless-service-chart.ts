import { ApiObject, Chart, Duration, JsonPatch, Lazy, Size, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { AnalysisTemplate, Rollout, type JobMetric, type PodTemplateJson, type RolloutAnalysis, type RolloutStrategy } from '../delivery/rollouts-api';
import { POD_TEMPLATE_HASH_ARG, PREVIEW_CHECK_ENVIRONMENT, canarySteps, previewAnalysisTemplateSpec, serviceAnalysisTemplateSpec, type PreviewCheckSettings, type ProgressiveDeliverySettings } from '../delivery/service-analysis';
import { validationFailure } from '../core/validation';
import { AuthorizationPolicy, DestinationRule, ExternalServiceEntry, VirtualService, serviceAccountPrincipal, type AuthorizationRule, type HttpRoute, type HttpRouteDestination, type TrafficPolicy } from '../mesh';
import { POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';
import { SecurityGroupPolicy } from '../cluster/security-group-policy';
import type { MetricsScrapeSource } from '../observability/scrape-source';

/** A destination outside the cluster the service may reach (a database, a cache, an AWS API). */
export interface EgressDestination {
  /** Short name used in object names, e.g. `postgres`. */
  readonly name: string;
  /** DNS name clients connect to (names the Istio ServiceEntry). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** IPv4 CIDRs the destination lives in (NetworkPolicy ipBlocks and ServiceEntry addresses). */
  readonly cidrs: string[];
}

/** How the mesh ingress gateway reaches the service. */
export interface GatewayRoute {
  /** Istio Gateway the VirtualService binds to, as `<namespace>/<name>`. */
  readonly gateway: string;
  /** Namespace of the gateway pods (NetworkPolicy ingress source). */
  readonly gatewayNamespace: string;
  /** Labels of the gateway pods (NetworkPolicy ingress source). */
  readonly gatewayPodLabels: Record<string, string>;
  /** SPIFFE principal of the gateway, `cluster.local/ns/<ns>/sa/<sa>` (AuthorizationPolicy source). */
  readonly gatewayPrincipal: string;
  /** Host names the service answers on at the gateway. */
  readonly hosts: string[];
  /** Path prefixes routed to the service, e.g. `/v1/`. */
  readonly pathPrefixes: string[];
  /** HTTP methods allowed through the gateway. */
  readonly methods: string[];
}

/** Mesh traffic policy for calls to the service. */
export interface ServiceTrafficPolicy {
  /** Whole-request timeout enforced by the caller's proxy. */
  readonly requestTimeout: Duration;
  /** Retry attempts after the first try (bounded). */
  readonly retryAttempts: number;
  /** Timeout of each try. */
  readonly perTryTimeout: Duration;
  /** Envoy retry conditions; only failures that are safe to retry. */
  readonly retryOn: string;
  /** TCP connections per caller proxy to the service. */
  readonly maxConnections: number;
  /** Requests queued per caller proxy waiting for a connection. */
  readonly maxPendingRequests: number;
  /** Consecutive 5xx (gateway errors) before a pod is ejected from the load-balancing pool. */
  readonly consecutive5xxErrors: number;
  /** Largest share of pods that may be ejected at once (percent). */
  readonly maxEjectionPercent: number;
}

/** Properties of a `StatelessServiceChart`. */
export interface StatelessServiceChartProps extends ChartProps {
  /** Service name: names every object and the `app.kubernetes.io/name` label. */
  readonly serviceName: string;
  /** Namespace the service runs in (created and guarded by the platform). */
  readonly namespace: string;
  /** Immutable image reference (digest or immutable tag). */
  readonly image: string;
  /** Version label of the pods (the digest or tag). */
  readonly version: string;
  /** Container port serving HTTP. */
  readonly port: number;
  /** Arguments of the serving container (the image's entrypoint runs them). */
  readonly args: string[];
  /**
   * Arguments of the migration init container; unset for a service without migrations.
   * @default - no migration init container
   */
  readonly migrationArgs?: string[];
  /** Plain environment variables (no secrets: identities come from Pod Identity). */
  readonly environment: Record<string, string>;
  /** ServiceAccount the pods run as (bound to an IAM role by EKS Pod Identity). */
  readonly serviceAccountName: string;
  /**
   * Security groups of the pods (EKS security groups for pods): a SecurityGroupPolicy gives them
   * to the pods that have the service's labels and run as its ServiceAccount, applied before the
   * pods (the policy only affects pods created after it).
   * @default - no SecurityGroupPolicy: the pods use their node's security groups
   */
  readonly podSecurityGroupIds?: string[];
  /** Fewest replicas the autoscaler keeps. */
  readonly minReplicas: number;
  /** Most replicas the autoscaler scales to. */
  readonly maxReplicas: number;
  /** Average CPU utilisation (percent of requests) the autoscaler keeps. */
  readonly targetCpuUtilizationPercent: number;
  /** CPU request of the container, in millicores. */
  readonly cpuRequestMillis: number;
  /** CPU limit of the container, in millicores. */
  readonly cpuLimitMillis: number;
  /** Memory request of the container, in MiB. */
  readonly memoryRequestMiB: number;
  /** Memory limit of the container, in MiB. */
  readonly memoryLimitMiB: number;
  /** HTTP path of the startup probe, on `port`. */
  readonly startupProbePath: string;
  /** HTTP path of the readiness probe, on `port`. */
  readonly readinessProbePath: string;
  /** HTTP path of the liveness probe, on `port`. */
  readonly livenessProbePath: string;
  /** Sleep before SIGTERM, so endpoints and proxies stop sending traffic first. */
  readonly preStopSleep: Duration;
  /** Grace period between the start of termination and SIGKILL. */
  readonly terminationGracePeriod: Duration;
  /** Destinations outside the cluster the pods may reach. */
  readonly egress: EgressDestination[];
  /**
   * Route from the ingress gateway; unset for a mesh-internal service.
   * @default - no route: reachable only inside the mesh
   */
  readonly gatewayRoute?: GatewayRoute;
  /** Other workloads' principals allowed to call the service (mesh-internal callers). */
  readonly meshCallers: { principal: string; namespace: string; podLabels: Record<string, string>; methods: string[]; pathPrefixes: string[] }[];
  /** Timeouts and retries of calls to the service. */
  readonly traffic: ServiceTrafficPolicy;
  /**
   * Render an Argo Rollout (canary or blue-green, gated by analysis) instead of the Deployment.
   * @default - a Deployment with a rolling update
   */
  readonly delivery?: ProgressiveDeliverySettings;
  /**
   * Let a Prometheus scraper collect the pods' metrics: `prometheus.io/*` annotations (Istio
   * rewrites them to the sidecar's merged endpoint) and a NetworkPolicy admitting the scraper.
   * @default - not scraped
   */
  readonly metricsScrape?: MetricsScrape;
  /**
   * Let the pods reach a trace collector on its OTLP ports (the app's SDK and the sidecar's
   * own span export both leave from the pod).
   * @default - no egress to a collector
   */
  readonly traceEgress?: TraceEgress;
}

/** Where the pods send spans. */
export interface TraceEgress {
  /** Namespace of the collector's pods. */
  readonly namespace: string;
  /** Labels of the collector's pods. */
  readonly podLabels: Record<string, string>;
  /** The collector's OTLP ports. */
  readonly ports: number[];
}

/** How the pods' metrics are collected. */
export interface MetricsScrape {
  /** Path of the app's Prometheus endpoint on its HTTP port. */
  readonly path: string;
  /** Port the scraper connects to on the pod (the Istio sidecar's merged metrics port, 15020). */
  readonly scrapePort: number;
  /** Scraper pods in the cluster, admitted by namespace and labels. */
  readonly sources: MetricsScrapeSource[];
  /** CIDRs a scraper outside the cluster connects from. */
  readonly sourceCidrs: string[];
}

/** Names of the DestinationRule subsets Argo Rollouts labels with the pod-template hash. */
export const CANARY_SUBSETS = { stable: 'stable', canary: 'canary' } as const;


/**
 * The Kubernetes objects of one stateless service: a pure function of its props.
 *
 * Pods pass Pod Security "restricted" (non-root, no privilege escalation, all capabilities
 * dropped, RuntimeDefault seccomp, read-only root filesystem), carry no service-account token,
 * spread over zones, and drain before they stop. Traffic is declared, and the NetworkPolicies
 * and Istio policies follow from it.
 */
export class StatelessServiceChart extends Chart {
  /**
   * The hardened workload definition. With progressive delivery it is not applied: the Rollout
   * carries its pod template and selector instead.
   */
  readonly deployment: kplus.Deployment;
  /** The Kubernetes Service in front of the pods. */
  readonly service: kplus.Service;
  /** The Argo Rollout replacing the Deployment (canary or blue-green delivery). */
  readonly rollout?: Rollout;
  /** The analysis gating the rollout (canary steps; blue-green after promotion). */
  readonly analysisTemplate?: AnalysisTemplate;
  /** Blue-green: the analysis before promotion (the preview check, the no-data guard, the health metrics). */
  readonly prePromotionAnalysisTemplate?: AnalysisTemplate;
  /**
   * Blue-green: the preview check's Job. Not applied: its spec is the pre-promotion analysis's
   * Job metric, from which Argo creates one Job per round.
   */
  readonly previewCheckJob?: kplus.Job;
  private readonly preStopSleepSeconds: number;
  private readonly progressive: boolean;

  constructor(scope: Construct, id: string, props: StatelessServiceChartProps) {
    super(scope, id, { ...props, namespace: props.namespace, labels: { 'app.kubernetes.io/part-of': props.serviceName, ...props.labels } });
    const selectorLabels = { 'app.kubernetes.io/name': props.serviceName };
    const serviceAccount = kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccountRef', props.serviceAccountName);
    new kplus.ServiceAccount(this, 'ServiceAccount', {
      // Labelled like the pods: the SecurityGroupPolicy selects this account by it.
      metadata: { name: props.serviceAccountName, labels: selectorLabels },
      automountToken: false,
    });
    if (props.podSecurityGroupIds) {
      // Declared before the workload, so it precedes the pods in the manifest.
      new SecurityGroupPolicy(this, 'PodSecurityGroupPolicy', {
        metadata: { name: props.serviceName },
        spec: {
          podSelector: { matchLabels: selectorLabels },
          serviceAccountSelector: { matchLabels: selectorLabels },
          securityGroups: { groupIds: [...props.podSecurityGroupIds] },
        },
      });
    }

    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    const env = Object.fromEntries(Object.entries(props.environment).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]));
    const resources: kplus.ContainerResources = {
      cpu: { request: kplus.Cpu.millis(props.cpuRequestMillis), limit: kplus.Cpu.millis(props.cpuLimitMillis) },
      memory: { request: Size.mebibytes(props.memoryRequestMiB), limit: Size.mebibytes(props.memoryLimitMiB) },
      // Whole GiB only (cdk8s-plus renders ephemeral storage in Gi); /tmp is a 64Mi emptyDir.
      ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    };
    const securityContext: kplus.ContainerSecurityContextProps = {
      ensureNonRoot: true,
      user: 65532,
      group: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      // capabilities: drop ALL is added in toJson(): cdk8s-plus-27 has no `ALL` capability.
    };

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: props.serviceName },
      podMetadata: { labels: { ...selectorLabels, 'app.kubernetes.io/version': versionLabel(props.version) } },
      serviceAccount,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532, fsGroup: 65532 },
      terminationGracePeriod: props.terminationGracePeriod,
      strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.percent(25), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      progressDeadline: Duration.minutes(10),
      // Zone spread is a hard topology constraint below; no extra anti-affinity.
      spread: false,
      isolate: true,
      volumes: [tmp],
      initContainers: props.migrationArgs ? [{
        name: 'migrate',
        image: props.image,
        args: props.migrationArgs,
        envVariables: env,
        resources,
        securityContext,
        volumeMounts: [{ path: '/tmp', volume: tmp }],
      }] : [],
      containers: [{
        name: 'app',
        image: props.image,
        args: props.args,
        ports: [{ name: 'http', number: props.port }],
        envVariables: env,
        resources,
        securityContext,
        volumeMounts: [{ path: '/tmp', volume: tmp }],
        startup: kplus.Probe.fromHttpGet(props.startupProbePath, { port: props.port, periodSeconds: Duration.seconds(2), failureThreshold: 30, timeoutSeconds: Duration.seconds(2) }),
        readiness: kplus.Probe.fromHttpGet(props.readinessProbePath, { port: props.port, periodSeconds: Duration.seconds(5), failureThreshold: 2, timeoutSeconds: Duration.seconds(2) }),
        liveness: kplus.Probe.fromHttpGet(props.livenessProbePath, { port: props.port, periodSeconds: Duration.seconds(10), failureThreshold: 3, timeoutSeconds: Duration.seconds(2) }),
      }],
    });
    const podSpec = ApiObject.of(this.deployment);
    // What cdk8s-plus cannot express: seccomp and zone spread constraints (the rest, newer
    // than its Kubernetes 1.27 types, is added in toJson()).
    podSpec.addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selectorLabels } },
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels } },
      ]),
    );

    if (props.metricsScrape) {
      podSpec.addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations', {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(props.port),
        'prometheus.io/path': props.metricsScrape.path,
      }));
    }

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: props.serviceName },
      selector: this.deployment,
      ports: [{ name: 'http', port: props.port, targetPort: props.port, protocol: kplus.Protocol.TCP }],
    });
    ApiObject.of(this.service).addJsonPatch(JsonPatch.add('/spec/ports/0/appProtocol', 'http'));

    const autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
      metadata: { name: props.serviceName },
      target: this.deployment,
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(props.targetCpuUtilizationPercent))],
      scaleDown: { stabilizationWindow: Duration.minutes(5) },
    });

    new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { name: props.serviceName },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: selectorLabels },
        // A pod that never became ready must not block node drains.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    this.declareNetworkPolicies(props);
    this.declareMeshPolicies(props, selectorLabels);
    this.preStopSleepSeconds = props.preStopSleep.toSeconds();
    this.progressive = props.delivery !== undefined;

    if (props.delivery) {
      const delivery = props.delivery;
      if (delivery.strategy === 'blue-green') {
        const preview = new kplus.Service(this, 'PreviewService', {
          metadata: { name: previewName(props.serviceName) },
          selector: this.deployment,
          ports: [{ name: 'http', port: props.port, targetPort: props.port, protocol: kplus.Protocol.TCP }],
        });
        ApiObject.of(preview).addJsonPatch(JsonPatch.add('/spec/ports/0/appProtocol', 'http'));
        new DestinationRule(this, 'PreviewTrafficPolicy', {
          metadata: { name: previewName(props.serviceName) },
          spec: { host: `${previewName(props.serviceName)}.${props.namespace}.svc.cluster.local`, trafficPolicy: meshTrafficPolicy(props.traffic) },
        });
        const check = delivery.previewCheck ?? validationFailure('StatelessServiceChart', this.node.path)(
          'delivery.previewCheck is required for blue-green: the preview Service gets no other traffic, so the pre-promotion analysis would judge nothing. Fix: pass previewCheck (StatelessService: delivery.previewCheck).');
        this.previewCheckJob = this.declarePreviewCheck(props, check);
        this.prePromotionAnalysisTemplate = new AnalysisTemplate(this, 'PrePromotionAnalysis', {
          metadata: { name: prePromotionAnalysisName(props.serviceName) },
          spec: previewAnalysisTemplateSpec({
            serviceName: props.serviceName,
            namespace: props.namespace,
            prometheus: delivery.prometheus,
            analysis: delivery.analysis,
            excludedRoutes: delivery.excludedRoutes,
            checkJob: this.checkJobMetric(props.serviceName),
            minRequests: check.minRequests,
          }),
        });
      }
      this.analysisTemplate = new AnalysisTemplate(this, 'Analysis', {
        metadata: { name: analysisName(props.serviceName) },
        spec: serviceAnalysisTemplateSpec({
          serviceName: props.serviceName,
          namespace: props.namespace,
          prometheus: delivery.prometheus,
          excludedRoutes: delivery.excludedRoutes,
          // A blue-green analysis must end to promote; a background one runs until the rollout does.
          analysis: delivery.strategy === 'blue-green' ? delivery.analysis : { ...delivery.analysis, count: undefined },
        }),
      });
      this.rollout = new Rollout(this, 'Rollout', {
        metadata: { name: props.serviceName },
        spec: {
          selector: Lazy.any({ produce: () => ApiObject.of(this.deployment).toJson().spec.selector }),
          template: Lazy.any({ produce: () => this.podTemplate() }),
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
          // A version that never becomes ready is rolled back, not left half-deployed.
          progressDeadlineAbort: true,
          strategy: rolloutStrategy(props, delivery),
        },
      });
      // The autoscaler sizes the Rollout (which has the scale subresource) instead of the Deployment.
      ApiObject.of(autoscaler).addJsonPatch(JsonPatch.replace('/spec/scaleTargetRef', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: props.serviceName }));
    }
  }

  /**
   * Blue-green's preview check: a Job running the service's image with the check's arguments
   * against the preview Service, under its own service account (so its own mesh identity), Pod
   * Security "restricted", bounded in time and resources; and the traffic it needs, declared:
   * egress from its pods to the service's pods on the service port, ingress to them from its
   * pods (NetworkPolicies), and an ALLOW for its principal on the preview host only, with the
   * check's methods and paths (the service's pods of both versions carry the same labels, so the
   * host is what confines it to the preview: its own sidecar routes by that host to the preview
   * Service, whose selector Argo pins to the new version).
   */
  private declarePreviewCheck(props: StatelessServiceChartProps, check: PreviewCheckSettings): kplus.Job {
    const name = previewCheckName(props.serviceName);
    const previewHost = `${previewName(props.serviceName)}.${props.namespace}.svc.cluster.local`;
    new kplus.ServiceAccount(this, 'PreviewCheckServiceAccount', { metadata: { name }, automountToken: false });
    const env = {
      ...Object.fromEntries(Object.entries(check.environment).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)])),
      [PREVIEW_CHECK_ENVIRONMENT.url]: kplus.EnvValue.fromValue(`http://${previewHost}:${props.port}`),
      // Argo substitutes the analysis arguments anywhere in a metric, the Job spec included.
      [PREVIEW_CHECK_ENVIRONMENT.version]: kplus.EnvValue.fromValue(`{{args.${POD_TEMPLATE_HASH_ARG}}}`),
    };
    const job = new kplus.Job(this, 'PreviewCheck', {
      metadata: { name },
      podMetadata: { labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': props.serviceName, 'app.kubernetes.io/component': 'preview-check' } },
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(this, 'PreviewCheckServiceAccountRef', name),
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532 },
      // One pod per round: a failed round is a failed measurement (Argo's failureLimit), not a retry.
      backoffLimit: 0,
      activeDeadline: Duration.seconds(check.timeoutSeconds),
      isolate: true,
      containers: [{
        name: 'check',
        image: props.image,
        args: check.args,
        envVariables: env,
        resources: {
          cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
          // Node with the service's bundle loaded peaks near 110 MiB (services/sample/test/check.test.ts).
          memory: { request: Size.mebibytes(192), limit: Size.mebibytes(192) },
        },
        securityContext: { ensureNonRoot: true, user: 65532, group: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false },
      }],
    });
    const ports = [kplus.NetworkPolicyPort.tcp(props.port)];
    const isolation = kplus.PodConnectionsIsolation.POD;
    job.connections.allowTo(this.deployment, { isolation, ports });
    this.deployment.connections.allowFrom(job, { isolation, ports });
    new AuthorizationPolicy(this, 'AllowPreviewCheck', {
      metadata: { name: `${props.serviceName}-allow-preview-check` },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': props.serviceName } },
        action: 'ALLOW',
        rules: [{
          from: [{ source: { principals: [serviceAccountPrincipal(props.namespace, name)] } }],
          to: [{
            operation: {
              // The authority as clients send it, with and without the port.
              hosts: [previewHost, `${previewHost}:${props.port}`],
              ports: [String(props.port)],
              methods: check.methods,
              paths: check.pathPrefixes.map((p) => `${p}*`),
            },
          }],
        }],
      },
    });
    return job;
  }

  /** The preview check's Job as Argo's Job metric: its spec, hardened like the service's pods. */
  private checkJobMetric(serviceName: string): JobMetric {
    const spec = ApiObject.of(this.previewCheckJob!).toJson().spec;
    const pod = spec.template.spec;
    pod.securityContext = { ...pod.securityContext, seccompProfile: { type: 'RuntimeDefault' } };
    for (const container of pod.containers) container.securityContext = { ...container.securityContext, capabilities: { drop: ['ALL'] } };
    return { metadata: { labels: { 'app.kubernetes.io/name': previewCheckName(serviceName), 'app.kubernetes.io/part-of': serviceName } }, spec };
  }

  /** The Deployment's pod template, as applied (with the fixes of `toJson`). */
  private podTemplate(): PodTemplateJson {
    const template = ApiObject.of(this.deployment).toJson().spec.template;
    this.hardenPod(template.spec);
    return template;
  }

  /** What cdk8s-plus-27 cannot express (see `toJson`). */
  private hardenPod(pod: { initContainers?: any[]; containers: any[] }): void {
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      container.securityContext = { ...container.securityContext, capabilities: { drop: ['ALL'] } };
    }
    pod.containers[0].lifecycle = { preStop: { sleep: { seconds: this.preStopSleepSeconds } } };
  }

  /**
   * The chart's objects, with what the Kubernetes 1.27 types of cdk8s-plus-27 drop even from
   * JSON patches: `capabilities.drop: [ALL]` on every container (Pod Security "restricted"),
   * and the `preStop.sleep` action (Kubernetes >= 1.30; distroless images have no `sleep`
   * binary for an exec hook).
   */
  override toJson(): any[] {
    return super.toJson().flatMap((object) => {
      // The preview check's Job is a template: Argo creates one per round of the pre-promotion analysis.
      if (object.kind === 'Job') return [];
      if (object.kind !== 'Deployment') return [object];
      // With progressive delivery the Rollout runs the pods (with this same template).
      if (this.progressive) return [];
      this.hardenPod(object.spec.template.spec);
      return [object];
    });
  }

  /**
   * Istio objects from declared traffic: routes with a timeout and bounded retries, mTLS and
   * resilience towards the pods, an ALLOW naming each caller's principal (the mesh-wide
   * default is deny), and the external destinations the pods may reach (REGISTRY_ONLY mesh).
   */
  private declareMeshPolicies(props: StatelessServiceChartProps, selectorLabels: Record<string, string>): void {
    const name = props.serviceName;
    const host = `${name}.${props.namespace}.svc.cluster.local`;
    // Canary: Argo Rollouts moves the weights between the stable and canary subsets.
    const destinations: HttpRouteDestination[] = props.delivery?.strategy === 'canary'
      ? [
        { destination: { host, subset: CANARY_SUBSETS.stable, port: { number: props.port } }, weight: 100 },
        { destination: { host, subset: CANARY_SUBSETS.canary, port: { number: props.port } }, weight: 0 },
      ]
      : [{ destination: { host, port: { number: props.port } } }];
    const route = (routeName: string, prefixes?: string[]): HttpRoute => ({
      name: routeName,
      match: prefixes?.map((prefix) => ({ uri: { prefix } })),
      route: destinations,
      timeout: istioDuration(props.traffic.requestTimeout),
      retries: { attempts: props.traffic.retryAttempts, perTryTimeout: istioDuration(props.traffic.perTryTimeout), retryOn: props.traffic.retryOn },
    });
    new VirtualService(this, 'MeshRoutes', {
      metadata: { name },
      spec: { hosts: [host], gateways: ['mesh'], http: [route('mesh')] },
    });
    if (props.gatewayRoute) {
      new VirtualService(this, 'GatewayRoutes', {
        metadata: { name: `${name}-ingress` },
        spec: { hosts: props.gatewayRoute.hosts, gateways: [props.gatewayRoute.gateway], http: [route('api', props.gatewayRoute.pathPrefixes)] },
      });
    }
    new DestinationRule(this, 'TrafficPolicy', {
      metadata: { name },
      spec: {
        host,
        trafficPolicy: meshTrafficPolicy(props.traffic),
        // Argo Rollouts adds `rollouts-pod-template-hash` to each subset's labels.
        ...(props.delivery?.strategy === 'canary'
          ? { subsets: [{ name: CANARY_SUBSETS.stable, labels: { ...selectorLabels } }, { name: CANARY_SUBSETS.canary, labels: { ...selectorLabels } }] }
          : {}),
      },
    });

    const rules: AuthorizationRule[] = [];
    if (props.gatewayRoute) {
      rules.push({
        from: [{ source: { principals: [props.gatewayRoute.gatewayPrincipal] } }],
        to: [{ operation: { methods: props.gatewayRoute.methods, paths: props.gatewayRoute.pathPrefixes.map((p) => `${p}*`), ports: [String(props.port)] } }],
      });
    }
    for (const caller of props.meshCallers) {
      rules.push({
        from: [{ source: { principals: [caller.principal] } }],
        to: [{ operation: { methods: caller.methods, paths: caller.pathPrefixes.map((p) => `${p}*`), ports: [String(props.port)] } }],
      });
    }
    if (rules.length > 0) {
      new AuthorizationPolicy(this, 'AllowDeclaredCallers', {
        metadata: { name: `${name}-allow-callers` },
        spec: { selector: { matchLabels: selectorLabels }, action: 'ALLOW', rules },
      });
    }

    for (const destination of props.egress) {
      new ExternalServiceEntry(this, `${destination.name}Entry`, {
        name: `${name}-${destination.name}`,
        namespace: props.namespace,
        hosts: [destination.host],
        // TCP to fixed subnets: the proxy passes connections through to the original address
        // (Aurora and ElastiCache fail over inside these subnets), and only on this port.
        addresses: destination.cidrs,
        ports: [{ port: destination.port, protocol: 'TCP' }],
        resolution: 'NONE',
        exportTo: ['.'],
      });
    }
  }

  /** NetworkPolicies from declared traffic; the namespace baseline denies everything else. */
  private declareNetworkPolicies(props: StatelessServiceChartProps): void {
    const isolation = kplus.PodConnectionsIsolation.POD;
    const appPort = [kplus.NetworkPolicyPort.tcp(props.port)];
    if (props.gatewayRoute) {
      const gateway = kplus.Pods.select(this, 'GatewayPods', {
        labels: props.gatewayRoute.gatewayPodLabels,
        namespaces: kplus.Namespaces.select(this, 'GatewayNamespace', { names: [props.gatewayRoute.gatewayNamespace] }),
      });
      this.deployment.connections.allowFrom(gateway, { isolation, ports: appPort });
    }
    props.meshCallers.forEach((caller, i) => {
      const pods = kplus.Pods.select(this, `CallerPods${i}`, {
        labels: caller.podLabels,
        namespaces: kplus.Namespaces.select(this, `CallerNamespace${i}`, { names: [caller.namespace] }),
      });
      this.deployment.connections.allowFrom(pods, { isolation, ports: appPort });
    });
    for (const destination of props.egress) {
      destination.cidrs.forEach((cidr, i) => {
        const block = kplus.NetworkPolicyIpBlock.ipv4(this, `${destination.name}Cidr${i}`, cidr);
        this.deployment.connections.allowTo(block, { isolation, ports: [kplus.NetworkPolicyPort.tcp(destination.port)] });
      });
    }
    // The metrics scraper (outside the cluster, in the VPC) on the sidecar's merged metrics
    // port, which Istio serves outside mTLS and the authorization policies.
    props.metricsScrape?.sourceCidrs.forEach((cidr, i) => {
      const block = kplus.NetworkPolicyIpBlock.ipv4(this, `MetricsScraperCidr${i}`, cidr);
      this.deployment.connections.allowFrom(block, { isolation, ports: [kplus.NetworkPolicyPort.tcp(props.metricsScrape!.scrapePort)] });
    });
    // Scraper pods in the cluster (outside the mesh), by namespace and labels, on the same port.
    props.metricsScrape?.sources.forEach((source, i) => {
      const scraper = kplus.Pods.select(this, `MetricsScraperPods${i}`, {
        labels: { ...source.podLabels },
        namespaces: kplus.Namespaces.select(this, `MetricsScraperNamespace${i}`, { names: [source.namespace] }),
      });
      this.deployment.connections.allowFrom(scraper, { isolation, ports: [kplus.NetworkPolicyPort.tcp(props.metricsScrape!.scrapePort)] });
    });
    if (props.traceEgress) {
      const collector = kplus.Pods.select(this, 'TraceCollectorPods', {
        labels: props.traceEgress.podLabels,
        namespaces: kplus.Namespaces.select(this, 'TraceCollectorNamespace', { names: [props.traceEgress.namespace] }),
      });
      this.deployment.connections.allowTo(collector, { isolation, ports: props.traceEgress.ports.map((port) => kplus.NetworkPolicyPort.tcp(port)) });
    }
    // EKS Pod Identity: the agent on each node serves credentials at a link-local address.
    const agent = kplus.NetworkPolicyIpBlock.ipv4(this, 'PodIdentityAgent', POD_IDENTITY_AGENT.cidr);
    this.deployment.connections.allowTo(agent, { isolation, ports: [kplus.NetworkPolicyPort.tcp(POD_IDENTITY_AGENT.port)] });
  }
}

/** Calls to the service: Istio mTLS, bounded connection pools, outlier detection. */
function meshTrafficPolicy(traffic: ServiceTrafficPolicy): TrafficPolicy {
  return {
    tls: { mode: 'ISTIO_MUTUAL' },
    connectionPool: {
      tcp: { maxConnections: traffic.maxConnections, connectTimeout: '2s' },
      http: { http1MaxPendingRequests: traffic.maxPendingRequests, http2MaxRequests: traffic.maxConnections },
    },
    outlierDetection: {
      consecutive5xxErrors: traffic.consecutive5xxErrors,
      interval: '10s',
      baseEjectionTime: '30s',
      maxEjectionPercent: traffic.maxEjectionPercent,
    },
  };
}

function previewName(serviceName: string): string {
  return `${serviceName}-preview`;
}

function analysisName(serviceName: string): string {
  return `${serviceName}-health`;
}

/**
 * Name of a blue-green service's preview check: its ServiceAccount (so its mesh identity) and the
 * `app.kubernetes.io/name` of its pods, a label value (at most 63 characters).
 */
export function previewCheckName(serviceName: string): string {
  return `${serviceName}-preview-check`;
}

function prePromotionAnalysisName(serviceName: string): string {
  return `${serviceName}-pre-promotion`;
}

/**
 * Canary: Istio weights on the mesh and gateway routes (subset-level split), the steps, and a
 * background analysis from the first pause on: failing it aborts, and Argo sends all traffic
 * back to the stable subset (automatic rollback). Blue-green: preview Service, analysis before
 * promotion (the preview check's requests, the no-data guard and the health metrics;
 * auto-promotion only once it passed) and after it, with the previous version kept up for the
 * rollback window.
 */
function rolloutStrategy(props: StatelessServiceChartProps, delivery: ProgressiveDeliverySettings): RolloutStrategy {
  const analysis = (hash: 'Latest' | 'Stable', templateName = analysisName(props.serviceName)): RolloutAnalysis => ({
    templates: [{ templateName }],
    args: [{ name: POD_TEMPLATE_HASH_ARG, valueFrom: { podTemplateHashValue: hash } }],
  });
  if (delivery.strategy === 'blue-green') {
    return {
      blueGreen: {
        activeService: props.serviceName,
        previewService: previewName(props.serviceName),
        autoPromotionEnabled: true,
        // Promotion needs evidence: the check's requests at the preview, judged by it and the metrics.
        prePromotionAnalysis: analysis('Latest', prePromotionAnalysisName(props.serviceName)),
        postPromotionAnalysis: analysis('Latest'),
        scaleDownDelaySeconds: delivery.scaleDownDelaySeconds,
        abortScaleDownDelaySeconds: 30,
      },
    };
  }
  return {
    canary: {
      steps: canarySteps(delivery.canarySteps),
      trafficRouting: {
        istio: {
          virtualServices: [
            { name: props.serviceName, routes: ['mesh'] },
            ...(props.gatewayRoute ? [{ name: `${props.serviceName}-ingress`, routes: ['api'] }] : []),
          ],
          destinationRule: { name: props.serviceName, canarySubsetName: CANARY_SUBSETS.canary, stableSubsetName: CANARY_SUBSETS.stable },
        },
      },
      // From the first pause on (step 1), once the canary takes traffic.
      analysis: { ...analysis('Latest'), startingStep: 1 },
      maxSurge: '25%',
      maxUnavailable: 0,
      abortScaleDownDelaySeconds: 30,
    },
  };
}

/** An Istio duration: `10s`, or `1500ms` when not whole seconds. */
function istioDuration(duration: Duration): string {
  const ms = duration.toMilliseconds();
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Label values are at most 63 characters: a digest is shortened to `sha256-<first 12 hex>`. */
function versionLabel(version: string): string {
  return version.startsWith('sha256:') ? `sha256-${version.slice(7, 19)}` : version.slice(0, 63);
}
