/**
 * The ranges `StatelessService` accepts, exported so a configuration layer checks the same numbers
 * instead of a copy of them. Ranges are inclusive.
 */

/** `minReplicas`: two at least (one replica is a single point of failure). */
export const SERVICE_MIN_REPLICAS = { min: 2, max: 100 } as const;

/** Largest `maxReplicas` (which ranges from `minReplicas` up to this): as many pods as an application namespace's quota can hold. */
export const SERVICE_MAX_REPLICAS = 1000;
