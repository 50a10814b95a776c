import { Annotations, ArnFormat, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, DependencyGroup, type IDependable } from 'constructs';
import { ApplicationNamespace } from '../cluster/application-namespace';
import { baselineNetworkPolicies, networkPolicy, POD_IDENTITY_AGENT } from '../cluster/baseline-network-policies';
import { podSecurityException, podSecurityLabels } from '../cluster/pod-security';
import { cloudWatchLogsKeyStatement, PlatformKey } from '../compliance/platform-key';
import { clusterCapacity, describeCluster, findInApp, sameCluster } from '../core/composition';
import { managedPolicyGrantee } from '../core/managed-policy-grantee';
import { PodIdentityRole } from '../core/pod-identity-role';
import { describeValue, validationFailure } from '../core/validation';
import { EKS_CHARTS_REPOSITORY } from '../mesh/versions';
import { parseIpv4Cidr } from '../network/cidr';
import type { IPrivateRegistry } from '../registry/private-registry';
import { helmChartFrom, imageFrom } from '../registry/sources';
import { imageTagWithDigest, type ImageReference } from '../registry/upstream-registries';
import { FLUENT_BIT_CHART_VERSION, FLUENT_BIT_IMAGE } from './versions';

/** Properties of `ContainerLogs`. */
export interface ContainerLogsProps {
  /** The cluster whose containers' logs are shipped (with a kubectl provider). */
  readonly cluster: eks.ICluster;
  /**
   * First segment of the log group names, `/<logGroupPrefix>/containers/<kind>`: the environment,
   * e.g. `ztp-dev`. Letters, digits, `.`, `_` and `-`, at most 64 characters.
   */
  readonly logGroupPrefix: string;
  /**
   * The cluster's VPC CIDR: the only addresses Fluent Bit may reach over HTTPS (443), i.e. the
   * CloudWatch Logs interface endpoint and the cluster's private API endpoint. The VPC needs a
   * CloudWatch Logs interface endpoint with private DNS (`ZeroTrustVpc` has one), and the cluster
   * its private endpoint (`PlatformCluster` always has it).
   */
  readonly vpcCidr: string;
  /**
   * The application namespaces: their containers' logs (except the `istio-proxy` sidecars') go to
   * `applicationLogGroup`.
   * @default - every `ApplicationNamespace` of this cluster in the app, found when the app is synthesized
   */
  readonly applicationNamespaces?: ApplicationNamespace[];
  /**
   * Customer managed key encrypting the three log groups. Its key policy gets a statement letting
   * CloudWatch Logs use it for these log groups only; for a key imported from elsewhere, add that
   * statement where the key is defined (`cloudWatchLogsKeyStatement`), or the log groups cannot be created.
   * @default - a new rotating PlatformKey
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the log groups keep events.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly retention?: logs.RetentionDays;
  /**
   * What happens to the log groups (and the key made here) when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Version of the `aws-for-fluent-bit` chart to install (exact).
   * @default FLUENT_BIT_CHART_VERSION
   */
  readonly chartVersion?: string;
  /**
   * The AWS for Fluent Bit image (upstream name, exact tag, optionally a digest).
   * @default FLUENT_BIT_IMAGE
   */
  readonly image?: ImageReference;
  /**
   * Private registry the chart and the image come from (mirrored chart, pull through cache).
   * @default - the chart from the EKS charts repository, the image from ECR Public
   */
  readonly registry?: IPrivateRegistry;
}

const EXACT_SEMVER = /^\d+\.\d+\.\d+$/;
const LOG_GROUP_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A VPC's primary CIDR block is between /16 and /28. */
const VPC_CIDR_PREFIX = { min: 16, max: 28 } as const;

/** Where the tail input keeps its read positions on the node, so a new pod resumes where the last one stopped. */
const STATE_DIRECTORY = '/var/fluent-bit/container-logs';
/** The tail input's tag: `kube.` + the file path with `/` as `.` (what the kubernetes filter expects by default). */
const TAG_PREFIX = 'kube.var.log.containers.';
/** The name of Istio's proxy container (sidecar and gateway). */
const ISTIO_PROXY_CONTAINER = 'istio-proxy';

