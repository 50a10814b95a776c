export * from './platform-key';
export { KeyAdministrators } from './key-administrators';
export { acknowledgedIds, childOf, enclosing, expiredAcknowledgments, isIsoDate, resourceOf, type ComplianceAcknowledgment, type ExpiredAcknowledgment } from './acknowledgment';
export { LIBRARY_ACKNOWLEDGMENTS } from './library-acknowledgments';
export { applyComplianceGate, attachComplianceAcknowledgments, COMPLIANCE_PLUGIN_NAMES, type ComplianceGateOptions } from './compliance-gate';
export { assertNoOpenFindings, openFindings, reportedPlugins, type OpenFinding } from './validation-report';
export { writeEvidencePack, type EvidencePack, type EvidencePackOptions } from './evidence';
