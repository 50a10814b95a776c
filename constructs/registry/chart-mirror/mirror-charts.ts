/**
 * What the chart mirror does, apart from the AWS SDK and the helm binary (both passed in, so tests
 * run it with fakes): copy each pinned Helm chart version from its upstream repository into its
 * private ECR repository once, and verify it against its pinned archive digest when there is one.
 */

/** One chart version to mirror, as the `ChartMirror` construct writes it into the custom resource. */
export interface MirroredChartSpec {
  /** Chart name, e.g. `istiod`. */
  readonly chart: string;
  /** Exact chart version, e.g. `1.31.0`: the tag in ECR. */
  readonly version: string;
  /** The upstream HTTPS Helm repository, e.g. `https://blob.istio.io/istio-release/charts`. */
  readonly sourceRepository: string;
  /** The ECR repository the chart is pushed to: `<prefix>/charts/<chart>`. */
  readonly repositoryName: string;
  /**
   * `sha256:` digest of the chart archive (`<chart>-<version>.tgz`, the `digest` of the upstream
   * index, the chart layer of the OCI artifact).
   * @default - trusted on first mirror, then frozen by the repository's immutable tags
   */
  readonly archiveDigest?: string;
}

/** The ECR calls the mirror makes. */
export interface MirrorEcrApi {
  /** The password for `helm registry login --username AWS` (ECR GetAuthorizationToken). */
  authorizationPassword(): Promise<string>;
  /** The digest of the chart layer stored under `tag`, or undefined when the tag is not there. */
  storedChartDigest(repositoryName: string, tag: string): Promise<string | undefined>;
}

/** The local tools the mirror runs. */
export interface MirrorTools {
  /** Runs helm with `args` (and `input` on stdin); resolves with its output, rejects on a non-zero exit. */
  helm(args: readonly string[], input?: string): Promise<string>;
  /** `sha256:<hex>` of a file. */
  sha256(file: string): Promise<string>;
  /** A new empty directory. */
  tempDirectory(): string;
}

/** What happened to one chart. */
export interface MirrorResult {
  readonly chart: string;
  readonly version: string;
  /** `present`: already in ECR (immutable tag, left as is); `pushed`: copied now. */
  readonly outcome: 'present' | 'pushed';
  /** `sha256:` digest of the chart archive in ECR. */
  readonly archiveDigest: string;
}

const CHART_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const EXACT_VERSION = /^v?\d+\.\d+\.\d+$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HTTPS_URL = /^https:\/\/[^\s/$.?#].[^\s]*$/;

/** Throws on a spec the mirror must not act on (the construct validates the same at synth). */
export function checkSpec(spec: MirroredChartSpec): void {
  const where = `chart ${JSON.stringify(spec.chart)} ${JSON.stringify(spec.version)}`;
  if (!CHART_NAME.test(spec.chart)) throw new Error(`${where}: not a chart name`);
  if (!EXACT_VERSION.test(spec.version)) throw new Error(`${where}: not an exact version`);
  if (!HTTPS_URL.test(spec.sourceRepository)) throw new Error(`${where}: source repository ${JSON.stringify(spec.sourceRepository)} is not an https:// URL`);
  if (!spec.repositoryName.endsWith(`/charts/${spec.chart}`)) throw new Error(`${where}: repository ${JSON.stringify(spec.repositoryName)} does not end in /charts/${spec.chart}`);
  if (spec.archiveDigest !== undefined && !DIGEST.test(spec.archiveDigest)) throw new Error(`${where}: archive digest ${JSON.stringify(spec.archiveDigest)} is not sha256:<64 hex>`);
}

/**
 * Mirrors each chart version into `registry` (`<account>.dkr.ecr.<region>.<suffix>`), one after
 * the other. A version already in ECR is left alone (its tag is immutable) but checked against its
 * pin; a new one is pulled from upstream, checked against its pin, and pushed as an OCI artifact.
 * Any mismatch or failure throws, failing the deployment before a chart is installed from ECR.
 */
export async function mirrorCharts(registry: string, specs: readonly MirroredChartSpec[], ecr: MirrorEcrApi, tools: MirrorTools): Promise<MirrorResult[]> {
  specs.forEach(checkSpec);
  let loggedIn = false;
  const results: MirrorResult[] = [];
  for (const spec of specs) {
    const where = `${spec.chart} ${spec.version}`;
    const stored = await ecr.storedChartDigest(spec.repositoryName, spec.version);
    if (stored !== undefined) {
      if (spec.archiveDigest !== undefined && stored !== spec.archiveDigest) {
        throw new Error(`${where}: ${registry}/${spec.repositoryName}:${spec.version} holds archive ${stored}, not the pinned ${spec.archiveDigest}. `
          + 'The tag is immutable: check which one upstream published, then correct the pin (or delete the image from ECR to mirror it again).');
      }
      results.push({ chart: spec.chart, version: spec.version, outcome: 'present', archiveDigest: stored });
      continue;
    }
    const directory = tools.tempDirectory();
    await tools.helm(['pull', spec.chart, '--repo', spec.sourceRepository, '--version', spec.version, '--destination', directory]);
    const archive = `${directory}/${spec.chart}-${spec.version}.tgz`;
    const digest = await tools.sha256(archive);
    if (spec.archiveDigest !== undefined && digest !== spec.archiveDigest) {
      throw new Error(`${where}: ${spec.sourceRepository} served an archive with digest ${digest}, not the pinned ${spec.archiveDigest}: not mirrored.`);
    }
    if (!loggedIn) {
      await tools.helm(['registry', 'login', registry, '--username', 'AWS', '--password-stdin'], await ecr.authorizationPassword());
      loggedIn = true;
    }
    const target = `oci://${registry}/${spec.repositoryName.slice(0, spec.repositoryName.lastIndexOf('/'))}`;
    await tools.helm(['push', archive, target]);
    const pushed = await ecr.storedChartDigest(spec.repositoryName, spec.version);
    if (pushed !== digest) throw new Error(`${where}: after the push ${registry}/${spec.repositoryName}:${spec.version} holds ${pushed ?? 'nothing'}, not ${digest}.`);
    results.push({ chart: spec.chart, version: spec.version, outcome: 'pushed', archiveDigest: digest });
  }
  return results;
}
