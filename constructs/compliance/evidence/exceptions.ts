import type { ComplianceAcknowledgment } from '../acknowledgment';
import type { EvidenceEnvironment } from './assembly';
import { findingIsOn, type ReportedFinding } from './report';

/** One acknowledged finding on one resource. */
export interface ExceptionRow {
  readonly rule: string;
  /** The plugin that reported it (the finding's category). */
  readonly category: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly constructPath: string;
  readonly reason: string;
  readonly compensatingControl: string;
  readonly verifiedBy: string;
  readonly owner: string;
  readonly expires: string;
  /** `expired` when the expiry date is before the pack's date: the gate fails then. */
  readonly status: 'active' | 'expired' | 'not in the registry';
  /** Which registry entry accepted it, by its scope. */
  readonly acknowledgment: string;
}

/**
 * The exceptions register of one environment: every acknowledged finding of the report on a
 * resource of the environment, joined with the registry entry that accepted it (by reason and id).
 */
export function exceptionsRegister(
  environment: EvidenceEnvironment,
  findings: readonly ReportedFinding[],
  registry: readonly ComplianceAcknowledgment[],
  today: Date,
): ExceptionRow[] {
  const resources = environment.stacks.flatMap((s) => s.resources);
  const rows: ExceptionRow[] = [];
  for (const finding of findings) {
    if (!finding.acknowledgment) continue;
    const resource = resources.find((r) => findingIsOn(finding, r));
    if (!resource) continue;
    const entry = registry.find((a) => a.reason === finding.acknowledgment!.reason && (typeof a.ids === 'function' || a.ids.includes(finding.acknowledgment!.id)));
    rows.push({
      rule: finding.acknowledgment.id,
      category: finding.plugin,
      stack: resource.stack,
      logicalId: resource.logicalId,
      type: resource.type,
      constructPath: resource.constructPath,
      reason: finding.acknowledgment.reason,
      compensatingControl: entry?.compensatingControl ?? '',
      verifiedBy: entry?.verifiedBy ?? '',
      owner: entry?.owner ?? '',
      expires: entry?.expires ?? '',
      status: !entry ? 'not in the registry' : isExpired(entry.expires, today) ? 'expired' : 'active',
      acknowledgment: entry?.scope ?? '',
    });
  }
  return rows.sort((a, b) => `${a.stack}|${a.logicalId}|${a.rule}`.localeCompare(`${b.stack}|${b.logicalId}|${b.rule}`));
}

/** Whether an ISO date (YYYY-MM-DD, the last day the exception holds) is before `today`. */
export function isExpired(expires: string, today: Date): boolean {
  return expires < today.toISOString().slice(0, 10);
}
