import { Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApiObject, App, Chart, type ApiObjectProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import type { ApplicationNamespace } from '../cluster/application-namespace';
import { baselineNetworkPolicies, networkPolicy, POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';
import { podSecurityLabels, RESTRICTED_CONTAINER_SECURITY_CONTEXT } from '../cluster/pod-security';
import { describeCluster, sameCluster } from '../core/composition';
import { PodIdentityRole } from '../core/pod-identity-role';
import { describeValue, isIntBetween, validationFailure } from '../core/validation';
import { ExternalServiceEntry } from '../mesh/external-service-entry';
import { AuthorizationPolicy, serviceAccountPrincipal, Telemetry } from '../mesh/istio-api';
import type { IstioMesh, MeshTracingOptions } from '../mesh/istio-mesh';
import { zoneSpread } from '../mesh/load-balancer-controller';
import { ISTIO_MERGED_METRICS_PORT } from './cluster-metrics-scraper';
import { scrapeSourcePeer, validateScrapeSources, type MetricsScrapeSource } from './scrape-source';
import type { IPrivateRegistry } from '../registry/private-registry';
import { helmChartFrom, imageFrom } from '../registry/sources';
import type { ImageReference } from '../registry/upstream-registries';
import { OTEL_COLLECTOR_CHART_VERSION, OTEL_COLLECTOR_IMAGE, OTEL_HELM_REPOSITORY } from './versions';

/** Workloads of one application namespace that send spans to a `TraceCollector`. */
export interface TraceSender {
  /** The namespace the sending workloads run in (on the collector's cluster). */
  readonly namespace: ApplicationNamespace;
  /**
   * Service accounts whose mesh identities may send. With mesh tracing every pod's sidecar reports
   * its own spans under its pod's identity, so listing fewer than all drops the others' proxy spans.
   * @default - every service account of the namespace (`cluster.local/ns/<namespace>/sa/*`)
   */
  readonly serviceAccounts?: string[];
}

/**
 * Where a workload sends its spans, from `TraceCollector.exportFor`: what `StatelessService`'s
 * `tracing` takes (the OTLP endpoint and sampler its SDK reads, and the egress its pods need).
 */
export interface TraceExport {
  /**
   * Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP/HTTP, the SDK posts to `<url>/v1/traces`).
   * Plain `http`: the pod's sidecar carries the connection over mutual TLS.
   */
  readonly otlpHttpEndpoint: string;
  /**
   * Share of requests (0 to 1) a service starts a sampled trace for when no caller decided
   * (`OTEL_TRACES_SAMPLER_ARG`): the mesh's sampling, so the SDK and the proxies agree.
   */
  readonly samplingRatio: number;
  /** Namespace of the collector's pods. */
  readonly collectorNamespace: string;
  /** Labels selecting the collector's pods. */
  readonly collectorPodLabels: Record<string, string>;
  /** Ports a sending pod reaches the collector on: OTLP/gRPC (its sidecar's spans) and OTLP/HTTP (its SDK's). */
  readonly ports: number[];
}

/** Properties of a `TraceCollector`. */
export interface TraceCollectorProps {
  /** The cluster (with a kubectl provider). */
  readonly cluster: eks.ICluster;
  /** The cluster's VPC: the collector reaches X-Ray through its interface endpoint (HTTPS to the VPC CIDR). */
  readonly vpc: ec2.IVpc;
  /**
   * The mesh of the cluster. The collector runs inside it (sidecar, STRICT mTLS), and its proxies
   * must report to this collector: `tracing: TraceCollector.meshTracing(samplingPercentage)`.
   */
  readonly mesh: IstioMesh;
  /**
   * Application namespaces whose workloads send spans. The mesh's ingress gateway is always admitted.
   */
  readonly senders: TraceSender[];
  /**
   * Pods that scrape the collector pods' sidecar metrics (Istio's merged endpoint on
   * `ISTIO_MERGED_METRICS_PORT`, which Istio annotates for scraping), e.g.
   * `MetricsCollector.scrapeSource`: the namespace admits exactly them on that port.
   * @default - none: the collector's proxies are not scraped
   */
  readonly scrapeSources?: MetricsScrapeSource[];
  /**
   * Collector replicas.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Version of the opentelemetry-collector Helm chart to install.
   * @default OTEL_COLLECTOR_CHART_VERSION
   */
  readonly chartVersion?: string;
  /**
   * The collector image (upstream name, exact tag, optionally a digest).
   * @default OTEL_COLLECTOR_IMAGE
   */
  readonly image?: ImageReference;
  /**
   * Private registry the chart and the image come from (mirrored chart, pull through cache).
   * @default - the chart from the OpenTelemetry Helm repository, the image from Docker Hub
   */
  readonly registry?: IPrivateRegistry;
}

const EXACT_SEMVER = /^\d+\.\d+\.\d+$/;
const SERVICE_ACCOUNT_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAME = 'trace-collector';
const NAMESPACE = 'tracing';
/** Where the collector's health_check extension serves the probes the chart sets. */
const HEALTH_PORT = 13133;
/** The collector's own metrics (Prometheus, pull): on the pod's loopback only. */
const SELF_METRICS_PORT = 8888;
/** The one RPC and the one path the collector accepts: trace export. */
const OTLP_GRPC_TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const OTLP_HTTP_TRACES_PATH = '/v1/traces';

/**
 * The platform's trace gateway: an OpenTelemetry collector (pinned official chart, contrib image)
 * that receives spans over OTLP from the services' SDKs and from every Envoy of the mesh, and
 * exports them to AWS X-Ray, in its own namespace `tracing`:
 *
 * - inside the mesh (sidecar injected, STRICT mTLS): an AuthorizationPolicy admits only the
 *   identities of the senders' workloads and of the ingress gateway, and only trace export
 *   (gRPC `TraceService/Export` on 4317, `POST /v1/traces` on 4318);
 * - NetworkPolicies: default deny; ingress on 4317/4318 from the sender namespaces and the
 *   gateway's pods; egress to DNS, istiod, the Pod Identity agent and HTTPS inside the VPC (the
 *   X-Ray interface endpoint, private DNS); a ServiceEntry for `xray.<region>` on 443 (TLS),
 *   visible to this namespace only, lets it out of the REGISTRY_ONLY mesh;
 * - the collector's configuration is written here whole (the chart's `alternateConfig`, never
 *   merged with chart defaults, so a chart upgrade cannot add a receiver or an exporter): OTLP
 *   receivers, memory_limiter and batch, the awsxray exporter, health_check; no debug exporter;
 *   its own metrics on the pod's loopback only;
 * - X-Ray access through EKS Pod Identity: a role that may only write segments and telemetry
 *   records in the stack's region (X-Ray has no resource-level permissions for them);
 * - Pod Security "restricted", 2+ replicas spread over zones, a PodDisruptionBudget, resources.
 *
 * The mesh's proxies report here when the IstioMesh has `tracing: TraceCollector.meshTracing(...)`
 * (checked); services send their own spans with `StatelessService`'s `tracing: collector.exportFor(namespace)`.
 */
export class TraceCollector extends Construct {
  /** Namespace the collector runs in. */
  static readonly NAMESPACE = NAMESPACE;
  /** Name of the collector's Kubernetes service account (bound to its role by Pod Identity). */
  static readonly SERVICE_ACCOUNT = NAME;
  /** Fully qualified name of the collector's Service. */
  static readonly SERVICE_HOST = `${NAME}.${NAMESPACE}.svc.cluster.local`;
  /** OTLP/gRPC port (the mesh's proxies export here). */
  static readonly OTLP_GRPC_PORT = 4317;
  /** OTLP/HTTP port (the services' SDKs export here). */
  static readonly OTLP_HTTP_PORT = 4318;
  /** Labels of the collector's pods (the chart's selector labels). */
  static readonly POD_LABELS: Readonly<Record<string, string>> = Object.freeze({ 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': NAME });

  /**
   * The `tracing` of an IstioMesh whose proxies report to this collector: its Service over
   * OTLP/gRPC, with `samplingPercentage` of the requests that arrive unsampled traced.
   */
  static meshTracing(samplingPercentage: number): MeshTracingOptions {
    return { collectorHost: TraceCollector.SERVICE_HOST, port: TraceCollector.OTLP_GRPC_PORT, samplingPercentage };
  }

  /** The namespace the collector runs in. */
  readonly namespace = TraceCollector.NAMESPACE;
  /** Base URL of the OTLP/HTTP receiver, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly otlpHttpEndpoint = `http://${TraceCollector.SERVICE_HOST}:${TraceCollector.OTLP_HTTP_PORT}`;
  /** The X-Ray API host the collector exports to (`xray.<region>.<url suffix>`). */
  readonly xrayHost: string;
  /** Mesh identities admitted to export spans (AuthorizationPolicy principals). */
  readonly senderPrincipals: string[];
  /** The collector's role (EKS Pod Identity). */
  readonly role: iam.Role;
  /** The Helm release. */
  readonly chart: eks.HelmChart;
  /** The namespace, its policies and the collector's Istio objects. */
  readonly manifest: eks.KubernetesManifest;
  /** Depend on this to wait for the collector to be up. */
  readonly ready: IDependable;

  private readonly senders: readonly TraceSender[];
  private readonly samplingRatio: number;

  constructor(scope: Construct, id: string, props: TraceCollectorProps) {
    super(scope, id);
    const fail = validationFailure('TraceCollector', this.node.path);
    const version = props.chartVersion ?? OTEL_COLLECTOR_CHART_VERSION;
    const replicas = props.replicas ?? 2;
    validateCollectorProps(fail, this, props, version, replicas);
    validateScrapeSources(fail, 'scrapeSources', props.scrapeSources ?? []);
    this.senders = [...props.senders];
    this.samplingRatio = props.mesh.tracing!.samplingPercentage / 100;
    const ns = TraceCollector.NAMESPACE;
    const stack = Stack.of(this);
    const podLabels = { ...TraceCollector.POD_LABELS };
    this.xrayHost = `xray.${stack.region}.${stack.urlSuffix}`;
    this.senderPrincipals = [
      ...props.senders.flatMap((s) => (s.serviceAccounts ?? ['*']).map((sa) => serviceAccountPrincipal(s.namespace.namespaceName, sa))),
      props.mesh.gatewayPrincipal,
    ];

    // Namespace, policies and Istio objects in one manifest, once the mesh (CRDs, injection and
    // validation webhooks) is ready.
    const objects = new Chart(new App(), 'TraceCollector');
    new k8s.KubeNamespace(objects, 'Namespace', {
      metadata: { name: ns, labels: { ...podSecurityLabels('restricted'), 'istio-injection': 'enabled' } },
    });
    collectorNetworkPolicies(ns, podLabels, props).forEach((policy, i) => new ApiObject(objects, `NetworkPolicy${i}`, policy as ApiObjectProps));
    new k8s.KubePodDisruptionBudget(objects, 'DisruptionBudget', {
      metadata: { name: NAME, namespace: ns },
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: podLabels },
        // A pod that never became ready must not block node drains.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
    new AuthorizationPolicy(objects, 'AllowSenders', {
      metadata: { name: `${NAME}-allow-senders`, namespace: ns },
      spec: {
        selector: { matchLabels: podLabels },
        action: 'ALLOW',
        rules: [
          { from: [{ source: { principals: this.senderPrincipals } }], to: [{ operation: { ports: [String(TraceCollector.OTLP_GRPC_PORT)], paths: [OTLP_GRPC_TRACE_EXPORT] } }] },
          { from: [{ source: { principals: this.senderPrincipals } }], to: [{ operation: { ports: [String(TraceCollector.OTLP_HTTP_PORT)], methods: ['POST'], paths: [OTLP_HTTP_TRACES_PATH] } }] },
        ],
      },
    });
    // REGISTRY_ONLY: the X-Ray API (its VPC endpoint, by private DNS), for this namespace only.
    new ExternalServiceEntry(objects, 'XRay', { name: 'aws-xray', namespace: ns, hosts: [this.xrayHost], ports: [{ port: 443, protocol: 'TLS' }], exportTo: ['.'] });
    // The collector's own sidecar reports no spans: the export traffic it receives is no trace.
    new Telemetry(objects, 'NoSelfTracing', { metadata: { name: 'no-span-reporting', namespace: ns }, spec: { tracing: [{ disableSpanReporting: true }] } });
    this.manifest = new eks.KubernetesManifest(this, 'Namespace', { cluster: props.cluster, overwrite: true, manifest: objects.toJson() });
    this.manifest.node.addDependency(props.mesh.ready);

    const role = new PodIdentityRole(this, 'Role', {
      cluster: props.cluster,
      namespace: ns,
      serviceAccounts: [TraceCollector.SERVICE_ACCOUNT],
      description: `Trace collector (${ns}/${TraceCollector.SERVICE_ACCOUNT}) through EKS Pod Identity: writes trace segments to X-Ray`,
    });
    this.role = role;
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'Trace collector: write trace segments and X-Ray telemetry records in this region only',
      roles: [this.role],
      statements: [new iam.PolicyStatement({
        sid: 'WriteTraces',
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        // X-Ray supports no resource-level permissions for these actions.
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      })],
    });
    const association = role.associate(this, 'PodIdentity', TraceCollector.SERVICE_ACCOUNT);

    const from = helmChartFrom(props.registry, { chart: 'opentelemetry-collector', version, repository: OTEL_HELM_REPOSITORY });
    const image = imageFrom(props.registry, props.image ?? OTEL_COLLECTOR_IMAGE);
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      ...from.location,
      release: NAME,
      namespace: ns,
      createNamespace: false,
      wait: true,
      values: {
        mode: 'deployment',
        nameOverride: NAME,
        fullnameOverride: NAME,
        image: { repository: image.repository, tag: image.tag, ...(image.digest ? { digest: image.digest } : {}), pullPolicy: 'IfNotPresent' },
        command: { name: 'otelcol-contrib' },
        replicaCount: replicas,
        rollout: { strategy: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        topologySpreadConstraints: [zoneSpread(podLabels)],
        resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
        // GOMEMLIMIT at 80% of the memory limit, alongside the memory_limiter processor.
        useGOMEMLIMIT: true,
        // The name the Pod Identity association binds; the collector never calls the Kubernetes API.
        serviceAccount: { create: true, name: TraceCollector.SERVICE_ACCOUNT, automountServiceAccountToken: false },
        clusterRole: { create: false },
        podSecurityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
        securityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
        hostNetwork: false,
        hostPID: false,
        service: { type: 'ClusterIP' },
        // OTLP only; the protocols tell Istio to apply the HTTP-level authorization rules.
        ports: {
          'otlp': { enabled: true, containerPort: TraceCollector.OTLP_GRPC_PORT, servicePort: TraceCollector.OTLP_GRPC_PORT, protocol: 'TCP', appProtocol: 'grpc' },
          'otlp-http': { enabled: true, containerPort: TraceCollector.OTLP_HTTP_PORT, servicePort: TraceCollector.OTLP_HTTP_PORT, protocol: 'TCP', appProtocol: 'http' },
          'jaeger-compact': { enabled: false },
          'jaeger-thrift': { enabled: false },
          'jaeger-grpc': { enabled: false },
          'zipkin': { enabled: false },
          'metrics': { enabled: false },
        },
        networkPolicy: { enabled: false },
        alternateConfig: collectorConfig(stack.region),
      },
    });
    this.chart.node.addDependency(this.manifest, association, policy, ...from.dependencies);
    this.ready = new DependencyGroup(this.chart);
  }

  /**
   * Where workloads of `namespace` (one of the `senders`) send spans: the `tracing` of a
   * `StatelessService` there.
   */
  exportFor(namespace: ApplicationNamespace): TraceExport {
    const fail = validationFailure('TraceCollector', this.node.path);
    const known = this.senders.map((s) => s.namespace.namespaceName);
    if (!this.senders.some((s) => s.namespace.namespaceName === namespace.namespaceName && sameCluster(s.namespace.cluster, namespace.cluster))) {
      fail(`exportFor(${describeValue(namespace.namespaceName)}): the namespace on cluster ${describeCluster(namespace.cluster)} is not one of the senders (${known.length > 0 ? known.map((n) => describeValue(n)).join(', ') : 'none'}), so the collector's AuthorizationPolicy and NetworkPolicy would refuse its spans. Fix: add { namespace } to senders.`);
    }
    return {
      otlpHttpEndpoint: this.otlpHttpEndpoint,
      samplingRatio: this.samplingRatio,
      collectorNamespace: TraceCollector.NAMESPACE,
      collectorPodLabels: { ...TraceCollector.POD_LABELS },
      ports: [TraceCollector.OTLP_GRPC_PORT, TraceCollector.OTLP_HTTP_PORT],
    };
  }
}

/**
 * The collector's whole configuration: OTLP in (on the pod IP, behind the sidecar), memory
 * limiter and batch, X-Ray out, health check for the probes, own metrics on loopback only.
 */
function collectorConfig(region: string): Record<string, unknown> {
  const onPodIp = (port: number) => `\${env:MY_POD_IP}:${port}`;
  return {
    extensions: { health_check: { endpoint: onPodIp(HEALTH_PORT) } },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: onPodIp(TraceCollector.OTLP_GRPC_PORT) },
          http: { endpoint: onPodIp(TraceCollector.OTLP_HTTP_PORT) },
        },
      },
    },
    processors: {
      // First in the pipeline: refuse data before the pod runs out of memory.
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
      batch: { timeout: '5s', send_batch_size: 512, send_batch_max_size: 1024 },
    },
    exporters: {
      // PutTraceSegments to the region's endpoint (private DNS: the VPC endpoint), credentials from
      // Pod Identity; telemetry records (segments sent, rejected, connection errors) without
      // instance metadata (no IMDS from pods).
      awsxray: { region, telemetry: { enabled: true, include_metadata: false } },
    },
    service: {
      extensions: ['health_check'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['awsxray'] } },
      telemetry: {
        logs: { level: 'info', encoding: 'json' },
        metrics: { readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: SELF_METRICS_PORT } } } }] },
      },
    },
  };
}

