import type { Node } from 'constructs';
import { ENVIRONMENT_DEFAULTS } from './environments';
import type { PlatformConfig } from './platform-config';
import { PlatformConfigError, validatePlatformConfig } from './validate-config';

/** Context key selecting the environment: `cdk synth -c env=prod`. */
export const ENV_CONTEXT_KEY = 'env';
/** Context key holding per-environment overrides: `{ "platform": { "prod": { "account": "..." } } }`. */
export const OVERRIDES_CONTEXT_KEY = 'platform';
/** The environment synthesized when none is selected. */
export const DEFAULT_ENV = 'dev';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type PlatformConfigOverrides = DeepPartial<PlatformConfig>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges overrides into defaults; arrays and scalars replace, objects merge. */
export function mergeConfig<T>(base: T, overrides: unknown): T {
  if (!isPlainObject(overrides)) return base;
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    result[key] = isPlainObject(value) && isPlainObject(result[key]) ? mergeConfig(result[key], value) : value;
  }
  return result as T;
}

/** The known environment names, in deployment order. */
export function knownEnvironments(): string[] {
  return Object.keys(ENVIRONMENT_DEFAULTS);
}

/**
 * Builds and validates the configuration of one environment: the defaults of `envName`
 * with `overrides` merged in. Throws `PlatformConfigError` naming every bad setting.
 */
export function resolvePlatformConfig(envName: string, overrides?: PlatformConfigOverrides): PlatformConfig {
  const defaults = ENVIRONMENT_DEFAULTS[envName];
  if (!defaults) {
    throw new PlatformConfigError(envName, [
      `env is ${JSON.stringify(envName)}: unknown environment. Fix: use -c env=<name> with one of ${knownEnvironments().join(', ')}.`,
    ]);
  }
  return validatePlatformConfig(mergeConfig(defaults, { ...overrides, envName }));
}

/**
 * Reads the selected environment (`-c env=...`, default `dev`; a comma-separated list selects
 * several) and its overrides (`platform.<env>` in context) from the app's context.
 */
export function loadPlatformConfigs(node: Node): PlatformConfig[] {
  const selected = String(node.tryGetContext(ENV_CONTEXT_KEY) ?? DEFAULT_ENV);
  let overrides = node.tryGetContext(OVERRIDES_CONTEXT_KEY) ?? {};
  if (typeof overrides === 'string') overrides = JSON.parse(overrides);
  return selected
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0)
    .map((name) => resolvePlatformConfig(name, overrides[name]));
}
