// The validation report reader lives in the library (with the gate); re-exported for this app's tests.
export { assertNoOpenFindings, openFindings, reportedPlugins, type OpenFinding } from '@zero-trust/platform-constructs';
