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

/**
 * Namespace annotation that records why a namespace enforces Pod Security "privileged" (an
 * exception to the platform's "restricted"): the evidence pack's Kubernetes report shows the
 * reason, and reports a privileged namespace the platform manages without one as a failure.
 */
export const POD_SECURITY_EXCEPTION_ANNOTATION = 'platform.zero-trust/pod-security-exception';

/**
 * The annotations recording a Pod Security exception of a namespace (see
 * {@link POD_SECURITY_EXCEPTION_ANNOTATION}).
 *
 * @param reason why the namespace's pods cannot run under a stricter level, in a reviewer's words
 *   (what they need from the host, and why)
 */
export function podSecurityException(reason: string): Record<string, string> {
  if (reason.trim().length === 0) {
    throw new Error('podSecurityException: the reason is empty. Fix: say what the namespace\'s pods need from the host that a stricter Pod Security level forbids.');
  }
  return { [POD_SECURITY_EXCEPTION_ANNOTATION]: reason.trim() };
}
