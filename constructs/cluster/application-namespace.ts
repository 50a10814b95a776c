import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { ApiObject, App, Chart, type ApiObjectProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { isDns1123Label, isIntBetween, validationFailure } from '../core/validation';
import { baselineNetworkPolicies } from './baseline-network-policies';
import { podSecurityLabels } from './pod-security';

/** Totals a namespace may request; limits may burst to twice the requests. */
export interface NamespaceQuota {
  /** CPU cores requested by all pods together. */
  readonly cpu: number;
  /** Memory requested by all pods together, in GiB. */
  readonly memoryGiB: number;
  /** Pods in the namespace. */
  readonly pods: number;
}

/** Per-container defaults for pods that set no resources, and the ceiling of one container. */
export interface ContainerLimits {
  /** @default '100m' */
  readonly defaultCpuRequest?: string;
  /** @default '128Mi' */
  readonly defaultMemoryRequest?: string;
  /** @default '500m' */
  readonly defaultCpuLimit?: string;
  /** @default '512Mi' */
  readonly defaultMemoryLimit?: string;
  /** @default '2' */
  readonly maxCpu?: string;
  /** @default '4Gi' */
  readonly maxMemory?: string;
}

export interface ApplicationNamespaceProps {
  readonly cluster: eks.ICluster;
  /** DNS-1123 label; not `default`, `kube-*` or `istio-*`. */
  readonly name: string;
  readonly quota: NamespaceQuota;
  /** @default - see ContainerLimits */
  readonly containerLimits?: ContainerLimits;
  /** Namespace of istiod. @default 'istio-system' */
  readonly meshNamespace?: string;
}

/**
 * The NetworkPolicies every application namespace gets. Workloads add only what is specific
 * to them (ingress from the gateway namespace, egress to their database, ...).
 */
export const NAMESPACE_NETWORK_POLICIES = {
  /** Denies all ingress and egress of every pod in the namespace. */
  defaultDeny: 'default-deny',
  /** Egress to kube-system pods labelled `k8s-app: kube-dns`, UDP and TCP 53. */
  allowDns: 'allow-dns',
  /** Egress to istio-system pods labelled `app: istiod`, TCP 15012 (xDS and certificates). */
  allowMeshControlPlane: 'allow-mesh-control-plane',
} as const;


/**
 * A namespace for application workloads, with the cluster's guardrails:
 *
 * - Pod Security "restricted" enforced (and audited, warned) at a pinned version: workloads
 *   run non-root, without capabilities or privilege escalation, with seccomp;
 * - `istio-injection: enabled`: every pod gets a native sidecar and mTLS (Istio CNI does the
 *   traffic redirection, so "restricted" holds);
 * - a ResourceQuota (requests, limits, pods; no LoadBalancer or NodePort services: ingress goes
 *   through the mesh gateway) and a LimitRange that bounds pods that set no resources;
 * - default-deny NetworkPolicies for ingress and egress, plus egress to DNS and to istiod only
 *   (see NAMESPACE_NETWORK_POLICIES).
 */
export class ApplicationNamespace extends Construct {
  /** The namespace name. */
  readonly namespaceName: string;
  /** The manifest holding the namespace and its guardrails; workloads depend on it. */
  readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: ApplicationNamespaceProps) {
    super(scope, id);
    validateNamespaceProps(this, props);
    this.namespaceName = props.name;
    const ns = props.name;
    const meshNamespace = props.meshNamespace ?? 'istio-system';
    const limits = props.containerLimits ?? {};
    const chart = new Chart(new App(), 'Namespace');
    const q = (value: string) => k8s.Quantity.fromString(value);

    new k8s.KubeNamespace(chart, 'Namespace', {
      metadata: { name: ns, labels: { ...podSecurityLabels('restricted'), 'istio-injection': 'enabled' } },
    });
    new k8s.KubeResourceQuota(chart, 'Quota', {
      metadata: { name: 'quota', namespace: ns },
      spec: {
        hard: {
          'requests.cpu': q(String(props.quota.cpu)),
          'requests.memory': q(`${props.quota.memoryGiB}Gi`),
          'limits.cpu': q(String(props.quota.cpu * 2)),
          'limits.memory': q(`${props.quota.memoryGiB * 2}Gi`),
          'pods': q(String(props.quota.pods)),
          'services.loadbalancers': q('0'),
          'services.nodeports': q('0'),
        },
      },
    });
    new k8s.KubeLimitRange(chart, 'Limits', {
      metadata: { name: 'container-defaults', namespace: ns },
      spec: {
        limits: [{
          type: 'Container',
          defaultRequest: { cpu: q(limits.defaultCpuRequest ?? '100m'), memory: q(limits.defaultMemoryRequest ?? '128Mi') },
          default: { cpu: q(limits.defaultCpuLimit ?? '500m'), memory: q(limits.defaultMemoryLimit ?? '512Mi') },
          max: { cpu: q(limits.maxCpu ?? '2'), memory: q(limits.maxMemory ?? '4Gi') },
        }],
      },
    });
    baselineNetworkPolicies(ns, { meshNamespace }).forEach((policy, index) => new ApiObject(chart, `NetworkPolicy${index}`, policy as ApiObjectProps));

    this.manifest = new eks.KubernetesManifest(this, 'Resource', { cluster: props.cluster, overwrite: true, manifest: chart.toJson() });
  }
}

function validateNamespaceProps(scope: Construct, props: ApplicationNamespaceProps): void {
  const fail = validationFailure('ApplicationNamespace', scope.node.path);
  const name = props.name;
  if (!isDns1123Label(name)) {
    fail(`name "${name}" is not a DNS-1123 label. Fix: use up to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit.`);
  }
  if (name === 'default' || name.startsWith('kube-') || name.startsWith('istio-')) {
    fail(`name "${name}" is reserved for the platform. Fix: choose a name that is not "default" and does not start with "kube-" or "istio-".`);
  }
  const { cpu, memoryGiB, pods } = props.quota;
  if (!(cpu > 0 && cpu <= 512 && Number.isInteger(cpu * 10))) fail(`quota.cpu is ${cpu}: must be 0.1 to 512 cores in steps of 0.1.`);
  if (!isIntBetween(memoryGiB, 1, 4096)) fail(`quota.memoryGiB is ${memoryGiB}: must be a whole number of GiB from 1 to 4096.`);
  if (!isIntBetween(pods, 1, 1000)) fail(`quota.pods is ${pods}: must be a whole number from 1 to 1000.`);
}
