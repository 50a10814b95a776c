import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import { podSecurityLabels, RESTRICTED_CONTAINER_SECURITY_CONTEXT } from '../cluster/pod-security';
import { managedPolicyGrantee } from '../core/managed-policy-grantee';
import { PodIdentityRole } from '../core/pod-identity-role';
import { isIntBetween, validationFailure } from '../core/validation';
import type { IMetricsWorkspace } from '../observability/metrics-workspace';
import { scrapeSourcePeer, validateScrapeSources, type MetricsScrapeSource } from '../observability/scrape-source';
import type { IPrivateRegistry } from '../registry/private-registry';
import { helmChartFrom, imageFrom } from '../registry/sources';
import { imageTagWithDigest, upstreamImageLocation, type ImageReference } from '../registry/upstream-registries';
import { ARGO_HELM_REPOSITORY, ARGO_ROLLOUTS_CHART_VERSION, ARGO_ROLLOUTS_IMAGE } from './versions';
import { baselineNetworkPolicies, networkPolicy, POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';
import { apiServerEgressRule } from '../cluster/kubernetes-api-peers';
import { describeCluster } from '../core/composition';
import { vpcCidrOf } from '../network/vpc-addresses';

/** Properties of `ArgoRollouts`. */
export interface ArgoRolloutsProps {
  /** The cluster (with a kubectl provider). */
  readonly cluster: eks.ICluster;
  /**
   * The cluster's VPC: the controller's egress is HTTPS to the API server and to the VPC's
   * addresses (the metrics workspace's interface endpoint), nothing else.
   * @default - the cluster's VPC (`cluster.vpc`; an imported cluster must have been given one)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The metrics workspace analysis queries; the controller gets read access to it (and only
   * to it) through EKS Pod Identity.
   * @default - no metrics access: analyses with the Prometheus provider cannot sign queries
   */
  readonly metricsWorkspace?: IMetricsWorkspace;
  /**
   * CIDRs the metrics scraper comes from: the controller's NetworkPolicy admits them on its
   * metrics port, and its pods carry the `prometheus.io/*` annotations.
   * @default - the controller is not scraped
   */
  readonly scrapeSourceCidrs?: string[];
  /**
   * Pods in the cluster that scrape metrics (`MetricsCollector.scrapeSource`): the controller's
   * NetworkPolicy admits exactly them on its metrics port, and its pods carry the
   * `prometheus.io/*` annotations. Narrower than `scrapeSourceCidrs`; both may be given.
   * @default - no scraper pods admitted
   */
  readonly scrapeSources?: MetricsScrapeSource[];
  /**
   * Version of the argo-rollouts Helm chart to install.
   * @default ARGO_ROLLOUTS_CHART_VERSION
   */
  readonly chartVersion?: string;
  /**
   * Controller replicas (one leads, the others stand by through leader election).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * The controller image (upstream name, exact tag, optionally a digest).
   * @default ARGO_ROLLOUTS_IMAGE
   */
  readonly image?: ImageReference;
  /**
   * Private registry the chart and the image come from (mirrored chart, pull through cache).
   * @default - the chart from the Argo Helm repository, the image from Quay
   */
  readonly registry?: IPrivateRegistry;
}

const EXACT_SEMVER = /^\d+\.\d+\.\d+$/;
/** Port of the controller's own Prometheus metrics. */
const CONTROLLER_METRICS_PORT = 8090;

/**
 * Argo Rollouts, from the pinned official Helm chart, in its own namespace:
 *
 * - CRDs (Rollout, AnalysisTemplate, AnalysisRun, Experiment, ClusterAnalysisTemplate) installed
 *   and upgraded by the chart, kept on uninstall (deleting a CRD deletes every Rollout);
 * - the controller highly available: 2 replicas with leader election, a PodDisruptionBudget,
 *   spread over zones; RBAC only for the Istio traffic router (no other providers);
 * - Pod Security "restricted": non-root, read-only root filesystem, no capabilities, seccomp
 *   RuntimeDefault, enforced by the namespace labels; the dashboard is off;
 * - outside the mesh (no sidecar): the controller serves no workload traffic and only calls the
 *   Kubernetes API server and the metrics workspace, both over TLS with their own
 *   authentication (service-account token, SigV4), so a sidecar would add nothing but a
 *   dependency of the rollback path on the mesh's own health. NetworkPolicies deny everything
 *   else: egress is DNS, HTTPS to the API server and the VPC's endpoints (by address), and the
 *   Pod Identity agent; ingress only the scraper on 8090;
 * - analysis queries signed with SigV4 using a Pod Identity role that may only read the one
 *   metrics workspace.
 */
export class ArgoRollouts extends Construct {
  /** Namespace the controller is installed in. */
  static readonly NAMESPACE = 'argo-rollouts';
  /** Name of the controller's Kubernetes service account. */
  static readonly SERVICE_ACCOUNT = 'argo-rollouts';

  /** The namespace the controller runs in. */
  readonly namespace = ArgoRollouts.NAMESPACE;
  /** The Helm release. */
  readonly chart: eks.HelmChart;
  /** The controller's role (EKS Pod Identity). */
  readonly role: iam.Role;
  /** Depend on this before applying Rollouts or AnalysisTemplates: CRDs and controller are up. */
  readonly ready: IDependable;

  constructor(scope: Construct, id: string, props: ArgoRolloutsProps) {
    super(scope, id);
    const fail = validationFailure('ArgoRollouts', this.node.path);
    const version = props.chartVersion ?? ARGO_ROLLOUTS_CHART_VERSION;
    if (!EXACT_SEMVER.test(version)) fail(`chartVersion "${version}" is not an exact version. Fix: pin a release such as "${ARGO_ROLLOUTS_CHART_VERSION}" (no ranges).`);
    const replicas = props.replicas ?? 2;
    if (!isIntBetween(replicas, 2, 5)) fail(`replicas ${replicas} must be between 2 and 5: one replica makes rollbacks wait for a reschedule.`);
    const ns = ArgoRollouts.NAMESPACE;
    const scrapeSources: ScrapeSources = { cidrs: props.scrapeSourceCidrs ?? [], pods: props.scrapeSources ?? [] };
    validateScrapeSources(fail, 'scrapeSources', scrapeSources.pods);
    const scraped = scrapeSources.cidrs.length > 0 || scrapeSources.pods.length > 0;

    const namespace = new eks.KubernetesManifest(this, 'Namespace', {
      cluster: props.cluster,
      overwrite: true,
      manifest: [
        // Not in the mesh (see above): injection explicitly off.
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...podSecurityLabels('restricted'), 'istio-injection': 'disabled' } } },
        ...networkPolicies(ns, scrapeSources, vpcCidrOf(vpcOf(this, props))),
      ],
    });

    const role = new PodIdentityRole(this, 'Role', {
      cluster: props.cluster,
      namespace: ns,
      serviceAccounts: [ArgoRollouts.SERVICE_ACCOUNT],
      description: `Argo Rollouts controller (${ns}/${ArgoRollouts.SERVICE_ACCOUNT}) through EKS Pod Identity: reads the metrics workspace`,
    });
    this.role = role;
    const association = role.associate(this, 'PodIdentity', ArgoRollouts.SERVICE_ACCOUNT);
    props.metricsWorkspace?.grantQuery(managedPolicyGrantee(this.role, () => new iam.ManagedPolicy(this, 'Policy', {
      description: 'Argo Rollouts analysis: query the platform metrics workspace only',
      roles: [this.role],
    })));

    const controllerLabels = { 'app.kubernetes.io/name': 'argo-rollouts', 'app.kubernetes.io/component': 'rollouts-controller' };
    const from = helmChartFrom(props.registry, { chart: 'argo-rollouts', version, repository: ARGO_HELM_REPOSITORY });
    const image = props.registry || props.image ? imageFrom(props.registry, props.image ?? ARGO_ROLLOUTS_IMAGE) : undefined;
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      ...from.location,
      release: 'argo-rollouts',
      namespace: ns,
      createNamespace: false,
      wait: true,
      values: {
        installCRDs: true,
        keepCRDs: true,
        clusterInstall: true,
        createClusterAggregateRoles: true,
        serviceAccount: { create: true, name: ArgoRollouts.SERVICE_ACCOUNT },
        podSecurityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
        containerSecurityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
        controller: {
          // More than one replica turns on --leader-elect in the chart.
          replicas,
          pdb: { enabled: true, maxUnavailable: 1 },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: controllerLabels } }],
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          logging: { format: 'json', level: 'info' },
          // SigV4 signing of analysis queries; credentials come from Pod Identity.
          extraEnv: [{ name: 'AWS_REGION', value: Stack.of(this).region }],
          podAnnotations: scraped
            ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(CONTROLLER_METRICS_PORT), 'prometheus.io/path': '/metrics' }
            : {},
          // The chart writes `registry/repository:tag`: a digest rides in the tag.
          ...(image ? { image: { registry: upstreamImageLocation(image.repository).host, repository: upstreamImageLocation(image.repository).path, tag: imageTagWithDigest(image) } } : {}),
        },
        dashboard: { enabled: false },
        notifications: { secret: { create: false } },
        // RBAC for the one traffic router the platform uses.
        providerRBAC: {
          enabled: true,
          providers: { istio: true, smi: false, ambassador: false, awsLoadBalancerController: false, awsAppMesh: false, traefik: false, apisix: false, contour: false, glooPlatform: false, gatewayAPI: false },
        },
      },
    });
    this.chart.node.addDependency(namespace, association, ...from.dependencies);
    this.ready = new DependencyGroup(this.chart);
  }
}

