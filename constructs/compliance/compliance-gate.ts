import * as fs from 'node:fs';
import {
  App,
  Aspects,
  Stage,
  Validations,
  type IAspect,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { acknowledgedIds, expiredAcknowledgments, type ComplianceAcknowledgment } from './acknowledgment';
import { assertSingleAwsCdkLib, cfnResourceCensus, gateAwsCdkLibCopies, nagCfnResourceClass, unevaluatedResourcesError } from './aws-cdk-lib-copies';
import { cachedCloudFormationValidate } from './cached-cloudformation-validate';
import { ControlTowerGuardPlugin } from './control-tower-guard';
import { RecordingAwsSolutionsChecks, RecordingHIPAASecurityChecks, RecordingNIST80053R5Checks, RecordingPCIDSS321Checks } from './evaluations';
import { LIBRARY_ACKNOWLEDGMENTS } from './library-acknowledgments';
import { LIBRARY_CONSTRUCT_METADATA, libraryClassOf } from './library-constructs';
import { ValidationCache } from './validation-cache';

/** The validation plugins the compliance gate runs, by the name they report under. */
export const COMPLIANCE_PLUGIN_NAMES = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'cdk-validator-cfnguard'] as const;

/** Options of `applyComplianceGate`. */
export interface ComplianceGateOptions {
  /**
   * Your registry: acknowledgments for findings on the resources your app builds, each with its
   * reason. The library's own (`LIBRARY_ACKNOWLEDGMENTS`, for the resources its constructs build)
   * are always attached too; do not repeat them here.
   * @default - none: only the library's acknowledgments
   */
  readonly acknowledgments?: readonly ComplianceAcknowledgment[];

  /**
   * A directory where the gate keeps the findings of its template-based checks (cfn-guard, and
   * aws-cdk-lib's built-in CloudFormation validation when the scope is an App that runs it) per
   * template, keyed by a hash of the template's text, the rule set and the tools' versions: an
   * unchanged stack is not validated again, and the report is the same as a full run's. Parallel
   * synths may share it. The cdk-nag packs, which read the construct tree, always run.
   * @default - no cache: every template is validated on every synth
   */
  readonly cacheDirectory?: string;

  /**
   * The day acknowledgments are checked against: synth fails when one has expired (its
   * `expires` is before this day), naming it and its owner.
   * @default - today
   */
  readonly today?: Date;
}

/**
 * Turns the compliance gate on for an app (or a stage): the cdk-nag packs AwsSolutions, HIPAA
 * Security, NIST 800-53 R5 and PCI DSS 3.2.1 and the cfn-guard Control Tower proactive controls
 * run on every synth, and the library's acknowledgments (`LIBRARY_ACKNOWLEDGMENTS`) plus
 * `options.acknowledgments` are attached to every construct they select, in every Stage found
 * under `scope` (call it after adding your stages; for a stage synthesized before that, such as a
 * CDK Pipelines stage, call `attachComplianceAcknowledgments` in it).
 *
 * The gate refuses to pass having looked at nothing: it throws here when more than one copy of
 * aws-cdk-lib is loaded (the library's, cdk-nag's and cfn-guard's must be one), and synth fails
 * when the app has no CloudFormation resource, when a resource was created with another
 * aws-cdk-lib copy than cdk-nag's (cdk-nag would skip it), or when cfn-guard gets no template.
 *
 * CDK fails synth only on reports concluded "failure"; call `assertNoOpenFindings` on the
 * assembly directory after `app.synth()` to fail on every open finding.
 */
export function applyComplianceGate(scope: Construct, options: ComplianceGateOptions = {}): void {
  const copies = gateAwsCdkLibCopies();
  assertSingleAwsCdkLib(copies);
  const cache = options.cacheDirectory === undefined ? undefined : new ValidationCache(options.cacheDirectory);
  Validations.of(scope).addPlugins(
    new RecordingAwsSolutionsChecks(scope),
    new RecordingHIPAASecurityChecks(scope),
    new RecordingNIST80053R5Checks(scope),
    new RecordingPCIDSS321Checks(scope),
    new RequireTemplates(new ControlTowerGuardPlugin(cache)),
  );
  if (cache && runsBuiltinValidation(scope)) Validations.of(scope).addPlugins(cachedCloudFormationValidate(cache));
  const nagCopy = copies.find((c) => c.usedBy === 'cdk-nag')!;
  const today = options.today ?? new Date();
  scope.node.addValidation({
    validate: () => {
      const error = unevaluatedResourcesError(cfnResourceCensus(scope, nagCfnResourceClass()), nagCopy);
      // an exception holds until its expiry date: then its owner renews it or fixes the resource
      const expired = expiredAcknowledgments([...LIBRARY_ACKNOWLEDGMENTS, ...(options.acknowledgments ?? [])], today).map((e) => `Compliance gate: ${e.message}`);
      return [...(error ? [error] : []), ...expired];
    },
  });
  attachComplianceAcknowledgments(scope, options.acknowledgments);
}

