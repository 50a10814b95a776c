import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { encryptedLogGroup } from '../compliance/encrypted-log-group';
import { keyUseThroughServicesStatement, PlatformKey } from '../compliance/platform-key';
import { describeValue, isIntBetween, validationFailure } from '../core/validation';
import { AURORA_MAX_CAPACITY_ACU, AURORA_MIN_CAPACITY_ACU, POSTGRES_BACKUP_RETENTION_DAYS, POSTGRES_READERS } from './limits';
import { refuseRoutedDataSubnets } from './placement';
import { supportingRemovalPolicy } from './removal';

/**
 * The Aurora PostgreSQL engine version, pinned so an aws-cdk-lib upgrade never changes the
 * engine by itself; RDS applies minor upgrades in the maintenance window.
 *
 * 17.9 is the newest version that aws-cdk-lib 2.276 offers AND that the RDS engine-version list
 * (as shipped in cfn-lint's AWS-generated schema data) accepts for `aurora-postgresql`.
 * aws-cdk-lib also lists 18.3/18.4/18.6, but CloudFormation's published allowed values stop at
 * 17.9 (cfn-lint E3690), so a template pinned to 18.x is not proven deployable. Move to 18.x
 * once the engine list includes it (a test pins this choice).
 */
export const AURORA_POSTGRES_VERSION = rds.AuroraPostgresEngineVersion.VER_17_9;

/**
 * Log types exported to CloudWatch Logs: the server log (connections, errors, slow statements).
 * Exactly the set Control Tower CT.RDS.PR.25 expects for aurora-postgresql.
 */
export const POSTGRES_LOG_EXPORTS: readonly string[] = ['postgresql'];

/** Names the RDS master user may not take (defaults attackers try first, or reserved). */
const RESERVED_MASTER_USERNAMES = ['postgres', 'admin', 'root', 'administrator', 'rdsadmin', 'master'];
const PG_IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** A Postgres database others compose with: network access, IAM connect grants, metrics. */
export interface IPostgresDatabase extends ec2.IConnectable {
  /** The Aurora cluster. */
  readonly cluster: rds.IDatabaseCluster;
  /** Read/write endpoint (hostname and port). */
  readonly clusterEndpoint: rds.Endpoint;
  /** Load-balanced read-only endpoint. */
  readonly readerEndpoint: rds.Endpoint;
  /** Name of the database created in the cluster. */
  readonly databaseName: string;
  /** Port the cluster listens on (a literal, so security group rules stay reviewable). */
  readonly port: number;
  /**
   * The subnets the cluster lives in (isolated). A service that uses the database addresses
   * them in its NetworkPolicy and ServiceEntry, so they come from here, never from the caller.
   */
  readonly subnets: ec2.ISubnet[];
  /** Lets `grantee` log in as database user `dbUser` with an IAM authentication token. */
  grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant;
}

/** An existing Aurora PostgreSQL cluster, for `PostgresDatabase.fromDatabaseAttributes`. */
export interface PostgresDatabaseAttributes {
  /** The VPC of the cluster. */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets of the cluster (its DB subnet group), with their CIDRs; public subnets and
   * subnets with egress are refused, as for a new database.
   * @default - the isolated subnets of the VPC
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** The DB cluster identifier. */
  readonly clusterIdentifier: string;
  /**
   * The cluster's resource id (`cluster-` and 26 characters, `DbClusterResourceId`): the
   * resource of the `rds-db:connect` grants.
   */
  readonly clusterResourceIdentifier: string;
  /** Host name of the writer endpoint. */
  readonly clusterEndpointAddress: string;
  /** Host name of the reader endpoint. */
  readonly readerEndpointAddress: string;
  /**
   * Port the cluster listens on.
   * @default 5432
   */
  readonly port?: number;
  /**
   * Name of the application database in the cluster.
   * @default 'app'
   */
  readonly databaseName?: string;
  /** Security groups of the cluster: consumers add their ingress rules to them. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /**
   * The master user, which `grantConnect` refuses.
   * @default 'platform_admin'
   */
  readonly masterUsername?: string;
}

