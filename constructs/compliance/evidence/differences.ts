import type { EvidenceEnvironment, EvidenceStack } from './assembly';
import { EnvironmentIndex, resourceName, shorten, type EvidenceResourceName, type LocatedResource } from './inventories';
import { table } from './markdown';

// What differs between two environments (dev and prod) of the same app: resources present in one
// only, and for resources in both, the property values that differ, once each environment's own
// names (stage, stack names, account, region, generated suffixes) are taken out.

/** One property (or nested value) that differs. */
export interface PropertyDifference {
  /** The property path, e.g. `ScalingConfig.MaxSize`, `BackupRetentionPeriod`, `(DeletionPolicy)`. */
  readonly property: string;
  /** The value in the first environment (short; `(not set)` when absent). */
  readonly a: string;
  /** The value in the second environment. */
  readonly b: string;
}

/** A resource in both environments whose properties differ. */
export interface ChangedResource {
  /** The construct path without the stage, e.g. `Data/Postgres/Cluster/Resource`. */
  readonly key: string;
  readonly a: EvidenceResourceName;
  readonly b: EvidenceResourceName;
  readonly differences: readonly PropertyDifference[];
  /** Differences left out of `differences` to keep the list short. */
  readonly more: number;
}

/** A stack of each environment, paired by name, with where it deploys. */
export interface StackPairing {
  readonly key: string;
  readonly a?: { readonly stackName: string; readonly account: string; readonly region: string; readonly resources: number };
  readonly b?: { readonly stackName: string; readonly account: string; readonly region: string; readonly resources: number };
}

/** The differences between two environments. */
export interface EnvironmentDifferences {
  readonly a: string;
  readonly b: string;
  readonly stacks: readonly StackPairing[];
  readonly onlyInA: readonly EvidenceResourceName[];
  readonly onlyInB: readonly EvidenceResourceName[];
  readonly changed: readonly ChangedResource[];
  /** Tag keys whose values differ (tags are left out of the per-resource comparison). */
  readonly tags: readonly PropertyDifference[];
}

/** Differences listed per resource at most; the rest are counted in `more`. */
const MAX_DIFFERENCES_PER_RESOURCE = 25;
/** Properties holding tags (`Tags`, `BackupVaultTags`, `TagSpecifications`...): compared once for the environment, not per resource. */
const TAG_PROPERTY = /Tags$|^TagSpecifications$/;
/** Tags that only name a resource after its construct path: left out of the tag comparison. */
const NAMING_TAGS = new Set(['Name']);
const NOT_PINNED = 'not pinned (environment-agnostic)';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isIntrinsic = (value: Json) => {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition');
};
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces what names an environment (its stage, stack prefix, account, region, hash suffixes) with placeholders. */
class Normaliser {
  private readonly replacements: [RegExp, string][] = [];

  constructor(environment: EvidenceEnvironment) {
    const names = environment.stacks.map((s) => s.stackName);
    const prefix = commonPrefix(names).replace(/[^-_]*$/, '').replace(/[-_]$/, '');
    if (prefix.length > 0 && names.length > 1) {
      this.replacements.push([new RegExp(escape(prefix), 'g'), '<env>']);
      const compact = prefix.replace(/[^A-Za-z0-9]/g, '');
      if (compact !== prefix && compact.length > 2) this.replacements.push([new RegExp(escape(compact), 'g'), '<env>']);
    }
    if (environment.name !== 'app') this.replacements.push([new RegExp(`(?<![A-Za-z0-9])${escape(environment.name)}(?=[A-Z/:]|$)`, 'g'), '<Stage>']);
    for (const account of new Set(environment.stacks.map((s) => s.account).filter((a): a is string => !!a))) this.replacements.push([new RegExp(escape(account), 'g'), '<AWS::AccountId>']);
    for (const region of new Set(environment.stacks.map((s) => s.region).filter((r): r is string => !!r))) this.replacements.push([new RegExp(escape(region), 'g'), '<AWS::Region>']);
    this.replacements.push(
      // `${AWS::AccountId}` in a kept Fn::Sub reads as `<AWS::AccountId>`, like a rendered Ref
      [/\$\{(AWS::[A-Za-z]+)\}/g, '<$1>'],
      // CDK's generated addresses and suffixes: `prune-c8...` (first: an address ending in eight
      // digits would otherwise lose them to a suffix), `...SecurityGroup6C33C63D`, `...-Metrics-7D06D4E0`, `...-platform-1078be82`
      [/c8[0-9a-f]{40}/g, '<address>'],
      [/(?<=[A-Za-z-])[0-9A-F]{8}(?![0-9A-Za-z])/g, '<hash>'],
      [/(?<=-)[0-9a-f]{8}(?![0-9a-z])/g, '<hash>'],
    );
  }

