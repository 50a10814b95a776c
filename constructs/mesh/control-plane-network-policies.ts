import { baselineNetworkPolicies, ISTIOD_XDS_PORT, networkPolicy } from '../cluster/baseline-network-policies';
import { apiServerEgressRule, apiServerIngressPeers } from '../cluster/kubernetes-api-peers';
import { scrapeSourcePeer, type MetricsScrapeSource } from '../observability/scrape-source';

/** istiod's port for its admission webhooks (sidecar injection, config validation); the Service maps 443 to it. */
export const ISTIOD_WEBHOOK_PORT = 15017;

/** istiod's own Prometheus metrics (the port its pods' `prometheus.io/port` annotation names). */
export const ISTIOD_MONITORING_PORT = 15014;

/** istiod's pods (the chart's `app: istiod`, also what every meshed namespace's `allow-mesh-control-plane` selects). */
export const ISTIOD_POD_LABELS: Readonly<Record<string, string>> = { app: 'istiod' };

/** Namespaces whose pods carry a sidecar or gateway proxy: the ones labelled for injection. */
const MESHED_NAMESPACES = { matchLabels: { 'istio-injection': 'enabled' } };

const tcp = (port: number) => ({ protocol: 'TCP', port });

/**
 * The NetworkPolicies of the mesh root namespace (istio-system): default deny for every pod, DNS,
 * and for istiod exactly what it serves and calls:
 *
 * - ingress 15012 (xDS and workload certificates) from the pods of meshed namespaces
 *   (`istio-injection: enabled`: the application namespaces, the ingress gateway's, the trace
 *   collector's);
 * - ingress 15017 (the injection and validation webhooks; the `istiod` Service's 443 is
 *   translated to it before it reaches the pod) from the API server, i.e. the VPC's addresses;
 * - egress 443 to the API server (the `kubernetes` Service address and the VPC's CIDR).
 *
 * Not affected: the istio-cni node agent runs in the host network, which NetworkPolicies do not
 * govern; probes come from the pod's own node, which the VPC CNI policy agent always admits. The
 * charts' own optional NetworkPolicies (`global.networkPolicy`, which allow all egress) stay off.
 */
export function meshControlPlaneNetworkPolicies(root: string, vpcCidr: string): Record<string, unknown>[] {
  const istiod = { matchLabels: { ...ISTIOD_POD_LABELS } };
  return [
    ...baselineNetworkPolicies(root),
    networkPolicy(root, 'istiod-from-meshed-workloads', {
      podSelector: istiod,
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: MESHED_NAMESPACES }], ports: [tcp(ISTIOD_XDS_PORT)] }],
    }),
    networkPolicy(root, 'istiod-from-api-server', {
      podSelector: istiod,
      policyTypes: ['Ingress'],
      ingress: [{ from: apiServerIngressPeers(vpcCidr), ports: [tcp(ISTIOD_WEBHOOK_PORT)] }],
    }),
    networkPolicy(root, 'istiod-to-api-server', {
      podSelector: istiod,
      policyTypes: ['Egress'],
      egress: [apiServerEgressRule(vpcCidr)],
    }),
  ];
}

/** The policy admitting metrics scrapers (e.g. `MetricsCollector.scrapeSource`) to istiod's monitoring port. */
export function meshControlPlaneScrapePolicy(root: string, name: string, sources: readonly MetricsScrapeSource[]): Record<string, unknown> {
  return networkPolicy(root, name, {
    podSelector: { matchLabels: { ...ISTIOD_POD_LABELS } },
    policyTypes: ['Ingress'],
    ingress: [{ from: sources.map(scrapeSourcePeer), ports: [tcp(ISTIOD_MONITORING_PORT)] }],
  });
}
