import { Match, Template } from 'aws-cdk-lib/assertions';
import { DatabaseBootstrap, PostgresDatabase } from '../../../constructs/data';
import { Stack } from 'aws-cdk-lib';
import { ZeroTrustVpc } from '../../../constructs/network';
import { egressOf, internetEgress } from '../../support/security-group-egress';
import { createTestApp, createTestStack } from '../../support/test-app';
import { boundLogGroupNames, keyPolicyStatements } from '../../support/key-policy';
import { importedPlatformVpc } from './data-test-vpc';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function build(roleName?: string) {
  const { stack } = createTestStack('Boot', { env: ENV });
  const db = new PostgresDatabase(stack, 'Postgres', { vpc: importedPlatformVpc(stack) });
  const bootstrap = new DatabaseBootstrap(stack, 'Bootstrap', { database: db, roleName });
  return { stack, db, bootstrap };
}

describe('DatabaseBootstrap', () => {
  let template: Template;
  let ids: { handler: string; sg: string; dbSg: string; secretKey: string; logGroup: string; policy: string };
  beforeAll(() => {
    const { stack, db, bootstrap } = build();
    const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    template = Template.fromStack(stack);
    ids = {
      handler: id(bootstrap.handler),
      sg: id(bootstrap.securityGroup),
      dbSg: id(db.connections.securityGroups[0]),
      secretKey: id(db.secretEncryptionKey),
      logGroup: Object.keys(template.findResources('AWS::Logs::LogGroup')).find((k) => k.startsWith('BootstrapHandlerLogs'))!,
      policy: Object.keys(template.findResources('AWS::IAM::ManagedPolicy')).find((k) => k.startsWith('BootstrapHandlerPolicy'))!,
    };
  });

  test('the handler is a locally bundled Node.js 24 function in the isolated subnets', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      VpcConfig: {
        SubnetIds: ['subnet-0000000000000002a', 'subnet-0000000000000002b', 'subnet-0000000000000002c'],
        SecurityGroupIds: [{ 'Fn::GetAtt': [ids.sg, 'GroupId'] }],
      },
      ReservedConcurrentExecutions: 1,
      LoggingConfig: { LogGroup: { Ref: ids.logGroup } },
      Environment: { Variables: Match.objectLike({ DB_PORT: '5432', DB_NAME: 'app', NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' }) },
    });
  });

  test('both functions log to named log groups kept a year, encrypted with the database\'s log key, which admits CloudWatch Logs for exactly those and the database\'s own', () => {
    // (before: unnamed log groups, and a log key that admitted every log group of the account)
    const { stack, db } = build();
    const boot = Template.fromStack(stack);
    const resources = boot.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const functionGroups = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((f) => resources[f.Properties.LoggingConfig.LogGroup.Ref]);
    expect(functionGroups.map((g) => g.Properties)).toEqual([
      expect.objectContaining({ LogGroupName: expect.stringMatching(/^\/aws\/lambda\/.+-handler$/), RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(db.logEncryptionKey.node.defaultChild as never), 'Arn'] } }),
      expect.objectContaining({ LogGroupName: expect.stringMatching(/^\/aws\/lambda\/.+-provider$/), RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(db.logEncryptionKey.node.defaultChild as never), 'Arn'] } }),
      // In a VPC of unknown endpoints: the S3 prefix list lookup's function (S3PrefixList).
      expect.objectContaining({ LogGroupName: expect.stringMatching(/^\/aws\/lambda\/.+-S3PrefixList-/), RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(db.logEncryptionKey.node.defaultChild as never), 'Arn'] } }),
    ]);
    expect(boundLogGroupNames(keyPolicyStatements(boot, stack, db.logEncryptionKey)).sort())
      .toEqual([...functionGroups, resources[stack.getLogicalId(db.logGroups.postgresql.node.defaultChild as never)]].map((g) => g.Properties.LogGroupName as string).sort());
  });

  test('every function it adds, the provider framework\'s too, runs on Node.js 24', () => {
    const runtimes = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Runtime as string);
    // The handler, its provider framework, and (in a VPC of unknown endpoints) the S3 prefix list lookup.
    expect(runtimes).toEqual(['nodejs24.x', 'nodejs24.x', 'nodejs24.x']);
  });

  test('its security group sends only HTTPS to the VPC CIDR and Postgres to the database security group', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Database bootstrap'),
      SecurityGroupEgress: [{ CidrIp: '10.10.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [ids.sg, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [ids.dbSg, 'GroupId'] },
      FromPort: 5432, ToPort: 5432, IpProtocol: 'tcp',
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [ids.dbSg, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [ids.sg, 'GroupId'] },
      FromPort: 5432, ToPort: 5432,
    });
  });

  test('its role reads only the master secret and decrypts only through Secrets Manager; no inline policies', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Sid: 'ReadMasterSecret', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PostgresCluster'), 'MasterUserSecret.SecretArn'] } }),
        Match.objectLike({ Sid: 'DecryptMasterSecretThroughSecretsManager', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [ids.secretKey, 'Arn'] }, Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } } }),
      ]) },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('the custom resource passes role and schema and runs after the cluster and its instances', () => {
    const [, resource] = Object.entries(template.findResources('Custom::PostgresBootstrap'))[0];
    expect(resource.Properties).toMatchObject({ RoleName: 'app', SchemaName: 'app' });
    expect(resource.DependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^PostgresCluster[0-9A-F]{8}$/),
      expect.stringMatching(/^PostgresClusterWriter/),
      expect.stringMatching(/^PostgresClusterReader1/),
    ]));
  });

  test('the provider framework role has one customer managed policy: its logs, its VPC ENIs and invoking the handler', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('provider framework') } }));
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as { Sid: string; Action: string[]; Resource: unknown }[];
    expect(statements.map((s) => s.Sid)).toEqual(['WriteOwnLogs', 'ManageVpcNetworkInterfaces', 'InvokeHandler']);
    expect(statements.find((s) => s.Sid === 'InvokeHandler')).toMatchObject({ Action: ['lambda:InvokeFunction', 'lambda:GetFunction'], Resource: { 'Fn::GetAtt': [ids.handler, 'Arn'] } });
    // only the ENI actions, which have no resource-level permissions, are on "*"
    expect(statements.filter((s) => s.Resource === '*').map((s) => s.Sid)).toEqual(['ManageVpcNetworkInterfaces']);
    expect(statements.find((s) => s.Sid === 'ManageVpcNetworkInterfaces')!.Action.every((a) => a.startsWith('ec2:'))).toBe(true);
  });

  test('the provider framework function runs in the handler\'s isolated subnets with its own HTTPS-only security group, one at a time', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('provider framework') } });
    expect(Object.keys(functions)).toHaveLength(1);
    const framework = Object.values(functions)[0].Properties;
    const providerSg = Object.keys(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('provider framework') } }));
    expect(providerSg).toHaveLength(1);
    expect(framework.VpcConfig).toEqual({
      SubnetIds: ['subnet-0000000000000002a', 'subnet-0000000000000002b', 'subnet-0000000000000002c'],
      SecurityGroupIds: [{ 'Fn::GetAtt': [providerSg[0], 'GroupId'] }],
    });
    expect(framework.ReservedConcurrentExecutions).toBe(1);
    // HTTPS out only, by name (no 0.0.0.0/0): the Lambda API through its VPC endpoint (this imported
    // VPC's endpoints are unknown: the VPC CIDR), the CloudFormation response URL through the S3
    // gateway endpoint (S3's prefix list, read at deploy time)
    const lookup = Object.keys(template.findResources('Custom::S3PrefixList'));
    expect(lookup).toHaveLength(1);
    expect(egressOf(template, providerSg[0])).toEqual([
      { peer: JSON.stringify({ 'Fn::GetAtt': [lookup[0], 'PrefixLists.0.PrefixListId'] }), protocol: 'tcp', ports: '443-443' },
      { peer: '10.10.0.0/16', protocol: 'tcp', ports: '443-443' },
    ]);
    expect(Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) => JSON.stringify(r).includes(providerSg[0]))).toEqual([]);
  });

  test('in a ZeroTrustVpc, the handler and the provider framework name its interface endpoints\' security group and S3 prefix list: no egress to 0.0.0.0/0', () => {
    // GIVEN the database in a ZeroTrustVpc of another stack, as the platform's Data stack has it
    const app = createTestApp();
    const net = new Stack(app, 'Net', { env: ENV });
    const network = new ZeroTrustVpc(net, 'Network', { cidr: '10.10.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] });
    const stack = new Stack(app, 'Data', { env: ENV });
    const bootstrap = new DatabaseBootstrap(stack, 'Bootstrap', { database: new PostgresDatabase(stack, 'Postgres', { vpc: network.vpc }) });
    // WHEN synthesized
    const data = Template.fromStack(stack);
    const https = (peer: string) => ({ peer: JSON.stringify(stack.resolve(peer)), protocol: 'tcp', ports: '443-443' });
    const providerSg = Object.keys(data.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('provider framework') } }))[0];
    // THEN both reach the AWS APIs through the endpoints only
    expect(egressOf(data, providerSg)).toEqual([https(network.endpointSecurityGroup.securityGroupId), https(network.s3PrefixList.prefixListId)].sort((a, b) => a.peer.localeCompare(b.peer)));
    expect(egressOf(data, stack.getLogicalId(bootstrap.securityGroup.node.defaultChild as never)).filter((r) => r.ports === '443-443')).toEqual([https(network.endpointSecurityGroup.securityGroupId)]);
    expect(internetEgress(data)).toEqual([]);
    // and no lookup of their own: the VPC's prefix list serves them
    data.resourceCountIs('Custom::S3PrefixList', 0);
  });

  test('a lost response fails the deployment after 10 minutes, not after an hour', () => {
    const [, resource] = Object.entries(template.findResources('Custom::PostgresBootstrap'))[0];
    expect(resource.Properties.ServiceTimeout).toBe('600');
  });

  test.each([
    ['App', 'DatabaseBootstrap Boot/Bootstrap: roleName is "App": must be 1-63 characters of lowercase letters, digits and underscores, starting with a letter or underscore. Fix: use e.g. "app".'],
    ['rds_app', 'DatabaseBootstrap Boot/Bootstrap: roleName is "rds_app": names public, postgres, information_schema, rdsadmin and prefixes pg_, rds, aws_ are reserved by PostgreSQL or RDS. Fix: choose an application name such as "app".'],
    ['platform_admin', 'DatabaseBootstrap Boot/Bootstrap: roleName is the master user "platform_admin". Fix: use a separate application role such as "app".'],
  ])('refuses roleName %j', (roleName, message) => {
    expect(() => build(roleName)).toThrow(message);
  });
});