const POD_SECURITY_EXCEPTION = 'Fluent Bit (DaemonSet fluent-bit) reads every container\'s log files from the node (hostPath '
  + '/var/log/containers and /var/log/pods, read-only) and keeps its read positions in a node directory (hostPath '
  + `${STATE_DIRECTORY}); Pod Security "baseline" forbids hostPath volumes. It runs as root because the container log files are `
  + 'root-owned and not world-readable (mode 0640), with every capability dropped, no privilege escalation and a read-only root filesystem.';

/**
 * Every container's stdout and stderr, shipped to CloudWatch Logs by Fluent Bit (the pinned
 * `aws-for-fluent-bit` chart, a DaemonSet on every node), into three log groups this construct owns:
 *
 * - `application` (`/<prefix>/containers/application`): containers of the application namespaces,
 *   without their `istio-proxy` sidecars;
 * - `mesh-access` (`/<prefix>/containers/mesh-access`): every `istio-proxy` container, sidecars and
 *   ingress gateway alike (Envoy's JSON access log, and the proxy's own messages);
 * - `platform` (`/<prefix>/containers/platform`): everything else (kube-system, istio-system,
 *   argo-rollouts, logging, the collectors' namespaces, ...).
 *
 * Each event is the container's line as a JSON object: a line that is itself a JSON object is
 * merged at the top level (`$.msg`, `$.res.statusCode`, ...), with the `stream` and the pod's
 * Kubernetes metadata (`$.kubernetes.namespace_name`, `pod_name`, `container_name`, `labels`);
 * any other line is kept as `$.log`.
 *
 * Security:
 * - the log groups are created here, KMS-encrypted with a customer managed key whose CloudWatch
 *   Logs grant is bound to exactly these three log groups; Fluent Bit cannot create log groups;
 * - Fluent Bit's EKS Pod Identity role may only create streams in, write to and describe the
 *   streams of these three log groups;
 * - its namespace `logging` enforces Pod Security "privileged", recorded with its reason on the
 *   namespace (the evidence pack shows it): the pods read host paths (read-only) and run as root
 *   with every capability dropped, no privilege escalation, a read-only root filesystem and the
 *   runtime's seccomp profile;
 * - NetworkPolicies deny everything but DNS, the Pod Identity agent and HTTPS to the VPC CIDR;
 *   nothing may connect to the pods (Fluent Bit's HTTP server is off);
 * - outside the mesh (no sidecar), see `ContainerLogs.NAMESPACE`;
 * - pods cannot opt out of shipping or pick their own parser by annotation.
 */
export class ContainerLogs extends Construct {
  /**
   * Namespace Fluent Bit runs in. Outside the Istio mesh (`istio-injection: disabled`): Fluent Bit
   * is a node agent that talks only to the API server and CloudWatch Logs, both over TLS with their
   * own authentication (service-account token, SigV4 with Pod Identity credentials), so a sidecar
   * would add no protection; it would make shipping the mesh's own logs depend on the mesh being
   * healthy, and Istio's redirection would need to admit a pod of a privileged namespace.
   */
  static readonly NAMESPACE = 'logging';
  /** Name of Fluent Bit's Kubernetes service account (the Pod Identity association's). */
  static readonly SERVICE_ACCOUNT = 'fluent-bit';

  /** The namespace Fluent Bit runs in (`logging`). */
  readonly namespace = ContainerLogs.NAMESPACE;
  /** Logs of the application namespaces' containers, without their `istio-proxy` sidecars. */
  readonly applicationLogGroup: logs.ILogGroup;
  /** Logs of every `istio-proxy` container: Envoy's access log of every sidecar and of the ingress gateway. */
  readonly meshAccessLogGroup: logs.ILogGroup;
  /** Logs of every other container (Kubernetes, mesh and platform controllers, collectors). */
  readonly platformLogGroup: logs.ILogGroup;
  /** The key encrypting the three log groups. */
  readonly encryptionKey: kms.IKey;
  /** Fluent Bit's role (EKS Pod Identity, service account `logging/fluent-bit`). */
  readonly role: iam.Role;
  /** The Helm release. */
  readonly chart: eks.HelmChart;
  /** Depend on this for anything that needs logs shipped: the log groups exist and the DaemonSet is rolled out. */
  readonly ready: IDependable;

