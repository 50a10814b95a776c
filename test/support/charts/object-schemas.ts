import Ajv, { type ValidateFunction } from 'ajv';
import { validateAgainstSchemaAsync, type KubernetesObject } from '../manifests';

/**
 * API versions no longer served by Kubernetes 1.36 (Kubernetes' deprecated API migration guide).
 * The core schemas (`kubernetes-models`, generated from Kubernetes 1.27.1, the newest on npm) still
 * know them, so they are refused here by name.
 */
const REMOVED_API_VERSIONS = new Set([
  'extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2', 'batch/v1beta1', 'policy/v1beta1', 'autoscaling/v2beta1', 'autoscaling/v2beta2',
  'networking.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1beta1', 'admissionregistration.k8s.io/v1beta1', 'apiextensions.k8s.io/v1beta1',
  'apiregistration.k8s.io/v1beta1', 'scheduling.k8s.io/v1beta1', 'coordination.k8s.io/v1beta1', 'certificates.k8s.io/v1beta1',
  'authentication.k8s.io/v1beta1', 'authorization.k8s.io/v1beta1', 'storage.k8s.io/v1beta1', 'node.k8s.io/v1beta1',
  'discovery.k8s.io/v1beta1', 'events.k8s.io/v1beta1',
  'flowcontrol.apiserver.k8s.io/v1beta1', 'flowcontrol.apiserver.k8s.io/v1beta2', 'flowcontrol.apiserver.k8s.io/v1beta3',
]);

type Schema = Record<string, any>;

/**
 * A CRD's structural schema as JSON Schema: `nullable`, `x-kubernetes-int-or-string` and
 * `x-kubernetes-preserve-unknown-fields` mapped, and unknown fields refused where the CRD lists
 * its fields (the API server would prune them, or refuse them under strict field validation).
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, structural(v)]));
    } else if (!key.startsWith('x-kubernetes-') && key !== 'nullable' && key !== 'format') {
      out[key] = structural(value);
    }
  }
  if (source['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (source.properties && !source['x-kubernetes-preserve-unknown-fields'] && source.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (source.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** Schemas of the custom resources that rendered CRDs define, by `apiVersion` and kind. */
export class CrdSchemas {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });

  add(crd: KubernetesObject): void {
    const { group, names, versions } = crd.spec;
    for (const version of versions ?? []) {
      if (!version.served) continue;
      const schema = version.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      const root = structural(schema) as Schema;
      // apiVersion, kind and metadata are the API server's, not the CRD's.
      root.properties = { ...root.properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };
      this.validators.set(`${group}/${version.name}/${names.kind}`, this.ajv.compile(root));
    }
  }

  validator(object: KubernetesObject): ValidateFunction | undefined {
    return this.validators.get(`${object.apiVersion}/${object.kind}`);
  }
}

/**
 * Why Kubernetes 1.36 would refuse the object (undefined when it would not): a removed API version,
 * or a mismatch with the schema of its kind (a CRD installed by a chart first, else the upstream
 * OpenAPI schemas used for the platform's own manifests).
 */
export async function schemaProblem(object: KubernetesObject, crds: CrdSchemas): Promise<string | undefined> {
  const name = `${object.kind} "${object.metadata?.name}"`;
  if (REMOVED_API_VERSIONS.has(object.apiVersion)) return `${name}: apiVersion ${object.apiVersion} is not served by Kubernetes 1.36`;
  const crdValidator = crds.validator(object);
  if (crdValidator) {
    if (crdValidator(object)) return undefined;
    return `${name} does not match its CRD schema: ${crdValidator.errors!.map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`).join('; ')}`;
  }
  try {
    await validateAgainstSchemaAsync(object);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
