import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { renderCfnString } from '../../../constructs/compliance/evidence/kubernetes-objects';
import { ChartMirror } from '../../../constructs/registry/chart-mirror';
import type { MirroredChartSpec } from '../../../constructs/registry/chart-mirror/mirror-charts';
import { helmReleases, HELM_SAFE_PLACEHOLDER, kubernetesObjects, type HelmRelease, type KubernetesObject } from '../manifests';
import { podSecurityViolations, podTemplateSpec, type PodSecurityLevel } from '../pod-security';
import { helmTemplate, KUBERNETES_VERSION } from './helm';
import { CrdSchemas, schemaProblem } from './object-schemas';
import { loadUpstreamCharts, publishedChart, UPSTREAM_DIR, type UpstreamChart } from './upstream';
import { unknownValueKeys } from './values-keys';
import { Template } from 'aws-cdk-lib/assertions';

/** One Helm release of a synthesized template, rendered as the kubectl handler would install it. */
export interface RenderedChart {
  /** The cloud assembly folder (a stage) and template file, relative to the assembly root. */
  readonly template: string;
  readonly release: HelmRelease;
  /** The upstream source rendered, when upstream publishes the pinned version. */
  readonly upstream?: UpstreamChart;
  /**
   * For a chart installed from a private registry (`oci://...`): the upstream repository the
   * stage's chart mirror copies that version from, which is checked as the source.
   */
  readonly mirroredFrom?: string;
  readonly objects: KubernetesObject[];
  /** Everything Kubernetes or the chart would refuse, or that Helm would silently ignore. */
  readonly problems: string[];
}

/** A stage's Pod Security level per namespace, from the Namespace objects its templates apply. */
export function namespaceLevels(objects: readonly KubernetesObject[]): Map<string, PodSecurityLevel> {
  const levels = new Map<string, PodSecurityLevel>();
  for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
    levels.set(ns.metadata.name, (ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] ?? 'privileged') as PodSecurityLevel);
  }
  return levels;
}

const IMAGE_VERSION_TAG = /^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?$/;

/** Why an image reference is not pinned to a release (undefined when it is). */
export function imagePinProblem(image: string, upstreamDigests: readonly string[] = []): string | undefined {
  const [reference, digest] = image.split('@');
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const tag = colon > lastSlash ? reference.slice(colon + 1) : undefined;
  const repository = colon > lastSlash ? reference.slice(0, colon) : reference;
  const published = upstreamDigests.find((d) => d.startsWith(`${repository}@`));
  if (published && `${repository}@${digest}` !== published) return `image ${image} is not pinned to the digest upstream publishes (${published})`;
  if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  if (!tag || !IMAGE_VERSION_TAG.test(tag)) return `image ${image} is not pinned to a version (tag "${tag ?? ''}"): use an exact release tag or a digest`;
  return undefined;
}

/** Digests (`repository@sha256:...`) the chart's own defaults pin. */
function upstreamDigests(chartDirectory: string): string[] {
  const text = fs.readFileSync(path.join(chartDirectory, 'values.yaml'), 'utf8');
  return [...text.matchAll(/([\w.-]+(?:\/[\w.-]+)+)@(sha256:[0-9a-f]{64})/g)].map((m) => `${m[1]}@${m[2]}`);
}

