import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { applyComplianceGate } from '@zero-trust/platform-constructs';
import { ACKNOWLEDGMENTS } from './compliance/acknowledgments';
import { loadPipelineConfig, loadPlatformConfigs } from './config';
import { PipelineStack } from './pipeline/pipeline-stack';
import { PlatformStage } from './platform-stage';

/**
 * Composes the platform into an app: one PlatformStage per environment selected in context
 * (`-c env=dev`, `-c env=staging,prod`; `-c env=` for none), plus the delivery pipeline
 * (`PipelineStack`, with the stages it deploys) when context has a `pipeline` section; then
 * the compliance gate over all of them. bin/platform.ts, the tests and the synth benchmark
 * all build the app through this. Returns the stages selected with `-c env`.
 */
export function buildPlatformApp(app: App, options: BuildPlatformAppOptions = {}): PlatformStage[] {
  const stages = loadPlatformConfigs(app.node).map((config) => new PlatformStage(app, stageId(config.envName), { config }));
  buildPipeline(app);
  if (options.complianceGate ?? true) {
    applyComplianceGate(app, {
      acknowledgments: ACKNOWLEDGMENTS,
      cacheDirectory: options.validationCacheDirectory ?? path.join(app.outdir, '.cache', 'compliance-gate'),
    });
  }
  return stages;
}

export interface BuildPlatformAppOptions {
  /**
   * Register the compliance gate. Only tests that read the synthesized templates for something
   * else (and have the gate covered elsewhere) turn it off, to save its minutes.
   * @default true
   */
  readonly complianceGate?: boolean;

  /**
   * Where the compliance gate keeps its per-template findings (see `applyComplianceGate`'s
   * `cacheDirectory`): a synth revalidates only the stacks whose templates changed.
   * @default - `.cache/compliance-gate` in the app's output directory (cdk.out)
   */
  readonly validationCacheDirectory?: string;
}

/** The pipeline stack's construct id (and artifact id). */
export const PIPELINE_STACK_ID = 'Pipeline';

/** Adds the PipelineStack when context has a `pipeline` section (see docs/pipeline.md). */
function buildPipeline(app: App): PipelineStack | undefined {
  const resolved = loadPipelineConfig(app.node);
  if (!resolved) return undefined;
  const { pipeline, environments } = resolved;
  return new PipelineStack(app, PIPELINE_STACK_ID, {
    pipeline,
    environments,
    env: { account: pipeline.account ?? environments[0].account, region: pipeline.region ?? environments[0].region },
    stackName: 'ztp-pipeline',
    description: `Zero-trust platform delivery pipeline: ${pipeline.repository}@${pipeline.branch} -> ${pipeline.environments.join(' -> ')}`,
    terminationProtection: true,
  });
}

/** `prod` -> `Prod`: the stage id, which prefixes the stack artifact ids. */
export function stageId(envName: string): string {
  return envName.charAt(0).toUpperCase() + envName.slice(1);
}
