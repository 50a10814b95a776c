/**
 * Custom-resource handler (invoked by the CDK provider framework) of `ChartMirror`: copies the
 * pinned Helm charts from their upstream HTTPS repositories into private ECR repositories as OCI
 * artifacts (`mirror-charts.ts`), with the helm binary of the Lambda layer (`/opt/helm/helm`).
 * It runs outside the VPC, during deployments only: the cluster's VPC has no route to the
 * internet, and the kubectl handler installs the charts from ECR. Delete removes nothing: the
 * repositories (and what they hold) belong to the stack.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mirrorCharts, type MirrorEcrApi, type MirroredChartSpec, type MirrorTools } from './mirror-charts';

/** Resource properties set by the `ChartMirror` construct. */
interface ChartMirrorProperties {
  /** `<account>.dkr.ecr.<region>.<suffix>`. */
  readonly Registry: string;
  /** JSON array of `MirroredChartSpec`. */
  readonly Charts: string;
}

interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: ChartMirrorProperties;
}

interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** The helm binary of the kubectl layer. */
const HELM = '/opt/helm/helm';
/** Helm keeps its cache, config and registry login here (the rest of the filesystem is read-only). */
const HELM_HOME = '/tmp/helm';
/** The media type of a Helm chart's content layer in an OCI artifact. */
const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/** The part of `@aws-sdk/client-ecr` the mirror uses (the Lambda runtime provides the package). */
interface EcrSdk {
  ECRClient: new (config: object) => { send(command: object): Promise<any> };
  GetAuthorizationTokenCommand: new (input: object) => object;
  BatchGetImageCommand: new (input: object) => object;
}

function ecrApi(): MirrorEcrApi {
  // Resolved at run time from the Lambda runtime's AWS SDK v3 (left out of the bundle).
  const sdk = require('@aws-sdk/client-ecr') as EcrSdk;
  const client = new sdk.ECRClient({});
  return {
    async authorizationPassword() {
      const response = await client.send(new sdk.GetAuthorizationTokenCommand({}));
      const token: string | undefined = response.authorizationData?.[0]?.authorizationToken;
      if (!token) throw new Error('ECR returned no authorization token');
      return Buffer.from(token, 'base64').toString('utf8').replace(/^AWS:/, '');
    },
    async storedChartDigest(repositoryName, tag) {
      const response = await client.send(new sdk.BatchGetImageCommand({
        repositoryName,
        imageIds: [{ imageTag: tag }],
        acceptedMediaTypes: ['application/vnd.oci.image.manifest.v1+json'],
      }));
      const manifest: string | undefined = response.images?.[0]?.imageManifest;
      if (!manifest) return undefined;
      const layers: { mediaType?: string; digest?: string }[] = JSON.parse(manifest).layers ?? [];
      const chart = layers.find((layer) => layer.mediaType === HELM_CHART_LAYER);
      if (!chart?.digest) throw new Error(`${repositoryName}:${tag} is not a Helm chart (no ${HELM_CHART_LAYER} layer)`);
      return chart.digest;
    },
  };
}

const tools: MirrorTools = {
  helm: (args, input) => new Promise((resolve, reject) => {
    const child = spawn(HELM, [...args], {
      env: { ...process.env, HOME: HELM_HOME, HELM_CACHE_HOME: `${HELM_HOME}/cache`, HELM_CONFIG_HOME: `${HELM_HOME}/config`, HELM_DATA_HOME: `${HELM_HOME}/data` },
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`helm ${args[0]} ${args[1] ?? ''} failed (exit ${code}): ${output.trim()}`))));
    child.stdin.end(input ?? '');
  }),
  sha256: (file) => new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolve(`sha256:${hash.digest('hex')}`));
  }),
  tempDirectory: () => mkdtempSync(join(tmpdir(), 'chart-')),
};

export async function handler(event: CustomResourceEvent): Promise<CustomResourceResponse> {
  const { Registry: registry, Charts: charts } = event.ResourceProperties;
  const physicalResourceId = `${registry}/charts`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? physicalResourceId };
  const specs = JSON.parse(charts) as MirroredChartSpec[];
  const results = await mirrorCharts(registry, specs, ecrApi(), tools);
  for (const result of results) console.log(JSON.stringify(result));
  return { PhysicalResourceId: physicalResourceId };
}
