import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvidenceEnvironment } from './assembly';

/** What the pack was made from: source, inputs, tools, and the exact templates it describes. */
export interface Provenance {
  readonly generatedAt: string;
  readonly commit: string;
  readonly context: Record<string, unknown>;
  readonly tools: Readonly<Record<string, string>>;
  readonly templates: readonly { readonly stack: string; readonly templateFile: string; readonly sha256: string; readonly account?: string; readonly region?: string }[];
}

/** The version of an installed package, or `not installed`. */
function packageVersion(name: string, from: string = __dirname): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [from] }), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** The tool and rule pack versions behind the pack's findings. */
export function toolVersions(): Record<string, string> {
  const guardPackage = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json', { paths: [__dirname] }));
  const awsCdkLib = path.dirname(require.resolve('aws-cdk-lib/package.json', { paths: [__dirname] }));
  return {
    '@zero-trust/platform-constructs': packageVersion('@zero-trust/platform-constructs'),
    'aws-cdk-lib': packageVersion('aws-cdk-lib'),
    'cdk-nag (AwsSolutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1 packs)': packageVersion('cdk-nag'),
    '@cdklabs/cdk-validator-cfnguard (Control Tower proactive controls)': packageVersion('@cdklabs/cdk-validator-cfnguard'),
    'cfn-guard binary': (JSON.parse(fs.readFileSync(path.join(guardPackage, 'guard-version.json'), 'utf8')) as { version: string }).version,
    '@aws/cloudformation-validate (aws-cdk-lib built-in validation)': packageVersion('@aws/cloudformation-validate', awsCdkLib),
    node: process.version,
  };
}

export function provenance(environment: EvidenceEnvironment, options: { commit?: string; context?: Record<string, unknown>; today: Date }): Provenance {
  return {
    generatedAt: options.today.toISOString(),
    commit: options.commit ?? 'not given',
    context: options.context ?? {},
    tools: toolVersions(),
    templates: environment.stacks.map((s) => ({ stack: s.stackName, templateFile: s.templateFile, sha256: s.sha256, account: s.account, region: s.region })),
  };
}
