/**
 * The AWS side of a service's pods (EKS security groups for pods, ADR 0019): the rules of the
 * security group a SecurityGroupPolicy gives them, besides their database and cache. With the VPC
 * CNI in `standard` mode the group decides the pods' traffic with other hosts of the VPC; traffic
 * with their own node (kubelet probes, the Pod Identity agent) never reaches it.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ISTIO_PROXY_HEALTH_PORT, ISTIOD_XDS_PORT } from '../cluster/baseline-network-policies';
import { ISTIO_MERGED_METRICS_PORT } from '../observability/cluster-metrics-scraper';

/** CoreDNS's port (UDP, and TCP for large answers). */
export const DNS_PORT = 53;

/** What a service's pods exchange with the rest of the cluster, on the AWS side. */
export interface ServicePodTraffic {
  /**
   * The cluster security group: the nodes, and every pod without its own group (CoreDNS, istiod,
   * the ingress gateway, the collectors, the kubelet on another node).
   */
  readonly cluster: ec2.ISecurityGroup;
  /** The port the pods serve on (the gateway and mesh callers reach it; the NetworkPolicy and AuthorizationPolicy narrow who). */
  readonly appPort: number;
  /** OTLP ports of the trace collector the pods export to; none without tracing. */
  readonly traceCollectorPorts: readonly number[];
  /** CIDRs of a metrics scraper outside the cluster (on the sidecar's merged metrics port). */
  readonly scraperCidrs: readonly string[];
}

/**
 * Adds to `pods` (the service's pod security group) exactly what the pods need besides their data
 * stores, each rule naming its peer (no CIDR but a scraper's):
 *
 * - in, from the cluster security group: the app port (gateway, mesh callers), the status port
 *   15020 (rewritten app probes, merged metrics) and 15021 (the sidecar's probes), so probes pass
 *   even when the kubelet's traffic does cross the group;
 * - out, to the cluster security group: DNS (UDP and TCP 53, CoreDNS), istiod (15012, xDS and
 *   certificates) and the trace collector's OTLP ports; the cluster group admits them from `pods`.
 */
export function allowClusterTraffic(pods: ec2.Connections, traffic: ServicePodTraffic): void {
  const cluster: ec2.IConnectable = { connections: new ec2.Connections({ securityGroups: [traffic.cluster] }) };
  pods.allowFrom(cluster, ec2.Port.tcp(traffic.appPort), 'Gateway and mesh callers to the app port');
  pods.allowFrom(cluster, ec2.Port.tcp(ISTIO_MERGED_METRICS_PORT), 'Kubelet probes and metrics scrapers to the Istio status port');
  pods.allowFrom(cluster, ec2.Port.tcp(ISTIO_PROXY_HEALTH_PORT), 'Kubelet probes to the Istio sidecar health port');
  for (const cidr of traffic.scraperCidrs) {
    pods.allowFrom(ec2.Peer.ipv4(cidr), ec2.Port.tcp(ISTIO_MERGED_METRICS_PORT), 'Metrics scraper outside the cluster to the Istio status port');
  }
  pods.allowTo(cluster, ec2.Port.udp(DNS_PORT), 'DNS to CoreDNS');
  pods.allowTo(cluster, ec2.Port.tcp(DNS_PORT), 'DNS over TCP to CoreDNS');
  pods.allowTo(cluster, ec2.Port.tcp(ISTIOD_XDS_PORT), 'Sidecar to istiod for configuration and certificates');
  for (const port of traffic.traceCollectorPorts) {
    pods.allowTo(cluster, ec2.Port.tcp(port), 'Spans to the trace collector');
  }
}
