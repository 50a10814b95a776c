import { Names, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { encryptedLogGroup, lambdaLogGroupName } from '../compliance/encrypted-log-group';
import { keyUseThroughServicesStatement, PlatformKey } from '../compliance/platform-key';
import { managedPolicyGrantee } from '../core/managed-policy-grantee';
import { PodIdentityRole } from '../core/pod-identity-role';
import { describeValue, validationFailure } from '../core/validation';
import type { IPrivateRegistry } from '../registry/private-registry';
import type { IAwsApiEndpoints } from '../network/aws-api-endpoints';
import { parseIpv4Cidr } from '../network/cidr';
import { vpcCidrOf } from '../network/vpc-addresses';
import { ZeroTrustVpc } from '../network/zero-trust-vpc';
import { restrictControlPlaneEgress, restrictKubectlHandlerEgress } from './cluster-egress';
import { coreDnsNetworkPolicy } from './core-dns-network-policy';
import { ADDON_NAMES, EKS_ADDON_VERSION_FORMAT, type AddonVersionPins } from './addon-versions';
import { NODE_POOL_MIN_SIZE, PUBLIC_ENDPOINT_MIN_CIDR_PREFIX } from './limits';
import { SECURITY_GROUPS_FOR_PODS_CNI_ENV, untrunkableInstanceTypesMessage, VPC_RESOURCE_CONTROLLER_POLICY } from './security-groups-for-pods';

/** What IAM accepts as a role name. */
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The VPC CNI's service account in kube-system, which its add-on's Pod Identity association binds. */
const VPC_CNI_SERVICE_ACCOUNT = 'aws-node';

/** Sizing of the managed node group that runs the platform and its workloads. */
export interface NodePoolOptions {
  /**
   * Instance types, all of one CPU architecture, each able to attach a trunk network interface
   * (security groups for pods; a `t` type, for example, is refused: see `isTrunkingCompatible`).
   * @default [m7i.large]
   */
  readonly instanceTypes?: ec2.InstanceType[];
  /**
   * Fewest nodes in the node group.
   * @default 2
   */
  readonly minSize?: number;
  /**
   * Number of nodes the node group starts with.
   * @default minSize
   */
  readonly desiredSize?: number;
  /**
   * Most nodes in the node group.
   * @default 2 x minSize
   */
  readonly maxSize?: number;
  /**
   * Encrypted root volume size of each node.
   * @default Size.gibibytes(50)
   */
  readonly diskSize?: Size;
  /**
   * Name of the nodes' IAM role, for a policy that must name it exactly: e.g. the repository policy
   * of an ECR repository in another account, which admits the role by its ARN. Changing it replaces
   * the role and therefore the node group (new nodes first, then the old ones drain).
   * @default - a name CloudFormation generates
   */
  readonly roleName?: string;
}

/** Properties of a `PlatformCluster`. */
export interface PlatformClusterProps {
  /** The VPC; nodes, the kubectl handler and the control-plane ENIs go to its private subnets. */
  readonly vpc: ec2.IVpc;
  /** Kubernetes version, e.g. `eks.KubernetesVersion.V1_36`. */
  readonly version: eks.KubernetesVersion;
  /** kubectl/helm layer matching `version`, e.g. `new KubectlV36Layer(...)`. */
  readonly kubectlLayer: lambda.ILayerVersion;
  /**
   * CIDRs allowed to reach a public API endpoint. Empty or unset keeps the endpoint private;
   * `0.0.0.0/0` and anything wider than /16 are refused.
   * @default - private endpoint only
   */
  readonly publicEndpointAllowedCidrs?: string[];
  /**
   * IAM roles granted cluster-admin (AmazonEKSClusterAdminPolicy) through access entries. The
   * identity that deploys the stack gets no implicit admin rights.
   * @default - none: only the kubectl handler can change the cluster
   */
  readonly adminRoles?: iam.IRole[];
  /**
   * IAM roles granted cluster-wide read-only access (AmazonEKSViewPolicy).
   * @default - none
   */
  readonly viewerRoles?: iam.IRole[];
  /**
   * Key for envelope encryption of Kubernetes secrets. The cluster lets principals of the account
   * use it through EKS only (EKS grants the cluster role its use); an imported key needs that
   * statement where it is defined.
   * @default - a new PlatformKey, usable through EKS only
   */
  readonly secretsEncryptionKey?: kms.IKey;
  /**
   * How long control-plane logs (all five types) are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly controlPlaneLogRetention?: logs.RetentionDays;
  /**
   * Size of the cluster's managed node group.
   * @default - see NodePoolOptions
   */
  readonly nodePool?: NodePoolOptions;
  /**
   * Explicit versions for the managed add-ons (vpc-cni, coredns, kube-proxy,
   * eks-pod-identity-agent), each optional. An unset add-on gets no `AddonVersion` in the
   * template: EKS installs a version it offers for `version` when the add-on is created, and
   * later deployments leave it as it is until you pin a version here (ADR 0010).
   *
   * A pin must be an exact `vX.Y.Z-eksbuild.N` that EKS offers for `version`; read it from
   * `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>` (a version EKS
   * does not offer fails the add-on creation and rolls the stack back). kube-proxy's minor
   * version must equal `version`. Bad input fails synth. A complete object of the deprecated
   * `AddonVersions` type is still accepted. Pin every add-on before changing `version`: an
   * unpinned add-on is not upgraded with the cluster.
   * @default - no pins: EKS chooses each version at creation
   */
  readonly addonVersions?: AddonVersionPins;
  /**
   * What happens to the keys and log group when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The VPC's private way to the AWS APIs: the kubectl handler's only egress besides the API
   * server is HTTPS to these interface endpoints and to S3 through the gateway endpoint.
   * @default - the endpoints of the ZeroTrustVpc that built `vpc` (`ZeroTrustVpc.apiEndpointsOf`);
   *   for another VPC, HTTPS to the VPC's CIDR (interface endpoints only, no S3)
   */
  readonly awsApiEndpoints?: IAwsApiEndpoints;
  /**
   * The private registry the cluster's images come from: the node role may also import images from
   * upstream into its pull through cache (and create a cache repository on first pull), on the cache
   * repositories of the images the registry hands out only, in a customer managed policy attached
   * before the nodes start.
   * @default - the nodes pull from ECR repositories only, without pull through cache
   */
  readonly registry?: IPrivateRegistry;
}

/** An existing EKS cluster, for `PlatformCluster.fromClusterAttributes`. */
export interface PlatformClusterAttributes {
  /** The cluster name. */
  readonly clusterName: string;
  /**
   * The cluster security group (`aws eks describe-cluster --name <name> --query
   * cluster.resourcesVpcConfig.clusterSecurityGroupId`): the nodes and every pod without its own
   * group use it; each StatelessService's pod security group admits the gateway and the kubelet from
   * it and reaches CoreDNS and istiod in it (ADR 0019).
   */
  readonly clusterSecurityGroupId: string;
  /**
   * The kubectl provider that applies manifests and charts to the cluster, e.g. the one of the app
   * that made it: `eks.KubectlProvider.fromKubectlProviderAttributes(scope, id, { serviceToken, role })`.
   */
  readonly kubectlProvider: eks.IKubectlProvider;
  /**
   * The cluster's VPC (a StatelessService creates its pods' security group in it).
   * @default - unknown: constructs that need it (IstioMesh) take it as their own prop, and a
   * StatelessService needs its `podSecurityGroup` given
   */
  readonly vpc?: ec2.IVpc;
}

const ALL_CONTROL_PLANE_LOGS = [
  eks.ClusterLoggingTypes.API,
  eks.ClusterLoggingTypes.AUDIT,
  eks.ClusterLoggingTypes.AUTHENTICATOR,
  eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
  eks.ClusterLoggingTypes.SCHEDULER,
];

/**
 * An EKS cluster (aws-eks-v2) that is private and least-privilege by default:
 *
 * - private API endpoint; a public one only with an explicit, narrow CIDR allow-list;
 * - Kubernetes secrets envelope-encrypted with a rotating customer key;
 * - all five control-plane log types, into a KMS-encrypted log group with retention;
 * - access entries only, and no implicit cluster-admin for whoever deploys it;
 * - a managed node group (AL2023) in private subnets, IMDSv2 required with hop limit 1 (pods
 *   cannot borrow the node's credentials), root volumes encrypted with a customer key;
 * - managed add-ons: VPC CNI with network-policy enforcement and security groups for pods (its
 *   AWS rights through Pod Identity, not the node role; the cluster role may manage the pods'
 *   branch network interfaces), CoreDNS, kube-proxy and the Pod Identity agent; their versions
 *   are EKS's choice for the Kubernetes version at creation unless pinned with `addonVersions`
 *   (ADR 0010);
 * - the kubectl handler in private subnets, reaching only the API server and the VPC's endpoints
 *   (no egress to 0.0.0.0/0); the control-plane security group sends only to nodes and pods;
 * - CoreDNS isolated by its own NetworkPolicy (DNS in from pods, out to the VPC resolver).
 */
export class PlatformCluster extends Construct implements ec2.IConnectable {
  /**
   * An existing EKS cluster (made by another stack or app) that the library's constructs can use:
   * `ApplicationNamespace`, `IstioMesh` and `StatelessService` apply to it through its kubectl
   * provider, and services' pod security groups name its cluster security group as their peer for
   * DNS, istiod and the gateway. Missing attributes fail synth, naming the attribute.
   */
  static fromClusterAttributes(scope: Construct, id: string, attrs: PlatformClusterAttributes): eks.ICluster {
    const fail = validationFailure('PlatformCluster.fromClusterAttributes', `${scope.node.path}/${id}`);
    if (!attrs.clusterName) fail(`clusterName is ${describeValue(attrs.clusterName)}. Fix: pass the name of the EKS cluster.`);
    if (!attrs.clusterSecurityGroupId) {
      fail(`clusterSecurityGroupId is ${describeValue(attrs.clusterSecurityGroupId)}: without it no service's pods can get a security group of their own (its peer for DNS, istiod and the gateway). Fix: pass the cluster security group id (aws eks describe-cluster --name <name> --query cluster.resourcesVpcConfig.clusterSecurityGroupId).`);
    }
    if (!attrs.kubectlProvider) {
      fail('kubectlProvider is undefined: without it no manifest or chart can be applied to the cluster. Fix: pass eks.KubectlProvider.fromKubectlProviderAttributes(scope, id, { serviceToken, role }) of the kubectl provider that manages the cluster.');
    }
    return eks.Cluster.fromClusterAttributes(scope, id, {
      clusterName: attrs.clusterName,
      clusterSecurityGroupId: attrs.clusterSecurityGroupId,
      kubectlProvider: attrs.kubectlProvider,
      vpc: attrs.vpc,
    });
  }

  /** The EKS cluster. */
  readonly cluster: eks.Cluster;
  /** The kubectl/helm provider used to apply manifests and charts. */
  readonly kubectlProvider: eks.IKubectlProvider;
  /** Connections of the cluster security group: control plane, nodes and pods. */
  readonly connections: ec2.Connections;
  /** Key encrypting Kubernetes secrets. */
  readonly secretsKey: kms.IKey;
  /** Key encrypting node root volumes and the cluster logs (control plane, kubectl provider functions). */
  readonly nodeVolumeKey: kms.IKey;
  /** Log group receiving the control-plane logs. */
  readonly controlPlaneLogGroup: logs.ILogGroup;
  /** Role of the worker nodes (no AWS rights beyond joining the cluster and pulling images). */
  readonly nodeRole: iam.IRole;
  /** The managed node group. */
  readonly nodegroup: eks.Nodegroup;
  /** Security group of the kubectl handler. */
  readonly kubectlSecurityGroup: ec2.ISecurityGroup;
  /**
   * The NetworkPolicy of CoreDNS (kube-system, `k8s-app: kube-dns`): DNS in from every pod, out to
   * the VPC's resolver; HTTPS to the API server; nothing else.
   */
  readonly coreDnsNetworkPolicy: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: PlatformClusterProps) {
    super(scope, id);
    const publicCidrs = props.publicEndpointAllowedCidrs ?? [];
    const addonVersions: AddonVersionPins = props.addonVersions ?? {};
    validateClusterProps(this, props, publicCidrs, addonVersions);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    this.secretsKey = props.secretsEncryptionKey ?? new PlatformKey(this, 'SecretsKey', {
      description: 'Envelope encryption of Kubernetes secrets',
      removalPolicy,
    });
    // EKS creates, with the creator's rights and through EKS only, the grant the cluster role
    // encrypts and decrypts secrets with (a no-op on an imported key, whose policy must say the same).
    this.secretsKey.addToResourcePolicy(keyUseThroughServicesStatement(stack, ['eks']));
    const nodeVolumeKey = new PlatformKey(this, 'NodeVolumeKey', {
      description: 'Encrypts EKS node root volumes and the cluster logs (control plane, kubectl provider)',
      removalPolicy,
    });
    this.nodeVolumeKey = nodeVolumeKey;
    // Managed node groups launch through the Auto Scaling service-linked role.
    nodeVolumeKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowAutoScalingToUseKeyForEbs',
      principals: [new iam.ArnPrincipal(stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling' }))],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant'],
      resources: ['*'],
    }));


    // EKS writes control-plane logs to this exact name; creating it first lets us encrypt it and set retention.
    const clusterName = Names.uniqueResourceName(this, { maxLength: 100, separator: '-' }).toLowerCase();
    const logGroup = encryptedLogGroup(this, 'ControlPlaneLogs', {
      logGroupName: `/aws/eks/${clusterName}/cluster`,
      encryptionKey: nodeVolumeKey,
      retention: props.controlPlaneLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.controlPlaneLogGroup = logGroup;

    const kubectlSecurityGroup = new ec2.SecurityGroup(this, 'KubectlSecurityGroup', {
      vpc: props.vpc,
      description: 'kubectl handler: HTTPS to the cluster API and AWS/Helm endpoints',
      allowAllOutbound: false,
    });
    this.kubectlSecurityGroup = kubectlSecurityGroup;

    const privateSubnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName,
      version: props.version,
      vpc: props.vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess: publicCidrs.length > 0 ? eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...publicCidrs) : eks.EndpointAccess.PRIVATE,
      secretsEncryptionKey: this.secretsKey,
      clusterLogging: ALL_CONTROL_PLANE_LOGS,
      bootstrapClusterCreatorAdminPermissions: false,
      bootstrapSelfManagedAddons: false,
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      outputConfigCommand: false,
      kubectlProviderOptions: {
        kubectlLayer: props.kubectlLayer,
        privateSubnets: privateSubnets.subnets,
        securityGroups: [kubectlSecurityGroup],
        memory: Size.gibibytes(1),
      },
    });
    this.cluster.node.addDependency(logGroup);
    // Trunk and branch network interfaces for security groups for pods (ADR 0019).
    this.cluster.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(VPC_RESOURCE_CONTROLLER_POLICY));
    this.kubectlProvider = this.cluster.kubectlProvider!;
    logKubectlProvider(this.kubectlProvider, nodeVolumeKey, props.controlPlaneLogRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy);
    this.connections = this.cluster.connections;
    this.cluster.clusterSecurityGroup.connections.allowFrom(kubectlSecurityGroup, ec2.Port.tcp(443), 'kubectl handler to the API server');
    // No egress to 0.0.0.0/0: the handler reaches the API server and the VPC's endpoints only, the
    // control plane the nodes and pods only (ADR 0020).
    restrictKubectlHandlerEgress(kubectlSecurityGroup, this.cluster, props.vpc, props.awsApiEndpoints ?? ZeroTrustVpc.apiEndpointsOf(props.vpc));
    restrictControlPlaneEgress(this.cluster);

    props.adminRoles?.forEach((role, i) => this.cluster.grantAccess(`Admin${i}`, role.roleArn, [
      eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', { accessScopeType: eks.AccessScopeType.CLUSTER }),
    ]));
    props.viewerRoles?.forEach((role, i) => this.cluster.grantAccess(`Viewer${i}`, role.roleArn, [
      eks.AccessPolicy.fromAccessPolicyName('AmazonEKSViewPolicy', { accessScopeType: eks.AccessScopeType.CLUSTER }),
    ]));

    // Add-ons: Pod Identity first, so the VPC CNI gets its AWS rights from it instead of the node role.
    const podIdentityAgent = this.addAddon('PodIdentityAgent', 'eks-pod-identity-agent', addonVersions.podIdentityAgent);
    const vpcCniRole = new PodIdentityRole(this, 'VpcCniRole', {
      cluster: this.cluster,
      namespace: 'kube-system',
      serviceAccounts: [VPC_CNI_SERVICE_ACCOUNT],
      description: 'VPC CNI (aws-node) through EKS Pod Identity',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKS_CNI_Policy')],
    });
    const vpcCni = this.addAddon('VpcCni', 'vpc-cni', addonVersions.vpcCni, {
      // Enforce Kubernetes NetworkPolicies with the VPC CNI's eBPF agent.
      enableNetworkPolicy: 'true',
      nodeAgent: { enablePolicyEventLogs: 'true' },
      // Security groups for pods (ADR 0019): each service's pods get their own group, which is all
      // its database and cache admit.
      env: { ...SECURITY_GROUPS_FOR_PODS_CNI_ENV },
    });
    (vpcCni.node.defaultChild as eks.CfnAddon).podIdentityAssociations = [{ serviceAccount: VPC_CNI_SERVICE_ACCOUNT, roleArn: vpcCniRole.roleArn }];
    vpcCni.node.addDependency(podIdentityAgent);
    const kubeProxy = this.addAddon('KubeProxy', 'kube-proxy', addonVersions.kubeProxy);

    const pool = props.nodePool ?? {};
    const minSize = pool.minSize ?? 2;
    const nodeRole = new iam.Role(this, 'NodeRole', {
      roleName: pool.roleName,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'EKS worker nodes: join the cluster and pull images, nothing else',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSWorkerNodePolicy'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEC2ContainerRegistryPullOnly'),
      ],
    });
    this.nodeRole = nodeRole;
    let nodeRegistryPolicy: iam.ManagedPolicy | undefined;
    props.registry?.grantPullThroughCache(managedPolicyGrantee(nodeRole, () => {
      nodeRegistryPolicy = new iam.ManagedPolicy(this, 'NodeRegistryPolicy', { description: 'EKS worker nodes: pull through the private registry\'s cache', roles: [nodeRole] });
      return nodeRegistryPolicy;
    }));
    const launchTemplate = new ec2.LaunchTemplate(this, 'NodeLaunchTemplate', {
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      httpEndpoint: true,
      detailedMonitoring: true,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs((pool.diskSize ?? Size.gibibytes(50)).toGibibytes(), {
          encrypted: true,
          kmsKey: nodeVolumeKey,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      }],
    });
    this.nodegroup = this.cluster.addNodegroupCapacity('Nodes', {
      nodeRole,
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      capacityType: eks.CapacityType.ON_DEMAND,
      instanceTypes: pool.instanceTypes ?? [new ec2.InstanceType('m7i.large')],
      minSize,
      desiredSize: pool.desiredSize ?? minSize,
      maxSize: pool.maxSize ?? minSize * 2,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplateSpec: { id: launchTemplate.launchTemplateId!, version: launchTemplate.latestVersionNumber },
      maxUnavailable: 1,
      enableNodeAutoRepair: true,
    });
    this.nodegroup.node.addDependency(vpcCni, kubeProxy, podIdentityAgent);
    if (nodeRegistryPolicy) this.nodegroup.node.addDependency(nodeRegistryPolicy);
    // CoreDNS needs nodes to become healthy.
    const coreDns = this.addAddon('CoreDns', 'coredns', addonVersions.coreDns);
    coreDns.node.addDependency(this.nodegroup);
    // kube-system is EKS's: CoreDNS, its one add-on in the pod network, is isolated by its own policy.
    this.coreDnsNetworkPolicy = new eks.KubernetesManifest(this, 'CoreDnsNetworkPolicy', {
      cluster: this.cluster,
      manifest: [coreDnsNetworkPolicy(vpcCidrOf(props.vpc))],
    });
    this.coreDnsNetworkPolicy.node.addDependency(coreDns, this.nodegroup);
  }

  /**
   * One managed add-on. Without `addonVersion` the AWS::EKS::Addon has no AddonVersion (EKS chooses
   * at creation). `preserveOnDelete: false`: removing the add-on from the template, or deleting the
   * stack, removes its software from the cluster too. ResolveConflicts stays unset (eks.Addon has
   * no such prop): the cluster has no self-managed add-ons (`bootstrapSelfManagedAddons: false`), so
   * creation has nothing to conflict with; on a later version change EKS's "None" handling applies,
   * where an update that meets hand-made changes may fail (and roll back) rather than overwrite them.
   */
  private addAddon(id: string, addonName: string, addonVersion: string | undefined, configurationValues?: Record<string, unknown>): eks.Addon {
    return new eks.Addon(this, id, {
      cluster: this.cluster,
      addonName,
      addonVersion,
      configurationValues,
      preserveOnDelete: false,
    });
  }
}