  constructor(scope: Construct, id: string, props: ContainerLogsProps) {
    super(scope, id);
    const version = props.chartVersion ?? FLUENT_BIT_CHART_VERSION;
    const retention = props.retention ?? logs.RetentionDays.ONE_YEAR;
    validateProps(this, props, version, retention);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);
    const ns = ContainerLogs.NAMESPACE;
    const kubeApiUrl = apiServerUrl(this, props.cluster);

    // Log groups first: Fluent Bit may not create them, and the key may encrypt only them.
    const names = {
      application: `/${props.logGroupPrefix}/containers/application`,
      meshAccess: `/${props.logGroupPrefix}/containers/mesh-access`,
      platform: `/${props.logGroupPrefix}/containers/platform`,
    };
    if (props.encryptionKey) {
      this.encryptionKey = props.encryptionKey;
    } else {
      this.encryptionKey = new PlatformKey(this, 'Key', { description: `Encrypts the container logs of ${this.node.path}`, removalPolicy });
    }
    const logGroupArns = Object.values(names).map((name) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    const keyPolicy = this.encryptionKey.addToResourcePolicy(cloudWatchLogsKeyStatement(stack, logGroupArns), true);
    if (!keyPolicy.statementAdded) {
      Annotations.of(this).addWarningV2('@zero-trust/platform-constructs:containerLogsKeyPolicy',
        'encryptionKey is imported: its key policy cannot be changed here. Let CloudWatch Logs use it for the container log groups '
        + '(cloudWatchLogsKeyStatement) where the key is defined, or the log groups fail to create.');
    }
    const logGroup = (logicalId: string, logGroupName: string) => new logs.LogGroup(this, logicalId, { logGroupName, encryptionKey: this.encryptionKey, retention, removalPolicy });
    this.applicationLogGroup = logGroup('ApplicationLogGroup', names.application);
    this.meshAccessLogGroup = logGroup('MeshAccessLogGroup', names.meshAccess);
    this.platformLogGroup = logGroup('PlatformLogGroup', names.platform);
    const logGroups = [this.applicationLogGroup, this.meshAccessLogGroup, this.platformLogGroup];

    // Write access to these log groups only, through EKS Pod Identity.
    const role = new PodIdentityRole(this, 'Role', {
      cluster: props.cluster,
      namespace: ns,
      serviceAccounts: [ContainerLogs.SERVICE_ACCOUNT],
      description: `Fluent Bit (${ns}/${ContainerLogs.SERVICE_ACCOUNT}) through EKS Pod Identity: writes the container log groups`,
    });
    this.role = role;
    let policy: iam.ManagedPolicy | undefined;
    iam.Grant.addToPrincipal({
      grantee: managedPolicyGrantee(this.role, () => {
        policy = new iam.ManagedPolicy(this, 'Policy', { description: 'Fluent Bit: create streams in and write to the three container log groups only', roles: [this.role] });
        return policy;
      }),
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resourceArns: logGroups.map((g) => g.logGroupArn),
    });
    const association = role.associate(this, 'PodIdentity', ContainerLogs.SERVICE_ACCOUNT);

    const namespace = new eks.KubernetesManifest(this, 'Namespace', {
      cluster: props.cluster,
      overwrite: true,
      manifest: [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: ns,
            labels: { ...podSecurityLabels('privileged'), 'istio-injection': 'disabled' },
            annotations: podSecurityException(POD_SECURITY_EXCEPTION),
          },
        },
        ...networkPolicies(ns, props.vpcCidr),
      ],
    });

    // Application namespaces are read when the app is synthesized, so namespaces made after this construct count.
    const applicationNamespaces = () => applicationNamespaceNames(this, props);
    this.node.addValidation({ validate: () => validateApplicationNamespaces(this, props) });
    const outputs = Lazy.string({
      produce: () => cloudWatchOutputs(stack.region, [
        { kind: 'application', logGroupName: names.application, matchRegex: applicationRoute(applicationNamespaces()) },
        { kind: 'mesh-access', logGroupName: names.meshAccess, matchRegex: meshAccessRoute() },
        { kind: 'platform', logGroupName: names.platform, matchRegex: platformRoute(applicationNamespaces()) },
      ]),
    });

    const from = helmChartFrom(props.registry, { chart: 'aws-for-fluent-bit', version, repository: EKS_CHARTS_REPOSITORY });
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      ...from.location,
      release: 'fluent-bit',
      namespace: ns,
      createNamespace: false,
      wait: true,
      values: chartValues(kubeApiUrl, outputs, imageFrom(props.registry, props.image ?? FLUENT_BIT_IMAGE)),
    });
    this.chart.node.addDependency(namespace, association, this.role, ...logGroups, clusterCapacity(this, props.cluster), ...from.dependencies);
    if (policy) this.chart.node.addDependency(policy);
    this.ready = new DependencyGroup(this.chart, ...logGroups);
  }
}

