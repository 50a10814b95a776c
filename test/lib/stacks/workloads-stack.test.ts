import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildPlatformApp } from '../../../lib/platform-app';
import type { PlatformStage } from '../../../lib/platform-stage';
import { SAMPLE_RDS_CA_FILE } from '../../../lib/stacks';
import { kubernetesObjects, objectOf, type KubernetesObject } from '../../support/manifests';
import { podTemplateSpec } from '../../support/pod-security';
import { namespaceQuotaFit } from '../../support/capacity';
import { createTestApp, VALIDATION_CACHE_DIRECTORY } from '../../support/test-app';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function synthStage(context: Record<string, unknown> = {}): { stage: PlatformStage; workloads: Template; cluster: Template } {
  const app = createTestApp({ context: { env: 'dev', ...context } });
  const [stage] = buildPlatformApp(app, { validationCacheDirectory: VALIDATION_CACHE_DIRECTORY });
  app.synth();
  return { stage, workloads: Template.fromStack(stage.workloads), cluster: Template.fromStack(stage.cluster) };
}

describe('WorkloadsStack', () => {
  let built: ReturnType<typeof synthStage>;
  let objects: KubernetesObject[];
  const appContainer = () => podTemplateSpec(objectOf(objects, 'Deployment', 'orders'))!.containers[0];
  const env = () => Object.fromEntries(appContainer().env.map((e: { name: string; value: string }) => [e.name, e.value]));

  beforeAll(() => {
    // GIVEN the dev environment as shipped; WHEN synthesized
    built = synthStage();
    objects = kubernetesObjects(built.workloads);
  });

  test('the sample image lives in an ECR repository with immutable tags, scan on push, a customer key and a lifecycle', () => {
    built.workloads.hasResourceProperties('AWS::ECR::Repository', {
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SampleRepositoryKey'), 'Arn'] } },
      LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('"countType":"imageCountMoreThan","countNumber":200') },
    });
  });

  test('the repository and its key keep their logical ids (a rename would replace them)', () => {
    expect(Object.keys(built.workloads.findResources('AWS::ECR::Repository'))).toEqual(['SampleRepositoryFEA630CF']);
    expect(Object.keys(built.workloads.findResources('AWS::KMS::Key'))).toEqual(['SampleRepositoryKeyF246D331']);
  });

  test('the service runs the configured immutable tag from that repository', () => {
    expect(appContainer().image).toMatch(/\/\{\{Ref:SampleRepository[0-9A-F]+\}\}:1\.0\.0$/);
  });

  test('a digest from the pipeline (context) wins over the tag', () => {
    const { workloads } = synthStage({ platform: { dev: { workloads: { sample: { image: { digest: DIGEST } } } } } });
    const deployment = objectOf(kubernetesObjects(workloads), 'Deployment', 'orders');
    expect(podTemplateSpec(deployment)!.containers[0].image).toMatch(new RegExp(`@${DIGEST}$`));
  });

  test('the image the pipeline handed over (images context) wins: its repository, by digest', () => {
    const images = { sample: { repository: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/ztp-sample', tag: '3f2c1a9', digest: DIGEST } };
    const { workloads } = synthStage({ images: JSON.stringify(images) });
    const deployment = objectOf(kubernetesObjects(workloads), 'Deployment', 'orders');
    expect(podTemplateSpec(deployment)!.containers[0].image).toBe(`111122223333.dkr.ecr.eu-west-1.{{Ref:AWS::URLSuffix}}/ztp-sample@${DIGEST}`);
  });

  test('the service reaches Postgres and Redis with IAM auth over verified TLS, no password anywhere', () => {
    expect(env()).toMatchObject({
      DATABASE_IAM_AUTH: 'true',
      DATABASE_TLS: 'verify-full',
      DATABASE_TLS_CA_FILE: SAMPLE_RDS_CA_FILE,
      DATABASE_SCHEMA: 'app',
      REDIS_IAM_AUTH: 'true',
      REDIS_IAM_USER: expect.any(String),
      AWS_REGION: '{{Ref:AWS::Region}}',
    });
    expect(env().DATABASE_URL).toMatch(/^postgres:\/\/app@\{\{ImportValue:.*\}\}:5432\/[a-z_]+$/);
    expect(env().REDIS_URL).toMatch(/^rediss:\/\/\{\{ImportValue:.*\}\}:6380$/);
    expect(JSON.stringify(objects)).not.toMatch(/password|secretKeyRef/i);
  });

  test('the service\'s spans leave through the trace collector, sampled like the mesh: the gateway decides, the SDK follows', () => {
    const ratio = built.stage.config.observability.traceSamplingRatio;
    expect(env()).toMatchObject({
      OTEL_SERVICE_NAME: 'orders',
      // Plain http to the collector's Service: the pod's sidecar carries it over mTLS.
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://trace-collector.tracing.svc.cluster.local:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(ratio),
    });
    const clusterObjects = kubernetesObjects(built.cluster);
    // The gateway (and every sidecar) samples the same share and reports to the same collector...
    expect(objectOf(clusterObjects, 'Telemetry', 'mesh-default').spec.tracing).toEqual([{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: ratio * 100 }]);
    // ...which admits the service's namespace, and whose pods the service's pods may reach.
    expect(objectOf(clusterObjects, 'AuthorizationPolicy', 'trace-collector-allow-senders').spec.rules[0].from[0].source.principals).toContain('cluster.local/ns/orders/sa/*');
    const egress = objects.filter((o) => o.kind === 'NetworkPolicy').flatMap((p) => p.spec.egress ?? []);
    expect(egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tracing' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'trace-collector', 'app.kubernetes.io/instance': 'trace-collector' } } }],
      ports: [{ port: 4317, protocol: 'TCP' }, { port: 4318, protocol: 'TCP' }],
    });
  });

  test('the drain fits the grace period: preStop sleep, then the service drains within its timeout', () => {
    const pod = podTemplateSpec(objectOf(objects, 'Deployment', 'orders'))!;
    const drainSeconds = Number(env().SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(env().SHUTDOWN_DELAY_MS).toBe('0');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(appContainer().lifecycle.preStop.sleep.seconds + drainSeconds);
  });

  test('the gateway route and caller principal come from the mesh of the cluster stack', () => {
    const mesh = built.stage.cluster.mesh;
    expect(objectOf(objects, 'VirtualService', 'orders-ingress').spec).toMatchObject({ gateways: [mesh.gatewayName], hosts: ['orders.dev.internal.example.com'] });
    expect(objectOf(objects, 'AuthorizationPolicy', 'orders-allow-callers').spec.rules[0].from).toEqual([{ source: { principals: [mesh.gatewayPrincipal] } }]);
  });

  test('the service namespace is a guarded application namespace of the cluster stack', () => {
    const namespace = objectOf(kubernetesObjects(built.cluster), 'Namespace', 'orders');
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect(objects.every((o) => o.metadata.namespace === 'orders')).toBe(true);
  });

  test('staging delivers by canary (config): a Rollout with automatic analysis replaces the Deployment', () => {
    const { workloads, stage } = synthStage({ env: 'staging' });
    // Two versions at full scale still fit the namespace quota.
    for (const fit of namespaceQuotaFit(stage)) expect(fit).toMatchObject({ fits: true });
    const staging = kubernetesObjects(workloads);
    expect(staging.filter((o) => o.kind === 'Deployment')).toEqual([]);
    const rollout = objectOf(staging, 'Rollout', 'orders');
    expect(rollout.spec.strategy.canary.trafficRouting.istio.virtualServices).toEqual([
      { name: 'orders', routes: ['mesh'] },
      { name: 'orders-ingress', routes: ['api'] },
    ]);
    expect(rollout.spec.strategy.canary.steps.filter((s: any) => s.setWeight !== undefined).map((s: any) => s.setWeight)).toEqual([10, 25, 50, 100]);
    const metrics = objectOf(staging, 'AnalysisTemplate', 'orders-health').spec.metrics;
    expect(metrics.map((m: any) => [m.name, m.successCondition])).toEqual(expect.arrayContaining([
      ['error-ratio', 'result[0] < 0.01'],
      ['p99-latency-ms', 'result[0] < 500'],
    ]));
    expect(objectOf(staging, 'HorizontalPodAutoscaler', 'orders').spec.scaleTargetRef).toMatchObject({ kind: 'Rollout', name: 'orders' });
  });
});