/** Properties of a `PostgresDatabase`. */
export interface PostgresDatabaseProps {
  /** The VPC the cluster lives in. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the cluster; they must span at least two Availability Zones and should have no
   * route to the internet.
   * @default - the isolated subnets of the VPC
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Aurora PostgreSQL engine version.
   * @default AURORA_POSTGRES_VERSION
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /**
   * Minimum Serverless v2 capacity of every instance, in ACUs (0 to 256, steps of 0.5).
   * @default 0.5
   */
  readonly minCapacityAcu?: number;
  /**
   * Maximum Serverless v2 capacity of every instance, in ACUs (1 to 256, steps of 0.5).
   * @default 4
   */
  readonly maxCapacityAcu?: number;
  /**
   * Serverless v2 readers besides the writer (1 to 15), each placed in another Availability
   * Zone than the writer where the subnets allow; they scale with the writer so a failover
   * target is always warm.
   * @default 1
   */
  readonly readers?: number;
  /**
   * How long automated backups (and point-in-time recovery) reach back: 7 to 35 days.
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * Daily backup window (UTC, hh24:mi-hh24:mi, at least 30 minutes).
   * @default '02:00-03:00'
   */
  readonly preferredBackupWindow?: string;
  /**
   * Weekly maintenance window (UTC, ddd:hh24:mi-ddd:hh24:mi); must not overlap the backup window.
   * @default 'sun:03:30-sun:04:30'
   */
  readonly preferredMaintenanceWindow?: string;
  /**
   * Name of the database created in the cluster.
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * Master username. Its password is generated and rotated by RDS in Secrets Manager; the
   * default names `postgres`, `admin`, `root` are refused.
   * @default 'platform_admin'
   */
  readonly masterUsername?: string;
  /**
   * Port the cluster listens on (1150 to 65535).
   * @default 5432
   */
  readonly port?: number;
  /**
   * Key encrypting storage, automated backups, snapshots, Performance Insights and the AWS
   * Backup vault. The database lets principals of the account use it through RDS and AWS Backup
   * only; an imported key needs that statement where it is defined.
   * @default - a new PlatformKey, usable through RDS and AWS Backup only
   */
  readonly storageEncryptionKey?: kms.IKey;
  /**
   * Key encrypting the RDS-managed master user secret. The database lets principals of the
   * account use it through Secrets Manager and RDS only; an imported key needs that statement
   * where it is defined.
   * @default - a new PlatformKey, usable through Secrets Manager and RDS only
   */
  readonly secretEncryptionKey?: kms.IKey;
  /**
   * Key encrypting the exported log groups (and those of a `DatabaseBootstrap`). The database
   * lets CloudWatch Logs use it for its own log groups only; an imported key needs that
   * statement where it is defined.
   * @default - a new PlatformKey, usable by CloudWatch Logs for these log groups only
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * How long exported database logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Security group of the cluster. Add peers with `connections.allowDefaultPortFrom(peer)`.
   * @default - a new security group admitting no one and sending nothing
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * Interval of enhanced monitoring (OS metrics): 1, 5, 10, 15, 30 or 60 seconds.
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;
  /**
   * Add the cluster to an AWS Backup plan (daily, kept `backupRetention`, plus monthly kept
   * a year) with its own vault, on top of the automated backups.
   * @default true
   */
  readonly awsBackupPlan?: boolean;
  /**
   * What happens to the cluster when it leaves the stack. Keys and log groups are retained
   * for SNAPSHOT and RETAIN, and destroyed with DESTROY.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse to delete the cluster until deletion protection is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * Aurora PostgreSQL Serverless v2 that is private, encrypted and IAM-authenticated by default:
 *
 * - the newest engine aws-cdk-lib offers, pinned; a Serverless v2 writer and at least one
 *   reader in other Availability Zones; isolated subnets; no instance publicly accessible;
 * - storage, backups, Performance Insights (Database Insights standard) encrypted with a
 *   customer key; TLS forced (`rds.force_ssl = 1`, TLS 1.2 minimum) in a cluster parameter group;
 * - IAM database authentication on; the master password generated, kept and rotated by RDS in
 *   Secrets Manager under a customer key, never handed to applications;
 * - deletion protection, SNAPSHOT removal by default, automated backups (7-35 days, PITR) and
 *   an AWS Backup plan; the server log exported to KMS-encrypted log groups
 *   with retention; enhanced monitoring;
 * - a security group with no rules: peers are declared with `connections`, never CIDRs.
 */
export class PostgresDatabase extends Construct implements IPostgresDatabase {
  /**
   * An existing Aurora PostgreSQL cluster (made by another stack or app) that services can use
   * as they use a new one: its security groups admit them, `grantConnect` issues
   * `rds-db:connect` for one application user, and its subnets come with it.
   */
  static fromDatabaseAttributes(scope: Construct, id: string, attrs: PostgresDatabaseAttributes): IPostgresDatabase {
    return new ImportedPostgresDatabase(scope, id, attrs);
  }

