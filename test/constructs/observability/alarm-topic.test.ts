import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AlarmTopic } from '../../../constructs/observability';
import { createTestStack } from '../../support/test-app';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const ALARMS_OF_THIS_ACCOUNT = {
  StringEquals: { 'aws:SourceAccount': '123456789012' },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:*']] } },
};

type Statement = { Sid?: string; Effect: string; Principal: unknown; Action: string | string[]; Condition?: Record<string, unknown> };

describe('AlarmTopic', () => {
  let template: Template;
  const topicPolicy = (): Statement[] => Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement;
  const keyPolicy = (): Statement[] => Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement;

  beforeAll(() => {
    // GIVEN a topic with two subscribers; WHEN synthesized
    const { stack } = createTestStack('Topic', { env: ENV });
    new AlarmTopic(stack, 'Alarms', { emailAddresses: ['oncall@example.com', 'platform@example.com'], displayName: 'ztp-dev alarms' });
    template = Template.fromStack(stack);
  });

  test('messages are encrypted with a rotating customer managed key, kept when the stack goes', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsKey'), 'Arn'] }, SignatureVersion: '2' });
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
  });

  test('the key lets CloudWatch alarms of this account and region encrypt messages, and no one else', () => {
    const cloudWatch = keyPolicy().filter((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect(cloudWatch).toEqual([{
      Sid: 'AllowCloudWatchAlarmsOfThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: ALARMS_OF_THIS_ACCOUNT,
    }]);
    // Every other Allow is the account root's (IAM decides), never a wildcard principal.
    for (const s of keyPolicy().filter((x) => x.Effect === 'Allow' && x !== cloudWatch[0])) {
      expect(JSON.stringify(s.Principal)).toMatch(/:iam::123456789012:root/);
    }
  });

  test('publishing without TLS is denied to everyone', () => {
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    expect(topicPolicy().filter((s) => s.Effect === 'Deny')).toEqual([{
      Sid: 'AllowPublishThroughSSLOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }]);
  });

  test('the topic policy allows only CloudWatch alarms of this account to publish (it replaces the default policy)', () => {
    const allows = topicPolicy().filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: ALARMS_OF_THIS_ACCOUNT })]);
  });

  test('each e-mail address is subscribed', () => {
    const endpoints = Object.values(template.findResources('AWS::SNS::Subscription')).map((s) => [s.Properties.Protocol, s.Properties.Endpoint]);
    expect(endpoints).toEqual([['email', 'oncall@example.com'], ['email', 'platform@example.com']]);
  });

  test.each([
    [{ emailAddresses: ['oncall'] }, 'AlarmTopic Topic/Bad: emailAddresses has "oncall": not an e-mail address. Fix: use e.g. "oncall@example.com".'],
    [{ emailAddresses: ['a b@example.com'] }, 'AlarmTopic Topic/Bad: emailAddresses has "a b@example.com": not an e-mail address. Fix: use e.g. "oncall@example.com".'],
    [{ emailAddresses: ['oncall@example.com', 'oncall@example.com'] }, 'AlarmTopic Topic/Bad: emailAddresses lists "oncall@example.com" twice. Fix: list each address once.'],
  ])('refuses %j', (props, message) => {
    const { stack } = createTestStack('Topic', { env: ENV });
    expect(() => new AlarmTopic(stack, 'Bad', props)).toThrow(message);
  });

  test('refuses an imported key, whose policy could not let CloudWatch use it', () => {
    const { stack } = createTestStack('Topic', { env: ENV });
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/0b9a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d');
    expect(() => new AlarmTopic(stack, 'Bad', { encryptionKey: key })).toThrow(
      'AlarmTopic Topic/Bad: encryptionKey is an imported key whose policy this stack cannot change: CloudWatch alarms could not use it and their notifications would be dropped. Fix: leave encryptionKey unset (a PlatformKey is made) or pass a key defined in this app.',
    );
  });
});
