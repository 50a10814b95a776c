import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '../manifests';
import { CrdSchemas } from './object-schemas';
import { UPSTREAM_DIR } from './upstream';

/** Where the pinned charts keep their CRDs in the upstream snapshot (read in place). */
const CRD_SOURCES = [
  // argo-rollouts 2.41.0 (controller v1.9.0): templates/crds/*.yaml, wrapped in `{{- if .Values.installCRDs }}`.
  'charts/argo-rollouts-2.41.0/templates/crds',
  // Istio 1.31 base chart: every Istio CRD in one generated file.
  'charts/istio-1.31/base/files/crd-all.gen.yaml',
];

/**
 * The CRD schemas of the pinned Argo Rollouts and Istio charts, read straight from their sources
 * (no Helm rendering): for unit tests that check one construct's objects against the CRDs the
 * cluster will serve. Helm directives (`{{ ... }}` lines: the install and keep switches, extra
 * annotations) are dropped; the schemas carry none. `kinds` limits the schemas compiled.
 */
export function pinnedCrdSchemas(kinds?: readonly string[], dir = UPSTREAM_DIR): CrdSchemas {
  const schemas = new CrdSchemas();
  for (const source of CRD_SOURCES.map((s) => path.join(dir, s))) {
    const files = fs.statSync(source).isDirectory() ? fs.readdirSync(source).filter((f) => f.endsWith('.yaml')).map((f) => path.join(source, f)) : [source];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8').split('\n').filter((line) => !/^\s*\{\{.*\}\}\s*$/.test(line)).join('\n');
      for (const document of parseAllDocuments(text)) {
        const crd = document.toJS() as KubernetesObject | null;
        // Compiling every Istio schema takes seconds: only the kinds asked for, when given.
        if (crd?.kind === 'CustomResourceDefinition' && (kinds === undefined || kinds.includes(crd.spec?.names?.kind))) schemas.add(crd);
      }
    }
  }
  return schemas;
}

/** The CRD schema errors of an object (empty when valid); throws when no pinned CRD serves its kind. */
export function crdSchemaErrors(schemas: CrdSchemas, object: KubernetesObject): string[] {
  const validate = schemas.validator(object);
  if (!validate) throw new Error(`no pinned CRD serves ${object.apiVersion} ${object.kind}`);
  const name = `${object.kind} ${object.metadata.name}`;
  if (validate(object)) return [];
  return validate.errors!.map((e) => `${name}: ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
