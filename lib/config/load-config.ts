import type { Node } from 'constructs';
import { ENVIRONMENT_DEFAULTS } from './environments';
import type { PipelineConfig, PlatformConfig } from './platform-config';
import { PipelineConfigError, PlatformConfigError, validatePipelineConfig, validatePlatformConfig } from './validate-config';

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

// --- Pipeline --------------------------------------------------------------------------------

/** Context key holding the pipeline section: `{ "pipeline": { "connectionArn": "...", ... } }`. */
export const PIPELINE_CONTEXT_KEY = 'pipeline';

/** Defaults merged under the pipeline section. */
export const PIPELINE_DEFAULTS: Pick<PipelineConfig, 'branch' | 'environments' | 'smokeTestBaseUrls'> = {
  branch: 'main',
  environments: ['staging', 'prod'],
  smokeTestBaseUrls: {},
};

/** A validated pipeline section and the validated configurations of the environments it deploys, in order. */
export interface ResolvedPipelineConfig {
  readonly pipeline: PipelineConfig;
  readonly environments: PlatformConfig[];
}

/**
 * Reads the `pipeline` section from context (an object, or a JSON string from `-c`), and the
 * `platform.<env>` overrides of each environment it deploys. Returns `undefined` when there is
 * no section (or it is `"off"`): the app then builds the `-c env` stages as before.
 */
export function loadPipelineConfig(node: Node): ResolvedPipelineConfig | undefined {
  let section = node.tryGetContext(PIPELINE_CONTEXT_KEY);
  if (section === undefined || section === null || section === false || section === 'off' || section === '') return undefined;
  if (typeof section === 'string') {
    try {
      section = JSON.parse(section);
    } catch {
      throw new PipelineConfigError([`pipeline is ${JSON.stringify(section)}: must be a JSON object. Fix: pass -c pipeline='{"connectionArn":"...","repository":"owner/name",...}' or set it in cdk.json context.`]);
    }
  }
  if (!isPlainObject(section)) {
    throw new PipelineConfigError([`pipeline is ${JSON.stringify(section)}: must be an object. Fix: see "Delivery pipeline" in docs/pipeline.md.`]);
  }
  const pipeline = mergeConfig(PIPELINE_DEFAULTS as PipelineConfig, section);
  let overrides = node.tryGetContext(OVERRIDES_CONTEXT_KEY) ?? {};
  if (typeof overrides === 'string') overrides = JSON.parse(overrides);
  const known = knownEnvironments();
  const names = Array.isArray(pipeline.environments) ? pipeline.environments.filter((n) => known.includes(n)) : [];
  const environments = [...new Set(names)].map((name) => resolvePlatformConfig(name, overrides[name]));
  // Smoke tests call each environment's sample service at its gateway host unless told otherwise.
  const smokeTestBaseUrls = { ...Object.fromEntries(environments.map((env) => [env.envName, `https://${env.workloads.sample.hostname}`])), ...pipeline.smokeTestBaseUrls };
  return { pipeline: validatePipelineConfig({ ...pipeline, smokeTestBaseUrls }, environments, known), environments };
}
