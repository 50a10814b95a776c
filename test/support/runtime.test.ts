/**
 * One maintained Node line (docs/adr/0011): the root package.json pins the npm package `node` (exact 24.x)
 * as a devDependency; its install script puts that Node at node_modules/.bin/node, which `npm run` / `npx`
 * put first on PATH. These tests fail when the suite does not run on it, so CI proves it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PackageJson {
  engines?: { node?: string };
  devDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

const ROOT = join(__dirname, '..', '..');
const readPackage = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as PackageJson;
const root = readPackage('.');

test('the tests run on Node 24', () => {
  expect(process.versions.node.split('.')[0]).toBe('24');
});

test('the root pins one exact Node 24 release as a devDependency, and the tests run on that binary', () => {
  const pinned = root.devDependencies?.['node'];
  expect(pinned).toMatch(/^24\.\d+\.\d+$/);
  expect(process.versions.node).toBe(pinned);
  // its preinstall script is what puts the binary in place: allowed explicitly, not by npm's default
  expect(root.allowScripts?.['node']).toBe(true);
});

test('engines: Node 22 or later, root and sample service', () => {
  expect(root.engines?.node).toBe('>=22');
  expect(readPackage('services/sample').engines?.node).toBe('>=22');
});
