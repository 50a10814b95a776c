/**
 * EKS security groups for pods, the cluster's side (ADR 0019): what the VPC CNI and the cluster
 * role need so that a pod selected by a `SecurityGroupPolicy` runs on its own branch network
 * interface with its own security groups, and which node instance types can carry such pods.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Token } from 'aws-cdk-lib';
import { describeValue } from '../core/validation';
import { isTrunkingCompatible, TRUNK_INSTANCE_TYPES_SOURCE } from './trunk-instance-types';

/**
 * The VPC CNI (`aws-node`) environment that turns security groups for pods on:
 *
 * - `ENABLE_POD_ENI`: the VPC resource controller attaches a trunk interface to each node and one
 *   branch interface, with the policy's groups, to each selected pod;
 * - `POD_SECURITY_GROUP_ENFORCING_MODE: standard`: the pod's groups apply to its traffic with
 *   other hosts in the VPC (databases, caches, pods on other nodes); traffic with its own node
 *   (kubelet probes, the Pod Identity agent at 169.254.170.23) stays on the node, as for any pod.
 *   `strict` sends even that through the branch interface, which drops link-local traffic (the Pod
 *   Identity agent) and needs `DISABLE_TCP_EARLY_DEMUX` for kubelet probes;
 * - `AWS_VPC_K8S_CNI_EXTERNALSNAT: true`: pods keep their own address towards destinations outside
 *   the VPC (the subnet's NAT gateway, if any, translates), so the pod's groups, not the node's,
 *   decide those too; the nodes run in private subnets only.
 */
export const SECURITY_GROUPS_FOR_PODS_CNI_ENV: Readonly<Record<string, string>> = {
  ENABLE_POD_ENI: 'true',
  POD_SECURITY_GROUP_ENFORCING_MODE: 'standard',
  AWS_VPC_K8S_CNI_EXTERNALSNAT: 'true',
};

/** The AWS managed policy the cluster role needs to manage trunk and branch network interfaces. */
export const VPC_RESOURCE_CONTROLLER_POLICY = 'AmazonEKSVPCResourceController';

/**
 * The node instance types that cannot carry pods with their own security groups (no trunk
 * interface, e.g. every `t` type, or a type newer than `TRUNK_INSTANCE_TYPES_SOURCE`), as a
 * validation message, or `undefined` when every type can. Unresolved tokens are skipped.
 */
export function untrunkableInstanceTypesMessage(setting: string, instanceTypes: readonly (ec2.InstanceType | string)[]): string | undefined {
  const names = instanceTypes.map((type) => type.toString()).filter((name) => !Token.isUnresolved(name));
  const refused = names.filter((name) => !isTrunkingCompatible(name));
  if (refused.length === 0) return undefined;
  return `${setting} has ${refused.map((name) => describeValue(name)).join(', ')}, which cannot attach a trunk network interface: `
    + 'pods with their own security group (every StatelessService\'s pods; its database and cache admit only that group) would never be scheduled on such a node. '
    + `Fix: use instance types listed with IsTrunkingCompatible: true in ${TRUNK_INSTANCE_TYPES_SOURCE}, e.g. "m7i.large" or "m6i.large" (no "t" type is).`;
}
