import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { encryptedLogGroup } from '../compliance/encrypted-log-group';
import { keyUseThroughServicesStatement, PlatformKey } from '../compliance/platform-key';
import { describeValue, isIntBetween, validationFailure } from '../core/validation';
import { ELASTICACHE_NODE_TYPE, REDIS_REPLICAS, REDIS_SNAPSHOT_RETENTION_DAYS } from './limits';
import { refuseRoutedDataSubnets } from './placement';
import { supportingRemovalPolicy } from './removal';

/** The cache engine: Valkey (the open-source Redis successor ElastiCache recommends). */
export const CACHE_ENGINE = 'valkey';
/** The Valkey version, pinned; minor updates arrive in the maintenance window. */
export const VALKEY_VERSION = '8.2';
/** The port clients connect on. Deliberately not 6379, the port scanners try first. */
export const DEFAULT_CACHE_PORT = 6380;
/** The well-known Redis/Valkey port, refused. */
const WELL_KNOWN_PORT = 6379;

/** Where a cache answers. */
export interface CacheEndpoint {
  /** DNS name of the endpoint. */
  readonly hostname: string;
  /** TCP port of the endpoint. */
  readonly port: number;
}

/** A cache others compose with: network access, IAM connect grant, metrics. */
export interface IRedisCache extends ec2.IConnectable {
  /** The replication group id (used to sign IAM auth tokens). */
  readonly replicationGroupId: string;
  /** Primary (read/write) endpoint. */
  readonly primaryEndpoint: CacheEndpoint;
  /** Reader endpoint, load-balanced over the replicas. */
  readonly readerEndpoint: CacheEndpoint;
  /** The IAM-authenticated application user: connect with this user name and an IAM token. */
  readonly appUserName: string;
  /**
   * The subnets the cache lives in (isolated). A service that uses the cache addresses them in
   * its NetworkPolicy and ServiceEntry, so they come from here, never from the caller.
   */
  readonly subnets: ec2.ISubnet[];
  /** Lets `grantee` connect as the application user (`elasticache:Connect`). */
  grantConnect(grantee: iam.IGrantable): iam.Grant;
}

/** An existing ElastiCache (Valkey or Redis OSS) replication group, for `RedisCache.fromCacheAttributes`. */
export interface RedisCacheAttributes {
  /** The VPC of the cache. */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets of the cache (its subnet group), with their CIDRs; public subnets and subnets
   * with egress are refused, as for a new cache.
   * @default - the isolated subnets of the VPC
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** The replication group id. */
  readonly replicationGroupId: string;
  /** Host name of the primary endpoint. */
  readonly primaryEndpointAddress: string;
  /** Host name of the reader endpoint. */
  readonly readerEndpointAddress: string;
  /**
   * Port the cache listens on (both endpoints).
   * @default DEFAULT_CACHE_PORT (6380)
   */
  readonly port?: number;
  /**
   * The IAM-authenticated user the application connects as (its user id equals its name, as
   * IAM authentication requires).
   */
  readonly appUserName: string;
  /** Security groups of the cache: consumers add their ingress rules to them. */
  readonly securityGroups: ec2.ISecurityGroup[];
}