  text(value: string): string {
    return this.replacements.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), value);
  }
}

function commonPrefix(values: readonly string[]): string {
  if (values.length === 0) return '';
  let prefix = values[0];
  for (const value of values) while (!value.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/**
 * A value as compared: intrinsics rendered, JSON strings (manifests, Helm values) parsed, tags left
 * out, keys normalised (`normaliseKey`), strings normalised (`normalise`, identity for display).
 */
function comparable(value: unknown, stack: EvidenceStack, index: EnvironmentIndex, normalise: (text: string) => string, normaliseKey: (text: string) => string): unknown {
  const fromString = (text: string): unknown => {
    const normalised = normalise(text);
    if (/^\s*[[{]/.test(normalised)) {
      try {
        return visit(JSON.parse(normalised) as unknown);
      } catch {
        return normalised;
      }
    }
    return normalised;
  };
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node === 'string') return fromString(node);
    if (!isObject(node)) return node;
    if (isIntrinsic(node)) return fromString(index.render(node, stack));
    return Object.fromEntries(Object.entries(node).filter(([key]) => !TAG_PROPERTY.test(key)).map(([key, child]) => [normaliseKey(key), visit(child)]));
  };
  return visit(value);
}

/** `Kind/name` of each element when every element is a Kubernetes object (and the keys are unique). */
function manifestKeys(items: readonly unknown[]): string[] | undefined {
  if (items.length === 0 || !items.every((item) => isObject(item) && typeof item.kind === 'string')) return undefined;
  const keys = items.map((item, i) => {
    const metadata = (item as Json).metadata;
    const name = isObject(metadata) && typeof metadata.name === 'string' ? metadata.name : String(i);
    const namespace = isObject(metadata) && typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
    return `${String((item as Json).kind)} ${namespace}${name}`;
  });
  return new Set(keys).size === keys.length ? keys : undefined;
}

const show = (value: unknown) => (value === undefined ? '(not set)' : shorten(typeof value === 'string' ? value : JSON.stringify(value)));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The leaf differences between two compared values, shown with their un-normalised values. */
function differences(a: unknown, b: unknown, shownA: unknown, shownB: unknown, at: string, found: PropertyDifference[]): void {
  if (same(a, b)) return;
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      differences(a[key], b[key], (shownA as Json | undefined)?.[key], (shownB as Json | undefined)?.[key], at ? `${at}.${key}` : key, found);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && Array.isArray(shownA) && Array.isArray(shownB)) {
    const keysA = manifestKeys(a);
    const keysB = manifestKeys(b);
    if (keysA && keysB) {
      // Kubernetes objects: matched by kind and name, not position
      for (const key of [...new Set([...keysA, ...keysB])]) {
        const i = keysA.indexOf(key);
        const j = keysB.indexOf(key);
        differences(a[i], b[j], i < 0 ? undefined : shownA[i], j < 0 ? undefined : shownB[j], `${at}[${key}]`, found);
      }
      return;
    }
    if (a.length === b.length) {
      a.forEach((item, i) => differences(item, b[i], shownA[i], shownB[i], `${at}[${i}]`, found));
      return;
    }
  }
  found.push({ property: at, a: show(shownA), b: show(shownB) });
}

interface Side {
  readonly environment: EvidenceEnvironment;
  readonly index: EnvironmentIndex;
  readonly normaliser: Normaliser;
  readonly byKey: Map<string, LocatedResource>;
}

function side(environment: EvidenceEnvironment): Side {
  const index = new EnvironmentIndex(environment);
  const normaliser = new Normaliser(environment);
  const byKey = new Map<string, LocatedResource>();
  for (const located of index.resources) {
    const { constructPath, logicalId } = located.resource;
    const stagePrefix = `${environment.name}/`;
    const base = constructPath
      ? normaliser.text(constructPath.startsWith(stagePrefix) ? constructPath.slice(stagePrefix.length) : constructPath)
      : `${normaliser.text(located.stack.stackName)}/${normaliser.text(logicalId)}`;
    let key = base;
    for (let n = 2; byKey.has(key); n++) key = `${base} #${n}`;
    byKey.set(key, located);
  }
  return { environment, index, normaliser, byKey };
}

function resourceDifferences(key: string, a: LocatedResource, sideA: Side, b: LocatedResource, sideB: Side): ChangedResource | undefined {
  const found: PropertyDifference[] = [];
  if (a.resource.type !== b.resource.type) found.push({ property: '(Type)', a: a.resource.type, b: b.resource.type });
  for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy']) {
    const valueA = sideA.index.attribute(a, attribute);
    const valueB = sideB.index.attribute(b, attribute);
    if (!same(valueA, valueB)) found.push({ property: `(${attribute})`, a: show(valueA ?? (attribute === 'DeletionPolicy' ? 'Delete (default)' : undefined)), b: show(valueB ?? (attribute === 'DeletionPolicy' ? 'Delete (default)' : undefined)) });
  }
  const normaliseA = (t: string) => sideA.normaliser.text(t);
  const normaliseB = (t: string) => sideB.normaliser.text(t);
  differences(
    comparable(a.resource.properties, a.stack, sideA.index, normaliseA, normaliseA),
    comparable(b.resource.properties, b.stack, sideB.index, normaliseB, normaliseB),
    comparable(a.resource.properties, a.stack, sideA.index, (t) => t, normaliseA),
    comparable(b.resource.properties, b.stack, sideB.index, (t) => t, normaliseB),
    '',
    found,
  );
  if (found.length === 0) return undefined;
  return {
    key,
    a: resourceName(a.resource),
    b: resourceName(b.resource),
    differences: found.slice(0, MAX_DIFFERENCES_PER_RESOURCE),
    more: Math.max(0, found.length - MAX_DIFFERENCES_PER_RESOURCE),
  };
}

