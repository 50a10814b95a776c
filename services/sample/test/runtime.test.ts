/**
 * The service's tests run on Node 24: `npm test` (root or `--workspace services/sample`) puts the root's
 * node_modules/.bin first on PATH, where the exact-pinned `node` devDependency installs its binary
 * (docs/adr/0011). Fails when the suite is started on another Node line.
 */
test('runs on Node 24', () => {
  expect(process.versions.node.split('.')[0]).toBe('24');
});
