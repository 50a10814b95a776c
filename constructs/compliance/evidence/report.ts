import * as fs from 'node:fs';
import * as path from 'node:path';

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

interface ReportConstruct {
  readonly constructPath?: string;
  readonly cloudFormationResource?: { readonly templatePath?: string; readonly logicalId?: string };
}

interface ReportViolation {
  readonly ruleName: string;
  readonly description?: string;
  readonly severity?: string;
  readonly violatingConstructs?: ReportConstruct[];
  readonly acknowledgedId?: string;
  readonly reason?: string;
  readonly acknowledgedAt?: string;
}

interface ValidationReport {
  readonly pluginReports: { pluginName: string; pluginVersion?: string; violations?: ReportViolation[]; suppressedViolations?: ReportViolation[] }[];
}

/** Every finding of the assembly's validation report, one per resource, open and acknowledged. */
export function reportedFindings(assemblyDirectory: string): ReportedFinding[] {
  const file = path.join(assemblyDirectory, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
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
