import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChartMirror } from '../../constructs/registry/chart-mirror';
import type { MirroredChartSpec } from '../../constructs/registry/chart-mirror/mirror-charts';
import { podSecurityViolations } from '../support/pod-security';
import { imagePinProblem, renderAssemblyCharts, type RenderedChart } from '../support/charts/render-charts';
import { loadUpstreamCharts, publishedChart, upstreamSkipReason, UPSTREAM_DIR } from '../support/charts/upstream';
import { passThroughPaths, templateValuePaths, unknownValueKeys } from '../support/charts/values-keys';

/**
 * The chart checks are only as good as their ability to fail: each mistake they exist for, made
 * on purpose in a small synthesized template, must be reported.
 */
const skipped = upstreamSkipReason();
if (skipped) {
  test.skip(skipped, () => undefined);
  console.warn(skipped);
}

const ISTIO = 'https://blob.istio.io/istio-release/charts';
const ARGO = 'https://argoproj.github.io/argo-helm';
const chartDirectory = (folder: string) => path.join(UPSTREAM_DIR, 'charts', folder);

interface ReleaseSpec { chart: string; version: string; repository: string; namespace: string; values?: Record<string, unknown> }

/** A private registry's chart mirror in the template: `oci://<registry>/<repositoryName>` holds each version. */
interface MirrorSpec { registry: string; charts: MirroredChartSpec[] }

/** Synthesizes a template holding the given namespaces, Helm releases and chart mirror, and renders it. */
async function renderReleases(releases: Record<string, ReleaseSpec>, namespaces: Record<string, string> = {}, mirror?: MirrorSpec): Promise<Record<string, RenderedChart>> {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-charts-')) });
  const stack = new Stack(app, 'Charts');
  new CfnResource(stack, 'Namespaces', {
    type: 'Custom::AWSCDK-EKS-KubernetesResource',
    properties: {
      Manifest: JSON.stringify(Object.entries(namespaces).map(([name, level]) => ({
        apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': level } },
      }))),
    },
  });
  if (mirror) {
    new CfnResource(stack, 'ChartMirror', { type: ChartMirror.RESOURCE_TYPE, properties: { Registry: mirror.registry, Charts: JSON.stringify(mirror.charts) } });
  }
  for (const [release, spec] of Object.entries(releases)) {
    new CfnResource(stack, release, {
      type: 'Custom::AWSCDK-EKS-HelmChart',
      properties: { Chart: spec.chart, Version: spec.version, Repository: spec.repository, Namespace: spec.namespace, Release: release, Values: JSON.stringify(spec.values ?? {}) },
    });
  }
  const rendered = await renderAssemblyCharts(app.synth().directory);
  return Object.fromEntries(rendered.map((r) => [r.release.release, r]));
}

(skipped ? describe.skip : describe)('chart checks fail on the mistakes they exist for', () => {
  let rendered: Record<string, RenderedChart>;

  beforeAll(async () => {
    rendered = await renderReleases({
      'old-location': { chart: 'istiod', version: '1.31.0', repository: 'https://istio-release.storage.googleapis.com/charts', namespace: 'istio-system' },
      'unread-version': { chart: 'argo-rollouts', version: '2.41.1', repository: ARGO, namespace: 'argo-rollouts' },
      'legacy-prefix': { chart: 'istiod', version: '1.31.0', repository: ISTIO, namespace: 'istio-system', values: { pilot: { autoscaleMin: 2 } } },
      'misspelt-key': { chart: 'argo-rollouts', version: '2.41.0', repository: ARGO, namespace: 'argo-rollouts', values: { controller: { replica: 2 } } },
      'cni-in-restricted': { chart: 'cni', version: '1.31.0', repository: ISTIO, namespace: 'apps' },
      'latest-image': { chart: 'argo-rollouts', version: '2.41.0', repository: ARGO, namespace: 'argo-rollouts', values: { controller: { image: { tag: 'latest' } } } },
      'values-schema': { chart: 'gateway', version: '1.31.0', repository: ISTIO, namespace: 'istio-ingress', values: { kind: 'StatefulSet' } },
      clean: { chart: 'argo-rollouts', version: '2.41.0', repository: ARGO, namespace: 'argo-rollouts', values: { controller: { replicas: 2 } } },
    }, { apps: 'restricted' });
  });

  test('a chart repository upstream no longer publishes from', () => {
    expect(rendered['old-location'].problems).toEqual([
      'chart istiod 1.31.0 is not published at https://istio-release.storage.googleapis.com/charts (upstream publishes it at https://blob.istio.io/istio-release/charts)',
    ]);
  });

  test('a chart version upstream does not publish', () => {
    expect(rendered['unread-version'].problems).toEqual([
      'chart argo-rollouts 2.41.1 is not a version upstream publishes (upstream snapshot has: 2.41.0 at https://argoproj.github.io/argo-helm)',
    ]);
  });

  test('a values key the chart does not document (Helm would ignore it)', () => {
    expect(rendered['legacy-prefix'].problems).toEqual(['values key "pilot" does not exist in chart istiod 1.31.0 (Helm would ignore it silently)']);
    expect(rendered['misspelt-key'].problems).toEqual(['values key "controller.replica" does not exist in chart argo-rollouts 2.41.0 (Helm would ignore it silently)']);
  });

  test('a values file the chart\'s values.schema.json refuses fails the render (Helm validates it)', () => {
    expect(rendered['values-schema'].problems).toEqual([expect.stringMatching(/^helm template values-schema failed: .*kind/s)]);
  });

  test('a rendered pod its namespace\'s Pod Security level would reject', () => {
    const problems = rendered['cni-in-restricted'].problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems).toContainEqual('DaemonSet "istio-cni-node" in namespace apps (Pod Security "restricted") would be rejected: volume cni-bin-dir: hostPath');
    expect(problems.every((p) => p.startsWith('DaemonSet "istio-cni-node" in namespace apps (Pod Security "restricted") would be rejected: '))).toBe(true);
  });

  test('an image not pinned to a version', () => {
    expect(rendered['latest-image'].problems).toEqual([
      'Deployment "latest-image-argo-rollouts": image quay.io/argoproj/argo-rollouts:latest is not pinned to a version (tag "latest"): use an exact release tag or a digest',
    ]);
  });

  test('and a correct release renders with no problem', () => {
    expect(rendered.clean.problems).toEqual([]);
    expect(rendered.clean.objects.map((o) => o.kind)).toContain('Deployment');
  });
});

