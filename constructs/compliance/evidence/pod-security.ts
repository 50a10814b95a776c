import type { PodSecurityLevel } from '../../cluster/pod-security';
import type { KubernetesObject } from './kubernetes-objects';

/**
 * The Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
 * as the Kubernetes v1.36 admission controller checks them (k8s.io/pod-security-admission
 * `policy/check_*.go`): one function per control, each returning the control's violations in a
 * pod spec as `<pod|container|volume ...>: <what>` lines.
 */

/** The pod spec of any object that runs pods (Deployment, Job, CronJob, Rollout with a template, ...). */
export function podTemplateSpec(object: KubernetesObject): Record<string, any> | undefined {
  if (object.kind === 'Pod') return object.spec;
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template?.spec;
  if (ANALYSIS_TEMPLATE_KINDS.has(object.kind)) return analysisJobPods(object)[0]?.template.spec;
  return object.spec?.template?.spec;
}

/** The metadata of the pods an object runs (labels, annotations): the template's, or the Pod's own. */
export function podTemplateMetadata(object: KubernetesObject): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  if (object.kind === 'Pod') return object.metadata;
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template?.metadata ?? {};
  if (ANALYSIS_TEMPLATE_KINDS.has(object.kind)) return analysisJobPods(object)[0]?.template.metadata ?? {};
  return object.spec?.template?.metadata ?? {};
}

/** Argo Rollouts analysis templates: each Job metric runs a pod per measurement. */
export const ANALYSIS_TEMPLATE_KINDS: ReadonlySet<string> = new Set(['AnalysisTemplate', 'ClusterAnalysisTemplate']);

/** The pod templates of an analysis template's Job metrics, by metric name (none for a template without Job metrics). */
export function analysisJobPods(object: KubernetesObject): { metric: string; template: { metadata?: Record<string, any>; spec: Record<string, any> } }[] {
  const metrics: any[] = Array.isArray(object.spec?.metrics) ? object.spec.metrics : [];
  return metrics.filter((m) => m?.provider?.job?.spec?.template?.spec).map((m) => ({ metric: String(m.name), template: m.provider.job.spec.template }));
}

/** Capabilities "baseline" lets a container add (Kubernetes v1.36 policy). */
const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
/** Sysctls "baseline" allows (the safe set, Kubernetes v1.36). */
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
/** Volume types "restricted" allows (Kubernetes v1.36). */
const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];

type Pod = Record<string, any>;
type Annotations = Record<string, string>;

