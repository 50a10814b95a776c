/**
 * The zero-trust platform construct library. One folder per capability; every construct is
 * secure by default and takes typed props only (no environment variables, no lookups).
 */
export * from './network';
export * from './cluster';
export * from './compliance';
export * from './data';
export * from './mesh';
export * from './workload';
export * from './delivery';
export * from './observability';
export * from './registry';
// Validation helpers the constructs' own messages use, for compositions that check their inputs the same way.
export { describeValue, isDns1035Label, isDns1123Label, isIntBetween } from './core/validation';
