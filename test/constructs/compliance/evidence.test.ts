import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { applyComplianceGate, LIBRARY_ACKNOWLEDGMENTS, writeEvidencePack } from '@zero-trust/platform-constructs';
import { evidenceProblems, writeEvidence, type EnvironmentEvidence } from '../../../constructs/compliance/evidence';
import { readEnvironments } from '../../../constructs/compliance/evidence/assembly';
import { controlIdsOf, FRAMEWORKS } from '../../../constructs/compliance/evidence/controls';
import { ACKNOWLEDGMENTS } from '../../../lib/compliance/acknowledgments';
import { buildPlatformApp } from '../../../lib/platform-app';
import { createTestApp, VALIDATION_CACHE_DIRECTORY } from '../../support/test-app';
import { DEV_AND_PROD } from '../../support/platform-contexts';

/**
 * The evidence pack a reviewer signs, on the platform as `cdk synth` builds it for dev and prod
 * (gate on, built-in validation on), and the ways it must refuse to look complete.
 */
const REGISTRY = [...LIBRARY_ACKNOWLEDGMENTS, ...ACKNOWLEDGMENTS];
const TODAY = new Date('2026-12-06T00:00:00Z');

describe('the evidence pack of the platform (dev and prod)', () => {
  let assemblyDirectory: string;
  let packs: EnvironmentEvidence[];

  beforeAll(() => {
    const app = createTestApp({ builtinValidation: true, context: DEV_AND_PROD });
    buildPlatformApp(app, { validationCacheDirectory: VALIDATION_CACHE_DIRECTORY });
    assemblyDirectory = app.synth().directory;
    packs = writeEvidence(assemblyDirectory, { acknowledgments: REGISTRY, today: TODAY, commit: 'test' });
  });

  test('one folder per environment, each with a summary and every section as Markdown, HTML and JSON', () => {
    expect(packs.map((p) => p.environment)).toEqual(['Dev', 'Prod']);
    for (const pack of packs) {
      for (const file of ['README.md', 'index.html', ...['coverage', 'controls', 'exceptions', 'kubernetes', 'inventories', 'provenance'].flatMap((s) => [`${s}.md`, `${s}.html`, `${s}.json`])]) {
        expect(fs.existsSync(path.join(pack.directory, file))).toBe(true);
      }
    }
  });

  test('the Kubernetes report lists every object the templates apply, and says which charts it did not render', () => {
    for (const pack of packs) {
      expect(pack.kubernetes.summary.ownObjects).toBeGreaterThan(30);
      expect(pack.kubernetes.objects.length).toBe(pack.kubernetes.summary.objects);
      expect(pack.kubernetes.summary.chartsNotRendered).toBe(pack.kubernetes.charts.length); // no renders in this assembly
    }
    expect(fs.existsSync(path.join(path.dirname(packs[0].directory), 'dev-vs-prod.md'))).toBe(true);
  });

  test('can be signed: nothing unevaluated without an explanation, no expired exception, no failing rule', () => {
    expect(evidenceProblems(packs)).toEqual([]);
  });

  test('every resource of every template appears with a status: evaluated by a rule, or in the coverage statement with why', () => {
    for (const environment of readEnvironments(assemblyDirectory)) {
      const pack = packs.find((p) => p.environment === environment.name)!;
      const evaluated = new Set(pack.coverage.rows.filter((r) => r.plugin !== 'CloudFormation Validate').map((r) => `${r.stack}|${r.logicalId}`));
      const unevaluated = new Set(pack.coverage.unevaluated.map((u) => `${u.stack}|${u.logicalId}`));
      for (const resource of environment.stacks.flatMap((s) => s.resources)) {
        const key = `${resource.stack}|${resource.logicalId}`;
        expect({ key, accounted: evaluated.has(key) !== unevaluated.has(key) }).toEqual({ key, accounted: true });
      }
      // the built-in validation checks every resource against its schema
      expect(pack.coverage.rows.filter((r) => r.plugin === 'CloudFormation Validate')).toHaveLength(pack.coverage.resources);
    }
  });

  test('records what passed, not only findings: every plugin has passing rows, and its pack version', () => {
    const dev = packs[0];
    for (const plugin of ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'cdk-validator-cfnguard', 'CloudFormation Validate']) {
      expect({ plugin, passing: dev.coverage.rows.some((r) => r.plugin === plugin && r.status === 'pass') }).toEqual({ plugin, passing: true });
    }
    expect(dev.coverage.plugins.every((p) => p.version)).toBe(true);
  });

  test('the Lambda function behind Custom::VpcRestrictDefaultSG, which cdk-nag cannot see, is evaluated by cfn-guard', () => {
    const handler = packs[0].coverage.rows.filter((r) => r.type === 'AWS::Lambda::Function' && /VpcRestrictDefaultSG/.test(r.logicalId));
    expect(handler.length).toBeGreaterThan(0);
    expect(new Set(handler.map((r) => r.plugin))).toContain('cdk-validator-cfnguard');
  });

  test('the control matrix maps every framework rule to its controls, and the PCI DSS 3.2.1 requirements to v4.0.1', () => {
    const dev = packs[0];
    for (const { framework } of FRAMEWORKS) expect(dev.controls.some((c) => c.framework === framework && c.status !== 'not evaluated')).toBe(true);
    const pci = dev.controls.filter((c) => c.framework.startsWith('PCI'));
    expect(pci.filter((c) => c.v4 === 'not mapped')).toEqual([]);
    expect(dev.controls.find((c) => c.control === 'AC-2(1)')?.framework).toBe('NIST SP 800-53 Rev. 5');
    expect(controlIdsOf('The API Gateway stage does not have caching enabled - (Control IDs: AU-9(3), CP-9d, SC-8(3)).')).toEqual(['AU-9(3)', 'CP-9d', 'SC-8(3)']);
    expect(controlIdsOf('[CT.LAMBDA.PR.3]: Require an AWS Lambda function to be in a VPC')).toEqual(['CT.LAMBDA.PR.3']);
  });

  test('every exception names its rule, resource, reason, owner and expiry, from the registry', () => {
    for (const pack of packs) {
      expect(pack.exceptions.length).toBeGreaterThan(0);
      for (const row of pack.exceptions) {
        expect({ rule: row.rule, status: row.status, owner: Boolean(row.owner), expires: /^\d{4}-\d{2}-\d{2}$/.test(row.expires), reason: row.reason.length > 20 })
          .toEqual({ rule: row.rule, status: 'active', owner: true, expires: true, reason: true });
      }
    }
  });

  test('an exception past its expiry date keeps the pack from being signed', () => {
    const later = writeEvidence(assemblyDirectory, { acknowledgments: REGISTRY, today: new Date('2031-01-01T00:00:00Z'), outputDirectory: path.join(assemblyDirectory, 'evidence-later') });
    expect(evidenceProblems(later).filter((p) => / is expired \(expired /.test(p)).length).toBe(later.flatMap((p) => p.exceptions).length);
  });

  test('provenance: tool and pack versions, the commit and the hash of every template described', () => {
    const { provenance } = packs[1];
    expect(provenance.commit).toBe('test');
    expect(Object.keys(provenance.tools)).toEqual(expect.arrayContaining(['aws-cdk-lib', 'cfn-guard binary']));
    expect(provenance.templates.map((t) => t.sha256)).toEqual(provenance.templates.map(() => expect.stringMatching(/^[0-9a-f]{64}$/)));
    expect(provenance.templates.every((t) => t.account === '123456789012' && t.region === 'eu-west-1')).toBe(true);
  });
});

