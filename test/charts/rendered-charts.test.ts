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
import { PIPELINE_CONTEXT, PROD_ACCOUNT, STAGING_ACCOUNT } from '../lib/pipeline/pipeline-context';
import { podTemplateSpec } from '../support/pod-security';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
/** The accounts of the stages with one (dev is environment-agnostic). */
const PINNED_ACCOUNTS: Record<string, string> = { Staging: STAGING_ACCOUNT, Prod: PROD_ACCOUNT };
const RELEASES = ['argo-rollouts', 'aws-load-balancer-controller', 'fluent-bit', 'ingress-gateway', 'istio-base', 'istio-cni', 'istiod', 'metrics-agent', 'metrics-cluster', 'trace-collector'];
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
  /** The private registry of the chart's stage: its account's ECR (the pseudo parameters in an environment-agnostic stage). */
  const ecrHost = (chart: RenderedChart) => (chart.template.startsWith('assembly-Dev/')
    ? '${Ref:AWS::AccountId}.dkr.ecr.${Ref:AWS::Region}.${Ref:AWS::URLSuffix}'
    : `${PINNED_ACCOUNTS[environmentOf(chart)]}.dkr.ecr.eu-west-1.\${Ref:AWS::URLSuffix}`);
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
    expect(rendered.map(environmentOf).sort()).toEqual([...Array(2 * RELEASES.length).fill('Prod'), ...Array(RELEASES.length).fill('Dev'), ...Array(RELEASES.length).fill('Staging')].sort());
  });

  test('each renders cleanly: published version, documented values keys, schemas, Pod Security, pinned images', () => {
    for (const chart of rendered) {
      expect({ chart: `${chart.template} ${chart.release.release}`, problems: chart.problems }).toEqual({ chart: `${chart.template} ${chart.release.release}`, problems: [] });
      expect(chart.objects.length).toBeGreaterThan(0);
    }
  });

  test('every chart is installed from its environment\'s private ECR mirror over OCI, never from a public repository', () => {
    for (const chart of rendered) {
      const environment = `ztp-${environmentOf(chart).toLowerCase()}`;
      expect({ release: `${chart.template} ${chart.release.release}`, repository: chart.release.repository })
        .toEqual({ release: `${chart.template} ${chart.release.release}`, repository: `oci://${ecrHost(chart)}/${environment}/charts/${chart.release.chart}` });
    }
  });

  test('pins are the versions upstream publishes, where it publishes them (the mirror copies them from there)', () => {
    const pins = new Set(rendered.map((c) => `${c.release.chart} ${c.release.version} ${c.mirroredFrom}`));
    expect([...pins].sort()).toEqual([
      'argo-rollouts 2.41.0 https://argoproj.github.io/argo-helm',
      'aws-for-fluent-bit 0.2.0 https://aws.github.io/eks-charts',
      'aws-load-balancer-controller 3.5.0 https://aws.github.io/eks-charts',
      'base 1.31.0 https://blob.istio.io/istio-release/charts',
      'cni 1.31.0 https://blob.istio.io/istio-release/charts',
      'gateway 1.31.0 https://blob.istio.io/istio-release/charts',
      'istiod 1.31.0 https://blob.istio.io/istio-release/charts',
      'opentelemetry-collector 0.170.0 https://open-telemetry.github.io/opentelemetry-helm-charts',
    ]);
  });

  test('the mesh config istiod serves is REGISTRY_ONLY, with JSON access logs', () => {
    for (const chart of releasesNamed('istiod')) {
      const mesh = parse(one(chart, 'ConfigMap', 'istio').data.mesh);
      expect(mesh.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
      expect(mesh).toMatchObject({ accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON', enableAutoMtls: true });
    }
  });

  test('sidecars are native sidecars, injected without istio-init (Istio CNI), from a pinned proxy image in the private registry', () => {
    for (const chart of releasesNamed('istiod')) {
      const env = one(chart, 'Deployment', 'istiod').spec.template.spec.containers[0].env;
      expect(env).toContainEqual({ name: 'ENABLE_NATIVE_SIDECARS', value: 'true' });
      const injector = JSON.parse(one(chart, 'ConfigMap', 'istio-sidecar-injector').data.values);
      expect(injector.pilot.cni.enabled).toBe(true);
      // The injector hands this image to every sidecar and to the gateway (`image: auto`).
      const hub = `${ecrHost(chart)}/ztp-${environmentOf(chart).toLowerCase()}/docker-hub/istio`;
      expect(injector.global).toMatchObject({ hub, tag: '1.31.0', proxy: { image: `${hub}/proxyv2:1.31.0`, privileged: false }, proxy_init: { image: `${hub}/proxyv2:1.31.0` } });
    }
  });

  test('no pod of any chart pulls from a public registry: every image (and the injected proxy) comes through the environment\'s pull through cache, pinned', () => {
    const images = new Set<string>();
    for (const chart of rendered) {
      const cache = `${ecrHost(chart)}/ztp-${environmentOf(chart).toLowerCase()}/`;
      for (const object of chart.objects) {
        const pod = podTemplateSpec(object);
        for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
          if (container.image === 'auto') continue;
          expect({ chart: chart.release.release, image: container.image }).toEqual({ chart: chart.release.release, image: expect.stringMatching(new RegExp(`^${escapeRegExp(cache)}(docker-hub|quay|ecr-public)/[^:@]+:v?\\d+\\.\\d+\\.\\d+`)) });
          images.add(container.image.slice(cache.length));
        }
      }
    }
    expect([...images].sort()).toEqual([
      'docker-hub/istio/install-cni:1.31.0',
      'docker-hub/istio/pilot:1.31.0',
      'docker-hub/otel/opentelemetry-collector-contrib:0.158.0',
      'ecr-public/aws-observability/aws-for-fluent-bit:3.2.1',
      'ecr-public/eks/aws-load-balancer-controller:v3.5.0',
      'quay/argoproj/argo-rollouts:v1.9.0',
    ]);
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

  test('Fluent Bit ships to exactly the three log groups of its environment, never creating one, with the JSON of a line at the top level', () => {
    for (const chart of releasesNamed('fluent-bit')) {
      const environment = `ztp-${environmentOf(chart).toLowerCase()}`;
      const config: string = one(chart, 'ConfigMap', 'fluent-bit').data['fluent-bit.conf'];
      const sections = config.split(/^(?=\[[A-Z_]+\]$)/m).map((section) => ({
        name: section.slice(1, section.indexOf(']')),
        keys: section.split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((kv) => kv[0] !== ''),
      }));
      const value = (keys: string[][], key: string) => keys.filter(([k]) => k.toLowerCase() === key.toLowerCase()).map(([, ...v]) => v.join(' '));
      const outputs = sections.filter((s) => s.name === 'OUTPUT');
      expect(outputs.map((o) => [value(o.keys, 'Name'), value(o.keys, 'log_group_name'), value(o.keys, 'auto_create_group')])).toEqual(
        ['application', 'mesh-access', 'platform'].map((kind) => [['cloudwatch_logs'], [`/${environment}/containers/${kind}`], ['false']]),
      );
      const kubernetes = sections.filter((s) => s.name === 'FILTER' && value(s.keys, 'Name')[0] === 'kubernetes');
      expect(kubernetes).toHaveLength(1);
      expect(['Merge_Log', 'Merge_Log_Key', 'Keep_Log', 'K8S-Logging.Exclude', 'K8S-Logging.Parser'].map((key) => value(kubernetes[0].keys, key)))
        .toEqual([['On'], [], ['Off'], ['Off'], ['Off']]);
    }
  });

  test('Fluent Bit reads the host\'s logs read-only, without capabilities, on every node, listening on no port', () => {
    for (const chart of releasesNamed('fluent-bit')) {
      const pod = one(chart, 'DaemonSet', 'fluent-bit').spec.template.spec;
      const hostPaths = new Map<string, string>(pod.volumes.filter((v: any) => v.hostPath).map((v: any) => [v.name, v.hostPath.path]));
      const [container] = pod.containers;
      const hostMounts = container.volumeMounts.filter((m: any) => hostPaths.has(m.name)).map((m: any) => [hostPaths.get(m.name), m.readOnly === true]);
      // The log directories read-only; the tail input's own position directory is the only writable host path.
      expect(hostMounts).toEqual([['/var/log/containers', true], ['/var/log/pods', true], ['/var/fluent-bit/container-logs', false]]);
      expect(container.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container.securityContext.capabilities.add).toBeUndefined();
      expect(pod.hostNetwork).toBeUndefined();
      expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
      expect(pod.priorityClassName).toBe('system-node-critical');
      expect([container.ports, container.livenessProbe, container.readinessProbe]).toEqual([undefined, undefined, undefined]);
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

  test('metrics agents: the annotated-pods job on their own node only, remote write with SigV4, CloudWatch through EMF, no host paths', () => {
    for (const chart of releasesNamed('metrics-agent')) {
      expect(chart.problems).toEqual([]);
      const relay = parse(one(chart, 'ConfigMap', 'metrics-agent').data.relay);
      const [job] = relay.receivers.prometheus.config.scrape_configs;
      expect(relay.receivers.prometheus.config.scrape_configs).toHaveLength(1);
      expect(job.job_name).toBe('annotated-pods');
      expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod', selectors: [{ role: 'pod', field: 'spec.nodeName=${env:K8S_NODE_NAME}' }] }]);
      expect(job.relabel_configs).toContainEqual(expect.objectContaining({ target_label: '__address__', replacement: '$$1:$$2' }));
      expect(job.relabel_configs.map((r: { target_label?: string }) => r.target_label).filter((l: string | undefined) => l && !l.startsWith('__')))
        .toEqual(['namespace', 'pod', 'app', 'version', 'rollouts_pod_template_hash']);
      expect(relay.extensions.sigv4auth).toEqual({ region: expect.stringMatching(/^(\$\{Ref:AWS::Region\}|[a-z]{2}(-[a-z]+)+-\d)$/), service: 'aps' });
      expect(relay.exporters['prometheusremotewrite/pods']).toMatchObject({
        endpoint: expect.stringMatching(/^\$\{GetAtt:Metrics[0-9A-F]+\.PrometheusEndpoint\}api\/v1\/remote_write$/),
        auth: { authenticator: 'sigv4auth' }, add_metric_suffixes: false, resource_to_telemetry_conversion: { enabled: false }, target_info: { enabled: false },
      });
      expect(relay.exporters.awsemf).toMatchObject({
        namespace: 'ZeroTrustPlatform', dimension_rollup_option: 'NoDimensionRollup', log_group_name: expect.stringMatching(/^\/.+\/metrics\/emf$/),
        metric_declarations: [{ dimensions: [['ClusterName', 'Namespace', 'Service']], metric_name_selectors: ['^orders_created_total$', '^idempotent_replays_total$', '^outbox_backlog$'] }],
      });
      expect(relay.service.pipelines).toMatchObject({
        'metrics': { receivers: ['kubeletstats'], exporters: ['prometheusremotewrite/kubernetes'] },
        'metrics/pods': { receivers: ['prometheus'], exporters: ['prometheusremotewrite/pods'] },
        'metrics/cloudwatch': { receivers: ['prometheus'], exporters: ['awsemf'] },
      });
      const daemonSet = one(chart, 'DaemonSet', 'metrics-agent');
      const pod = daemonSet.spec.template.spec;
      expect(pod.volumes.every((v: Record<string, unknown>) => v.hostPath === undefined)).toBe(true);
      expect(pod.hostNetwork).toBe(false);
      expect(pod.containers[0].ports).toBeUndefined();
      expect(pod.containers[0].env).toContainEqual({ name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
      // The scraped workloads admit these pods by exactly these labels (MetricsCollector.scrapeSource).
      expect(daemonSet.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'opentelemetry-collector', 'app.kubernetes.io/instance': 'metrics-agent' });
      expect(one(chart, 'ClusterRole', 'metrics-agent').rules).toEqual([
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/stats'], verbs: ['get', 'watch', 'list'] },
      ]);
    }
  });

  test('cluster state from exactly one collector: k8s_cluster in a one-replica Deployment, node readiness to CloudWatch, read-only RBAC', () => {
    for (const chart of releasesNamed('metrics-cluster')) {
      expect(chart.problems).toEqual([]);
      expect(one(chart, 'Deployment', 'metrics-cluster').spec.replicas).toBe(1);
      expect(objectsOf(chart, 'DaemonSet')).toEqual([]);
      for (const other of rendered.filter((c) => c.release.release !== 'metrics-cluster' && c.template === chart.template && /^metrics-/.test(c.release.release))) {
        expect(JSON.stringify(other.objects)).not.toContain('k8s_cluster');
      }
      const relay = parse(one(chart, 'ConfigMap', 'metrics-cluster').data.relay);
      expect(relay.receivers.k8s_cluster).toMatchObject({ node_conditions_to_report: ['Ready'] });
      expect(relay.receivers.k8s_cluster.k8s_leader_elector).toBeUndefined();
      expect(relay.extensions).not.toHaveProperty('k8s_leader_elector/k8s_cluster');
      expect(relay.exporters.awsemf).toMatchObject({ namespace: 'ZeroTrustPlatform', metric_declarations: [{ dimensions: [['ClusterName']], metric_name_selectors: ['^node_ready$'] }] });
      expect(relay.service.pipelines['metrics/cloudwatch']).toEqual({ receivers: ['k8s_cluster'], processors: ['memory_limiter', 'filter/node-ready', 'transform/node-ready', 'batch'], exporters: ['awsemf'] });
      const rules = one(chart, 'ClusterRole', 'metrics-cluster').rules;
      expect(rules.flatMap((r: { verbs: string[] }) => r.verbs).every((verb: string) => ['get', 'list', 'watch'].includes(verb))).toBe(true);
      expect(JSON.stringify(rules)).not.toMatch(/secrets|configmaps|leases/);
    }
  });

  test('the trace collector: OTLP in, X-Ray out, no debug exporter; 2+ replicas over zones; its pods are the ones our policies select', () => {
    for (const chart of releasesNamed('trace-collector')) {
      const relay = parse(one(chart, 'ConfigMap', 'trace-collector').data.relay);
      expect(relay.receivers).toEqual({ otlp: { protocols: { grpc: { endpoint: '${env:MY_POD_IP}:4317' }, http: { endpoint: '${env:MY_POD_IP}:4318' } } } });
      expect(Object.keys(relay.exporters)).toEqual(['awsxray']);
      expect(relay.exporters.awsxray).toEqual({ region: expect.stringMatching(/^(\$\{Ref:AWS::Region\}|[a-z]{2}(-[a-z]+)+-\d)$/), telemetry: { enabled: true, include_metadata: false } });
      expect(relay.service.pipelines).toEqual({ traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['awsxray'] } });
      expect(JSON.stringify(relay)).not.toMatch(/debug|logging|jaeger|zipkin/);
      expect(relay.service.telemetry.metrics.readers).toEqual([{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: 8888 } } } }]);

      const deployment = one(chart, 'Deployment', 'trace-collector');
      const pod = deployment.spec.template;
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(pod.spec.topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 })]);
      expect(pod.spec).toMatchObject({ serviceAccountName: 'trace-collector', automountServiceAccountToken: false, hostNetwork: false });
      expect(pod.spec.containers[0]).toMatchObject({ image: `${ecrHost(chart)}/ztp-${environmentOf(chart).toLowerCase()}/docker-hub/otel/opentelemetry-collector-contrib:0.158.0`, command: ['/otelcol-contrib'] });
      expect(pod.spec.containers[0].ports.map((p: { containerPort: number }) => p.containerPort).sort()).toEqual([4317, 4318]);
      expect(one(chart, 'Service', 'trace-collector').spec.ports).toEqual([
        { name: 'otlp', port: 4317, targetPort: 4317, protocol: 'TCP', appProtocol: 'grpc' },
        { name: 'otlp-http', port: 4318, targetPort: 4318, protocol: 'TCP', appProtocol: 'http' },
      ]);
      // Our PDB, NetworkPolicies and AuthorizationPolicy select exactly these pods.
      const ours = kubernetesObjects(Template.fromJSON(JSON.parse(fs.readFileSync(path.join(assembly, chart.template), 'utf8')))).filter((o) => o.metadata.namespace === 'tracing');
      const selectors = ours.flatMap((o) => [o.spec?.selector?.matchLabels, o.kind === 'NetworkPolicy' ? o.spec.podSelector.matchLabels : undefined]).filter((s) => s && Object.keys(s).length > 0);
      expect(selectors.length).toBeGreaterThanOrEqual(5);
      for (const selector of selectors) expect(pod.metadata.labels).toMatchObject(selector);
      expect(objectsOf(chart, 'PodDisruptionBudget')).toEqual([]);
      expect(ours.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(1);
      expect(ours.filter((o) => o.kind === 'Telemetry').map((o) => o.metadata.name)).toEqual(['no-span-reporting']);
    }
  });

  test('istiod serves the trace collector as the mesh\'s OpenTelemetry provider, and nothing else traces', () => {
    for (const chart of releasesNamed('istiod')) {
      const mesh = parse(one(chart, 'ConfigMap', 'istio').data.mesh);
      expect(mesh.enableTracing).toBe(true);
      expect(mesh.extensionProviders).toEqual([{ name: 'otel-tracing', opentelemetry: { service: 'trace-collector.tracing.svc.cluster.local', port: 4317 } }]);
      expect(mesh.defaultConfig.tracing).toBeUndefined();
    }
  });

  test('the renders are kept per environment and chart, with an index for the evidence pack', () => {
    const index = JSON.parse(fs.readFileSync(path.join(outDirectory, 'index.json'), 'utf8'));
    expect(index).toHaveLength(4 * RELEASES.length);
    for (const entry of index) {
      expect(entry).toMatchObject({ kubernetesVersion: '1.36', problems: [] });
      expect(fs.readFileSync(path.join(outDirectory, entry.rendered), 'utf8').split(/^---$/m)).toHaveLength(entry.objects);
    }
  });
});
