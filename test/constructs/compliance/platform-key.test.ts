import { App, Aspects, CliCredentialsStackSynthesizer, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { cloudWatchLogsKeyStatement, KeyAdministrators, keyUseThroughServicesStatement, PlatformKey } from '../../../constructs/compliance';

type Statement = Record<string, unknown> & { Sid?: string; Action?: unknown; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };

const EXEC_ROLE = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}' };
const ACCOUNT_PRINCIPAL = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } };
const CRYPTO_OR_GRANT = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|Sign|Verify|GenerateMac|VerifyMac|DeriveSharedSecret|CreateGrant|\*)|^\*$/;

const statementsOf = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement as Statement[];
const actionsOf = (statement: Statement): string[] => [statement.Action ?? []].flat() as string[];
const bySid = (template: Template, sid: string) => statementsOf(template).find((s) => s.Sid === sid)!;

describe('PlatformKey', () => {
  const build = (props: Partial<ConstructorParameters<typeof PlatformKey>[2]> = {}) => {
    const stack = new Stack();
    const key = new PlatformKey(stack, 'Key', { description: 'test', ...props });
    return { stack, key, template: Template.fromStack(stack) };
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

  describe('administration is separate from use', () => {
    test('no statement gives the account (every IAM principal with KMS rights) kms:*, and nothing is usable by default', () => {
      const statements = statementsOf(build().template);
      for (const statement of statements.filter((s) => s.Effect === 'Allow')) {
        expect(actionsOf(statement)).not.toContain('kms:*');
        expect(actionsOf(statement).filter((a) => CRYPTO_OR_GRANT.test(a))).toEqual([]);
      }
      expect(statements.map((s) => s.Sid)).toEqual(['KeyAdministration', 'KeyPolicyRecoveryByAccountRootUser', 'DenyGrantsExceptForAwsResources']);
    });

    test('the stack\'s CloudFormation execution role administers the key, by aws:PrincipalArn (a role created again under the same ARN still matches)', () => {
      const administration = bySid(build().template, 'KeyAdministration');
      expect(administration).toMatchObject({ Effect: 'Allow', Principal: ACCOUNT_PRINCIPAL, Resource: '*', Condition: { ArnEquals: { 'aws:PrincipalArn': [EXEC_ROLE] } } });
      expect(actionsOf(administration)).toEqual(expect.arrayContaining(['kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:ScheduleKeyDeletion', 'kms:TagResource', 'kms:UpdateKeyDescription']));
    });

    test('the account root user may only read and replace the key policy: the key can never become unmanageable', () => {
      expect(bySid(build().template, 'KeyPolicyRecoveryByAccountRootUser')).toEqual({
        Sid: 'KeyPolicyRecoveryByAccountRootUser',
        Effect: 'Allow',
        Principal: ACCOUNT_PRINCIPAL,
        Action: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy'],
        Resource: '*',
        Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } } },
      });
    });

    test('administrators given as props or by KeyAdministrators are added to the administration statement, once each', () => {
      const app = new App();
      const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
      const breakGlass = iam.Role.fromRoleArn(stack, 'BreakGlass', 'arn:aws:iam::111111111111:role/break-glass');
      const sso = iam.Role.fromRoleArn(stack, 'Sso', 'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_KeyAdmins_0123456789abcdef');
      new PlatformKey(stack, 'Key', { description: 'test', administrators: [breakGlass] });
      Aspects.of(app).add(new KeyAdministrators([sso, breakGlass]));
      const administration = bySid(Template.fromStack(stack), 'KeyAdministration');
      expect(administration.Condition!.ArnEquals['aws:PrincipalArn']).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1' },
        'arn:aws:iam::111111111111:role/break-glass',
        'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_KeyAdmins_0123456789abcdef',
      ]);
    });

    test('a stack deployed with the caller\'s credentials (no execution role to name) needs explicit administrators', () => {
      const app = new App();
      const stack = new Stack(app, 'S', { synthesizer: new CliCredentialsStackSynthesizer() });
      new PlatformKey(stack, 'Key', { description: 'test' });
      expect(() => app.synth()).toThrow(
        'PlatformKey S/Key: the key has no administrator: the stack\'s synthesizer (CliCredentialsStackSynthesizer) names no CloudFormation execution role, ' +
        'and without one that may change the key policy CloudFormation could not create or update the key. ' +
        'Fix: pass administrators (e.g. the role you deploy with), add KeyAdministrators to the app, or deploy with the DefaultStackSynthesizer.',
      );
      const ok = new App();
      const withAdmin = new Stack(ok, 'S', { synthesizer: new CliCredentialsStackSynthesizer() });
      new PlatformKey(withAdmin, 'Key', { description: 'test', administrators: [iam.Role.fromRoleArn(withAdmin, 'Deployer', 'arn:aws:iam::111111111111:role/deployer')] });
      expect(() => ok.synth()).not.toThrow();
    });

    test.each([
      ['arn:aws:iam::222222222222:role/admin', 'administrators has "arn:aws:iam::222222222222:role/admin", a role of account 222222222222, but the key is in account 111111111111, whose key policy names only its own principals. Fix: use a role of account 111111111111.'],
      ['arn:aws:iam::111111111111:user/alice', 'administrators has "arn:aws:iam::111111111111:user/alice", which is not an IAM role ARN. Fix: use arn:<partition>:iam::<account>:role/<path/name>.'],
    ])('refuses the administrator %s', (arn, message) => {
      const app = new App();
      const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
      new PlatformKey(stack, 'Key', { description: 'test', administrators: [iam.Role.fromRoleArn(stack, 'Admin', arn)] });
      expect(() => app.synth()).toThrow(`PlatformKey S/Key: ${message}`);
    });
  });

  describe('use', () => {
    test('through AWS services only: kms:ViaService of the named services in this region, callers of this account, no key administration', () => {
      const stack = new Stack();
      new PlatformKey(stack, 'Key', { description: 'test' }).allowUseThroughServices('rds', 'backup');
      const use = bySid(Template.fromStack(stack), 'UseThroughRdsAndBackup');
      expect(use).toMatchObject({
        Effect: 'Allow',
        Principal: ACCOUNT_PRINCIPAL,
        Condition: {
          StringEquals: {
            'kms:ViaService': [
              { 'Fn::Join': ['', ['rds.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
              { 'Fn::Join': ['', ['backup.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
            ],
            'kms:CallerAccount': { Ref: 'AWS::AccountId' },
          },
        },
      });
      expect(actionsOf(use)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant']));
      expect(actionsOf(use).filter((a) => /PutKeyPolicy|ScheduleKeyDeletion|Disable|\*/.test(a))).toEqual([]);
    });

    test.each([
      [[], 'keyUseThroughServicesStatement: services is empty. Fix: name the AWS services that use the key, e.g. "rds".'],
      [['rds.eu-west-1.amazonaws.com'], 'keyUseThroughServicesStatement: services has "rds.eu-west-1.amazonaws.com", which is not an AWS service endpoint prefix. Fix: use the prefix of the service\'s endpoint, e.g. "rds" or "secretsmanager".'],
    ])('refuses the services %j', (services, message) => {
      expect(() => keyUseThroughServicesStatement(new Stack(), services)).toThrow(message);
    });

    test('a grant names its grantee in the key policy: IAM alone no longer decides', () => {
      const stack = new Stack();
      const key = new PlatformKey(stack, 'Key', { description: 'test' });
      const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      key.grantDecrypt(role);
      const template = Template.fromStack(stack);
      const readerId = Object.keys(template.findResources('AWS::IAM::Role'))[0];
      expect(statementsOf(template)).toContainEqual({ Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': [readerId, 'Arn'] } }, Action: 'kms:Decrypt', Resource: '*' });
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
