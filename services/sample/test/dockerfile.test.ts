/** No Docker engine on the build machines: lint the Dockerfile's key properties instead of building it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_ROOT } from './helpers';

const dockerfile = readFileSync(join(SERVICE_ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
const stages = dockerfile.split(/^FROM /m).slice(1);
const finalStage = stages[stages.length - 1]!;
const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));

test('multi-stage build', () => {
  expect(stages.length).toBeGreaterThanOrEqual(2);
});

test('every base image is pinned to an exact version (no latest, no floating major)', () => {
  const bases = lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(/\s+/)[1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => args[n] ?? '?'));
  for (const base of bases) {
    expect(base).toMatch(/:/);
    expect(base).not.toMatch(/:latest$/);
  }
});

test('build and runtime stages are on the Node 24 line, the one the tests and the bundle target use', () => {
  const bases = lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(/\s+/)[1]!);
  expect(args['NODE_VERSION']).toMatch(/^24\.\d+\.\d+$/); // exact patch version of the Node 24 LTS line
  // the same Node as the root package.json's exact-pinned `node` devDependency (what `npm test` runs on)
  const root = JSON.parse(readFileSync(join(SERVICE_ROOT, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  expect(args['NODE_VERSION']).toBe(root.devDependencies['node']);
  expect(bases).toEqual(['node:${NODE_VERSION}-trixie-slim', 'gcr.io/distroless/nodejs24-debian13:nonroot']);
  // esbuild's syntax target for the bundle that runs on that image
  expect(/^\s*target: '([^']+)',$/m.exec(readFileSync(join(SERVICE_ROOT, 'build.ts'), 'utf8'))?.[1]).toBe('node24');
});

test('final stage runs as a non-root user and has no package manager', () => {
  const user = /^USER\s+(\S+)/m.exec(finalStage)?.[1];
  expect(user).toBeDefined();
  expect(user).not.toMatch(/^(root|0)(:|$)/);
  expect(finalStage).not.toMatch(/\b(npm|npx|yarn|pnpm|apt-get|apk)\b/);
  expect(finalStage).not.toMatch(/^RUN /m); // distroless: nothing is installed or executed at build time
});

test('the bundle runs directly as PID 1 (exec-form ENTRYPOINT on node, no shell wrapper)', () => {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(finalStage)?.[1];
  expect(entry).toBeDefined();
  const argv = JSON.parse(entry!) as string[];
  expect(argv[0]).toMatch(/node$/);
  expect(argv[argv.length - 1]).toBe('/app/server.js');
  expect(argv.join(' ')).not.toMatch(/\b(sh|bash|npm|tini)\b/);
});

test('nothing is written to the root filesystem at run time (works with readOnlyRootFilesystem)', () => {
  expect(finalStage).not.toMatch(/^VOLUME /m);
  const src = readFileSync(join(SERVICE_ROOT, 'src', 'server.ts'), 'utf8') + readFileSync(join(SERVICE_ROOT, 'src', 'app.ts'), 'utf8');
  expect(src).not.toMatch(/writeFile|createWriteStream|mkdtemp/);
});

test('the image ships the Amazon RDS CA bundle the platform points DATABASE_TLS_CA_FILE at', () => {
  expect(finalStage).toMatch(/^COPY --from=build \S+\/dist\/rds-ca-bundle\.pem \/app\/rds-ca-bundle\.pem$/m);
});