/** Every container of the pod: init, regular and ephemeral, as admission visits them. */
function containersOf(pod: Pod): Record<string, any>[] {
  return [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
}

/** `hostUsers: false`: the pod runs in a user namespace, which relaxes some controls (v1.35+). */
const inUserNamespace = (pod: Pod) => pod.hostUsers === false;
const isWindows = (pod: Pod) => pod.os?.name === 'windows';

/** One control of the Pod Security Standards, by its name on the standard's page. */
export interface PodSecurityControl {
  readonly name: string;
  /** The lowest level that enforces it. */
  readonly level: Exclude<PodSecurityLevel, 'privileged'>;
  /** The baseline control a restricted control tightens: admission checks the restricted form in its place. */
  readonly tightens?: string;
  readonly violations: (pod: Pod, annotations: Annotations) => string[];
}

function securityOptions(where: string, context: Record<string, any>, option: 'seccompProfile' | 'appArmorProfile'): string[] {
  const type = context[option]?.type;
  return type !== undefined && type !== 'RuntimeDefault' && type !== 'Localhost' ? [`${where}: ${option} ${type}`] : [];
}

const probeHosts = (container: Record<string, any>): string[] => [
  ...['livenessProbe', 'readinessProbe', 'startupProbe'].flatMap((probe) => [container[probe]?.httpGet?.host, container[probe]?.tcpSocket?.host]),
  ...['postStart', 'preStop'].flatMap((hook) => [container.lifecycle?.[hook]?.httpGet?.host, container.lifecycle?.[hook]?.tcpSocket?.host]),
].filter((host): host is string => typeof host === 'string' && host !== '');

const procMountViolations = (pod: Pod) => containersOf(pod)
  .filter((c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== 'Default')
  .map((c) => `${c.name}: procMount ${c.securityContext.procMount}`);

/** The controls, baseline first, in the order of the standard's page. */
export const POD_SECURITY_CONTROLS: readonly PodSecurityControl[] = [
  {
    name: 'HostProcess',
    level: 'baseline',
    violations: (pod) => [
      ...(pod.securityContext?.windowsOptions?.hostProcess ? ['pod: hostProcess'] : []),
      ...containersOf(pod).filter((c) => c.securityContext?.windowsOptions?.hostProcess).map((c) => `${c.name}: hostProcess`),
    ],
  },
  {
    name: 'Host Namespaces',
    level: 'baseline',
    violations: (pod) => (pod.hostNetwork || pod.hostPID || pod.hostIPC ? ['pod: host namespaces'] : []),
  },
  {
    name: 'Privileged Containers',
    level: 'baseline',
    violations: (pod) => containersOf(pod).filter((c) => c.securityContext?.privileged).map((c) => `${c.name}: privileged`),
  },
  {
    name: 'Capabilities',
    level: 'baseline',
    violations: (pod) => containersOf(pod).flatMap((c) => {
      const notAllowed = ((c.securityContext?.capabilities?.add ?? []) as string[]).filter((cap) => !BASELINE_CAPABILITIES.includes(cap));
      return notAllowed.length > 0 ? [`${c.name}: adds capabilities ${notAllowed.join(',')}`] : [];
    }),
  },
  {
    name: 'HostPath Volumes',
    level: 'baseline',
    violations: (pod) => (pod.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => `volume ${v.name}: hostPath`),
  },
  {
    name: 'Host Ports',
    level: 'baseline',
    violations: (pod) => containersOf(pod).filter((c) => (c.ports ?? []).some((p: any) => p.hostPort)).map((c) => `${c.name}: hostPort`),
  },
  {
    name: 'Host Probes / Lifecycle Hooks',
    level: 'baseline',
    violations: (pod) => containersOf(pod).flatMap((c) => probeHosts(c).map((host) => `${c.name}: probe or lifecycle host ${host}`)),
  },
  {
    name: 'AppArmor',
    level: 'baseline',
    violations: (pod, annotations) => [
      ...securityOptions('pod', pod.securityContext ?? {}, 'appArmorProfile'),
      ...containersOf(pod).flatMap((c) => securityOptions(c.name, c.securityContext ?? {}, 'appArmorProfile')),
      ...Object.entries(annotations)
        .filter(([key, value]) => key.startsWith('container.apparmor.security.beta.kubernetes.io/') && !(value === '' || value === 'runtime/default' || value.startsWith('localhost/')))
        .map(([key, value]) => `pod: AppArmor annotation ${key} ${value}`),
    ],
  },
  {
    name: 'SELinux',
    level: 'baseline',
    violations: (pod) => [['pod', pod.securityContext ?? {}] as const, ...containersOf(pod).map((c) => [c.name, c.securityContext ?? {}] as const)]
      .filter(([, context]) => context.seLinuxOptions && (!SELINUX_TYPES.includes(context.seLinuxOptions.type ?? '') || context.seLinuxOptions.user || context.seLinuxOptions.role))
      .map(([where]) => `${where}: seLinuxOptions`),
  },
  {
    name: '/proc Mount Type',
    level: 'baseline',
    violations: (pod) => (inUserNamespace(pod) ? [] : procMountViolations(pod)),
  },
  {
    name: 'Seccomp',
    level: 'baseline',
    violations: (pod) => [
      ...securityOptions('pod', pod.securityContext ?? {}, 'seccompProfile'),
      ...containersOf(pod).flatMap((c) => securityOptions(c.name, c.securityContext ?? {}, 'seccompProfile')),
    ],
  },
  {
    name: 'Sysctls',
    level: 'baseline',
    violations: (pod) => (pod.securityContext?.sysctls ?? []).filter((s: any) => !SAFE_SYSCTLS.includes(s.name)).map((s: any) => `pod: sysctl ${s.name}`),
  },
  {
    name: 'Volume Types',
    level: 'restricted',
    tightens: 'HostPath Volumes',
    violations: (pod) => (pod.volumes ?? []).flatMap((volume: any) => {
      const type = Object.keys(volume).find((k) => k !== 'name');
      return type && RESTRICTED_VOLUME_TYPES.includes(type) ? [] : [`volume ${volume.name}: type ${type} not allowed`];
    }),
  },
  {
    name: 'Privilege Escalation',
    level: 'restricted',
    violations: (pod) => (isWindows(pod) ? [] : containersOf(pod)
      .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
      .map((c) => `${c.name}: allowPrivilegeEscalation must be false`)),
  },
  {
    name: 'Running as Non-root',
    level: 'restricted',
    violations: (pod) => {
      if (inUserNamespace(pod)) return [];
      const podValue = pod.securityContext?.runAsNonRoot;
      return [
        ...(podValue === false ? ['pod: runAsNonRoot must be true'] : []),
        ...containersOf(pod).filter((c) => (c.securityContext?.runAsNonRoot ?? (podValue === true ? true : undefined)) !== true).map((c) => `${c.name}: runAsNonRoot must be true`),
      ];
    },
  },
  {
    name: 'Running as Non-root user',
    level: 'restricted',
    violations: (pod) => (inUserNamespace(pod) ? [] : [
      ...(pod.securityContext?.runAsUser === 0 ? ['pod: runAsUser 0'] : []),
      ...containersOf(pod).filter((c) => c.securityContext?.runAsUser === 0).map((c) => `${c.name}: runAsUser 0`),
    ]),
  },
  {
    name: 'Seccomp (restricted)',
    level: 'restricted',
    tightens: 'Seccomp',
    violations: (pod) => {
      const podType = pod.securityContext?.seccompProfile?.type;
      const valid = (type: unknown) => type === 'RuntimeDefault' || type === 'Localhost';
      return [
        ...(podType !== undefined && !valid(podType) ? [`pod: seccompProfile ${podType}`] : []),
        ...containersOf(pod).filter((c) => !valid(c.securityContext?.seccompProfile?.type ?? podType)).map((c) => `${c.name}: seccompProfile must be RuntimeDefault or Localhost`),
      ];
    },
  },
  {
    name: 'Capabilities (restricted)',
    level: 'restricted',
    tightens: 'Capabilities',
    violations: (pod) => (isWindows(pod) ? [] : containersOf(pod).flatMap((c) => {
      const drop: string[] = c.securityContext?.capabilities?.drop ?? [];
      const add: string[] = c.securityContext?.capabilities?.add ?? [];
      const forbidden = add.filter((cap) => cap !== 'NET_BIND_SERVICE');
      return [
        ...(drop.includes('ALL') ? [] : [`${c.name}: capabilities must drop ALL`]),
        ...(forbidden.length > 0 ? [`${c.name}: adds capabilities ${forbidden.join(',')}`] : []),
      ];
    })),
  },
  {
    name: '/proc Mount Type (restricted)',
    level: 'restricted',
    tightens: '/proc Mount Type',
    violations: (pod) => procMountViolations(pod),
  },
];

/**
 * The controls a namespace at `level` enforces. At "restricted" both a baseline control and the
 * restricted control that tightens it are listed: admission checks only the restricted form, which
 * fails whenever the baseline one does, so a pod is admitted exactly when both pass.
 */
export function enforcedControls(level: PodSecurityLevel): PodSecurityControl[] {
  if (level === 'privileged') return [];
  return POD_SECURITY_CONTROLS.filter((c) => level === 'restricted' || c.level === 'baseline');
}

/** One control's result for one pod spec. */
export interface PodSecurityControlResult {
  readonly control: string;
  readonly level: Exclude<PodSecurityLevel, 'privileged'>;
  readonly violations: string[];
}

/** Every control (baseline and restricted) evaluated on a pod spec, in the standard's order. */
export function podSecurityControlResults(pod: Record<string, any>, annotations: Record<string, string> = {}): PodSecurityControlResult[] {
  return POD_SECURITY_CONTROLS.map((control) => ({ control: control.name, level: control.level, violations: control.violations(pod, annotations) }));
}

/** The violations of the level (none for "privileged"): what a namespace enforcing it would reject. */
export function podSecurityViolations(pod: Record<string, any>, level: PodSecurityLevel, annotations: Record<string, string> = {}): string[] {
  return [...new Set(enforcedControls(level).flatMap((control) => control.violations(pod, annotations)))];
}

/**
 * The violations of Pod Security Standard "baseline" (Kubernetes v1.36 policy) in a pod spec,
 * as `<container>: <control>` lines; empty when a baseline namespace admits the pod.
 */
export function baselineViolations(pod: Record<string, any>, annotations: Record<string, string> = {}): string[] {
  return podSecurityViolations(pod, 'baseline', annotations);
}

/**
 * The violations of Pod Security Standard "restricted" (Kubernetes v1.36 policy, baseline
 * controls included) in a pod spec, as `<container>: <control>` lines; empty when the pod is
 * admitted in a restricted namespace.
 */
export function restrictedViolations(pod: Record<string, any>, annotations: Record<string, string> = {}): string[] {
  return podSecurityViolations(pod, 'restricted', annotations);
}
