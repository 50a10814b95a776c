import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZeroTrustVpc } from '@zero-trust/platform-constructs';
import { handlerAssetDirectory } from '../../constructs/core/handler-asset';
import { ZeroTrustVpc as ZeroTrustVpcFromSource } from '../../constructs/network';

const LIBRARY = path.join(__dirname, '..', '..', 'constructs');

describe('the construct library package', () => {
  test('its name resolves to the TypeScript sources in this repository: one copy of every class', () => {
    expect(require.resolve('@zero-trust/platform-constructs')).toBe(path.join(LIBRARY, 'index.ts'));
    expect(ZeroTrustVpc).toBe(ZeroTrustVpcFromSource);
  });

  test('from source, a handler bundle is read from dist/handlers (built by `npm run build -w`)', () => {
    const dir = handlerAssetDirectory('database-bootstrap');
    expect(dir).toBe(path.join(LIBRARY, 'dist', 'handlers', 'database-bootstrap'));
    expect(fs.readdirSync(dir)).toEqual(['index.js']);
  });

  test('a missing bundle fails with the command that builds it', () => {
    expect(() => handlerAssetDirectory('no-such-handler')).toThrow(
      /pre-bundled Lambda handler "no-such-handler" is missing: no index\.js in .*constructs\/handlers\/no-such-handler or .*constructs\/dist\/handlers\/no-such-handler\. Fix: build the construct library first with `npm run build -w @zero-trust\/platform-constructs`/,
    );
  });

  test('the package manifest: peers, runtime dependencies, entry points and files', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(LIBRARY, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: '@zero-trust/platform-constructs',
      main: './dist/index.js',
      types: './dist/index.d.ts',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist', 'README.md', 'CHANGELOG.md'],
      peerDependencies: { 'aws-cdk-lib': '^2.276.0', constructs: '^10.5.0' },
      dependencies: { cdk8s: '^2.70.106', 'cdk8s-plus-27': '^2.9.5' },
    });
    expect(manifest.private).toBeUndefined();
    // What the build needs (esbuild, pg for the handler bundle) is never a runtime dependency.
    expect(Object.keys(manifest.dependencies)).not.toContain('esbuild');
    expect(Object.keys(manifest.dependencies)).not.toContain('pg');
    expect(Object.keys(manifest.dependencies)).not.toContain('aws-cdk-lib');
  });
});