function templatesOf(assemblyDirectory: string): string[] {
  return fs.readdirSync(assemblyDirectory, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.template.json')).sort();
}

/**
 * What the stage's chart mirrors (`Custom::HelmChartMirror`) copy: `oci://<registry>/<repository>`
 * and version -> the upstream repository, tokens written as in the releases' values.
 */
function stageMirrors(templates: readonly Template[]): Map<string, string> {
  const mirrors = new Map<string, string>();
  for (const template of templates) {
    for (const mirror of Object.values(template.findResources(ChartMirror.RESOURCE_TYPE))) {
      const registry = renderCfnString(mirror.Properties.Registry, HELM_SAFE_PLACEHOLDER);
      for (const spec of JSON.parse(mirror.Properties.Charts) as MirroredChartSpec[]) {
        mirrors.set(`oci://${registry}/${spec.repositoryName}@${spec.version}`, spec.sourceRepository);
      }
    }
  }
  return mirrors;
}

function renderRelease(template: string, release: HelmRelease, charts: readonly UpstreamChart[], mirrors: ReadonlyMap<string, string>): RenderedChart {
  let mirroredFrom: string | undefined;
  if (release.repository.startsWith('oci://')) {
    mirroredFrom = mirrors.get(`${release.repository}@${release.version}`);
    if (mirroredFrom === undefined) {
      return { template, release, objects: [], problems: [`chart ${release.chart} ${release.version} is installed from ${release.repository}, which no chart mirror of the stage fills (nothing would be there to install)`] };
    }
  }
  const found = publishedChart(charts, { ...release, repository: mirroredFrom ?? release.repository });
  if ('problem' in found) return { template, release, mirroredFrom, objects: [], problems: [found.problem] };
  const upstream = found.chart;
  const problems = unknownValueKeys(release.values, upstream.folder).map((key) => `values key "${key}" does not exist in chart ${upstream.chart} ${upstream.version} (Helm would ignore it silently)`);
  try {
    const objects = helmTemplate({ release: release.release, chartDirectory: upstream.folder, namespace: release.namespace, values: release.values });
    return { template, release, upstream, mirroredFrom, objects, problems };
  } catch (error) {
    return { template, release, upstream, mirroredFrom, objects: [], problems: [...problems, (error as Error).message] };
  }
}

/**
 * Renders every HelmChart of every template in a cloud assembly (stages included) with the
 * kubectl layer's Helm, the upstream source of the pinned version and the template's exact values
 * (deploy-time tokens as `${...}` placeholders), and checks what would reach the cluster: the
 * version is published where the template fetches it, every values key exists, every object
 * matches its Kubernetes 1.36 or CRD schema, every pod passes its namespace's Pod Security level,
 * every image is pinned.
 */
export async function renderAssemblyCharts(assemblyDirectory: string, upstreamDirectory = UPSTREAM_DIR): Promise<RenderedChart[]> {
  const charts = loadUpstreamCharts(upstreamDirectory);
  const files = templatesOf(assemblyDirectory);
  const byStage = new Map<string, string[]>();
  for (const file of files) byStage.set(path.dirname(file), [...(byStage.get(path.dirname(file)) ?? []), file]);

  const rendered: RenderedChart[] = [];
  for (const stageFiles of byStage.values()) {
    const templates = stageFiles.map((file) => [file, Template.fromJSON(JSON.parse(fs.readFileSync(path.join(assemblyDirectory, file), 'utf8')))] as const);
    const stageObjects = templates.flatMap(([, t]) => kubernetesObjects(t));
    const mirrors = stageMirrors(templates.map(([, t]) => t));
    const stageCharts = templates.flatMap(([file, t]) => helmReleases(t, HELM_SAFE_PLACEHOLDER).map((release) => renderRelease(file, release, charts, mirrors)));
    const levels = namespaceLevels(stageObjects);
    const crds = new CrdSchemas();
    for (const object of stageCharts.flatMap((c) => c.objects).filter((o) => o.kind === 'CustomResourceDefinition')) crds.add(object);
    for (const chart of stageCharts) {
      const digests = chart.upstream ? upstreamDigests(chart.upstream.folder) : [];
      for (const object of chart.objects) {
        const schema = await schemaProblem(object, crds);
        if (schema) chart.problems.push(schema);
        const pod = podTemplateSpec(object);
        if (!pod) continue;
        const where = `${object.kind} "${object.metadata.name}"`;
        const ns = object.metadata.namespace ?? chart.release.namespace;
        const level = levels.get(ns) ?? 'privileged';
        const annotations = object.spec?.template?.metadata?.annotations ?? {};
        for (const violation of podSecurityViolations(pod, level, annotations)) chart.problems.push(`${where} in namespace ${ns} (Pod Security "${level}") would be rejected: ${violation}`);
        const injected = object.spec?.template?.metadata?.annotations?.['inject.istio.io/templates'];
        for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
          // Istio's gateway chart asks istiod's injector for the proxy image (`image: auto`); that
          // image, like every sidecar's, is the injector's `global.hub`/`global.tag`, checked on istiod.
          if (container.image === 'auto' && injected) continue;
          const problem = imagePinProblem(container.image, digests);
          if (problem) chart.problems.push(`${where}: ${problem}`);
        }
      }
      rendered.push(chart);
    }
  }
  return rendered;
}

/** Objects per kind, e.g. `{ Deployment: 1, Service: 2 }`. */
export function kindCounts(objects: readonly KubernetesObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Keeps the renders for review and for the evidence pack: `<out>/<stage folder>/<release>.yaml`
 * (the objects as Helm renders them) and `<out>/index.json` (what was rendered from where, object
 * counts by kind, problems).
 */
export function writeRenderedCharts(rendered: readonly RenderedChart[], outDirectory: string): void {
  fs.rmSync(outDirectory, { recursive: true, force: true });
  const index = rendered.map((chart) => {
    const stage = path.dirname(chart.template) === '.' ? 'root' : path.dirname(chart.template);
    const file = path.join(stage, `${chart.release.release}.yaml`);
    fs.mkdirSync(path.join(outDirectory, stage), { recursive: true });
    fs.writeFileSync(path.join(outDirectory, file), chart.objects.map((o) => stringify(o)).join('---\n'));
    return {
      template: chart.template,
      logicalId: chart.release.logicalId,
      release: chart.release.release,
      namespace: chart.release.namespace,
      chart: chart.release.chart,
      version: chart.release.version,
      repository: chart.release.repository,
      mirroredFrom: chart.mirroredFrom,
      upstreamSource: chart.upstream?.source,
      kubernetesVersion: KUBERNETES_VERSION,
      rendered: file,
      objects: chart.objects.length,
      kinds: kindCounts(chart.objects),
      problems: chart.problems,
    };
  });
  fs.writeFileSync(path.join(outDirectory, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
}
