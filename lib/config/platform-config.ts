/**
 * The typed configuration of one platform environment.
 *
 * Every deployable setting lives here; stacks and constructs receive typed values derived
 * from it and never read the environment themselves. Defaults per environment are in
 * `environments.ts`; overrides come from cdk context (`cdk.json` or `-c`), see `load-config.ts`.
 */

/** How much the data handled by the environment must be protected (drives tags and reviews). */
export type DataClassification = 'public' | 'internal' | 'confidential' | 'restricted';

/** What happens to stateful resources (keys, logs, databases) when they leave the stack. */
export type StatefulRemovalPolicy = 'retain' | 'snapshot' | 'destroy';

/** Who can reach the Kubernetes API server. */
export type ApiEndpointAccess = 'private' | 'public-and-private';

export interface NetworkConfig {
  /** IPv4 CIDR of the VPC: an RFC 1918 range between /16 and /20. */
  readonly vpcCidr: string;
  /** How many Availability Zones to spread subnets over (2 to 4). */
  readonly maxAzs: number;
  /**
   * Explicit Availability Zone names. Required when `region` is set, so synth never
   * looks AZs up in the account; leave unset for an environment-agnostic synth.
   */
  readonly availabilityZones?: string[];
  /** NAT gateways for egress from private subnets (1 to maxAzs; prod: one per AZ). */
  readonly natGateways: number;
  /** Days to keep VPC flow logs (a CloudWatch Logs retention value). */
  readonly flowLogRetentionDays: number;
}

export interface NodePoolConfig {
  /** EC2 instance types for the managed node group, e.g. `m7i.large`. */
  readonly instanceTypes: string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** Root volume size of each node in GiB. */
  readonly diskSizeGiB: number;
}

export interface ClusterConfig {
  /** Kubernetes minor version, e.g. `1.36`; must have a matching kubectl layer. */
  readonly kubernetesVersion: string;
  /** `private` (default) or `public-and-private` with an explicit CIDR allow-list. */
  readonly endpointAccess: ApiEndpointAccess;
  /** CIDRs allowed to reach a public endpoint; must be empty when the endpoint is private. */
  readonly publicAccessCidrs: string[];
  /** IAM role ARNs granted cluster-admin through EKS access entries. */
  readonly adminRoleArns: string[];
  /** IAM role ARNs granted read-only cluster access through EKS access entries. */
  readonly viewerRoleArns: string[];
  /** Days to keep control-plane logs. */
  readonly controlPlaneLogRetentionDays: number;
  readonly nodePool: NodePoolConfig;
}

export interface PlatformTags {
  /** Team that owns the environment (a mail alias or team id). */
  readonly owner: string;
  readonly costCenter: string;
  readonly dataClassification: DataClassification;
}

export interface PlatformConfig {
  /** Environment key selected with `-c env=<envName>`. */
  readonly envName: string;
  /** Short lowercase name used as prefix for stacks and named resources. */
  readonly name: string;
  /** Target AWS account; unset for an environment-agnostic synth. */
  readonly account?: string;
  /** Target AWS region; unset for an environment-agnostic synth. */
  readonly region?: string;
  readonly network: NetworkConfig;
  readonly cluster: ClusterConfig;
  /** Removal policy of stateful resources; prod must retain. */
  readonly removalPolicy: StatefulRemovalPolicy;
  readonly tags: PlatformTags;
}
