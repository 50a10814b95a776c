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

/**
 * A container security context that Pod Security "restricted" admits, read-only root filesystem
 * included: for the charts the platform installs (their defaults drop no capabilities or set no
 * seccomp profile), so every platform pod meets what application pods must.
 */
export const RESTRICTED_CONTAINER_SECURITY_CONTEXT = Object.freeze({
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: Object.freeze({ drop: Object.freeze(['ALL']) }),
  seccompProfile: Object.freeze({ type: 'RuntimeDefault' }),
});
