import { App, Chart } from 'cdk8s';
import { AnalysisTemplate, Rollout, canarySteps, DEFAULT_CANARY_STEPS, argoDuration } from '../../../constructs/delivery';
import { validateAgainstSchema, type KubernetesObject } from '../../support/manifests';

describe('typed Argo Rollouts objects', () => {
  const chart = () => new Chart(new App(), 'Test', { namespace: 'orders' });

  test('a Rollout with a workloadRef, canary steps, Istio routing and background analysis matches the upstream schema', () => {
    // GIVEN every field the typed Rollout offers; WHEN rendered; THEN the CRD schema accepts it
    const c = chart();
    new Rollout(c, 'R', {
      metadata: { name: 'orders' },
      spec: {
        workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders', scaleDown: 'progressively' },
        strategy: {
          canary: {
            steps: [...canarySteps(DEFAULT_CANARY_STEPS), { analysis: { templates: [{ templateName: 'health' }] } }],
            trafficRouting: { istio: { virtualServices: [{ name: 'orders', routes: ['mesh'] }], destinationRule: { name: 'orders', canarySubsetName: 'canary', stableSubsetName: 'stable' } } },
            analysis: { templates: [{ templateName: 'health' }], args: [{ name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' } }], startingStep: 1 },
            maxSurge: '25%', maxUnavailable: 0, abortScaleDownDelaySeconds: 30, dynamicStableScale: false,
          },
        },
        progressDeadlineSeconds: 600,
        progressDeadlineAbort: true,
      },
    });
    for (const object of c.toJson()) validateAgainstSchema(object as KubernetesObject);
  });

  test('a blue-green Rollout and an AnalysisTemplate with the SigV4 Prometheus provider match the upstream schema', () => {
    const c = chart();
    new Rollout(c, 'R', {
      metadata: { name: 'orders' },
      spec: {
        selector: { matchLabels: { app: 'orders' } },
        template: { metadata: { labels: { app: 'orders' } }, spec: { containers: [{ name: 'app', image: 'example/app@sha256:' + 'a'.repeat(64) }] } },
        strategy: { blueGreen: { activeService: 'orders', previewService: 'orders-preview', autoPromotionEnabled: true, prePromotionAnalysis: { templates: [{ templateName: 'health' }] }, scaleDownDelaySeconds: 600 } },
      },
    });
    new AnalysisTemplate(c, 'A', {
      metadata: { name: 'health' },
      spec: {
        args: [{ name: 'hash' }],
        metrics: [{
          name: 'error-ratio', interval: '1m', count: 5, failureLimit: 1, consecutiveErrorLimit: 3,
          successCondition: 'result[0] < 0.01', failureCondition: 'result[0] >= 0.01',
          provider: { prometheus: { address: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/', query: 'vector(0)', timeout: 30, authentication: { sigv4: { region: 'eu-west-1' } } } },
        }],
      },
    });
    for (const object of c.toJson()) validateAgainstSchema(object as KubernetesObject);
  });

  test('the schema check catches a wrong shape (so the tests above prove something)', () => {
    const bad: KubernetesObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name: 'x' }, spec: { metrics: [{ name: 'm', provider: { prometheus: { timeout: 'soon' } } }] } };
    expect(() => validateAgainstSchema(bad)).toThrow(/does not match its schema/);
  });

  test.each([[120, '2m'], [300, '5m'], [90, '90s']])('argoDuration(%d) is %s', (seconds, text) => {
    expect(argoDuration(seconds)).toBe(text);
  });
});
