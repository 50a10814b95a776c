#!/usr/bin/env node
/**
 * The CDK app: `cdk synth` (dev), `cdk synth -c env=prod`, `cdk deploy -c env=staging ...`.
 * Reads configuration once, builds one PlatformStage per selected environment and runs the
 * compliance gate (cdk-nag packs + cfn-guard) on every synth.
 */
import { App } from 'aws-cdk-lib';
import { applyComplianceGate } from '../lib/compliance/compliance-gate';
import { assertNoOpenFindings } from '../lib/compliance/validation-report';
import { loadPlatformConfigs } from '../lib/config';
import { PlatformStage } from '../lib/platform-stage';

const app = new App();
for (const config of loadPlatformConfigs(app.node)) {
  new PlatformStage(app, stageId(config.envName), { config });
}
applyComplianceGate(app);
const assembly = app.synth();
// CDK only fails on plugin reports concluded "failure"; the gate fails on any open finding.
assertNoOpenFindings(assembly.directory);

function stageId(envName: string): string {
  return envName.charAt(0).toUpperCase() + envName.slice(1);
}
