import type { EvidenceEnvironment, EvidenceResource, EvidenceStack } from './assembly';
import { table } from './markdown';

// Inventories of one environment's templates for a security reviewer: IAM statements with
// wildcards, network paths, KMS keys. Each is a JSON-serializable result plus a Markdown
// renderer. Resources are named by stack, logical id and type; the construct path comes last.

/** How an inventory names a resource: stack, logical id and type first, the construct path second. */
export interface EvidenceResourceName {
  readonly stack: string;
  /** The template file, relative to the cloud assembly. */
  readonly templateFile: string;
  readonly logicalId: string;
  readonly type: string;
  readonly constructPath: string;
}

// ---------------------------------------------------------------------------------------------
// Reading templates: references across stacks, intrinsics rendered readably
// ---------------------------------------------------------------------------------------------

/** A resource with the stack it is in. */
export interface LocatedResource {
  readonly stack: EvidenceStack;
  readonly resource: EvidenceResource;
}

/** What a `Ref`, `Fn::GetAtt` or `Fn::ImportValue` points at (an attribute, or the Ref value). */
export interface ReferenceTarget {
  readonly located: LocatedResource;
  readonly attribute?: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

/** The single key of a CloudFormation intrinsic (`Ref`, `Fn::*`, `Condition`), else undefined. */
function intrinsicName(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition') ? keys[0] : undefined;
}

/**
 * The resources of an environment, indexed for resolving references, including across its stacks
 * (`Fn::ImportValue` of another stack's export).
 */
export class EnvironmentIndex {
  readonly resources: readonly LocatedResource[];
  private readonly byId = new Map<string, LocatedResource>();
  private readonly exports = new Map<string, { readonly stack: EvidenceStack; readonly value: unknown }>();

  constructor(readonly environment: EvidenceEnvironment) {
    const resources: LocatedResource[] = [];
    for (const stack of environment.stacks) {
      for (const resource of stack.resources) {
        const located = { stack, resource };
        resources.push(located);
        this.byId.set(`${stack.stackName}\0${resource.logicalId}`, located);
      }
      const outputs = (stack.template as { Outputs?: Record<string, { Value?: unknown; Export?: { Name?: unknown } }> }).Outputs ?? {};
      for (const output of Object.values(outputs)) {
        if (typeof output.Export?.Name === 'string') this.exports.set(output.Export.Name, { stack, value: output.Value });
      }
    }
    this.resources = resources;
  }

  /** The resources of the given CloudFormation types. */
  ofType(...types: string[]): LocatedResource[] {
    return this.resources.filter((r) => types.includes(r.resource.type));
  }

  /** A resource attribute outside Properties (`DeletionPolicy`, `UpdateReplacePolicy`, `Condition`). */
  attribute(located: LocatedResource, name: string): unknown {
    return (located.stack.template.Resources?.[located.resource.logicalId] as Json | undefined)?.[name];
  }

  /** What a Ref / GetAtt / ImportValue points at, if it is a resource of this environment. */
  target(value: unknown, stack: EvidenceStack): ReferenceTarget | undefined {
    if (!isObject(value)) return undefined;
    if (typeof value.Ref === 'string') {
      const located = this.byId.get(`${stack.stackName}\0${value.Ref}`);
      return located ? { located } : undefined;
    }
    if (value['Fn::GetAtt'] !== undefined) {
      const [id, attribute] = getAttParts(value['Fn::GetAtt']);
      const located = this.byId.get(`${stack.stackName}\0${id}`);
      return located ? { located, attribute } : undefined;
    }
    if (value['Fn::ImportValue'] !== undefined) {
      const exported = this.exports.get(this.render(value['Fn::ImportValue'], stack));
      return exported ? this.target(exported.value, exported.stack) : undefined;
    }
    return undefined;
  }

  /** Every resource reference inside a value, with the property path it is at. */
  references(value: unknown, stack: EvidenceStack, at = ''): { readonly path: string; readonly target: ReferenceTarget }[] {
    const found: { path: string; target: ReferenceTarget }[] = [];
    const visit = (node: unknown, where: string) => {
      if (Array.isArray(node)) {
        node.forEach((item, i) => visit(item, `${where}[${i}]`));
        return;
      }
      if (!isObject(node)) return;
      const name = intrinsicName(node);
      if (name === 'Ref' || name === 'Fn::GetAtt' || name === 'Fn::ImportValue') {
        const target = this.target(node, stack);
        if (target) found.push({ path: where, target });
        return;
      }
      if (name) {
        visit(node[name], where);
        return;
      }
      for (const [key, child] of Object.entries(node)) visit(child, where ? `${where}.${key}` : key);
    };
    visit(value, at);
    return found;
  }

  /**
   * A value as a reviewer reads it: `Ref X` as `<X>`, `Fn::GetAtt X.Arn` as `<X.Arn>`, `Fn::Join`
   * flattened, `Fn::Sub` kept as written, an import from another stack as `<stack/X.Attr>`.
   * Objects and arrays keep their structure (see `render` for a string).
   */
  readable(value: unknown, stack: EvidenceStack): unknown {
    if (Array.isArray(value)) return value.map((v) => this.readable(v, stack));
    if (!isObject(value)) return value;
    const name = intrinsicName(value);
    if (!name) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.readable(v, stack)]));
    const argument = value[name];
    switch (name) {
      case 'Ref':
        return argument === 'AWS::NoValue' ? '(none)' : `<${String(argument)}>`;
      case 'Fn::GetAtt': {
        const [id, attribute] = getAttParts(argument);
        return `<${id}.${attribute}>`;
      }
      case 'Fn::Join': {
        const [separator, parts] = asArray(argument);
        return Array.isArray(parts) ? parts.map((p) => this.render(p, stack)).join(String(separator)) : this.render(parts, stack);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, undefined];
        return String(text).replace(/\$\{([^}!][^}]*)\}/g, (whole: string, variable: string) =>
          isObject(variables) && variable in variables ? this.render(variables[variable], stack) : whole);
      }
      case 'Fn::ImportValue': {
        const exportName = this.render(argument, stack);
        const exported = this.exports.get(exportName);
        if (!exported) return `<import ${exportName}>`;
        const inner = this.render(exported.value, exported.stack);
        const single = /^<([^<>]*)>$/.exec(inner);
        return single ? `<${exported.stack.stackName}/${single[1]}>` : `${inner} (from ${exported.stack.stackName})`;
      }
      case 'Fn::Select': {
        const [index, list] = asArray(argument);
        if (Array.isArray(list)) return this.readable(list[Number(index)], stack);
        if (intrinsicName(list) === 'Fn::GetAZs') return `<AZ ${Number(index) + 1} of the region>`;
        return `<item ${String(index)} of ${this.render(list, stack)}>`;
      }
      case 'Fn::GetAZs':
        return '<AZs of the region>';
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = asArray(argument);
        return `(if ${String(condition)}: ${this.render(whenTrue, stack)} else ${this.render(whenFalse, stack)})`;
      }
      case 'Condition':
        return `<condition ${String(argument)}>`;
      default:
        return `${name}(${this.render(argument, stack)})`;
    }
  }

  /** A value as one readable string (arrays joined with ", ", objects as JSON). */
  render(value: unknown, stack: EvidenceStack): string {
    return text(this.readable(value, stack));
  }

  /** A reference as a reviewer names it: `stack/LogicalId` (and `.Attribute`), or the rendered value. */
  describe(value: unknown, stack: EvidenceStack): string {
    const target = this.target(value, stack);
    if (!target) return this.render(value, stack);
    const where = `${target.located.stack.stackName}/${target.located.resource.logicalId}`;
    return target.attribute && !/^(Arn|GroupId|Id)$/.test(target.attribute) ? `${where}.${target.attribute}` : where;
  }
}

function getAttParts(argument: unknown): [string, string] {
  if (Array.isArray(argument)) return [String(argument[0]), typeof argument[1] === 'string' ? argument[1] : JSON.stringify(argument[1])];
  const [id, ...rest] = String(argument).split('.');
  return [id, rest.join('.')];
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join(', ');
  if (isObject(value)) return JSON.stringify(value);
  return String(value);
}

/** The name of a resource as the inventories list it. */
export function resourceName(resource: EvidenceResource): EvidenceResourceName {
  return { stack: resource.stack, templateFile: resource.templateFile, logicalId: resource.logicalId, type: resource.type, constructPath: resource.constructPath };
}

/** Shortens a value for a table cell. */
export function shorten(value: string, length = 120): string {
  return value.length <= length ? value : `${value.slice(0, length - 1)}…`;
}

const code = (value: string) => (value === '' ? '' : `\`${value.replace(/`/g, "'")}\``);
const codeList = (values: readonly string[]) => values.map(code).join(', ');

