import { Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { App, Chart } from 'cdk8s';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import { POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';
import { podSecurityException, podSecurityLabels, RESTRICTED_CONTAINER_SECURITY_CONTEXT } from '../cluster/pod-security';
import { clusterCapacity } from '../core/composition';
import { describeValue, validationFailure } from '../core/validation';
import { parseIpv4Cidr } from '../network/cidr';
import { ExternalServiceEntry, type ExternalServiceOptions } from './external-service-entry';
import { INGRESS_MIN_CIDR_PREFIX, MESH_MIN_REPLICAS } from './limits';
import { AuthorizationPolicy, Gateway, PeerAuthentication, serviceAccountPrincipal, Telemetry } from './istio-api';
import type { GatewayExposure } from '../workload/stateless-service';
import { AwsLoadBalancerController, zoneSpread } from './load-balancer-controller';
import { ISTIO_CHART_REPOSITORY, ISTIO_IMAGE_HUB, ISTIO_VERSION } from './versions';
import type { IPrivateRegistry } from '../registry/private-registry';
import { helmChartFrom, imageFrom } from '../registry/sources';
import { IMAGE_DIGEST_FORMAT, imageReferenceString } from '../registry/upstream-registries';
import { baselineNetworkPolicies, ISTIO_PROXY_HEALTH_PORT, networkPolicy } from '../cluster/baseline-network-policies';
import { vpcCidrOf } from '../network/vpc-addresses';
import { validateScrapeSources, type MetricsScrapeSource } from '../observability/scrape-source';
import { meshControlPlaneNetworkPolicies, meshControlPlaneScrapePolicy } from './control-plane-network-policies';

/** A replica range for a horizontally autoscaled deployment. */
export interface ReplicaRange {
  /** At least 2, so one pod can be lost or evicted without an outage. */
  readonly min: number;
  /** At most this many replicas; not below `min`. */
  readonly max: number;
}

/** The routes a service takes through the ingress gateway (`IstioMesh.gatewayExposure`). */
export type GatewayExposureRoute = Pick<GatewayExposure, 'hosts' | 'pathPrefixes' | 'methods'>;

/** The ingress gateway and its Network Load Balancer. */
export interface IngressGatewayOptions {
  /**
   * Put the NLB on the internet. Only with `allowedSourceCidrs`.
   * @default false - an internal NLB, reachable from inside the VPC only
   */
  readonly internetFacing?: boolean;
  /**
   * Client CIDRs allowed to reach the NLB. Required when internet-facing (`0.0.0.0/0` and
   * anything wider than /8 are refused).
   * @default - the VPC CIDR (internal NLB)
   */
  readonly allowedSourceCidrs?: string[];
  /**
   * ACM certificate for a TLS listener on the NLB, which then re-encrypts to the gateway.
   * @default - TCP passthrough: TLS terminates at the gateway only
   */
  readonly certificate?: acm.ICertificate;
  /**
   * Kubernetes TLS secret in the gateway namespace with the certificate the gateway presents.
   * @default 'ingress-gateway-tls'
   */
  readonly credentialName?: string;
  /**
   * Host names the gateway serves (VirtualServices bound to it narrow them further).
   * @default ['*']
   */
  readonly hosts?: string[];
  /**
   * Bounds for the number of ingress gateway replicas.
   * @default { min: 2, max: 5 }
   */
  readonly replicas?: ReplicaRange;
}

/** Properties of an `IstioMesh`. */
export interface IstioMeshProps {
  /** The cluster (with a kubectl provider). */
  readonly cluster: eks.ICluster;
  /** The cluster's VPC: its CIDR bounds the internal NLB and the gateway's callers. */
  readonly vpc: ec2.IVpc;
  /**
   * Options of the mesh ingress gateway.
   * @default - internal NLB, TCP passthrough, 2-5 replicas
   */
  readonly ingress?: IngressGatewayOptions;
  /** istiod replicas. @default { min: 2, max: 5 } */
  readonly controlPlaneReplicas?: ReplicaRange;
  /**
   * Istio version (chart version) to install.
   * @default ISTIO_VERSION
   */
  readonly istioVersion?: string;
  /**
   * Install the AWS Load Balancer Controller that provisions the gateway's NLB. Turn off only
   * when the cluster already runs one.
   * @default true
   */
  readonly installLoadBalancerController?: boolean;
  /**
   * Distributed tracing by the proxies: every sidecar and the ingress gateway report spans over
   * OTLP/gRPC to an OpenTelemetry collector (e.g. `TraceCollector`), sampling at the edge.
   * @default - the proxies report no spans (trace context is still propagated)
   */
  readonly tracing?: MeshTracingOptions;
  /**
   * Private registry the four charts, Istio's images (`pilot`, `proxyv2` for every sidecar and the
   * gateway, `install-cni`) and the AWS Load Balancer Controller come from (mirrored charts, pull
   * through cache).
   * @default - charts from Istio's and the EKS charts repositories, images from Docker Hub and ECR Public
   */
  readonly registry?: IPrivateRegistry;
  /**
   * Digests of Istio's images for `istioVersion`: each given image is pulled by digest.
   * @default - pulled by tag (`istioVersion`)
   */
  readonly imageDigests?: IstioImageDigests;
}

/** Digests (`sha256:...`) of Istio's images of one release. */
export interface IstioImageDigests {
  /** `istio/pilot` (istiod). @default - by tag */
  readonly pilot?: string;
  /** `istio/proxyv2` (sidecars and gateways). @default - by tag */
  readonly proxyv2?: string;
  /** `istio/install-cni` (the CNI node agent). @default - by tag */
  readonly installCni?: string;
}

/** Where the mesh's proxies report spans, and how many requests they trace. */
export interface MeshTracingOptions {
  /**
   * Fully qualified name of the collector's Kubernetes Service, e.g.
   * `trace-collector.tracing.svc.cluster.local` (`TraceCollector.SERVICE_HOST`).
   */
  readonly collectorHost: string;
  /**
   * The collector's OTLP/gRPC port.
   * @default 4317
   */
  readonly port?: number;
  /**
   * Percentage of requests (0 to 100, precision 0.01) that start a sampled trace where they
   * arrive without a sampling decision, i.e. at the ingress gateway. Every proxy after it follows
   * the incoming W3C `traceparent`, and so should the services' SDKs (parent-based sampling with
   * the same ratio, `samplingPercentage / 100`).
   */
  readonly samplingPercentage: number;
}

/** The mesh's tracing as configured: the extension provider istiod knows and the mesh-wide sampling. */
export interface MeshTracing {
  /** Name of the OpenTelemetry extension provider in the mesh config (`MESH_TRACING_PROVIDER`). */
  readonly providerName: string;
  /** Fully qualified name of the collector's Service. */
  readonly collectorHost: string;
  /** The collector's OTLP/gRPC port. */
  readonly port: number;
  /** Percentage of requests without a sampling decision that are traced. */
  readonly samplingPercentage: number;
}

/** Name of the OpenTelemetry tracing provider in the mesh config's `extensionProviders`. */
export const MESH_TRACING_PROVIDER = 'otel-tracing';
/** OTLP/gRPC, the port the proxies export spans to unless told otherwise. */
const OTLP_GRPC_PORT = 4317;
const FQDN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;

const ISTIO_MESH_BRAND = Symbol.for('@zero-trust/platform-constructs.IstioMesh');

/** Port the gateway's HTTPS listener binds inside the pod (non-root, no NET_BIND_SERVICE). */
const GATEWAY_TARGET_PORT = 8443;
const EXACT_SEMVER = /^\d+\.\d+\.\d+$/;

/**
 * Istio in sidecar mode (see docs/adr/0003-istio-sidecar-mode.md), installed from the pinned
 * official charts `base` -> `cni` -> `istiod` -> `gateway`, zero-trust by default:
 *
 * - Istio CNI sets up traffic redirection, so application pods need no NET_ADMIN/NET_RAW and
 *   their namespaces can enforce Pod Security "restricted"; sidecars are native sidecars;
 * - mesh-wide `PeerAuthentication` STRICT and an allow-nothing `AuthorizationPolicy` in the
 *   root namespace: every call needs mTLS and an explicit ALLOW naming its callers;
 * - `outboundTrafficPolicy: REGISTRY_ONLY`: only hosts in the registry (services, ServiceEntries)
 *   can be reached; add external ones with `addServiceEntry` or `ExternalServiceEntry`;
 * - istiod and the ingress gateway highly available: HPA min >= 2, PDB, spread over zones;
 * - the gateway behind an NLB (AWS Load Balancer Controller), internal by default, 443 only;
 * - a ServiceEntry for the EKS Pod Identity agent, exported to every namespace, so pods get their
 *   AWS credentials under REGISTRY_ONLY;
 * - with `tracing`, an OpenTelemetry extension provider in istiod's mesh config and a mesh-wide
 *   `Telemetry`: every proxy reports its spans to the collector over OTLP/gRPC (mTLS, its own
 *   identity) and propagates W3C trace context; the gateway samples, the rest follow `traceparent`.
 *
 * Deploy ordering is wired here: everything waits for the cluster's node groups made in the same
 * app (wherever they are), and `ready` is what namespaces and workloads wait for
 * (`ApplicationNamespace` does so by itself).
 */
export class IstioMesh extends Construct {
  /** The mesh root namespace, where istiod and mesh-wide policies live. */
  static readonly ROOT_NAMESPACE = 'istio-system';

  /** True for an IstioMesh (also one built by another copy of this library). */
  static isIstioMesh(x: unknown): x is IstioMesh {
    return typeof x === 'object' && x !== null && ISTIO_MESH_BRAND in x;
  }

  /** The mesh root namespace (`istio-system`). */
  readonly rootNamespace = IstioMesh.ROOT_NAMESPACE;
  /** Istio release installed. */
  readonly istioVersion: string;
  /** Namespace of the ingress gateway. */
  readonly gatewayNamespace = 'istio-ingress';
  /** Service account of the ingress gateway pods. */
  readonly gatewayServiceAccount = 'ingress-gateway';
  /** Mesh identity of the ingress gateway, for AuthorizationPolicy `principals`. */
  readonly gatewayPrincipal: string;
  /** The Istio `Gateway` VirtualServices bind to, as `<namespace>/<name>`. */
  readonly gatewayName: string;
  /** Pod labels of the ingress gateway. */
  readonly gatewaySelector: Readonly<Record<string, string>>;
  /**
   * Depend on this before applying Istio objects or meshed workloads: Istio's CRDs, istiod
   * (with its injection and validation webhooks), the mesh-wide policies and the Pod Identity
   * agent's ServiceEntry are in place.
   */
  readonly ready: IDependable;
  /** The cluster the mesh runs on. */
  readonly cluster: eks.ICluster;
  /** The ServiceEntry of the EKS Pod Identity agent (169.254.170.23:80), for every namespace. */
  readonly podIdentityAgentEntry: eks.KubernetesManifest;
  /** The Helm releases, in install order: base, cni, istiod, gateway. */
  readonly charts: { readonly base: eks.HelmChart; readonly cni: eks.HelmChart; readonly istiod: eks.HelmChart; readonly gateway: eks.HelmChart };
  /** The AWS Load Balancer Controller, when installed here. */
  readonly loadBalancerController?: AwsLoadBalancerController;
  /** Where the proxies report spans, when tracing is on. */
  readonly tracing?: MeshTracing;
  /**
   * The NetworkPolicies of the root namespace (istio-system): default deny; istiod admits xDS
   * from meshed namespaces and webhook calls from the API server, and calls only the API server
   * and DNS. istiod is installed after them.
   */
  readonly controlPlaneNetworkPolicies: eks.KubernetesManifest;

  private readonly policies: eks.KubernetesManifest;
  /** istiod and the mesh-wide policies: what a ServiceEntry waits for. */
  private readonly controlPlane: DependencyGroup;

  constructor(scope: Construct, id: string, props: IstioMeshProps) {
    super(scope, id);
    Object.defineProperty(this, ISTIO_MESH_BRAND, { value: true });
    const ingress = props.ingress ?? {};
    const gatewayReplicas = ingress.replicas ?? { min: 2, max: 5 };
    const istiodReplicas = props.controlPlaneReplicas ?? { min: 2, max: 5 };
    this.istioVersion = props.istioVersion ?? ISTIO_VERSION;
    validateMeshProps(this, props, gatewayReplicas, istiodReplicas, this.istioVersion);
    this.cluster = props.cluster;
    this.tracing = props.tracing && {
      providerName: MESH_TRACING_PROVIDER,
      collectorHost: props.tracing.collectorHost,
      port: props.tracing.port ?? OTLP_GRPC_PORT,
      // Two decimals, Istio's precision (10 from 0.1 * 100, not 10.000000000000002).
      samplingPercentage: Math.round(props.tracing.samplingPercentage * 100) / 100,
    };
    // Charts and manifests are applied once the cluster's nodes are up (node groups of this app).
    this.node.addDependency(clusterCapacity(this, props.cluster));
    const root = IstioMesh.ROOT_NAMESPACE;
    this.gatewayPrincipal = serviceAccountPrincipal(this.gatewayNamespace, this.gatewayServiceAccount);
    this.gatewayName = `${this.gatewayNamespace}/ingress`;
    this.gatewaySelector = { istio: 'ingress-gateway' };

    // Namespaces first, with their Pod Security levels: the istio-cni node agent is privileged
    // (it edits the node's CNI config and pods' network namespaces); the gateway is not.
    const namespaces = new eks.KubernetesManifest(this, 'Namespaces', {
      cluster: props.cluster,
      overwrite: true,
      manifest: [
        namespace(root, 'privileged', {}, podSecurityException(ISTIO_SYSTEM_POD_SECURITY_EXCEPTION)),
        namespace(this.gatewayNamespace, 'restricted', { 'istio-injection': 'enabled' }),
      ],
    });

    const istioChart = (chartId: string, chart: string, release: string, ns: string, values: Record<string, unknown>, wait: boolean) => {
      const from = helmChartFrom(props.registry, { chart, version: this.istioVersion, repository: ISTIO_CHART_REPOSITORY });
      const helmChart = new eks.HelmChart(this, chartId, { cluster: props.cluster, ...from.location, release, namespace: ns, createNamespace: false, wait, values });
      helmChart.node.addDependency(...from.dependencies);
      return helmChart;
    };
    // With a registry or digests, every image by its full reference (the charts use a value with a
    // "/" as is): the injector hands `global.proxy.image` to every sidecar and the gateway.
    const images = props.registry || props.imageDigests ? istioImages(props.registry, this.istioVersion, props.imageDigests ?? {}) : undefined;

    const base = istioChart('Base', 'base', 'istio-base', root, { defaultRevision: 'default' }, false);
    base.node.addDependency(namespaces);

    const cni = istioChart('Cni', 'cni', 'istio-cni', root, {
      cniBinDir: '/opt/cni/bin',
      cniConfDir: '/etc/cni/net.d',
      chained: true,
      excludeNamespaces: ['kube-system', root],
      ...(images ? { image: images.installCni } : {}),
    }, true);
    cni.node.addDependency(base);

    const istiodLabels = { app: 'istiod' };
    // The chart's own top-level keys (it still copies a legacy `pilot.*` block onto them, but
    // documents only these, and the rendering tests refuse keys the chart does not document).
    const istiod = istioChart('Istiod', 'istiod', 'istiod', root, {
      autoscaleEnabled: true,
      autoscaleMin: istiodReplicas.min,
      autoscaleMax: istiodReplicas.max,
      replicaCount: istiodReplicas.min,
      // Traffic redirection by the istio-cni node agent: no istio-init container with NET_ADMIN/NET_RAW.
      cni: { enabled: true },
      env: { ENABLE_NATIVE_SIDECARS: 'true' },
      topologySpreadConstraints: [zoneSpread(istiodLabels)],
      ...(images ? { image: images.pilot } : {}),
      global: {
        defaultPodDisruptionBudget: { enabled: true },
        logAsJson: true,
        ...(images ? { hub: images.hub, proxy_init: { image: images.proxyv2 } } : {}),
        proxy: {
          ...(images ? { image: images.proxyv2 } : {}),
          privileged: false,
          // Sized for a sidecar in front of one service; namespace quotas count it in every pod.
          resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
        },
      },
      meshConfig: {
        outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
        enableAutoMtls: true,
        accessLogFile: '/dev/stdout',
        accessLogEncoding: 'JSON',
        defaultConfig: { holdApplicationUntilProxyStarts: true },
        // Envoy's OpenTelemetry tracer: W3C trace context (`traceparent`/`tracestate`) in and out,
        // spans over OTLP/gRPC to the collector through the proxy's own mTLS identity.
        ...(this.tracing ? {
          enableTracing: true,
          extensionProviders: [{ name: this.tracing.providerName, opentelemetry: { service: this.tracing.collectorHost, port: this.tracing.port } }],
        } : {}),
      },
    }, true);
    istiod.node.addDependency(cni);
    // Default deny in istio-system before istiod runs, with what istiod needs (ADR 0020).
    this.controlPlaneNetworkPolicies = new eks.KubernetesManifest(this, 'ControlPlaneNetworkPolicies', {
      cluster: props.cluster,
      manifest: meshControlPlaneNetworkPolicies(root, vpcCidrOf(props.vpc)),
    });
    this.controlPlaneNetworkPolicies.node.addDependency(namespaces);
    istiod.node.addDependency(this.controlPlaneNetworkPolicies);

    // Mesh-wide policies in the root namespace, and the gateway's own, once istiod validates them.
    const policyChart = new Chart(new App(), 'MeshPolicies');
    new PeerAuthentication(policyChart, 'StrictMtls', { metadata: { name: 'default', namespace: root }, spec: { mtls: { mode: 'STRICT' } } });
    new AuthorizationPolicy(policyChart, 'AllowNothing', { metadata: { name: 'allow-nothing', namespace: root }, spec: {} });
    new AuthorizationPolicy(policyChart, 'GatewayIngress', {
      metadata: { name: 'ingress-gateway-from-load-balancer', namespace: this.gatewayNamespace },
      spec: {
        selector: { matchLabels: { ...this.gatewaySelector } },
        action: 'ALLOW',
        // External clients have no mesh identity: the gateway accepts its HTTPS port from the
        // NLB's addresses (inside the VPC) only.
        rules: [{ from: [{ source: { ipBlocks: [props.vpc.vpcCidrBlock] } }], to: [{ operation: { ports: [String(GATEWAY_TARGET_PORT)] } }] }],
      },
    });
    new Gateway(policyChart, 'Gateway', {
      metadata: { name: 'ingress', namespace: this.gatewayNamespace },
      spec: {
        selector: { ...this.gatewaySelector },
        servers: [{
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ingress.hosts ?? ['*'],
          tls: { mode: 'SIMPLE', credentialName: ingress.credentialName ?? 'ingress-gateway-tls', minProtocolVersion: 'TLSV1_2' },
        }],
      },
    });
    if (this.tracing) {
      // The one selector-less Telemetry of the root namespace: mesh-wide span reporting to the
      // provider, sampled at the edge (proxies keep an incoming sampling decision).
      new Telemetry(policyChart, 'MeshTelemetry', {
        metadata: { name: 'mesh-default', namespace: root },
        spec: { tracing: [{ providers: [{ name: this.tracing.providerName }], randomSamplingPercentage: this.tracing.samplingPercentage }] },
      });
    }
    this.policies = new eks.KubernetesManifest(this, 'Policies', { cluster: props.cluster, manifest: policyChart.toJson() });
    this.policies.node.addDependency(istiod);

    if (props.installLoadBalancerController ?? true) {
      this.loadBalancerController = new AwsLoadBalancerController(this, 'LoadBalancerController', { cluster: props.cluster, vpc: props.vpc, registry: props.registry });
    }

    // Default deny for the gateway namespace too: the NLB (inside the VPC) reaches the HTTPS and
    // health-check ports; the gateway reaches only DNS, istiod and meshed application pods.
    const gatewayPolicies = new eks.KubernetesManifest(this, 'GatewayNetworkPolicies', {
      cluster: props.cluster,
      manifest: gatewayNetworkPolicies(this.gatewayNamespace, this.gatewaySelector, props.vpc.vpcCidrBlock, root),
    });
    gatewayPolicies.node.addDependency(namespaces);

    const gatewayLabels = { app: 'ingress-gateway', ...this.gatewaySelector };
    const gateway = istioChart('Gateway', 'gateway', 'ingress-gateway', this.gatewayNamespace, {
      autoscaling: { enabled: true, minReplicas: gatewayReplicas.min, maxReplicas: gatewayReplicas.max, targetCPUUtilizationPercentage: 80 },
      podDisruptionBudget: { minAvailable: 1 },
      topologySpreadConstraints: [zoneSpread(gatewayLabels)],
      serviceAccount: { create: true, name: this.gatewayServiceAccount },
      securityContext: { runAsNonRoot: true, runAsUser: 1337, runAsGroup: 1337, fsGroup: 1337, seccompProfile: { type: 'RuntimeDefault' } },
      containerSecurityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
      service: {
        type: 'LoadBalancer',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: GATEWAY_TARGET_PORT }],
        annotations: loadBalancerAnnotations(ingress),
        loadBalancerSourceRanges: ingress.internetFacing ? ingress.allowedSourceCidrs : [props.vpc.vpcCidrBlock],
      },
    }, false);
    gateway.node.addDependency(this.policies, gatewayPolicies);
    if (this.loadBalancerController) gateway.node.addDependency(this.loadBalancerController.chart);

    this.charts = { base, cni, istiod, gateway };
    this.controlPlane = new DependencyGroup(istiod, this.policies);
    // Workloads call AWS through EKS Pod Identity: the agent's link-local address must be in the
    // registry (REGISTRY_ONLY). Signing RDS/ElastiCache IAM tokens needs no other AWS API.
    this.podIdentityAgentEntry = this.addServiceEntry('PodIdentityAgent', {
      name: 'eks-pod-identity-agent',
      hosts: ['eks-pod-identity-agent.amazonaws.internal'],
      addresses: [POD_IDENTITY_AGENT.cidr],
      ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }],
      resolution: 'STATIC',
      endpoints: [{ address: POD_IDENTITY_AGENT.address }],
    });
    this.ready = new DependencyGroup(this.controlPlane, this.podIdentityAgentEntry);
  }

  /**
   * How a service is exposed through this mesh's ingress gateway: the `gateway` prop of a
   * `StatelessService` (its VirtualService binds to the gateway, its AuthorizationPolicy admits
   * the gateway's identity, its NetworkPolicy the gateway's pods).
   */
  gatewayExposure(route: GatewayExposureRoute): GatewayExposure {
    return {
      gateway: this.gatewayName,
      namespace: this.gatewayNamespace,
      podLabels: { ...this.gatewaySelector },
      principal: this.gatewayPrincipal,
      ...route,
    };
  }

  /**
   * Admits metrics scrapers (e.g. `MetricsCollector.scrapeSource`, whose agents must also be
   * allowed `ISTIOD_MONITORING_PORT`) to istiod's monitoring port 15014, by namespace and pod
   * labels: a NetworkPolicy in the root namespace, once per scraper namespace.
   */
  allowControlPlaneScrape(source: MetricsScrapeSource): eks.KubernetesManifest {
    validateScrapeSources(validationFailure('IstioMesh', this.node.path), 'allowControlPlaneScrape source', [source]);
    const name = `istiod-from-scraper-${source.namespace}`;
    if (this.node.tryFindChild(`ControlPlaneScrape-${source.namespace}`)) {
      validationFailure('IstioMesh', this.node.path)(`allowControlPlaneScrape was already called for scrapers in namespace ${describeValue(source.namespace)}. Fix: call it once per scraper namespace.`);
    }
    const manifest = new eks.KubernetesManifest(this, `ControlPlaneScrape-${source.namespace}`, {
      cluster: this.cluster,
      manifest: [meshControlPlaneScrapePolicy(this.rootNamespace, name, [source])],
    });
    manifest.node.addDependency(this.controlPlaneNetworkPolicies);
    return manifest;
  }

  /**
   * Lets every meshed workload reach a destination outside the mesh: a `ServiceEntry` in the
   * root namespace exported to all namespaces. Per-workload destinations (a database) belong
   * in the workload's own namespace instead (`ExternalServiceEntry`).
   */
  addServiceEntry(id: string, options: Omit<ExternalServiceOptions, 'namespace' | 'exportTo'>): eks.KubernetesManifest {
    const chart = new Chart(new App(), id);
    new ExternalServiceEntry(chart, 'Entry', { ...options, namespace: this.rootNamespace, exportTo: ['*'] });
    const manifest = new eks.KubernetesManifest(this, `ServiceEntry${id}`, { cluster: this.cluster, manifest: chart.toJson() });
    manifest.node.addDependency(this.controlPlane);
    return manifest;
  }
}