/**
 * Points the two functions of aws-eks-v2's kubectl provider (the kubectl/Helm handler, which logs
 * every manifest it applies, and the provider framework) at log groups made here, encrypted with
 * `key` (bound to them) and kept for `retention`: KubectlProviderOptions takes no log group, and
 * without one Lambda creates `/aws/lambda/<function>` on first use, unencrypted and kept forever.
 */
function logKubectlProvider(provider: eks.IKubectlProvider, key: kms.IKey, retention: logs.RetentionDays, removalPolicy: RemovalPolicy): void {
  if (!(provider instanceof eks.KubectlProvider)) return;
  const handler = provider.node.tryFindChild('Handler');
  const framework = provider.node.tryFindChild('Provider')?.node.tryFindChild('framework-onEvent');
  for (const fn of [handler, framework]) {
    const cfnFunction = fn?.node.defaultChild;
    if (!(fn instanceof Construct) || !(cfnFunction instanceof lambda.CfnFunction)) continue;
    const logGroup = encryptedLogGroup(fn, 'Logs', { logGroupName: lambdaLogGroupName(fn), encryptionKey: key, retention, removalPolicy });
    const current = cfnFunction.loggingConfig;
    cfnFunction.loggingConfig = { ...(current && !Token.isUnresolved(current) ? current as lambda.CfnFunction.LoggingConfigProperty : {}), logGroup: logGroup.logGroupName };
  }
}