// ---------------------------------------------------------------------------------------------
// 1. IAM policy statements with wildcards
// ---------------------------------------------------------------------------------------------

/**
 * A recorded reason for a finding on a resource, from the validation report's acknowledged
 * findings. `ruleId` may name one wildcard the way cdk-nag does
 * (`AwsSolutions-IAM5[Resource::*]`, `AwsSolutions-IAM5[Action::s3:Get*]`,
 * `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/...]`): then it justifies only
 * the statements (or managed policy attachments) with that wildcard; without one, every
 * statement of the resource.
 */
export interface WildcardJustification {
  readonly templateFile: string;
  readonly logicalId: string;
  readonly ruleId: string;
  readonly reason: string;
}

/** What kind of policy a statement is in. */
export type PolicyKind = 'identity' | 'resource' | 'trust';

/** One statement of a policy in the templates, rendered. */
export interface PolicyStatementEntry {
  /** The resource that holds the policy (the policy, the role with the inline policy, the key...). */
  readonly resource: EvidenceResourceName;
  /** Which policy of the resource: `policy document`, `inline policy <name>`, `key policy`... */
  readonly policy: string;
  readonly policyKind: PolicyKind;
  /** For identity policies: the roles, users and groups it is attached to. */
  readonly attachedTo: readonly string[];
  /** The statement's Sid, or its position (`#1`) when it has none. */
  readonly statement: string;
  readonly effect: string;
  /** Principals (resource and trust policies), e.g. `AWS arn:...:root`, `Service logs.amazonaws.com`, `*`; `NOT ` for NotPrincipal. */
  readonly principals: readonly string[];
  readonly actions: readonly string[];
  /** NotAction: the statement applies to every action except these. */
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  /** NotResource: the statement applies to every resource except these. */
  readonly notResources: readonly string[];
  /** Conditions, one per operator and key, e.g. `StringEquals kms:ViaService = secretsmanager...`. */
  readonly conditions: readonly string[];
}

/** A statement with a wildcard, and what was recorded for it. */
export interface WildcardStatement extends PolicyStatementEntry {
  /** The wildcards, e.g. `Action ec2:Describe*`, `Resource *`, `Principal *`, `NotAction`. */
  readonly wildcards: readonly string[];
  readonly justifications: readonly { readonly ruleId: string; readonly reason: string }[];
  /** Plain-language notes on how to read the statement. */
  readonly notes: readonly string[];
}

/** An AWS managed policy attached to a role, user or group (its statements are not in the templates). */
export interface ManagedPolicyAttachment {
  readonly resource: EvidenceResourceName;
  readonly policyArn: string;
  /** The AWS documentation page of the policy, where its statements can be read. */
  readonly documentation?: string;
  readonly justifications: readonly { readonly ruleId: string; readonly reason: string }[];
}

/** The IAM wildcard inventory of one environment. */
export interface IamWildcardInventory {
  readonly environment: string;
  readonly statements: readonly WildcardStatement[];
  /** How many of `statements` have no justification recorded. */
  readonly unjustified: number;
  readonly awsManagedPolicies: readonly ManagedPolicyAttachment[];
  /** Policies that could not be read (e.g. a document built at deploy time). */
  readonly unreadable: readonly string[];
}

interface PolicySource {
  readonly located: LocatedResource;
  readonly label: string;
  readonly kind: PolicyKind;
  readonly document: unknown;
}

/** The policy properties of each resource type that carries one (besides IAM roles, users and groups). */
const RESOURCE_POLICIES: Readonly<Record<string, { readonly property: string; readonly label: string; readonly kind: PolicyKind }>> = {
  'AWS::IAM::Policy': { property: 'PolicyDocument', label: 'policy document', kind: 'identity' },
  'AWS::IAM::ManagedPolicy': { property: 'PolicyDocument', label: 'policy document', kind: 'identity' },
  'AWS::KMS::Key': { property: 'KeyPolicy', label: 'key policy', kind: 'resource' },
  'AWS::S3::BucketPolicy': { property: 'PolicyDocument', label: 'bucket policy', kind: 'resource' },
  'AWS::ECR::Repository': { property: 'RepositoryPolicyText', label: 'repository policy', kind: 'resource' },
  'AWS::SNS::TopicPolicy': { property: 'PolicyDocument', label: 'topic policy', kind: 'resource' },
  'AWS::SQS::QueuePolicy': { property: 'PolicyDocument', label: 'queue policy', kind: 'resource' },
  'AWS::Logs::ResourcePolicy': { property: 'PolicyDocument', label: 'CloudWatch Logs resource policy', kind: 'resource' },
  'AWS::SecretsManager::ResourcePolicy': { property: 'ResourcePolicy', label: 'secret resource policy', kind: 'resource' },
  'AWS::EC2::VPCEndpoint': { property: 'PolicyDocument', label: 'endpoint policy', kind: 'resource' },
  'AWS::Backup::BackupVault': { property: 'AccessPolicy', label: 'vault access policy', kind: 'resource' },
};

const PRINCIPAL_TYPES = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

function policySources(index: EnvironmentIndex): PolicySource[] {
  const sources: PolicySource[] = [];
  for (const located of index.resources) {
    const { type, properties } = located.resource;
    const known = RESOURCE_POLICIES[type];
    if (known && properties[known.property] !== undefined) sources.push({ located, label: known.label, kind: known.kind, document: properties[known.property] });
    if (type === 'AWS::IAM::Role' || type === 'AWS::IAM::User' || type === 'AWS::IAM::Group') {
      for (const policy of asArray(properties.Policies)) {
        if (isObject(policy)) sources.push({ located, label: `inline policy ${index.render(policy.PolicyName, located.stack)}`, kind: 'identity', document: policy.PolicyDocument });
      }
    }
    if (type === 'AWS::IAM::Role' && properties.AssumeRolePolicyDocument !== undefined) {
      sources.push({ located, label: 'trust policy', kind: 'trust', document: properties.AssumeRolePolicyDocument });
    }
  }
  return sources;
}

/** The statements of a policy document (a JSON string, an object, or a `Fn::Join` of JSON). */
function statementsOf(source: PolicySource, index: EnvironmentIndex): Json[] | undefined {
  let document = source.document;
  if (typeof document === 'string' || intrinsicName(document) === 'Fn::Join' || intrinsicName(document) === 'Fn::Sub') {
    try {
      document = JSON.parse(index.render(document, source.located.stack));
    } catch {
      return undefined;
    }
  }
  if (!isObject(document)) return undefined;
  return asArray(document.Statement).filter(isObject);
}

interface CollectedStatement {
  readonly entry: PolicyStatementEntry;
  readonly raw: Json;
  readonly source: PolicySource;
}

/** Who an identity policy is attached to (its Roles/Users/Groups, and roles that list a managed policy). */
function attachments(located: LocatedResource, index: EnvironmentIndex): string[] {
  const { type, properties, logicalId } = located.resource;
  if (type === 'AWS::IAM::Role' || type === 'AWS::IAM::User' || type === 'AWS::IAM::Group') return [`${located.stack.stackName}/${logicalId}`];
  const attached = ['Roles', 'Users', 'Groups'].flatMap((key) => asArray(properties[key]).map((v) => index.describe(v, located.stack)));
  if (type === 'AWS::IAM::ManagedPolicy') {
    for (const holder of index.ofType('AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group')) {
      const refs = index.references(holder.resource.properties.ManagedPolicyArns, holder.stack);
      if (refs.some((r) => r.target.located === located)) attached.push(`${holder.stack.stackName}/${holder.resource.logicalId}`);
    }
  }
  return [...new Set(attached)];
}

function renderPrincipal(principal: unknown, stack: EvidenceStack, index: EnvironmentIndex): string[] {
  if (principal === undefined) return [];
  if (!isObject(principal) || intrinsicName(principal)) return [index.render(principal, stack)];
  return Object.entries(principal).flatMap(([kind, values]) => asArray(values).map((v) => `${kind} ${index.render(v, stack)}`));
}

function renderConditions(condition: unknown, stack: EvidenceStack, index: EnvironmentIndex): string[] {
  if (!isObject(condition)) return condition === undefined ? [] : [index.render(condition, stack)];
  return Object.entries(condition).flatMap(([operator, keys]) =>
    isObject(keys)
      ? Object.entries(keys).map(([key, values]) => `${operator} ${key} = ${asArray(values).map((v) => index.render(v, stack)).join(' or ')}`)
      : [`${operator} ${index.render(keys, stack)}`]);
}

