import * as fs from 'node:fs';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import type { ComplianceAcknowledgment } from '../acknowledgment';
import { readEvaluations } from '../evaluations';
import { readEnvironments, type EvidenceEnvironment } from './assembly';
import { coverage, type CoverageReport } from './coverage';
import { environmentDifferences, environmentDifferencesMarkdown } from './differences';
import { kubernetesMarkdown, kubernetesReport, type KubernetesReport } from './kubernetes';
import { iamWildcards, iamWildcardsMarkdown, kmsKeys, kmsKeysMarkdown, networkPaths, networkPathsMarkdown, type WildcardJustification } from './inventories';
import { controlMatrix, LANDING_ZONE_CONTROLS, type ControlRow } from './controls';
import { exceptionsRegister, type ExceptionRow } from './exceptions';
import { table } from './markdown';
import { provenance, type Provenance } from './provenance';
import { findingIsOn, reportedFindings, type ReportedFinding } from './report';

/** Options of `writeEvidencePack`. */
export interface EvidencePackOptions {
  /** Every acknowledgment the gate attached (the library's and the app's registry), to join owners, expiries and controls. */
  readonly acknowledgments: readonly ComplianceAcknowledgment[];
  /** The date the pack is made on (exceptions expire against it). @default - now */
  readonly today?: Date;
  /** The source revision the templates were built from. @default - "not given" */
  readonly commit?: string;
  /** The CDK context the app was synthesized with. @default - none recorded */
  readonly context?: Record<string, unknown>;
  /** Where the pack goes. @default - `evidence` in the assembly directory */
  readonly outputDirectory?: string;
  /**
   * The Helm charts rendered as deployed (`<dir>/<stage folder>/<release>.yaml`, as `npm run
   * charts:render` writes them), for the Kubernetes policy report.
   * @default - `rendered-charts` in the assembly directory when it exists; otherwise the report lists each chart as not rendered
   */
  readonly renderedChartsDirectory?: string;
  /** Outputs of other checks to keep beside the pack, by file name (e.g. cfn-lint's findings, the test run's summary). @default - none */
  readonly attachments?: Readonly<Record<string, string>>;
}

/** One environment's evidence pack, as written. */
export interface EvidencePack {
  /** The environment (CDK stage) name, e.g. `Dev`; `app` for the app's top-level stacks. */
  readonly environment: string;
  /** The folder it was written to. */
  readonly directory: string;
  /** What keeps it from being signed (empty when nothing does): unexplained unevaluated resources, expired or unregistered exceptions, failing rules. */
  readonly problems: readonly string[];
}

/**
 * Writes the compliance evidence pack of a synthesized cloud assembly: per environment (CDK
 * stage) a folder with the coverage matrix, the control matrix, the exceptions register, the
 * Kubernetes policy report, the inventories and the provenance, each as Markdown, HTML and JSON
 * (see the README of this package). Input: the assembly (templates, metadata, the validation
 * report, the gate's recorded evaluations) and the acknowledgment registries; nothing is
 * evaluated again here. Returns each environment's folder and what keeps it from being signed.
 */
export function writeEvidencePack(assemblyDirectory: string, options: EvidencePackOptions): EvidencePack[] {
  return writeEvidence(assemblyDirectory, options).map((pack) => ({ environment: pack.environment, directory: pack.directory, problems: evidenceProblems([pack]) }));
}

/** One environment's pack, as written, with every section's data (for the library's tests). */
export interface EnvironmentEvidence {
  readonly environment: string;
  readonly directory: string;
  readonly coverage: CoverageReport;
  readonly kubernetes: KubernetesReport;
  readonly controls: readonly ControlRow[];
  readonly exceptions: readonly ExceptionRow[];
  readonly provenance: Provenance;
}

