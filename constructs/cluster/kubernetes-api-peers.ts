/**
 * The Kubernetes API server of an EKS cluster as NetworkPolicies see it (internal to the library):
 * pods call it at the `kubernetes` Service address, the control plane calls webhooks from its
 * network interfaces in the VPC. Shared by every policy that admits one or the other, so they
 * cannot disagree.
 */
import { Token } from 'aws-cdk-lib';
import { cidrContains, parseIpv4Cidr } from '../network/cidr';

/** TCP port of the EKS API server: its private endpoint and the `kubernetes` Service. */
export const KUBERNETES_API_PORT = 443;

const TEN_SLASH_EIGHT = parseIpv4Cidr('10.0.0.0/8')!;
/** First address of 172.20.0.0/16, the range EKS gives services when the VPC is in 10.0.0.0/8. */
const SERVICE_ADDRESS_IN_172_20 = '172.20.0.1/32';
/** First address of 10.100.0.0/16, the range EKS gives services otherwise. */
const SERVICE_ADDRESS_IN_10_100 = '10.100.0.1/32';

/**
 * The address of the `kubernetes` Service of an EKS cluster created without `serviceIpv4Cidr`
 * (as PlatformCluster creates it): the first address of the range EKS assigns, 172.20.0.0/16 when
 * the VPC's CIDR is in 10.0.0.0/8 and 10.100.0.0/16 otherwise (the EKS API documents the two
 * ranges; the EKS node bootstrap derives the cluster DNS address by the same rule). When the VPC
 * CIDR is not a literal, both addresses.
 */
export function kubernetesServiceCidrs(vpcCidr: string): string[] {
  const parsed = Token.isUnresolved(vpcCidr) ? undefined : parseIpv4Cidr(vpcCidr);
  if (!parsed) return [SERVICE_ADDRESS_IN_172_20, SERVICE_ADDRESS_IN_10_100];
  return [cidrContains(TEN_SLASH_EIGHT, parsed) ? SERVICE_ADDRESS_IN_172_20 : SERVICE_ADDRESS_IN_10_100];
}

/**
 * The NetworkPolicy egress rule to the API server: TCP 443 to the `kubernetes` Service address,
 * which is what the VPC CNI policy agent sees (it filters on the pod's network interface, before
 * kube-proxy translates a Service address: the network policy controller's own
 * `getMatchingServiceClusterIPs` exists for that reason), and to the VPC's CIDR, where the
 * control plane's network interfaces are (what the private endpoint's DNS name resolves to, and
 * the Service's endpoints after translation).
 */
export function apiServerEgressRule(vpcCidr: string): Record<string, unknown> {
  return {
    to: [...kubernetesServiceCidrs(vpcCidr), vpcCidr].map((cidr) => ({ ipBlock: { cidr } })),
    ports: [{ protocol: 'TCP', port: KUBERNETES_API_PORT }],
  };
}

/**
 * NetworkPolicy peers for calls from the API server (admission webhooks, aggregated APIs): the VPC
 * CIDR, where EKS puts the control plane's network interfaces (in the cluster's subnets, next to
 * the pods, so no narrower address range tells them apart; the port does).
 */
export function apiServerIngressPeers(vpcCidr: string): Record<string, unknown>[] {
  return [{ ipBlock: { cidr: vpcCidr } }];
}
