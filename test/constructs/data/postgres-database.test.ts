import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AURORA_POSTGRES_VERSION, PostgresDatabase, type PostgresDatabaseProps } from '../../../constructs/data';
import { createTestStack } from '../../support/test-app';
import { actionsOf, boundLogGroupNames, keyPolicyStatements, viaServices } from '../../support/key-policy';
import { importedPlatformVpc, singleAzVpc } from './data-test-vpc';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function build(props: Partial<PostgresDatabaseProps> = {}) {
  const { stack } = createTestStack('Db', { env: ENV });
  const vpc = importedPlatformVpc(stack);
  const db = new PostgresDatabase(stack, 'Postgres', { vpc, ...props });
  return { stack, vpc, db };
}

describe('PostgresDatabase with defaults', () => {
  let template: Template;
  let db: PostgresDatabase;
  let stack: Stack;
  beforeAll(() => {
    ({ db, stack } = build());
    const app = new ec2.SecurityGroup(stack, 'AppSg', { vpc: db.vpc, allowAllOutbound: false });
    db.connections.allowDefaultPortFrom(app, 'app');
    template = Template.fromStack(stack);
  });

  test('engine is Aurora PostgreSQL pinned to AURORA_POSTGRES_VERSION (17.9)', () => {
    expect(AURORA_POSTGRES_VERSION.auroraPostgresFullVersion).toBe('17.9');
    template.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', EngineVersion: '17.9' });
  });

  test('a Serverless v2 writer and one reader, in different AZs, none publicly accessible', () => {
    const instances = Object.values(template.findResources('AWS::RDS::DBInstance')).map((r) => r.Properties);
    expect(instances).toHaveLength(2);
    for (const instance of instances) {
      expect(instance).toMatchObject({ DBInstanceClass: 'db.serverless', PubliclyAccessible: false, Engine: 'aurora-postgresql' });
    }
    expect(new Set(instances.map((i) => i.AvailabilityZone))).toEqual(new Set(['eu-west-1a', 'eu-west-1b']));
    template.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 } });
  });

  test('placed in the isolated subnets only', () => {
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: ['subnet-0000000000000002a', 'subnet-0000000000000002b', 'subnet-0000000000000002c'],
    });
  });

  test('storage encrypted with a customer key that rotates', () => {
    const keyRef = { 'Fn::GetAtt': [stack.getLogicalId(db.storageEncryptionKey.node.defaultChild as never), 'Arn'] };
    template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true, KmsKeyId: keyRef });
    template.hasResourceProperties('AWS::KMS::Key', { Description: Match.stringLikeRegexp('storage'), EnableKeyRotation: true });
  });

  test('TLS forced: rds.force_ssl = 1 and TLS 1.2 minimum in the cluster parameter group', () => {
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Family: 'aurora-postgresql17',
      Parameters: Match.objectLike({ 'rds.force_ssl': '1', ssl_min_protocol_version: 'TLSv1.2' }),
    });
  });

  test('IAM database authentication is on', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { EnableIAMDatabaseAuthentication: true });
  });

  test('master password managed by RDS in Secrets Manager under a customer key, non-default master user', () => {
    const secretKey = stack.getLogicalId(db.secretEncryptionKey.node.defaultChild as never);
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: { 'Fn::GetAtt': [secretKey, 'Arn'] } },
      MasterUsername: 'platform_admin',
      MasterUserPassword: Match.absent(),
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('deletion protection on, SNAPSHOT removal for the cluster, keys and log groups retained', () => {
    template.hasResource('AWS::RDS::DBCluster', { Properties: Match.objectLike({ DeletionProtection: true }), DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) expect(key.DeletionPolicy).toBe('Retain');
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) expect(group.DeletionPolicy).toBe('Retain');
  });

  test('automated backups kept 7 days (point-in-time recovery) and tags copied to snapshots', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 7, PreferredBackupWindow: '02:00-03:00', CopyTagsToSnapshot: true });
  });

  test('postgresql log exported to a KMS-encrypted log group with one-year retention, created before the cluster', () => {
    const [clusterId, cluster] = Object.entries(template.findResources('AWS::RDS::DBCluster'))[0];
    expect(cluster.Properties.EnableCloudwatchLogsExports).toEqual(['postgresql']);
    const identifier: string = cluster.Properties.DBClusterIdentifier;
    expect(identifier).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
    const logKey = stack.getLogicalId(db.logEncryptionKey.node.defaultChild as never);
    const logGroupId = stack.getLogicalId(db.logGroups.postgresql.node.defaultChild as never);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/rds/cluster/${identifier}/postgresql`,
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [logKey, 'Arn'] },
    });
    expect(template.toJSON().Resources[clusterId].DependsOn).toContain(logGroupId);
    // The log key admits CloudWatch Logs for this log group only (before: every log group of the account).
    expect(boundLogGroupNames(keyPolicyStatements(template, stack, db.logEncryptionKey))).toEqual([`/aws/rds/cluster/${identifier}/postgresql`]);
  });

  test('each key is usable only through the services it exists for: storage through RDS and AWS Backup, the master secret through Secrets Manager and RDS', () => {
    // (before: the account root had kms:* on both: any principal with KMS rights in IAM could decrypt directly)
    const storage = keyPolicyStatements(template, stack, db.storageEncryptionKey);
    const secret = keyPolicyStatements(template, stack, db.secretEncryptionKey);
    expect(viaServices(storage)).toEqual(['rds', 'backup']);
    expect(viaServices(secret)).toEqual(['secretsmanager', 'rds']);
    for (const statement of [...storage, ...secret].filter((s) => s.Effect === 'Allow')) {
      expect(actionsOf(statement)).not.toContain('kms:*');
      const decrypts = actionsOf(statement).includes('kms:Decrypt');
      expect({ sid: statement.Sid, decryptsOnlyThroughAService: !decrypts || statement.Condition?.StringEquals?.['kms:ViaService'] !== undefined })
        .toEqual({ sid: statement.Sid, decryptsOnlyThroughAService: true });
    }
  });

  test('Performance Insights (Database Insights standard) encrypted with the customer key', () => {
    const storageKey = stack.getLogicalId(db.storageEncryptionKey.node.defaultChild as never);
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      PerformanceInsightsEnabled: true,
      PerformanceInsightsKmsKeyId: { 'Fn::GetAtt': [storageKey, 'Arn'] },
      DatabaseInsightsMode: 'standard',
    });
  });

  test('enhanced monitoring every 60 seconds on every instance', () => {
    for (const instance of Object.values(template.findResources('AWS::RDS::DBInstance'))) {
      expect(instance.Properties.MonitoringInterval).toBe(60);
      expect(instance.Properties.MonitoringRoleArn).toBeDefined();
    }
  });

  test('the monitoring role and the backup-selection role are each assumable only by their service and hold only its AWS managed policy', () => {
    const roleOf = (logicalIdPrefix: string) => Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => id.startsWith(logicalIdPrefix)).map(([, r]) => r);
    for (const [prefix, service, policy] of [
      ['PostgresMonitoringRole', 'monitoring.rds.amazonaws.com', 'policy/service-role/AmazonRDSEnhancedMonitoringRole'],
      ['PostgresBackupPlanClusterRole', 'backup.amazonaws.com', 'policy/service-role/AWSBackupServiceRolePolicyForBackup'],
    ]) {
      const roles = roleOf(prefix);
      expect({ prefix, roles: roles.length }).toEqual({ prefix, roles: 1 });
      expect(roles[0].Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: service } }]);
      expect(JSON.stringify(roles[0].Properties.ManagedPolicyArns).match(/policy\/[\w/-]+/g)).toEqual([policy]);
      expect(roles[0].Properties.Policies).toBeUndefined();
    }
  });

  test('AWS Backup plan selects the cluster into a vault encrypted with the customer key', () => {
    const cluster = stack.getLogicalId(db.cluster.node.defaultChild as never);
    const selection = Object.values(template.findResources('AWS::Backup::BackupSelection'))[0].Properties.BackupSelection;
    expect(selection.Resources).toEqual([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:eu-west-1:123456789012:cluster:', { Ref: cluster }]] }]);
    template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: Match.anyValue() });
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({ BackupPlanRule: Match.arrayWith([Match.objectLike({ RuleName: 'Daily', Lifecycle: { DeleteAfterDays: 7 } })]) }),
    });
  });

  test('security group: no rules of its own, ingress only from declared peers (security groups, never CIDRs), no egress', () => {
    const sg = stack.getLogicalId(db.connections.securityGroups[0].node.defaultChild as never);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Aurora PostgreSQL'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([expect.objectContaining({ GroupId: { 'Fn::GetAtt': [sg, 'GroupId'] }, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: expect.anything() })]);
    expect(ingress[0].CidrIp).toBeUndefined();
  });

  test('grantConnect allows rds-db:connect on exactly the dbuser ARN built from the cluster resource id', () => {
    const fresh = build();
    const role = new iam.Role(fresh.stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com') });
    const grant = fresh.db.grantConnect(role, 'app');
    expect(grant.success).toBe(true);
    const cluster = fresh.stack.getLogicalId(fresh.db.cluster.node.defaultChild as never);
    Template.fromStack(fresh.stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{
        Effect: 'Allow',
        Action: 'rds-db:connect',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-west-1:123456789012:dbuser:', { 'Fn::GetAtt': [cluster, 'DBClusterResourceId'] }, '/app']] },
      }] },
    });
  });

  test('metric helpers use the official AWS/RDS names and the cluster dimension', () => {
    const capacity = db.metricServerlessDatabaseCapacity();
    expect(capacity).toMatchObject({ namespace: 'AWS/RDS', metricName: 'ServerlessDatabaseCapacity', statistic: 'Average' });
    expect(Object.keys(capacity.dimensions ?? {})).toEqual(['DBClusterIdentifier']);
    expect(db.metricACUUtilization().metricName).toBe('ACUUtilization');
    expect(db.metricCPUUtilization().metricName).toBe('CPUUtilization');
    expect(db.metricDatabaseConnections().metricName).toBe('DatabaseConnections');
    expect(db.metricFreeableMemory().metricName).toBe('FreeableMemory');
    expect(db.metricDeadlocks().metricName).toBe('Deadlocks');
    expect(db.metricAuroraReplicaLagMaximum()).toMatchObject({ metricName: 'AuroraReplicaLagMaximum', statistic: 'Maximum' });
  });
});

describe('PostgresDatabase options', () => {
  test('sizes, readers, 35-day backups and RETAIN come from props; readers spread over the other AZs', () => {
    const { stack } = build({ minCapacityAcu: 2, maxCapacityAcu: 32, readers: 2, backupRetention: Duration.days(35), removalPolicy: RemovalPolicy.RETAIN });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({ BackupRetentionPeriod: 35, ServerlessV2ScalingConfiguration: { MinCapacity: 2, MaxCapacity: 32 } }),
      DeletionPolicy: 'Retain',
    });
    const zones = Object.values(template.findResources('AWS::RDS::DBInstance')).map((r) => r.Properties.AvailabilityZone);
    expect(zones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  test('uses a given security group', () => {
    const { stack } = createTestStack('Db', { env: ENV });
    const vpc = importedPlatformVpc(stack);
    const securityGroup = new ec2.SecurityGroup(stack, 'Given', { vpc, allowAllOutbound: false });
    const db = new PostgresDatabase(stack, 'Postgres', { vpc, securityGroup });
    expect(db.connections.securityGroups).toEqual([securityGroup]);
  });

  test('awsBackupPlan: false leaves AWS Backup out', () => {
    const { stack } = build({ awsBackupPlan: false });
    Template.fromStack(stack).resourceCountIs('AWS::Backup::BackupPlan', 0);
  });
});

describe('PostgresDatabase validation', () => {
  test.each<[string, Partial<PostgresDatabaseProps>, string]>([
    ['min above max', { minCapacityAcu: 8, maxCapacityAcu: 4 }, 'minCapacityAcu (8) is above maxCapacityAcu (4). Fix: lower minCapacityAcu or raise maxCapacityAcu.'],
    ['min not a half step', { minCapacityAcu: 0.3 }, 'minCapacityAcu is 0.3: must be 0 to 256 in steps of 0.5. Fix: use e.g. 0.5.'],
    ['max too large', { maxCapacityAcu: 300 }, 'maxCapacityAcu is 300: must be 1 to 256 in steps of 0.5. Fix: use e.g. 4.'],
    ['zero readers', { readers: 0 }, 'readers is 0: must be a whole number from 1 to 15 (a reader in another AZ is the failover target). Fix: set readers to 1 or more.'],
    ['backups too short', { backupRetention: Duration.days(3) }, 'backupRetention is 3 days: must be 7 to 35 whole days. Fix: use Duration.days(7) or more (35 in prod).'],
    ['backups too long', { backupRetention: Duration.days(36) }, 'backupRetention is 36 days: must be 7 to 35 whole days. Fix: use Duration.days(7) or more (35 in prod).'],
    ['bad port', { port: 80 }, 'port is 80: must be 1150 to 65535. Fix: use the default 5432 or another free port.'],
    ['bad database name', { databaseName: 'My-DB' }, 'databaseName is "My-DB": must be 1-63 lowercase letters, digits or underscores, starting with a letter. Fix: use e.g. "app".'],
    ['default master user', { masterUsername: 'postgres' }, 'masterUsername is "postgres": well-known admin names are refused. Fix: use a non-default name such as "platform_admin".'],
  ])('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(`PostgresDatabase Db/Postgres: ${message}`);
  });

  test('subnets in a single AZ are refused', () => {
    const { stack } = createTestStack('Db', { env: ENV });
    expect(() => new PostgresDatabase(stack, 'Postgres', { vpc: singleAzVpc(stack) })).toThrow(
      'PostgresDatabase Db/Postgres: the selected subnets span 1 Availability Zone(s): Aurora needs at least two for a reader in another AZ. Fix: select subnets (vpcSubnets) in two or more AZs.',
    );
  });

  test('public subnets are refused', () => {
    expect(() => build({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })).toThrow(
      'PostgresDatabase Db/Postgres: vpcSubnets selects public subnets ["subnet-0000000000000000a","subnet-0000000000000000b","subnet-0000000000000000c"]: a database there has a route from the internet. Fix: place the database in isolated subnets (the default vpcSubnets, SubnetType.PRIVATE_ISOLATED: the "Data" subnets of a ZeroTrustVpc).',
    );
  });

  test.each([
    ['the master user', 'platform_admin', 'grantConnect dbUser is the master user "platform_admin": applications never connect as the master user. Fix: grant the application role created by DatabaseBootstrap.'],
    ['a malformed user', 'App User', 'grantConnect dbUser is "App User": must be a lowercase PostgreSQL role name. Fix: pass the role created by DatabaseBootstrap, e.g. "app".'],
  ])('grantConnect refuses %s', (_name, dbUser, message) => {
    const { stack, db } = build();
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => db.grantConnect(role, dbUser)).toThrow(`PostgresDatabase Db/Postgres: ${message}`);
  });
});