function validateClusterProps(scope: Construct, props: PlatformClusterProps, publicCidrs: string[], addonVersions: AddonVersionPins): void {
  const fail = validationFailure('PlatformCluster', scope.node.path);
  for (const cidr of publicCidrs) {
    if (Token.isUnresolved(cidr)) continue;
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed) fail(`publicEndpointAllowedCidrs has ${describeValue(cidr)}, which is not an IPv4 CIDR. Fix: use a.b.c.d/n.`);
    if (parsed!.prefix < PUBLIC_ENDPOINT_MIN_CIDR_PREFIX) fail(`publicEndpointAllowedCidrs has ${describeValue(cidr)}, which opens the API server to too wide a range (wider than /${PUBLIC_ENDPOINT_MIN_CIDR_PREFIX}). Fix: list only your egress CIDRs, or leave it empty for a private endpoint.`);
  }
  validateAddonVersions(fail, addonVersions, props.version.version);
  const pool = props.nodePool ?? {};
  const untrunkable = untrunkableInstanceTypesMessage('nodePool.instanceTypes', pool.instanceTypes ?? []);
  if (untrunkable) fail(untrunkable);
  const minSize = pool.minSize ?? 2;
  const desired = pool.desiredSize ?? minSize;
  const max = pool.maxSize ?? minSize * 2;
  if (!(minSize >= NODE_POOL_MIN_SIZE && minSize <= desired && desired <= max)) {
    fail(`nodePool sizes must satisfy ${NODE_POOL_MIN_SIZE} <= minSize <= desiredSize <= maxSize (got ${describeValue(minSize, scope)}/${describeValue(desired, scope)}/${describeValue(max, scope)}).`);
  }
  const roleName = pool.roleName;
  if (roleName !== undefined && !Token.isUnresolved(roleName) && !IAM_ROLE_NAME.test(roleName)) {
    fail(`nodePool.roleName is ${describeValue(roleName)}, not an IAM role name. Fix: 1 to 64 letters, digits and + = , . @ _ -, e.g. "ztp-prod-cluster-nodes".`);
  }
}