/** Default deny, then exactly the collector's traffic. */
function collectorNetworkPolicies(ns: string, podLabels: Record<string, string>, props: TraceCollectorProps): Record<string, unknown>[] {
  const collector = { matchLabels: podLabels };
  const otlpPorts = [{ protocol: 'TCP', port: TraceCollector.OTLP_GRPC_PORT }, { protocol: 'TCP', port: TraceCollector.OTLP_HTTP_PORT }];
  const namespaceNamed = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });
  const senderNamespaces = [...new Set(props.senders.map((s) => s.namespace.namespaceName))];
  return [
    ...baselineNetworkPolicies(ns, { meshNamespace: props.mesh.rootNamespace }),
    networkPolicy(ns, 'allow-trace-senders', {
      podSelector: collector,
      policyTypes: ['Ingress'],
      ingress: [{
        from: [
          ...senderNamespaces.map((name) => ({ namespaceSelector: namespaceNamed(name) })),
          { namespaceSelector: namespaceNamed(props.mesh.gatewayNamespace), podSelector: { matchLabels: { ...props.mesh.gatewaySelector } } },
        ],
        ports: otlpPorts,
      }],
    }),
    networkPolicy(ns, 'allow-pod-identity-agent', {
      podSelector: collector,
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: 'TCP', port: POD_IDENTITY_AGENT.port }] }],
    }),
    ...(props.scrapeSources && props.scrapeSources.length > 0 ? [networkPolicy(ns, 'allow-metrics-scrape', {
      podSelector: collector,
      policyTypes: ['Ingress'],
      ingress: [{ from: props.scrapeSources.map(scrapeSourcePeer), ports: [{ protocol: 'TCP', port: ISTIO_MERGED_METRICS_PORT }] }],
    })] : []),
    // The X-Ray interface endpoint's addresses are in the VPC (private DNS); the sidecar lets only
    // the ServiceEntry's host out.
    networkPolicy(ns, 'allow-xray-endpoint', {
      podSelector: collector,
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: props.vpc.vpcCidrBlock } }], ports: [{ protocol: 'TCP', port: 443 }] }],
    }),
  ];
}