/** Properties of a `RedisCache`. */
export interface RedisCacheProps {
  /** The VPC the cache lives in. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the cache; they must span at least two Availability Zones.
   * @default - the isolated subnets of the VPC
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Valkey engine version (IAM authentication needs 7.2 or later).
   * @default VALKEY_VERSION
   */
  readonly engineVersion?: string;
  /**
   * Node type of every node, e.g. `cache.r7g.large`.
   * @default 'cache.t4g.small'
   */
  readonly cacheNodeType?: string;
  /**
   * Read replicas besides the primary (1 to 5); with multi-AZ and automatic failover one of them
   * takes over when the primary fails.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Port the cache listens on; 6379 is refused.
   * @default DEFAULT_CACHE_PORT (6380)
   */
  readonly port?: number;
  /**
   * How long daily snapshots are kept (1 to 35 days; compliance packs ask for 15).
   * @default Duration.days(15)
   */
  readonly snapshotRetention?: Duration;
  /**
   * Daily snapshot window (UTC, hh24:mi-hh24:mi, at least 60 minutes).
   * @default '01:00-02:00'
   */
  readonly snapshotWindow?: string;
  /**
   * Weekly maintenance window (UTC); must not overlap the snapshot window.
   * @default 'sun:04:30-sun:05:30'
   */
  readonly preferredMaintenanceWindow?: string;
  /**
   * Key encrypting data at rest (nodes, swap, snapshots). The cache lets principals of the
   * account use it through ElastiCache only; an imported key needs that statement where it is
   * defined.
   * @default - a new PlatformKey, usable through ElastiCache only
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Key encrypting the slow-log and engine-log group. The cache lets CloudWatch Logs use it for
   * that log group only; an imported key needs that statement where it is defined.
   * @default - a new PlatformKey, usable by CloudWatch Logs for that log group only
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * How long slow and engine logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Security group of the cache. Add peers with `connections.allowDefaultPortFrom(peer)`.
   * @default - a new security group admitting no one and sending nothing
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * User id and name of the IAM-authenticated application user (lowercase, 1-40 characters,
   * unique in the account and region).
   * @default - derived from the construct path, ending in "-app"
   */
  readonly appUserName?: string;
  /**
   * Valkey ACL rules of the application user.
   * @default 'on ~* +@all -@dangerous' - every key, no administrative or dangerous commands
   */
  readonly appAccessString?: string;
  /**
   * What happens to the replication group when it leaves the stack. Keys and the log group are
   * retained for SNAPSHOT and RETAIN, and destroyed with DESTROY.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An ElastiCache (Valkey) replication group, private and authenticated by default:
 *
 * - Valkey pinned; TLS in transit required; encryption at rest with a customer key;
 * - multi-AZ with automatic failover and at least one replica, in isolated subnets;
 * - RBAC: a user group whose `default` user is disabled, plus an IAM-authenticated application
 *   user; `grantConnect` issues `elasticache:Connect` on exactly this group and that user;
 * - daily snapshots kept 15 days; slow and engine logs to a KMS-encrypted log group;
 * - a non-default port and a security group with no rules: peers come through `connections`.
 */
export class RedisCache extends Construct implements IRedisCache {
  /**
   * An existing replication group (made by another stack or app) that services can use as they
   * use a new one: its security groups admit them, `grantConnect` issues `elasticache:Connect`
   * on it as the application user, and its subnets come with it.
   */
  static fromCacheAttributes(scope: Construct, id: string, attrs: RedisCacheAttributes): IRedisCache {
    return new ImportedRedisCache(scope, id, attrs);
  }