/** Every tag key with its values in an environment. */
function tagValues(s: Side): Map<string, Set<string>> {
  const tags = new Map<string, Set<string>>();
  const add = (key: string, value: string) => tags.set(key, (tags.get(key) ?? new Set()).add(value));
  for (const located of s.index.resources) {
    const value = located.resource.properties.Tags;
    if (Array.isArray(value)) {
      for (const tag of value) if (isObject(tag) && typeof tag.Key === 'string') add(tag.Key, s.index.render(tag.Value, located.stack));
    } else if (isObject(value) && !isIntrinsic(value)) {
      for (const [key, tagValue] of Object.entries(value)) add(key, s.index.render(tagValue, located.stack));
    }
  }
  return tags;
}

function stackInfo(stack: EvidenceStack) {
  return { stackName: stack.stackName, account: stack.account ?? NOT_PINNED, region: stack.region ?? NOT_PINNED, resources: stack.resources.length };
}

/**
 * The differences between two environments (e.g. dev and prod): resources in one only (matched by
 * construct path without the stage, `Dev/Data/...` and `Prod/Data/...`), and for resources in both,
 * the property values that differ (instance classes, capacities, retention, deletion policies...),
 * after each environment's own names are replaced by placeholders; plus where each stack deploys
 * (account and region pinning) and the tags that differ.
 */
