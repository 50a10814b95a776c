/**
 * `npm run evidence [-- <cloud assembly> [--tests <jest --json output>]]`, after
 * `npx cdk synth -c env=dev,prod`: completes the evidence pack `cdk synth` wrote (cdk.out/evidence/)
 * with what synth itself does not run: every Helm chart rendered as deployed (the Kubernetes policy
 * report then covers the charts' objects), cfn-lint's findings (warnings included) and, given a
 * jest JSON report (`npx jest --json --outputFile=tests.json`), the test run's summary, kept beside
 * each environment's pack. Exits 1 when the pack cannot be signed, 2 when the upstream chart
 * sources are absent (charts not rendered).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIBRARY_ACKNOWLEDGMENTS } from '@zero-trust/platform-constructs';
import { evidenceProblems, writeEvidence } from '../../constructs/compliance/evidence';
import { ACKNOWLEDGMENTS } from '../../lib/compliance/acknowledgments';
import { renderAssemblyCharts, writeRenderedCharts } from './charts/render-charts';
import { UPSTREAM_DIR, upstreamAvailable } from './charts/upstream';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const testsAt = args.indexOf('--tests');
  const testReport = testsAt >= 0 ? args.splice(testsAt, 2)[1] : undefined;
  const assembly = path.resolve(args[0] ?? 'cdk.out');
  const rendered = upstreamAvailable();
  if (rendered) {
    writeRenderedCharts(await renderAssemblyCharts(assembly), path.join(assembly, 'rendered-charts'));
  } else {
    console.error(`Charts NOT rendered: ${UPSTREAM_DIR} (upstream chart sources) is absent; the Kubernetes report lists each chart as not rendered.`);
  }
  const templates = fs.readdirSync(assembly, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.template.json') && !f.startsWith('rendered-charts'));
  // the commit and context synth recorded: the templates are from then
  const synthesized = synthProvenance(assembly);
  const packs = writeEvidence(assembly, {
    acknowledgments: [...LIBRARY_ACKNOWLEDGMENTS, ...ACKNOWLEDGMENTS],
    commit: synthesized.commit,
    context: synthesized.context,
    attachments: {
      'cfn-lint.txt': cfnLint(templates.map((t) => path.join(assembly, t))),
      ...(testReport ? { 'tests.md': testSummary(testReport) } : {}),
    },
  });
  for (const pack of packs) {
    console.log(`${pack.environment}: ${path.relative(process.cwd(), pack.directory)}: ${pack.kubernetes.summary.objects} Kubernetes objects, ` +
      `${pack.kubernetes.summary.chartsNotRendered} charts not rendered, ${pack.kubernetes.summary.failures} Kubernetes checks failing`);
  }
  const problems = evidenceProblems(packs);
  for (const problem of problems) console.error(`PROBLEM ${problem}`);
  return problems.length > 0 ? 1 : rendered ? 0 : 2;
}

function synthProvenance(assembly: string): { commit?: string; context?: Record<string, unknown> } {
  const evidence = path.join(assembly, 'evidence');
  const first = fs.existsSync(evidence) ? fs.readdirSync(evidence).find((d) => fs.existsSync(path.join(evidence, d, 'provenance.json'))) : undefined;
  if (!first) throw new Error(`No evidence pack in ${evidence}: run \`npx cdk synth\` first (it writes the pack this completes).`);
  return JSON.parse(fs.readFileSync(path.join(evidence, first, 'provenance.json'), 'utf8')) as { commit?: string; context?: Record<string, unknown> };
}

/** The summary of a jest run (its --json output): totals, and each test file with its result. */
function testSummary(file: string): string {
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    startTime: number; numTotalTests: number; numPassedTests: number; numFailedTests: number; numPendingTests: number; success: boolean;
    testResults: { name: string; status: string; assertionResults: unknown[] }[];
  };
  return `# Test run of ${new Date(report.startTime).toISOString()}\n\n` +
    `${report.success ? 'PASSED' : 'FAILED'}: ${report.numPassedTests} of ${report.numTotalTests} tests passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped.\n\n` +
    '| test file | tests | result |\n|---|---:|---|\n' +
    report.testResults.map((r) => `| ${path.relative(process.cwd(), r.name)} | ${r.assertionResults.length} | ${r.status} |`).join('\n') + '\n';
}

/** cfn-lint over all templates in one run, every finding (warnings and informational too), as text. */
function cfnLint(templates: string[]): string {
  try {
    return `cfn-lint ${execFileSync('cfn-lint', ['--version'], { encoding: 'utf8' }).trim()}: no findings\n` +
      execFileSync('cfn-lint', ['--format', 'parseable', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { status, stdout } = error as { status?: number; stdout?: string };
    if (typeof status !== 'number') return `cfn-lint did not run: ${String(error)}\n`;
    // exit code bits: 2 errors, 4 warnings, 8 informational
    return `cfn-lint exit code ${status} (bit 2: errors, 4: warnings, 8: informational)\n${stdout ?? ''}`;
  }
}

main().then((code) => { process.exitCode = code; }, (error) => { console.error(error); process.exitCode = 1; });