  /** The replication group. */
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The replication group id (used to sign IAM auth tokens). */
  readonly replicationGroupId: string;
  /** Primary (read/write) endpoint. */
  readonly primaryEndpoint: CacheEndpoint;
  /** Reader endpoint, load-balanced over the replicas. */
  readonly readerEndpoint: CacheEndpoint;
  /** The IAM-authenticated application user name. */
  readonly appUserName: string;
  /** ARN of the application user. */
  readonly appUserArn: string;
  /** ARN of the replication group. */
  readonly replicationGroupArn: string;
  /** Network access to the cache (its security groups). */
  readonly connections: ec2.Connections;
  /** Key encrypting the cache data at rest. */
  readonly encryptionKey: kms.IKey;
  /** Key encrypting the cache's log groups. */
  readonly logEncryptionKey: kms.IKey;
  /** Log group receiving the slow log and the engine log. */
  readonly logGroup: logs.ILogGroup;
  /** The subnets the cache lives in. */
  readonly subnets: ec2.ISubnet[];
  /** Nodes of the replication group: the primary and its replicas. */
  readonly nodeCount: number;

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);
    const replicas = props.replicas ?? 1;
    const port = props.port ?? DEFAULT_CACHE_PORT;
    const snapshotRetention = props.snapshotRetention ?? Duration.days(15);
    const cacheNodeType = props.cacheNodeType ?? 'cache.t4g.small';
    const engineVersion = props.engineVersion ?? VALKEY_VERSION;
    const baseName = Names.uniqueResourceName(this, { maxLength: 34, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/-+/g, '-').replace(/^[^a-z]+/, '');
    this.appUserName = props.appUserName ?? `${baseName}-app`;
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const subnets = props.vpc.selectSubnets(vpcSubnets);
    validateRedisProps(this, props, { replicas, port, snapshotRetention, cacheNodeType, engineVersion, appUserName: this.appUserName, subnets });
    this.subnets = subnets.subnets;
    this.nodeCount = 1 + replicas;

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const keyRemovalPolicy = supportingRemovalPolicy(removalPolicy);
    this.encryptionKey = props.encryptionKey ?? new PlatformKey(this, 'Key', {
      description: 'ElastiCache data at rest and snapshots',
      removalPolicy: keyRemovalPolicy,
    });
    // Data at rest and snapshots: usable only through ElastiCache (a no-op on an imported key,
    // whose policy must say the same where it is defined).
    this.encryptionKey.addToResourcePolicy(keyUseThroughServicesStatement(Stack.of(this), ['elasticache']));
    this.logEncryptionKey = props.logEncryptionKey ?? new PlatformKey(this, 'LogKey', { description: 'ElastiCache slow and engine logs', removalPolicy: keyRemovalPolicy });
    // Named (under /aws/vendedlogs/, as CloudWatch Logs advises for logs AWS delivers), so the
    // log key admits CloudWatch Logs for this log group only.
    this.logGroup = encryptedLogGroup(this, 'LogGroup', {
      logGroupName: `/aws/vendedlogs/elasticache/${baseName}`,
      encryptionKey: this.logEncryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: keyRemovalPolicy,
    });

    const securityGroup = props.securityGroup ?? new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'ElastiCache: admits only declared peers on the cache port',
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(port) });

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: `Isolated subnets of ${this.node.path}`,
      subnetIds: subnets.subnetIds,
    });

    // RBAC: ElastiCache requires a user named "default" in every group; ours is switched off.
    const defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: CACHE_ENGINE,
      userId: `${baseName}-default`,
      userName: 'default',
      accessString: 'off -@all',
      authenticationMode: { Type: 'no-password-required' },
    });
    // IAM authentication requires the user id and user name to be equal.
    const appUser = new elasticache.CfnUser(this, 'AppUser', {
      engine: CACHE_ENGINE,
      userId: this.appUserName,
      userName: this.appUserName,
      accessString: props.appAccessString ?? 'on ~* +@all -@dangerous',
      authenticationMode: { Type: 'iam' },
    });
    const userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: CACHE_ENGINE,
      userGroupId: `${baseName}-users`,
      userIds: [defaultUser.ref, appUser.ref],
    });

    const replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
      replicationGroupDescription: `Valkey cache of ${this.node.path}`.slice(0, 255),
      engine: CACHE_ENGINE,
      engineVersion,
      cacheNodeType,
      numCacheClusters: this.nodeCount,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      kmsKeyId: this.encryptionKey.keyArn,
      port,
      securityGroupIds: [securityGroup.securityGroupId],
      cacheSubnetGroupName: subnetGroup.ref,
      userGroupIds: [userGroup.ref],
      snapshotRetentionLimit: snapshotRetention.toDays(),
      snapshotWindow: props.snapshotWindow ?? '01:00-02:00',
      preferredMaintenanceWindow: props.preferredMaintenanceWindow ?? 'sun:04:30-sun:05:30',
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: ['slow-log', 'engine-log'].map((logType) => ({
        logType,
        logFormat: 'json',
        destinationType: 'cloudwatch-logs',
        destinationDetails: { cloudWatchLogsDetails: { logGroup: this.logGroup.logGroupName } },
      })),
    });
    replicationGroup.applyRemovalPolicy(removalPolicy);
    this.replicationGroup = replicationGroup;
    this.replicationGroupId = replicationGroup.ref;
    // The configured port is the one both endpoints answer on: a literal keeps consumers'
    // security group rules and NetworkPolicies reviewable in the template.
    this.primaryEndpoint = { hostname: replicationGroup.attrPrimaryEndPointAddress, port };
    this.readerEndpoint = { hostname: replicationGroup.attrReaderEndPointAddress, port };
    this.appUserArn = appUser.attrArn;
    this.replicationGroupArn = Stack.of(this).formatArn({
      service: 'elasticache',
      resource: 'replicationgroup',
      resourceName: replicationGroup.ref,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** Lets `grantee` connect as the application user (`elasticache:Connect`). */
  grantConnect(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['elasticache:Connect'],
      resourceArns: [this.replicationGroupArn, this.appUserArn],
    });
  }

  /**
   * A metric of one node (namespace AWS/ElastiCache, dimension CacheClusterId). Nodes are
   * numbered from 1 in creation order; the primary role moves between them on failover.
   */
  metric(metricName: string, props: cloudwatch.MetricOptions = {}, node = 1): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      dimensionsMap: { CacheClusterId: this.cacheClusterId(node) },
      ...props,
    });
  }

  /**
   * The id of one node (`CacheClusterId`, `<replication group id>-00N`), numbered from 1 to
   * `nodeCount` in creation order; the primary role moves between them on failover.
   */
  cacheClusterId(node = 1): string {
    return `${this.replicationGroupId}-${String(node).padStart(3, '0')}`;
  }

  /** CPU used by the engine thread, percent (average). */
  metricEngineCPUUtilization(props?: cloudwatch.MetricOptions, node = 1): cloudwatch.Metric {
    return this.metric('EngineCPUUtilization', { statistic: 'Average', ...props }, node);
  }

  /** Memory used as a percentage of the node's maxmemory (average). */
  metricDatabaseMemoryUsagePercentage(props?: cloudwatch.MetricOptions, node = 1): cloudwatch.Metric {
    return this.metric('DatabaseMemoryUsagePercentage', { statistic: 'Average', ...props }, node);
  }

  /** Client connections (average). */
  metricCurrConnections(props?: cloudwatch.MetricOptions, node = 1): cloudwatch.Metric {
    return this.metric('CurrConnections', { statistic: 'Average', ...props }, node);
  }

  /** Keys evicted for lack of memory (sum). */
  metricEvictions(props?: cloudwatch.MetricOptions, node = 1): cloudwatch.Metric {
    return this.metric('Evictions', { statistic: 'Sum', ...props }, node);
  }

  /** Replication lag of a replica in seconds (maximum). */
  metricReplicationLag(props?: cloudwatch.MetricOptions, node = 2): cloudwatch.Metric {
    return this.metric('ReplicationLag', { statistic: 'Maximum', ...props }, node);
  }

  /** Cache hit rate, percent (average). */
  metricCacheHitRate(props?: cloudwatch.MetricOptions, node = 1): cloudwatch.Metric {
    return this.metric('CacheHitRate', { statistic: 'Average', ...props }, node);
  }
}