/** `writeEvidencePack`, returning every section's data. */
export function writeEvidence(assemblyDirectory: string, options: EvidencePackOptions): EnvironmentEvidence[] {
  const today = options.today ?? new Date();
  const outputDirectory = options.outputDirectory ?? path.join(assemblyDirectory, 'evidence');
  const evaluations = readEvaluations(assemblyDirectory);
  const renders = options.renderedChartsDirectory ?? path.join(assemblyDirectory, 'rendered-charts');
  const findings = reportedFindings(assemblyDirectory);
  const environments = readEnvironments(assemblyDirectory);
  const packs = environments.map((environment) => {
    const covered = coverage(environment, evaluations, findings);
    const stageFolder = path.dirname(environment.stacks[0].templateFile);
    const renderedChartsDirectory = path.join(renders, stageFolder === '.' ? 'root' : stageFolder);
    const pack: EnvironmentEvidence = {
      environment: environment.name,
      directory: path.join(outputDirectory, environment.name.toLowerCase()),
      coverage: covered,
      kubernetes: kubernetesReport(environment, { renderedChartsDirectory: fs.existsSync(renderedChartsDirectory) ? renderedChartsDirectory : undefined }),
      controls: controlMatrix(evaluations, covered),
      exceptions: exceptionsRegister(environment, findings, options.acknowledgments, today),
      provenance: provenance(environment, { commit: options.commit, context: options.context, today }),
    };
    writeEnvironment(pack, environment, justificationsOf(environment, findings));
    for (const [file, content] of Object.entries(options.attachments ?? {})) fs.writeFileSync(path.join(pack.directory, path.basename(file)), content);
    return pack;
  });
  writeDifferences(outputDirectory, environments);
  return packs;
}

/** The reasons recorded for acknowledged findings, by resource: the justification of each wildcard grant. */
function justificationsOf(environment: EvidenceEnvironment, findings: readonly ReportedFinding[]): WildcardJustification[] {
  const resources = environment.stacks.flatMap((s) => s.resources);
  return findings.flatMap((f) => {
    if (!f.acknowledgment) return [];
    const resource = resources.find((r) => findingIsOn(f, r));
    return resource ? [{ templateFile: resource.templateFile, logicalId: resource.logicalId, ruleId: f.rule, reason: f.acknowledgment.reason }] : [];
  });
}

/** The dev-vs-prod section, at the pack's root, when both environments were synthesized together. */
function writeDifferences(outputDirectory: string, environments: readonly EvidenceEnvironment[]): void {
  const dev = environments.find((e) => e.name.toLowerCase() === 'dev');
  const prod = environments.find((e) => e.name.toLowerCase() === 'prod');
  const file = path.join(outputDirectory, 'dev-vs-prod');
  if (!dev || !prod) {
    for (const extension of ['md', 'html', 'json']) fs.rmSync(`${file}.${extension}`, { force: true });
    return;
  }
  const differences = environmentDifferences(dev, prod);
  const markdown = `# Dev vs prod\n\n${environmentDifferencesMarkdown(differences)}`;
  fs.writeFileSync(`${file}.md`, markdown);
  fs.writeFileSync(`${file}.html`, html('Dev vs prod', markdown));
  fs.writeFileSync(`${file}.json`, JSON.stringify(differences, undefined, 1));
}

/** What keeps a pack from being signed: unexplained unevaluated resources, expired or unregistered exceptions, failures. */
export function evidenceProblems(packs: readonly EnvironmentEvidence[]): string[] {
  return packs.flatMap((pack) => [
    ...pack.coverage.unevaluated.filter((u) => !u.why).map((u) => `${pack.environment}: ${u.type} ${u.stack}/${u.logicalId} (${u.constructPath}) was evaluated by no rule and its type has no explanation (UNEVALUATED_TYPES)`),
    ...pack.exceptions.filter((e) => e.status !== 'active').map((e) => `${pack.environment}: exception ${e.rule} on ${e.stack}/${e.logicalId} is ${e.status}${e.expires ? ` (expired ${e.expires}, owner ${e.owner})` : ''}`),
    ...pack.coverage.rows.filter((r) => r.status === 'fail').map((r) => `${pack.environment}: ${r.plugin} ${r.rule} fails on ${r.stack}/${r.logicalId}`),
  ]);
}