  /** The Aurora cluster. */
  readonly cluster: rds.DatabaseCluster;
  /** Read/write endpoint (hostname and port). */
  readonly clusterEndpoint: rds.Endpoint;
  /** Load-balanced read-only endpoint. */
  readonly readerEndpoint: rds.Endpoint;
  /** Network access to the cluster (its security groups). */
  readonly connections: ec2.Connections;
  /** Name of the database created in the cluster. */
  readonly databaseName: string;
  /** Port the cluster listens on. */
  readonly port: number;
  /** The VPC of the cluster. */
  readonly vpc: ec2.IVpc;
  /** The subnets of the cluster (isolated by default). */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** The subnets the cluster lives in. */
  readonly subnets: ec2.ISubnet[];
  /** Master username (for break-glass and bootstrap only). */
  readonly masterUsername: string;
  /** The RDS-managed master secret (`username`, `password`); grant it to no application. */
  readonly masterSecret: secretsmanager.ISecret;
  /** Key encrypting storage, backups, snapshots and Performance Insights. */
  readonly storageEncryptionKey: kms.IKey;
  /** Key encrypting the RDS-managed master user secret. */
  readonly secretEncryptionKey: kms.IKey;
  /** Key encrypting the exported log groups. */
  readonly logEncryptionKey: kms.IKey;
  /** Exported log groups by log type (`postgresql`). */
  readonly logGroups: Readonly<Record<string, logs.ILogGroup>>;
  /** The AWS Backup plan, when `awsBackupPlan` is on. */
  readonly backupPlan?: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const minCapacity = props.minCapacityAcu ?? 0.5;
    const maxCapacity = props.maxCapacityAcu ?? 4;
    const readers = props.readers ?? 1;
    const backupRetention = props.backupRetention ?? Duration.days(7);
    const port = props.port ?? 5432;
    this.port = port;
    this.databaseName = props.databaseName ?? 'app';
    this.masterUsername = props.masterUsername ?? 'platform_admin';
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const subnets = props.vpc.selectSubnets(vpcSubnets);
    this.vpc = props.vpc;
    this.vpcSubnets = vpcSubnets;
    this.subnets = subnets.subnets;
    validatePostgresProps(this, props, { minCapacity, maxCapacity, readers, backupRetention, port, subnets });

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const keyRemovalPolicy = supportingRemovalPolicy(removalPolicy);
    this.storageEncryptionKey = props.storageEncryptionKey ?? new PlatformKey(this, 'StorageKey', {
      description: 'Aurora PostgreSQL storage, backups, snapshots and Performance Insights',
      removalPolicy: keyRemovalPolicy,
    });
    this.secretEncryptionKey = props.secretEncryptionKey ?? new PlatformKey(this, 'SecretKey', {
      description: 'Aurora PostgreSQL master user secret',
      removalPolicy: keyRemovalPolicy,
    });
    this.logEncryptionKey = props.logEncryptionKey ?? new PlatformKey(this, 'LogKey', { description: 'Aurora PostgreSQL exported logs', removalPolicy: keyRemovalPolicy });
    // Each key is usable only through the services it exists for (a no-op on an imported key,
    // whose policy must say the same where it is defined): storage, Performance Insights and
    // snapshots through RDS, the backup vault through AWS Backup, the master secret through
    // Secrets Manager (which RDS manages it with).
    this.storageEncryptionKey.addToResourcePolicy(keyUseThroughServicesStatement(Stack.of(this), ['rds', 'backup']));
    this.secretEncryptionKey.addToResourcePolicy(keyUseThroughServicesStatement(Stack.of(this), ['secretsmanager', 'rds']));

