import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import {
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyValidationStack,
} from 'aws-cdk-lib';
import { CachedCloudFormationValidate } from '../../../constructs/compliance/cached-cloudformation-validate';
import { applicableRules, controlTowerRules, ControlTowerGuardPlugin, resourceTypesIn } from '../../../constructs/compliance/control-tower-guard';
import { validatePerTemplate, ValidationCache } from '../../../constructs/compliance/validation-cache';
import { buildPlatformApp } from '../../../lib/platform-app';
import { createTestApp } from '../../support/test-app';
import { FULL_PLATFORM } from '../../support/platform-contexts';

/*
 * The gate's template-based checks at the cost of what they check: cfn-guard with only the
 * controls that apply, and findings cached per template. Each is compared with the plugin as
 * published (all rules, no cache) on the whole platform: dev, prod and the delivery pipeline.
 */

/** The whole platform's templates (no gate: the plugins are run by hand below), as CDK hands them to a plugin. */
function platformTemplates(): PolicyValidationStack[] {
  const app = createTestApp({ context: FULL_PLATFORM });
  buildPlatformApp(app, { complianceGate: false });
  return app.synth().stacksRecursively.map((stack) => ({
    stackConstructPath: stack.hierarchicalId,
    templatePath: stack.templateFullPath,
    accountId: stack.environment.account === 'unknown-account' ? undefined : stack.environment.account,
    region: stack.environment.region === 'unknown-region' ? undefined : stack.environment.region,
  }));
}

function context(stacks: PolicyValidationStack[]): IPolicyValidationContext {
  return { templatePaths: stacks.map((s) => s.templatePath), stackTemplates: stacks } as IPolicyValidationContext;
}

/** A report as CDK reads it (plain data). */
const plain = (report: PolicyValidationPluginReport) => JSON.parse(JSON.stringify({ success: report.success, violations: report.violations }));

/** Copies templates to a new directory so one can be changed without touching the others. */
function copyTemplates(stacks: PolicyValidationStack[]): PolicyValidationStack[] {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
  return stacks.map((stack) => {
    const templatePath = path.join(directory, path.basename(stack.templatePath));
    fs.copyFileSync(stack.templatePath, templatePath);
    return { ...stack, templatePath };
  });
}

/** Changes one resource of a template: a tag value on its first resource with Tags. */
function changeOneResource(stack: PolicyValidationStack): void {
  const template = JSON.parse(fs.readFileSync(stack.templatePath, 'utf8'));
  const resource = Object.values(template.Resources as Record<string, { Properties?: { Tags?: { Key: string; Value: string }[] } }>)
    .find((r) => Array.isArray(r.Properties?.Tags))!;
  resource.Properties!.Tags!.push({ Key: 'changed', Value: 'yes' });
  fs.writeFileSync(stack.templatePath, JSON.stringify(template, undefined, 1));
}

describe('the Control Tower controls cfn-guard runs', () => {
  const rules = controlTowerRules();

  test('every control names the resource types it reports on (its "Reports on" header), so none is skipped wrongly', () => {
    expect(rules).toHaveLength(new CfnGuardValidator().ruleIds!.length);
    for (const rule of rules) {
      const header = /# Reports on:\n((?:#\s+AWS::.*\n)+)/.exec(fs.readFileSync(rule.file, 'utf8'));
      const reportsOn = [...(header?.[1] ?? '').matchAll(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g)].map((m) => m[0]);
      expect({ rule: path.basename(rule.file), reportsOn: reportsOn.length > 0 }).toEqual({ rule: path.basename(rule.file), reportsOn: true });
      // case-insensitive: one header misspells its type (AWS::AutoScaling::AutoscalingGroup); the rule's code is what selects
      const named = new Set([...rule.resourceTypes].map((t) => t.toLowerCase()));
      for (const type of reportsOn) expect({ rule: path.basename(rule.file), type, named: named.has(type.toLowerCase()) }).toEqual({ rule: path.basename(rule.file), type, named: true });
    }
  });

  test('a template with none of a control\'s types does not run it; one with any of them does', () => {
    const s3Rules = applicableRules(rules, new Set(['AWS::S3::Bucket']));
    expect(s3Rules.length).toBeGreaterThan(0);
    expect(s3Rules.every((r) => r.resourceTypes.has('AWS::S3::Bucket'))).toBe(true);
    expect(applicableRules(rules, new Set(['AWS::CloudFormation::WaitConditionHandle']))).toEqual([]);
  });
});

