/** Regenerates services/sample/openapi.json from the route schemas (`npm run openapi`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApi, renderOpenApi } from '../src/openapi';

generateOpenApi().then(
  (doc) => {
    const file = join(__dirname, '..', 'openapi.json');
    writeFileSync(file, renderOpenApi(doc));
    console.log(`wrote ${file}`);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