/** Who may scrape the controller: CIDRs (a scraper outside the cluster) and scraper pods. */
interface ScrapeSources {
  readonly cidrs: string[];
  readonly pods: MetricsScrapeSource[];
}

/** The VPC of the controller's cluster: the prop, else the cluster's own. */
function vpcOf(scope: Construct, props: ArgoRolloutsProps): ec2.IVpc {
  if (props.vpc) return props.vpc;
  try {
    return props.cluster.vpc;
  } catch {
    return validationFailure('ArgoRollouts', scope.node.path)(`cluster ${describeCluster(props.cluster)} has no VPC, and the controller's NetworkPolicy names the VPC's addresses (API server, metrics endpoint). Fix: pass vpc, or import the cluster with its vpc.`);
  }
}

/** Default deny, then exactly what the controller needs. */
function networkPolicies(ns: string, scrapeSources: ScrapeSources, vpcCidr: string): Record<string, unknown>[] {
  const policies = [
    ...baselineNetworkPolicies(ns),
    // HTTPS to the API server (the `kubernetes` Service address, the control plane's interfaces in
    // the VPC) and to the metrics workspace's query endpoint (the VPC's aps-workspaces interface
    // endpoint, in the same CIDR): by address, not to anywhere (ADR 0020).
    networkPolicy(ns, 'allow-api-server-and-endpoints', { podSelector: {}, policyTypes: ['Egress'], egress: [apiServerEgressRule(vpcCidr)] }),
    networkPolicy(ns, 'allow-pod-identity-agent', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: 'TCP', port: POD_IDENTITY_AGENT.port }] }] }),
  ];
  const from = [...scrapeSources.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ...scrapeSources.pods.map(scrapeSourcePeer)];
  if (from.length > 0) {
    policies.push(networkPolicy(ns, 'allow-metrics-scraper', {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from, ports: [{ protocol: 'TCP', port: CONTROLLER_METRICS_PORT }] }],
    }));
  }
  return policies;
}

/** The controller's metrics port, for the scraper's allowed ports. */
export const ARGO_ROLLOUTS_METRICS_PORT = CONTROLLER_METRICS_PORT;
