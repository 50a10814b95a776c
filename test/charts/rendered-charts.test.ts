import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { buildPlatformApp } from '../../lib/platform-app';
import { Template } from 'aws-cdk-lib/assertions';
import { kubernetesObjects, type KubernetesObject } from '../support/manifests';
import { CrdSchemas } from '../support/charts/object-schemas';
import { renderAssemblyCharts, writeRenderedCharts, type RenderedChart } from '../support/charts/render-charts';
import { upstreamSkipReason } from '../support/charts/upstream';
import { createTestApp } from '../support/test-app';
import { PIPELINE_CONTEXT } from '../lib/pipeline/pipeline-context';

/**
 * Every HelmChart of the synthesized platform (dev, prod, and the stages the pipeline deploys:
 * staging and prod) rendered as the cluster's kubectl handler will install it: the layer's Helm,
 * the upstream source of the pinned version, the template's exact values. What would fail or be
 * silently ignored at deploy fails here; what the platform promises is read from the rendered
 * objects, not from our own values.
 */
const skipped = upstreamSkipReason();
if (skipped) {
  test.skip(skipped, () => undefined);
  console.warn(skipped);
}

const CONTEXT = { ...PIPELINE_CONTEXT, env: 'dev,prod' };
const RELEASES = ['argo-rollouts', 'aws-load-balancer-controller', 'ingress-gateway', 'istio-base', 'istio-cni', 'istiod'];
/** Replica ranges of istiod and the gateway per environment (README's configuration table). */
const MESH_REPLICAS: Record<string, { min: number; max: number }> = { Dev: { min: 2, max: 3 }, Staging: { min: 2, max: 5 }, Prod: { min: 3, max: 10 } };

