import { Template } from 'aws-cdk-lib/assertions';
import type { PlatformStage } from '../../lib/platform-stage';
import { helmReleases, kubernetesObjects, objectsOfKind, type HelmRelease, type KubernetesObject } from './manifests';
import { podTemplateSpec } from './pod-security';

/** Kubernetes quantity to a number of base units (cores, bytes). */
export function quantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9.]+)(m|Ki|Mi|Gi|Ti)?$/.exec(value);
  if (!match) throw new Error(`unsupported quantity ${value}`);
  const factor = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[match[2] as 'm'] ?? 1;
  return Number(match[1]) * factor;
}

export interface PodLimits {
  readonly cpu: number;
  readonly memory: number;
}

/**
 * Limits of one pod as the scheduler and the quota count them: the larger of the sum over its
 * containers (plus the injected Istio sidecar) and any single init container.
 */
export function podLimits(workload: KubernetesObject, istiod: HelmRelease): PodLimits {
  const pod = podTemplateSpec(workload)!;
  const proxy = istiod.values.global.proxy.resources.limits;
  const sum = (key: 'cpu' | 'memory') => pod.containers.reduce((total: number, c: any) => total + quantity(c.resources.limits[key]), quantity(proxy[key]));
  const init = (key: 'cpu' | 'memory') => Math.max(0, ...(pod.initContainers ?? []).map((c: any) => quantity(c.resources.limits[key])));
  return { cpu: Math.max(sum('cpu'), init('cpu')), memory: Math.max(sum('memory'), init('memory')) };
}

/**
 * The most pods of a workload alive at once: its autoscaler maximum, plus the surge of a rolling
 * update, or a whole second version during a canary or blue-green rollout.
 */
export function worstCasePods(workload: KubernetesObject, maxReplicas: number): number {
  const surge = (value: string | number | undefined) => (typeof value === 'string' && value.endsWith('%') ? Math.ceil((maxReplicas * Number(value.slice(0, -1))) / 100) : Number(value ?? 0));
  if (workload.kind === 'Rollout') {
    const strategy = workload.spec.strategy.canary ?? workload.spec.strategy.blueGreen;
    return 2 * maxReplicas + surge(strategy.maxSurge);
  }
  return maxReplicas + surge(workload.spec.strategy?.rollingUpdate?.maxSurge);
}

/**
 * For each application namespace of a synthesized stage: whether its quota holds every service
 * in it at the autoscaler maximum in the middle of a rollout (`fits`), with the numbers.
 */
export function namespaceQuotaFit(stage: PlatformStage): { namespace: string; fits: boolean; demand: { cpu: number; memory: number; pods: number }; hard: Record<string, string> }[] {
  const clusterObjects = kubernetesObjects(Template.fromStack(stage.cluster));
  const istiod = helmReleases(Template.fromStack(stage.cluster)).find((r) => r.chart === 'istiod')!;
  const workloads = kubernetesObjects(Template.fromStack(stage.workloads));
  return stage.config.cluster.namespaces.map(({ name }) => {
    const hard = objectsOfKind(clusterObjects, 'ResourceQuota').find((q) => q.metadata.namespace === name)!.spec.hard;
    const demand = { cpu: 0, memory: 0, pods: 0 };
    for (const workload of workloads.filter((o) => o.metadata.namespace === name && podTemplateSpec(o))) {
      const hpa = objectsOfKind(workloads, 'HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === workload.metadata.name)!;
      const pods = worstCasePods(workload, hpa.spec.maxReplicas);
      const limits = podLimits(workload, istiod);
      demand.pods += pods;
      demand.cpu += pods * limits.cpu;
      demand.memory += pods * limits.memory;
    }
    const fits = demand.cpu <= quantity(hard['limits.cpu']) && demand.memory <= quantity(hard['limits.memory']) && demand.pods <= quantity(hard.pods);
    return { namespace: name, fits, demand, hard };
  });
}
