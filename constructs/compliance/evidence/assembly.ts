import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactMetadata, type ArtifactMetadata } from '../validation-report';

/** A CloudFormation resource as the evidence pack names it. */
export interface EvidenceResource {
  /** The stack's CloudFormation name (what a reviewer sees in the console). */
  readonly stack: string;
  /** The template file, relative to the cloud assembly (cdk.out). */
  readonly templateFile: string;
  readonly logicalId: string;
  readonly type: string;
  /** The CDK construct path (from the template's `aws:cdk:path` metadata). */
  readonly constructPath: string;
  readonly properties: Record<string, unknown>;
}

/** One stack of an environment, with its template. */
export interface EvidenceStack {
  readonly stackName: string;
  readonly artifactId: string;
  readonly templateFile: string;
  readonly account?: string;
  readonly region?: string;
  readonly sha256: string;
  readonly template: { readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }> };
  readonly resources: readonly EvidenceResource[];
}

/**
 * An environment: the stacks of one CDK Stage (`Dev`, `Prod`), or the app's top-level stacks
 * (the delivery pipeline) as `app`.
 */
export interface EvidenceEnvironment {
  readonly name: string;
  readonly stacks: readonly EvidenceStack[];
}

interface Manifest {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly environment?: string;
    readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
    readonly displayName?: string;
    readonly additionalMetadataFile?: string;
    readonly metadata?: ArtifactMetadata;
  }>;
}

/** Reads the environments (stages) and their stacks from a cloud assembly directory. */
export function readEnvironments(assemblyDirectory: string): EvidenceEnvironment[] {
  const environments: EvidenceEnvironment[] = [];
  const visit = (directory: string, name: string) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf8')) as Manifest;
    const stacks: EvidenceStack[] = [];
    for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
        visit(path.join(directory, artifact.properties.directoryName), (artifact.displayName ?? artifactId).replace(/^assembly-/, ''));
      } else if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
        stacks.push(readStack(assemblyDirectory, directory, artifactId, artifact.properties.templateFile, artifact.properties.stackName ?? artifactId, artifact.environment, artifactMetadata(directory, artifact)));
      }
    }
    if (stacks.length > 0) environments.push({ name, stacks });
  };
  visit(assemblyDirectory, 'app');
  return environments.sort((a, b) => a.name.localeCompare(b.name));
}

function readStack(root: string, directory: string, artifactId: string, templateFileName: string, stackName: string, environment: string | undefined, metadata: ArtifactMetadata): EvidenceStack {
  // the construct path of each resource, from the artifact's metadata (templates carry it only when the CLI asks for path metadata)
  const pathOf = new Map<string, string>();
  for (const [constructPath, entries] of Object.entries(metadata)) {
    for (const entry of entries) if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') pathOf.set(entry.data, constructPath.replace(/^\//, ''));
  }
  const file = path.join(directory, templateFileName);
  const text = fs.readFileSync(file, 'utf8');
  const template = JSON.parse(text) as EvidenceStack['template'];
  const templateFile = path.relative(root, file);
  const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(environment ?? '') ?? [];
  return {
    stackName,
    artifactId,
    templateFile,
    account: account && !account.startsWith('unknown') ? account : undefined,
    region: region && !region.startsWith('unknown') ? region : undefined,
    sha256: crypto.createHash('sha256').update(text).digest('hex'),
    template,
    resources: Object.entries(template.Resources ?? {}).map(([logicalId, resource]) => ({
      stack: stackName,
      templateFile,
      logicalId,
      type: resource.Type,
      constructPath: pathOf.get(logicalId) ?? String(resource.Metadata?.['aws:cdk:path'] ?? ''),
      properties: resource.Properties ?? {},
    })),
  };
}