/** The chart's values: upstream keys only (the chart render tests refuse any other). */
function chartValues(kubeApiUrl: string, outputs: string, image: ImageReference): Record<string, unknown> {
  return {
    fullnameOverride: 'fluent-bit',
    // The chart writes `repository:tag`: a digest rides in the tag.
    image: { repository: image.repository, tag: imageTagWithDigest(image), pullPolicy: 'IfNotPresent' },
    serviceAccount: { create: true, name: ContainerLogs.SERVICE_ACCOUNT, annotations: {} },
    rbac: { pspEnabled: false },
    // The files are root-owned, mode 0640: root reads them with no capability at all.
    podSecurityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
    containerSecurityContext: {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsUser: 0,
      runAsNonRoot: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // No HTTP server: nothing listens, no probe or scraper needs ingress.
    service: {
      extraService: ['Flush        5', 'Grace        30', 'Log_Level    info', 'HTTP_Server  Off'].join('\n'),
      // Built-in multiline parsers only: no parsers file of the image is needed.
      parsersFiles: [],
    },
    // null removes the chart's default probe of the HTTP server (Helm merges a map into the default).
    livenessProbe: null,
    input: {
      enabled: true,
      tag: 'kube.*',
      path: '/var/log/containers/*.log',
      db: `${STATE_DIRECTORY}/flb_kube.db`,
      multilineParser: 'docker, cri',
      memBufLimit: '5MB',
      skipLongLines: 'On',
      refreshInterval: 10,
    },
    // The chart's only place for a section before its kubernetes filter: drop the CRI line's own
    // `time` (already the event's timestamp) and `_p` (the partial-line flag, used up by the multiline
    // parser), so an application's JSON `time` is not duplicated when the filter merges it.
    additionalInputs: ['[FILTER]', '    Name    modify', '    Alias   drop-cri-fields', '    Match   kube.*', '    Remove  time', '    Remove  _p'].join('\n'),
    filter: {
      enabled: true,
      match: 'kube.*',
      // The private API endpoint (addresses in the VPC CIDR) rather than the `kubernetes` Service
      // address, which NetworkPolicy implementations may match before translating it.
      kubeURL: kubeApiUrl,
      mergeLog: 'On',
      // Empty: the merged JSON keys go to the top level of the record.
      mergeLogKey: '',
      keepLog: 'Off',
      // Pods may neither pick a parser nor exclude themselves by annotation.
      k8sLoggingParser: 'Off',
      k8sLoggingExclude: 'Off',
      // Pod specs with an injected sidecar are larger than the default 32k; a larger response is discarded.
      bufferSize: '256k',
      extraFilters: ['Kube_Tag_Prefix     kube.var.log.containers.', 'Labels              On', 'Annotations         Off', 'tls.verify          On'].join('\n'),
    },
    cloudWatch: { enabled: false },
    cloudWatchLogs: { enabled: false },
    firehose: { enabled: false },
    kinesis: { enabled: false },
    kinesis_streams: { enabled: false },
    elasticsearch: { enabled: false },
    s3: { enabled: false },
    opensearch: { enabled: false },
    serviceMonitor: { enabled: false },
    additionalOutputs: outputs,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    priorityClassName: 'system-node-critical',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    // Every node, whatever its taints.
    tolerations: [{ operator: 'Exists' }],
    hostNetwork: false,
    dnsPolicy: 'ClusterFirst',
    volumes: [
      { name: 'varlogcontainers', hostPath: { path: '/var/log/containers', type: 'Directory' } },
      { name: 'varlogpods', hostPath: { path: '/var/log/pods', type: 'Directory' } },
      { name: 'state', hostPath: { path: STATE_DIRECTORY, type: 'DirectoryOrCreate' } },
    ],
    volumeMounts: [
      { name: 'varlogcontainers', mountPath: '/var/log/containers', readOnly: true },
      // The files /var/log/containers links to.
      { name: 'varlogpods', mountPath: '/var/log/pods', readOnly: true },
      { name: 'state', mountPath: STATE_DIRECTORY },
    ],
  };
}

interface Output {
  readonly kind: string;
  readonly logGroupName: string;
  /** Undefined: nothing routes there. */
  readonly matchRegex: string | undefined;
}

/**
 * One `cloudwatch_logs` output per log group, routed by the tail tag, which ends in the log file's
 * name `<pod>_<namespace>_<container>-<64 hex container id>.log` (pod, namespace and container names
 * never contain `_`). The three regular expressions are mutually exclusive and together match every
 * container's file, so each line is shipped exactly once.
 */
function cloudWatchOutputs(region: string, outputs: Output[]): string {
  return outputs.filter((o) => o.matchRegex !== undefined).map((o) => [
    '[OUTPUT]',
    '    Name                cloudwatch_logs',
    `    Alias               ${o.kind}`,
    `    Match_Regex         ${o.matchRegex}`,
    `    region              ${region}`,
    `    log_group_name      ${o.logGroupName}`,
    '    log_stream_prefix   container.',
    // The log groups are this construct's (and the role may not create any).
    '    auto_create_group   false',
    '    Retry_Limit         10',
  ].join('\n')).join('\n\n');
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TAG = `^${escapeRegex(TAG_PREFIX)}`;
const NOT_ISTIO_PROXY = `(?!${ISTIO_PROXY_CONTAINER}-[0-9a-f]{64}\\.log$)`;
const namespaceAlternatives = (namespaces: readonly string[]) => `(?:${namespaces.map(escapeRegex).join('|')})`;

/** Containers of the application namespaces other than `istio-proxy`. */
function applicationRoute(namespaces: readonly string[]): string | undefined {
  return namespaces.length === 0 ? undefined : `${TAG}[^_]+_${namespaceAlternatives(namespaces)}_${NOT_ISTIO_PROXY}[^_]+\\.log$`;
}

/** Every `istio-proxy` container, in any namespace. */
function meshAccessRoute(): string {
  return `${TAG}[^_]+_[^_]+_${ISTIO_PROXY_CONTAINER}-[0-9a-f]{64}\\.log$`;
}

/** Every other container: not in an application namespace, not `istio-proxy`. */
function platformRoute(namespaces: readonly string[]): string {
  const notApplication = namespaces.length === 0 ? '' : `(?!${namespaceAlternatives(namespaces)}_)`;
  return `${TAG}[^_]+_${notApplication}[^_]+_${NOT_ISTIO_PROXY}[^_]+\\.log$`;
}

/** Default deny, then DNS, the Pod Identity agent, and HTTPS to the VPC only. No ingress. */
function networkPolicies(ns: string, vpcCidr: string): Record<string, unknown>[] {
  return [
    ...baselineNetworkPolicies(ns),
    // The CloudWatch Logs interface endpoint and the cluster's private API endpoint (the kubernetes filter).
    networkPolicy(ns, 'allow-https-to-vpc', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: vpcCidr } }], ports: [{ protocol: 'TCP', port: 443 }] }] }),
    networkPolicy(ns, 'allow-pod-identity-agent', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [{ protocol: 'TCP', port: POD_IDENTITY_AGENT.port }] }] }),
  ];
}

