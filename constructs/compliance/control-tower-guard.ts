import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport, type PolicyValidationStack } from 'aws-cdk-lib';
import { writeEvaluations } from './evaluations';
import { validatePerTemplate, type ValidationCache } from './validation-cache';

/** The cfn-guard plugin package's directory (its rules and its cfn-guard binary live in it). */
function guardPackageDirectory(): string {
  return path.resolve(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..');
}

/** One Control Tower proactive control: its rule file and the resource types it can report on. */
export interface GuardRule {
  readonly file: string;
  /** The rule's name as cfn-guard reports it, e.g. `lambda_inside_vpc_check`. */
  readonly name: string;
  /** The Control Tower control, e.g. `CT.LAMBDA.PR.3`, and its title. */
  readonly control: string;
  readonly title: string;
  /** Every CloudFormation resource type the rule names; empty: it is always run. */
  readonly resourceTypes: ReadonlySet<string>;
  /** The types it reports on: its "Reports on" header, spelled as its code names them. */
  readonly reportsOn: ReadonlySet<string>;
}

const RESOURCE_TYPE_LITERAL = /["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']/g;

/**
 * The Control Tower proactive controls the plugin ships (`rules/control-tower/cfn-guard/**\/*.guard`),
 * each with the resource types it names: the types its rule selects (`Resources.*[ Type == ... ]`)
 * and any it looks up to follow references. A control only reports on resources of a type it
 * names, so it has nothing to say about a template without one.
 */
export function controlTowerRules(rulesDirectory = path.join(guardPackageDirectory(), 'rules', 'control-tower', 'cfn-guard')): GuardRule[] {
  return fs.readdirSync(rulesDirectory, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.guard'))
    .sort()
    .map((relative) => {
      const file = path.join(rulesDirectory, relative);
      const text = fs.readFileSync(file, 'utf8');
      const resourceTypes = new Set([...text.matchAll(RESOURCE_TYPE_LITERAL)].map((m) => m[1]));
      const header = /# Reports on:\n((?:#\s+AWS::.*\n)+)/.exec(text)?.[1] ?? '';
      // matched without case: one upstream header misspells its type; the code's spelling is the real one
      const reportsOn = new Set([...header.matchAll(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g)]
        .map((m) => [...resourceTypes].find((t) => t.toLowerCase() === m[0].toLowerCase()))
        .filter((t): t is string => t !== undefined));
      const control = /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]:\s*([^\n<]+)/.exec(text);
      return {
        file,
        name: /^rule (\w+) when/m.exec(text)?.[1] ?? path.basename(file, '.guard'),
        control: control?.[1] ?? '',
        title: control?.[2].trim() ?? '',
        resourceTypes,
        reportsOn: reportsOn.size > 0 ? reportsOn : resourceTypes,
      };
    });
}

/** The rules that can report on a template holding these resource types. */
export function applicableRules(rules: readonly GuardRule[], resourceTypes: ReadonlySet<string>): GuardRule[] {
  return rules.filter((rule) => rule.resourceTypes.size === 0 || [...rule.resourceTypes].some((t) => resourceTypes.has(t)));
}

/** The resource types in CloudFormation templates. */
export function resourceTypesIn(templatePaths: readonly string[]): Set<string> {
  const types = new Set<string>();
  for (const template of templatePaths) {
    const resources = (JSON.parse(fs.readFileSync(template, 'utf8')) as { Resources?: Record<string, { Type?: unknown }> }).Resources ?? {};
    for (const resource of Object.values(resources)) if (typeof resource?.Type === 'string') types.add(resource.Type);
  }
  return types;
}

/**
 * The cfn-guard Control Tower proactive controls, at the cost of what they check: one cfn-guard
 * run per synth with only the controls that name a resource type present in the templates, and,
 * given a cache, only over the templates whose findings are not cached. The findings, their
 * order and the plugin's name, version and rule ids are those of `CfnGuardValidator` with all
 * its rules (the compliance gate's tests compare both on the whole platform).
 */
export class ControlTowerGuardPlugin implements IPolicyValidationPlugin {
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];
  private readonly rules: GuardRule[];
  private readonly fingerprint: string;

  constructor(private readonly cache?: ValidationCache) {
    const all = new CfnGuardValidator();
    this.name = all.name;
    this.version = all.version;
    this.ruleIds = all.ruleIds;
    this.rules = controlTowerRules();
    const guardVersion = fs.readFileSync(path.join(guardPackageDirectory(), 'guard-version.json'), 'utf8');
    const rulesHash = crypto.createHash('sha256');
    for (const rule of this.rules) rulesHash.update(path.basename(rule.file)).update('\0').update(fs.readFileSync(rule.file)).update('\0');
    this.fingerprint = JSON.stringify({ plugin: this.name, version: this.version, guard: JSON.parse(guardVersion) as unknown, rules: rulesHash.digest('hex') });
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = validatePerTemplate(context.stackTemplates, {
      fingerprint: this.fingerprint,
      cache: this.cache,
      combine: 'concatenate',
      run: (stacks) => this.run(stacks),
    });
    this.writeEvaluations(context, violations);
    return { success: violations.length === 0, violations };
  }

  /**
   * Records, for the evidence pack, each control against each resource of a type it reports on:
   * non-compliant where cfn-guard reported it, compliant otherwise (the control ran on that
   * template and found nothing).
   */
  private writeEvaluations(context: IPolicyValidationContext, violations: PolicyValidationPluginReport['violations']): void {
    if (!App.isApp(context.appConstruct)) return;
    const outdir = context.appConstruct.outdir;
    const failed = new Set(violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName}|${path.resolve(r.templatePath ?? '')}|${r.resourceLogicalId}`)));
    const resources = context.stackTemplates.flatMap((stack) => {
      const template = JSON.parse(fs.readFileSync(stack.templatePath, 'utf8')) as { Resources?: Record<string, { Type?: string; Metadata?: Record<string, unknown> }> };
      return Object.entries(template.Resources ?? {}).map(([logicalId, resource]) => ({
        templateFile: path.relative(outdir, stack.templatePath),
        logicalId,
        constructPath: String(resource.Metadata?.['aws:cdk:path'] ?? ''),
        evaluations: this.rules.filter((rule) => rule.reportsOn.has(resource.Type ?? '')).map((rule) => ({
          rule: rule.name,
          result: failed.has(`${rule.name}|${path.resolve(stack.templatePath)}|${logicalId}`) ? 'Non-Compliant' as const : 'Compliant' as const,
        })),
      }));
    });
    writeEvaluations(context.appConstruct, {
      plugin: this.name,
      version: this.version,
      rules: this.rules.map((rule) => ({ rule: rule.name, info: `[${rule.control}]: ${rule.title}`, level: 'Error' })),
      resources,
    });
  }

  private run(stacks: PolicyValidationStack[]): { violations: PolicyValidationPluginReport['violations'] } {
    const templatePaths = stacks.map((s) => s.templatePath);
    const rules = applicableRules(this.rules, resourceTypesIn(templatePaths));
    if (rules.length === 0) return { violations: [] };
    const guard = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: rules.map((r) => r.file) });
    // The plugin implements the current plugin interface at runtime; its typings lag behind.
    return (guard as unknown as IPolicyValidationPlugin).validate({ templatePaths, stackTemplates: stacks } as IPolicyValidationContext);
  }
}
