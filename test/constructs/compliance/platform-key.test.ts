import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { cloudWatchLogsKeyStatement, PlatformKey } from '../../../constructs/compliance';

describe('PlatformKey', () => {
  const build = (props: Partial<ConstructorParameters<typeof PlatformKey>[2]> = {}) => {
    const stack = new Stack();
    const key = new PlatformKey(stack, 'Key', { description: 'test', ...props });
    return { key, template: Template.fromStack(stack) };
  };

  test('rotates automatically', () => {
    build().template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('is retained by default: deleting a key destroys everything it encrypted', () => {
    build().template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('honours an explicit removal policy', () => {
    build({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('denies grants that are neither for AWS resources nor from AWS services (CT.KMS.PR.3)', () => {
    build().template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([{
        Sid: 'DenyGrantsExceptForAwsResources',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }]) },
    });
  });

  test('lets CloudWatch Logs use it only for this account\'s log groups', () => {
    const stack = new Stack();
    new PlatformKey(stack, 'Key', { description: 'logs' }).allowCloudWatchLogs();
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCloudWatchLogsForThisAccount',
        Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
      })]) },
    });
  });

  test('or only for the log groups given, by their exact ARNs', () => {
    const stack = new Stack();
    new PlatformKey(stack, 'Key', { description: 'logs' }).allowCloudWatchLogs(['arn:aws:logs:eu-west-1:111111111111:log-group:/a']);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as Record<string, unknown>[];
    expect(statements.filter((s) => JSON.stringify(s.Principal).includes('logs.'))).toEqual([expect.objectContaining({
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': ['arn:aws:logs:eu-west-1:111111111111:log-group:/a'] } },
    })]);
    expect(() => cloudWatchLogsKeyStatement(stack, [])).toThrow('cloudWatchLogsKeyStatement: logGroupArns is empty. Fix: list the log groups the key encrypts, or omit it for every log group of the account.');
  });
});