/**
 * Whether aws-cdk-lib would run its built-in CloudFormation validation on this scope: only an App
 * registers it, unless built with `builtinCloudFormationValidation: false` or run with the
 * `CDK_VALIDATION=false` switch aws-cdk-lib documents (read here exactly as aws-cdk-lib reads it).
 */
function runsBuiltinValidation(scope: Construct): boolean {
  if (!App.isApp(scope)) return false;
  const enabled = (scope as unknown as { _builtinCloudFormationValidation?: unknown })._builtinCloudFormationValidation;
  return enabled !== false && process.env.CDK_VALIDATION !== 'false';
}

/**
 * Attaches the library's acknowledgments (`LIBRARY_ACKNOWLEDGMENTS`) and `acknowledgments` to
 * every construct they select under `scope`, in `scope` and every Stage under it. Aspects run
 * when a stage is synthesized: a stage synthesized before `applyComplianceGate` is called (CDK
 * Pipelines synthesizes a stage when it is added to the pipeline) must call this itself.
 * Attaching the same acknowledgment to a construct twice records it once.
 */
export function attachComplianceAcknowledgments(scope: Construct, acknowledgments: readonly ComplianceAcknowledgment[] = []): void {
  const aspect = new AttachAcknowledgments([...LIBRARY_ACKNOWLEDGMENTS, ...acknowledgments]);
  // Aspects do not cross Stage boundaries: give each stage (and the scope itself) the aspect.
  for (const construct of [scope, ...scope.node.findAll().filter((c) => Stage.isStage(c) && c !== scope)]) {
    Aspects.of(construct).add(aspect);
  }
}

/** Acknowledgments already recorded on a construct, so two aspects never record one twice. */
const ATTACHED = new WeakMap<IConstruct, Set<ComplianceAcknowledgment>>();
/** Library constructs already marked with LIBRARY_CONSTRUCT_METADATA. */
const MARKED = new WeakSet<IConstruct>();

/**
 * Records the acknowledgments on the constructs they select, and marks each library construct
 * (metadata in the cloud assembly) so a finding under it can be reported as the library's.
 */
class AttachAcknowledgments implements IAspect {
  constructor(private readonly acknowledgments: readonly ComplianceAcknowledgment[]) {}

  visit(node: IConstruct): void {
    const libraryClass = libraryClassOf(node);
    if (libraryClass && !MARKED.has(node)) {
      MARKED.add(node);
      node.node.addMetadata(LIBRARY_CONSTRUCT_METADATA, libraryClass);
    }
    for (const acknowledgment of this.acknowledgments) {
      if (!acknowledgment.appliesTo(node)) continue;
      let attached = ATTACHED.get(node);
      if (!attached) ATTACHED.set(node, (attached = new Set()));
      if (attached.has(acknowledgment)) continue;
      attached.add(acknowledgment);
      const ids = acknowledgedIds(acknowledgment, node);
      if (ids.length > 0) Validations.of(node).acknowledge(...ids.map((id) => ({ id, reason: acknowledgment.reason })));
    }
  }
}

/**
 * Wraps a template-based plugin (cfn-guard) so it fails, instead of passing, when it is handed
 * no template or only templates without resources: it would have evaluated nothing.
 * (Exported for the library's tests only; not part of the package API.)
 */
export class RequireTemplates implements IPolicyValidationPlugin {
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];

  constructor(private readonly plugin: IPolicyValidationPlugin) {
    this.name = plugin.name;
    this.version = plugin.version;
    this.ruleIds = plugin.ruleIds;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const resources = context.templatePaths.reduce(
      (count, template) => count + Object.keys((JSON.parse(fs.readFileSync(template, 'utf8')) as { Resources?: object }).Resources ?? {}).length,
      0,
    );
    if (resources === 0) {
      throw new Error(
        `Compliance gate: ${this.name} was given ${context.templatePaths.length === 0 ? 'no CloudFormation template' : 'only templates without resources'}, ` +
          'so it evaluated nothing. Apply the gate to the app (or stage) that holds your stacks.',
      );
    }
    return this.plugin.validate(context);
  }
}