describe('on the whole platform', () => {
  let stacks: PolicyValidationStack[];
  let guardAllRules: ReturnType<typeof plain>;

  beforeAll(() => {
    stacks = platformTemplates();
    guardAllRules = plain((new CfnGuardValidator() as unknown as IPolicyValidationPlugin).validate(context(stacks)) as PolicyValidationPluginReport);
  });

  test('runs fewer controls than the plugin ships: only those naming a resource type present', () => {
    const applicable = applicableRules(controlTowerRules(), resourceTypesIn(stacks.map((s) => s.templatePath)));
    expect(applicable.length).toBeGreaterThan(0);
    expect(applicable.length).toBeLessThan(controlTowerRules().length / 2);
  });

  test('keeps the plugin\'s name, version and rule ids', () => {
    const published = new CfnGuardValidator();
    const ours = new ControlTowerGuardPlugin();
    expect({ name: ours.name, version: ours.version, ruleIds: ours.ruleIds }).toEqual({ name: published.name, version: published.version, ruleIds: published.ruleIds });
  });

  test('cfn-guard with the applicable controls reports exactly what the plugin reports with all of them; cached runs report the same, and a changed resource revalidates its stack only', () => {
    const copies = copyTemplates(stacks);
    const plugin = new ControlTowerGuardPlugin(new ValidationCache(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-cache-'))));
    const runs = jest.spyOn(plugin as unknown as { run: (s: PolicyValidationStack[]) => unknown }, 'run');

    // cold: an empty cache, so this is the uncached run, with only the applicable controls
    const cold = plain(plugin.validate(context(copies)));
    expect(guardAllRules.violations.length).toBeGreaterThan(0);
    expect(relocated(cold)).toEqual(relocated(guardAllRules));
    expect(runs).toHaveBeenCalledTimes(1);
    expect(runs.mock.calls[0][0]).toHaveLength(copies.length);

    expect(plain(plugin.validate(context(copies)))).toEqual(cold);
    expect(runs).toHaveBeenCalledTimes(1); // every template from the cache

    const changed = copies.find((s) => /DevData/.test(s.templatePath))!;
    changeOneResource(changed);
    const after = plain(plugin.validate(context(copies)));
    expect(runs).toHaveBeenCalledTimes(2);
    expect(runs.mock.calls[1][0].map((s) => s.templatePath)).toEqual([changed.templatePath]);
    expectChangedOnly(after, cold, plain(new ControlTowerGuardPlugin().validate(context([changed]))), changed);
  });

  test('built-in CloudFormation validation: cached and uncached runs report what aws-cdk-lib\'s own plugin reports', () => {
    const copies = copyTemplates(stacks);
    const runs = jest.spyOn(CloudFormationValidatePlugin.prototype, 'validate');
    const builtin = plain(new CloudFormationValidatePlugin().validate(context(copies)));
    const plugin = new CachedCloudFormationValidate(new ValidationCache(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-cache-'))));
    expect(plugin.version).toBe(new CloudFormationValidatePlugin().version);

    expect(plain(plugin.validate(context(copies)))).toEqual(builtin);
    expect(runs).toHaveBeenCalledTimes(2);
    expect(plain(plugin.validate(context(copies)))).toEqual(builtin);
    expect(runs).toHaveBeenCalledTimes(2); // every template from the cache

    const changed = copies.find((s) => /DevNetwork/.test(s.templatePath))!;
    changeOneResource(changed);
    const after = plain(plugin.validate(context(copies)));
    expect(runs).toHaveBeenCalledTimes(3);
    expect(runs.mock.calls[2][0].stackTemplates.map((s) => s.templatePath)).toEqual([changed.templatePath]);
    runs.mockRestore();
    expectChangedOnly(after, builtin, plain(new CloudFormationValidatePlugin().validate(context([changed]))), changed);
  });
});

type PlainReport = ReturnType<typeof plain>;
type PlainViolation = { violatingResources: { templatePath: string }[] };

/** A report with each template named by its file name, so copies in another directory compare equal. */
function relocated(report: PlainReport): PlainReport {
  return JSON.parse(JSON.stringify(report), (key, value) => (key === 'templatePath' ? path.basename(value) : value));
}

/** The findings on one template only (or on every other template). */
function onTemplate(report: PlainReport, templatePath: string, other = false): PlainViolation[] {
  return (report.violations as PlainViolation[])
    .map((v) => ({ ...v, violatingResources: v.violatingResources.filter((r) => (r.templatePath === templatePath) !== other) }))
    .filter((v) => v.violatingResources.length > 0);
}

/** After one template changed: its findings are those of a fresh run on it, every other template's are unchanged. */
function expectChangedOnly(after: PlainReport, before: PlainReport, freshOnChanged: PlainReport, changed: PolicyValidationStack): void {
  expect(onTemplate(after, changed.templatePath)).toEqual(onTemplate(freshOnChanged, changed.templatePath));
  expect(onTemplate(after, changed.templatePath, true)).toEqual(onTemplate(before, changed.templatePath, true));
}

describe('the cache', () => {
  test('an entry that does not hold its own key (corrupt, truncated or foreign) counts as absent', () => {
    const cache = new ValidationCache(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-cache-')));
    const key = ValidationCache.key('fingerprint', '{"Resources":{}}');
    cache.put(key, []);
    expect(cache.get(key)).toEqual([]);
    fs.writeFileSync(path.join(cache.directory, `${key}.json`), '{"key":"another","violations":[]}');
    expect(cache.get(key)).toBeUndefined();
    fs.writeFileSync(path.join(cache.directory, `${key}.json`), '{"key":');
    expect(cache.get(key)).toBeUndefined();
  });

  test('the key changes with the template, the fingerprint (tools, rules) and the per-template inputs', () => {
    const base = ValidationCache.key('f', 'template', ['123456789012', 'eu-west-1']);
    expect(ValidationCache.key('f', 'template ', ['123456789012', 'eu-west-1'])).not.toBe(base);
    expect(ValidationCache.key('g', 'template', ['123456789012', 'eu-west-1'])).not.toBe(base);
    expect(ValidationCache.key('f', 'template', ['123456789012', 'us-east-1'])).not.toBe(base);
    expect(ValidationCache.key('f', 'template', ['123456789012', 'eu-west-1'])).toBe(base);
  });

  test('keeps the most recently used entries when it prunes', () => {
    const cache = new ValidationCache(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-cache-')));
    const keys = ['a', 'b', 'c'].map((t) => ValidationCache.key('f', t));
    keys.forEach((key, i) => {
      cache.put(key, []);
      fs.utimesSync(path.join(cache.directory, `${key}.json`), new Date(1000 * (i + 1)), new Date(1000 * (i + 1)));
    });
    cache.get(keys[0]); // used now: the newest
    cache.prune(2);
    expect(keys.map((k) => cache.get(k) !== undefined)).toEqual([true, false, true]);
  });

  test('a finding that names no validated template fails the run instead of being dropped', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
    const templatePath = path.join(directory, 'S.template.json');
    fs.writeFileSync(templatePath, '{"Resources":{}}');
    expect(() => validatePerTemplate([{ stackConstructPath: 'S', templatePath, accountId: undefined, region: undefined }], {
      fingerprint: 'f',
      combine: 'concatenate',
      run: () => ({ violations: [{ ruleName: 'R1', description: 'd', violatingResources: [{ resourceLogicalId: 'X', locations: [], templatePath: '/elsewhere.json' }] }] }),
    })).toThrow(/R1 on X names a template not validated in this run/);
  });
});
