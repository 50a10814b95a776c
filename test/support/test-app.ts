import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyComplianceGate, openFindings, type OpenFinding } from '@zero-trust/platform-constructs';
import { ACKNOWLEDGMENTS } from '../../lib/compliance/acknowledgments';

export interface TestAppOptions {
  /** Run aws-cdk-lib's built-in CloudFormation validation too (slow; on in the full-app test). */
  readonly builtinValidation?: boolean;
  /** Register the compliance gate (the real app always does). @default true */
  readonly complianceGate?: boolean;
  readonly context?: Record<string, unknown>;
}

/** An App writing to a fresh temp dir, with the compliance gate as in bin/platform.ts. */
export function createTestApp(options: TestAppOptions = {}): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-')),
    builtinCloudFormationValidation: options.builtinValidation ?? false,
    context: options.context,
  });
}

/**
 * Synthesizes with the library's compliance gate registered as bin/platform.ts does (the library's
 * acknowledgments plus this app's registry, which only selects constructs lib/ builds); returns
 * the open findings.
 */
export function synthWithGate(app: App): { assemblyDirectory: string; findings: OpenFinding[] } {
  applyComplianceGate(app, { acknowledgments: ACKNOWLEDGMENTS });
  const assembly = app.synth();
  return { assemblyDirectory: assembly.directory, findings: openFindings(assembly.directory) };
}

/** A stack in a gated test app, env-agnostic like the default synth. */
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
