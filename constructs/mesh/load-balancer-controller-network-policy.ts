import { networkPolicy, POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';
import { CORE_DNS_POD_LABELS } from '../cluster/core-dns-network-policy';
import { apiServerEgressRule, apiServerIngressPeers } from '../cluster/kubernetes-api-peers';

/** The controller's admission webhook port (the chart's `webhookBindPort`; its Service maps 443 to it). */
export const LOAD_BALANCER_CONTROLLER_WEBHOOK_PORT = 9443;

/**
 * The NetworkPolicy of the AWS Load Balancer Controller's pods in kube-system (it selects them
 * only, as kube-system is EKS's namespace): ingress from the API server to the webhook port;
 * egress to CoreDNS, to the Pod Identity agent for credentials, and HTTPS to the API server and
 * to the VPC's addresses, where the ELB and EC2 interface endpoints it calls are. Health probes
 * come from the pod's own node, which the VPC CNI policy agent always admits; its metrics port is
 * not scraped.
 */
export function loadBalancerControllerNetworkPolicy(namespace: string, podLabels: Readonly<Record<string, string>>, vpcCidr: string): Record<string, unknown> {
  return networkPolicy(namespace, 'aws-load-balancer-controller', {
    podSelector: { matchLabels: { ...podLabels } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: apiServerIngressPeers(vpcCidr), ports: [{ protocol: 'TCP', port: LOAD_BALANCER_CONTROLLER_WEBHOOK_PORT }] }],
    egress: [
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { ...CORE_DNS_POD_LABELS } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      },
      { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: 'TCP', port: POD_IDENTITY_AGENT.port }] },
      // The API server, and the ELB and EC2 interface endpoints (in the VPC's CIDR).
      apiServerEgressRule(vpcCidr),
    ],
  });
}