(skipped ? describe.skip : describe)('charts from a private registry are checked against what its mirror copies', () => {
  const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const oci = (chart: string) => `oci://${REGISTRY}/ztp-dev/charts/${chart}`;
  let rendered: Record<string, RenderedChart>;

  beforeAll(async () => {
    rendered = await renderReleases({
      'mirrored': { chart: 'argo-rollouts', version: '2.41.0', repository: oci('argo-rollouts'), namespace: 'argo-rollouts', values: { controller: { replicas: 2 } } },
      'not-mirrored': { chart: 'gateway', version: '1.31.0', repository: oci('gateway'), namespace: 'istio-ingress' },
      'mirrored-from-the-old-location': { chart: 'istiod', version: '1.31.0', repository: oci('istiod'), namespace: 'istio-system' },
    }, {}, {
      registry: REGISTRY,
      charts: [
        { chart: 'argo-rollouts', version: '2.41.0', sourceRepository: ARGO, repositoryName: 'ztp-dev/charts/argo-rollouts' },
        { chart: 'istiod', version: '1.31.0', sourceRepository: 'https://istio-release.storage.googleapis.com/charts', repositoryName: 'ztp-dev/charts/istiod' },
      ],
    });
  });

  test('a chart installed from the mirror renders the upstream source of the version the mirror copies', () => {
    expect(rendered.mirrored).toMatchObject({ mirroredFrom: ARGO, problems: [] });
    expect(rendered.mirrored.objects.map((o) => o.kind)).toContain('Deployment');
  });

  test('a chart installed from an ECR repository no mirror fills', () => {
    expect(rendered['not-mirrored'].problems).toEqual([
      `chart gateway 1.31.0 is installed from ${oci('gateway')}, which no chart mirror of the stage fills (nothing would be there to install)`,
    ]);
  });

  test('a mirror copying from where upstream does not publish', () => {
    expect(rendered['mirrored-from-the-old-location'].problems).toEqual([
      'chart istiod 1.31.0 is not published at https://istio-release.storage.googleapis.com/charts (upstream publishes it at https://blob.istio.io/istio-release/charts)',
    ]);
  });
});

