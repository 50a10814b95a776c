import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RedisCache, VALKEY_VERSION, type RedisCacheProps } from '../../../constructs/data';
import { createTestStack } from '../../support/test-app';
import { actionsOf, boundLogGroupNames, keyPolicyStatements, viaServices } from '../../support/key-policy';
import { importedPlatformVpc, singleAzVpc } from './data-test-vpc';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function build(props: Partial<RedisCacheProps> = {}) {
  const { stack } = createTestStack('Cache', { env: ENV });
  const vpc = importedPlatformVpc(stack);
  const cache = new RedisCache(stack, 'Redis', { vpc, ...props });
  return { stack, vpc, cache };
}

describe('RedisCache with defaults', () => {
  let template: Template;
  let cache: RedisCache;
  let stack: Stack;
  beforeAll(() => {
    ({ cache, stack } = build());
    const app = new ec2.SecurityGroup(stack, 'AppSg', { vpc: importedPlatformVpc(stack, 'Vpc2'), allowAllOutbound: false });
    cache.connections.allowDefaultPortFrom(app, 'app');
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com') });
    cache.grantConnect(role);
    template = Template.fromStack(stack);
  });

  test('Valkey pinned to VALKEY_VERSION', () => {
    expect(VALKEY_VERSION).toBe('8.2');
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { Engine: 'valkey', EngineVersion: '8.2' });
  });

  test('TLS in transit is required', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { TransitEncryptionEnabled: true, TransitEncryptionMode: 'required' });
  });

  test('encrypted at rest with a rotating customer key', () => {
    const key = stack.getLogicalId(cache.encryptionKey.node.defaultChild as never);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { AtRestEncryptionEnabled: true, KmsKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { Description: 'ElastiCache data at rest and snapshots', EnableKeyRotation: true });
  });

  test('multi-AZ with automatic failover and one replica', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { MultiAZEnabled: true, AutomaticFailoverEnabled: true, NumCacheClusters: 2 });
  });

  test('placed in the isolated subnets', () => {
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: ['subnet-0000000000000002a', 'subnet-0000000000000002b', 'subnet-0000000000000002c'],
    });
  });

  test('RBAC: the user group holds a disabled "default" user and an IAM-authenticated app user', () => {
    template.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'default', AccessString: 'off -@all', AuthenticationMode: { Type: 'no-password-required' }, Engine: 'valkey',
    });
    template.hasResourceProperties('AWS::ElastiCache::User', {
      UserId: cache.appUserName, UserName: cache.appUserName, AuthenticationMode: { Type: 'iam' }, AccessString: 'on ~* +@all -@dangerous',
    });
    const users = Object.keys(template.findResources('AWS::ElastiCache::User'));
    template.hasResourceProperties('AWS::ElastiCache::UserGroup', { Engine: 'valkey', UserIds: users.map((id) => ({ Ref: id })) });
    const group = Object.keys(template.findResources('AWS::ElastiCache::UserGroup'))[0];
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { UserGroupIds: [{ Ref: group }], AuthToken: Match.absent() });
  });

  test('grantConnect issues elasticache:Connect on exactly the replication group and the app user', () => {
    const group = stack.getLogicalId(cache.replicationGroup);
    const user = Object.entries(template.findResources('AWS::ElastiCache::User')).find(([, r]) => r.Properties.AuthenticationMode.Type === 'iam')![0];
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{
        Effect: 'Allow',
        Action: 'elasticache:Connect',
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':elasticache:eu-west-1:123456789012:replicationgroup:', { Ref: group }]] },
          { 'Fn::GetAtt': [user, 'Arn'] },
        ],
      }] },
    });
  });

  test('automatic snapshots kept 15 days', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { SnapshotRetentionLimit: 15, SnapshotWindow: '01:00-02:00' });
  });

  test('slow and engine logs go to a KMS-encrypted log group with retention', () => {
    const logGroup = stack.getLogicalId(cache.logGroup.node.defaultChild as never);
    const logKey = stack.getLogicalId(cache.logEncryptionKey.node.defaultChild as never);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [logKey, 'Arn'] }, RetentionInDays: 365 });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      LogDeliveryConfigurations: ['slow-log', 'engine-log'].map((LogType) => ({
        LogType, LogFormat: 'json', DestinationType: 'cloudwatch-logs',
        DestinationDetails: { CloudWatchLogsDetails: { LogGroup: { Ref: logGroup } } },
      })),
    });
  });

  test('the log key admits CloudWatch Logs for the cache\'s named log group only; the data key is usable through ElastiCache only', () => {
    // (before: the log group had a generated name and its key admitted every log group of the account;
    // the data key gave the account root kms:*)
    const name = template.toJSON().Resources[stack.getLogicalId(cache.logGroup.node.defaultChild as never)].Properties.LogGroupName as string;
    expect(name).toMatch(/^\/aws\/vendedlogs\/elasticache\/[a-z0-9-]+$/);
    expect(boundLogGroupNames(keyPolicyStatements(template, stack, cache.logEncryptionKey))).toEqual([name]);
    const data = keyPolicyStatements(template, stack, cache.encryptionKey);
    expect(viaServices(data)).toEqual(['elasticache']);
    expect(data.flatMap(actionsOf)).not.toContain('kms:*');
  });

  test('listens on a non-default port (6380, not 6379)', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { Port: 6380 });
  });

  test('security group: ingress only from declared peers on the cache port, never CIDRs, no egress', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('ElastiCache'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([expect.objectContaining({ FromPort: 6380, ToPort: 6380, SourceSecurityGroupId: expect.anything() })]);
    expect(ingress[0].CidrIp).toBeUndefined();
  });

  test('SNAPSHOT removal for the replication group; keys and log group retained', () => {
    template.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) expect(key.DeletionPolicy).toBe('Retain');
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  test('metric helpers use official AWS/ElastiCache names per node', () => {
    expect(cache.metricEngineCPUUtilization()).toMatchObject({ namespace: 'AWS/ElastiCache', metricName: 'EngineCPUUtilization', statistic: 'Average' });
    expect(Object.keys(cache.metricEngineCPUUtilization().dimensions ?? {})).toEqual(['CacheClusterId']);
    expect(cache.metricDatabaseMemoryUsagePercentage().metricName).toBe('DatabaseMemoryUsagePercentage');
    expect(cache.metricCurrConnections().metricName).toBe('CurrConnections');
    expect(cache.metricEvictions()).toMatchObject({ metricName: 'Evictions', statistic: 'Sum' });
    expect(cache.metricReplicationLag()).toMatchObject({ metricName: 'ReplicationLag', statistic: 'Maximum' });
    expect(cache.metricCacheHitRate().metricName).toBe('CacheHitRate');
  });
});

