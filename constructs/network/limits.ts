/**
 * The ranges `ZeroTrustVpc` accepts, exported so a configuration layer checks the same numbers
 * instead of a copy of them. Each is inclusive.
 */

/** Availability Zones a `ZeroTrustVpc` spreads over: EKS needs subnets in at least two. */
export const VPC_AZ_COUNT = { min: 2, max: 4 } as const;

/** Prefix length of the VPC CIDR: /16 to /20, room for pod IPs (VPC CNI) in every AZ. */
export const VPC_CIDR_PREFIX = { min: 16, max: 20 } as const;

/**
 * NAT gateways: at least this many (none: the private subnets have no route to the internet); at
 * most one per Availability Zone.
 */
export const VPC_MIN_NAT_GATEWAYS = 0;
