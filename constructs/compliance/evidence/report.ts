import { readValidationReport, type ReportViolation } from '../validation-report';
import type { EvidenceResource } from './assembly';

/** A finding of CDK's `validation-report.json`, open or acknowledged, on one resource. */
export interface ReportedFinding {
  readonly plugin: string;
  readonly pluginVersion?: string;
  /** The rule as the plugin reports it, e.g. `AwsSolutions-IAM5[Resource::*]` or `lambda_inside_vpc_check`. */
  readonly rule: string;
  readonly description: string;
  readonly severity: string;
  readonly constructPath?: string;
  /** Relative to the assembly directory, when the plugin named the template. */
  readonly templateFile?: string;
  readonly logicalId?: string;
  /** Set when acknowledged: the id, the reason, and the construct the acknowledgment is attached to. */
  readonly acknowledgment?: { readonly id: string; readonly reason: string; readonly attachedTo: string };
}

/** Every finding of the assembly's validation report, one per resource, open and acknowledged. */
export function reportedFindings(assemblyDirectory: string): ReportedFinding[] {
  const report = readValidationReport(assemblyDirectory);
  if (!report) return [];
  return report.pluginReports.flatMap((plugin) => {
    const expand = (violation: ReportViolation, acknowledged: boolean): ReportedFinding[] =>
      (violation.violatingConstructs ?? [{}]).map((c) => ({
        plugin: plugin.pluginName,
        pluginVersion: plugin.pluginVersion,
        rule: violation.ruleName,
        description: violation.description ?? '',
        severity: violation.severity ?? 'error',
        constructPath: c.constructPath,
        templateFile: c.cloudFormationResource?.templatePath,
        logicalId: c.cloudFormationResource?.logicalId,
        acknowledgment: acknowledged ? { id: violation.acknowledgedId ?? '', reason: violation.reason ?? '', attachedTo: violation.acknowledgedAt ?? '' } : undefined,
      }));
    return [...(plugin.violations ?? []).flatMap((v) => expand(v, false)), ...(plugin.suppressedViolations ?? []).flatMap((v) => expand(v, true))];
  });
}

/** Whether a finding is on this resource: by construct path (cdk-nag), or by template and logical id (template plugins). */
export function findingIsOn(finding: ReportedFinding, resource: EvidenceResource): boolean {
  return (finding.constructPath !== undefined && finding.constructPath === resource.constructPath) ||
    (finding.templateFile !== undefined && finding.templateFile === resource.templateFile && finding.logicalId === resource.logicalId);
}
