/**
 * CloudWatch Logs JSON filter patterns (`{ ... }`) evaluated against log events, for the part of the
 * documented syntax (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html)
 * the platform's metric filters use:
 *
 * - selectors `$.a.b.c` (object properties);
 * - `=` and `!=` with a double-quoted string, where `*` matches any characters;
 * - `=`, `!=`, `<`, `<=`, `>`, `>=` with a number, against a numeric field;
 * - `&&` and `||`, grouped with parentheses (one kind of operator per group, as aws-cdk-lib writes them).
 *
 * A comparison on a field the event does not have is false, whatever the operator. Anything outside
 * this subset is refused with an error, so a pattern the tests do not understand fails them instead
 * of being half-evaluated.
 */

type Token = { kind: 'punct'; value: string } | { kind: 'selector'; value: string } | { kind: 'string'; value: string } | { kind: 'number'; value: number };

type Node =
  | { kind: 'compare'; selector: string; operator: string; value: string | number }
  | { kind: 'and' | 'or'; children: Node[] };

const TOKEN = /\s*(?:(&&|\|\||!=|<=|>=|[{}()=<>])|(\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+)|"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?))/y;

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < pattern.length) {
    if (/^\s*$/.test(pattern.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(pattern);
    if (!match) throw new Error(`filter pattern: cannot read ${JSON.stringify(pattern.slice(at, at + 20))} at ${at} in ${pattern}`);
    if (match[1] !== undefined) tokens.push({ kind: 'punct', value: match[1] });
    else if (match[2] !== undefined) tokens.push({ kind: 'selector', value: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: 'string', value: match[3].replace(/\\(.)/g, '$1') });
    else tokens.push({ kind: 'number', value: Number(match[4]) });
  }
  return tokens;
}

/** Parses a JSON filter pattern (`{ ... }`). */
export function parseJsonFilterPattern(pattern: string): Node {
  const tokens = tokenize(pattern);
  let i = 0;
  const peek = () => tokens[i];
  const take = (value?: string): Token => {
    const token = tokens[i++];
    if (!token || (value !== undefined && (token.kind !== 'punct' || token.value !== value))) {
      throw new Error(`filter pattern: expected ${value ?? 'more'} at token ${i - 1} of ${pattern}`);
    }
    return token;
  };
  const group = (): Node => {
    const children = [primary()];
    let operator: string | undefined;
    while (peek()?.kind === 'punct' && (peek()!.value === '&&' || peek()!.value === '||')) {
      const op = take().value as string;
      if (operator && op !== operator) throw new Error(`filter pattern: && and || mixed without parentheses in ${pattern}`);
      operator = op;
      children.push(primary());
    }
    return children.length === 1 ? children[0] : { kind: operator === '&&' ? 'and' : 'or', children };
  };
  const primary = (): Node => {
    const token = peek();
    if (token?.kind === 'punct' && token.value === '(') {
      take('(');
      const inner = group();
      take(')');
      return inner;
    }
    const selector = take();
    if (selector.kind !== 'selector') throw new Error(`filter pattern: expected a $. selector at token ${i - 1} of ${pattern}`);
    const operator = take();
    if (operator.kind !== 'punct' || !['=', '!=', '<', '<=', '>', '>='].includes(operator.value)) throw new Error(`filter pattern: expected a comparison after ${selector.value} in ${pattern}`);
    const value = take();
    if (value.kind === 'string') {
      if (operator.value !== '=' && operator.value !== '!=') throw new Error(`filter pattern: ${operator.value} with a string in ${pattern}`);
      return { kind: 'compare', selector: selector.value, operator: operator.value, value: value.value };
    }
    if (value.kind === 'number') return { kind: 'compare', selector: selector.value, operator: operator.value, value: value.value };
    throw new Error(`filter pattern: expected a string or number after ${selector.value} ${operator.value} in ${pattern}`);
  };
  take('{');
  const root = group();
  take('}');
  if (i !== tokens.length) throw new Error(`filter pattern: unexpected text after the closing brace in ${pattern}`);
  return root;
}

/** The value a `$.a.b` selector picks from an event (undefined when absent). */
export function selectJson(selector: string, event: unknown): unknown {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(selector)) throw new Error(`selector ${selector}: only $.a.b paths are supported`);
  let value: unknown = event;
  for (const key of selector.slice(2).split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function evaluate(node: Node, event: unknown): boolean {
  if (node.kind !== 'compare') return node.kind === 'and' ? node.children.every((c) => evaluate(c, event)) : node.children.some((c) => evaluate(c, event));
  const actual = selectJson(node.selector, event);
  if (actual === undefined) return false;
  if (typeof node.value === 'string') {
    if (typeof actual !== 'string') return false;
    const equal = wildcard(node.value).test(actual);
    return node.operator === '=' ? equal : !equal;
  }
  if (typeof actual !== 'number') return false;
  switch (node.operator) {
    case '=': return actual === node.value;
    case '!=': return actual !== node.value;
    case '<': return actual < node.value;
    case '<=': return actual <= node.value;
    case '>': return actual > node.value;
    default: return actual >= node.value;
  }
}

/** True when the JSON filter pattern matches the event. */
export function matchesJsonFilterPattern(pattern: string, event: unknown): boolean {
  return evaluate(parseJsonFilterPattern(pattern), event);
}

/** A metric filter as the template has it. */
export interface MetricFilterResource {
  readonly FilterPattern: string;
  readonly MetricTransformations: { MetricName: string; MetricNamespace: string; MetricValue: string; Unit?: string; Dimensions?: { Key: string; Value: string }[] }[];
}

/**
 * The data points a metric filter publishes for some events: for each matching event, its value
 * (`MetricValue`, a number or a `$.` selector that must pick a number) and dimensions (each a
 * `$.` selector that must pick a string).
 */
export function metricFilterDataPoints(filter: MetricFilterResource, events: unknown[]): { value: number; dimensions: Record<string, string> }[] {
  const [transformation] = filter.MetricTransformations;
  return events.filter((e) => matchesJsonFilterPattern(filter.FilterPattern, e)).map((event) => {
    const raw = transformation.MetricValue.startsWith('$.') ? selectJson(transformation.MetricValue, event) : Number(transformation.MetricValue);
    if (typeof raw !== 'number' || Number.isNaN(raw)) throw new Error(`MetricValue ${transformation.MetricValue} is not a number in ${JSON.stringify(event)}`);
    const dimensions = Object.fromEntries((transformation.Dimensions ?? []).map(({ Key, Value }) => {
      const picked = selectJson(Value, event);
      if (typeof picked !== 'string') throw new Error(`dimension ${Key} (${Value}) is not a string in ${JSON.stringify(event)}`);
      return [Key, picked];
    }));
    return { value: raw, dimensions };
  });
}
