/**
 * Where the cluster's own machinery may send traffic, by security group (internal to the
 * library): the kubectl handler and the control plane's network interfaces. Every peer is named;
 * nothing goes to 0.0.0.0/0.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { allowHttpsToAwsApis, type IAwsApiEndpoints } from '../network/aws-api-endpoints';
import { vpcCidrOf } from '../network/vpc-addresses';
import { KUBERNETES_API_PORT } from './kubernetes-api-peers';

/**
 * The kubectl handler's egress: HTTPS to the API server's private endpoint (its network
 * interfaces carry the cluster security group), to the AWS APIs through the VPC's interface
 * endpoints (EKS `DescribeCluster`, ECR for OCI charts) and to S3 through the gateway endpoint
 * (chart assets, ECR layers). Without `endpoints` (a VPC not built by a ZeroTrustVpc), HTTPS to
 * the VPC's CIDR instead: the interface endpoints are in it, S3 is not.
 */
export function restrictKubectlHandlerEgress(securityGroup: ec2.ISecurityGroup, cluster: eks.ICluster, vpc: ec2.IVpc, endpoints: IAwsApiEndpoints | undefined): void {
  securityGroup.addEgressRule(cluster.clusterSecurityGroup, ec2.Port.tcp(KUBERNETES_API_PORT), 'HTTPS to the API server (private endpoint)');
  if (endpoints) allowHttpsToAwsApis(securityGroup, endpoints);
  else securityGroup.addEgressRule(ec2.Peer.ipv4(vpcCidrOf(vpc)), ec2.Port.tcp(443), 'HTTPS to AWS APIs through interface endpoints in the VPC');
}

/** CDK's egress rule that matches no traffic: it replaces EC2's default allow-all egress of a group. */
const NO_TRAFFIC: ec2.CfnSecurityGroup.EgressProperty = { cidrIp: '255.255.255.255/32', description: 'Disallow all traffic', ipProtocol: 'icmp', fromPort: 252, toPort: 86 };

/**
 * The egress of the control-plane security group aws-eks-v2 creates (`ControlPlaneSecurityGroup`,
 * on the control plane's network interfaces, created with all outbound traffic allowed): TCP to
 * the cluster security group only, i.e. to the nodes and pods (kubelet, admission webhooks,
 * aggregated APIs, on whatever port a chart gives them). The group and its id stay (no
 * replacement of the group or the cluster): its allow-all rule is replaced in place.
 *
 * EKS puts its own cluster security group on the same interfaces, with an allow-all egress rule
 * EKS manages outside the template; this rule states what the control plane needs, should that
 * one be narrowed.
 */
export function restrictControlPlaneEgress(cluster: eks.Cluster): void {
  const group = cluster.node.tryFindChild('ControlPlaneSecurityGroup');
  if (!(group instanceof ec2.SecurityGroup)) return;
  (group.node.defaultChild as ec2.CfnSecurityGroup).addPropertyOverride('SecurityGroupEgress', [{
    CidrIp: NO_TRAFFIC.cidrIp, Description: NO_TRAFFIC.description, IpProtocol: NO_TRAFFIC.ipProtocol, FromPort: NO_TRAFFIC.fromPort, ToPort: NO_TRAFFIC.toPort,
  }]);
  new ec2.CfnSecurityGroupEgress(group, 'ToClusterSecurityGroup', {
    groupId: group.securityGroupId,
    destinationSecurityGroupId: cluster.clusterSecurityGroupId,
    ipProtocol: 'tcp',
    fromPort: 0,
    toPort: 65535,
    description: 'Control plane to nodes and pods: kubelet, admission webhooks, aggregated APIs',
  });
}