function writeEnvironment(pack: EnvironmentEvidence, environment: EvidenceEnvironment, justifications: readonly WildcardJustification[]): void {
  fs.rmSync(pack.directory, { recursive: true, force: true });
  fs.mkdirSync(pack.directory, { recursive: true });
  const sections: { file: string; title: string; markdown: string; json: unknown }[] = [
    { file: 'coverage', title: 'Coverage matrix', markdown: coverageMarkdown(pack.coverage), json: pack.coverage },
    { file: 'controls', title: 'Control matrix', markdown: controlsMarkdown(pack.controls), json: { controls: pack.controls, assumedFromLandingZone: LANDING_ZONE_CONTROLS } },
    { file: 'exceptions', title: 'Exceptions register', markdown: exceptionsMarkdown(pack.exceptions), json: pack.exceptions },
    { file: 'kubernetes', title: 'Kubernetes policy report', markdown: kubernetesMarkdown(pack.kubernetes), json: pack.kubernetes },
    inventoriesSection(environment, justifications),
    { file: 'provenance', title: 'Provenance', markdown: provenanceMarkdown(pack.provenance), json: pack.provenance },
  ];
  for (const section of sections) {
    const markdown = `# ${environment.name}: ${section.title}\n\n${section.markdown}`;
    fs.writeFileSync(path.join(pack.directory, `${section.file}.md`), markdown);
    fs.writeFileSync(path.join(pack.directory, `${section.file}.html`), html(`${environment.name}: ${section.title}`, markdown));
    fs.writeFileSync(path.join(pack.directory, `${section.file}.json`), JSON.stringify(section.json, undefined, 1));
  }
  const readme = summaryMarkdown(pack, sections);
  fs.writeFileSync(path.join(pack.directory, 'README.md'), readme);
  fs.writeFileSync(path.join(pack.directory, 'index.html'), html(`${environment.name}: compliance evidence`, readme.replace(/\(([a-z-]+)\.md\)/g, '($1.html)')));
}

function inventoriesSection(environment: EvidenceEnvironment, justifications: readonly WildcardJustification[]) {
  const iam = iamWildcards(environment, justifications);
  const network = networkPaths(environment);
  const kms = kmsKeys(environment);
  return {
    file: 'inventories',
    title: 'Inventories: IAM wildcards, network paths, KMS keys',
    markdown: [iamWildcardsMarkdown(iam), networkPathsMarkdown(network), kmsKeysMarkdown(kms)].join('\n'),
    json: { iamWildcards: iam, networkPaths: network, kmsKeys: kms },
  };
}

function summaryMarkdown(pack: EnvironmentEvidence, sections: readonly { file: string; title: string }[]): string {
  const rows = pack.coverage.rows;
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  const expired = pack.exceptions.filter((e) => e.status !== 'active').length;
  return `# ${pack.environment}: compliance evidence\n\n` +
    `Generated ${pack.provenance.generatedAt} from commit \`${pack.provenance.commit}\`. ` +
    `${pack.provenance.templates.length} CloudFormation templates, ${pack.coverage.resources} resources.\n\n` +
    '## Verdict\n\n' +
    table(['check', 'result'], [
      ['rule evaluations (rule x resource)', `${rows.length}: ${count('pass')} pass, ${count('fail')} fail, ${count('acknowledged')} acknowledged`],
      ['resources no compliance rule evaluated', `${pack.coverage.unevaluated.length}, ${pack.coverage.unevaluated.filter((u) => !u.why).length} of them unexplained`],
      ['exceptions', `${pack.exceptions.length}, ${expired} expired or unregistered`],
      ['controls failing', String(pack.controls.filter((c) => c.status === 'fail').length)],
      ['Kubernetes objects', `${pack.kubernetes.summary.objects} (${pack.kubernetes.summary.ownObjects} own, ${pack.kubernetes.summary.chartObjects} from ${pack.kubernetes.summary.chartsRendered} rendered charts; ${pack.kubernetes.summary.chartsNotRendered} charts not rendered)`],
      ['Kubernetes checks failing', String(pack.kubernetes.summary.failures)],
    ]) +
    '\n## Sections\n\n' + sections.map((s) => `- [${s.title}](${s.file}.md) (machine-readable: \`${s.file}.json\`)`).join('\n') + '\n';
}

