import type { KubernetesObject } from './manifests';

/** The pod spec of any object that runs pods (Deployment, Job, Rollout with a template, ...). */
export function podTemplateSpec(object: KubernetesObject): Record<string, any> | undefined {
  if (object.kind === 'Pod') return object.spec;
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template?.spec;
  return object.spec?.template?.spec;
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
