#!/usr/bin/env node
/**
 * The CDK app: `cdk synth` (dev), `cdk synth -c env=prod`, `cdk deploy -c env=staging ...`.
 * Reads configuration once, builds one PlatformStage per selected environment, runs the
 * compliance gate (cdk-nag packs + cfn-guard) on every synth and writes the evidence pack a
 * reviewer signs (cdk.out/evidence/<environment>/).
 */
import './compile-cache';
import { execFileSync } from 'node:child_process';
import { App } from 'aws-cdk-lib';
import { assertNoOpenFindings, LIBRARY_ACKNOWLEDGMENTS, writeEvidencePack } from '@zero-trust/platform-constructs';
import { ACKNOWLEDGMENTS } from '../lib/compliance/acknowledgments';
import { buildPlatformApp } from '../lib/platform-app';

const app = new App();
buildPlatformApp(app);
const assembly = app.synth();
// CDK only fails on plugin reports concluded "failure"; the gate fails on any open finding.
assertNoOpenFindings(assembly.directory);

const packs = writeEvidencePack(assembly.directory, {
  acknowledgments: [...LIBRARY_ACKNOWLEDGMENTS, ...ACKNOWLEDGMENTS],
  commit: sourceRevision(),
  context: Object.fromEntries(['env', 'platform', 'pipeline', 'images'].map((key) => [key, app.node.tryGetContext(key) as unknown])),
});
const problems = packs.flatMap((pack) => pack.problems);
if (problems.length > 0) {
  throw new Error(`Evidence pack: ${problems.length} problem(s) keep it from being signed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** The commit the templates are built from: the pipeline's source revision, else the working copy's HEAD. */
function sourceRevision(): string | undefined {
  if (process.env.CODEBUILD_RESOLVED_SOURCE_VERSION) return process.env.CODEBUILD_RESOLVED_SOURCE_VERSION;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return undefined;
  }
}