interface ResolvedRedisProps {
  readonly replicas: number;
  readonly port: number;
  readonly snapshotRetention: Duration;
  readonly cacheNodeType: string;
  readonly engineVersion: string;
  readonly appUserName: string;
  readonly subnets: ec2.SelectedSubnets;
}

function validateRedisProps(scope: Construct, props: RedisCacheProps, r: ResolvedRedisProps): void {
  const fail = validationFailure('RedisCache', scope.node.path);
  if (!isIntBetween(r.replicas, REDIS_REPLICAS.min, REDIS_REPLICAS.max)) {
    fail(`replicas is ${describeValue(r.replicas, scope)}: must be a whole number from ${REDIS_REPLICAS.min} to ${REDIS_REPLICAS.max} (multi-AZ failover needs a replica). Fix: set replicas to 1 or more.`);
  }
  if (!Token.isUnresolved(r.port)) {
    if (!isIntBetween(r.port, 1024, 65535)) fail(`port is ${describeValue(r.port)}: must be 1024 to 65535. Fix: use the default ${DEFAULT_CACHE_PORT}.`);
    if (r.port === WELL_KNOWN_PORT) fail(`port is ${WELL_KNOWN_PORT}, the well-known Redis port. Fix: use another port such as ${DEFAULT_CACHE_PORT} (the default).`);
  }
  const snapshotDays = REDIS_SNAPSHOT_RETENTION_DAYS;
  if (!r.snapshotRetention.isUnresolved() && !isIntBetween(r.snapshotRetention.toDays({ integral: false }), snapshotDays.min, snapshotDays.max)) {
    fail(`snapshotRetention is ${r.snapshotRetention.toDays({ integral: false })} days: must be ${snapshotDays.min} to ${snapshotDays.max} whole days. Fix: use Duration.days(15).`);
  }
  if (!Token.isUnresolved(r.cacheNodeType) && !ELASTICACHE_NODE_TYPE.test(r.cacheNodeType)) {
    fail(`cacheNodeType is ${describeValue(r.cacheNodeType)}: not an ElastiCache node type. Fix: use e.g. "cache.t4g.small" or "cache.r7g.large".`);
  }
  const version = /^(\d+)\.(\d+)$/.exec(r.engineVersion);
  if (!version || Number(version[1]) * 100 + Number(version[2]) < 702) {
    fail(`engineVersion is ${describeValue(r.engineVersion, scope)}: must be a Valkey major.minor version of 7.2 or later (IAM authentication). Fix: use "${VALKEY_VERSION}".`);
  }
  if (!Token.isUnresolved(r.appUserName) && !/^[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]$/.test(r.appUserName)) {
    fail(`appUserName is ${describeValue(r.appUserName)}: must be 2-40 lowercase letters, digits or single hyphens, starting with a letter (IAM auth needs user id = user name). Fix: use e.g. "orders-app".`);
  }
  if (props.appUserName === 'default') {
    fail('appUserName is "default": that name belongs to the disabled default user. Fix: use e.g. "orders-app".');
  }
  const zones = new Set(r.subnets.subnets.map((s) => s.availabilityZone));
  if (zones.size < 2) {
    fail(`the selected subnets span ${zones.size} Availability Zone(s): multi-AZ failover needs at least two. Fix: select subnets (vpcSubnets) in two or more AZs.`);
  }
  refuseRoutedDataSubnets(fail, scope, 'cache', props.vpc, r.subnets.subnets);
}