/** Pins are optional; a pin that is set must be a literal, exact EKS build, and kube-proxy's must match the cluster's minor. */
function validateAddonVersions(fail: (message: string) => never, pins: AddonVersionPins, kubernetesVersion: string): void {
  const known = Object.keys(ADDON_NAMES);
  for (const key of Object.keys(pins)) {
    if (!known.includes(key)) fail(`addonVersions has the unknown key ${describeValue(key)}. Fix: use only ${known.join(', ')}.`);
  }
  for (const key of known as (keyof AddonVersionPins)[]) {
    const value: unknown = pins[key];
    if (value === undefined) continue;
    const setting = `addonVersions.${key}`;
    const listCommand = `aws eks describe-addon-versions --kubernetes-version ${kubernetesVersion} --addon-name ${ADDON_NAMES[key]}`;
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      fail(`${setting} is ${describeValue(value)}. Fix: write the exact version literally (vX.Y.Z-eksbuild.N from \`${listCommand}\`), so it is reviewed in the template.`);
    }
    if (typeof value !== 'string' || !EKS_ADDON_VERSION_FORMAT.test(value)) {
      fail(`${setting} is ${describeValue(value)}, which is not an exact EKS add-on version (a literal vX.Y.Z-eksbuild.N). Fix: use a version listed by \`${listCommand}\`, or leave ${setting} unset so EKS chooses at creation.`);
    }
  }
  const kubeProxy = pins.kubeProxy;
  if (kubeProxy !== undefined) {
    const minor = /^v(\d+\.\d+)\./.exec(kubeProxy)![1];
    if (minor !== kubernetesVersion) {
      fail(`addonVersions.kubeProxy is ${describeValue(kubeProxy)}, whose minor version ${minor} does not match the cluster's Kubernetes ${kubernetesVersion}. Fix: use a v${kubernetesVersion}.x-eksbuild.N version listed by \`aws eks describe-addon-versions --kubernetes-version ${kubernetesVersion} --addon-name kube-proxy\`, or leave addonVersions.kubeProxy unset.`);
    }
  }
}
