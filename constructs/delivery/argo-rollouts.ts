import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import { podSecurityLabels, RESTRICTED_CONTAINER_SECURITY_CONTEXT } from '../cluster/pod-security';
import { managedPolicyGrantee } from '../core/managed-policy-grantee';
import { isIntBetween, validationFailure } from '../core/validation';
import type { IMetricsWorkspace } from '../observability/metrics-workspace';
import { scrapeSourcePeer, validateScrapeSources, type MetricsScrapeSource } from '../observability/scrape-source';
import { ARGO_HELM_REPOSITORY, ARGO_ROLLOUTS_CHART_VERSION } from './versions';
import { baselineNetworkPolicies, networkPolicy, POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';

/** Properties of `ArgoRollouts`. */
export interface ArgoRolloutsProps {
  /** The cluster (with a kubectl provider). */
  readonly cluster: eks.ICluster;
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
 *   else: egress is DNS, HTTPS and the Pod Identity agent; ingress only the scraper on 8090;
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
        ...networkPolicies(ns, scrapeSources),
      ],
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com'),
      description: `Argo Rollouts controller (${ns}/${ArgoRollouts.SERVICE_ACCOUNT}) through EKS Pod Identity: reads the metrics workspace`,
    });
    (this.role.assumeRolePolicy as iam.PolicyDocument).addStatements(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('pods.eks.amazonaws.com')],
      actions: ['sts:TagSession'],
    }));
    const association = new eks.CfnPodIdentityAssociation(this, 'PodIdentity', {
      clusterName: props.cluster.clusterName,
      namespace: ns,
      serviceAccount: ArgoRollouts.SERVICE_ACCOUNT,
      roleArn: this.role.roleArn,
    });
    props.metricsWorkspace?.grantQuery(managedPolicyGrantee(this.role, () => new iam.ManagedPolicy(this, 'Policy', {
      description: 'Argo Rollouts analysis: query the platform metrics workspace only',
      roles: [this.role],
    })));

    const controllerLabels = { 'app.kubernetes.io/name': 'argo-rollouts', 'app.kubernetes.io/component': 'rollouts-controller' };
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: 'argo-rollouts',
      repository: ARGO_HELM_REPOSITORY,
      version,
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
    this.chart.node.addDependency(namespace, association);
    this.ready = new DependencyGroup(this.chart);
  }
}

/** Who may scrape the controller: CIDRs (a scraper outside the cluster) and scraper pods. */
interface ScrapeSources {
  readonly cidrs: string[];
  readonly pods: MetricsScrapeSource[];
}

/** Default deny, then exactly what the controller needs. */
function networkPolicies(ns: string, scrapeSources: ScrapeSources): Record<string, unknown>[] {
  const policies = [
    ...baselineNetworkPolicies(ns),
    // The API server (through the `kubernetes` Service address) and the metrics workspace's query
    // endpoint (the VPC's aps-workspaces interface endpoint) are both HTTPS.
    networkPolicy(ns, 'allow-https-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'TCP', port: 443 }] }] }),
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