/** A replication group made elsewhere (`RedisCache.fromCacheAttributes`). */
class ImportedRedisCache extends Construct implements IRedisCache {
  readonly replicationGroupId: string;
  readonly primaryEndpoint: CacheEndpoint;
  readonly readerEndpoint: CacheEndpoint;
  readonly appUserName: string;
  readonly connections: ec2.Connections;
  readonly subnets: ec2.ISubnet[];

  constructor(scope: Construct, id: string, attrs: RedisCacheAttributes) {
    super(scope, id);
    const fail = validationFailure('RedisCache.fromCacheAttributes', this.node.path);
    const port = attrs.port ?? DEFAULT_CACHE_PORT;
    if (Token.isUnresolved(port) || !isIntBetween(port, 1024, 65535)) {
      fail(`port is ${describeValue(port, this)}: must be a literal from 1024 to 65535 (security group rules and NetworkPolicies name it). Fix: pass the cache's port as written, e.g. ${DEFAULT_CACHE_PORT}.`);
    }
    if (Token.isUnresolved(attrs.appUserName) || !/^[a-z][a-z0-9-]{0,39}$/.test(attrs.appUserName) || attrs.appUserName === 'default') {
      fail(`appUserName is ${describeValue(attrs.appUserName, this)}: must be the literal name of the cache's IAM-authenticated user (lowercase, not "default"). Fix: pass the user the application connects as, e.g. "orders-app".`);
    }
    if (attrs.securityGroups.length === 0) {
      fail('securityGroups is empty: services could not be admitted to the cache. Fix: pass the security groups of the replication group (ec2.SecurityGroup.fromSecurityGroupId).');
    }
    const selected = attrs.vpc.selectSubnets(attrs.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    refuseRoutedDataSubnets(fail, this, 'cache', attrs.vpc, selected.subnets);
    this.subnets = selected.subnets;
    this.replicationGroupId = attrs.replicationGroupId;
    this.primaryEndpoint = { hostname: attrs.primaryEndpointAddress, port };
    this.readerEndpoint = { hostname: attrs.readerEndpointAddress, port };
    this.appUserName = attrs.appUserName;
    this.connections = new ec2.Connections({ securityGroups: attrs.securityGroups, defaultPort: ec2.Port.tcp(port) });
  }

  grantConnect(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'elasticache', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['elasticache:Connect'],
      // IAM authentication: the user id equals the user name.
      resourceArns: [arn('replicationgroup', this.replicationGroupId), arn('user', this.appUserName)],
    });
  }
}
