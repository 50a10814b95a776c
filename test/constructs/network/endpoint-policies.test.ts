import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ZeroTrustVpc, type ZeroTrustVpcProps } from '../../../constructs/network/zero-trust-vpc';
import { renderCfnValue, renderPolicyDocument, type PolicyStatementJson } from '../../support/iam-policy-compare';
import { createTestApp, synthWithGate } from '../../support/test-app';

/**
 * The endpoint policies of a ZeroTrustVpc (constructs/network/endpoint-policies.ts): a data
 * perimeter on every endpoint. Requests as they reach an endpoint are modelled below and evaluated
 * against the synthesized policies, and against no policy (the endpoints before: AWS's default,
 * "any principal, any action, any resource").
 */

const ACCOUNT = '123456789012';
const PIPELINE_ACCOUNT = '111111111111';
const OTHER_ACCOUNT = '210987654321';
const EKS_REGISTRY = '602401143452';

/** A request through an endpoint: who (undefined: anonymous or presigned by an AWS service account), what, on which resource. */
interface EndpointRequest {
  readonly principalAccount?: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
}

const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

/** Whether an Allow-only endpoint policy admits the request (undefined policy: the default, full access). */
function admits(statements: PolicyStatementJson[] | undefined, request: EndpointRequest): boolean {
  if (statements === undefined) return true;
  const context: Record<string, string | undefined> = { 'aws:PrincipalAccount': request.principalAccount, 'aws:ResourceAccount': request.resourceAccount };
  return statements.some((s) => {
    expect(s.Effect).toBe('Allow');
    if (![s.Action].flat().some((a) => glob(a!, request.action))) return false;
    if (![s.Resource].flat().some((r) => glob(r!, request.resource))) return false;
    return Object.entries(s.Condition ?? {}).every(([operator, keys]) => {
      expect(operator).toBe('StringEquals');
      return Object.entries(keys).every(([key, values]) => context[key] !== undefined && [values].flat().includes(context[key]!));
    });
  });
}

function vpcIn(region: string | undefined, props: ZeroTrustVpcProps = {}) {
  const app = createTestApp();
  const stack = new Stack(app, 'Net', region ? { env: { account: ACCOUNT, region } } : {});
  new ZeroTrustVpc(stack, 'Network', { cidr: '10.40.0.0/16', ...(region ? { availabilityZones: [`${region}a`, `${region}b`] } : {}), ...props });
  return { app, stack };
}

/** The endpoint policies by service short name (`s3`, `ecr.dkr`...), rendered: the partition is `<partition>`. */
function policiesOf(template: Template): Record<string, PolicyStatementJson[] | undefined> {
  return Object.fromEntries(Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((endpoint) => {
    const service = renderCfnValue(endpoint.Properties.ServiceName).replace(/^com\.amazonaws\.[^.]+\./, '');
    const document = endpoint.Properties.PolicyDocument;
    return [service, document === undefined ? undefined : [renderPolicyDocument(document).Statement].flat()];
  }));
}

