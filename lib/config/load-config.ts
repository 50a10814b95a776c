import type { Node } from 'constructs';
import { ENVIRONMENT_DEFAULTS } from './environments';
import type { PipelineConfig, PlatformConfig } from './platform-config';
import { problemLine } from './schema';
import { PipelineConfigError, PlatformConfigError, pipelineConfigProblems, platformConfigProblems, platformSource } from './validate-config';

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
 * The configuration of one environment (the defaults of `envName` with `overrides` merged in)
 * and every problem with it; `config` is set only when there are none.
 */
function resolveEnvironment(envName: string, overrides: unknown): { config?: PlatformConfig; problems: string[] } {
  const defaults = ENVIRONMENT_DEFAULTS[envName];
  if (!defaults) {
    return { problems: [`env is ${JSON.stringify(envName)}: unknown environment. Fix: use -c env=<name> with one of ${knownEnvironments().join(', ')}.`] };
  }
  if (overrides !== undefined && overrides !== null && !isPlainObject(overrides)) {
    const source = platformSource(envName);
    return { problems: [problemLine(source.path, overrides, 'must be an object of settings. Fix: write it as an object such as { "name": "team-a-dev" } (the settings are listed under "Configuration reference" in the README)', source.where)] };
  }
  const config = mergeConfig(defaults, { ...(overrides as object | undefined), envName });
  const problems = platformConfigProblems(config);
  return problems.length > 0 ? { problems } : { config, problems };
}

/**
 * Builds and validates the configuration of one environment: the defaults of `envName`
 * with `overrides` merged in. Throws `PlatformConfigError` naming every bad setting: unknown
 * ones (with the nearest valid name), wrong types, values out of range and broken policy.
 */
export function resolvePlatformConfig(envName: string, overrides?: PlatformConfigOverrides): PlatformConfig {
  const { config, problems } = resolveEnvironment(envName, overrides);
  if (!config) throw new PlatformConfigError(envName, problems);
  return config;
}

/**
 * The `platform` context section: an object (or a JSON string from `-c`) keyed by environment.
 * Keys that are not environments are not read (as before: only selected environments are).
 */
function readOverridesSection(node: Node, envNames: string): Record<string, unknown> {
  let section: unknown = node.tryGetContext(OVERRIDES_CONTEXT_KEY) ?? {};
  if (typeof section === 'string') {
    try {
      section = JSON.parse(section);
    } catch {
      throw new PlatformConfigError(envNames, [
        `platform is ${JSON.stringify(section)}: must be a JSON object. Fix: pass -c platform='{"dev":{"name":"team-a-dev"}}' or set it in cdk.json context.`,
      ]);
    }
  }
  if (!isPlainObject(section)) {
    throw new PlatformConfigError(envNames, [
      `platform is ${JSON.stringify(section)}: must be an object keyed by environment (${knownEnvironments().join(', ')}). Fix: set it to e.g. { "prod": { "account": "123456789012", ... } } in cdk.json context.`,
    ]);
  }
  return section;
}

/**
 * Reads the selected environment (`-c env=...`, default `dev`; a comma-separated list selects
 * several) and its overrides (`platform.<env>` in context) from the app's context. Throws one
 * `PlatformConfigError` listing the problems of every selected environment.
 */
export function loadPlatformConfigs(node: Node): PlatformConfig[] {
  const selected = String(node.tryGetContext(ENV_CONTEXT_KEY) ?? DEFAULT_ENV);
  const names = selected.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  const overrides = readOverridesSection(node, names.join(','));
  const resolved = names.map((name) => ({ name, ...resolveEnvironment(name, overrides[name]) }));
  const failed = resolved.filter((r) => r.problems.length > 0);
  if (failed.length > 0) throw new PlatformConfigError(failed.map((r) => r.name).join(','), failed.flatMap((r) => r.problems));
  return resolved.map((r) => r.config!);
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
  const known = knownEnvironments();
  const names = Array.isArray(pipeline.environments) ? pipeline.environments.filter((n) => typeof n === 'string' && known.includes(n)) : [];
  const overrides = readOverridesSection(node, names.join(','));
  const resolved = [...new Set(names)].map((name) => resolveEnvironment(name, overrides[name]));
  const environments = resolved.flatMap((r) => (r.config ? [r.config] : []));
  // Smoke tests call each environment's sample service at its gateway host unless told otherwise.
  const defaultUrls = Object.fromEntries(environments.map((env) => [env.envName, `https://${env.workloads.sample.hostname}`]));
  const given: unknown = pipeline.smokeTestBaseUrls;
  // Anything but an object is left as given, for the schema to report.
  const merged = { ...pipeline, smokeTestBaseUrls: given === undefined || isPlainObject(given) ? { ...defaultUrls, ...given } : given } as PipelineConfig;
  // One error for everything: the pipeline section's problems, then those of the environments it deploys.
  const problems = [...pipelineConfigProblems(merged, environments, known), ...resolved.flatMap((r) => r.problems)];
  if (problems.length > 0) throw new PipelineConfigError(problems);
  return { pipeline: merged, environments };
}
