/**
 * The ranges and reserved names `PlatformCluster` and `ApplicationNamespace` accept, exported so a
 * configuration layer checks the same values instead of a copy of them. Ranges are inclusive.
 */

/** Smallest `nodePool.minSize` of a `PlatformCluster` (1 <= minSize <= desiredSize <= maxSize). */
export const NODE_POOL_MIN_SIZE = 1;

/**
 * Widest CIDR (smallest prefix length) allowed to reach a public API endpoint
 * (`publicEndpointAllowedCidrs`): 0.0.0.0/0 or anything wider than /16 is refused.
 */
export const PUBLIC_ENDPOINT_MIN_CIDR_PREFIX = 16;

/** `ApplicationNamespace` quota CPU in cores: 0.1 to 512, in steps of 0.1. */
export const NAMESPACE_QUOTA_CPU = { min: 0.1, max: 512, step: 0.1 } as const;

/** `ApplicationNamespace` quota memory in whole GiB. */
export const NAMESPACE_QUOTA_MEMORY_GIB = { min: 1, max: 4096 } as const;

/** `ApplicationNamespace` quota pods, a whole number. */
export const NAMESPACE_QUOTA_PODS = { min: 1, max: 1000 } as const;

/** Namespace names the platform keeps for itself. */
export const RESERVED_NAMESPACE_NAMES: readonly string[] = ['default'];

/** Namespace name prefixes the platform keeps for itself (Kubernetes and Istio system namespaces). */
export const RESERVED_NAMESPACE_PREFIXES: readonly string[] = ['kube-', 'istio-'];

/** True for a name an `ApplicationNamespace` may not take: `default`, `kube-*` or `istio-*`. */
export function isReservedNamespaceName(name: string): boolean {
  return RESERVED_NAMESPACE_NAMES.includes(name) || RESERVED_NAMESPACE_PREFIXES.some((prefix) => name.startsWith(prefix));
}