/** Why istio-system enforces Pod Security "privileged" (recorded on the namespace for the evidence pack). */
const ISTIO_SYSTEM_POD_SECURITY_EXCEPTION = 'The istio-cni node agent (DaemonSet istio-cni-node) installs the Istio CNI plugin, which sets up '
  + 'each pod\'s traffic redirection, into host paths (/opt/cni/bin, /etc/cni/net.d): it needs hostPath volumes, host networking and the '
  + 'NET_ADMIN and SYS_ADMIN capabilities. In exchange, application pods need no istio-init container and their namespaces enforce "restricted".';

function namespace(name: string, podSecurity: 'privileged' | 'restricted', labels: Record<string, string>, annotations: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { ...podSecurityLabels(podSecurity), ...labels }, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
  };
}

function gatewayNetworkPolicies(ns: string, selector: Readonly<Record<string, string>>, vpcCidr: string, root: string): Record<string, unknown>[] {
  const gatewayPods = { matchLabels: { ...selector } };
  return [
    ...baselineNetworkPolicies(ns, { meshNamespace: root }),
    networkPolicy(ns, 'allow-load-balancer', {
      podSelector: gatewayPods,
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: vpcCidr } }], ports: [{ protocol: 'TCP', port: GATEWAY_TARGET_PORT }, { protocol: 'TCP', port: ISTIO_PROXY_HEALTH_PORT }] }],
    }),
    // Application namespaces admit the gateway on their own ports (their policies decide).
    networkPolicy(ns, 'allow-to-meshed-applications', {
      podSelector: gatewayPods,
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }] }],
    }),
  ];
}