test('a resource no rule evaluates, of a type without an explanation, keeps the pack from being signed', () => {
  const app = createTestApp();
  const stack = new Stack(app, 'Escapes');
  new s3.Bucket(stack, 'Bucket', { enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, versioned: true });
  new CfnResource(stack, 'Unruled', { type: 'AWS::CloudFormation::WaitConditionHandle' });
  applyComplianceGate(app, { cacheDirectory: VALIDATION_CACHE_DIRECTORY });
  let directory: string;
  try {
    directory = app.synth().directory;
  } catch {
    directory = app.outdir; // the bucket's own findings fail synth; the report and evaluations are written
  }
  const problems = writeEvidencePack(directory, { acknowledgments: [], today: TODAY }).flatMap((p) => p.problems);
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/AWS::CloudFormation::WaitConditionHandle Escapes\/Unruled .* evaluated by no rule/)]));
});

test('an acknowledgment past its expiry date fails synth, naming it and its owner', () => {
  const app = createTestApp();
  const stack = new Stack(app, 'Expired');
  new s3.Bucket(stack, 'Bucket', { enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, versioned: true });
  applyComplianceGate(app, {
    cacheDirectory: VALIDATION_CACHE_DIRECTORY,
    today: TODAY,
    acknowledgments: [{
      ids: ['AwsSolutions::AwsSolutions-S1'],
      scope: 'the example bucket',
      appliesTo: (c) => c.node.path === 'Expired/Bucket/Resource',
      reason: 'An example exception whose review date has passed.',
      compensatingControl: 'none',
      verifiedBy: 'test/constructs/compliance/evidence.test.ts',
      owner: 'example-team',
      expires: '2026-12-05',
    }],
  });
  expect(() => app.synth()).toThrow(/Acknowledgment "the example bucket" \(owner: example-team\) expired after 2026-12-05/);
});
