import type { PodSecurityLevel } from '../../constructs/cluster/pod-security';
import type { KubernetesObject } from './manifests';

export type { PodSecurityLevel };

/** The pod spec of any object that runs pods (Deployment, Job, Rollout with a template, ...). */
export function podTemplateSpec(object: KubernetesObject): Record<string, any> | undefined {
  if (object.kind === 'Pod') return object.spec;
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template?.spec;
  return object.spec?.template?.spec;
}


/** Capabilities "baseline" lets a container add (Kubernetes v1.36 policy). */
const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
/** Sysctls "baseline" allows (the safe set, Kubernetes v1.36). */
const SAFE_SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

/**
 * The violations of Pod Security Standard "baseline" (Kubernetes v1.36 policy) in a pod spec,
 * as `<container>: <control>` lines; empty when a baseline namespace admits the pod.
 */
export function baselineViolations(pod: Record<string, any>, annotations: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('pod: host namespaces');
  for (const volume of pod.volumes ?? []) if (volume.hostPath) problems.push(`volume ${volume.name}: hostPath`);
  for (const sysctl of podContext.sysctls ?? []) if (!SAFE_SYSCTLS.includes(sysctl.name)) problems.push(`pod: sysctl ${sysctl.name}`);
  const checkOptions = (where: string, context: Record<string, any>) => {
    if (context.seccompProfile?.type === 'Unconfined') problems.push(`${where}: seccompProfile Unconfined`);
    if (context.appArmorProfile?.type === 'Unconfined') problems.push(`${where}: appArmorProfile Unconfined`);
    const selinux = context.seLinuxOptions ?? {};
    if (!SELINUX_TYPES.includes(selinux.type ?? '') || selinux.user || selinux.role) problems.push(`${where}: seLinuxOptions`);
    if (context.windowsOptions?.hostProcess) problems.push(`${where}: hostProcess`);
  };
  checkOptions('pod', podContext);
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value === 'unconfined') problems.push(`pod: AppArmor annotation ${key} unconfined`);
  }
  for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])]) {
    const c = container.securityContext ?? {};
    const name = container.name;
    if (c.privileged) problems.push(`${name}: privileged`);
    const added: string[] = c.capabilities?.add ?? [];
    const notAllowed = added.filter((cap) => !BASELINE_CAPABILITIES.includes(cap));
    if (notAllowed.length > 0) problems.push(`${name}: adds capabilities ${notAllowed.join(',')}`);
    if ((container.ports ?? []).some((p: any) => p.hostPort)) problems.push(`${name}: hostPort`);
    if (c.procMount && c.procMount !== 'Default') problems.push(`${name}: procMount ${c.procMount}`);
    checkOptions(name, c);
  }
  return problems;
}

/** The violations of the level (none for "privileged"): what its namespace would reject. */
export function podSecurityViolations(pod: Record<string, any>, level: PodSecurityLevel, annotations: Record<string, string> = {}): string[] {
  if (level === 'privileged') return [];
  const baseline = baselineViolations(pod, annotations);
  return level === 'baseline' ? baseline : [...new Set([...baseline, ...restrictedViolations(pod)])];
}

/**
 * The violations of Pod Security Standard "restricted" (Kubernetes v1.36 policy) in a pod spec,
 * as `<container>: <control>` lines; empty when the pod is admitted in a restricted namespace.
 */
export function restrictedViolations(pod: Record<string, any>): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('pod: host namespaces');
  for (const volume of pod.volumes ?? []) {
    const allowed = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (!type || !allowed.includes(type)) problems.push(`volume ${volume.name}: type ${type} not allowed`);
  }
  const podSeccomp = podContext.seccompProfile?.type;
  for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const c = container.securityContext ?? {};
    const name = container.name;
    if (c.privileged) problems.push(`${name}: privileged`);
    if (c.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation must be false`);
    if ((c.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push(`${name}: runAsNonRoot must be true`);
    if ((c.runAsUser ?? podContext.runAsUser) === 0) problems.push(`${name}: runAsUser 0`);
    const seccomp = c.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${name}: seccompProfile must be RuntimeDefault or Localhost`);
    const drop: string[] = c.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) problems.push(`${name}: capabilities must drop ALL`);
    const add: string[] = c.capabilities?.add ?? [];
    if (add.some((cap) => cap !== 'NET_BIND_SERVICE')) problems.push(`${name}: adds capabilities ${add.join(',')}`);
    if ((container.ports ?? []).some((p: any) => p.hostPort)) problems.push(`${name}: hostPort`);
  }
  return problems;
}
