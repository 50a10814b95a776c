import type { PluginEvaluations } from '../evaluations';
import type { CoverageReport, CoverageStatus } from './coverage';

/** The frameworks of the control matrix, by the plugin whose rules map to them. */
export const FRAMEWORKS: readonly { readonly plugin: string; readonly framework: string }[] = [
  { plugin: 'NIST.800.53.R5', framework: 'NIST SP 800-53 Rev. 5' },
  { plugin: 'HIPAA.Security', framework: 'HIPAA Security Rule (45 CFR 164)' },
  { plugin: 'PCI.DSS.321', framework: 'PCI DSS 3.2.1 (as the cdk-nag pack has it; v4.0.1 requirement beside it)' },
  { plugin: 'cdk-validator-cfnguard', framework: 'AWS Control Tower proactive controls' },
];

/**
 * PCI DSS v3.2.1 requirements the cdk-nag pack cites, with the v4.0.1 requirement each became.
 * Entered at requirement level from the PCI Security Standards Council's "Summary of Changes from
 * PCI DSS Version 3.2.1 to 4.0"; not verifiable offline here: confirm with your assessor.
 */
export const PCI_V4_MAPPING: Readonly<Record<string, string>> = {
  '1.2': '1.3', '1.2.1': '1.3.1, 1.3.2', '1.3': '1.4', '1.3.1': '1.4.1', '1.3.2': '1.4.2', '1.3.4': '1.3.2', '1.3.6': '1.4.4',
  '2.1': '2.2.2', '2.2': '2.2.1', '2.2.2': '2.2.4', '2.3': '2.2.7',
  '3.1': '3.2.1', '3.4': '3.5.1', '3.5': '3.6.1', '3.6': '3.7', '3.6.4': '3.7.4',
  '4.1': '4.2.1',
  '6.2': '6.3.3', '6.6': '6.4.1, 6.4.2',
  '7.1.1': '7.2.1', '7.1.2': '7.2.2', '7.1.3': '7.2.2', '7.2.1': '7.3.1', '7.2.2': '7.3.2',
  '8.2.1': '8.3.2',
  '10.1': '10.2.1', '10.2.1': '10.2.1.1', '10.2.2': '10.2.1.2', '10.2.3': '10.2.1.3', '10.2.4': '10.2.1.4', '10.2.5': '10.2.1.5', '10.2.7': '10.2.1.7',
  '10.3.1': '10.2.2', '10.3.2': '10.2.2', '10.3.3': '10.2.2', '10.3.4': '10.2.2', '10.3.5': '10.2.2', '10.3.6': '10.2.2',
  '10.5': '10.3', '10.5.2': '10.3.2', '10.5.3': '10.3.3', '10.5.4': '10.3.3', '10.5.5': '10.3.4',
  '10.7': '10.5.1', '11.5': '11.5.2',
};

/**
 * Controls this platform does not build and assumes from the AWS landing zone (Control Tower),
 * said as such: a reviewer verifies them in the account, not in these templates.
 */
export const LANDING_ZONE_CONTROLS: readonly { readonly control: string; readonly service: string; readonly frameworks: string }[] = [
  { control: 'Organization CloudTrail trail, log file validation, logs in the log-archive account', service: 'AWS CloudTrail (Control Tower baseline)', frameworks: 'NIST AU-2, AU-9, AU-12; HIPAA 164.312(b); PCI DSS 10.2, 10.5 (v4.0.1 10.2, 10.3)' },
  { control: 'Configuration recording and conformance of every resource', service: 'AWS Config (Control Tower baseline)', frameworks: 'NIST CM-2, CM-8, CA-7; PCI DSS 2.2, 11.5 (v4.0.1 2.2.1, 11.5.2)' },
  { control: 'Threat detection on accounts, EKS audit logs and runtime', service: 'Amazon GuardDuty (delegated administrator)', frameworks: 'NIST SI-4, IR-4; HIPAA 164.308(a)(1)(ii)(D); PCI DSS 11.4 (v4.0.1 11.5.1)' },
  { control: 'The same Control Tower proactive controls enforced at deploy time', service: 'Control Tower proactive controls as CloudFormation hooks', frameworks: 'as the Control Tower rows of this matrix' },
  { control: 'Aggregated findings and the AWS Foundational Security Best Practices standard', service: 'AWS Security Hub', frameworks: 'NIST CA-7, RA-5; PCI DSS 11.2 (v4.0.1 11.3)' },
  { control: 'Human access through federated, MFA-backed identities; no IAM users', service: 'IAM Identity Center (Control Tower baseline)', frameworks: 'NIST AC-2, IA-2(1); HIPAA 164.312(d); PCI DSS 8.3 (v4.0.1 8.4)' },
];

export type ControlStatus = CoverageStatus | 'not evaluated';

export interface ControlRow {
  readonly framework: string;
  readonly control: string;
  /** PCI DSS only: the v4.0.1 requirement. */
  readonly v4?: string;
  readonly rules: readonly string[];
  readonly resources: number;
  readonly pass: number;
  readonly fail: number;
  readonly acknowledged: number;
  /** fail if any rule fails on any resource; acknowledged if any is acknowledged; pass if evaluated and all pass. */
  readonly status: ControlStatus;
}

/** The control ids a rule's text cites: `(Control ID: AC-2(1))`, `(Control IDs: 3.4, 10.5)`, `[CT.S3.PR.1]`. */
export function controlIdsOf(info: string): string[] {
  const nag = /\(Control IDs?: ([^)]*(?:\([^)]*\)[^)]*)*)\)\.?$/.exec(info.trim());
  if (nag) return [...new Set(nag[1].split(',').map((id) => id.trim()).filter(Boolean))];
  const tower = /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]/.exec(info);
  return tower ? [tower[1]] : [];
}

/** The control matrix: per framework, control -> rules -> resources -> status. */
export function controlMatrix(evaluations: readonly PluginEvaluations[], coverage: CoverageReport): ControlRow[] {
  const rows: ControlRow[] = [];
  for (const { plugin, framework } of FRAMEWORKS) {
    const evaluated = evaluations.find((e) => e.plugin === plugin);
    if (!evaluated) continue;
    const rulesByControl = new Map<string, string[]>();
    for (const rule of evaluated.rules) {
      const ids = controlIdsOf(rule.info);
      // a few Control Tower rules carry no control id: the rule stands for itself
      for (const control of ids.length > 0 ? ids : plugin === 'cdk-validator-cfnguard' ? [rule.rule] : []) {
        rulesByControl.set(control, [...(rulesByControl.get(control) ?? []), rule.rule]);
      }
    }
    for (const [control, rules] of [...rulesByControl].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
      const ruleSet = new Set(rules);
      const own = coverage.rows.filter((r) => r.plugin === plugin && ruleSet.has(r.rule));
      const count = (status: CoverageStatus) => own.filter((r) => r.status === status).length;
      const [pass, fail, acknowledged] = [count('pass'), count('fail'), count('acknowledged')];
      rows.push({
        framework,
        control,
        v4: plugin === 'PCI.DSS.321' ? PCI_V4_MAPPING[control] ?? 'not mapped' : undefined,
        rules,
        resources: new Set(own.map((r) => `${r.stack}|${r.logicalId}`)).size,
        pass,
        fail,
        acknowledged,
        status: own.length === 0 ? 'not evaluated' : fail > 0 ? 'fail' : acknowledged > 0 ? 'acknowledged' : 'pass',
      });
    }
  }
  return rows;
}