function collectStatements(index: EnvironmentIndex): { statements: CollectedStatement[]; unreadable: string[] } {
  const statements: CollectedStatement[] = [];
  const unreadable: string[] = [];
  for (const source of policySources(index)) {
    const { stack, resource } = source.located;
    const raw = statementsOf(source, index);
    if (!raw) {
      unreadable.push(`${stack.stackName}/${resource.logicalId} (${source.label})`);
      continue;
    }
    const attachedTo = source.kind === 'identity' ? attachments(source.located, index) : [];
    raw.forEach((statement, i) => {
      const strings = (value: unknown) => asArray(value).map((v) => index.render(v, stack));
      statements.push({
        raw: statement,
        source,
        entry: {
          resource: resourceName(resource),
          policy: source.label,
          policyKind: source.kind,
          attachedTo,
          statement: typeof statement.Sid === 'string' && statement.Sid !== '' ? statement.Sid : `#${i + 1}`,
          effect: String(statement.Effect ?? 'Allow'),
          principals: [
            ...renderPrincipal(statement.Principal, stack, index),
            ...renderPrincipal(statement.NotPrincipal, stack, index).map((p) => `NOT ${p}`),
          ],
          actions: strings(statement.Action),
          notActions: strings(statement.NotAction),
          resources: strings(statement.Resource),
          notResources: strings(statement.NotResource),
          conditions: renderConditions(statement.Condition, stack, index),
        },
      });
    });
  }
  return { statements, unreadable };
}

function isWildcardPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  return isObject(principal) && PRINCIPAL_TYPES.some((kind) => asArray(principal[kind]).includes('*'));
}

function wildcardsOf(collected: CollectedStatement): string[] {
  const { entry, raw } = collected;
  return [
    ...entry.actions.filter((a) => a.includes('*')).map((a) => `Action ${a}`),
    ...(entry.notActions.length > 0 ? ['NotAction'] : []),
    // In a key policy, Resource "*" is the only form there is and means "this key": not a wildcard.
    ...entry.resources.filter((r) => r.includes('*') && !(entry.resource.type === 'AWS::KMS::Key' && r === '*')).map((r) => `Resource ${r}`),
    ...(entry.notResources.length > 0 ? ['NotResource'] : []),
    ...(isWildcardPrincipal(raw.Principal) ? ['Principal *'] : []),
    ...(raw.NotPrincipal !== undefined ? ['NotPrincipal'] : []),
  ];
}

/** The items of a list property, with both branches of an `Fn::If` item (and its condition). */
function branches(list: unknown): { readonly value: unknown; readonly condition?: string }[] {
  return asArray(list).flatMap((item) => {
    if (intrinsicName(item) !== 'Fn::If') return [{ value: item }];
    const [condition, whenTrue, whenFalse] = asArray((item as Json)['Fn::If']);
    return [whenTrue, whenFalse]
      .filter((v) => !(isObject(v) && v.Ref === 'AWS::NoValue'))
      .map((value) => ({ value, condition: String(condition) }));
  });
}

