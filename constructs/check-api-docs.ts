/**
 * Part of `npm run api:check` / `api:update`, after api-extractor: every optional property of an
 * exported interface documents its default with `@default` (the value, or `- <what happens when
 * unset>`). Reads the doc model api-extractor writes (temp/api/platform-constructs.api.json), so it
 * checks exactly the public surface in the API report. Fails listing each property and its file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Modules not held to the rule yet, each with why and the count it had when exempted (it may only
 * shrink; drop the entry once it is 0). None today.
 */
const NOT_YET: Readonly<Record<string, number>> = {};

interface ApiItem {
  readonly kind: string;
  readonly name?: string;
  readonly docComment?: string;
  readonly isOptional?: boolean;
  readonly fileUrlPath?: string;
  readonly members?: readonly ApiItem[];
}

const model = JSON.parse(readFileSync(join(__dirname, 'temp', 'api', 'platform-constructs.api.json'), 'utf8')) as ApiItem;

const missing: string[] = [];
const exempted = new Map<string, number>();
function visit(item: ApiItem, parent?: ApiItem): void {
  if (item.kind === 'PropertySignature' && item.isOptional && !/@default\b/.test(item.docComment ?? '')) {
    const file = parent?.fileUrlPath ?? '?';
    if (file in NOT_YET) exempted.set(file, (exempted.get(file) ?? 0) + 1);
    else missing.push(`${parent?.name}.${item.name} (${file})`);
  }
  for (const member of item.members ?? []) visit(member, item);
}
visit(model);

const grown = Object.entries(NOT_YET).filter(([file, limit]) => (exempted.get(file) ?? 0) > limit);
if (missing.length > 0 || grown.length > 0) {
  for (const property of missing) console.error(`optional property without @default: ${property}`);
  for (const [file, limit] of grown) console.error(`${file}: ${exempted.get(file)} optional properties without @default, more than the ${limit} it was exempted with`);
  console.error('Fix: document the default, e.g. `/** ... @default 30 */` or `@default - <what happens when unset>`.');
  process.exit(1);
}
console.log(`check-api-docs: every optional property has @default${exempted.size > 0 ? ` (not yet: ${[...exempted].map(([f, n]) => `${f} ${n}`).join(', ')})` : ''}`);
