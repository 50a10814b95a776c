import { Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { ApiObject, App, Chart, type ApiObjectProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import { clusterCapacity, findInApp, lazyDependable, sameCluster } from '../core/composition';
import { describeValue, isDns1123Label, isIntBetween, validationFailure } from '../core/validation';
import { IstioMesh } from '../mesh/istio-mesh';
import { baselineNetworkPolicies } from './baseline-network-policies';
import { isReservedNamespaceName, NAMESPACE_QUOTA_CPU, NAMESPACE_QUOTA_MEMORY_GIB, NAMESPACE_QUOTA_PODS } from './limits';
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
  /**
   * CPU request given to a container that sets none.
   * @default '100m'
   */
  readonly defaultCpuRequest?: string;
  /**
   * Memory request given to a container that sets none.
   * @default '128Mi'
   */
  readonly defaultMemoryRequest?: string;
  /**
   * CPU limit given to a container that sets none.
   * @default '500m'
   */
  readonly defaultCpuLimit?: string;
  /**
   * Memory limit given to a container that sets none.
   * @default '512Mi'
   */
  readonly defaultMemoryLimit?: string;
  /**
   * Largest CPU limit a single container may set.
   * @default '2'
   */
  readonly maxCpu?: string;
  /**
   * Largest memory limit a single container may set.
   * @default '4Gi'
   */
  readonly maxMemory?: string;
}

/** Properties of an `ApplicationNamespace`. */
export interface ApplicationNamespaceProps {
  /**
   * The cluster to create the namespace on. Its guardrails are applied after the IstioMesh of
   * this cluster in the same app is `ready` (sidecar injection works from the first pod), or,
   * with no mesh in the app, after the cluster's node groups of the app.
   */
  readonly cluster: eks.ICluster;
  /** DNS-1123 label; not `default`, `kube-*` or `istio-*`. */
  readonly name: string;
  /** ResourceQuota of the namespace: total CPU, memory and pods. */
  readonly quota: NamespaceQuota;
  /**
   * Default and maximum CPU and memory of each container in the namespace (its LimitRange).
   * @default - see ContainerLimits
   */
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
  /** True for an ApplicationNamespace (also one built by another copy of this library). */
  static isApplicationNamespace(x: unknown): x is ApplicationNamespace {
    return typeof x === 'object' && x !== null && APPLICATION_NAMESPACE_BRAND in x;
  }

  /** The namespace name. */
  readonly namespaceName: string;
  /** The cluster the namespace is on. */
  readonly cluster: eks.ICluster;
  /** The manifest holding the namespace and its guardrails; workloads depend on it. */
  readonly manifest: eks.KubernetesManifest;
  /**
   * Depend on this before applying workloads to the namespace: the namespace and its guardrails
   * are in place, after the mesh is ready and the nodes are up. `StatelessService` does so by itself.
   */
  readonly ready: IDependable;

  constructor(scope: Construct, id: string, props: ApplicationNamespaceProps) {
    super(scope, id);
    Object.defineProperty(this, APPLICATION_NAMESPACE_BRAND, { value: true });
    validateNamespaceProps(this, props);
    this.namespaceName = props.name;
    this.cluster = props.cluster;
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
    // Injection-labelled namespaces are useful only once istiod can inject: after the mesh of this
    // cluster (which waits for the nodes), or after the nodes when the app has no mesh for it.
    const meshes = () => findInApp(this, (c): c is IstioMesh => IstioMesh.isIstioMesh(c) && sameCluster(c.cluster, props.cluster));
    const capacity = clusterCapacity(this, props.cluster);
    this.manifest.node.addDependency(lazyDependable(() => {
      const found = meshes();
      return found.length > 0 ? found.map((mesh) => mesh.ready) : [capacity];
    }));
    this.ready = new DependencyGroup(this.manifest);
  }
}

const APPLICATION_NAMESPACE_BRAND = Symbol.for('@zero-trust/platform-constructs.ApplicationNamespace');

function validateNamespaceProps(scope: Construct, props: ApplicationNamespaceProps): void {
  const fail = validationFailure('ApplicationNamespace', scope.node.path);
  const name = props.name;
  if (Token.isUnresolved(name)) {
    fail(`name is ${describeValue(name, scope)}: a namespace name must be known at synth (objects and policies are rendered with it). Fix: write the name literally, e.g. "orders".`);
  }
  if (!isDns1123Label(name)) {
    fail(`name ${describeValue(name)} is not a DNS-1123 label. Fix: use up to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit.`);
  }
  if (isReservedNamespaceName(name)) {
    fail(`name ${describeValue(name)} is reserved for the platform. Fix: choose a name that is not "default" and does not start with "kube-" or "istio-".`);
  }
  const { cpu, memoryGiB, pods } = props.quota;
  const q = { cpu: NAMESPACE_QUOTA_CPU, memory: NAMESPACE_QUOTA_MEMORY_GIB, pods: NAMESPACE_QUOTA_PODS };
  if (!(cpu >= q.cpu.min && cpu <= q.cpu.max && Number.isInteger(cpu * Math.round(1 / q.cpu.step)))) fail(`quota.cpu is ${describeValue(cpu, scope)}: must be ${q.cpu.min} to ${q.cpu.max} cores in steps of ${q.cpu.step}.`);
  if (!isIntBetween(memoryGiB, q.memory.min, q.memory.max)) fail(`quota.memoryGiB is ${describeValue(memoryGiB, scope)}: must be a whole number of GiB from ${q.memory.min} to ${q.memory.max}.`);
  if (!isIntBetween(pods, q.pods.min, q.pods.max)) fail(`quota.pods is ${describeValue(pods, scope)}: must be a whole number from ${q.pods.min} to ${q.pods.max}.`);
}