describe('ZeroTrustVpc endpoint policies', () => {
  // GIVEN the VPC in eu-west-1 whose images come from this account, the EKS add-ons and the pipeline's account
  const { app, stack } = vpcIn('eu-west-1', { imageRegistryAccounts: [PIPELINE_ACCOUNT] });
  // WHEN synthesized through the compliance gate
  const { findings } = synthWithGate(app);
  const template = Template.fromStack(stack);
  const policies = policiesOf(template);
  const NO_POLICY = undefined;

  test('passes the compliance gate with no open finding', () => {
    expect(findings).toEqual([]);
  });

  test('every endpoint has a policy, and it starts with this account\'s principals acting on this account\'s resources', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    expect(endpoints.length).toBe(15);
    for (const endpoint of endpoints) {
      expect(endpoint.Properties.PolicyDocument.Statement[0]).toEqual({
        Sid: 'OwnPrincipalsToOwnResources', Effect: 'Allow', Principal: { AWS: '*' }, Action: '*', Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT, 'aws:ResourceAccount': ACCOUNT } },
      });
    }
  });

  test.each<[string, string, EndpointRequest]>([
    ['credentials of another account (e.g. brought into a pod) calling STS', 'sts', { principalAccount: OTHER_ACCOUNT, action: 'sts:GetCallerIdentity', resource: '*', resourceAccount: OTHER_ACCOUNT }],
    ['this account\'s role writing to a bucket of another account', 's3', { principalAccount: ACCOUNT, action: 's3:PutObject', resource: 'arn:<partition>:s3:::exfiltration/data', resourceAccount: OTHER_ACCOUNT }],
    ['an anonymous request for another account\'s bucket', 's3', { action: 's3:GetObject', resource: 'arn:<partition>:s3:::public-bucket/x', resourceAccount: OTHER_ACCOUNT }],
    ['this account\'s role decrypting with another account\'s key', 'kms', { principalAccount: ACCOUNT, action: 'kms:Decrypt', resource: `arn:<partition>:kms:eu-west-1:${OTHER_ACCOUNT}:key/1`, resourceAccount: OTHER_ACCOUNT }],
    ['this account\'s role pushing an image to another account\'s repository', 'ecr.dkr', { principalAccount: ACCOUNT, action: 'ecr:PutImage', resource: `arn:<partition>:ecr:eu-west-1:${OTHER_ACCOUNT}:repository/x`, resourceAccount: OTHER_ACCOUNT }],
    ['this account\'s role pushing to the pipeline\'s repository (pulls only)', 'ecr.dkr', { principalAccount: ACCOUNT, action: 'ecr:PutImage', resource: `arn:<partition>:ecr:eu-west-1:${PIPELINE_ACCOUNT}:repository/x`, resourceAccount: PIPELINE_ACCOUNT }],
    ['this account\'s role pulling from an untrusted registry', 'ecr.api', { principalAccount: ACCOUNT, action: 'ecr:BatchGetImage', resource: `arn:<partition>:ecr:eu-west-1:${OTHER_ACCOUNT}:repository/x`, resourceAccount: OTHER_ACCOUNT }],
  ])('refuses %s; without a policy the endpoint admitted it', (_, service, request) => {
    expect(admits(policies[service], request)).toBe(false);
    expect(admits(NO_POLICY, request)).toBe(true);
  });

  test.each<[string, string, EndpointRequest]>([
    ['a pod calling STS with this account\'s role', 'sts', { principalAccount: ACCOUNT, action: 'sts:GetCallerIdentity', resource: '*', resourceAccount: ACCOUNT }],
    ['Pod Identity credentials for this account\'s cluster', 'eks-auth', { principalAccount: ACCOUNT, action: 'eks-auth:AssumeRoleForPodIdentity', resource: `arn:<partition>:eks:eu-west-1:${ACCOUNT}:cluster/platform`, resourceAccount: ACCOUNT }],
    ['a node pulling an EKS add-on image (AWS-owned registry)', 'ecr.dkr', { principalAccount: ACCOUNT, action: 'ecr:BatchGetImage', resource: `arn:<partition>:ecr:eu-west-1:${EKS_REGISTRY}:repository/eks/coredns`, resourceAccount: EKS_REGISTRY }],
    ['a node pulling the service image from the pipeline\'s repository', 'ecr.dkr', { principalAccount: ACCOUNT, action: 'ecr:GetDownloadUrlForLayer', resource: `arn:<partition>:ecr:eu-west-1:${PIPELINE_ACCOUNT}:repository/sample`, resourceAccount: PIPELINE_ACCOUNT }],
    ['an image layer download (URL presigned by ECR)', 's3', { principalAccount: '999999999999', action: 's3:GetObject', resource: 'arn:<partition>:s3:::prod-eu-west-1-starport-layer-bucket/layer', resourceAccount: '999999999999' }],
    ['a custom-resource function in the VPC answering CloudFormation (URL presigned by it)', 's3', { action: 's3:PutObject', resource: 'arn:<partition>:s3:::cloudformation-custom-resource-response-euwest1/arn/response', resourceAccount: '999999999999' }],
    ['the kubectl handler reading a chart asset from the bootstrap bucket', 's3', { principalAccount: ACCOUNT, action: 's3:GetObject', resource: `arn:<partition>:s3:::cdk-hnb659fds-assets-${ACCOUNT}-eu-west-1/chart.tgz`, resourceAccount: ACCOUNT }],
  ])('admits %s', (_, service, request) => {
    expect(admits(policies[service], request)).toBe(true);
  });

  test('the AWS-owned exceptions name their resources and actions exactly', () => {
    expect(policies.s3!.slice(1)).toEqual([
      { Sid: 'EcrImageLayers', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: 'arn:<partition>:s3:::prod-eu-west-1-starport-layer-bucket/*' },
      { Sid: 'CloudFormationCustomResourceResponses', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: 'arn:<partition>:s3:::cloudformation-custom-resource-response-euwest1/*' },
    ]);
    for (const service of ['ecr.api', 'ecr.dkr']) {
      expect(policies[service]![1]).toEqual({
        Sid: 'PullImagesOfEksAddonsAndTrustedRegistries', Effect: 'Allow', Principal: { AWS: '*' },
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Resource: [`arn:<partition>:ecr:eu-west-1:${EKS_REGISTRY}:repository/*`, `arn:<partition>:ecr:eu-west-1:${PIPELINE_ACCOUNT}:repository/*`],
        Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT } },
      });
    }
    const others = Object.entries(policies).filter(([service]) => !['s3', 'ecr.api', 'ecr.dkr'].includes(service));
    expect(others.length).toBe(12);
    for (const [, statements] of others) expect(statements).toHaveLength(1);
  });

  test('with an organization id, the organization\'s principals may reach its resources too', () => {
    const org = vpcIn('eu-west-1', { organizationId: 'o-a1b2c3d4e5' });
    const sts = policiesOf(Template.fromStack(org.stack)).sts!;
    expect(sts[1]).toEqual({
      Sid: 'OrganizationPrincipalsToOrganizationResources', Effect: 'Allow', Principal: { AWS: '*' }, Action: '*', Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } },
    });
  });

  test('an environment-agnostic stack resolves the region\'s EKS registry and the response bucket at deploy time', () => {
    const agnostic = vpcIn(undefined);
    const template = Template.fromStack(agnostic.stack);
    const mappings = template.toJSON().Mappings as Record<string, Record<string, { account: string }>>;
    const [mapping] = Object.entries(mappings).filter(([id]) => id.includes('EksAddonImageRegistries'));
    expect(mapping[1]['eu-west-1']).toEqual({ account: EKS_REGISTRY });
    expect(mapping[1]['af-south-1']).toEqual({ account: '877085696533' });
    const endpoints = template.findResources('AWS::EC2::VPCEndpoint');
    const s3 = Object.entries(endpoints).find(([id]) => /S3/.test(id))![1].Properties.PolicyDocument.Statement;
    expect(JSON.stringify(s3[2].Resource)).toContain('{"Fn::Join":["",{"Fn::Split":["-",{"Ref":"AWS::Region"}]}]}');
    const ecr = Object.entries(endpoints).find(([id]) => /EcrApi/.test(id))![1].Properties.PolicyDocument.Statement;
    expect(JSON.stringify(ecr[1].Resource)).toContain(`{"Fn::FindInMap":["${mapping[0]}",{"Ref":"AWS::Region"},"account"]}`);
  });

  test.each<[string, ZeroTrustVpcProps, string | undefined, string]>([
    ['an organization id of the wrong form', { organizationId: 'org-123' }, 'eu-west-1',
      'organizationId is "org-123", not an AWS Organizations organization id. Fix: use the id from `aws organizations describe-organization` (o- and 10 to 32 lowercase letters or digits), or leave it unset to admit this account only.'],
    ['an image registry account that is no account id', { imageRegistryAccounts: ['11111111111a'] }, 'eu-west-1',
      'imageRegistryAccounts[0] is "11111111111a", not a 12-digit AWS account id. Fix: write the account id, e.g. "123456789012".'],
    ['a region without a known EKS add-on registry', {}, 'xx-south-9',
      'the region "xx-south-9" has no known Amazon EKS add-on image registry, so its ECR endpoints could not admit the add-ons\' images. Fix: set eksAddonImageRegistryAccount to the account of that region\'s registry (EKS user guide, "View Amazon container image registries for Amazon EKS add-ons").'],
  ])('refuses %s at synth, naming the setting and the fix', (_, props, region, message) => {
    expect(() => vpcIn(region, props)).toThrow(`ZeroTrustVpc Net/Network: ${message}`);
  });

  test('a region the table lacks works with the registry account given', () => {
    const { stack } = vpcIn('xx-south-9', { eksAddonImageRegistryAccount: '222222222222' });
    expect(JSON.stringify(policiesOf(Template.fromStack(stack))['ecr.dkr'])).toContain(':ecr:xx-south-9:222222222222:repository/*');
  });
});
