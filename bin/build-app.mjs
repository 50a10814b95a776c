#!/usr/bin/env node
/**
 * cdk.json's "build" step (the CDK CLI runs it before every synth): bundles a TypeScript entry
 * point (default bin/platform.ts), with lib/ and the construct library's source, into one
 * JavaScript file that cdk.json's "app" runs with plain node. Synth then needs no TypeScript
 * loader and no npx; `npm test` type-checks the same sources.
 *
 * Packages stay external (aws-cdk-lib, cdk-nag, cdk8s, ...), so there is exactly one copy of each,
 * loaded from node_modules as in any CDK app; only the workspace library is bundled from source,
 * so an edit under constructs/ is synthesized without rebuilding the package.
 *
 *   node bin/build-app.mjs [entry.ts] [out.js]
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.resolve(root, process.argv[2] ?? 'bin/platform.ts');
const outfile = path.resolve(root, process.argv[3] ?? 'node_modules/.cache/platform-app/platform.js');

await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  packages: 'external',
  alias: { '@zero-trust/platform-constructs': './constructs/index.ts' },
  // Stack traces of synth errors point at the TypeScript sources (the app runs with --enable-source-maps).
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