/** cdk-nag's flattening of a reference (`flattenCfnReference`), to match its finding ids exactly. */
function nagFlatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (isObject(node)) {
    if (node['Fn::Join']) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown];
      // A list that is itself an intrinsic (e.g. Fn::Split) cannot be flattened: kept as JSON.
      if (!Array.isArray(items)) return JSON.stringify(node);
      return items.map(nagFlatten).join(delimiter);
    }
    if (node['Fn::Sub']) return nagFlatten(node['Fn::Sub']);
    if (node['Fn::GetAtt']) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagFlatten(resource)}.${nagFlatten(attribute)}>`;
    }
    if (node['Fn::ImportValue']) return nagFlatten(node['Fn::ImportValue']);
    if (node.Ref) return `<${nagFlatten(node.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** The wildcard a rule id names, e.g. `AwsSolutions-IAM5[Resource::*]` -> Resource, `*`. */
function findingOf(ruleId: string): { readonly kind: string; readonly value: string } | undefined {
  const match = /\[([A-Za-z]+)::(.*)\]$/.exec(ruleId);
  return match ? { kind: match[1], value: match[2] } : undefined;
}

const sameTemplate = (a: string, b: string) => a.replace(/\\/g, '/') === b.replace(/\\/g, '/');

function justificationsFor(resource: EvidenceResource, justifications: readonly WildcardJustification[], applies: (finding: { kind: string; value: string } | undefined) => boolean) {
  return justifications
    .filter((j) => sameTemplate(j.templateFile, resource.templateFile) && j.logicalId === resource.logicalId && applies(findingOf(j.ruleId)))
    .map((j) => ({ ruleId: j.ruleId, reason: j.reason }));
}

function notesOn(collected: CollectedStatement): string[] {
  const notes: string[] = [];
  const { entry } = collected;
  if (entry.effect === 'Deny') notes.push('A Deny statement: its wildcards widen a restriction, they grant nothing.');
  if (entry.resource.type === 'AWS::KMS::Key' && entry.resources.includes('*')) notes.push('In a key policy, Resource "*" means this key only.');
  if (entry.resource.type === 'AWS::EC2::VPCEndpoint') {
    notes.push('An endpoint policy grants nothing: it is the most a request through the endpoint may do (IAM and resource policies must still allow it); its conditions and resources narrow Principal "*".');
  }
  if (entry.resource.type === 'AWS::KMS::Key' && entry.principals.some((p) => /^AWS arn:(?:<AWS::Partition>|[^:]*):iam::(\d{12}|<AWS::AccountId>):root$/.test(p)) && entry.actions.includes('kms:*')) {
    notes.push('The account root principal: IAM policies in that account decide who may use and administer the key (the AWS default key policy).');
  }
  if (entry.policyKind === 'identity' && entry.effect === 'Allow' && entry.resources.includes('*') && entry.conditions.length === 0) {
    notes.push('Resource "*" with no condition: the actions apply to every resource of their kind in the account.');
  }
  return notes;
}

/**
 * Every IAM policy statement in the environment with a wildcard in Action, Resource or Principal
 * (identity policies, inline role policies, trust policies, and the resource policies of KMS keys,
 * buckets, repositories, topics, queues, log groups, secrets, VPC endpoints and backup vaults),
 * with the justification recorded for it, or none. Also lists the AWS managed policies attached
 * to roles, whose statements are not in the templates.
 */
export function iamWildcards(environment: EvidenceEnvironment, justifications: readonly WildcardJustification[] = []): IamWildcardInventory {
  const index = new EnvironmentIndex(environment);
  const { statements, unreadable } = collectStatements(index);
  const wildcard: WildcardStatement[] = [];
  for (const collected of statements) {
    const wildcards = wildcardsOf(collected);
    if (wildcards.length === 0) continue;
    const actions = asArray(collected.raw.Action).map(nagFlatten);
    const resources = asArray(collected.raw.Resource).map(nagFlatten);
    wildcard.push({
      ...collected.entry,
      wildcards,
      justifications: justificationsFor(collected.source.located.resource, justifications, (finding) =>
        finding === undefined ||
        (finding.kind === 'Action' && actions.includes(finding.value)) ||
        (finding.kind === 'Resource' && resources.includes(finding.value))),
      notes: notesOn(collected),
    });
  }
  const awsManagedPolicies: ManagedPolicyAttachment[] = [];
  for (const holder of index.ofType('AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group')) {
    for (const { value: arn, condition } of branches(holder.resource.properties.ManagedPolicyArns)) {
      const rendered = index.render(arn, holder.stack);
      const name = /:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(rendered)?.[1];
      if (!name) continue; // a customer managed policy: if it is in the templates, its statements are above
      const flattened = nagFlatten(arn);
      awsManagedPolicies.push({
        resource: resourceName(holder.resource),
        policyArn: condition ? `${rendered} (if ${condition})` : rendered,
        documentation: `https://docs.aws.amazon.com/aws-managed-policy/latest/reference/${name}.html`,
        justifications: justificationsFor(holder.resource, justifications, (finding) => finding === undefined || (finding.kind === 'Policy' && finding.value === flattened)),
      });
    }
  }
  return {
    environment: environment.name,
    statements: wildcard,
    unjustified: wildcard.filter((s) => s.justifications.length === 0).length,
    awsManagedPolicies,
    unreadable,
  };
}

const NO_JUSTIFICATION = '**no justification recorded**';

function principalCell(entry: PolicyStatementEntry): string {
  if (entry.policyKind === 'identity') return entry.attachedTo.length > 0 ? entry.attachedTo.map(code).join(', ') : 'nothing in the templates';
  return codeList(entry.principals);
}

function actionsCell(entry: PolicyStatementEntry): string {
  return [codeList(entry.actions), entry.notActions.length > 0 ? `every action except ${codeList(entry.notActions)}` : ''].filter(Boolean).join('; ');
}

function resourcesCell(entry: PolicyStatementEntry): string {
  return [codeList(entry.resources), entry.notResources.length > 0 ? `every resource except ${codeList(entry.notResources)}` : ''].filter(Boolean).join('; ');
}

/** The IAM wildcard inventory as Markdown. */
export function iamWildcardsMarkdown(inventory: IamWildcardInventory): string {
  const policies = new Set(inventory.statements.map((s) => `${s.resource.templateFile}\0${s.resource.logicalId}\0${s.policy}`));
  const statementTable = (statements: readonly WildcardStatement[], who: string) => table(
    ['Stack', 'Resource', 'Type', 'Policy', 'Statement', 'Effect', who, 'Actions', 'Resources', 'Conditions', 'Wildcards', 'Justification', 'Notes', 'Construct path'],
    statements.map((s) => [
      s.resource.stack,
      code(s.resource.logicalId),
      s.resource.type,
      s.policy,
      s.statement,
      s.effect,
      principalCell(s),
      actionsCell(s),
      resourcesCell(s),
      codeList(s.conditions) || 'none',
      codeList(s.wildcards),
      s.justifications.length > 0 ? s.justifications.map((j) => `${j.reason} (${j.ruleId})`).join('<br>') : NO_JUSTIFICATION,
      s.notes.join(' '),
      s.resource.constructPath,
    ]),
  );
  const lines = [
    `## IAM policy statements with wildcards: ${inventory.environment}`,
    '',
    `${inventory.statements.length} statement(s) in ${policies.size} polic(ies) have a wildcard in Action, Resource or Principal; ` +
      `${inventory.unjustified} of them have no justification recorded.`,
    '',
    'A wildcard grants more than what is named: `ec2:Describe*` is every EC2 action starting with Describe, Resource `*` every resource the actions apply to. ' +
      'Conditions narrow a statement. A statement without a justification must be justified or narrowed.',
    '',
    '### Identity policies (what roles may do)',
    '',
    statementTable(inventory.statements.filter((s) => s.policyKind === 'identity'), 'Attached to'),
    '### Resource and trust policies (who may use a resource or assume a role)',
    '',
    statementTable(inventory.statements.filter((s) => s.policyKind !== 'identity'), 'Principal'),
    '### AWS managed policies attached',
    '',
    'Their statements are maintained by AWS and are not in the templates; read each on its documentation page.',
    '',
    table(
      ['Stack', 'Resource', 'Type', 'Managed policy', 'Justification', 'Construct path'],
      inventory.awsManagedPolicies.map((p) => [
        p.resource.stack,
        code(p.resource.logicalId),
        p.resource.type,
        p.documentation ? `[${code(p.policyArn)}](${p.documentation})` : code(p.policyArn),
        p.justifications.length > 0 ? p.justifications.map((j) => `${j.reason} (${j.ruleId})`).join('<br>') : NO_JUSTIFICATION,
        p.resource.constructPath,
      ]),
    ),
  ];
  if (inventory.unreadable.length > 0) lines.push('### Policies that could not be read', '', ...inventory.unreadable.map((u) => `- ${u}`), '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// 2. Network paths
// ---------------------------------------------------------------------------------------------

/** One security group rule (inline in the group, a standalone rule resource, or CloudFormation's default egress). */
export interface SecurityGroupRuleEntry {
  readonly direction: 'ingress' | 'egress';
  /** The group the rule is on, as `stack/LogicalId` (or the EKS cluster security group). */
  readonly group: string;
  /** The resource that declares the rule: the group (inline rule) or the rule resource. */
  readonly declaredBy: EvidenceResourceName;
  /** `inline`, `standalone`, or `CloudFormation default` (no egress rule declared). */
  readonly origin: 'inline' | 'standalone' | 'CloudFormation default';
  /** Where traffic comes from (ingress) or goes to (egress). */
  readonly peer: string;
  readonly peerKind: 'cidr' | 'ipv6-cidr' | 'prefix-list' | 'security-group' | 'none';
  readonly protocol: string;
  readonly ports: string;
  readonly description: string;
  /** What a reviewer must look at: `internet`, `whole VPC range`, `/16 or wider`, `all ports`. */
  readonly flags: readonly string[];
}

/** A security group and what uses it. */
export interface SecurityGroupEntry {
  readonly group: string;
  readonly resource: EvidenceResourceName;
  readonly description: string;
  /** The resources that reference the group (functions, databases, endpoints, clusters...). */
  readonly usedBy: readonly string[];
  /** How its egress is defined. */
  readonly egress: string;
}

/** A route out of a route table (to a gateway, NAT, peering, endpoint...). */
export interface RouteEntry {
  readonly route: EvidenceResourceName;
  readonly destination: string;
  readonly target: string;
  readonly targetKind: string;
  readonly routeTable: string;
  /** The subnets associated with the route table, with their CIDR. */
  readonly subnets: readonly string[];
  readonly flags: readonly string[];
}

/** A NAT gateway, internet gateway or egress-only internet gateway. */
export interface GatewayEntry {
  readonly resource: EvidenceResourceName;
  readonly kind: 'NAT gateway' | 'internet gateway' | 'egress-only internet gateway';
  /** Where it is: the subnet of a NAT gateway, the VPC an internet gateway is attached to. */
  readonly placement: string;
  readonly detail: string;
}

/** A VPC endpoint. */
export interface VpcEndpointEntry {
  readonly resource: EvidenceResourceName;
  readonly service: string;
  readonly endpointType: string;
  readonly hasPolicy: boolean;
  /** The endpoint policy's statements, one line each: Sid, actions and resources, conditions. */
  readonly policy: readonly string[];
  readonly privateDns: string;
  /** Subnets (interface endpoints) or route tables (gateway endpoints). */
  readonly placement: string;
  readonly securityGroups: readonly string[];
}

/** The network paths of one environment. */
export interface NetworkPathInventory {
  readonly environment: string;
  readonly vpcs: readonly { readonly resource: EvidenceResourceName; readonly cidr: string }[];
  readonly securityGroups: readonly SecurityGroupEntry[];
  readonly securityGroupRules: readonly SecurityGroupRuleEntry[];
  readonly routes: readonly RouteEntry[];
  readonly gateways: readonly GatewayEntry[];
  readonly vpcEndpoints: readonly VpcEndpointEntry[];
  /** Groups and rules that exist outside the templates (e.g. the EKS cluster security group). */
  readonly notes: readonly string[];
  /** Every way out to the internet the templates declare (ADR 0020: none in prod). */
  readonly internetEgress: InternetEgressSummary;
}

/** The ways out to the internet: security-group rules and routes, as the templates declare them. */
export interface InternetEgressSummary {
  /** Egress rules to 0.0.0.0/0 or ::/0 (CloudFormation's default allow-all included), as `group -> peer protocol/ports`. */
  readonly securityGroupRules: readonly string[];
  /** Routes out through a NAT gateway or an egress-only internet gateway, as `route (subnets) -> target`. */
  readonly outboundRoutes: readonly string[];
}

/** The internet egress of the inventory's rules and routes. */
function internetEgressOf(rules: readonly SecurityGroupRuleEntry[], routes: readonly RouteEntry[]): InternetEgressSummary {
  return {
    securityGroupRules: rules
      .filter((r) => r.direction === 'egress' && INTERNET_CIDRS.has(r.peer))
      .map((r) => `${r.group} -> ${r.peer} ${r.protocol}/${r.ports}`),
    outboundRoutes: routes
      .filter((r) => r.targetKind === 'NAT gateway' || r.targetKind === 'egress-only internet gateway')
      .map((r) => `${r.route.stack}/${r.route.logicalId} (${r.subnets.join(', ') || 'no subnet in the templates'}) -> ${r.targetKind} ${r.target}`),
  };
}

const INTERNET_CIDRS = new Set(['0.0.0.0/0', '::/0']);

/** CDK's egress rule that matches no traffic: it only removes CloudFormation's default allow-all egress. */
function isNoTrafficPlaceholder(rule: Json): boolean {
  return rule.CidrIp === '255.255.255.255/32' && rule.IpProtocol === 'icmp' && Number(rule.FromPort) === 252 && Number(rule.ToPort) === 86;
}

function protocolOf(value: unknown): string {
  const protocol = String(value ?? '-1');
  return protocol === '-1' || protocol.toLowerCase() === 'all' ? 'all' : ({ '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' } as Record<string, string>)[protocol] ?? protocol;
}

function portsOf(rule: Json, protocol: string): string {
  if (protocol === 'all') return 'all';
  const from = rule.FromPort === undefined ? undefined : Number(rule.FromPort);
  const to = rule.ToPort === undefined ? undefined : Number(rule.ToPort);
  if (protocol === 'icmp' || protocol === 'icmpv6') return from === -1 || from === undefined ? 'all types' : `type ${from}${to === -1 || to === undefined ? '' : ` code ${to}`}`;
  if (from === undefined || from === -1 || (from === 0 && to === 65535)) return 'all';
  return from === to ? String(from) : `${from}-${to}`;
}

function prefixLength(cidr: string): number | undefined {
  const match = /\/(\d+)$/.exec(cidr);
  return match ? Number(match[1]) : undefined;
}

/** `0.0.0.0/0`-style flags of a CIDR peer. */
function cidrFlags(cidr: string, ipv6: boolean, vpcCidrs: ReadonlySet<string>, isVpcCidrReference: boolean): string[] {
  if (INTERNET_CIDRS.has(cidr)) return [`internet (${cidr})`];
  if (isVpcCidrReference || vpcCidrs.has(cidr)) return ['whole VPC range'];
  const length = prefixLength(cidr);
  if (length !== undefined && length <= (ipv6 ? 56 : 16)) return [`/${length}: a whole VPC range or wider`];
  return [];
}

function securityGroupName(value: unknown, stack: EvidenceStack, index: EnvironmentIndex): string {
  const target = index.target(value, stack);
  if (target?.located.resource.type === 'AWS::EKS::Cluster' && target.attribute === 'ClusterSecurityGroupId') {
    return `EKS cluster security group of ${target.located.stack.stackName}/${target.located.resource.logicalId}`;
  }
  if (target?.located.resource.type === 'AWS::EC2::VPC' && target.attribute === 'DefaultSecurityGroup') {
    return `default security group of ${target.located.stack.stackName}/${target.located.resource.logicalId}`;
  }
  return index.describe(value, stack);
}

function ruleEntry(
  rule: Json, direction: 'ingress' | 'egress', group: string, declaredBy: LocatedResource, origin: SecurityGroupRuleEntry['origin'],
  index: EnvironmentIndex, vpcCidrs: ReadonlySet<string>,
): SecurityGroupRuleEntry {
  const stack = declaredBy.stack;
  const protocol = protocolOf(rule.IpProtocol);
  const ports = portsOf(rule, protocol);
  const side = direction === 'ingress' ? 'Source' : 'Destination';
  let peer = '';
  let peerKind: SecurityGroupRuleEntry['peerKind'] = 'none';
  let flags: string[] = [];
  if (isNoTrafficPlaceholder(rule)) {
    peer = 'no traffic (CDK placeholder: removes the default allow-all egress)';
  } else if (rule.CidrIp !== undefined || rule.CidrIpv6 !== undefined) {
    const ipv6 = rule.CidrIp === undefined;
    const value = ipv6 ? rule.CidrIpv6 : rule.CidrIp;
    const target = index.target(value, stack);
    peer = index.render(value, stack);
    peerKind = ipv6 ? 'ipv6-cidr' : 'cidr';
    flags = cidrFlags(peer, ipv6, vpcCidrs, target?.located.resource.type === 'AWS::EC2::VPC' && /CidrBlock/.test(target.attribute ?? ''));
  } else if (rule[`${side}PrefixListId`] !== undefined) {
    peer = `prefix list ${index.render(rule[`${side}PrefixListId`], stack)}`;
    peerKind = 'prefix-list';
  } else if (rule[`${side}SecurityGroupId`] !== undefined || rule.SourceSecurityGroupName !== undefined) {
    peer = rule[`${side}SecurityGroupId`] !== undefined ? securityGroupName(rule[`${side}SecurityGroupId`], stack, index) : `security group named ${index.render(rule.SourceSecurityGroupName, stack)}`;
    if (rule.SourceSecurityGroupOwnerId !== undefined) peer += ` (account ${index.render(rule.SourceSecurityGroupOwnerId, stack)})`;
    peerKind = 'security-group';
  }
  if (ports === 'all' && peerKind !== 'none') flags.push('all ports');
  return {
    direction, group, declaredBy: resourceName(declaredBy.resource), origin, peer, peerKind, protocol, ports,
    description: rule.Description === undefined ? '' : index.render(rule.Description, stack), flags,
  };
}

function subnetLabel(value: unknown, stack: EvidenceStack, index: EnvironmentIndex): string {
  const target = index.target(value, stack);
  if (target?.located.resource.type !== 'AWS::EC2::Subnet') return index.render(value, stack);
  const subnet = target.located;
  const cidr = index.render(subnet.resource.properties.CidrBlock, subnet.stack);
  const publicIp = subnet.resource.properties.MapPublicIpOnLaunch === true ? ', public IPs on launch' : '';
  return `${subnet.resource.logicalId} (${cidr}${publicIp})`;
}

const ROUTE_TARGETS: readonly (readonly [string, string])[] = [
  ['GatewayId', 'gateway'], ['NatGatewayId', 'NAT gateway'], ['EgressOnlyInternetGatewayId', 'egress-only internet gateway'],
  ['TransitGatewayId', 'transit gateway'], ['VpcPeeringConnectionId', 'VPC peering'], ['VpcEndpointId', 'VPC endpoint'],
  ['NetworkInterfaceId', 'network interface'], ['InstanceId', 'instance'], ['CarrierGatewayId', 'carrier gateway'],
  ['LocalGatewayId', 'local gateway'], ['CoreNetworkArn', 'Cloud WAN core network'],
];

/**
 * The network paths of an environment: every security group rule (with CloudFormation's default
 * allow-all egress where a group declares no egress), flagged where it opens to the internet or a
 * whole VPC range; routes and the gateways they lead to (internet, NAT); VPC endpoints.
 */
export function networkPaths(environment: EvidenceEnvironment): NetworkPathInventory {
  const index = new EnvironmentIndex(environment);
  const vpcs = index.ofType('AWS::EC2::VPC').map((vpc) => ({ resource: resourceName(vpc.resource), cidr: index.render(vpc.resource.properties.CidrBlock, vpc.stack) }));
  const vpcCidrs = new Set(vpcs.map((v) => v.cidr));
  const notes: string[] = [];

  // Standalone rules first: a group with standalone egress rules loses CloudFormation's default.
  const rules: SecurityGroupRuleEntry[] = [];
  const standaloneEgressGroups = new Set<LocatedResource>();
  for (const located of index.ofType('AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress')) {
    const direction = located.resource.type === 'AWS::EC2::SecurityGroupIngress' ? 'ingress' : 'egress';
    const groupValue = located.resource.properties.GroupId ?? located.resource.properties.GroupName;
    const target = index.target(groupValue, located.stack);
    if (direction === 'egress' && target) standaloneEgressGroups.add(target.located);
    rules.push(ruleEntry(located.resource.properties, direction, securityGroupName(groupValue, located.stack, index), located, 'standalone', index, vpcCidrs));
  }
  const securityGroups: SecurityGroupEntry[] = [];
  const ruleTypes = new Set(['AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress']);
  for (const located of index.ofType('AWS::EC2::SecurityGroup')) {
    const { properties, logicalId } = located.resource;
    const group = `${located.stack.stackName}/${logicalId}`;
    const inline: SecurityGroupRuleEntry[] = [
      ...asArray(properties.SecurityGroupIngress).filter(isObject).map((r) => ruleEntry(r, 'ingress', group, located, 'inline', index, vpcCidrs)),
      ...asArray(properties.SecurityGroupEgress).filter(isObject).map((r) => ruleEntry(r, 'egress', group, located, 'inline', index, vpcCidrs)),
    ];
    let egress: string;
    if (properties.SecurityGroupEgress !== undefined) {
      egress = asArray(properties.SecurityGroupEgress).filter(isObject).every(isNoTrafficPlaceholder) && !standaloneEgressGroups.has(located)
        ? 'none (CDK placeholder rule only)'
        : 'declared rules only';
    } else if (standaloneEgressGroups.has(located)) {
      egress = 'standalone egress rules only (CloudFormation removes the default allow-all egress when it adds one)';
    } else {
      egress = 'CloudFormation default: all traffic to 0.0.0.0/0';
      inline.push({
        direction: 'egress', group, declaredBy: resourceName(located.resource), origin: 'CloudFormation default',
        peer: '0.0.0.0/0', peerKind: 'cidr', protocol: 'all', ports: 'all',
        description: 'Default rule: the group declares no egress rule, so CloudFormation keeps EC2\'s allow-all egress',
        flags: ['internet (0.0.0.0/0)', 'all ports'],
      });
    }
    rules.push(...inline);
    const usedBy = index.resources
      .filter((r) => r !== located && !ruleTypes.has(r.resource.type))
      .filter((r) => index.references(r.resource.properties, r.stack).some((ref) => ref.target.located === located))
      .map((r) => `${r.stack.stackName}/${r.resource.logicalId} (${r.resource.type})`);
    securityGroups.push({ group, resource: resourceName(located.resource), description: index.render(properties.GroupDescription, located.stack), usedBy, egress });
  }
  for (const cluster of index.ofType('AWS::EKS::Cluster')) {
    notes.push(
      `EKS creates the cluster security group of ${cluster.stack.stackName}/${cluster.resource.logicalId} itself; it is not in the templates. ` +
      'EKS gives it an ingress rule admitting all traffic from its own members and an egress rule allowing all traffic to 0.0.0.0/0; ' +
      'managed node groups without their own security groups (and so, with the VPC CNI, the pods) use it. The rules listed on it here are added to those.',
    );
  }
  // A function without VpcConfig has no route or security group in these templates: its way out is Lambda's.
  for (const fn of index.ofType('AWS::Lambda::Function').filter((f) => f.resource.properties.VpcConfig === undefined)) {
    const description = fn.resource.properties.Description === undefined ? '' : ` ("${index.render(fn.resource.properties.Description, fn.stack)}")`;
    notes.push(`Lambda function ${fn.stack.stackName}/${fn.resource.logicalId}${description} runs outside every VPC: it reaches AWS APIs and the internet through AWS Lambda's own network, not through this VPC's routes or security groups.`);
  }

  // Routes, and the subnets they serve.
  const subnetsOfTable = new Map<LocatedResource, string[]>();
  for (const association of index.ofType('AWS::EC2::SubnetRouteTableAssociation')) {
    const table = index.target(association.resource.properties.RouteTableId, association.stack)?.located;
    if (!table) continue;
    subnetsOfTable.set(table, [...(subnetsOfTable.get(table) ?? []), subnetLabel(association.resource.properties.SubnetId, association.stack, index)]);
  }
  const routes: RouteEntry[] = index.ofType('AWS::EC2::Route').map((located) => {
    const { properties } = located.resource;
    const stack = located.stack;
    const destination = index.render(properties.DestinationCidrBlock ?? properties.DestinationIpv6CidrBlock ?? properties.DestinationPrefixListId, stack);
    const [key, kind] = ROUTE_TARGETS.find(([k]) => properties[k] !== undefined) ?? ['', 'unknown'];
    const target = key ? index.target(properties[key], stack) : undefined;
    const targetKind = target?.located.resource.type === 'AWS::EC2::InternetGateway' ? 'internet gateway'
      : target?.located.resource.type === 'AWS::EC2::VPNGateway' ? 'virtual private gateway'
        : kind;
    const routeTable = index.target(properties.RouteTableId, stack)?.located;
    const flags: string[] = [];
    if (INTERNET_CIDRS.has(destination)) flags.push(targetKind === 'internet gateway' ? 'default route to the internet (inbound and outbound)' : targetKind === 'NAT gateway' ? 'default route: outbound internet through NAT' : 'default route');
    return {
      route: resourceName(located.resource),
      destination,
      target: key ? index.describe(properties[key], stack) : '',
      targetKind,
      routeTable: routeTable ? `${routeTable.stack.stackName}/${routeTable.resource.logicalId}` : index.render(properties.RouteTableId, stack),
      subnets: routeTable ? subnetsOfTable.get(routeTable) ?? [] : [],
      flags,
    };
  });

  const gateways: GatewayEntry[] = [];
  for (const nat of index.ofType('AWS::EC2::NatGateway')) {
    const connectivity = index.render(nat.resource.properties.ConnectivityType ?? 'public', nat.stack);
    gateways.push({
      resource: resourceName(nat.resource),
      kind: 'NAT gateway',
      placement: `subnet ${subnetLabel(nat.resource.properties.SubnetId, nat.stack, index)}`,
      detail: connectivity === 'public' ? 'public: translates outbound traffic to its Elastic IP' : `${connectivity}: no internet access`,
    });
  }
  for (const located of index.ofType('AWS::EC2::InternetGateway', 'AWS::EC2::EgressOnlyInternetGateway')) {
    const attachedTo = index.ofType('AWS::EC2::VPCGatewayAttachment')
      .filter((a) => index.target(a.resource.properties.InternetGatewayId, a.stack)?.located === located)
      .map((a) => index.describe(a.resource.properties.VpcId, a.stack));
    const egressOnly = located.resource.type === 'AWS::EC2::EgressOnlyInternetGateway';
    gateways.push({
      resource: resourceName(located.resource),
      kind: egressOnly ? 'egress-only internet gateway' : 'internet gateway',
      placement: egressOnly ? `VPC ${index.describe(located.resource.properties.VpcId, located.stack)}` : attachedTo.length > 0 ? `VPC ${attachedTo.join(', ')}` : 'not attached in the templates',
      detail: egressOnly ? 'IPv6 outbound only' : 'two-way internet access for subnets that route to it',
    });
  }

  const vpcEndpoints: VpcEndpointEntry[] = index.ofType('AWS::EC2::VPCEndpoint').map((located) => {
    const { properties } = located.resource;
    const stack = located.stack;
    const endpointType = index.render(properties.VpcEndpointType ?? 'Gateway', stack);
    const subnets = asArray(properties.SubnetIds);
    const tables = asArray(properties.RouteTableIds);
    return {
      resource: resourceName(located.resource),
      service: index.render(properties.ServiceName ?? properties.ServiceNetworkArn ?? properties.ResourceConfigurationArn, stack),
      endpointType,
      hasPolicy: properties.PolicyDocument !== undefined,
      policy: endpointPolicyLines(properties.PolicyDocument, stack, index),
      privateDns: endpointType === 'Interface' ? (properties.PrivateDnsEnabled === true ? 'enabled' : 'disabled') : 'n/a',
      placement: tables.length > 0 ? `${tables.length} route table(s)` : `${subnets.length} subnet(s)`,
      securityGroups: asArray(properties.SecurityGroupIds).map((g) => securityGroupName(g, stack, index)),
    };
  });

  return { environment: environment.name, vpcs, securityGroups, securityGroupRules: rules, routes, gateways, vpcEndpoints, notes, internetEgress: internetEgressOf(rules, routes) };
}

/** An endpoint policy, one line per statement: who may do what through the endpoint. */
function endpointPolicyLines(document: unknown, stack: EvidenceStack, index: EnvironmentIndex): string[] {
  if (!isObject(document)) return [];
  return asArray(document.Statement).filter(isObject).map((statement, i) => {
    const list = (value: unknown) => asArray(value).map((v) => index.render(v, stack)).join(', ');
    const conditions = renderConditions(statement.Condition, stack, index);
    return [
      `${typeof statement.Sid === 'string' ? statement.Sid : `#${i + 1}`} (${String(statement.Effect ?? 'Allow')}):`,
      `${list(statement.Action)} on ${list(statement.Resource)}`,
      conditions.length > 0 ? `if ${conditions.join(' and ')}` : 'unconditioned',
    ].join(' ');
  });
}

function internetEgressLines(egress: InternetEgressSummary): string[] {
  if (egress.securityGroupRules.length === 0 && egress.outboundRoutes.length === 0) {
    return ['None: no security group rule sends traffic to 0.0.0.0/0 or ::/0, and no subnet routes out through a NAT gateway or an egress-only internet gateway. '
      + '(Public subnets still route to the internet gateway, for internet-facing load balancers placed there; see Routes.)'];
  }
  return [
    ...egress.securityGroupRules.map((r) => `- security group rule: ${code(r)}`),
    ...egress.outboundRoutes.map((r) => `- route: ${code(r)}`),
  ];
}

/** The network paths as Markdown. */
export function networkPathsMarkdown(inventory: NetworkPathInventory): string {
  const flagged = inventory.securityGroupRules.filter((r) => r.flags.some((f) => f !== 'all ports'));
  return [
    `## Network paths: ${inventory.environment}`,
    '',
    `VPCs: ${inventory.vpcs.map((v) => `${code(v.resource.logicalId)} (${v.resource.stack}, ${code(v.cidr)})`).join(', ') || 'none'}.`,
    '',
    `${inventory.securityGroupRules.length} security group rule(s); ${flagged.length} open to the internet or to a whole VPC range (flagged).`,
    '',
    '### Internet egress',
    '',
    ...internetEgressLines(inventory.internetEgress),
    '',
    '### Security group rules',
    '',
    'Ingress rules say where a group admits traffic from, egress rules where its members may send it. "Internet" is `0.0.0.0/0` or `::/0`; ' +
      '"whole VPC range" is the VPC\'s CIDR (any address in the VPC). A rule naming a security group admits exactly the members of that group.',
    '',
    table(
      ['Group', 'Direction', 'Peer', 'Protocol', 'Ports', 'Flags', 'Description', 'Declared by', 'Rule', 'Construct path'],
      inventory.securityGroupRules.map((r) => [
        code(r.group), r.direction, code(r.peer), r.protocol, r.ports, r.flags.map((f) => `**${f}**`).join(', '), r.description,
        `${code(r.declaredBy.logicalId)} (${r.declaredBy.type})`, r.origin, r.declaredBy.constructPath,
      ]),
    ),
    ...(inventory.notes.length > 0 ? ['', ...inventory.notes.map((n) => `> ${n}`), ''] : []),
    '### Security groups',
    '',
    table(
      ['Group', 'Description', 'Egress', 'Used by', 'Construct path'],
      inventory.securityGroups.map((g) => [code(g.group), g.description, g.egress, g.usedBy.map(code).join('<br>') || 'nothing in the templates', g.resource.constructPath]),
    ),
    '### Routes',
    '',
    'Routes in the templates (each route table also has the implicit local route for the VPC range). A subnet whose route table sends `0.0.0.0/0` to an internet gateway is public; to a NAT gateway, it reaches the internet outbound only.',
    '',
    table(
      ['Stack', 'Route', 'Destination', 'Target', 'Target kind', 'Route table', 'Subnets', 'Flags', 'Construct path'],
      inventory.routes.map((r) => [r.route.stack, code(r.route.logicalId), code(r.destination), code(r.target), r.targetKind, code(r.routeTable), r.subnets.join('<br>'), r.flags.map((f) => `**${f}**`).join(', '), r.route.constructPath]),
    ),
    '### Gateways',
    '',
    table(
      ['Stack', 'Gateway', 'Kind', 'Where', 'What it does', 'Construct path'],
      inventory.gateways.map((g) => [g.resource.stack, code(g.resource.logicalId), g.kind, g.placement, g.detail, g.resource.constructPath]),
    ),
    '### VPC endpoints',
    '',
    'Traffic to these AWS services stays in the AWS network. An endpoint without a policy has the default endpoint policy: any principal may call any action of the service through it (IAM and resource policies still apply). ' +
      'An endpoint policy grants nothing: it is the most a request through the endpoint may do.',
    '',
    `${inventory.vpcEndpoints.length} VPC endpoint(s); ${inventory.vpcEndpoints.filter((e) => !e.hasPolicy).length} without a policy.`,
    '',
    table(
      ['Stack', 'Endpoint', 'Service', 'Type', 'Endpoint policy', 'Private DNS', 'Placement', 'Security groups', 'Construct path'],
      inventory.vpcEndpoints.map((e) => [
        e.resource.stack, code(e.resource.logicalId), code(e.service), e.endpointType, e.hasPolicy ? e.policy.map(code).join('<br>') : '**none (default: full access)**', e.privateDns, e.placement,
        e.securityGroups.map(code).join(', '), e.resource.constructPath,
      ]),
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// 3. KMS keys
// ---------------------------------------------------------------------------------------------

/** One statement of a key policy: who, what, under which conditions. */
export interface KeyPolicyStatement {
  readonly statement: string;
  readonly effect: string;
  readonly principals: readonly string[];
  /** `administer`, `use`, `administer and use`, `read` (key metadata only), `deny` or `other` (from the actions). */
  readonly access: string;
  readonly actions: readonly string[];
  readonly conditions: readonly string[];
}

/** An IAM policy statement granting KMS actions on a key (or on every key). */
export interface KeyGrant {
  readonly policy: EvidenceResourceName;
  readonly attachedTo: readonly string[];
  readonly statement: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly conditions: readonly string[];
  /** `this key`, or `every key (Resource *)`. */
  readonly scope: string;
}

/** A KMS key, its policy, its grants and its users. */
export interface KmsKeyEntry {
  readonly key: EvidenceResourceName;
  readonly description: string;
  readonly aliases: readonly string[];
  /** Whether automatic rotation is on (`EnableKeyRotation`). */
  readonly rotation: boolean;
  readonly rotationPeriodDays?: number;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly multiRegion: boolean;
  readonly deletionPolicy: string;
  readonly pendingWindowDays?: number;
  readonly keyPolicy: readonly KeyPolicyStatement[];
  readonly iamGrants: readonly KeyGrant[];
  /** Resources whose properties reference the key, with the property. */
  readonly usedBy: readonly { readonly resource: EvidenceResourceName; readonly property: string }[];
  /**
   * What a reviewer should not find in a key policy, in plain words: `kms:*` for a principal, a
   * principal that both administers and uses the key, use by a whole account with neither
   * `kms:ViaService` nor `aws:PrincipalArn` (its IAM policies would decide), CloudWatch Logs allowed
   * for log groups it is not bound to by their exact ARNs, a key that resources use but nobody may
   * use. Empty when there is none.
   */
  readonly findings: readonly string[];
}

/** The KMS key inventory of one environment. */
export interface KmsKeyInventory {
  readonly environment: string;
  readonly keys: readonly KmsKeyEntry[];
}

/** Key-level KMS actions of key administrators (the console's default "key administrators" statement, and more). */
const ADMIN_ACTIONS = [
  'CancelKeyDeletion', 'CreateAlias', 'DeleteAlias', 'DeleteImportedKeyMaterial', 'DisableKey', 'DisableKeyRotation', 'EnableKey',
  'EnableKeyRotation', 'GetKeyPolicy', 'GetKeyRotationStatus', 'GetParametersForImport', 'ImportKeyMaterial', 'ListKeyRotations',
  'ListResourceTags', 'PutKeyPolicy', 'ReplicateKey', 'RevokeGrant', 'RotateKeyOnDemand', 'ScheduleKeyDeletion', 'TagResource', 'UntagResource',
  'UpdateAlias', 'UpdateKeyDescription', 'UpdatePrimaryRegion',
];
/** Key-level KMS actions of key users (cryptographic operations, and grants, which confer them). */
const USE_ACTIONS = [
  'Decrypt', 'DeriveSharedSecret', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext', 'GenerateMac', 'GetPublicKey', 'ReEncryptFrom', 'ReEncryptTo', 'Sign', 'Verify', 'VerifyMac',
  'CreateGrant', 'RetireGrant',
];
/** Key-level KMS actions that only read the key's metadata and grants: neither administration nor use. */
const READ_ACTIONS = ['DescribeKey', 'ListGrants', 'ListKeyPolicies'];

/** Whether an action pattern (`kms:Decrypt*`, `kms:*`, `*`) covers one of the named KMS actions. */
function covers(pattern: string, actions: readonly string[]): boolean {
  const regex = new RegExp(`^${pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return actions.some((action) => regex.test(`kms:${action}`.toLowerCase()));
}

function accessOf(actions: readonly string[], effect: string): string {
  if (effect === 'Deny') return 'deny';
  const admin = actions.some((a) => covers(a, ADMIN_ACTIONS));
  const use = actions.some((a) => covers(a, USE_ACTIONS));
  const read = actions.some((a) => covers(a, READ_ACTIONS));
  return admin && use ? 'administer and use' : admin ? 'administer' : use ? 'use' : read ? 'read' : 'other';
}

const LOGS_ENCRYPTION_CONTEXT = 'kms:EncryptionContext:aws:logs:arn';
/** A key policy principal that is a whole account (its IAM policies then decide who). */
const ACCOUNT_PRINCIPAL = /^AWS (arn:(?:<AWS::Partition>|[^:]*):iam::(\d{12}|<AWS::AccountId>):root|\d{12}|<AWS::AccountId>)$/;

/** A key that resources use but whose policy lets nobody use it: those resources would fail to create or to read their data. */
function unusableKeyFindings(keyPolicy: readonly KeyPolicyStatement[], users: number): string[] {
  const usable = keyPolicy.some((s) => s.effect === 'Allow' && (s.access === 'use' || s.access === 'administer and use'));
  return users > 0 && keyPolicy.length > 0 && !usable ? [`used by ${users} resource(s), but no statement of its policy lets a principal or an AWS service use it`] : [];
}

/** What a reviewer should not find in one key-policy statement (see `KmsKeyEntry.findings`). */
function keyPolicyFindings(statement: KeyPolicyStatement): string[] {
  if (statement.effect !== 'Allow') return [];
  const findings: string[] = [];
  const whom = statement.principals.join(', ') || 'no principal';
  const everything = statement.actions.some((a) => a === '*' || a.toLowerCase() === 'kms:*');
  if (everything) {
    findings.push(`every KMS action (kms:*) for ${whom} (statement ${statement.statement})`);
  } else if (statement.access === 'administer and use') {
    findings.push(`${whom} both administers and uses the key (statement ${statement.statement})`);
  }
  const account = statement.principals.filter((p) => ACCOUNT_PRINCIPAL.test(p));
  const narrowed = statement.conditions.some((c) => / (kms:ViaService|aws:PrincipalArn) = /.test(c));
  if (!everything && account.length > 0 && (statement.access === 'use' || statement.access === 'administer and use') && !narrowed) {
    findings.push(`any principal of ${account.join(', ')} whose IAM policy allows it may use the key directly: no kms:ViaService or aws:PrincipalArn (statement ${statement.statement})`);
  }
  const bound = statement.conditions.some((c) => new RegExp(`^(ArnEquals|StringEquals) ${LOGS_ENCRYPTION_CONTEXT} = `).test(c) && !c.includes('*'));
  if (statement.principals.some((p) => /^Service logs[.]/.test(p)) && !bound) {
    findings.push(`CloudWatch Logs may use the key for log groups it is not bound to by their exact ARNs (statement ${statement.statement})`);
  }
  return findings;
}

const grantsKms = (actions: readonly string[]) => actions.some((a) => a === '*' || a.toLowerCase().startsWith('kms:'));

/**
 * Every KMS key of the environment: aliases, rotation, who its key policy lets administer or use
 * it (with conditions such as `kms:ViaService`), the IAM statements granting KMS actions on it,
 * and the resources that reference it (log groups, databases, volumes, repositories...).
 */
export function kmsKeys(environment: EvidenceEnvironment): KmsKeyInventory {
  const index = new EnvironmentIndex(environment);
  const { statements } = collectStatements(index);
  const identityStatements = statements.filter((s) => s.source.kind === 'identity' && grantsKms([...s.entry.actions, ...s.entry.notActions]));
  const keys = index.ofType('AWS::KMS::Key').map((located): KmsKeyEntry => {
    const { properties } = located.resource;
    const stack = located.stack;
    const aliases = index.ofType('AWS::KMS::Alias')
      .filter((a) => index.target(a.resource.properties.TargetKeyId, a.stack)?.located === located)
      .map((a) => index.render(a.resource.properties.AliasName, a.stack));
    const keyPolicy = statements
      .filter((s) => s.source.located === located)
      .map((s): KeyPolicyStatement => ({
        statement: s.entry.statement, effect: s.entry.effect, principals: s.entry.principals,
        access: accessOf(s.entry.actions, s.entry.effect), actions: s.entry.actions, conditions: s.entry.conditions,
      }));
    const iamGrants: KeyGrant[] = [];
    for (const s of identityStatements) {
      const onKey = index.references(s.raw.Resource, s.source.located.stack).some((r) => r.target.located === located);
      const onAll = s.entry.resources.includes('*');
      if (!onKey && !onAll) continue;
      iamGrants.push({
        policy: s.entry.resource, attachedTo: s.entry.attachedTo, statement: s.entry.statement, effect: s.entry.effect,
        actions: [...s.entry.actions, ...s.entry.notActions.map((a) => `every action except ${a}`)].filter((a) => a === '*' || a.includes('kms:') || a.startsWith('every')),
        conditions: s.entry.conditions, scope: onKey ? 'this key' : 'every key (Resource *)',
      });
    }
    const usedBy: { resource: EvidenceResourceName; property: string }[] = [];
    for (const other of index.resources) {
      if (other === located || other.resource.type === 'AWS::KMS::Alias' || RESOURCE_POLICIES[other.resource.type]?.kind === 'identity' || other.resource.type.startsWith('AWS::IAM::')) continue;
      for (const ref of index.references(other.resource.properties, other.stack)) {
        if (ref.target.located === located) usedBy.push({ resource: resourceName(other.resource), property: ref.path });
      }
    }
    const number = (value: unknown) => (value === undefined ? undefined : Number(value));
    return {
      key: resourceName(located.resource),
      description: index.render(properties.Description, stack),
      aliases,
      rotation: properties.EnableKeyRotation === true || properties.EnableKeyRotation === 'true',
      rotationPeriodDays: number(properties.RotationPeriodInDays),
      keySpec: index.render(properties.KeySpec ?? 'SYMMETRIC_DEFAULT', stack),
      keyUsage: index.render(properties.KeyUsage ?? 'ENCRYPT_DECRYPT', stack),
      multiRegion: properties.MultiRegion === true,
      deletionPolicy: String(index.attribute(located, 'DeletionPolicy') ?? 'Delete'),
      pendingWindowDays: number(properties.PendingWindowInDays),
      keyPolicy,
      iamGrants,
      usedBy,
      findings: [...keyPolicy.flatMap(keyPolicyFindings), ...unusableKeyFindings(keyPolicy, usedBy.length)],
    };
  });
  return { environment: environment.name, keys };
}

/** A principal in plain words (the account root, a service, anyone). */
function who(principal: string): string {
  const root = /^AWS arn:(?:<AWS::Partition>|[^:]*):iam::(\d{12}|<AWS::AccountId>):root$/.exec(principal) ?? /^AWS (\d{12}|<AWS::AccountId>)$/.exec(principal);
  if (root) return `account ${root[1]} (its IAM policies decide)`;
  if (principal === '*' || principal === 'AWS *') return 'anyone';
  const service = /^Service (.+)$/.exec(principal);
  if (service) return `AWS service ${service[1]}`;
  return principal;
}

/** The KMS key inventory as Markdown. */
export function kmsKeysMarkdown(inventory: KmsKeyInventory): string {
  const lines = [
    `## KMS keys: ${inventory.environment}`,
    '',
    `${inventory.keys.length} customer managed key(s); ${inventory.keys.filter((k) => !k.rotation).length} without automatic rotation; `
      + `${inventory.keys.filter((k) => k.findings.length > 0).length} with a key-policy finding (kms:* for a principal, a principal that both administers and uses the key, `
      + 'use by a whole account without kms:ViaService, CloudWatch Logs not bound to its log groups, a key that resources use but nobody may use).',
    '',
    'For each key: its key policy (who may administer or use it, and under which conditions), the IAM policy statements that grant KMS actions on it, and the resources that use it. ' +
      'A key policy that trusts the account root lets IAM policies in that account grant access; the IAM grants listed are those in these templates.',
    '',
    table(
      ['Stack', 'Key', 'Description', 'Aliases', 'Rotation', 'Spec / usage', 'Deletion policy', 'Used by', 'Findings', 'Construct path'],
      inventory.keys.map((k) => [
        k.key.stack, code(k.key.logicalId), k.description, k.aliases.map(code).join(', ') || 'none',
        k.rotation ? `on${k.rotationPeriodDays ? ` (every ${k.rotationPeriodDays} days)` : ' (yearly)'}` : '**off**',
        `${k.keySpec} / ${k.keyUsage}${k.multiRegion ? ', multi-Region' : ''}`,
        `${k.deletionPolicy}${k.pendingWindowDays ? `, ${k.pendingWindowDays}-day waiting period` : ''}`,
        String(k.usedBy.length), k.findings.map((f) => `**${f}**`).join('<br>') || 'none', k.key.constructPath,
      ]),
    ),
  ];
  for (const k of inventory.keys) {
    lines.push(
      `### ${k.key.stack} / ${k.key.logicalId}`,
      '',
      `${k.description ? k.description.replace(/\.?$/, '.') : 'No description.'} Construct path: ${code(k.key.constructPath)}.`,
      '',
      '**Key policy**',
      '',
      table(
        ['Statement', 'Effect', 'Who', 'Access', 'Actions', 'Conditions'],
        k.keyPolicy.map((s) => [s.statement, s.effect, s.principals.map((p) => `${who(p)}: ${code(p)}`).join('<br>'), s.access, codeList(s.actions), codeList(s.conditions) || 'none']),
      ),
      '**IAM policy statements granting KMS actions on it**',
      '',
      table(
        ['Stack', 'Policy', 'Attached to', 'Statement', 'Effect', 'Actions', 'Scope', 'Conditions', 'Construct path'],
        k.iamGrants.map((g) => [g.policy.stack, code(g.policy.logicalId), g.attachedTo.map(code).join(', '), g.statement, g.effect, codeList(g.actions), g.scope, codeList(g.conditions) || 'none', g.policy.constructPath]),
      ),
      '**Resources that use it**',
      '',
      table(
        ['Stack', 'Resource', 'Type', 'Property', 'Construct path'],
        k.usedBy.map((u) => [u.resource.stack, code(u.resource.logicalId), u.resource.type, code(u.property), u.resource.constructPath]),
      ),
    );
  }
  return lines.join('\n');
}