export function environmentDifferences(a: EvidenceEnvironment, b: EvidenceEnvironment): EnvironmentDifferences {
  const sideA = side(a);
  const sideB = side(b);

  const stacks = new Map<string, { a?: EvidenceStack; b?: EvidenceStack }>();
  for (const stack of a.stacks) stacks.set(sideA.normaliser.text(stack.stackName), { a: stack });
  for (const stack of b.stacks) {
    const key = sideB.normaliser.text(stack.stackName);
    stacks.set(key, { ...stacks.get(key), b: stack });
  }

  const onlyInA: EvidenceResourceName[] = [];
  const onlyInB: EvidenceResourceName[] = [];
  const changed: ChangedResource[] = [];
  for (const [key, located] of sideA.byKey) {
    const other = sideB.byKey.get(key);
    if (!other) {
      onlyInA.push(resourceName(located.resource));
      continue;
    }
    const difference = resourceDifferences(key, located, sideA, other, sideB);
    if (difference) changed.push(difference);
  }
  for (const [key, located] of sideB.byKey) if (!sideA.byKey.has(key)) onlyInB.push(resourceName(located.resource));

  const tagsA = tagValues(sideA);
  const tagsB = tagValues(sideB);
  const tags: PropertyDifference[] = [];
  for (const key of [...new Set([...tagsA.keys(), ...tagsB.keys()])].filter((k) => !NAMING_TAGS.has(k)).sort()) {
    const valuesA = [...(tagsA.get(key) ?? [])].sort();
    const valuesB = [...(tagsB.get(key) ?? [])].sort();
    const normalisedA = [...new Set(valuesA.map((v) => sideA.normaliser.text(v)))].sort();
    const normalisedB = [...new Set(valuesB.map((v) => sideB.normaliser.text(v)))].sort();
    if (!same(normalisedA, normalisedB)) tags.push({ property: key, a: shorten(valuesA.join(', ')) || '(not set)', b: shorten(valuesB.join(', ')) || '(not set)' });
  }

  return {
    a: a.name,
    b: b.name,
    stacks: [...stacks].map(([key, pair]) => ({ key, a: pair.a && stackInfo(pair.a), b: pair.b && stackInfo(pair.b) })),
    onlyInA,
    onlyInB,
    changed,
    tags,
  };
}

const code = (value: string) => (value === '' ? '' : `\`${value.replace(/`/g, "'")}\``);
const withoutStage = (path: string) => path.replace(/^[^/]+\//, '');

/** The differences as Markdown. */
export function environmentDifferencesMarkdown(d: EnvironmentDifferences): string {
  const resourceRow = (r: EvidenceResourceName) => [r.stack, code(r.logicalId), r.type, r.constructPath];
  const propertyCount = d.changed.reduce((n, c) => n + c.differences.length + c.more, 0);
  return [
    `## Differences between ${d.a} and ${d.b}`,
    '',
    `${d.onlyInA.length} resource(s) only in ${d.a}, ${d.onlyInB.length} only in ${d.b}; ${d.changed.length} resource(s) in both differ in ${propertyCount} value(s).`,
    '',
    `Resources are matched by construct path without the stage (\`${d.a}/Data/...\` and \`${d.b}/Data/...\`). Values are compared after replacing what names each ` +
      'environment (stage, stack names, account, region, generated suffixes) with placeholders, so only real differences are listed; they are shown as written. ' +
      'JSON documents (Kubernetes manifests, Helm values) are compared value by value. Tags are compared once, at the end. Stack termination protection is not in the templates and is not compared.',
    '',
    '### Stacks and where they deploy',
    '',
    table(
      [`Stack (${d.a})`, `Stack (${d.b})`, `Account (${d.a})`, `Account (${d.b})`, `Region (${d.a})`, `Region (${d.b})`, `Resources (${d.a})`, `Resources (${d.b})`],
      d.stacks.map((s) => [s.a?.stackName ?? '(none)', s.b?.stackName ?? '(none)', s.a?.account ?? '', s.b?.account ?? '', s.a?.region ?? '', s.b?.region ?? '', s.a?.resources ?? 0, s.b?.resources ?? 0]),
    ),
    `### Only in ${d.a}`,
    '',
    table(['Stack', 'Resource', 'Type', 'Construct path'], d.onlyInA.map(resourceRow)),
    `### Only in ${d.b}`,
    '',
    table(['Stack', 'Resource', 'Type', 'Construct path'], d.onlyInB.map(resourceRow)),
    '### Values that differ',
    '',
    table(
      ['Resource', 'Type', 'Property', d.a, d.b, 'Construct path (without stage)'],
      d.changed.flatMap((c) => [
        ...c.differences.map((p) => [code(c.b.logicalId), c.b.type, code(p.property), code(p.a), code(p.b), withoutStage(c.b.constructPath) || c.key]),
        ...(c.more > 0 ? [[code(c.b.logicalId), c.b.type, `… and ${c.more} more`, '', '', withoutStage(c.b.constructPath) || c.key]] : []),
      ]),
    ),
    '### Tags that differ',
    '',
    table(['Tag', d.a, d.b], d.tags.map((t) => [code(t.property), t.a, t.b])),
  ].join('\n');
}
