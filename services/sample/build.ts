/** esbuild bundle: one minified CommonJS file, dist/server.js, with every dependency inlined. */
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const outfile = join(__dirname, 'dist', 'server.js');

build({
  entryPoints: [join(__dirname, 'src', 'server.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // pg's optional native binding and ioredis/aws optional peers are never used.
  external: ['pg-native'],
  logLevel: 'warning',
}).then(
  () => console.log(`built ${outfile} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)`),
  () => process.exit(1),
);
