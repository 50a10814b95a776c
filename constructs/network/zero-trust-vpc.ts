import { CfnResource, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { encryptedLogGroup, lambdaLogGroupName } from '../compliance/encrypted-log-group';
import { PlatformKey } from '../compliance/platform-key';
import { describeValue, isIntBetween, validationFailure } from '../core/validation';
import type { IAwsApiEndpoints } from './aws-api-endpoints';
import { cidrContains, isRfc1918, parseIpv4Cidr } from './cidr';
import { EndpointPerimeter } from './endpoint-policies';
import { VPC_AZ_COUNT, VPC_CIDR_PREFIX, VPC_MIN_NAT_GATEWAYS } from './limits';
import { S3PrefixList } from './s3-prefix-list';

/**
 * The interface endpoints every platform VPC gets, so nodes and pods reach the AWS APIs they
 * need without the internet: image pulls (ECR + S3 gateway), identity (STS, EKS Auth for Pod
 * Identity), the cluster API (EKS), VPC CNI (EC2), load balancers (ELB), logs and metrics
 * (CloudWatch, and Amazon Managed Prometheus queries for rollout analysis), traces (X-Ray, for the
 * trace collector), secrets and keys (Secrets Manager, KMS), and the Lambda API for
 * custom-resource provider functions in the isolated subnets (DatabaseBootstrap's provider
 * framework invokes its handler through it).
 */
export const PLATFORM_INTERFACE_ENDPOINTS: ReadonlyArray<{ readonly id: string; readonly service: ec2.InterfaceVpcEndpointAwsService }> = [
  { id: 'EcrApi', service: ec2.InterfaceVpcEndpointAwsService.ECR },
  { id: 'EcrDocker', service: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER },
  { id: 'Sts', service: ec2.InterfaceVpcEndpointAwsService.STS },
  { id: 'Logs', service: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS },
  { id: 'Monitoring', service: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING },
  { id: 'Eks', service: ec2.InterfaceVpcEndpointAwsService.EKS },
  { id: 'EksAuth', service: ec2.InterfaceVpcEndpointAwsService.EKS_AUTH },
  { id: 'Ec2', service: ec2.InterfaceVpcEndpointAwsService.EC2 },
  { id: 'ElasticLoadBalancing', service: ec2.InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING },
  { id: 'Kms', service: ec2.InterfaceVpcEndpointAwsService.KMS },
  { id: 'SecretsManager', service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER },
  { id: 'PrometheusWorkspaces', service: ec2.InterfaceVpcEndpointAwsService.PROMETHEUS_WORKSPACES },
  { id: 'Lambda', service: ec2.InterfaceVpcEndpointAwsService.LAMBDA },
  { id: 'XRay', service: ec2.InterfaceVpcEndpointAwsService.XRAY },
];

/** Properties of a `ZeroTrustVpc`. */
export interface ZeroTrustVpcProps {
  /**
   * IPv4 CIDR of the VPC, an RFC 1918 range from /16 to /20.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Number of Availability Zones (2 to 4). Ignored when `availabilityZones` is given.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * Explicit Availability Zone names. Give them for a stack with a concrete region, so synth
   * never looks zones up.
   * @default - the first `maxAzs` zones of the region, resolved at deploy time (`Fn::GetAZs`)
   */
  readonly availabilityZones?: string[];
  /**
   * NAT gateways for egress from the private (Workloads) subnets to the internet, 0 to the number
   * of AZs. With 0 the Workloads subnets have no default route: they reach the VPC, its interface
   * endpoints and S3 (gateway endpoint) only. Changing the number adds or removes NAT gateways,
   * their Elastic IPs and the default routes, never a subnet or route table (their ids and types
   * stay the same).
   * @default - one per Availability Zone
   */
  readonly natGateways?: number;
  /**
   * How long VPC flow logs are kept.
   * At least a year (Control Tower CT.CLOUDWATCH.PR.2).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * Key that encrypts the flow log group (and the log groups of the VPC's custom-resource
   * functions). The VPC adds to its policy a statement letting CloudWatch Logs use it for those
   * log groups only; an imported key needs that statement where it is defined.
   * @default - a new PlatformKey, usable by CloudWatch Logs for those log groups only
   */
  readonly flowLogKey?: kms.IKey;
  /**
   * Interface endpoints added on top of `PLATFORM_INTERFACE_ENDPOINTS` (a service already in that
   * list is not added twice).
   * @default - none
   */
  readonly additionalInterfaceEndpoints?: ec2.InterfaceVpcEndpointAwsService[];
  /**
   * AWS Organizations organization id (`o-...`): the endpoint policies then also admit that
   * organization's principals to its resources (`aws:PrincipalOrgID` and `aws:ResourceOrgID`).
   * @default - this account's principals and resources only
   */
  readonly organizationId?: string;
  /**
   * Accounts whose ECR repositories this account's principals may pull images from through the
   * ECR endpoints (pull actions only), e.g. the delivery pipeline's account. The region's Amazon
   * EKS add-on registry is always admitted.
   * @default - none: images of this account and the EKS add-ons only
   */
  readonly imageRegistryAccounts?: string[];
  /**
   * Account of the Amazon EKS add-on image registry of the VPC's region, whose images (VPC CNI,
   * kube-proxy, CoreDNS, Pod Identity agent) nodes pull through the ECR endpoints.
   * @default - the region's registry, from the table of the EKS user guide ("View Amazon container
   * image registries for Amazon EKS add-ons") built into the library; a region it lacks fails synth,
   * naming this setting
   */
  readonly eksAddonImageRegistryAccount?: string;
  /**
   * What happens to the flow log group and its key when they leave the stack.
   * @default RemovalPolicy.RETAIN - flow logs are audit evidence
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The id of the stack-wide provider aws-cdk-lib adds for `restrictDefaultSecurityGroup`. */
const RESTRICT_DEFAULT_SG_PROVIDER = 'Custom::VpcRestrictDefaultSGCustomResourceProvider';

/** Subnet group names: a contract for consumers selecting subnets by name. */
export const SUBNET_GROUPS = { ingress: 'Ingress', workloads: 'Workloads', data: 'Data' } as const;

/** One existing subnet, for `ZeroTrustVpc.fromVpcAttributes`. */
export interface ZeroTrustSubnetAttributes {
  /** The subnet id, e.g. `subnet-0a1b2c3d4e5f60718`. */
  readonly subnetId: string;
  /**
   * The subnet's IPv4 CIDR, a literal inside the VPC's: NetworkPolicies and ServiceEntries of the
   * services that use a database or cache in it name it.
   */
  readonly ipv4CidrBlock: string;
  /**
   * The subnet's route table.
   * @default - unknown (nothing that needs it can be added to the imported VPC)
   */
  readonly routeTableId?: string;
}

/**
 * An existing VPC laid out like a ZeroTrustVpc (public Ingress, private Workloads and isolated
 * Data subnets, one subnet of each tier per Availability Zone), for `ZeroTrustVpc.fromVpcAttributes`.
 */
export interface ZeroTrustVpcAttributes {
  /** The VPC id. */
  readonly vpcId: string;
  /** The VPC's IPv4 CIDR, a literal (the mesh gateway and the data subnets are checked against it). */
  readonly vpcCidrBlock: string;
  /** The Availability Zones of the subnets, 2 to 4; each subnet list follows this order. */
  readonly availabilityZones: string[];
  /**
   * Public subnets (load balancers, NAT gateways), one per zone.
   * @default - none
   */
  readonly ingressSubnets?: ZeroTrustSubnetAttributes[];
  /**
   * Private subnets (nodes, pods, the kubectl handler; a route to NAT gateways, if any), one per zone.
   * @default - none (no cluster can be placed in the VPC)
   */
  readonly workloadSubnets?: ZeroTrustSubnetAttributes[];
  /**
   * Isolated subnets without any route out (databases, caches), one per zone.
   * @default - none (no database or cache can be placed in the VPC)
   */
  readonly dataSubnets?: ZeroTrustSubnetAttributes[];
}

/**
 * A VPC with no inbound path from the internet except load balancers in the public subnets.
 *
 * - `Ingress` public subnets only hold NAT gateways and load balancers; no public IPs on launch.
 * - `Workloads` private subnets (the largest) hold nodes and pods; egress to the internet only
 *   through NAT gateways, and none at all with `natGateways: 0`.
 * - `Data` isolated subnets hold databases and caches; no route out at all.
 * - The default security group is stripped of every rule, flow logs (all traffic) go to a
 *   KMS-encrypted log group, and AWS APIs are reached through VPC endpoints whose security group
 *   admits HTTPS from inside the VPC only. Security groups name those endpoints
 *   (`endpointSecurityGroup`, `s3PrefixList`: `allowHttpsToAwsApis`) instead of 0.0.0.0/0.
 * - Every endpoint has a policy (a data perimeter): only this account's principals, acting on this
 *   account's resources (or the organization's, with `organizationId`), plus the few AWS-owned
 *   resources the platform needs (EKS add-on images, ECR layers, CloudFormation responses).
 */
export class ZeroTrustVpc extends Construct implements ec2.IConnectable, IAwsApiEndpoints {
  /** True for a ZeroTrustVpc (also one built by another copy of this library). */
  static isZeroTrustVpc(x: unknown): x is ZeroTrustVpc {
    return typeof x === 'object' && x !== null && ZERO_TRUST_VPC_BRAND in x;
  }

  /**
   * The endpoints (interface endpoints' security group, S3 prefix list) of the ZeroTrustVpc that
   * built `vpc` in this app, or undefined for any other VPC (imported ones included: give those
   * `AwsApiEndpoints.fromAttributes`). Constructs that take an `ec2.IVpc` use it to name the
   * endpoints in their egress rules by default.
   */
  static apiEndpointsOf(vpc: ec2.IVpc): IAwsApiEndpoints | undefined {
    const owner = vpc.node.scope;
    return ZeroTrustVpc.isZeroTrustVpc(owner) && owner.vpc === vpc ? owner : undefined;
  }

  /**
   * An existing VPC laid out like a ZeroTrustVpc, as the `ec2.IVpc` every construct of the
   * library takes: its subnet groups carry the names of `SUBNET_GROUPS` and its subnets their
   * CIDRs (a service's NetworkPolicy to a database names the database's subnets). Nothing is
   * created and nothing is looked up; bad attributes fail synth, naming the attribute.
   */
  static fromVpcAttributes(scope: Construct, id: string, attrs: ZeroTrustVpcAttributes): ec2.IVpc {
    validateImportedVpc(scope, `${scope.node.path}/${id}`, attrs);
    const tier = (subnets: ZeroTrustSubnetAttributes[] | undefined, name: string) => subnets?.length ? {
      ids: subnets.map((s) => s.subnetId),
      names: [name],
      routeTableIds: subnets.every((s) => s.routeTableId !== undefined) ? subnets.map((s) => s.routeTableId!) : undefined,
      cidrs: subnets.map((s) => s.ipv4CidrBlock),
    } : undefined;
    const ingress = tier(attrs.ingressSubnets, SUBNET_GROUPS.ingress);
    const workloads = tier(attrs.workloadSubnets, SUBNET_GROUPS.workloads);
    const data = tier(attrs.dataSubnets, SUBNET_GROUPS.data);
    return ec2.Vpc.fromVpcAttributes(scope, id, {
      vpcId: attrs.vpcId,
      vpcCidrBlock: attrs.vpcCidrBlock,
      availabilityZones: attrs.availabilityZones,
      publicSubnetIds: ingress?.ids,
      publicSubnetNames: ingress?.names,
      publicSubnetRouteTableIds: ingress?.routeTableIds,
      publicSubnetIpv4CidrBlocks: ingress?.cidrs,
      privateSubnetIds: workloads?.ids,
      privateSubnetNames: workloads?.names,
      privateSubnetRouteTableIds: workloads?.routeTableIds,
      privateSubnetIpv4CidrBlocks: workloads?.cidrs,
      isolatedSubnetIds: data?.ids,
      isolatedSubnetNames: data?.names,
      isolatedSubnetRouteTableIds: data?.routeTableIds,
      isolatedSubnetIpv4CidrBlocks: data?.cidrs,
    });
  }

  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** Log group receiving the flow logs of every ENI in the VPC. */
  readonly flowLogGroup: logs.ILogGroup;
  /** Key encrypting the flow logs and the logs of the VPC's custom-resource functions. */
  readonly flowLogKey: kms.IKey;
  /** Security group of the interface endpoints (ingress 443 from the VPC CIDR only). */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
  /** The interface endpoints by id (e.g. `Sts`, `EcrApi`). */
  readonly interfaceEndpoints: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;
  /**
   * The AWS-managed prefix list of S3 in the region: the addresses the S3 gateway endpoint routes
   * (resolved at deploy time, see `S3PrefixList`).
   */
  readonly s3PrefixList: ec2.IPrefixList;
  /** Connections of the endpoint security group. */
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: ZeroTrustVpcProps = {}) {
    super(scope, id);
    Object.defineProperty(this, ZERO_TRUST_VPC_BRAND, { value: true });
    const cidr = props.cidr ?? '10.0.0.0/16';
    const { prefix, azCount } = validateVpcProps(this, cidr, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Env-agnostic stacks only know two AZ tokens; select more explicitly so no lookup happens.
    const availabilityZones = props.availabilityZones ?? Array.from({ length: azCount }, (_, i) => Fn.select(i, Fn.getAzs()));
    this.vpc = withStackAvailabilityZones(Stack.of(this), availabilityZones, () => new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      availabilityZones,
      natGateways: props.natGateways ?? azCount,
      restrictDefaultSecurityGroup: true,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      subnetConfiguration: [
        // Masks scale with the VPC: private subnets get an eighth of it each, others a 64th.
        { name: SUBNET_GROUPS.ingress, subnetType: ec2.SubnetType.PUBLIC, cidrMask: prefix + 6, mapPublicIpOnLaunch: false },
        { name: SUBNET_GROUPS.workloads, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: prefix + 3 },
        { name: SUBNET_GROUPS.data, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: prefix + 6 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
    }));
    // Explicit availabilityZones put literal zone names on the subnets (cfn-lint W3010): the
    // library's registry acknowledges that on each subnet (LIBRARY_ACKNOWLEDGMENTS).
    // Tags the AWS Load Balancer Controller and Istio's gateway use to place load balancers.
    for (const subnet of this.vpc.publicSubnets) tagSubnet(subnet, 'kubernetes.io/role/elb');
    for (const subnet of this.vpc.privateSubnets) tagSubnet(subnet, 'kubernetes.io/role/internal-elb');

    this.flowLogKey = props.flowLogKey ?? new PlatformKey(this, 'FlowLogKey', { description: 'Encrypts the VPC flow logs and the logs of the VPC\'s custom-resource functions', removalPolicy });
    // Named, so the key admits CloudWatch Logs for this log group only.
    this.flowLogGroup = encryptedLogGroup(this, 'FlowLogGroup', {
      logGroupName: `/aws/vpc/flowlogs/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      encryptionKey: this.flowLogKey,
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.logRestrictDefaultSecurityGroupHandler(props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy);
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, this.createFlowLogRole()),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    this.s3PrefixList = new S3PrefixList(this, 'S3PrefixList', {
      logEncryptionKey: this.flowLogKey,
      logRetention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    }).prefixList;

    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'VPC interface endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    // The literal CIDR (not the VpcCidrBlock token) keeps the rule reviewable in the template.
    endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    this.endpointSecurityGroup = endpointSecurityGroup;
    this.connections = endpointSecurityGroup.connections;

    const endpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
    const requested = [
      ...PLATFORM_INTERFACE_ENDPOINTS,
      // A service the platform list already has (e.g. Lambda, which the list gained later) is not added twice.
      ...(props.additionalInterfaceEndpoints ?? [])
        .filter((service) => !PLATFORM_INTERFACE_ENDPOINTS.some((platform) => platform.service.name === service.name))
        .map((service) => ({ id: endpointId(service), service })),
    ];
    // Every endpoint gets a policy: this account's (or organization's) principals to its resources,
    // plus the AWS-owned resources the platform needs (EndpointPerimeter).
    const perimeter = new EndpointPerimeter(this, props);
    for (const { id: endpointName, service } of requested) {
      const endpoint = this.vpc.addInterfaceEndpoint(endpointName, {
        service,
        privateDnsEnabled: true,
        open: false,
        securityGroups: [endpointSecurityGroup],
        subnets: { subnetGroupName: SUBNET_GROUPS.workloads },
      });
      for (const statement of perimeter.interfaceEndpointStatements(service.shortName)) endpoint.addToPolicy(statement);
      endpoints[endpointName] = endpoint;
    }
    this.interfaceEndpoints = endpoints;
    const s3Endpoint = this.vpc.node.findChild('S3') as ec2.GatewayVpcEndpoint;
    for (const statement of perimeter.s3GatewayStatements()) s3Endpoint.addToPolicy(statement);
  }

  /**
   * The flow-log delivery role, with its rights in a managed policy scoped to the one log group
   * (not an inline policy), trusted only by this account's flow logs.
   */
  private createFlowLogRole(): iam.IRole {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }) },
      }),
      description: 'Delivers VPC flow logs to their log group',
    });
    role.addManagedPolicy(new iam.ManagedPolicy(this, 'FlowLogDeliveryPolicy', {
      description: 'Write VPC flow logs to the flow log group only',
      statements: [new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        // The log group ARN attribute already covers its streams (it ends in ":*").
        resources: [this.flowLogGroup.logGroupArn],
      })],
    }));
    // Immutable view: stops the FlowLog construct from adding an inline policy of its own.
    return iam.Role.fromRoleArn(this, 'FlowLogRoleRef', role.roleArn, { mutable: false });
  }

  /**
   * `restrictDefaultSecurityGroup` makes aws-cdk-lib add a stack-wide custom-resource provider
   * whose function would log to a log group Lambda creates on first use (no key, kept forever);
   * `CustomResourceProvider` takes no log group, so its function is pointed (LoggingConfig) at one
   * made here, encrypted with the flow-log key (bound to it) and with the flow logs' retention.
   * The first ZeroTrustVpc of a stack makes it.
   */
  private logRestrictDefaultSecurityGroupHandler(retention: logs.RetentionDays, removalPolicy: RemovalPolicy): void {
    const provider = Stack.of(this).node.tryFindChild(RESTRICT_DEFAULT_SG_PROVIDER);
    const handler = provider?.node.tryFindChild('Handler');
    if (!provider || !CfnResource.isCfnResource(handler) || provider.node.tryFindChild('Logs')) return;
    const logGroup = encryptedLogGroup(provider as Construct, 'Logs', {
      logGroupName: lambdaLogGroupName(handler),
      encryptionKey: this.flowLogKey,
      retention,
      removalPolicy,
    });
    handler.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
  }

}

/**
 * Builds the VPC while the stack answers `availabilityZones` with the zones the VPC is given.
 * `ec2.Vpc` reads the stack's zones to check that given zones are a subset of them, and in a
 * stack with a concrete account and region that read is a context lookup (a `missing` entry
 * the CLI resolves with AWS credentials, not hermetic), even though it never uses the answer.
 * Only that read is answered; the stack's own property is restored afterwards.
 */
const ZERO_TRUST_VPC_BRAND = Symbol.for('@zero-trust/platform-constructs.ZeroTrustVpc');

function withStackAvailabilityZones<T>(stack: Stack, zones: string[], build: () => T): T {
  const own = Object.getOwnPropertyDescriptor(stack, 'availabilityZones');
  Object.defineProperty(stack, 'availabilityZones', { configurable: true, get: () => zones });
  try {
    return build();
  } finally {
    if (own) Object.defineProperty(stack, 'availabilityZones', own);
    else delete (stack as { availabilityZones?: string[] }).availabilityZones;
  }
}

function tagSubnet(subnet: ec2.ISubnet, key: string): void {
  (subnet.node.defaultChild as ec2.CfnSubnet).tags.setTag(key, '1');
}

function endpointId(service: ec2.InterfaceVpcEndpointAwsService): string {
  return service.shortName.split(/[^a-zA-Z0-9]/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

/** Validates props at synth; returns the VPC prefix length and the number of AZs. */
function validateVpcProps(scope: Construct, cidr: string, props: ZeroTrustVpcProps): { prefix: number; azCount: number } {
  const fail = validationFailure('ZeroTrustVpc', scope.node.path);
  if (Token.isUnresolved(cidr)) fail(`cidr is ${describeValue(cidr, scope)}, but must be a literal. Fix: pass the CIDR string, e.g. "10.0.0.0/16".`);
  const parsed = parseIpv4Cidr(cidr);
  if (!parsed || !isRfc1918(cidr)) fail(`cidr ${describeValue(cidr)} is not an RFC 1918 range. Fix: use e.g. "10.0.0.0/16".`);
  const prefix = parsed!.prefix;
  if (prefix < VPC_CIDR_PREFIX.min || prefix > VPC_CIDR_PREFIX.max) fail(`cidr ${describeValue(cidr)} must have a prefix from /${VPC_CIDR_PREFIX.min} to /${VPC_CIDR_PREFIX.max} (got /${prefix}). Fix: use a /${VPC_CIDR_PREFIX.min} to /${VPC_CIDR_PREFIX.max} range.`);
  const azCount = props.availabilityZones?.length ?? props.maxAzs ?? 2;
  if (props.availabilityZones && props.maxAzs !== undefined) fail('give availabilityZones or maxAzs, not both.');
  if (!isIntBetween(azCount, VPC_AZ_COUNT.min, VPC_AZ_COUNT.max)) fail(`needs ${VPC_AZ_COUNT.min} to ${VPC_AZ_COUNT.max} Availability Zones (got ${describeValue(azCount, scope)}): EKS requires subnets in two AZs.`);
  if (props.natGateways !== undefined && !isIntBetween(props.natGateways, VPC_MIN_NAT_GATEWAYS, azCount)) {
    fail(`natGateways must be a whole number from ${VPC_MIN_NAT_GATEWAYS} to ${azCount}, the number of Availability Zones (got ${describeValue(props.natGateways, scope)}). Fix: 0 for no route to the internet (AWS APIs through the VPC endpoints), or one NAT gateway per AZ where workloads need the internet.`);
  }
  return { prefix, azCount };
}

/** Validates the attributes of an imported VPC: literal CIDRs inside the VPC's, one subnet per zone and tier. */
function validateImportedVpc(scope: Construct, path: string, attrs: ZeroTrustVpcAttributes): void {
  const fail = validationFailure('ZeroTrustVpc.fromVpcAttributes', path);
  const vpcCidr = Token.isUnresolved(attrs.vpcCidrBlock) ? undefined : parseIpv4Cidr(attrs.vpcCidrBlock);
  if (!vpcCidr) fail(`vpcCidrBlock is ${describeValue(attrs.vpcCidrBlock, scope)}, not a literal IPv4 CIDR. Fix: pass the VPC's CIDR as written, e.g. "10.0.0.0/16".`);
  const zones = attrs.availabilityZones.length;
  if (!isIntBetween(zones, 2, 4)) {
    fail(`availabilityZones is ${describeValue(attrs.availabilityZones)}: needs 2 to 4 zones (EKS and multi-AZ data stores need two). Fix: list the zones of the VPC's subnets.`);
  }
  const tiers = [['ingressSubnets', attrs.ingressSubnets], ['workloadSubnets', attrs.workloadSubnets], ['dataSubnets', attrs.dataSubnets]] as const;
  for (const [setting, subnets] of tiers) {
    if (subnets === undefined || subnets.length === 0) continue;
    if (subnets.length !== zones) {
      fail(`${setting} has ${subnets.length} subnet(s) for ${zones} Availability Zones. Fix: list one subnet per zone, in the order of availabilityZones.`);
    }
    subnets.forEach((subnet, i) => {
      const cidr = Token.isUnresolved(subnet.ipv4CidrBlock) ? undefined : parseIpv4Cidr(subnet.ipv4CidrBlock);
      if (!cidr || !cidrContains(vpcCidr!, cidr)) {
        fail(`${setting}[${i}].ipv4CidrBlock is ${describeValue(subnet.ipv4CidrBlock, scope)}, not a literal IPv4 CIDR inside the VPC's ${describeValue(attrs.vpcCidrBlock)}. Fix: pass the CIDR of subnet ${describeValue(subnet.subnetId, scope)} as written.`);
      }
    });
  }
  if (!attrs.workloadSubnets?.length && !attrs.dataSubnets?.length) {
    fail('has neither workloadSubnets nor dataSubnets: nothing of the platform could be placed in it. Fix: list the private subnets (workloadSubnets) and/or the isolated ones (dataSubnets).');
  }
}
