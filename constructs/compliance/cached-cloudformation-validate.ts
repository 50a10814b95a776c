import * as path from 'node:path';
import { CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { validatePerTemplate, type ValidationCache } from './validation-cache';

/**
 * aws-cdk-lib's built-in CloudFormation validation (the plugin CDK registers by default, same
 * name, engine, rules and findings), with its findings kept per template in a cache. Registered
 * at the App, it replaces the default instance, as CDK documents for an explicitly registered one.
 */
export class CachedCloudFormationValidate extends CloudFormationValidatePlugin {
  private readonly fingerprint: string;

  private readonly engineVersion: string;

  constructor(private readonly cache: ValidationCache) {
    super();
    const awsCdkLib = require.resolve('aws-cdk-lib/package.json');
    this.engineVersion = (require(require.resolve('@aws/cloudformation-validate/package.json', { paths: [path.dirname(awsCdkLib)] })) as { version: string }).version;
    this.fingerprint = JSON.stringify({ plugin: this.name, engine: this.engineVersion, awsCdkLib: (require(awsCdkLib) as { version: string }).version });
  }

  /**
   * The engine's version, read from its package: the same as the engine reports, without loading
   * its WebAssembly (which a synth whose findings are all cached never needs).
   */
  get version(): string {
    return this.engineVersion;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = validatePerTemplate(context.stackTemplates, {
      fingerprint: this.fingerprint,
      cache: this.cache,
      // the engine resolves pseudo parameters with the stack's account and region
      templateInputs: (stack) => [stack.accountId ?? null, stack.region ?? null],
      combine: 'merge-same-finding',
      run: (stackTemplates) => super.validate({ ...context, templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates }),
    });
    return { success: violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations };
  }
}

/** One instance per cache directory and process, so the engine (slow to build) is built once. */
const INSTANCES = new Map<string, CachedCloudFormationValidate>();

export function cachedCloudFormationValidate(cache: ValidationCache): CachedCloudFormationValidate {
  let plugin = INSTANCES.get(cache.directory);
  if (!plugin) INSTANCES.set(cache.directory, (plugin = new CachedCloudFormationValidate(cache)));
  return plugin;
}
