import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIBRARY_CONSTRUCT_METADATA } from './library-constructs';

/** One finding left standing in `validation-report.json`. */
export interface OpenFinding {
  /** The plugin that reported it, e.g. `AwsSolutions` or `cdk-validator-cfnguard`. */
  readonly plugin: string;
  /** The rule as reported, e.g. `AwsSolutions-S1` (acknowledge it as `<plugin>::<rule>`). */
  readonly rule: string;
  /** `error` or `warning` as the plugin reports it (any severity keeps the gate closed). */
  readonly severity: string;
  /** The constructs it was found on. */
  readonly constructPaths: string[];
}

/** A finding of `validation-report.json` as CDK writes it (open, or acknowledged in `suppressedViolations`). */
export interface ReportViolation {
  readonly ruleName: string;
  readonly description?: string;
  readonly severity?: string;
  readonly violatingConstructs?: {
    readonly constructPath?: string;
    readonly cloudFormationResource?: { readonly templatePath?: string; readonly logicalId?: string };
  }[];
  readonly acknowledgedId?: string;
  readonly reason?: string;
  readonly acknowledgedAt?: string;
}

interface PluginReport {
  readonly pluginName: string;
  readonly pluginVersion?: string;
  readonly conclusion?: string;
  readonly metadata?: { readonly error?: string };
  readonly violations?: ReportViolation[];
  readonly suppressedViolations?: ReportViolation[];
}

/** CDK's `validation-report.json`. */
export interface ValidationReport {
  readonly pluginReports: PluginReport[];
}

const REPORT_FILE = 'validation-report.json';

/** The validation report of a cloud assembly, or undefined when there is none. */
export function readValidationReport(assemblyDirectory: string): ValidationReport | undefined {
  const file = path.join(assemblyDirectory, REPORT_FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport) : undefined;
}

/** Stack artifact metadata, by construct path: CDK writes it inline in `manifest.json` or in the artifact's `additionalMetadataFile`. */
export type ArtifactMetadata = Record<string, readonly { readonly type: string; readonly data?: unknown }[]>;

/** The metadata of one artifact of the manifest in `directory`, inline and from its additional metadata file. */
export function artifactMetadata(directory: string, artifact: { readonly metadata?: ArtifactMetadata; readonly additionalMetadataFile?: string }): ArtifactMetadata {
  const metadata: ArtifactMetadata = { ...artifact.metadata };
  if (artifact.additionalMetadataFile) {
    Object.assign(metadata, JSON.parse(fs.readFileSync(path.join(directory, artifact.additionalMetadataFile), 'utf8')) as ArtifactMetadata);
  }
  return metadata;
}

/**
 * Reads the validation report of a cloud assembly and returns every finding that is not
 * acknowledged, from any plugin and of any severity, plus every plugin that failed to run (it
 * evaluated nothing; its error is the `rule`).
 *
 * This exists because CDK fails synth only on plugin reports whose conclusion is "failure",
 * and some plugins (cfn-guard) report "success" next to open error findings.
 */
export function openFindings(assemblyDirectory: string): OpenFinding[] {
  const report = readValidationReport(assemblyDirectory);
  if (!report) {
    return [{ plugin: 'compliance gate', rule: `no ${REPORT_FILE}: were the plugins registered (applyComplianceGate)?`, severity: 'error', constructPaths: [] }];
  }
  return report.pluginReports.flatMap((plugin) => [
    ...(plugin.conclusion === 'failure' && (plugin.violations ?? []).length === 0
      ? [{ plugin: plugin.pluginName, rule: plugin.metadata?.error ?? 'the plugin failed without a finding', severity: 'error', constructPaths: [] }]
      : []),
    ...(plugin.violations ?? []).map((v) => ({
      plugin: plugin.pluginName,
      rule: v.ruleName,
      severity: v.severity ?? 'error',
      constructPaths: (v.violatingConstructs ?? []).map((c) => c.constructPath ?? '(no construct path)'),
    })),
  ]);
}

/**
 * The plugins that appear in the report. CDK leaves out a plugin with neither findings nor
 * acknowledgments, so this proves a plugin ran only where it had something to say.
 */
export function reportedPlugins(assemblyDirectory: string): string[] {
  const report = JSON.parse(fs.readFileSync(path.join(assemblyDirectory, REPORT_FILE), 'utf8')) as ValidationReport;
  return report.pluginReports.map((p) => p.pluginName);
}

