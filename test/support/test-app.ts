import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { applyComplianceGate, openFindings, type OpenFinding } from '@zero-trust/platform-constructs';
import { ACKNOWLEDGMENTS } from '../../lib/compliance/acknowledgments';

/**
 * Where every gated synth of a test run keeps its per-template findings (`applyComplianceGate`'s
 * `cacheDirectory`, `buildPlatformApp`'s `validationCacheDirectory`): one directory for all test
 * files of the run (inside the run's temporary root, see temp-root.cjs), so a stack already
 * validated by another test is not validated again. Entries are keyed by the template's content,
 * so a hit is the finding list a full validation would give.
 */
export const VALIDATION_CACHE_DIRECTORY = path.join(os.tmpdir(), 'compliance-gate-cache');

export interface TestAppOptions {
  /** Run aws-cdk-lib's built-in CloudFormation validation too (slow; on in the full-app test). */
  readonly builtinValidation?: boolean;
  /** Register the compliance gate (the real app always does). @default true */
  readonly complianceGate?: boolean;
  readonly context?: Record<string, unknown>;
  /**
   * Copy assets (the 120 MB kubectl layer, handler code) into the cloud assembly, as `cdk synth`
   * does. Off by default: templates are the same either way (asset hashes come from the source),
   * and no test reads a staged asset.
   * @default false
   */
  readonly stageAssets?: boolean;
}

/** Output directories of the test apps made in this test file, removed after it (cleanup-apps.ts). */
const outputDirectories: string[] = [];

/** An App writing to a fresh temp dir, removed after the test file. */
export function createTestApp(options: TestAppOptions = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-'));
  outputDirectories.push(outdir);
  return new App({
    outdir,
    builtinCloudFormationValidation: options.builtinValidation ?? false,
    context: { ...(options.stageAssets ? {} : { [cxapi.DISABLE_ASSET_STAGING_CONTEXT]: true }), ...options.context },
  });
}

/** Removes the output directories of the test apps made so far (run after each test file). */
export function removeTestAppOutputs(): void {
  for (const outdir of outputDirectories.splice(0)) fs.rmSync(outdir, { recursive: true, force: true });
}

/**
 * Synthesizes with the library's compliance gate registered as bin/platform.ts does (the library's
 * acknowledgments plus this app's registry, which only selects constructs lib/ builds), sharing
 * the run's validation cache; returns the open findings.
 */
export function synthWithGate(app: App): { assemblyDirectory: string; findings: OpenFinding[] } {
  applyComplianceGate(app, { acknowledgments: ACKNOWLEDGMENTS, cacheDirectory: VALIDATION_CACHE_DIRECTORY });
  const assembly = app.synth();
  return { assemblyDirectory: assembly.directory, findings: openFindings(assembly.directory) };
}

/** A stack in a test app, env-agnostic like the default synth. */
export function createTestStack(id = 'Test', props: StackProps = {}): { app: App; stack: Stack } {
  const app = createTestApp();
  return { app, stack: new Stack(app, id, props) };
}

const ASSET_HASH = /[0-9a-f]{64}/g;

/**
 * The template as JSON with asset hashes replaced, so snapshots change only when the
 * infrastructure does, not when a bundled handler's bytes do.
 */
export function snapshotTemplate(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(ASSET_HASH, '<asset-hash>'));
}
