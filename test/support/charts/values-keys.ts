import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

type Json = Record<string, any>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The chart's documented values: `values.yaml`, with Istio's `_internal_defaults_do_not_set`
 * wrapper (its templates merge that block under the user's values) lifted to the top level.
 */
export function chartDefaults(chartDirectory: string): Json {
  const values = (parse(fs.readFileSync(path.join(chartDirectory, 'values.yaml'), 'utf8')) ?? {}) as Json;
  const { _internal_defaults_do_not_set: wrapped, ...rest } = values;
  return isMap(wrapped) ? { ...rest, ...wrapped } : rest;
}

function chartSchema(chartDirectory: string): Json | undefined {
  const file = path.join(chartDirectory, 'values.schema.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Json : undefined;
}

/** A schema node with local `$ref`s resolved and `allOf`/`anyOf`/`oneOf` branches gathered. */
function schemaBranches(root: Json, node: unknown): Json[] {
  if (!isMap(node)) return [];
  const own: Json[] = [node];
  const ref = node.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref.slice(2).split('/').reduce<any>((n, key) => n?.[key], root);
    own.push(...schemaBranches(root, target));
  }
  for (const combinator of ['allOf', 'anyOf', 'oneOf']) {
    for (const branch of node[combinator] ?? []) own.push(...schemaBranches(root, branch));
  }
  return own;
}

function templateTexts(chartDirectory: string): string[] {
  const dir = path.join(chartDirectory, 'templates');
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ya?ml|tpl|txt)$/.test(f))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

/**
 * Values paths the chart's templates hand on whole (`toYaml .Values.x`, `toJson`, `mergeOverwrite
 * ... .Values.x`): Kubernetes or the software behind the chart reads what is inside (a
 * securityContext, Istio's MeshConfig), so their keys are checked there, not against the chart's
 * few example defaults.
 */
export function passThroughPaths(chartDirectory: string): string[] {
  const paths = new Set<string>();
  const handedOn = /(?:toYaml|toJson|toPrettyJson|mergeOverwrite\s+\S+|merge\s+\S+)\s+\(?\$?\.Values\.([A-Za-z0-9_.]+)/g;
  for (const text of templateTexts(chartDirectory)) {
    for (const match of text.matchAll(handedOn)) paths.add(match[1]);
  }
  return [...paths].sort();
}

/**
 * Values paths the templates read in their actions (`{{ ... .Values.a.b ... }}`): a chart may read
 * a key that `values.yaml` only mentions in a comment (aws-for-fluent-bit's `priorityClassName`,
 * `additionalOutputs`), and Helm does not ignore it. Comments and text outside actions do not count.
 */
export function templateValuePaths(chartDirectory: string): string[] {
  const paths = new Set<string>();
  for (const text of templateTexts(chartDirectory)) {
    for (const action of text.matchAll(/\{\{(?!-?\s*\/\*)([\s\S]*?)\}\}/g)) {
      for (const match of action[1].matchAll(/(?:^|[^\w$])\$?\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g)) paths.add(match[1]);
    }
  }
  return [...paths].sort();
}

/**
 * Keys in `values` that the chart does not have. Helm ignores unknown keys silently, so a typo or
 * a key a chart version renamed changes nothing at deploy and nobody notices. A key is known
 * when `values.yaml` documents it, `values.schema.json` declares it, or a template reads it
 * (`templateValuePaths`, the key itself or a key below it); below a key whose default
 * is an empty map (`{}`), whose schema declares no properties, or that the templates hand on
 * whole (`passThroughPaths`), any key is allowed. Lists are not descended into.
 */
export function unknownValueKeys(values: Json, chartDirectory: string): string[] {
  const schema = chartSchema(chartDirectory);
  const passThrough = new Set(passThroughPaths(chartDirectory));
  const read = templateValuePaths(chartDirectory);
  const readByTemplates = (keyPath: string) => read.some((p) => p === keyPath || p.startsWith(`${keyPath}.`));
  const unknown: string[] = [];
  const walk = (ours: Json, defaults: unknown, schemaNodes: Json[], at: string) => {
    if (passThrough.has(at)) return;
    const properties = schemaNodes.map((n) => n.properties).filter(isMap);
    const schemaFreeForm = schemaNodes.length > 0 && properties.length === 0 && schemaNodes.every((n) => n.additionalProperties !== false);
    const defaultsFreeForm = defaults === undefined || defaults === null || (isMap(defaults) && Object.keys(defaults).length === 0);
    for (const [key, value] of Object.entries(ours)) {
      const keyPath = at ? `${at}.${key}` : key;
      const inDefaults = isMap(defaults) && key in defaults;
      // Declared by name (`properties`) or by pattern (`patternProperties`, e.g. the collector chart's `ports.<name>`).
      const keySchemas = [
        ...properties.filter((p) => key in p).flatMap((p) => schemaBranches(schema!, p[key])),
        ...schemaNodes.flatMap((n) => Object.entries(isMap(n.patternProperties) ? n.patternProperties : {}))
          .filter(([pattern]) => new RegExp(pattern, 'u').test(key)).flatMap(([, node]) => schemaBranches(schema!, node)),
      ];
      if (!inDefaults && keySchemas.length === 0 && !readByTemplates(keyPath)) {
        const freeForm = schemaNodes.length > 0 ? schemaFreeForm && defaultsFreeForm : defaultsFreeForm;
        if (!freeForm) unknown.push(keyPath);
        continue;
      }
      if (isMap(value)) walk(value, isMap(defaults) ? defaults[key] : undefined, keySchemas, keyPath);
    }
  };
  walk(values, chartDefaults(chartDirectory), schema ? schemaBranches(schema, schema) : [], '');
  return unknown;
}