describe('RedisCache options', () => {
  test('replicas, node type, retention, port, user name and RETAIN come from props', () => {
    const { stack } = build({ replicas: 2, cacheNodeType: 'cache.r7g.large', snapshotRetention: Duration.days(35), port: 7000, appUserName: 'orders-app', removalPolicy: RemovalPolicy.RETAIN });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::ElastiCache::ReplicationGroup', {
      Properties: Match.objectLike({ NumCacheClusters: 3, CacheNodeType: 'cache.r7g.large', SnapshotRetentionLimit: 35, Port: 7000 }),
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::ElastiCache::User', { UserId: 'orders-app', UserName: 'orders-app' });
  });
});

describe('RedisCache validation', () => {
  test.each<[string, Partial<RedisCacheProps>, string]>([
    ['zero replicas', { replicas: 0 }, 'replicas is 0: must be a whole number from 1 to 5 (multi-AZ failover needs a replica). Fix: set replicas to 1 or more.'],
    ['the well-known port', { port: 6379 }, 'port is 6379, the well-known Redis port. Fix: use another port such as 6380 (the default).'],
    ['a privileged port', { port: 80 }, 'port is 80: must be 1024 to 65535. Fix: use the default 6380.'],
    ['snapshots too long', { snapshotRetention: Duration.days(40) }, 'snapshotRetention is 40 days: must be 1 to 35 whole days. Fix: use Duration.days(15).'],
    ['a bad node type', { cacheNodeType: 'r7g.large' }, 'cacheNodeType is "r7g.large": not an ElastiCache node type. Fix: use e.g. "cache.t4g.small" or "cache.r7g.large".'],
    ['an engine without IAM auth', { engineVersion: '7.1' }, 'engineVersion is "7.1": must be a Valkey major.minor version of 7.2 or later (IAM authentication). Fix: use "8.2".'],
    ['an uppercase user name', { appUserName: 'App' }, 'appUserName is "App": must be 2-40 lowercase letters, digits or single hyphens, starting with a letter (IAM auth needs user id = user name). Fix: use e.g. "orders-app".'],
    ['the default user name', { appUserName: 'default' }, 'appUserName is "default": that name belongs to the disabled default user. Fix: use e.g. "orders-app".'],
  ])('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(`RedisCache Cache/Redis: ${message}`);
  });

  test('subnets in a single AZ are refused', () => {
    const { stack } = createTestStack('Cache', { env: ENV });
    expect(() => new RedisCache(stack, 'Redis', { vpc: singleAzVpc(stack) })).toThrow(
      'RedisCache Cache/Redis: the selected subnets span 1 Availability Zone(s): multi-AZ failover needs at least two. Fix: select subnets (vpcSubnets) in two or more AZs.',
    );
  });
});
