import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { encryptedLogGroup, lambdaLogGroupName } from '../compliance/encrypted-log-group';
import { handlerAssetDirectory } from '../core/handler-asset';
import { allowHttpsToAwsApis, type IAwsApiEndpoints } from '../network/aws-api-endpoints';
import { S3PrefixList } from '../network/s3-prefix-list';
import { ZeroTrustVpc } from '../network/zero-trust-vpc';
import { assertSafeIdentifier } from './bootstrap/bootstrap-sql';
import type { PostgresDatabase } from './postgres-database';

/** Properties of a `DatabaseBootstrap`. */
export interface DatabaseBootstrapProps {
  /** The database to bootstrap; the handler reads its master secret and joins its VPC. */
  readonly database: PostgresDatabase;
  /**
   * Application login role, created with `rds_iam` so it can only log in with IAM tokens.
   * @default 'app'
   */
  readonly roleName?: string;
  /**
   * Schema created for (and owned by) the application role.
   * @default - same as roleName
   */
  readonly schemaName?: string;
  /**
   * Where the handler reaches the Secrets Manager interface endpoint on 443.
   * @default ec2.Peer.ipv4(vpc.vpcCidrBlock) - the whole VPC
   */
  readonly endpointsPeer?: ec2.IPeer;
  /**
   * The VPC's private way to the AWS APIs: the handler sends HTTPS to the interface endpoints'
   * security group, the provider framework function to it and to S3 (its prefix list).
   * @default - the endpoints of the ZeroTrustVpc that built the database's VPC; for another VPC,
   *   `endpointsPeer` and the S3 prefix list read at deploy time (`S3PrefixList`)
   */
  readonly awsApiEndpoints?: IAwsApiEndpoints;
  /**
   * How long the handler's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the handler log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Creates the application role (login, `rds_iam`, no password) and its schema in a
 * `PostgresDatabase`, idempotently, on every deployment that changes them. Nothing is dropped on
 * delete.
 *
 * The handler is a Node.js Lambda pre-bundled with esbuild when the library is built
 * (`dist/handlers/database-bootstrap`, `pg` included, so synth needs neither esbuild nor `pg`),
 * running in the database's isolated subnets. Its security group sends only HTTPS to the VPC (the
 * Secrets Manager interface endpoint) and the database port to the database's security group. Its role reads
 * only the master secret (and decrypts it only through Secrets Manager) and writes only its own
 * log group.
 *
 * The CDK provider framework function that relays CloudFormation's events to the handler runs in
 * the same subnets, with a security group that sends only HTTPS: it reaches the Lambda API through
 * the VPC's Lambda interface endpoint (a `ZeroTrustVpc` has one; another VPC needs
 * `ec2.InterfaceVpcEndpointAwsService.LAMBDA` with private DNS) and CloudFormation's pre-signed
 * response URL through an S3 gateway endpoint on the subnets' route tables. Without them the
 * custom resource fails after its 10-minute service timeout.
 */
export class DatabaseBootstrap extends Construct {
  /** The application role name, for `PostgresDatabase.grantConnect`. */
  readonly roleName: string;
  /** The application schema name. */
  readonly schemaName: string;
  /** The bootstrap handler. */
  readonly handler: lambda.IFunction;
  /** Security group of the handler. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The custom resource; depend on it to run after the bootstrap. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DatabaseBootstrapProps) {
    super(scope, id);
    const { database } = props;
    this.roleName = props.roleName ?? 'app';
    this.schemaName = props.schemaName ?? this.roleName;
    for (const [what, name] of [['roleName', this.roleName], ['schemaName', this.schemaName]] as const) {
      try {
        assertSafeIdentifier(what, name);
      } catch (error) {
        throw new Error(`DatabaseBootstrap ${this.node.path}: ${(error as Error).message}`);
      }
    }
    if (this.roleName === database.masterUsername) {
      throw new Error(`DatabaseBootstrap ${this.node.path}: roleName is the master user ${JSON.stringify(this.roleName)}. Fix: use a separate application role such as "app".`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const stack = Stack.of(this);

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: database.vpc,
      description: 'Database bootstrap: HTTPS to VPC endpoints, Postgres to the database only',
      allowAllOutbound: false,
    });
    const endpoints = props.awsApiEndpoints ?? ZeroTrustVpc.apiEndpointsOf(database.vpc);
    const endpointsPeer = props.endpointsPeer ?? endpoints?.endpointSecurityGroup ?? ec2.Peer.ipv4(database.vpc.vpcCidrBlock);
    securityGroup.addEgressRule(endpointsPeer, ec2.Port.tcp(443), 'HTTPS to the Secrets Manager VPC endpoint');
    database.connections.allowDefaultPortFrom(securityGroup, 'Database bootstrap handler');
    this.securityGroup = securityGroup;

    // Named, so the database's log key admits CloudWatch Logs for these two log groups only.
    const logGroup = encryptedLogGroup(this, 'HandlerLogs', {
      logGroupName: `${lambdaLogGroupName(this)}-handler`,
      encryptionKey: database.logEncryptionKey,
      retention,
      removalPolicy,
    });

    // Its rights live in one customer managed policy, attached to the role (ManagedPolicyArns) and
    // so in place before the function that references the role is created.
    const policy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: 'Database bootstrap: own logs, VPC ENIs, read the master secret',
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'ManageVpcNetworkInterfaces',
          // Lambda's VPC attachment: these EC2 actions do not support resource-level scoping.
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ReadMasterSecret',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [database.masterSecret.secretArn],
        }),
        new iam.PolicyStatement({
          sid: 'DecryptMasterSecretThroughSecretsManager',
          actions: ['kms:Decrypt'],
          resources: [database.secretEncryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` } },
        }),
      ],
    });
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Database bootstrap handler',
      managedPolicies: [policy],
    });

    // Pre-bundled by constructs/build.ts (esbuild: node24, minified, CommonJS, no source map; the
    // runtime provides the AWS SDK v3, pg's optional native binding is never used).
    const handler = new lambda.Function(this, 'Handler', {
      code: lambda.Code.fromAsset(handlerAssetDirectory('database-bootstrap')),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      description: 'Creates the IAM-authenticated application role and schema (idempotent)',
      role: iam.Role.fromRoleArn(this, 'HandlerRoleRef', role.roleArn, { mutable: false }),
      vpc: database.vpc,
      vpcSubnets: database.vpcSubnets,
      securityGroups: [securityGroup],
      timeout: Duration.minutes(2),
      memorySize: 256,
      // Runs one at a time; the SQL also serializes itself with an advisory lock.
      reservedConcurrentExecutions: 1,
      logGroup,
      environment: {
        MASTER_SECRET_ARN: database.masterSecret.secretArn,
        DB_HOST: database.clusterEndpoint.hostname,
        DB_PORT: String(database.port),
        DB_NAME: database.databaseName,
        // Lambda's Node.js runtimes ship the RDS CA bundle here but do not load it by default.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
    });
    this.handler = handler;

    // The provider framework's function runs in the handler's subnets too: CloudFormation invokes it
    // (asynchronously), it invokes the handler through the Lambda API (the VPC's Lambda interface
    // endpoint) and answers on CloudFormation's pre-signed S3 URL (the S3 gateway endpoint). Its
    // security group sends HTTPS only; the isolated subnets route nothing but the VPC and S3.
    const providerSecurityGroup = new ec2.SecurityGroup(this, 'ProviderSecurityGroup', {
      vpc: database.vpc,
      description: 'Database bootstrap provider framework: HTTPS to the Lambda VPC endpoint and S3 only',
      allowAllOutbound: false,
    });
    // The Lambda interface endpoint and S3, by name (no 0.0.0.0/0, ADR 0020). In a VPC of unknown
    // endpoints: the handler's endpoint peer, and S3's prefix list read at deploy time.
    if (endpoints) {
      allowHttpsToAwsApis(providerSecurityGroup, endpoints);
    } else {
      providerSecurityGroup.addEgressRule(endpointsPeer, ec2.Port.tcp(443), 'HTTPS to the Lambda VPC endpoint');
      const s3 = new S3PrefixList(this, 'S3PrefixList', { logEncryptionKey: database.logEncryptionKey, logRetention: retention, removalPolicy });
      providerSecurityGroup.addEgressRule(ec2.Peer.prefixList(s3.prefixListId), ec2.Port.tcp(443), 'HTTPS to S3 through the VPC gateway endpoint (AWS-managed S3 prefix list)');
    }
    // The provider framework's role, like the handler's: one customer managed policy, nothing inline.
    const providerLogs = encryptedLogGroup(this, 'ProviderLogs', {
      logGroupName: `${lambdaLogGroupName(this)}-provider`,
      encryptionKey: database.logEncryptionKey,
      retention,
      removalPolicy,
    });
    const providerPolicy = new iam.ManagedPolicy(this, 'ProviderPolicy', {
      description: 'Database bootstrap provider framework: own logs, VPC ENIs, invoke the bootstrap handler',
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [providerLogs.logGroupArn] }),
        new iam.PolicyStatement({
          sid: 'ManageVpcNetworkInterfaces',
          // Lambda's VPC attachment: these EC2 actions do not support resource-level scoping.
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({ sid: 'InvokeHandler', actions: ['lambda:InvokeFunction', 'lambda:GetFunction'], resources: [handler.functionArn] }),
      ],
    });
    const providerRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Database bootstrap provider framework',
      managedPolicies: [providerPolicy],
    });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: handler,
      frameworkOnEventRole: iam.Role.fromRoleArn(this, 'ProviderRoleRef', providerRole.roleArn, { mutable: false }),
      logGroup: providerLogs,
      vpc: database.vpc,
      vpcSubnets: database.vpcSubnets,
      securityGroups: [providerSecurityGroup],
    });
    // CloudFormation sends one event at a time per custom resource; throttled asynchronous events
    // are retried by Lambda, so one concurrent execution is enough and caps it.
    const frameworkFunction = provider.node.findChild('framework-onEvent').node.defaultChild as lambda.CfnFunction;
    frameworkFunction.reservedConcurrentExecutions = 1;
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::PostgresBootstrap',
      properties: { RoleName: this.roleName, SchemaName: this.schemaName },
      // A response that never arrives (e.g. no route to the Lambda API or S3) fails the deployment
      // after this, not after CloudFormation's default hour. The handler itself stops at 2 minutes.
      serviceTimeout: Duration.minutes(10),
    });
    // Runs once the cluster, its instances and the security group rules exist.
    this.resource.node.addDependency(database.cluster, securityGroup);
  }
}
