import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** A line of cfn-lint's parseable output: file:line:column:endLine:endColumn:rule:message. */
const PARSEABLE = /^(.*):\d+:\d+:\d+:\d+:([EWI]\d+):/;

export interface CfnLintErrors {
  /** The error lines (rules E...) of each template, by the path it was given as; [] when clean. */
  readonly byTemplate: ReadonlyMap<string, string[]>;
  /** Errors that name none of the templates, or cfn-lint's whole output when it reports errors that could not be parsed. */
  readonly other: string[];
}

/**
 * Runs cfn-lint once over all the templates (it lints each on its own, so the findings are those
 * of one run per template, without a Python start-up per template) and returns its errors per
 * template. Warnings and informational findings are left out, as they are from cfn-lint's error
 * bit in its exit code. Throws when cfn-lint did not run at all: that is never a pass.
 */
export function cfnLintErrors(templates: readonly string[]): CfnLintErrors {
  let status = 0;
  let output: string;
  try {
    output = execFileSync('cfn-lint', ['--format', 'parseable', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { status: exitCode, stdout } = error as { status?: number | null; stdout?: string };
    if (typeof exitCode !== 'number') throw error;
    status = exitCode;
    output = stdout ?? '';
  }
  const byTemplate = new Map(templates.map((t) => [t, [] as string[]]));
  const byResolved = new Map(templates.map((t) => [path.resolve(t), byTemplate.get(t)!]));
  const other: string[] = [];
  let errors = 0;
  for (const line of output.split('\n')) {
    const match = PARSEABLE.exec(line);
    if (!match || !match[2].startsWith('E')) continue;
    errors += 1;
    (byResolved.get(path.resolve(match[1])) ?? other).push(line);
  }
  // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
  if (status & 2 && errors === 0) other.push(output);
  return { byTemplate, other };
}