function loadBalancerAnnotations(ingress: IngressGatewayOptions): Record<string, string> {
  const prefix = 'service.beta.kubernetes.io/aws-load-balancer';
  const annotations: Record<string, string> = {
    [`${prefix}-type`]: 'external',
    [`${prefix}-nlb-target-type`]: 'ip',
    [`${prefix}-scheme`]: ingress.internetFacing ? 'internet-facing' : 'internal',
    [`${prefix}-healthcheck-protocol`]: 'http',
    [`${prefix}-healthcheck-port`]: String(ISTIO_PROXY_HEALTH_PORT),
    [`${prefix}-healthcheck-path`]: '/healthz/ready',
    [`${prefix}-attributes`]: 'load_balancing.cross_zone.enabled=true',
  };
  if (ingress.certificate) {
    Object.assign(annotations, {
      [`${prefix}-ssl-cert`]: ingress.certificate.certificateArn,
      [`${prefix}-ssl-ports`]: 'https',
      [`${prefix}-ssl-negotiation-policy`]: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      // Re-encrypt to the gateway: no plaintext hop between the NLB and the mesh.
      [`${prefix}-backend-protocol`]: 'ssl',
    });
  }
  return annotations;
}

/** Istio's images of `version` (from `registry` when given), as full references, and their hub. */
function istioImages(registry: IPrivateRegistry | undefined, version: string, digests: IstioImageDigests): { hub: string; pilot: string; proxyv2: string; installCni: string } {
  const image = (name: string, digest: string | undefined) => imageFrom(registry, { repository: `${ISTIO_IMAGE_HUB}/${name}`, tag: version, ...(digest ? { digest } : {}) });
  const pilot = image('pilot', digests.pilot);
  return {
    hub: pilot.repository.slice(0, -'/pilot'.length),
    pilot: imageReferenceString(pilot),
    proxyv2: imageReferenceString(image('proxyv2', digests.proxyv2)),
    installCni: imageReferenceString(image('install-cni', digests.installCni)),
  };
}