/** The cluster's API endpoint with its port, as the kubernetes filter's `Kube_URL`. */
function apiServerUrl(scope: Construct, cluster: eks.ICluster): string {
  let endpoint: string;
  try {
    endpoint = cluster.clusterEndpoint;
  } catch {
    return validationFailure('ContainerLogs', scope.node.path)(`cluster ${describeCluster(cluster)} has no endpoint: Fluent Bit reads pod metadata from the API server's private endpoint. Fix: import the cluster with clusterEndpoint.`);
  }
  return `${endpoint}:443`;
}

function applicationNamespaceNames(scope: Construct, props: ContainerLogsProps): string[] {
  const namespaces = props.applicationNamespaces
    ?? findInApp(scope, (c): c is ApplicationNamespace => ApplicationNamespace.isApplicationNamespace(c) && sameCluster(c.cluster, props.cluster));
  return [...new Set(namespaces.map((n) => n.namespaceName))].sort();
}

function validateApplicationNamespaces(scope: Construct, props: ContainerLogsProps): string[] {
  const errors: string[] = [];
  for (const namespace of props.applicationNamespaces ?? []) {
    if (!sameCluster(namespace.cluster, props.cluster)) {
      errors.push(`ContainerLogs ${scope.node.path}: applicationNamespaces has ${namespace.node.path} (namespace "${namespace.namespaceName}"), which is on cluster ${describeCluster(namespace.cluster)}, not ${describeCluster(props.cluster)}. Fix: pass the namespaces of this cluster only.`);
    }
  }
  if (applicationNamespaceNames(scope, props).includes(ContainerLogs.NAMESPACE)) {
    errors.push(`ContainerLogs ${scope.node.path}: an application namespace is named "${ContainerLogs.NAMESPACE}", which is where Fluent Bit runs. Fix: rename the application namespace.`);
  }
  return errors;
}

