import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolvePlatformConfig, type PlatformConfigOverrides } from '../../../lib/config';
import { PlatformStage } from '../../../lib/platform-stage';
import type { OpenFinding } from '@zero-trust/platform-constructs';
import { createTestApp, snapshotTemplate, synthWithGate } from '../../support/test-app';

function stage(app: App, env: string): PlatformStage {
  return new PlatformStage(app, env.charAt(0).toUpperCase() + env.slice(1), { config: resolvePlatformConfig(env) });
}

describe('DataStack in the PlatformStage', () => {
  let dev: PlatformStage;
  let prod: PlatformStage;
  let devTemplate: Template;
  let prodTemplate: Template;
  let findings: OpenFinding[];
  beforeAll(() => {
    const app = createTestApp();
    dev = stage(app, 'dev');
    prod = stage(app, 'prod');
    ({ findings } = synthWithGate(app));
    devTemplate = Template.fromStack(dev.data);
    prodTemplate = Template.fromStack(prod.data);
  });

  test('dev and prod synthesize with the compliance gate at zero open findings', () => {
    expect(findings).toEqual([]);
  });

  test('the data tier is its own stack, created after the network and before nothing that churns', () => {
    expect(dev.data.stackName).toBe('ztp-dev-data');
    expect(dev.data.dependencies).toEqual([dev.network]);
    expect(prod.data.terminationProtection).toBe(true);
  });

  test('consumers get typed construct attributes, not strings', () => {
    expect(dev.data.postgres.connections.securityGroups).toHaveLength(1);
    expect(dev.data.cache.connections.defaultPort?.toString()).toBe('6380');
    expect(dev.data.databaseBootstrap.roleName).toBe('app');
    expect(typeof dev.data.postgres.grantConnect).toBe('function');
    expect(typeof dev.data.cache.grantConnect).toBe('function');
  });

  test('sizes come from config: dev one reader and one replica, prod two of each with 35-day backups', () => {
    expect(Object.keys(devTemplate.findResources('AWS::RDS::DBInstance'))).toHaveLength(2);
    expect(Object.keys(prodTemplate.findResources('AWS::RDS::DBInstance'))).toHaveLength(3);
    prodTemplate.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 35, ServerlessV2ScalingConfiguration: { MinCapacity: 2, MaxCapacity: 32 } });
    prodTemplate.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NumCacheClusters: 3, CacheNodeType: 'cache.r7g.large', SnapshotRetentionLimit: 35 });
  });

  test('prod retains the database, the cache and their keys', () => {
    prodTemplate.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Retain' });
    prodTemplate.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Retain' });
    for (const key of Object.values(prodTemplate.findResources('AWS::KMS::Key'))) expect(key.DeletionPolicy).toBe('Retain');
  });

  // Changing any of these ids makes CloudFormation replace the resource: the database, the
  // cache or the keys that make their snapshots readable. A failure here is a data-loss review.
  test('logical ids of the stateful resources are frozen', () => {
    const ids = (type: string) => Object.keys(prodTemplate.findResources(type)).sort();
    expect({
      cluster: ids('AWS::RDS::DBCluster'),
      instances: ids('AWS::RDS::DBInstance'),
      replicationGroup: ids('AWS::ElastiCache::ReplicationGroup'),
      cacheUsers: ids('AWS::ElastiCache::User'),
      cacheUserGroup: ids('AWS::ElastiCache::UserGroup'),
      keys: ids('AWS::KMS::Key'),
      backupVault: ids('AWS::Backup::BackupVault'),
      logGroups: ids('AWS::Logs::LogGroup'),
      bootstrap: ids('Custom::PostgresBootstrap'),
    }).toEqual({
      cluster: ['PostgresCluster53E5BDAB'],
      instances: ['PostgresClusterReader1B29A7FF3', 'PostgresClusterReader25FD6CFA8', 'PostgresClusterWriterF88DD8CC'],
      replicationGroup: ['Cache18F6EE16'],
      cacheUsers: ['CacheAppUser61A72E56', 'CacheDefaultUser47D483BA'],
      cacheUserGroup: ['CacheUserGroup978A79CF'],
      keys: ['CacheKeyCDF9DE27', 'CacheLogKey1EC2A01F', 'PostgresLogKeyE3FBE13C', 'PostgresSecretKey8A1BAB40', 'PostgresStorageKey2DA5705B'],
      backupVault: ['PostgresBackupVault9B79898C'],
      logGroups: ['CacheLogGroup527D0E4F', 'PostgresBootstrapHandlerLogs812379F2', 'PostgresBootstrapProviderLogsCCA932BD', 'PostgresLogGrouppostgresqlB8F5E583'],
      bootstrap: ['PostgresBootstrap1C415FA3'],
    });
    // The master secret is created and rotated by RDS (ManageMasterUserPassword), not by the
    // template, so there is no secret resource whose id could change; its key is frozen above.
    prodTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('physical names derived from construct paths are stable', () => {
    prodTemplate.hasResourceProperties('AWS::RDS::DBCluster', { DBClusterIdentifier: 'ztpproddata-postgres-58cbd582' });
  });

  test('snapshot of the dev Data stack', () => {
    expect(snapshotTemplate(devTemplate)).toMatchSnapshot();
  });
});

