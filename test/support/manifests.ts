import type { Template } from 'aws-cdk-lib/assertions';
import {
  BRACES_PLACEHOLDER,
  templateHelmReleases,
  templateKubernetesObjects,
  type HelmRelease,
  type KubernetesObject,
  type TokenPlaceholder,
} from '../../constructs/compliance/evidence/kubernetes-objects';
import { isVpcResourcesObject, validateVpcResourcesObject } from './vpc-resources-schema';

// The parsing lives in the library (the evidence pack reads templates with it); tests use the same.
export {
  BRACES_PLACEHOLDER,
  HELM_SAFE_PLACEHOLDER,
  renderCfnString,
  type HelmRelease,
  type KubernetesObject,
  type TokenPlaceholder,
} from '../../constructs/compliance/evidence/kubernetes-objects';

/** Every Kubernetes object applied through a KubernetesManifest (addManifest/addCdk8sChart) in the template. */
export function kubernetesObjects(template: Template): KubernetesObject[] {
  return templateKubernetesObjects(template.toJSON());
}

/** Every Helm release in the template (tokens in its values written with `placeholder`). */
export function helmReleases(template: Template, placeholder: TokenPlaceholder = BRACES_PLACEHOLDER): HelmRelease[] {
  return templateHelmReleases(template.toJSON(), placeholder);
}

/** Objects of one kind (optionally one name). */
export function objectsOfKind(objects: KubernetesObject[], kind: string, name?: string): KubernetesObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** The one object of a kind and name; fails the test if there is not exactly one. */
export function objectOf(objects: KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objectsOfKind(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} "${name}", found ${found.length}`);
  return found[0];
}

/**
 * Schema model modules by apiVersion group: core Kubernetes from `kubernetes-models`, Istio
 * from `@kubernetes-models/istio`, Argo Rollouts from `@kubernetes-models/argo-rollouts`
 * (security groups for pods, `vpcresources.k8s.aws`, from `vpc-resources-schema.ts`).
 */
function modelModule(apiVersion: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  if (group.endsWith('istio.io')) return `@kubernetes-models/istio/${apiVersion}`;
  if (group === 'argoproj.io') return `@kubernetes-models/argo-rollouts/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/**
 * Validates an object against the upstream OpenAPI/CRD schema of its kind (throws with the
 * schema errors). Deploy-time tokens appear as `{{...}}` placeholders.
 */
export function validateAgainstSchema(object: KubernetesObject): void {
  if (isVpcResourcesObject(object)) return validateVpcResourcesObject(object);
  validateWith(require(modelModule(object.apiVersion)), object);
}

/**
 * The same check, loading the schema with `import()`: the model packages are ESM only, which
 * `require` reaches only under jest's resolver; scripts run through tsx use this one.
 */
export async function validateAgainstSchemaAsync(object: KubernetesObject): Promise<void> {
  if (isVpcResourcesObject(object)) return validateVpcResourcesObject(object);
  validateWith(await import(modelModule(object.apiVersion)), object);
}

type SchemaModels = Record<string, new (data: unknown) => { validate(): void }>;

function validateWith(models: SchemaModels, object: KubernetesObject): void {
  const Model = models[object.kind];
  if (!Model) throw new Error(`no schema model for ${object.apiVersion} ${object.kind}`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${object.kind} "${object.metadata.name}" does not match its schema: ${(error as Error).message}`);
  }
}
