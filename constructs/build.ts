/**
 * Pre-bundles the library's Lambda handlers (after `tsc -p tsconfig.build.json`), so a consumer's
 * synth needs neither esbuild nor the handlers' own dependencies (`pg`): each handler becomes one
 * minified CommonJS file, `dist/handlers/<name>/index.js`, which the constructs deploy with
 * `lambda.Code.fromAsset` (see core/handler-asset.ts). Options as the former `NodejsFunction`
 * bundling: Node.js 24, minified, no source map, the AWS SDK v3 left to the Lambda runtime.
 */
import { build } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Handler {
  /** Directory name under dist/handlers, as passed to `handlerAssetDirectory`. */
  readonly name: string;
  /** Entry point, relative to this folder. */
  readonly entry: string;
  /** Modules that must end up inside the bundle (checked). */
  readonly inlined: readonly string[];
}

const HANDLERS: readonly Handler[] = [
  { name: 'database-bootstrap', entry: 'data/bootstrap/handler.ts', inlined: ['pg'] },
  { name: 'chart-mirror', entry: 'registry/chart-mirror/handler.ts', inlined: [] },
];

async function bundle(handler: Handler): Promise<void> {
  const outdir = join(__dirname, 'dist', 'handlers', handler.name);
  // The whole directory is the Lambda asset: nothing else may be in it.
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.js');
  const result = await build({
    entryPoints: [join(__dirname, handler.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    // The Lambda runtime provides the AWS SDK v3; pg's optional native binding is never used.
    external: ['@aws-sdk/*', 'pg-native'],
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs);
  for (const name of handler.inlined) {
    if (!inputs.some((input) => input.includes(`node_modules/${name}/`))) {
      throw new Error(`handler ${handler.name}: ${name} is not inlined in ${relative(process.cwd(), outfile)}`);
    }
  }
  console.log(`bundled ${relative(process.cwd(), outfile)} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)`);
}

Promise.all(HANDLERS.map(bundle)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
