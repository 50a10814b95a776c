import { CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { PlatformKey } from '../../../constructs/compliance/platform-key';
import { S3PrefixList } from '../../../constructs/network/s3-prefix-list';
import { createTestApp, synthWithGate } from '../../support/test-app';

describe('S3PrefixList', () => {
  let template: Template;
  let list: S3PrefixList;
  let stack: Stack;
  let findings: ReturnType<typeof synthWithGate>['findings'];

  beforeAll(() => {
    // GIVEN a stack with the lookup, as a ZeroTrustVpc builds it
    const app = createTestApp();
    stack = new Stack(app, 'Net');
    const key = new PlatformKey(stack, 'Key', { description: 'logs' });
    list = new S3PrefixList(stack, 'S3PrefixList', { logEncryptionKey: key });
    // WHEN synthesized through the compliance gate
    findings = synthWithGate(app).findings;
    template = Template.fromStack(stack);
  });

  const functions = () => Object.entries(template.findResources('AWS::Lambda::Function'));

  test('passes the compliance gate with no open finding (the library acknowledges only what it cannot fix)', () => {
    expect(findings).toEqual([]);
  });

  test('reads the id of com.amazonaws.<region>.s3 at deploy time, with the SDK of the Lambda runtime (nothing installed from the internet)', () => {
    const lookup = Object.values(template.findResources('Custom::S3PrefixList'));
    expect(lookup).toHaveLength(1);
    const call = JSON.parse(JSON.stringify(lookup[0].Properties.Create));
    expect(lookup[0].Properties.InstallLatestAwsSdk).toBe(false);
    expect(JSON.stringify(call)).toContain('\\"service\\":\\"EC2\\",\\"action\\":\\"DescribeManagedPrefixLists\\"');
    expect(JSON.stringify(call)).toContain('prefix-list-name');
    expect(JSON.stringify(call)).toContain('\\"outputPaths\\":[\\"PrefixLists.0.PrefixListId\\"]');
    expect(stack.resolve(list.prefixListName)).toEqual({ 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] });
    expect(stack.resolve(list.prefixListId)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^S3PrefixListLookup/), 'PrefixLists.0.PrefixListId'] });
  });

  test('the function runs under its own role, which may only describe prefix lists and write its own log group', () => {
    const [[, fn]] = functions();
    const roleId = stack.resolve(list.role.roleArn)['Fn::GetAtt'][0];
    expect(fn.Properties.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: expect.stringMatching(/^S3PrefixListPolicy/) }]);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          { Sid: 'DescribeManagedPrefixLists', Effect: 'Allow', Action: 'ec2:DescribeManagedPrefixLists', Resource: '*' },
          { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^S3PrefixListLogs'), 'Arn'] } },
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('logs to its own KMS-encrypted log group with a year of retention; concurrency reserved at 1', () => {
    const [[, fn]] = functions();
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: expect.stringMatching(/^S3PrefixListLogs/) } });
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('when another AwsCustomResource made the stack\'s function first, that function\'s role gets the lookup\'s policy too', () => {
    // GIVEN another AwsCustomResource in the stack before the lookup
    const other = new Stack(createTestApp(), 'Shared');
    new cr.AwsCustomResource(other, 'Earlier', {
      onUpdate: { service: 'STS', action: 'GetCallerIdentity', physicalResourceId: cr.PhysicalResourceId.of('x') },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    // WHEN the lookup is added
    const shared = new S3PrefixList(other, 'S3PrefixList', { logEncryptionKey: new PlatformKey(other, 'Key', { description: 'logs' }) });
    // THEN the function that really runs it may describe prefix lists
    const roles = Template.fromStack(other).findResources('AWS::IAM::Role');
    const runner = Object.entries(roles).find(([id]) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'));
    expect(runner?.[1].Properties.ManagedPolicyArns).toEqual(expect.arrayContaining([{ Ref: other.resolve((shared.node.findChild('Policy').node.defaultChild as CfnResource).logicalId) }]));
  });
});
