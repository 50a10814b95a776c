import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HELM_SAFE_PLACEHOLDER, kubernetesObjects, renderCfnString, validateAgainstSchema, type KubernetesObject } from './manifests';

// The manifest checks are only as good as their parser and schemas: prove both can fail.
describe('manifest test support', () => {
  test('renders Fn::Join with tokens as placeholders', () => {
    expect(renderCfnString({ 'Fn::Join': ['', ['a-', { Ref: 'X' }, '-', { 'Fn::ImportValue': 'Exp' }, '-', { 'Fn::GetAtt': ['R', 'Arn'] }]] }))
      .toBe('a-{{Ref:X}}-{{ImportValue:Exp}}-{{GetAtt:R.Arn}}');
  });

  test('writes tokens as ${...} for Helm values, which charts may pass through tpl (it parses {{)', () => {
    expect(renderCfnString({ 'Fn::Join': ['', ['vpc-', { 'Fn::ImportValue': 'Exp' }, '/', { Ref: 'AWS::Region' }]] }, HELM_SAFE_PLACEHOLDER))
      .toBe('vpc-${ImportValue:Exp}/${Ref:AWS::Region}');
  });

  test('extracts objects of a KubernetesManifest from the template', () => {
    const stack = new Stack(new App(), 'S');
    new CfnResource(stack, 'M', {
      type: 'Custom::AWSCDK-EKS-KubernetesResource',
      properties: { Manifest: stack.toJsonString([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: stack.account } }]) },
    });
    expect(kubernetesObjects(Template.fromStack(stack))).toEqual([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: '{{Ref:AWS::AccountId}}' } }]);
  });

  test.each<[string, KubernetesObject]>([
    ['Kubernetes', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 'http' }] }] } } } }],
    ['Istio', { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'p' }, spec: { mtls: { mode: 'STRIKT' } } }],
    ['Argo Rollouts', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r' }, spec: { replicas: 'two' } }],
  ])('rejects an invalid %s object', (_, object) => {
    expect(() => validateAgainstSchema(object)).toThrow(/does not match its schema/);
  });

  test('accepts valid objects and refuses unknown kinds', () => {
    expect(() => validateAgainstSchema({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'p' }, spec: { mtls: { mode: 'STRICT' } } })).not.toThrow();
    expect(() => validateAgainstSchema({ apiVersion: 'v1', kind: 'Nope', metadata: { name: 'n' } })).toThrow(/no schema model/);
  });
});
