import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnResource, Stack, Stage, type IPolicyValidationContext, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagRuleCompliance, NIST80053R5Checks, PCIDSS321Checks, type IApplyRule } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Every rule evaluation of a synth, not only the failures: which rule looked at which resource
 * and what it concluded. cdk-nag and CDK's report keep only findings; the evidence pack needs
 * what passed too. Written next to `validation-report.json` as
 * `compliance-evaluations/<plugin>.json`.
 */
export const EVALUATIONS_DIRECTORY = 'compliance-evaluations';

/**
 * One rule's conclusion on one resource, as the rule itself returned it. A rule that found the
 * resource not applicable (`N/A`) is not recorded: the plugin's `rules` list every rule it has.
 */
export interface RuleEvaluation {
  readonly rule: string;
  /** `Compliant`, `Non-Compliant`, or `error` when the rule threw (cdk-nag reports that as a finding). */
  readonly result: 'Compliant' | 'Non-Compliant' | 'error';
  /** For rules with findings per item (e.g. IAM4/IAM5): the items found. */
  readonly findings?: readonly string[];
}

/** The evaluations one plugin made, by resource. */
export interface PluginEvaluations {
  readonly plugin: string;
  readonly version?: string;
  /** Every rule the plugin has, with its own text (holding the framework control ids it maps to) and level. */
  readonly rules: readonly { readonly rule: string; readonly info: string; readonly level: string }[];
  /** Per resource, by the template it is in and its logical id. */
  readonly resources: readonly {
    readonly templateFile: string;
    readonly logicalId: string;
    readonly constructPath: string;
    readonly evaluations: readonly RuleEvaluation[];
  }[];
}

const CDK_NAG_VERSION = (JSON.parse(fs.readFileSync(require.resolve('cdk-nag/package.json', { paths: [__dirname] }), 'utf8')) as { version: string }).version;

/** Writes a plugin's evaluations into the app's cloud assembly. */
export function writeEvaluations(app: IConstruct, evaluations: PluginEvaluations): void {
  if (!App.isApp(app)) return;
  const directory = path.join(app.outdir, EVALUATIONS_DIRECTORY);
  fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(path.join(directory, `${evaluations.plugin}.json`), JSON.stringify(evaluations));
}

/** Reads every plugin's evaluations from a cloud assembly directory. */
export function readEvaluations(assemblyDirectory: string): PluginEvaluations[] {
  const directory = path.join(assemblyDirectory, EVALUATIONS_DIRECTORY);
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(directory, f), 'utf8')) as PluginEvaluations);
}

/** The template file (relative to the assembly root) and logical id of a CfnResource. */
function locate(resource: CfnResource): { templateFile: string; logicalId: string } {
  const stack = Stack.of(resource);
  const stage = Stage.of(stack)!;
  const app = App.of(stack)!;
  return { templateFile: path.relative(app.outdir, path.join(stage.outdir, stack.templateFile)), logicalId: stack.resolve(resource.logicalId) as string };
}

/**
 * Records what a cdk-nag pack's rules conclude, through the pack's own `applyRule` (the one
 * place each rule is run): every rule, every resource, compliant or not.
 */
class NagRecorder {
  private readonly byResource = new Map<CfnResource, RuleEvaluation[]>();
  private readonly rules = new Map<string, { rule: string; info: string; level: string }>();

  constructor(private readonly packName: () => string) {}

  /** The rule of `params`, wrapped to record its result; same rule id, same behaviour. */
  wrap(params: IApplyRule): IApplyRule {
    const rule = params.rule;
    const suffix = params.ruleSuffixOverride ?? rule.name;
    const id = `${this.packName()}-${suffix}`;
    this.rules.set(id, { rule: id, info: params.info, level: params.level });
    const record = (evaluation: Omit<RuleEvaluation, 'rule'>) => {
      let list = this.byResource.get(params.node);
      if (!list) this.byResource.set(params.node, (list = []));
      list.push({ rule: id, ...evaluation });
    };
    const recorded = (node: CfnResource) => {
      try {
        const result = rule(node);
        if (Array.isArray(result)) record(result.length === 0 ? { result: 'Compliant' } : { result: 'Non-Compliant', findings: result });
        else if (result !== NagRuleCompliance.NOT_APPLICABLE) record({ result: result as RuleEvaluation['result'] });
        return result;
      } catch (error) {
        record({ result: 'error' });
        throw error;
      }
    };
    return { ...params, ruleSuffixOverride: suffix, rule: recorded };
  }

  /** Starts a validation run. */
  reset(): void {
    this.byResource.clear();
  }

  /** Writes the run's evaluations into the assembly. */
  write(context: IPolicyValidationContext, plugin: string, version: string | undefined): void {
    writeEvaluations(context.appConstruct, {
      plugin,
      // the packs report no version of their own: they are versioned with cdk-nag
      version: version ?? `cdk-nag ${CDK_NAG_VERSION}`,
      rules: [...this.rules.values()].sort((a, b) => a.rule.localeCompare(b.rule)),
      resources: [...this.byResource].map(([resource, evaluations]) => ({ ...locate(resource), constructPath: resource.node.path, evaluations })),
    });
  }
}

// Four small subclasses rather than one mixin: a class expression exported from the library cannot
// carry cdk-nag's protected members in its type declarations (TypeScript error TS4094).

/** AwsSolutions, recording every evaluation for the evidence pack. */
export class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  private readonly recorder = new NagRecorder(() => this.readPackName);
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.wrap(params));
  }
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.recorder.reset();
    const report = super.validate(context);
    this.recorder.write(context, this.name, this.version);
    return report;
  }
}

/** HIPAA Security, recording every evaluation for the evidence pack. */
export class RecordingHIPAASecurityChecks extends HIPAASecurityChecks {
  private readonly recorder = new NagRecorder(() => this.readPackName);
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.wrap(params));
  }
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.recorder.reset();
    const report = super.validate(context);
    this.recorder.write(context, this.name, this.version);
    return report;
  }
}

/** NIST 800-53 R5, recording every evaluation for the evidence pack. */
export class RecordingNIST80053R5Checks extends NIST80053R5Checks {
  private readonly recorder = new NagRecorder(() => this.readPackName);
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.wrap(params));
  }
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.recorder.reset();
    const report = super.validate(context);
    this.recorder.write(context, this.name, this.version);
    return report;
  }
}

/** PCI DSS 3.2.1, recording every evaluation for the evidence pack. */
export class RecordingPCIDSS321Checks extends PCIDSS321Checks {
  private readonly recorder = new NagRecorder(() => this.readPackName);
  protected applyRule(params: IApplyRule): void {
    super.applyRule(this.recorder.wrap(params));
  }
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.recorder.reset();
    const report = super.validate(context);
    this.recorder.write(context, this.name, this.version);
    return report;
  }
}
