/** APIs are contracts: openapi.json must match the code, and must not break the last released contract. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffSpecs } from 'openapi-diff';
import { generateOpenApi, renderOpenApi } from '../src/openapi';
import { SERVICE_ROOT } from './helpers';

const committed = readFileSync(join(SERVICE_ROOT, 'openapi.json'), 'utf8');
const released = readFileSync(join(SERVICE_ROOT, 'contracts', 'v1.released.json'), 'utf8');

async function breakingChanges(from: string, to: string): Promise<string[]> {
  const result = await diffSpecs({
    sourceSpec: { content: from, location: 'released', format: 'openapi3' },
    destinationSpec: { content: to, location: 'current', format: 'openapi3' },
  });
  return result.breakingDifferencesFound
    ? result.breakingDifferences.map((d) => `${d.code}: ${(d.sourceSpecEntityDetails[0] ?? d.destinationSpecEntityDetails[0])?.location ?? ''}`)
    : [];
}

test('committed openapi.json is exactly what the route schemas generate (run `npm run openapi` after changing them)', async () => {
  expect(renderOpenApi(await generateOpenApi())).toBe(committed);
});

test('openapi.json has no breaking change against the released contract (contracts/v1.released.json)', async () => {
  expect(await breakingChanges(released, committed)).toEqual([]);
});

test('the contract check does catch breaking changes', async () => {
  const doc = JSON.parse(released) as {
    paths: Record<string, unknown>;
    components: { schemas: Record<string, { required: string[]; properties: Record<string, unknown> }> };
  };
  delete doc.paths['/v1/orders/{id}'];
  doc.components.schemas['CreateOrderRequest']!.required.push('couponCode');
  doc.components.schemas['CreateOrderRequest']!.properties['couponCode'] = { type: 'string' };
  const found = await breakingChanges(released, JSON.stringify(doc));
  expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^path\.remove/), expect.stringMatching(/^request\.body\.scope\.remove/)]));
});