    // RDS exports logs to /aws/rds/cluster/<id>/<type>: create those groups first (encrypted, with
    // retention), which needs a cluster identifier known at synth, derived from the construct path.
    const clusterIdentifier = clusterIdentifierOf(this);
    const logGroups: Record<string, logs.ILogGroup> = {};
    for (const logType of POSTGRES_LOG_EXPORTS) {
      logGroups[logType] = encryptedLogGroup(this, `LogGroup-${logType}`, {
        logGroupName: `/aws/rds/cluster/${clusterIdentifier}/${logType}`,
        encryptionKey: this.logEncryptionKey,
        retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: keyRemovalPolicy,
      });
    }
    this.logGroups = logGroups;

    const securityGroup = props.securityGroup ?? new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Aurora PostgreSQL: admits only declared peers on the database port',
      allowAllOutbound: false,
    });

    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? AURORA_POSTGRES_VERSION });
    const parameterGroup = new rds.ParameterGroup(this, 'ParameterGroup', {
      engine,
      description: 'Forces TLS 1.2+ on every connection',
      parameters: {
        'rds.force_ssl': '1',
        ssl_min_protocol_version: 'TLSv1.2',
        log_connections: '1',
        log_disconnections: '1',
      },
    });

    const monitoringRole = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      description: 'Publishes Aurora enhanced monitoring (OS metrics) to CloudWatch Logs',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });

    // Writer in the first subnet's zone, readers round-robin over the other zones.
    // The subnet's own AvailabilityZone attribute where the subnet is a resource (deploy-time, so
    // no hard-coded zones in the template); the given zone name for imported subnets.
    const zones = subnets.subnets.map((s) => (s.node.defaultChild instanceof ec2.CfnSubnet ? s.node.defaultChild.attrAvailabilityZone : s.availabilityZone));
    if (zones.some((zone) => !Token.isUnresolved(zone))) {
      // cfn-lint W3010 ("avoid hardcoding availability zones"): zones of imported subnets are the
      // literal names the VPC was imported with; placing each instance in one is the point.
      Validations.of(this).acknowledge({
        id: 'CloudFormation-Validate::W3010',
        reason: 'PostgresDatabase: the writer and readers are placed in the zones of the subnets of an imported VPC, whose zone names are given literally (fromVpcAttributes); synth looks nothing up.',
      });
    }
    const instance = { publiclyAccessible: false, autoMinorVersionUpgrade: true, caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1 };
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier,
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: [securityGroup],
      port,
      defaultDatabaseName: this.databaseName,
      credentials: rds.Credentials.fromUsername(this.masterUsername, { encryptionKey: this.secretEncryptionKey }),
      manageMasterUserPassword: true,
      writer: rds.ClusterInstance.serverlessV2('Writer', { ...instance, availabilityZone: zones[0] }),
      readers: Array.from({ length: readers }, (_, i) => rds.ClusterInstance.serverlessV2(`Reader${i + 1}`, {
        ...instance,
        scaleWithWriter: true,
        availabilityZone: zones.length > 1 ? zones[1 + (i % (zones.length - 1))] : undefined,
      })),
      serverlessV2MinCapacity: minCapacity,
      serverlessV2MaxCapacity: maxCapacity,
      parameterGroup,
      storageEncrypted: true,
      storageEncryptionKey: this.storageEncryptionKey,
      iamAuthentication: true,
      backup: { retention: backupRetention, preferredWindow: props.preferredBackupWindow ?? '02:00-03:00' },
      preferredMaintenanceWindow: props.preferredMaintenanceWindow ?? 'sun:03:30-sun:04:30',
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
      cloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.storageEncryptionKey,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      databaseInsightsMode: rds.DatabaseInsightsMode.STANDARD,
      monitoringInterval: props.monitoringInterval ?? Duration.seconds(60),
      monitoringRole,
      autoMinorVersionUpgrade: true,
    });
    for (const group of Object.values(logGroups)) cluster.node.addDependency(group);
    this.cluster = cluster;
    this.clusterEndpoint = cluster.clusterEndpoint;
    this.readerEndpoint = cluster.clusterReadEndpoint;
    // The literal port (not the endpoint attribute) keeps every rule reviewable in the template.
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(port) });
    this.masterSecret = cluster.secret!;

    if (props.awsBackupPlan ?? true) {
      this.backupPlan = this.createBackupPlan(backupRetention, removalPolicy);
    }
  }

  /** Lets `grantee` log in as database user `dbUser` with an IAM authentication token. */
  grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant {
    return grantDatabaseConnect(this, this.cluster.clusterResourceIdentifier, this.masterUsername, grantee, dbUser);
  }

  /** A metric of this cluster (namespace AWS/RDS, dimension DBClusterIdentifier). */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metric(metricName, props);
  }

  /** Serverless v2 capacity in ACUs (average). */
  metricServerlessDatabaseCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ServerlessDatabaseCapacity', { statistic: 'Average', ...props });
  }

  /** Capacity used as a percentage of the maximum ACUs (average). */
  metricACUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ACUUtilization', { statistic: 'Average', ...props });
  }

  /** CPU utilization percentage (average). */
  metricCPUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricCPUUtilization(props);
  }

  /** Open database connections (average). */
  metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricDatabaseConnections(props);
  }

  /** Free memory in bytes (average). */
  metricFreeableMemory(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricFreeableMemory(props);
  }

  /** Deadlocks per second (average). */
  metricDeadlocks(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricDeadlocks(props);
  }

  /** Replica lag of the Aurora readers in milliseconds (maximum). */
  metricAuroraReplicaLagMaximum(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AuroraReplicaLagMaximum', { statistic: 'Maximum', ...props });
  }

  private createBackupPlan(retention: Duration, removalPolicy: RemovalPolicy): backup.BackupPlan {
    const vault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: this.storageEncryptionKey,
      removalPolicy: supportingRemovalPolicy(removalPolicy),
    });
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupVault: vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.expression('cron(0 3 * * ? *)'),
          deleteAfter: retention,
          enableContinuousBackup: false,
        }),
        new backup.BackupPlanRule({
          ruleName: 'Monthly',
          scheduleExpression: events.Schedule.expression('cron(0 4 1 * ? *)'),
          deleteAfter: Duration.days(365),
        }),
      ],
    });
    plan.addSelection('Cluster', {
      resources: [backup.BackupResource.fromRdsDatabaseCluster(this.cluster)],
    });
    return plan;
  }
}

