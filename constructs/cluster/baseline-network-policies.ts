/**
 * The NetworkPolicy building blocks every guarded namespace starts from (application
 * namespaces, the mesh gateway, platform controllers): deny everything, then allow DNS, and the
 * mesh control plane for meshed namespaces. Plain objects, so any manifest or chart can use them.
 */

/** Where the EKS Pod Identity agent serves credentials on every node (link-local). */
export const POD_IDENTITY_AGENT = { address: '169.254.170.23', cidr: '169.254.170.23/32', port: 80 } as const;

/** istiod's port for xDS configuration and workload certificates. */
export const ISTIOD_XDS_PORT = 15012;

/**
 * Port of the Istio proxy's readiness endpoint (`/healthz/ready`): the kubelet probes sidecars on it,
 * and the load balancer health-checks the ingress gateway on it.
 */
export const ISTIO_PROXY_HEALTH_PORT = 15021;

/** A `networking.k8s.io/v1` NetworkPolicy object. */
export function networkPolicy(namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/**
 * `default-deny` (all ingress and egress of every pod), `allow-dns` (egress to kube-system
 * pods `k8s-app: kube-dns`, UDP and TCP 53) and, with `meshNamespace`,
 * `allow-mesh-control-plane` (egress to its `app: istiod` pods on TCP 15012).
 */
export function baselineNetworkPolicies(namespace: string, options: { readonly meshNamespace?: string } = {}): Record<string, unknown>[] {
  const policies = [
    networkPolicy(namespace, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    networkPolicy(namespace, 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      }],
    }),
  ];
  if (options.meshNamespace) {
    policies.push(networkPolicy(namespace, 'allow-mesh-control-plane', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': options.meshNamespace } }, podSelector: { matchLabels: { app: 'istiod' } } }],
        ports: [{ protocol: 'TCP', port: ISTIOD_XDS_PORT }],
      }],
    }));
  }
  return policies;
}
