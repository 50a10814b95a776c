/**
 * The ranges `IstioMesh` accepts, exported so a configuration layer checks the same numbers
 * instead of a copy of them.
 */

/** Fewest replicas of istiod and of the ingress gateway: losing a pod or a zone keeps the mesh up. */
export const MESH_MIN_REPLICAS = 2;

/**
 * Widest CIDR (smallest prefix length) an internet-facing gateway admits
 * (`ingress.allowedSourceCidrs`): 0.0.0.0/0 or anything wider than /8 is refused.
 */
export const INGRESS_MIN_CIDR_PREFIX = 8;
