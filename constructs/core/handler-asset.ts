import * as fs from 'node:fs';
import * as path from 'node:path';

/** The library's npm package name, for the fix in the error message. */
export const LIBRARY_PACKAGE_NAME = '@zero-trust/platform-constructs';

/**
 * The directory holding a Lambda handler the library pre-bundled at build time
 * (`constructs/build.ts` writes `dist/handlers/<name>/index.js`), for `lambda.Code.fromAsset`.
 * Consumers need neither esbuild nor the handler's own dependencies at synth.
 *
 * Works from the built package (this file is `dist/core/handler-asset.js`: `../handlers/<name>`),
 * from source (`constructs/core/handler-asset.ts`, when tests run on the `.ts` files:
 * `../dist/handlers/<name>`) and bundled into an app's own JavaScript (where `__dirname` is the
 * bundle's: the package found by name). Throws, naming the fix, when the bundle is missing.
 */
export function handlerAssetDirectory(name: string): string {
  const candidates = [
    path.join(__dirname, '..', 'handlers', name),
    path.join(__dirname, '..', 'dist', 'handlers', name),
    ...installedPackageDirectory().map((dir) => path.join(dir, 'dist', 'handlers', name)),
  ];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js')));
  if (found === undefined) {
    throw new Error(
      `The pre-bundled Lambda handler "${name}" is missing: no index.js in ${candidates.join(' or ')}. ` +
      `Fix: build the construct library first with \`npm run build -w ${LIBRARY_PACKAGE_NAME}\` (the repository's \`npm ci\` does it in its prepare script).`,
    );
  }
  return found;
}

/** The installed package's directory, when it can be found by name from here (none otherwise). */
function installedPackageDirectory(): string[] {
  try {
    return [path.dirname(require.resolve(`${LIBRARY_PACKAGE_NAME}/package.json`, { paths: [__dirname] }))];
  } catch {
    return [];
  }
}