(skipped ? describe.skip : describe)('charts rendered as deployed', () => {
  let rendered: RenderedChart[];
  let outDirectory: string;
  let assembly: string;

  beforeAll(async () => {
    // The compliance gate runs over the same app in test/lib/platform-app.test.ts.
    const app = createTestApp({ context: CONTEXT });
    buildPlatformApp(app, { complianceGate: false });
    assembly = app.synth().directory;
    rendered = await renderAssemblyCharts(assembly);
    outDirectory = path.join(assembly, 'rendered-charts');
    writeRenderedCharts(rendered, outDirectory);
  });

  const environmentOf = (chart: RenderedChart) => /(Dev|Staging|Prod)/.exec(chart.template)![1];
  const objectsOf = (chart: RenderedChart, kind: string, name?: string): KubernetesObject[] =>
    chart.objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  const one = (chart: RenderedChart, kind: string, name: string): KubernetesObject => {
    const found = objectsOf(chart, kind, name);
    if (found.length !== 1) throw new Error(`${chart.template} ${chart.release.release}: expected one ${kind} "${name}", found ${found.length}`);
    return found[0];
  };
  const releasesNamed = (release: string) => rendered.filter((c) => c.release.release === release);

  test('every HelmChart of dev, prod and the pipeline stages (staging, prod) is rendered', () => {
    const stages = [...new Set(rendered.map((c) => path.dirname(c.template)))];
    expect(stages).toHaveLength(4);
    for (const stage of stages) {
      expect(rendered.filter((c) => path.dirname(c.template) === stage).map((c) => c.release.release).sort()).toEqual(RELEASES);
    }
    expect(rendered.map(environmentOf).sort()).toEqual([...Array(12).fill('Prod'), ...Array(6).fill('Dev'), ...Array(6).fill('Staging')].sort());
  });

  test('each renders cleanly: published version, documented values keys, schemas, Pod Security, pinned images', () => {
    for (const chart of rendered) {
      expect({ chart: `${chart.template} ${chart.release.release}`, problems: chart.problems }).toEqual({ chart: `${chart.template} ${chart.release.release}`, problems: [] });
      expect(chart.objects.length).toBeGreaterThan(0);
    }
  });

  test('pins are the versions upstream publishes, where it publishes them', () => {
    const pins = new Set(rendered.map((c) => `${c.release.chart} ${c.release.version} ${c.release.repository}`));
    expect([...pins].sort()).toEqual([
      'argo-rollouts 2.41.0 https://argoproj.github.io/argo-helm',
      'aws-load-balancer-controller 3.5.0 https://aws.github.io/eks-charts',
      'base 1.31.0 https://blob.istio.io/istio-release/charts',
      'cni 1.31.0 https://blob.istio.io/istio-release/charts',
      'gateway 1.31.0 https://blob.istio.io/istio-release/charts',
      'istiod 1.31.0 https://blob.istio.io/istio-release/charts',
    ]);
  });

  test('the mesh config istiod serves is REGISTRY_ONLY, with JSON access logs', () => {
    for (const chart of releasesNamed('istiod')) {
      const mesh = parse(one(chart, 'ConfigMap', 'istio').data.mesh);
      expect(mesh.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
      expect(mesh).toMatchObject({ accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON', enableAutoMtls: true });
    }
  });

  test('sidecars are native sidecars, injected without istio-init (Istio CNI), from a pinned proxy image', () => {
    for (const chart of releasesNamed('istiod')) {
      const env = one(chart, 'Deployment', 'istiod').spec.template.spec.containers[0].env;
      expect(env).toContainEqual({ name: 'ENABLE_NATIVE_SIDECARS', value: 'true' });
      const injector = JSON.parse(one(chart, 'ConfigMap', 'istio-sidecar-injector').data.values);
      expect(injector.pilot.cni.enabled).toBe(true);
      expect(injector.global).toMatchObject({ hub: 'docker.io/istio', tag: '1.31.0', proxy: { privileged: false } });
    }
  });

  test('istiod and the gateway autoscale within the configured range, with a PDB, spread over zones', () => {
    for (const [release, deployment] of [['istiod', 'istiod'], ['ingress-gateway', 'ingress-gateway']]) {
      for (const chart of releasesNamed(release)) {
        const expected = MESH_REPLICAS[environmentOf(chart)];
        expect(one(chart, 'HorizontalPodAutoscaler', deployment).spec).toMatchObject({ minReplicas: expected.min, maxReplicas: expected.max });
        expect(one(chart, 'PodDisruptionBudget', deployment).spec.minAvailable).toBe(1);
        expect(one(chart, 'Deployment', deployment).spec.template.spec.topologySpreadConstraints)
          .toEqual([expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 })]);
      }
    }
  });

  test('the gateway Service is an internal NLB on 443 only, restricted to the VPC CIDR', () => {
    for (const chart of releasesNamed('ingress-gateway')) {
      const service = one(chart, 'Service', 'ingress-gateway');
      expect(service.spec.type).toBe('LoadBalancer');
      expect(service.spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 }]);
      expect(service.metadata.annotations).toMatchObject({ 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' });
      expect(service.spec.loadBalancerSourceRanges).toEqual([expect.stringMatching(/^\$\{ImportValue:.*Vpc/)]);
    }
  });

  test('the load balancer controller and Argo Rollouts run two replicas, with a PDB, spread over zones', () => {
    for (const [release, deployment] of [['aws-load-balancer-controller', 'aws-load-balancer-controller'], ['argo-rollouts', 'argo-rollouts']]) {
      for (const chart of releasesNamed(release)) {
        const object = one(chart, 'Deployment', deployment);
        expect(object.spec.replicas).toBe(2);
        expect(objectsOf(chart, 'PodDisruptionBudget')).toHaveLength(1);
        expect(object.spec.template.spec.topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 })]);
      }
    }
  });

  test('Argo Rollouts runs as the restricted, non-root user its image is built for', () => {
    for (const chart of releasesNamed('argo-rollouts')) {
      const pod = one(chart, 'Deployment', 'argo-rollouts').spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
  });

  test('our own Istio and Argo Rollouts objects match the CRDs the pinned charts install', () => {
    const stages = [...new Set(rendered.map((c) => path.dirname(c.template)))];
    // Stages that install the same CRDs (the same chart versions) share their compiled schemas.
    const schemasByCrds = new Map<string, CrdSchemas>();
    let checked = 0;
    for (const stage of stages) {
      const stageCrds = rendered.filter((c) => path.dirname(c.template) === stage).flatMap((c) => objectsOf(c, 'CustomResourceDefinition'));
      const key = JSON.stringify(stageCrds);
      let crds = schemasByCrds.get(key);
      if (!crds) {
        crds = new CrdSchemas();
        for (const crd of stageCrds) crds.add(crd);
        schemasByCrds.set(key, crds);
      }
      const templates = fs.readdirSync(path.join(assembly, stage)).filter((f) => f.endsWith('.template.json'));
      const objects = templates.flatMap((f) => kubernetesObjects(Template.fromJSON(JSON.parse(fs.readFileSync(path.join(assembly, stage, f), 'utf8')))));
      for (const object of objects.filter((o) => /istio\.io\/|argoproj\.io\//.test(o.apiVersion))) {
        const validate = crds.validator(object);
        expect({ object: `${object.apiVersion} ${object.kind}`, served: validate !== undefined }).toEqual({ object: `${object.apiVersion} ${object.kind}`, served: true });
        expect({ object: `${object.kind} ${object.metadata.name}`, errors: validate!(object) ? [] : validate!.errors }).toEqual({ object: `${object.kind} ${object.metadata.name}`, errors: [] });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  test('the renders are kept per environment and chart, with an index for the evidence pack', () => {
    const index = JSON.parse(fs.readFileSync(path.join(outDirectory, 'index.json'), 'utf8'));
    expect(index).toHaveLength(24);
    for (const entry of index) {
      expect(entry).toMatchObject({ kubernetesVersion: '1.36', problems: [] });
      expect(fs.readFileSync(path.join(outDirectory, entry.rendered), 'utf8').split(/^---$/m)).toHaveLength(entry.objects);
    }
  });
});
