/** Helpers every construct uses to validate its props at synth. */

import { Reference, Stack, Token, Tokenization, type IResolvable } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Throws `<Construct> <path>: <message>` (the message says what was given and how to fix it). */
export function validationFailure(kind: string, path: string): (message: string) => never {
  return (message) => {
    throw new Error(`${kind} ${path}: ${message}`);
  };
}

/** True for a whole number in [min, max]. */
export function isIntBetween(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for a Kubernetes DNS-1123 label: lowercase alphanumerics and "-", at most 63 characters. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS_1123_LABEL.test(value);
}

/**
 * True for an RFC 1035 label (Kubernetes "DNS-1035"): a DNS-1123 label that starts with a letter. Service
 * names must be one (the name becomes a DNS name and environment variable prefix); namespaces need not.
 */
export function isDns1035Label(value: string): boolean {
  return isDns1123Label(value) && value.charCodeAt(0) >= 97 && value.charCodeAt(0) <= 122;
}

const DEPLOY_TIME = 'a value only known at deploy time';

/**
 * A value as an error message shows it: a literal as written (a string quoted, a number or a
 * boolean as is, a list or an object as JSON), a token described instead of printed raw, e.g.
 * `a value only known at deploy time (Ref of Net/Vpc/IngressSubnet1/Subnet)`, never
 * `${Token[TOKEN.1206]}`. Every message that shows a value the user gave goes through this.
 *
 * @param value the value to show
 * @param scope a construct of the stack the value is used in: a token that is not a reference to
 *   a construct is then described by its CloudFormation expression (`{"Fn::Select":[...]}`)
 */
export function describeValue(value: unknown, scope?: IConstruct): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (!Token.isUnresolved(value)) return JSON.stringify(value);
    const fragments = Tokenization.reverseString(value);
    if (fragments.length === 1 && fragments.firstToken) return `${DEPLOY_TIME}${sourceOf(fragments.firstToken, scope)}`;
    // A literal with tokens inside: show the literal parts, each token by its source.
    const shown = fragments.mapTokens({ mapToken: (token) => `<${tokenSource(token, scope) ?? 'deploy-time value'}>` }).join({ join: (left: unknown, right: unknown) => `${left}${right}` });
    return `${DEPLOY_TIME} (${JSON.stringify(shown)})`;
  }
  if (typeof value === 'number') {
    const token = Token.isUnresolved(value) ? Tokenization.reverseNumber(value) : undefined;
    return token ? `${DEPLOY_TIME}${sourceOf(token, scope)}` : String(value);
  }
  if (typeof value !== 'object') return String(value);
  if (Tokenization.isResolvable(value)) return `${DEPLOY_TIME}${sourceOf(value, scope)}`;
  if (Array.isArray(value)) {
    const listToken = value.length === 1 && Token.isUnresolved(value) ? Tokenization.reverseList(value as string[]) : undefined;
    if (listToken) return `${DEPLOY_TIME}${sourceOf(listToken, scope)}`;
    return hasToken(value) ? `[${value.map((v) => describeValue(v, scope)).join(', ')}]` : JSON.stringify(value);
  }
  if (!hasToken(value)) return JSON.stringify(value);
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${describeValue(v, scope)}`).join(', ')}}`;
}

/** True when a string, number or anything nested holds an unresolved token. */
function hasToken(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'number') return Token.isUnresolved(value);
  if (value === null || typeof value !== 'object') return false;
  if (Tokenization.isResolvable(value)) return true;
  return Object.values(value).some(hasToken);
}

function sourceOf(token: IResolvable, scope: IConstruct | undefined): string {
  const source = tokenSource(token, scope);
  return source ? ` (${source})` : '';
}

/** `Ref of <path>` / `<Attribute> of <path>` for a reference, else the resolved CloudFormation expression. */
function tokenSource(token: IResolvable, scope: IConstruct | undefined): string | undefined {
  if (Reference.isReference(token)) {
    const target = token.target.node.path;
    return token.displayName === 'Ref' || token.displayName === '' ? `Ref of ${target}` : `${token.displayName} of ${target}`;
  }
  if (!scope) return undefined;
  try {
    const resolved = JSON.stringify(Stack.of(scope).resolve(token));
    return resolved.length > 120 ? `${resolved.slice(0, 117)}...` : resolved;
  } catch {
    return undefined;
  }
}
