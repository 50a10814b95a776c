import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { describeValue } from '../core/validation';

/**
 * Refuses data-store subnets with a route to or from the internet: the VPC's public subnets
 * (internet gateway) and its private subnets with egress (NAT; the nodes' and pods' "Workloads"
 * subnets of a ZeroTrustVpc). Databases and caches belong in isolated subnets. Subnets the VPC
 * does not list (given one by one) cannot be told apart and pass.
 *
 * @param what `database` or `cache`, for the message
 */
export function refuseRoutedDataSubnets(fail: (message: string) => never, scope: IConstruct, what: string, vpc: ec2.IVpc, selected: ec2.ISubnet[]): void {
  const isolatedFix = `Fix: place the ${what} in isolated subnets (the default vpcSubnets, SubnetType.PRIVATE_ISOLATED: the "Data" subnets of a ZeroTrustVpc).`;
  const ids = (subnets: ec2.ISubnet[]) => new Set(subnets.map((s) => s.subnetId));
  const publicIds = ids(vpc.publicSubnets);
  const publicSelected = selected.filter((s) => publicIds.has(s.subnetId)).map((s) => s.subnetId);
  if (publicSelected.length > 0) {
    fail(`vpcSubnets selects public subnets ${describeValue(publicSelected, scope)}: a ${what} there has a route from the internet. ${isolatedFix}`);
  }
  const egressIds = ids(vpc.privateSubnets);
  const egressSelected = selected.filter((s) => egressIds.has(s.subnetId)).map((s) => s.subnetId);
  if (egressSelected.length > 0) {
    fail(`vpcSubnets selects private subnets with egress (where the workloads run) ${describeValue(egressSelected, scope)}: a ${what} there shares a routed network with the pods. ${isolatedFix}`);
  }
}

/** The subnets' CIDRs; fails, naming the subnet, when one was imported without its CIDR. */
export function subnetCidrs(fail: (message: string) => never, scope: IConstruct, setting: string, subnets: ec2.ISubnet[]): string[] {
  return subnets.map((subnet) => {
    let cidr: string | undefined;
    try {
      cidr = subnet.ipv4CidrBlock;
    } catch {
      cidr = undefined;
    }
    if (cidr === undefined) {
      fail(`${setting} has subnet ${describeValue(subnet.subnetId, scope)} without an IPv4 CIDR (imported without ipv4CidrBlock), so no NetworkPolicy can name it. Fix: import the VPC with its subnet CIDRs (ZeroTrustVpc.fromVpcAttributes, or isolatedSubnetIpv4CidrBlocks in ec2.Vpc.fromVpcAttributes).`);
    }
    return cidr!;
  });
}
