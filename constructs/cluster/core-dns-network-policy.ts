import { networkPolicy } from './baseline-network-policies';
import { apiServerEgressRule } from './kubernetes-api-peers';
import { vpcResolverCidr } from '../network/vpc-addresses';

/** The EKS CoreDNS add-on's pods (the label every namespace's `allow-dns` policy selects). */
export const CORE_DNS_POD_LABELS: Readonly<Record<string, string>> = { 'k8s-app': 'kube-dns' };

const DNS_PORTS = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];

/**
 * The NetworkPolicy of CoreDNS in kube-system (it selects the CoreDNS pods only: kube-system is
 * EKS's namespace, and the add-ons that run there in the pod network are isolated one by one):
 *
 * - ingress DNS (UDP and TCP 53) from every pod of every namespace, and from the VPC's addresses
 *   (host-network pods, such as node agents with `ClusterFirstWithHostNet`, query from their
 *   node's address);
 * - egress DNS to the VPC's resolver (`forward . /etc/resolv.conf`: base of the VPC CIDR + 2; the
 *   whole VPC CIDR on port 53 when the CIDR is not a literal), and HTTPS to the API server
 *   (CoreDNS watches Services and EndpointSlices). Nothing else.
 *
 * Health and readiness probes come from the pod's own node, which the VPC CNI policy agent always
 * admits.
 */
export function coreDnsNetworkPolicy(vpcCidr: string): Record<string, unknown> {
  return networkPolicy('kube-system', 'coredns', {
    podSelector: { matchLabels: { ...CORE_DNS_POD_LABELS } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [{ namespaceSelector: {} }, { ipBlock: { cidr: vpcCidr } }], ports: DNS_PORTS }],
    egress: [
      { to: [{ ipBlock: { cidr: vpcResolverCidr(vpcCidr) ?? vpcCidr } }], ports: DNS_PORTS },
      apiServerEgressRule(vpcCidr),
    ],
  });
}