function validateMeshProps(scope: Construct, props: IstioMeshProps, gateway: ReplicaRange, istiod: ReplicaRange, version: string): void {
  const fail = validationFailure('IstioMesh', scope.node.path);
  for (const [name, digest] of Object.entries(props.imageDigests ?? {})) {
    if (digest !== undefined && !IMAGE_DIGEST_FORMAT.test(digest)) fail(`imageDigests.${name} is ${describeValue(digest)}. Fix: "sha256:" and 64 lowercase hex digits, the digest of istio/${name === 'installCni' ? 'install-cni' : name}:${version}, or leave it unset to pull by tag.`);
  }
  if (!EXACT_SEMVER.test(version)) fail(`istioVersion ${describeValue(version, scope)} is not an exact version. Fix: pin a release such as "${ISTIO_VERSION}" (no ranges).`);
  for (const [name, range] of [['ingress.replicas', gateway], ['controlPlaneReplicas', istiod]] as const) {
    if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < MESH_MIN_REPLICAS || range.min > range.max) {
      fail(`${name} is ${describeValue(range, scope)}: needs whole numbers with ${MESH_MIN_REPLICAS} <= min <= max, so losing a pod or a zone keeps the mesh up.`);
    }
  }
  const ingress = props.ingress ?? {};
  const cidrs = ingress.allowedSourceCidrs ?? [];
  if (ingress.internetFacing && cidrs.length === 0) {
    fail('ingress.internetFacing needs ingress.allowedSourceCidrs. Fix: list the client CIDRs allowed to reach the NLB.');
  }
  if (!ingress.internetFacing && cidrs.length > 0) {
    fail('ingress.allowedSourceCidrs is set on an internal NLB, which admits the VPC CIDR only. Fix: remove it, or set internetFacing.');
  }
  if (props.tracing) validateTracing(fail, scope, props.tracing);
  for (const cidr of cidrs) {
    if (Token.isUnresolved(cidr)) continue;
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed) fail(`ingress.allowedSourceCidrs has ${describeValue(cidr)}, which is not an IPv4 CIDR. Fix: use a.b.c.d/n.`);
    if (parsed!.prefix < INGRESS_MIN_CIDR_PREFIX) fail(`ingress.allowedSourceCidrs has ${describeValue(cidr)}, which opens the gateway to too wide a range (wider than /${INGRESS_MIN_CIDR_PREFIX}). Fix: list only your clients' CIDRs.`);
  }
}

function validateTracing(fail: (message: string) => never, scope: Construct, tracing: MeshTracingOptions): void {
  const { collectorHost, port = OTLP_GRPC_PORT, samplingPercentage } = tracing;
  if (Token.isUnresolved(collectorHost) || !FQDN.test(collectorHost)) {
    fail(`tracing.collectorHost ${describeValue(collectorHost, scope)} is not the DNS name of a Service, known at synth. Fix: give the collector Service's fully qualified name, e.g. "trace-collector.tracing.svc.cluster.local".`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`tracing.port ${describeValue(port, scope)} is not a TCP port (1-65535). Fix: give the collector's OTLP/gRPC port, normally ${OTLP_GRPC_PORT}.`);
  if (!(Number.isFinite(samplingPercentage) && samplingPercentage >= 0 && samplingPercentage <= 100 && Math.abs(samplingPercentage * 100 - Math.round(samplingPercentage * 100)) < 1e-9)) {
    fail(`tracing.samplingPercentage ${describeValue(samplingPercentage, scope)} must be a percentage from 0 to 100 with at most two decimals (Istio's precision is 0.01). Fix: e.g. 10 to trace one request in ten.`);
  }
}