describe('data configuration errors', () => {
  test.each<[string, string, PlatformConfigOverrides, string]>([
    ['zero readers in prod', 'prod', { data: { postgres: { readers: 0 } } },
      'data.postgres.readers is 0: must be at least 1: a reader in another AZ is the failover target of the writer. Fix: set it to 1 (2 in prod)'],
    ['one reader in prod', 'prod', { data: { postgres: { readers: 1 } } },
      'data.postgres.readers is 1: must be at least 2 in prod so a failover still leaves a reader. Fix: set data.postgres.readers to 2'],
    ['min capacity above max', 'dev', { data: { postgres: { minCapacityAcu: 16, maxCapacityAcu: 8 } } },
      'data.postgres.minCapacityAcu is 16: must not be above data.postgres.maxCapacityAcu (8). Fix: lower minCapacityAcu or raise maxCapacityAcu'],
    ['capacity not in half steps', 'dev', { data: { postgres: { minCapacityAcu: 0.25 } } },
      'data.postgres.minCapacityAcu is 0.25: must be 0 to 256 Aurora capacity units in steps of 0.5. Fix: set it to e.g. 0.5'],
    ['max capacity too large', 'dev', { data: { postgres: { maxCapacityAcu: 512 } } },
      'data.postgres.maxCapacityAcu is 512: must be 1 to 256 Aurora capacity units in steps of 0.5. Fix: set it to e.g. 4'],
    ['backups shorter than a week', 'dev', { data: { postgres: { backupRetentionDays: 3 } } },
      'data.postgres.backupRetentionDays is 3: must be 7 to 35 days. Fix: set it to 7 (35 in prod)'],
    ['prod backups below 35 days', 'prod', { data: { postgres: { backupRetentionDays: 14 } } },
      'data.postgres.backupRetentionDays is 14: must be 35 in prod (the longest point-in-time recovery window). Fix: set data.postgres.backupRetentionDays to 35'],
    ['a malformed node type', 'dev', { data: { cache: { nodeType: 'm7g.large' } } },
      'data.cache.nodeType is "m7g.large": must be an ElastiCache node type. Fix: set it to e.g. "cache.t4g.small" or "cache.r7g.large"'],
    ['a burstable node in prod', 'prod', { data: { cache: { nodeType: 'cache.t4g.small' } } },
      'data.cache.nodeType is "cache.t4g.small": must not be a burstable (t) node type in prod. Fix: use e.g. "cache.r7g.large"'],
    ['a cache without replicas', 'dev', { data: { cache: { replicas: 0 } } },
      'data.cache.replicas is 0: must be a whole number from 1 to 5: multi-AZ automatic failover needs a replica. Fix: set it to 1 (2 in prod)'],
    ['one cache replica in prod', 'prod', { data: { cache: { replicas: 1 } } },
      'data.cache.replicas is 1: must be at least 2 in prod so a failover still leaves a replica. Fix: set data.cache.replicas to 2'],
    ['cache snapshots under 15 days', 'staging', { data: { cache: { snapshotRetentionDays: 7 } } },
      'data.cache.snapshotRetentionDays is 7: must be 15 to 35 days (the compliance packs ask for 15). Fix: set it to 15'],
  ])('%s', (_name, env, overrides, expected) => {
    expect(() => resolvePlatformConfig(env, overrides)).toThrow(expected);
  });
});
