/**
 * No Docker engine on the build machines: lint the Dockerfile's key properties instead of building it.
 * The checks are a function of the Dockerfile's text, so they are also run on altered copies: each must
 * fail on what it guards against (an unmaintained base image first of all).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_ROOT } from './helpers';

const DOCKERFILE = readFileSync(join(SERVICE_ROOT, 'Dockerfile'), 'utf8');
/** The Node release `npm test` runs on: the root package.json's exact-pinned `node` devDependency. */
const ROOT_NODE = (JSON.parse(readFileSync(join(SERVICE_ROOT, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['node'];
/** esbuild's syntax target for the bundle that runs on the image. */
const BUNDLE_TARGET = /^\s*target: '([^']+)',$/m.exec(readFileSync(join(SERVICE_ROOT, 'build.ts'), 'utf8'))?.[1];

/** What is wrong with a Dockerfile's base images: [] when both stages are on the maintained Node 24 line. */
function baseImageProblems(dockerfile: string): string[] {
  const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => args[n] ?? '?'));
  const problems: string[] = [];
  if (bases.length < 2) problems.push(`not a multi-stage build: ${bases.join(', ')}`);
  for (const base of bases) {
    // Maintained: Node 24 LTS (until 2028-04) on Debian 13; distroless builds no debian12 images since 2026-02-27.
    if (!/:/.test(base) || /:latest$/.test(base)) problems.push(`${base}: not pinned to a version`);
    const node = /^node:(\d+)\.(\d+)\.(\d+)-(\w+)-slim$/.exec(base);
    const distroless = /^gcr\.io\/distroless\/nodejs(\d+)-debian(\d+):nonroot$/.exec(base);
    if (node !== null) {
      if (node[1] !== '24') problems.push(`${base}: Node ${node[1]} is not the maintained Node 24 line`);
      if (`${node[1]}.${node[2]}.${node[3]}` !== ROOT_NODE) problems.push(`${base}: not the Node release the tests run on (${ROOT_NODE})`);
      if (node[4] !== 'trixie') problems.push(`${base}: not Debian 13 (trixie), the runtime's Debian`);
    } else if (distroless !== null) {
      if (distroless[1] !== '24') problems.push(`${base}: Node ${distroless[1]} is not the maintained Node 24 line`);
      if (distroless[2] !== '13') problems.push(`${base}: distroless no longer builds debian${distroless[2]} images`);
    } else problems.push(`${base}: neither node:<24.x.y>-trixie-slim nor gcr.io/distroless/nodejs24-debian13:nonroot`);
  }
  if (bases.length > 0 && !/^gcr\.io\/distroless\//.test(bases[bases.length - 1]!)) problems.push('the runtime stage is not distroless');
  return problems;
}

const finalStage = (dockerfile: string) => dockerfile.split(/^FROM /m).pop()!;

test('build and runtime stages are on the maintained Node 24 line: the release the tests run on, Debian 13, distroless nonroot', () => {
  expect(baseImageProblems(DOCKERFILE)).toEqual([]);
  expect(ROOT_NODE).toMatch(/^24\.\d+\.\d+$/);
  expect(BUNDLE_TARGET).toBe('node24');
});

test.each([
  ['the runtime on distroless Node 22 / Debian 12', ['gcr.io/distroless/nodejs24-debian13:nonroot', 'gcr.io/distroless/nodejs22-debian12:nonroot'], /Node 22 is not the maintained Node 24 line/],
  ['the runtime on Debian 12', ['gcr.io/distroless/nodejs24-debian13:nonroot', 'gcr.io/distroless/nodejs24-debian12:nonroot'], /no longer builds debian12 images/],
  ['the build stage on Node 20', [/ARG NODE_VERSION=\S+/, 'ARG NODE_VERSION=20.19.5'], /Node 20 is not the maintained Node 24 line/],
  ['the build stage on Node 22 / bookworm', ['FROM node:${NODE_VERSION}-trixie-slim', 'FROM node:22.22.0-bookworm-slim'], /Node 22 is not the maintained Node 24 line/],
  ['the build stage on another Node 24 release than the tests', [/ARG NODE_VERSION=\S+/, 'ARG NODE_VERSION=24.0.0'], /not the Node release the tests run on/],
  ['a floating tag', ['FROM node:${NODE_VERSION}-trixie-slim', 'FROM node:latest'], /not pinned/],
  ['a runtime that is not distroless', ['gcr.io/distroless/nodejs24-debian13:nonroot', 'node:24.21.0-trixie-slim'], /runtime stage is not distroless/],
] as const)('fails on %s', (_name, [from, to], problem) => {
  const altered = DOCKERFILE.replace(from, to);
  expect(altered).not.toBe(DOCKERFILE);
  expect(baseImageProblems(altered)).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
});

test('final stage runs as a non-root user and has no package manager', () => {
  const stage = finalStage(DOCKERFILE);
  const user = /^USER\s+(\S+)/m.exec(stage)?.[1];
  expect(user).toBeDefined();
  expect(user).not.toMatch(/^(root|0)(:|$)/);
  expect(stage).not.toMatch(/\b(npm|npx|yarn|pnpm|apt-get|apk)\b/);
  expect(stage).not.toMatch(/^RUN /m); // distroless: nothing is installed or executed at build time
});

test('the bundle runs directly as PID 1 (exec-form ENTRYPOINT on node, no shell wrapper)', () => {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(finalStage(DOCKERFILE))?.[1];
  expect(entry).toBeDefined();
  const argv = JSON.parse(entry!) as string[];
  expect(argv[0]).toMatch(/node$/);
  expect(argv[argv.length - 1]).toBe('/app/server.js');
  expect(argv.join(' ')).not.toMatch(/\b(sh|bash|npm|tini)\b/);
});

test('the image ships the modules the bundle requires next to it (dist/node_modules as /app/node_modules)', () => {
  // test/bundle.test.ts runs the bundle from a directory laid out by these COPY lines.
  expect(finalStage(DOCKERFILE)).toMatch(/^COPY --from=build \/src\/services\/sample\/dist\/node_modules \/app\/node_modules$/m);
  expect(finalStage(DOCKERFILE)).toMatch(/^COPY --from=build \/src\/services\/sample\/dist\/server\.js .*\/app\/$/m);
});

test('nothing is written to the root filesystem at run time (works with readOnlyRootFilesystem)', () => {
  expect(finalStage(DOCKERFILE)).not.toMatch(/^VOLUME /m);
  const src = ['server.ts', 'app.ts', 'logger.ts', 'telemetry.ts'].map((f) => readFileSync(join(SERVICE_ROOT, 'src', f), 'utf8')).join('\n');
  expect(src).not.toMatch(/writeFile|createWriteStream|mkdtemp/);
});

test('the image ships the Amazon RDS CA bundle the platform points DATABASE_TLS_CA_FILE at', () => {
  expect(finalStage(DOCKERFILE)).toMatch(/^COPY --from=build \S+\/dist\/rds-ca-bundle\.pem \/app\/rds-ca-bundle\.pem$/m);
});
