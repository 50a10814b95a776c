import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as it will be applied: parsed from a synthesized template or a chart render. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly [key: string]: any;
}

/** A Helm release as the template installs it. */
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

/** The CloudFormation type of the resource that applies Kubernetes manifests (`KubernetesManifest`). */
export const KUBERNETES_MANIFEST_TYPE = 'Custom::AWSCDK-EKS-KubernetesResource';
/** The CloudFormation type of the resource that installs a Helm chart (`HelmChart`). */
export const HELM_CHART_TYPE = 'Custom::AWSCDK-EKS-HelmChart';

/** A template's resources, as in a synthesized `*.template.json`. */
export interface TemplateResources {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, any>; readonly DependsOn?: string | string[] }>;
}

/** How a deploy-time token is written into rendered text, given its description (`Ref:X`). */
export type TokenPlaceholder = (description: string) => string;

/** `{{Ref:X}}`: readable in manifests read back by tests and reviewers. */
export const BRACES_PLACEHOLDER: TokenPlaceholder = (description) => `{{${description}}}`;
/** `${Ref:X}`: for Helm values, whose charts may pass strings through `tpl` (which parses `{{`). */
export const HELM_SAFE_PLACEHOLDER: TokenPlaceholder = (description) => `\${${description}}`;

/**
 * Renders a CloudFormation string value (a literal or an `Fn::Join`) with every deploy-time
 * token replaced by a readable placeholder, e.g. `{{ImportValue:Dev-data:...}}`.
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

/** The objects of a manifest resource's `Manifest` property (a JSON array, tokens as placeholders). */
export function manifestObjects(manifest: unknown): KubernetesObject[] {
  return JSON.parse(renderCfnString(manifest)) as KubernetesObject[];
}

/** Every Kubernetes object the template applies through its manifest resources, in template order. */
export function templateKubernetesObjects(template: TemplateResources): KubernetesObject[] {
  return Object.values(template.Resources ?? {})
    .filter((resource) => resource.Type === KUBERNETES_MANIFEST_TYPE)
    .flatMap((resource) => manifestObjects(resource.Properties?.Manifest));
}

/** The Helm release a HelmChart resource installs (tokens in its values written with `placeholder`). */
export function helmReleaseOf(logicalId: string, properties: Record<string, any>, dependsOn?: string | string[], placeholder: TokenPlaceholder = BRACES_PLACEHOLDER): HelmRelease {
  return {
    logicalId,
    chart: properties.Chart,
    // A literal URL, or (an ECR mirror) a join of the account, region and URL suffix.
    repository: properties.Repository === undefined ? properties.Repository : renderCfnString(properties.Repository, placeholder),
    version: properties.Version,
    namespace: properties.Namespace,
    release: properties.Release,
    createNamespace: properties.CreateNamespace ?? false,
    values: properties.Values ? JSON.parse(renderCfnString(properties.Values, placeholder)) : {},
    dependsOn: [dependsOn ?? []].flat(),
  };
}

/** Every Helm release the template installs, in template order. */
export function templateHelmReleases(template: TemplateResources, placeholder: TokenPlaceholder = BRACES_PLACEHOLDER): HelmRelease[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === HELM_CHART_TYPE)
    .map(([logicalId, resource]) => helmReleaseOf(logicalId, resource.Properties ?? {}, resource.DependsOn, placeholder));
}

/**
 * The objects of a multi-document YAML stream (`helm template` output), empty documents dropped
 * and `v1 List`s flattened into their items, as Helm's Kubernetes client does before applying.
 */
export function parseKubernetesYaml(text: string): KubernetesObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}`);
    const value = doc.toJS() as KubernetesObject | null;
    if (!value) return [];
    return value.apiVersion === 'v1' && value.kind === 'List' ? (value.items as KubernetesObject[]) : [value];
  });
}