function validateProps(scope: Construct, props: ContainerLogsProps, version: string, retention: logs.RetentionDays): void {
  const fail = validationFailure('ContainerLogs', scope.node.path);
  if (!EXACT_SEMVER.test(version)) fail(`chartVersion ${describeValue(version)} is not an exact version. Fix: pin a release such as "${FLUENT_BIT_CHART_VERSION}" (no ranges).`);
  if (!Token.isUnresolved(props.logGroupPrefix) && !LOG_GROUP_PREFIX.test(props.logGroupPrefix)) {
    fail(`logGroupPrefix ${describeValue(props.logGroupPrefix)} cannot start a log group name /<prefix>/containers/<kind>. Fix: 1 to 64 letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. the environment name "ztp-dev").`);
  }
  if (!Token.isUnresolved(props.vpcCidr)) {
    const cidr = parseIpv4Cidr(props.vpcCidr);
    if (!cidr || cidr.prefix < VPC_CIDR_PREFIX.min || cidr.prefix > VPC_CIDR_PREFIX.max) {
      fail(`vpcCidr ${describeValue(props.vpcCidr)} is not a VPC CIDR: Fluent Bit's HTTPS egress is limited to it. Fix: pass the cluster VPC's IPv4 CIDR (a.b.c.d/n, n from ${VPC_CIDR_PREFIX.min} to ${VPC_CIDR_PREFIX.max}).`);
    }
  }
  if (!Token.isUnresolved(retention) && !(Object.values(logs.RetentionDays) as unknown[]).includes(retention)) {
    fail(`retention ${describeValue(retention, scope)} is not a retention CloudWatch Logs offers. Fix: use a logs.RetentionDays value, e.g. logs.RetentionDays.ONE_YEAR.`);
  }
}
