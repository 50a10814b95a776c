import type { Template } from 'aws-cdk-lib/assertions';

/** A Kubernetes object as it will be applied: parsed from the synthesized template. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly [key: string]: any;
}

/** A Helm release as it will be installed: parsed from the synthesized template. */
export interface HelmRelease {
  readonly logicalId: string;
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
  readonly namespace: string;
  readonly release: string;
  readonly createNamespace: boolean;
  readonly values: Record<string, any>;
  readonly dependsOn: string[];
}

const MANIFEST_TYPE = 'Custom::AWSCDK-EKS-KubernetesResource';
const HELM_TYPE = 'Custom::AWSCDK-EKS-HelmChart';

/** How a deploy-time token is written into rendered text, given its description (`Ref:X`). */
export type TokenPlaceholder = (description: string) => string;

/** `{{Ref:X}}`: readable in manifests read back by tests. */
export const BRACES_PLACEHOLDER: TokenPlaceholder = (description) => `{{${description}}}`;
/** `${Ref:X}`: for Helm values, whose charts may pass strings through `tpl` (which parses `{{`). */
export const HELM_SAFE_PLACEHOLDER: TokenPlaceholder = (description) => `\${${description}}`;

/**
 * Renders a CloudFormation string value (a literal or an `Fn::Join`) with every deploy-time
 * token replaced by a readable placeholder, e.g. `{{Fn::ImportValue:Dev-data:...}}`.
 */
export function renderCfnString(value: unknown, placeholder: TokenPlaceholder = BRACES_PLACEHOLDER): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, unknown[]];
      return parts.map((part) => renderCfnString(part, placeholder)).join(separator);
    }
    return placeholder(describeToken(value as Record<string, unknown>, placeholder));
  }
  return String(value);
}

function describeToken(token: Record<string, unknown>, placeholder: TokenPlaceholder): string {
  const [fn, arg] = Object.entries(token)[0];
  if (fn === 'Ref') return `Ref:${arg}`;
  if (fn === 'Fn::GetAtt') return `GetAtt:${(arg as string[]).join('.')}`;
  if (fn === 'Fn::ImportValue') return `ImportValue:${renderCfnString(arg, placeholder)}`;
  return `${fn}`;
}

/** Every Kubernetes object applied through a KubernetesManifest (addManifest/addCdk8sChart) in the template. */
export function kubernetesObjects(template: Template): KubernetesObject[] {
  return Object.values(template.findResources(MANIFEST_TYPE)).flatMap((resource) => {
    const manifest = JSON.parse(renderCfnString(resource.Properties.Manifest)) as KubernetesObject[];
    return manifest;
  });
}

/** Every Helm release in the template (tokens in its values written with `placeholder`). */
export function helmReleases(template: Template, placeholder: TokenPlaceholder = BRACES_PLACEHOLDER): HelmRelease[] {
  return Object.entries(template.findResources(HELM_TYPE)).map(([logicalId, resource]) => {
    const p = resource.Properties;
    return {
      logicalId,
      chart: p.Chart,
      repository: p.Repository,
      version: p.Version,
      namespace: p.Namespace,
      release: p.Release,
      createNamespace: p.CreateNamespace ?? false,
      values: p.Values ? JSON.parse(renderCfnString(p.Values, placeholder)) : {},
      dependsOn: [resource.DependsOn ?? []].flat(),
    };
  });
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
 * from `@kubernetes-models/istio`, Argo Rollouts from `@kubernetes-models/argo-rollouts`.
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
  validateWith(require(modelModule(object.apiVersion)), object);
}

/**
 * The same check, loading the schema with `import()`: the model packages are ESM only, which
 * `require` reaches only under jest's resolver; scripts run through tsx use this one.
 */
export async function validateAgainstSchemaAsync(object: KubernetesObject): Promise<void> {
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
