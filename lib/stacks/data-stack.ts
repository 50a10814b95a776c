import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { DatabaseBootstrap, PostgresDatabase, RedisCache } from '@zero-trust/platform-constructs';
import type { PlatformConfig } from '../config';
import { removalPolicyOf } from './config-mapping';

export interface DataStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** The platform VPC (its isolated "Data" subnets hold the database and the cache). */
  readonly vpc: ec2.IVpc;
  /**
   * Application role and schema created in the database by the bootstrap.
   * @default 'app'
   */
  readonly appDatabaseUser?: string;
}

/**
 * The stateful data tier: Aurora PostgreSQL (system of record) and ElastiCache Valkey (cache),
 * their keys, log groups and security groups. Consumers get the constructs themselves (typed
 * endpoints, `connections`, `grantConnect`), never strings.
 */
export class DataStack extends Stack {
  readonly postgres: PostgresDatabase;
  readonly databaseBootstrap: DatabaseBootstrap;
  readonly cache: RedisCache;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { postgres, cache } = props.config.data;
    const removalPolicy = removalPolicyOf(props.config, { allowSnapshot: true });

    this.postgres = new PostgresDatabase(this, 'Postgres', {
      vpc: props.vpc,
      minCapacityAcu: postgres.minCapacityAcu,
      maxCapacityAcu: postgres.maxCapacityAcu,
      readers: postgres.readers,
      backupRetention: Duration.days(postgres.backupRetentionDays),
      removalPolicy,
    });
    this.databaseBootstrap = new DatabaseBootstrap(this, 'PostgresBootstrap', {
      database: this.postgres,
      roleName: props.appDatabaseUser ?? 'app',
      // The literal CIDR (not an imported token) keeps the rule reviewable in the template.
      endpointsPeer: ec2.Peer.ipv4(props.config.network.vpcCidr),
      removalPolicy: removalPolicyOf(props.config, { allowSnapshot: false }),
    });
    this.cache = new RedisCache(this, 'Cache', {
      vpc: props.vpc,
      cacheNodeType: cache.nodeType,
      replicas: cache.replicas,
      snapshotRetention: Duration.days(cache.snapshotRetentionDays),
      removalPolicy,
    });
  }
}
