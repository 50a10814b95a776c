import type { App } from 'aws-cdk-lib';
import { applyComplianceGate } from './compliance/compliance-gate';
import { loadPlatformConfigs } from './config';
import { PlatformStage } from './platform-stage';

/**
 * Composes the platform into an app: one PlatformStage per environment selected in context
 * (`-c env=dev`, `-c env=staging,prod`), then the compliance gate over all of them.
 * bin/platform.ts, the tests and the synth benchmark all build the app through this.
 */
export function buildPlatformApp(app: App): PlatformStage[] {
  const stages = loadPlatformConfigs(app.node).map((config) => new PlatformStage(app, stageId(config.envName), { config }));
  applyComplianceGate(app);
  return stages;
}

/** `prod` -> `Prod`: the stage id, which prefixes the stack artifact ids. */
export function stageId(envName: string): string {
  return envName.charAt(0).toUpperCase() + envName.slice(1);
}
