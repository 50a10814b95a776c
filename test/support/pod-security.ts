/**
 * The Pod Security Standards checks, from the library's evidence pack (one home for the rule):
 * the tests check pods with the same code that reports them to reviewers.
 */
export type { PodSecurityLevel } from '../../constructs/cluster/pod-security';
export {
  baselineViolations,
  enforcedControls,
  podSecurityControlResults,
  podSecurityViolations,
  podTemplateMetadata,
  podTemplateSpec,
  POD_SECURITY_CONTROLS,
  restrictedViolations,
} from '../../constructs/compliance/evidence/pod-security';
