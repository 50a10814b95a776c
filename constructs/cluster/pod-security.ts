/** Pod Security Standards levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** Kubernetes version whose Pod Security standards are enforced: pinned, bumped deliberately with the cluster. */
export const POD_SECURITY_VERSION = 'v1.36';

/** Pod Security admission labels for a namespace: enforce, audit and warn at one level, each at a pinned version. */
export function podSecurityLabels(level: PodSecurityLevel, version = POD_SECURITY_VERSION): Record<string, string> {
  return Object.fromEntries(['enforce', 'audit', 'warn'].flatMap((mode) => [
    [`pod-security.kubernetes.io/${mode}`, level],
    [`pod-security.kubernetes.io/${mode}-version`, version],
  ]));
}