/**
 * The library constructs in an assembly, by construct path: the compliance gate marks each one
 * with metadata, which CDK writes next to its stack's artifact (`<artifact>.metadata.json`, named
 * by the artifact's `additionalMetadataFile`, or inline in `manifest.json`), in nested assemblies too.
 * (Exported for the library's tests only; not part of the package API.)
 */
export function libraryConstructs(assemblyDirectory: string): Map<string, string> {
  const constructs = new Map<string, string>();
  const manifests = fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' }).filter((f) => path.basename(f) === 'manifest.json');
  for (const manifest of manifests) {
    const directory = path.dirname(path.join(assemblyDirectory, manifest));
    const artifacts = (JSON.parse(fs.readFileSync(path.join(assemblyDirectory, manifest), 'utf8')) as {
      artifacts?: Record<string, { metadata?: ArtifactMetadata; additionalMetadataFile?: string }>;
    }).artifacts ?? {};
    for (const artifact of Object.values(artifacts)) {
      for (const [constructPath, entries] of Object.entries(artifactMetadata(directory, artifact))) {
        const entry = entries.find((e) => e.type === LIBRARY_CONSTRUCT_METADATA);
        if (entry) constructs.set(constructPath.replace(/^\//, ''), String(entry.data));
      }
    }
  }
  return constructs;
}

/** The innermost library construct `constructPath` is in (or is), as `PlatformCluster at Team/Cluster`. */
function builtByLibrary(libraryConstructsByPath: ReadonlyMap<string, string>, constructPath: string): string | undefined {
  let best: string | undefined;
  for (const owner of libraryConstructsByPath.keys()) {
    if ((constructPath === owner || constructPath.startsWith(`${owner}/`)) && owner.length > (best?.length ?? -1)) best = owner;
  }
  return best === undefined ? undefined : `${libraryConstructsByPath.get(best)} at ${best}`;
}

/**
 * Throws with a readable list when the assembly has open findings (or a plugin that failed):
 * for each, the id to acknowledge it with, and whether it is on a resource the library built.
 */
export function assertNoOpenFindings(assemblyDirectory: string): void {
  const findings = openFindings(assemblyDirectory);
  if (findings.length === 0) return;
  const library = libraryConstructs(assemblyDirectory);
  let onLibraryResources = 0;
  const lines = findings.flatMap((f) => {
    if (f.constructPaths.length === 0) return [`  - [${f.plugin}] ${f.rule} (${f.severity})`];
    return f.constructPaths.map((constructPath) => {
      const owner = builtByLibrary(library, constructPath);
      if (owner) onLibraryResources++;
      return `  - [${f.plugin}] ${f.rule} (${f.severity}) at ${constructPath}: acknowledge as "${acknowledgmentPrefix(f.plugin)}::${f.rule}"` +
        (owner ? `; BUILT BY THE LIBRARY (${owner})` : '');
    });
  });
  const libraryNote = onLibraryResources === 0 ? '' :
    `\n${onLibraryResources} of them are on resources @zero-trust/platform-constructs built (marked BUILT BY THE LIBRARY): unless one follows from a prop ` +
      'you set, that is a bug of the library, whose own acknowledgments should cover it: report it with this message; meanwhile you may acknowledge it in your registry as above.';
  throw new Error(
    `Compliance gate: ${findings.length} unacknowledged finding(s) in ${path.join(assemblyDirectory, REPORT_FILE)}:\n${lines.join('\n')}\n` +
      'For each: fix the resource; or, only if it cannot be fixed (a documented false positive, a handler CDK writes for you), add an ' +
      'acknowledgment { ids, scope, appliesTo, reason } to YOUR registry, the `acknowledgments` you pass to applyComplianceGate(app, { acknowledgments }), ' +
      'selecting the construct by type and role (e.g. childOf(MyConstruct, \'Role\')). Never edit files under node_modules.' +
      libraryNote,
  );
}

/**
 * The prefix an acknowledgment id takes for a plugin: the plugin's name, except that aws-cdk-lib's
 * own "CloudFormation Validate" is acknowledged as "CloudFormation-Validate" (no space).
 */
function acknowledgmentPrefix(plugin: string): string {
  return plugin.replace(/\s+/g, '-');
}
