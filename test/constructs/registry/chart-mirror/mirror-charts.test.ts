import { mirrorCharts, type MirrorEcrApi, type MirroredChartSpec, type MirrorTools } from '../../../../constructs/registry/chart-mirror/mirror-charts';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const ARGO: MirroredChartSpec = { chart: 'argo-rollouts', version: '2.41.0', sourceRepository: 'https://argoproj.github.io/argo-helm', repositoryName: 'ztp-dev/charts/argo-rollouts' };

/** An ECR holding `stored` (repository:tag -> chart archive digest) and a helm whose pulls download archives with `served` digests. */
function fakes(stored: Record<string, string>, served: Record<string, string>) {
  const calls: string[] = [];
  const ecr: MirrorEcrApi = {
    authorizationPassword: async () => 'secret-password',
    storedChartDigest: async (repository, tag) => stored[`${repository}:${tag}`],
  };
  const archives: Record<string, string> = {};
  const tools: MirrorTools = {
    tempDirectory: () => '/tmp/chart-x',
    sha256: async (file) => archives[file],
    helm: async (args, input) => {
      calls.push(`helm ${args.join(' ')}${input ? ` <<< ${input}` : ''}`);
      if (args[0] === 'pull') archives[`/tmp/chart-x/${args[1]}-${args[5]}.tgz`] = served[`${args[1]}@${args[5]}`];
      if (args[0] === 'push') {
        const chart = /\/([a-z0-9-]+)-(\d+\.\d+\.\d+)\.tgz$/.exec(args[1])!;
        stored[`${args[2].slice(`oci://${REGISTRY}/`.length)}/${chart[1]}:${chart[2]}`] = archives[args[1]];
      }
      return '';
    },
  };
  return { ecr, tools, calls, stored };
}

describe('mirrorCharts', () => {
  test('a new version: pulled from upstream, logged in once with the ECR password on stdin, pushed as OCI under <prefix>/charts', async () => {
    const istiod: MirroredChartSpec = { chart: 'istiod', version: '1.31.0', sourceRepository: 'https://blob.istio.io/istio-release/charts', repositoryName: 'ztp-dev/charts/istiod' };
    const { ecr, tools, calls } = fakes({}, { 'argo-rollouts@2.41.0': digest('a'), 'istiod@1.31.0': digest('b') });
    const results = await mirrorCharts(REGISTRY, [ARGO, istiod], ecr, tools);
    expect(results).toEqual([
      { chart: 'argo-rollouts', version: '2.41.0', outcome: 'pushed', archiveDigest: digest('a') },
      { chart: 'istiod', version: '1.31.0', outcome: 'pushed', archiveDigest: digest('b') },
    ]);
    expect(calls).toEqual([
      'helm pull argo-rollouts --repo https://argoproj.github.io/argo-helm --version 2.41.0 --destination /tmp/chart-x',
      `helm registry login ${REGISTRY} --username AWS --password-stdin <<< secret-password`,
      `helm push /tmp/chart-x/argo-rollouts-2.41.0.tgz oci://${REGISTRY}/ztp-dev/charts`,
      'helm pull istiod --repo https://blob.istio.io/istio-release/charts --version 1.31.0 --destination /tmp/chart-x',
      `helm push /tmp/chart-x/istiod-1.31.0.tgz oci://${REGISTRY}/ztp-dev/charts`,
    ]);
  });

  test('a version already in ECR is left as it is (immutable tag): nothing is pulled or pushed', async () => {
    const { ecr, tools, calls } = fakes({ 'ztp-dev/charts/argo-rollouts:2.41.0': digest('a') }, {});
    expect(await mirrorCharts(REGISTRY, [ARGO], ecr, tools)).toEqual([{ chart: 'argo-rollouts', version: '2.41.0', outcome: 'present', archiveDigest: digest('a') }]);
    expect(calls).toEqual([]);
  });

  test('a pinned digest: an archive upstream serves with another digest is refused, nothing is pushed', async () => {
    const { ecr, tools, calls } = fakes({}, { 'argo-rollouts@2.41.0': digest('c') });
    await expect(mirrorCharts(REGISTRY, [{ ...ARGO, archiveDigest: digest('a') }], ecr, tools))
      .rejects.toThrow(`argo-rollouts 2.41.0: https://argoproj.github.io/argo-helm served an archive with digest ${digest('c')}, not the pinned ${digest('a')}: not mirrored.`);
    expect(calls.filter((c) => !c.startsWith('helm pull'))).toEqual([]);
  });

  test('a pinned digest: what ECR already holds under the tag is checked too', async () => {
    const { ecr, tools } = fakes({ 'ztp-dev/charts/argo-rollouts:2.41.0': digest('c') }, {});
    await expect(mirrorCharts(REGISTRY, [{ ...ARGO, archiveDigest: digest('a') }], ecr, tools)).rejects.toThrow(/holds archive sha256:c+, not the pinned sha256:a+\. The tag is immutable/);
  });

  test('a pinned digest that matches is mirrored', async () => {
    const { ecr, tools } = fakes({}, { 'argo-rollouts@2.41.0': digest('a') });
    expect(await mirrorCharts(REGISTRY, [{ ...ARGO, archiveDigest: digest('a') }], ecr, tools)).toEqual([expect.objectContaining({ outcome: 'pushed', archiveDigest: digest('a') })]);
  });

  test('a push that leaves another archive under the tag fails', async () => {
    const { ecr, tools } = fakes({}, { 'argo-rollouts@2.41.0': digest('a') });
    const lying: MirrorTools = { ...tools, helm: async (args, input) => (args[0] === 'push' ? '' : tools.helm(args, input)) };
    await expect(mirrorCharts(REGISTRY, [ARGO], ecr, lying)).rejects.toThrow(/after the push .* holds nothing, not sha256:a+/);
  });

  test.each([
    [{ ...ARGO, sourceRepository: 'http://argoproj.github.io/argo-helm' }, /is not an https:\/\/ URL/],
    [{ ...ARGO, version: '2.x' }, /not an exact version/],
    [{ ...ARGO, repositoryName: 'ztp-dev/charts/other' }, /does not end in \/charts\/argo-rollouts/],
    [{ ...ARGO, archiveDigest: 'sha256:xyz' }, /is not sha256:<64 hex>/],
  ])('a spec it must not act on is refused before anything runs: %o', async (spec, message) => {
    const { ecr, tools, calls } = fakes({}, {});
    await expect(mirrorCharts(REGISTRY, [spec], ecr, tools)).rejects.toThrow(message);
    expect(calls).toEqual([]);
  });
});