function validateCollectorProps(fail: (message: string) => never, scope: Construct, props: TraceCollectorProps, version: string, replicas: number): void {
  if (!EXACT_SEMVER.test(version)) fail(`chartVersion ${describeValue(version)} is not an exact version. Fix: pin a release such as "${OTEL_COLLECTOR_CHART_VERSION}" (no ranges).`);
  if (!isIntBetween(replicas, 2, 10)) fail(`replicas ${describeValue(replicas, scope)} must be a whole number from 2 to 10: one replica loses spans while it restarts.`);
  if (!props.cluster.kubectlProvider) fail('the cluster has no kubectl provider, so the chart and manifests cannot be applied. Fix: pass a cluster created with kubectlProviderOptions (PlatformCluster does).');
  if (!sameCluster(props.mesh.cluster, props.cluster)) {
    fail(`mesh ${props.mesh.node.path} runs on cluster ${describeCluster(props.mesh.cluster)}, not on the collector's cluster ${describeCluster(props.cluster)}. Fix: pass the IstioMesh of the collector's cluster.`);
  }
  const tracing = props.mesh.tracing;
  const expected = `tracing: TraceCollector.meshTracing(samplingPercentage), i.e. collectorHost "${TraceCollector.SERVICE_HOST}" and port ${TraceCollector.OTLP_GRPC_PORT}`;
  if (!tracing) {
    fail(`mesh ${props.mesh.node.path} has no tracing: its proxies (the gateway, every sidecar) would report no spans here, and services would have no edge sampling to follow. Fix: give the IstioMesh ${expected}.`);
  }
  if (tracing!.collectorHost !== TraceCollector.SERVICE_HOST || tracing!.port !== TraceCollector.OTLP_GRPC_PORT) {
    fail(`mesh ${props.mesh.node.path} reports spans to ${describeValue(`${tracing!.collectorHost}:${tracing!.port}`)}, not to this collector. Fix: give the IstioMesh ${expected}.`);
  }
  const seen = new Set<string>();
  for (const sender of props.senders) {
    const name = sender.namespace.namespaceName;
    if (!sameCluster(sender.namespace.cluster, props.cluster)) {
      fail(`senders has namespace ${describeValue(name)} of cluster ${describeCluster(sender.namespace.cluster)}, not of the collector's cluster ${describeCluster(props.cluster)}. Fix: list namespaces of the collector's cluster only.`);
    }
    if (seen.has(name)) fail(`senders lists namespace ${describeValue(name)} twice. Fix: one entry per namespace (list its serviceAccounts together).`);
    seen.add(name);
    const accounts = sender.serviceAccounts;
    if (accounts !== undefined && accounts.length === 0) fail(`senders entry for namespace ${describeValue(name)} has an empty serviceAccounts list, which admits nobody. Fix: list the service accounts, or omit serviceAccounts to admit every one of the namespace.`);
    for (const account of accounts ?? []) {
      if (Token.isUnresolved(account) || !SERVICE_ACCOUNT_NAME.test(account)) {
        fail(`senders entry for namespace ${describeValue(name)} has service account ${describeValue(account, scope)}, which is not a Kubernetes service account name known at synth. Fix: lowercase letters, digits, "-" and ".", e.g. "orders".`);
      }
    }
  }
}
