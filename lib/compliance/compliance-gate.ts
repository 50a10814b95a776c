import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Aspects, Stage, Validations, type IAspect } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import { ACKNOWLEDGMENTS, type ComplianceAcknowledgment } from './acknowledgments';

/** The validation plugins every synth runs, by the name they report under. */
export const COMPLIANCE_PLUGIN_NAMES = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'cdk-validator-cfnguard'] as const;

/**
 * Registers the compliance gate on an app (or stage): the cdk-nag packs AwsSolutions,
 * HIPAA Security, NIST 800-53 R5 and PCI DSS 3.2.1, and the cfn-guard Control Tower proactive
 * controls. Synth fails on any finding not acknowledged in the one registry
 * (`acknowledgments.ts`), which this also applies.
 *
 * Call it after the stages are added: the registry is attached to every stage found.
 */
export function applyComplianceGate(scope: Construct, acknowledgments: readonly ComplianceAcknowledgment[] = ACKNOWLEDGMENTS): void {
  Validations.of(scope).addPlugins(
    new AwsSolutionsChecks(scope),
    new HIPAASecurityChecks(scope),
    new NIST80053R5Checks(scope),
    new PCIDSS321Checks(scope),
    // The plugin implements the current plugin interface at runtime; its typings lag behind.
    new CfnGuardValidator() as unknown as Parameters<Validations['addPlugins']>[0],
  );
  // Aspects do not cross Stage boundaries: give each stage (and the scope itself) the registry.
  const aspect = new AcknowledgeFromRegistry(acknowledgments);
  for (const construct of [scope, ...scope.node.findAll().filter((c) => Stage.isStage(c) && c !== scope)]) {
    Aspects.of(construct).add(aspect);
  }
}

/** Visits every construct and records the registry's acknowledgments on the ones they name. */
class AcknowledgeFromRegistry implements IAspect {
  constructor(private readonly acknowledgments: readonly ComplianceAcknowledgment[]) {}

  visit(node: IConstruct): void {
    for (const ack of this.acknowledgments) {
      if (!ack.appliesTo(node)) continue;
      Validations.of(node).acknowledge(...ack.ids.map((id) => ({ id, reason: ack.reason })));
    }
  }
}
