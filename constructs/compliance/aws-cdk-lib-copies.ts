/**
 * The two ways a compliance gate can pass while having looked at nothing, both caused by more
 * than one copy of aws-cdk-lib: cdk-nag's rules test `node instanceof CfnBucket` (and so on)
 * against the aws-cdk-lib copy cdk-nag itself loads, so every resource created with another copy
 * is skipped without a word, and the AwsSolutions, HIPAA, NIST and PCI packs report nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One package's view of aws-cdk-lib: the copy `require('aws-cdk-lib')` loads from that package. */
export interface AwsCdkLibCopy {
  /** The package that loads it. */
  readonly usedBy: string;
  /** The aws-cdk-lib directory (symlinks resolved). */
  readonly directory: string;
  readonly version: string;
}

const FIX =
  'Fix: install exactly one aws-cdk-lib. Run `npm ls aws-cdk-lib` (every line but one must say "deduped"), make your app\'s aws-cdk-lib ' +
  'satisfy every peer range it lists (@zero-trust/platform-constructs declares aws-cdk-lib as a peer dependency; cdk-nag and ' +
  '@cdklabs/cdk-validator-cfnguard do too), then run `npm dedupe` (or remove the nested node_modules/**/aws-cdk-lib and reinstall).';

/** The aws-cdk-lib copy that `require('aws-cdk-lib')` loads from `fromDirectory`. */
export function awsCdkLibCopyFrom(usedBy: string, fromDirectory: string): AwsCdkLibCopy {
  const manifest = require.resolve('aws-cdk-lib/package.json', { paths: [fromDirectory] });
  return {
    usedBy,
    directory: fs.realpathSync(path.dirname(manifest)),
    version: (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version,
  };
}

/** The directory of an installed package's entry point (where its own `require`s resolve from). */
function packageDirectory(name: string): string {
  return path.dirname(require.resolve(name, { paths: [__dirname] }));
}

/**
 * The aws-cdk-lib copies this library, cdk-nag and the cfn-guard plugin load. They must be one:
 * the library creates the resources, cdk-nag tests them with `instanceof`.
 */
export function gateAwsCdkLibCopies(): AwsCdkLibCopy[] {
  return [
    awsCdkLibCopyFrom('@zero-trust/platform-constructs', __dirname),
    awsCdkLibCopyFrom('cdk-nag', packageDirectory('cdk-nag')),
    awsCdkLibCopyFrom('@cdklabs/cdk-validator-cfnguard', packageDirectory('@cdklabs/cdk-validator-cfnguard')),
  ];
}

/**
 * The CfnResource class cdk-nag's rules test against: that of the aws-cdk-lib copy cdk-nag loads
 * (`require('aws-cdk-lib')` resolved from cdk-nag's own directory).
 */
export function nagCfnResourceClass(): abstract new (...args: never[]) => unknown {
  const entry = require.resolve('aws-cdk-lib', { paths: [packageDirectory('cdk-nag')] });
  return (require(entry) as typeof import('aws-cdk-lib')).CfnResource;
}

/** Throws, naming every copy and the fix, when `copies` are not all the same aws-cdk-lib directory. */
export function assertSingleAwsCdkLib(copies: readonly AwsCdkLibCopy[]): void {
  if (new Set(copies.map((c) => c.directory)).size <= 1) return;
  throw new Error(
    'Compliance gate: more than one copy of aws-cdk-lib is loaded, so cdk-nag would silently skip every resource created with ' +
      'another copy than its own (its rules test `instanceof` against the classes of its copy) and the gate would pass having ' +
      `looked at nothing:\n${copies.map((c) => `  - ${c.usedBy} loads aws-cdk-lib ${c.version} from ${c.directory}`).join('\n')}\n${FIX}`,
  );
}

/** How many CloudFormation resources a tree has, and those that are not instances of `cfnResourceClass`. */
export interface CfnResourceCensus {
  /** Constructs that are CloudFormation resources by aws-cdk-lib's own symbol-free test (`CfnResource.isCfnResource`, any copy). */
  readonly resources: number;
  /** Those among them that are not `instanceof cfnResourceClass` (created with another aws-cdk-lib copy). */
  readonly notInstances: readonly IConstruct[];
}

/** Counts the CloudFormation resources under `root` (across stages) and those of another aws-cdk-lib copy than `cfnResourceClass`'s. */
export function cfnResourceCensus(root: IConstruct, cfnResourceClass: abstract new (...args: never[]) => unknown): CfnResourceCensus {
  const resources = root.node.findAll().filter((c) => CfnResource.isCfnResource(c));
  return { resources: resources.length, notInstances: resources.filter((c) => !(c instanceof cfnResourceClass)) };
}

/** The aws-cdk-lib version a construct's class comes from (jsii runtime info on its CfnResource base), if known. */
function awsCdkLibVersionOf(construct: IConstruct): string | undefined {
  for (let proto = Object.getPrototypeOf(construct); proto; proto = Object.getPrototypeOf(proto)) {
    const info = (proto.constructor as Record<symbol, { fqn?: string; version?: string } | undefined>)[Symbol.for('jsii.rtti')];
    if (info?.fqn === 'aws-cdk-lib.CfnResource') return info.version;
  }
  return undefined;
}

/**
 * The error when cdk-nag would evaluate nothing (or not everything) under `root`: no CloudFormation
 * resource at all, or resources that are not instances of the CfnResource class of the aws-cdk-lib
 * copy cdk-nag loads (`nagCopy`). Undefined when every resource will be evaluated.
 */
export function unevaluatedResourcesError(census: CfnResourceCensus, nagCopy: AwsCdkLibCopy): string | undefined {
  if (census.resources === 0) {
    return 'Compliance gate: there is no CloudFormation resource to evaluate, so every compliance plugin would pass having looked at nothing. ' +
      'Add the stacks (and their resources) to the app or stage you pass to applyComplianceGate.';
  }
  if (census.notInstances.length === 0) return undefined;
  const examples = census.notInstances.slice(0, 5).map((c) => `  - ${c.node.path} (aws-cdk-lib ${awsCdkLibVersionOf(c) ?? 'of unknown version'})`);
  const more = census.notInstances.length > examples.length ? `\n  - ... and ${census.notInstances.length - examples.length} more` : '';
  return `Compliance gate: ${census.notInstances.length} of ${census.resources} CloudFormation resources were created with another copy of ` +
    `aws-cdk-lib than the one cdk-nag loads (aws-cdk-lib ${nagCopy.version} from ${nagCopy.directory}), so the cdk-nag packs would silently ` +
    `skip them (their rules test \`instanceof\` against the classes of cdk-nag's copy):\n${examples.join('\n')}${more}\n${FIX}`;
}
