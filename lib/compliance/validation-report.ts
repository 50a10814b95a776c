import * as fs from 'node:fs';
import * as path from 'node:path';

/** One finding left standing in `validation-report.json`. */
export interface OpenFinding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly constructPaths: string[];
}

interface ReportViolation {
  readonly ruleName: string;
  readonly severity?: string;
  readonly violatingConstructs?: { readonly constructPath?: string }[];
}

interface ValidationReport {
  readonly pluginReports: { readonly pluginName: string; readonly violations?: ReportViolation[] }[];
}

/**
 * Reads the validation report of a cloud assembly and returns every finding that is not
 * acknowledged, from any plugin and of any severity.
 *
 * This exists because CDK fails synth only on plugin reports whose conclusion is "failure",
 * and some plugins (cfn-guard) report "success" next to open error findings.
 */
export function openFindings(assemblyDirectory: string): OpenFinding[] {
  const file = path.join(assemblyDirectory, 'validation-report.json');
  if (!fs.existsSync(file)) {
    return [{ plugin: 'compliance gate', rule: 'no validation-report.json: were the plugins registered?', severity: 'error', constructPaths: [] }];
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
  const findings: OpenFinding[] = report.pluginReports.flatMap((plugin) => (plugin.violations ?? []).map((v) => ({
    plugin: plugin.pluginName,
    rule: v.ruleName,
    severity: v.severity ?? 'error',
    constructPaths: (v.violatingConstructs ?? []).map((c) => c.constructPath ?? '(no construct path)'),
  })));
  return findings;
}

/**
 * The plugins that appear in the report. CDK leaves out a plugin with neither findings nor
 * acknowledgments, so this proves a plugin ran only where it had something to say.
 */
export function reportedPlugins(assemblyDirectory: string): string[] {
  const report = JSON.parse(fs.readFileSync(path.join(assemblyDirectory, 'validation-report.json'), 'utf8')) as ValidationReport;
  return report.pluginReports.map((p) => p.pluginName);
}

/** Throws with a readable list when the assembly has open findings. */
export function assertNoOpenFindings(assemblyDirectory: string): void {
  const findings = openFindings(assemblyDirectory);
  if (findings.length === 0) return;
  const lines = findings.map((f) => `  - [${f.plugin}] ${f.rule} (${f.severity}) at ${f.constructPaths.join(', ') || '-'}`);
  throw new Error(
    `Compliance gate: ${findings.length} unacknowledged finding(s). Fix the resource, or (only for CDK-internal handlers ` +
      `and documented false positives) add an entry with a reason to lib/compliance/acknowledgments.ts:\n${lines.join('\n')}`,
  );
}