function coverageMarkdown(report: CoverageReport): string {
  const byResource = new Map<string, { stack: string; logicalId: string; type: string; constructPath: string; counts: Record<string, number> }>();
  for (const row of report.rows) {
    const key = `${row.stack}|${row.logicalId}`;
    let entry = byResource.get(key);
    if (!entry) byResource.set(key, (entry = { stack: row.stack, logicalId: row.logicalId, type: row.type, constructPath: row.constructPath, counts: {} }));
    entry.counts[row.status] = (entry.counts[row.status] ?? 0) + 1;
  }
  return '## Rule packs\n\n' +
    table(['plugin', 'version', 'rules', 'rules that applied here', 'not applicable (no resource of their types)'],
      report.plugins.map((p) => [p.plugin, p.version ?? '', p.rules, p.rulesApplied, p.rules - p.rulesApplied])) +
    '\nEvery CloudFormation resource is also checked against its resource schema and aws-cdk-lib\'s built-in rules (plugin "CloudFormation Validate").\n\n' +
    '## Coverage statement: resources no compliance rule evaluated\n\n' +
    table(['stack', 'logical id', 'type', 'why', 'checked instead by'],
      report.unevaluated.map((u) => [u.stack, u.logicalId, u.type, u.why ?? '**UNEXPLAINED**', u.checkedBy ?? ''])) +
    '\n## Per resource\n\n' +
    table(['stack', 'logical id', 'type', 'pass', 'fail', 'acknowledged', 'construct path'],
      [...byResource.values()].map((r) => [r.stack, r.logicalId, r.type, r.counts.pass ?? 0, r.counts.fail ?? 0, r.counts.acknowledged ?? 0, r.constructPath])) +
    '\n## Every rule against every resource it applies to\n\n' +
    table(['plugin', 'rule', 'stack', 'logical id', 'type', 'status', 'items found'],
      report.rows.map((r) => [r.plugin, r.rule, r.stack, r.logicalId, r.type, r.status, (r.findings ?? []).join(', ')])) +
    '\n## Rules that applied to no resource here (not applicable)\n\n' +
    Object.entries(report.notApplicable).map(([plugin, rules]) => `- **${plugin}** (${rules.length}): ${rules.join(', ')}`).join('\n') + '\n';
}

function controlsMarkdown(controls: readonly ControlRow[]): string {
  const frameworks = [...new Set(controls.map((c) => c.framework))];
  return frameworks.map((framework) => {
    const own = controls.filter((c) => c.framework === framework);
    const pci = own.some((c) => c.v4 !== undefined);
    return `## ${framework}\n\n` + (pci
      ? 'The v4.0.1 column is the requirement each v3.2.1 requirement became, from the PCI SSC\'s summary of changes; it was entered offline and is to be confirmed with your assessor.\n\n'
      : '') +
      table(['control', ...(pci ? ['v4.0.1'] : []), 'status', 'resources', 'pass', 'fail', 'acknowledged', 'rules'],
        own.map((c) => [c.control, ...(pci ? [c.v4] : []), c.status, c.resources, c.pass, c.fail, c.acknowledged, c.rules.join(', ')]));
  }).join('\n') +
    '\n## Assumed from the landing zone (not built by this platform: verify in the account)\n\n' +
    table(['control', 'service', 'frameworks'], LANDING_ZONE_CONTROLS.map((c) => [c.control, c.service, c.frameworks]));
}

function exceptionsMarkdown(rows: readonly ExceptionRow[]): string {
  return 'One row per acknowledged finding per resource. An exception past its expiry date fails the compliance gate.\n\n' +
    table(['rule', 'category', 'stack', 'logical id', 'type', 'reason', 'compensating control', 'verified by', 'owner', 'expires', 'status'],
      rows.map((r) => [r.rule, r.category, r.stack, r.logicalId, r.type, r.reason, r.compensatingControl, r.verifiedBy, r.owner, r.expires, r.status]));
}

function provenanceMarkdown(p: Provenance): string {
  return `Generated ${p.generatedAt}; commit \`${p.commit}\`.\n\n## Tools and rule packs\n\n` +
    table(['tool', 'version'], Object.entries(p.tools)) +
    '\n## Templates this pack describes\n\n' +
    table(['stack', 'template', 'account', 'region', 'sha256'], p.templates.map((t) => [t.stack, t.templateFile, t.account ?? 'any (environment-agnostic)', t.region ?? 'any', t.sha256])) +
    '\n## Context\n\n```json\n' + JSON.stringify(p.context, undefined, 2) + '\n```\n';
}

/** Markdown to HTML; raw HTML in the Markdown is escaped, never passed through. */
const MARKDOWN = new MarkdownIt({ html: false, linkify: false });

/** A self-contained HTML page (no scripts, no external resources) from Markdown. */
function html(title: string, markdown: string): string {
  const escaped = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escaped}</title>\n` +
    '<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:110rem}table{border-collapse:collapse;font-size:.85rem}' +
    'td,th{border:1px solid #ccc;padding:.2rem .4rem;vertical-align:top}th{background:#f3f3f3}code{font-size:.85rem}</style></head>\n' +
    `<body>\n${MARKDOWN.render(markdown)}</body></html>\n`;
}