(skipped ? describe.skip : describe)('chart check building blocks', () => {
  test('published versions come from upstream\'s sources.json', () => {
    const charts = loadUpstreamCharts();
    expect(publishedChart(charts, { chart: 'gateway', version: '1.31.0', repository: `${ISTIO}/` })).toMatchObject({ chart: { chart: 'gateway', version: '1.31.0' } });
    expect(publishedChart(charts, { chart: 'nope', version: '1.0.0', repository: ISTIO })).toEqual({ problem: 'chart nope 1.0.0 is not a version upstream publishes (upstream snapshot has: none)' });
  });

  test('values keys: documented, free-form maps and pass-through blocks are known; others are not', () => {
    const argo = chartDirectory('argo-rollouts-2.41.0');
    // podAnnotations defaults to {} (free-form); podSecurityContext is handed whole to the pod spec.
    expect(unknownValueKeys({ podAnnotations: { any: 'x' }, podSecurityContext: { runAsUser: 999 }, controller: { replicas: 2 } }, argo)).toEqual([]);
    expect(passThroughPaths(argo)).toEqual(expect.arrayContaining(['podSecurityContext', 'containerSecurityContext', 'controller.resources']));
    expect(unknownValueKeys({ controller: { pdb: { enabled: true, maxUnavailabel: 1 } } }, argo)).toEqual(['controller.pdb.maxUnavailabel']);
    // Istio's wrapped defaults count as top-level keys; its values.schema.json keys too.
    expect(unknownValueKeys({ autoscaleMin: 2, meshConfig: { anything: true } }, chartDirectory('istio-1.31/istiod'))).toEqual([]);
    expect(unknownValueKeys({ autoscaling: { enabled: true, minReplica: 2 } }, chartDirectory('istio-1.31/gateway'))).toEqual(['autoscaling.minReplica']);
    // Keys a template reads are known even where values.yaml only mentions them in a comment; a typo of one is not.
    const fluentBit = chartDirectory('aws-for-fluent-bit-0.2.0');
    expect(templateValuePaths(fluentBit)).toEqual(expect.arrayContaining(['priorityClassName', 'additionalOutputs', 'cloudWatchLogs.extraOutputs']));
    expect(unknownValueKeys({ priorityClassName: 'system-node-critical', additionalOutputs: '', cloudWatchLogs: { extraOutputs: '' } }, fluentBit)).toEqual([]);
    expect(unknownValueKeys({ priorityClassNam: 'system-node-critical', cloudWatchLogs: { extraOutput: '' } }, fluentBit)).toEqual(['priorityClassNam', 'cloudWatchLogs.extraOutput']);
  });

  test('values keys: a key the schema declares by pattern is known, and checked against that pattern\'s schema', () => {
    const collector = chartDirectory('opentelemetry-collector-0.170.0');
    expect(unknownValueKeys({ ports: { 'otlp-http': { enabled: true, appProtocol: 'http' }, 'otlp': { enabled: true, appProtocl: 'grpc' } } }, collector)).toEqual(['ports.otlp.appProtocl']);
  });

  test.each([
    ['docker.io/istio/pilot:1.31.0', undefined],
    ['public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0', undefined],
    [`quay.io/argoproj/argo-rollouts@sha256:${'a'.repeat(64)}`, undefined],
    ['registry.local:5000/team/app:1.2.3-distroless', undefined],
    ['quay.io/argoproj/argo-rollouts', 'image quay.io/argoproj/argo-rollouts is not pinned to a version (tag ""): use an exact release tag or a digest'],
    ['registry.local:5000/team/app', 'image registry.local:5000/team/app is not pinned to a version (tag ""): use an exact release tag or a digest'],
    ['docker.io/istio/pilot:1.31', 'image docker.io/istio/pilot:1.31 is not pinned to a version (tag "1.31"): use an exact release tag or a digest'],
    ['docker.io/istio/pilot:stable', 'image docker.io/istio/pilot:stable is not pinned to a version (tag "stable"): use an exact release tag or a digest'],
  ])('image %s', (image, problem) => {
    expect(imagePinProblem(image)).toBe(problem);
  });

  test('an image whose digest upstream publishes must carry that digest', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    expect(imagePinProblem('ghcr.io/x/y:1.0.0', [`ghcr.io/x/y@${digest}`])).toBe(`image ghcr.io/x/y:1.0.0 is not pinned to the digest upstream publishes (ghcr.io/x/y@${digest})`);
    expect(imagePinProblem(`ghcr.io/x/y:1.0.0@${digest}`, [`ghcr.io/x/y@${digest}`])).toBeUndefined();
  });

  test('Pod Security levels: privileged admits all, baseline refuses host access, restricted also refuses root', () => {
    const hostPod = { hostNetwork: true, containers: [{ name: 'c', image: 'i', securityContext: { capabilities: { add: ['NET_ADMIN'] } } }] };
    const rootPod = { containers: [{ name: 'c', image: 'i' }] };
    expect(podSecurityViolations(hostPod, 'privileged')).toEqual([]);
    expect(podSecurityViolations(hostPod, 'baseline')).toEqual(['pod: host namespaces', 'c: adds capabilities NET_ADMIN']);
    expect(podSecurityViolations(rootPod, 'baseline')).toEqual([]);
    expect(podSecurityViolations(rootPod, 'restricted')).toEqual([
      'c: allowPrivilegeEscalation must be false', 'c: runAsNonRoot must be true', 'c: seccompProfile must be RuntimeDefault or Localhost', 'c: capabilities must drop ALL',
    ]);
  });
});
