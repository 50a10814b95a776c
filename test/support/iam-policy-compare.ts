/**
 * Compares an IAM policy we synthesize with the policy upstream publishes for the same software
 * (e.g. a controller's `iam_policy.json`): ours may be narrower, never wider.
 *
 * - every (action, resource) upstream allows is allowed by one of our statements with the same
 *   effect, the same or stricter conditions and that resource or a narrowing of it;
 * - every (action, resource) we allow is allowed by an upstream statement that is at most as
 *   strict: no action upstream does not grant, no wider resource, no dropped condition.
 *
 * A resource narrows another when it matches it as an IAM wildcard pattern: upstream `*` admits
 * anything, `arn:aws:svc:*:*:x` admits `arn:<partition>:svc:<region>:<account>:x` (the stack's
 * partition, region and account, as `renderPolicyDocument` writes them). Conditions are the same
 * or stricter when every upstream operator and key is there with the same values (a subset for
 * `StringEquals`/`StringLike`/`ArnEquals`/`ArnLike`); extra conditions only narrow.
 */

import { renderCfnString, type TokenPlaceholder } from './manifests';

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

export interface PolicyDocumentJson {
  readonly Version?: string;
  readonly Statement: PolicyStatementJson | PolicyStatementJson[];
}

interface Normalized {
  readonly label: string;
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  /** operator -> key -> values */
  readonly conditions: Record<string, Record<string, string[]>>;
}

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': '<partition>',
  'AWS::Region': '<region>',
  'AWS::AccountId': '<account>',
  'AWS::URLSuffix': '<url-suffix>',
};

/** Pseudo parameters by name; any other token as `<token:...>` with no `:` inside (ARNs keep their six fields). */
const POLICY_PLACEHOLDER: TokenPlaceholder = (description) =>
  PSEUDO_PARAMETERS[description.replace(/^Ref:/, '')] ?? `<token:${description.replace(/:/g, '')}>`;

/**
 * A CloudFormation value (literal, `Ref`, `Fn::Join`) as a string, through the manifests'
 * `renderCfnString`: pseudo parameters become `<partition>`, `<region>`, `<account>`.
 */
export function renderCfnValue(value: unknown): string {
  return renderCfnString(value, POLICY_PLACEHOLDER);
}

/** A synthesized PolicyDocument (from a template) with every value rendered by `renderCfnValue`. */
export function renderPolicyDocument(document: unknown): PolicyDocumentJson {
  const render = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(render);
    if (node && typeof node === 'object') {
      const entries = Object.entries(node as Record<string, unknown>);
      const isToken = entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'));
      if (isToken) return renderCfnValue(node);
      return Object.fromEntries(entries.map(([k, v]) => [k, render(v)]));
    }
    return node;
  };
  return render(document) as PolicyDocumentJson;
}

const list = (value: unknown): string[] => (value === undefined ? [] : [value].flat().map((v) => String(v)));

function normalize(document: PolicyDocumentJson, who: string, problems: string[]): Normalized[] {
  return [document.Statement].flat().map((s, i) => {
    const label = `${who} statement #${i + 1}${s.Sid ? ` (${s.Sid})` : ''}`;
    for (const unsupported of ['NotAction', 'NotResource', 'Principal', 'NotPrincipal'] as const) {
      if (s[unsupported] !== undefined) problems.push(`${label} uses ${unsupported}, which this comparison does not support`);
    }
    if (s.Effect !== 'Allow') problems.push(`${label} has Effect ${s.Effect}: this comparison is for Allow-only policies`);
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
      conditions[operator] = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, list(v).sort()]));
    }
    return { label, effect: s.Effect, actions: list(s.Action), resources: list(s.Resource), conditions };
  });
}

function globRegExp(pattern: string, flags = ''): RegExp {
  // `*` matches anything (a narrower `*` included); `?` one character that is not a wildcard.
  const source = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '[^*?]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, flags);
}

/** Whether `ours` (an action name or pattern) is within `pattern` (IAM actions ignore case). */
function actionWithin(ours: string, pattern: string): boolean {
  return globRegExp(pattern, 'i').test(ours);
}

const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/;

/** Whether resource `ours` is `upstream` or a narrowing of it (see the module comment). */
export function resourceNarrows(ours: string, upstream: string): boolean {
  if (upstream === '*') return true;
  const o = ARN.exec(ours);
  const u = ARN.exec(upstream);
  if (!o || !u) return globRegExp(upstream).test(ours);
  const [, oPartition, oService, oRegion, oAccount, oResource] = o;
  const [, uPartition, uService, uRegion, uAccount, uResource] = u;
  // `<partition>` is the stack's: upstream writes the commercial partition (`aws`) for it.
  const partitionOk = oPartition === '<partition>' || globRegExp(uPartition).test(oPartition);
  return partitionOk
    && globRegExp(uService).test(oService)
    && globRegExp(uRegion).test(oRegion)
    && globRegExp(uAccount).test(oAccount)
    && globRegExp(uResource).test(oResource);
}

/** Operators under which fewer allowed values is stricter. */
const SUBSET_OPERATORS = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike', 'ForAnyValue:StringEquals', 'ForAnyValue:StringLike']);

/** Why `ours`'s conditions are not the same as or stricter than `upstream`'s (empty when they are). */
function conditionGaps(ours: Normalized, upstream: Normalized): string[] {
  const gaps: string[] = [];
  for (const [operator, keys] of Object.entries(upstream.conditions)) {
    for (const [key, values] of Object.entries(keys)) {
      const mine = ours.conditions[operator]?.[key];
      if (!mine) {
        gaps.push(`lacks condition ${operator} ${key} = ${JSON.stringify(values)}`);
      } else if (SUBSET_OPERATORS.has(operator)) {
        const extra = mine.filter((v) => !values.includes(v));
        if (mine.length === 0 || extra.length > 0) gaps.push(`condition ${operator} ${key} allows ${JSON.stringify(extra)} beyond upstream's ${JSON.stringify(values)}`);
      } else if (JSON.stringify(mine) !== JSON.stringify(values)) {
        gaps.push(`condition ${operator} ${key} is ${JSON.stringify(mine)}, upstream's is ${JSON.stringify(values)}`);
      }
    }
  }
  return gaps;
}