/** A stable, valid DB cluster identifier derived from the construct path (max 63, a-z0-9-). */
function clusterIdentifierOf(scope: Construct): string {
  const raw = Names.uniqueResourceName(scope, { maxLength: 60, separator: '-' }).toLowerCase();
  const cleaned = raw.replace(/[^a-z0-9-]/g, '').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return /^[a-z]/.test(cleaned) ? cleaned : `db-${cleaned}`;
}

interface ResolvedPostgresProps {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly readers: number;
  readonly backupRetention: Duration;
  readonly port: number;
  readonly subnets: ec2.SelectedSubnets;
}

function validatePostgresProps(scope: Construct, props: PostgresDatabaseProps, r: ResolvedPostgresProps): void {
  const fail = validationFailure('PostgresDatabase', scope.node.path);
  const acu = { min: AURORA_MIN_CAPACITY_ACU, max: AURORA_MAX_CAPACITY_ACU };
  const inSteps = (n: number, range: { min: number; max: number; step: number }) => Number.isInteger(n * Math.round(1 / range.step)) && n >= range.min && n <= range.max;
  if (!inSteps(r.minCapacity, acu.min)) {
    fail(`minCapacityAcu is ${describeValue(r.minCapacity, scope)}: must be ${acu.min.min} to ${acu.min.max} in steps of ${acu.min.step}. Fix: use e.g. 0.5.`);
  }
  if (!inSteps(r.maxCapacity, acu.max)) {
    fail(`maxCapacityAcu is ${describeValue(r.maxCapacity, scope)}: must be ${acu.max.min} to ${acu.max.max} in steps of ${acu.max.step}. Fix: use e.g. 4.`);
  }
  if (r.minCapacity > r.maxCapacity) {
    fail(`minCapacityAcu (${describeValue(r.minCapacity, scope)}) is above maxCapacityAcu (${describeValue(r.maxCapacity, scope)}). Fix: lower minCapacityAcu or raise maxCapacityAcu.`);
  }
  if (!isIntBetween(r.readers, POSTGRES_READERS.min, POSTGRES_READERS.max)) {
    fail(`readers is ${describeValue(r.readers, scope)}: must be a whole number from ${POSTGRES_READERS.min} to ${POSTGRES_READERS.max} (a reader in another AZ is the failover target). Fix: set readers to 1 or more.`);
  }
  const backupDays = POSTGRES_BACKUP_RETENTION_DAYS;
  if (!r.backupRetention.isUnresolved() && !isIntBetween(r.backupRetention.toDays({ integral: false }), backupDays.min, backupDays.max)) {
    fail(`backupRetention is ${r.backupRetention.toDays({ integral: false })} days: must be ${backupDays.min} to ${backupDays.max} whole days. Fix: use Duration.days(${backupDays.min}) or more (${backupDays.max} in prod).`);
  }
  if (!Token.isUnresolved(r.port) && !isIntBetween(r.port, 1150, 65535)) {
    fail(`port is ${describeValue(r.port, scope)}: must be 1150 to 65535. Fix: use the default 5432 or another free port.`);
  }
  const name = props.databaseName;
  if (name !== undefined && !Token.isUnresolved(name) && !PG_IDENTIFIER.test(name)) {
    fail(`databaseName is ${describeValue(name)}: must be 1-63 lowercase letters, digits or underscores, starting with a letter. Fix: use e.g. "app".`);
  }
  const user = props.masterUsername;
  if (user !== undefined && !Token.isUnresolved(user)) {
    if (!/^[a-z][a-z0-9_]{0,15}$/.test(user)) {
      fail(`masterUsername is ${describeValue(user)}: must be 1-16 lowercase letters, digits or underscores, starting with a letter. Fix: use e.g. "platform_admin".`);
    }
    if (RESERVED_MASTER_USERNAMES.includes(user)) {
      fail(`masterUsername is ${describeValue(user)}: well-known admin names are refused. Fix: use a non-default name such as "platform_admin".`);
    }
  }
  const zones = new Set(r.subnets.subnets.map((s) => s.availabilityZone));
  if (zones.size < 2) {
    fail(`the selected subnets span ${zones.size} Availability Zone(s): Aurora needs at least two for a reader in another AZ. Fix: select subnets (vpcSubnets) in two or more AZs.`);
  }
  refuseRoutedDataSubnets(fail, scope, 'database', props.vpc, r.subnets.subnets);
}

