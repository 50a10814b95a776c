import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PolicyValidationStack, PolicyViolation } from 'aws-cdk-lib';

/** Bump when the stored form changes: old entries are then never read. */
const FORMAT = 'per-template-findings/1';
/** Entries kept; the least recently used beyond this are removed after a write. */
const MAX_ENTRIES = 2000;

/** The findings of one plugin on one template, with `templatePath` left out (stored apart from it). */
type StoredViolation = Omit<PolicyViolation, 'violatingResources'> & {
  readonly violatingResources: Omit<PolicyViolation['violatingResources'][number], 'templatePath'>[];
};

interface Entry {
  readonly key: string;
  readonly violations: StoredViolation[];
}

/**
 * Validation results by content hash, in a directory: a template-based plugin's findings on one
 * template are a pure function of the template's text, the rule set and the tool versions (the
 * `fingerprint`), so an unchanged template is not validated again. Writes are atomic (rename),
 * so parallel synths may share a directory; an unreadable entry counts as absent.
 */
export class ValidationCache {
  constructor(readonly directory: string) {}

  /** The key of a template's result for a plugin with this fingerprint. */
  static key(fingerprint: string, template: string, extra: readonly unknown[] = []): string {
    return crypto.createHash('sha256').update(JSON.stringify([FORMAT, fingerprint, extra])).update('\0').update(template).digest('hex');
  }

  get(key: string): StoredViolation[] | undefined {
    const file = this.file(key);
    try {
      const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as Entry;
      if (entry.key !== key || !Array.isArray(entry.violations)) return undefined;
      const now = new Date();
      fs.utimesSync(file, now, now); // least recently used goes first
      return entry.violations;
    } catch {
      return undefined;
    }
  }

  put(key: string, violations: StoredViolation[]): void {
    fs.mkdirSync(this.directory, { recursive: true });
    const file = this.file(key);
    const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ key, violations } satisfies Entry));
    fs.renameSync(temporary, file);
  }

  /** Removes the least recently used entries beyond the limit. */
  prune(maxEntries = MAX_ENTRIES): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.directory).filter((n) => n.endsWith('.json'));
    } catch {
      return;
    }
    if (names.length <= maxEntries) return;
    const byAge = names
      .map((name) => ({ name, mtime: statMtime(path.join(this.directory, name)) }))
      .sort((a, b) => a.mtime - b.mtime);
    for (const { name } of byAge.slice(0, names.length - maxEntries)) fs.rmSync(path.join(this.directory, name), { force: true });
  }

  private file(key: string): string {
    return path.join(this.directory, `${key}.json`);
  }
}

function statMtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** How a plugin's per-template findings add up to its report. */
export type CombineFindings =
  /** One entry per finding per template, in template order (cfn-guard). */
  | 'concatenate'
  /** Findings with the same rule, severity and description share one entry (CloudFormation Validate). */
  | 'merge-same-finding';

/** What `validatePerTemplate` needs to know about a template-based plugin. */
export interface PerTemplateValidation {
  /** Everything besides the template its findings depend on: plugin, tool and rule versions. */
  readonly fingerprint: string;
  /** Where results are kept; none: every template is validated on every call. */
  readonly cache?: ValidationCache;
  /** Per-template inputs besides its text (e.g. the account and region it is validated for). */
  readonly templateInputs?: (stack: PolicyValidationStack) => readonly unknown[];
  /** Validates these templates, all in one run of the tool. */
  readonly run: (stacks: PolicyValidationStack[]) => { readonly violations: PolicyViolation[] };
  readonly combine: CombineFindings;
}

/**
 * Runs a template-based plugin on the templates whose results are not cached (in one run), splits
 * its findings by template, stores them, and returns the findings of every template in `stacks`
 * order, combined as the plugin itself combines them. Cached or not, the same templates give
 * the same findings in the same order.
 */
export function validatePerTemplate(stacks: readonly PolicyValidationStack[], validation: PerTemplateValidation): PolicyViolation[] {
  const keys = stacks.map((stack) =>
    ValidationCache.key(validation.fingerprint, fs.readFileSync(stack.templatePath, 'utf8'), validation.templateInputs?.(stack) ?? []));
  const results = keys.map((key) => validation.cache?.get(key));
  const misses = stacks.filter((_, i) => results[i] === undefined);
  if (misses.length > 0) {
    const found = validation.run(misses).violations;
    assertAttributable(found, misses);
    for (const [i, stack] of stacks.entries()) {
      if (results[i] !== undefined) continue;
      results[i] = findingsOf(found, stack.templatePath);
      validation.cache?.put(keys[i], results[i]);
    }
    validation.cache?.prune();
  }
  return combine(stacks.map((stack, i) => withTemplatePath(results[i]!, stack.templatePath)), validation.combine);
}

/**
 * Fails closed when a finding names no template among those validated: splitting by template
 * would drop it.
 */
function assertAttributable(violations: readonly PolicyViolation[], stacks: readonly PolicyValidationStack[]): void {
  const paths = new Set(stacks.map((s) => path.resolve(s.templatePath)));
  for (const violation of violations) {
    for (const resource of violation.violatingResources) {
      if (resource.templatePath === undefined || !paths.has(path.resolve(resource.templatePath))) {
        throw new Error(`Compliance gate: the finding ${violation.ruleName} on ${resource.resourceLogicalId ?? resource.constructPath ?? '(no resource)'} ` +
          `names ${resource.templatePath === undefined ? 'no template' : `a template not validated in this run (${resource.templatePath})`}, so it cannot be recorded per template.`);
      }
    }
  }
}

/** The findings on one template, its path left out. */
function findingsOf(violations: readonly PolicyViolation[], templatePath: string): StoredViolation[] {
  const own = path.resolve(templatePath);
  return violations.flatMap((violation) => {
    const resources = violation.violatingResources
      .filter((r) => r.templatePath !== undefined && path.resolve(r.templatePath) === own)
      .map(({ templatePath: _, ...rest }) => rest);
    return resources.length === 0 ? [] : [{ ...violation, violatingResources: resources }];
  });
}

function withTemplatePath(violations: readonly StoredViolation[], templatePath: string): PolicyViolation[] {
  return violations.map((v) => ({ ...v, violatingResources: v.violatingResources.map((r) => ({ ...r, templatePath })) }));
}

function combine(perTemplate: PolicyViolation[][], how: CombineFindings): PolicyViolation[] {
  if (how === 'concatenate') return perTemplate.flat();
  const merged: PolicyViolation[] = [];
  for (const violation of perTemplate.flat()) {
    const same = merged.find((m) => m.ruleName === violation.ruleName && m.severity === violation.severity && m.description === violation.description);
    if (same) same.violatingResources.push(...violation.violatingResources);
    else merged.push({ ...violation, violatingResources: [...violation.violatingResources] });
  }
  return merged;
}
