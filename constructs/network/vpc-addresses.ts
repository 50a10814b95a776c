/**
 * Addresses of a VPC that NetworkPolicies name (internal to the library): the VPC's CIDR as a
 * literal where synth can know it, and the VPC's DNS resolver.
 */
import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { parseIpv4Cidr } from './cidr';

/**
 * The VPC's IPv4 CIDR: a literal when synth knows it (the attribute of an imported VPC, or the
 * CidrBlock of a VPC built in this app, e.g. by a ZeroTrustVpc), else the deploy-time value.
 * A literal keeps rules reviewable in the template and lets addresses inside it be derived.
 */
export function vpcCidrOf(vpc: ec2.IVpc): string {
  const attribute = vpc.vpcCidrBlock;
  if (!Token.isUnresolved(attribute)) return attribute;
  const resource = vpc.node.defaultChild;
  if (resource instanceof ec2.CfnVPC && typeof resource.cidrBlock === 'string' && !Token.isUnresolved(resource.cidrBlock)) return resource.cidrBlock;
  return attribute;
}

/**
 * The Amazon-provided DNS resolver of a VPC, `<base of the primary CIDR> + 2` as a /32, which
 * EKS nodes' `/etc/resolv.conf` (and so CoreDNS's `forward . /etc/resolv.conf`) name; undefined
 * when the CIDR is not a literal.
 */
export function vpcResolverCidr(vpcCidr: string): string | undefined {
  const parsed = Token.isUnresolved(vpcCidr) ? undefined : parseIpv4Cidr(vpcCidr);
  if (!parsed) return undefined;
  const address = parsed.base + 2;
  return `${[24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join('.')}/32`;
}