/** `rds-db:connect` as one application user of the cluster; never as the master user. */
function grantDatabaseConnect(scope: Construct, clusterResourceIdentifier: string, masterUsername: string, grantee: iam.IGrantable, dbUser: string): iam.Grant {
  const fail = validationFailure('PostgresDatabase', scope.node.path);
  if (Token.isUnresolved(dbUser)) {
    fail(`grantConnect dbUser is ${describeValue(dbUser, scope)}: the grant names one database user, which must be known at synth. Fix: pass the role name literally (DatabaseBootstrap's roleName), e.g. "app".`);
  }
  if (!PG_IDENTIFIER.test(dbUser)) {
    fail(`grantConnect dbUser is ${describeValue(dbUser)}: must be a lowercase PostgreSQL role name. Fix: pass the role created by DatabaseBootstrap, e.g. "app".`);
  }
  if (dbUser === masterUsername) {
    fail(`grantConnect dbUser is the master user ${describeValue(dbUser)}: applications never connect as the master user. Fix: grant the application role created by DatabaseBootstrap.`);
  }
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['rds-db:connect'],
    resourceArns: [Stack.of(scope).formatArn({
      service: 'rds-db',
      resource: 'dbuser',
      resourceName: `${clusterResourceIdentifier}/${dbUser}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    })],
  });
}

/** An Aurora PostgreSQL cluster made elsewhere (`PostgresDatabase.fromDatabaseAttributes`). */
class ImportedPostgresDatabase extends Construct implements IPostgresDatabase {
  readonly cluster: rds.IDatabaseCluster;
  readonly clusterEndpoint: rds.Endpoint;
  readonly readerEndpoint: rds.Endpoint;
  readonly connections: ec2.Connections;
  readonly databaseName: string;
  readonly port: number;
  readonly subnets: ec2.ISubnet[];
  private readonly masterUsername: string;

  constructor(scope: Construct, id: string, attrs: PostgresDatabaseAttributes) {
    super(scope, id);
    const fail = validationFailure('PostgresDatabase.fromDatabaseAttributes', this.node.path);
    this.port = attrs.port ?? 5432;
    this.databaseName = attrs.databaseName ?? 'app';
    this.masterUsername = attrs.masterUsername ?? 'platform_admin';
    if (Token.isUnresolved(this.port) || !isIntBetween(this.port, 1150, 65535)) {
      fail(`port is ${describeValue(this.port, this)}: must be a literal from 1150 to 65535 (security group rules name it). Fix: pass the cluster's port as written, e.g. 5432.`);
    }
    if (!Token.isUnresolved(this.databaseName) && !PG_IDENTIFIER.test(this.databaseName)) {
      fail(`databaseName is ${describeValue(this.databaseName)}: must be 1-63 lowercase letters, digits or underscores, starting with a letter. Fix: use the database's name, e.g. "app".`);
    }
    if (attrs.securityGroups.length === 0) {
      fail('securityGroups is empty: services could not be admitted to the database. Fix: pass the security groups of the cluster (ec2.SecurityGroup.fromSecurityGroupId).');
    }
    const selected = attrs.vpc.selectSubnets(attrs.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    refuseRoutedDataSubnets(fail, this, 'database', attrs.vpc, selected.subnets);
    this.subnets = selected.subnets;
    this.cluster = rds.DatabaseCluster.fromDatabaseClusterAttributes(this, 'Cluster', {
      clusterIdentifier: attrs.clusterIdentifier,
      clusterResourceIdentifier: attrs.clusterResourceIdentifier,
      clusterEndpointAddress: attrs.clusterEndpointAddress,
      readerEndpointAddress: attrs.readerEndpointAddress,
      port: this.port,
      securityGroups: attrs.securityGroups,
    });
    this.clusterEndpoint = new rds.Endpoint(attrs.clusterEndpointAddress, this.port);
    this.readerEndpoint = new rds.Endpoint(attrs.readerEndpointAddress, this.port);
    this.connections = new ec2.Connections({ securityGroups: attrs.securityGroups, defaultPort: ec2.Port.tcp(this.port) });
  }

  grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant {
    return grantDatabaseConnect(this, this.cluster.clusterResourceIdentifier, this.masterUsername, grantee, dbUser);
  }
}