/** Why `ours` does not grant `action` on `resource` at most as widely as `upstream` (empty when it does). */
function grantGaps(ours: Normalized, upstream: Normalized, resource: string, resourceIsOurs: boolean): string[] {
  const gaps: string[] = [];
  if (ours.effect !== upstream.effect) gaps.push(`effect ${ours.effect}, upstream's is ${upstream.effect}`);
  gaps.push(...conditionGaps(ours, upstream));
  const resourceOk = resourceIsOurs
    ? upstream.resources.some((r) => resourceNarrows(resource, r))
    : ours.resources.some((r) => resourceNarrows(r, resource));
  if (!resourceOk) {
    gaps.push(resourceIsOurs
      ? `resource ${resource} is not within upstream's ${JSON.stringify(upstream.resources)}`
      : `no resource equal to or narrowing upstream's ${resource} (ours: ${JSON.stringify(ours.resources)})`);
  }
  return gaps;
}

/**
 * The differences that make `ours` not a same-or-narrower copy of `upstream`, one line each;
 * empty when it is one. Both must be Allow-only (a Deny is reported, not interpreted).
 */
export function comparePolicies(ours: PolicyDocumentJson, upstream: PolicyDocumentJson): string[] {
  const problems: string[] = [];
  const mine = normalize(ours, 'our', problems);
  const theirs = normalize(upstream, 'upstream', problems);

  // Everything upstream grants, we grant (same effect, same or stricter conditions, same or narrower resources).
  for (const u of theirs) {
    for (const action of u.actions) {
      const candidates = mine.filter((o) => o.actions.some((a) => actionWithin(action, a)));
      if (candidates.length === 0) {
        problems.push(`${u.label}: action ${action} is missing from our policy`);
        continue;
      }
      for (const resource of u.resources) {
        const gaps = candidates.map((o) => ({ o, gaps: grantGaps(o, u, resource, false) }));
        if (gaps.some((g) => g.gaps.length === 0)) continue;
        const nearest = gaps.sort((a, b) => a.gaps.length - b.gaps.length)[0];
        problems.push(`${u.label}: ${action} on ${resource} is not granted alike; nearest is ${nearest.o.label}: ${nearest.gaps.join('; ')}`);
      }
    }
  }

  // Nothing we grant goes beyond upstream (no other action, no wider resource, no dropped condition).
  for (const o of mine) {
    for (const action of o.actions) {
      const candidates = theirs.filter((u) => u.actions.some((a) => actionWithin(action, a)));
      if (candidates.length === 0) {
        problems.push(`${o.label}: grants ${action}, which upstream does not grant`);
        continue;
      }
      for (const resource of o.resources) {
        const gaps = candidates.map((u) => ({ u, gaps: grantGaps(o, u, resource, true) }));
        if (gaps.some((g) => g.gaps.length === 0)) continue;
        const nearest = gaps.sort((a, b) => a.gaps.length - b.gaps.length)[0];
        problems.push(`${o.label}: grants ${action} on ${resource} more widely than upstream; nearest is ${nearest.u.label}: ${nearest.gaps.join('; ')}`);
      }
    }
  }
  return problems;
}

/**
 * How `ours` narrows `upstream`, statement by statement: ours must follow upstream's statements in
 * order (as a same-or-narrower copy does; a different count is reported). One line per narrowing,
 * labelled with our statement's Sid (or number):
 *
 * - `<label>: + <operator> <key> = <values>` for a condition upstream's statement lacks;
 * - `<label>: <operator> <key> <upstream values> -> <ours>` for one whose values differ;
 * - `<label>: Resource <upstream resources> -> <ours>` when the resources differ.
 *
 * Together with `comparePolicies` (which proves each of them is a narrowing), a test that expects
 * exactly the documented list shows that nothing else differs from upstream.
 */
export function policyNarrowings(ours: PolicyDocumentJson, upstream: PolicyDocumentJson): string[] {
  const problems: string[] = [];
  const mine = normalize(ours, 'our', problems);
  const theirs = normalize(upstream, 'upstream', problems);
  if (mine.length !== theirs.length) return [`our policy has ${mine.length} statements, upstream's ${theirs.length}: they cannot be compared in order`];
  const lines: string[] = [];
  mine.forEach((o, i) => {
    const u = theirs[i];
    const label = ([ours.Statement].flat()[i].Sid ?? `#${i + 1}`);
    for (const [operator, keys] of Object.entries(o.conditions)) {
      for (const [key, values] of Object.entries(keys)) {
        const upstreamValues = u.conditions[operator]?.[key];
        if (!upstreamValues) lines.push(`${label}: + ${operator} ${key} = ${JSON.stringify(values)}`);
        else if (JSON.stringify(upstreamValues) !== JSON.stringify(values)) lines.push(`${label}: ${operator} ${key} ${JSON.stringify(upstreamValues)} -> ${JSON.stringify(values)}`);
      }
    }
    const sorted = (list: string[]) => JSON.stringify([...list].sort());
    if (sorted(o.resources) !== sorted(u.resources)) lines.push(`${label}: Resource ${sorted(u.resources)} -> ${sorted(o.resources)}`);
  });
  return [...problems, ...lines];
}
