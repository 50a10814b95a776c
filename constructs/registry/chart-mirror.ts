import { CustomResource, Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { encryptedLogGroup } from '../compliance/encrypted-log-group';
import { handlerAssetDirectory } from '../core/handler-asset';
import type { MirroredChartSpec } from './chart-mirror/mirror-charts';

export type { MirroredChartSpec } from './chart-mirror/mirror-charts';

/** Properties of a `ChartMirror`. */
export interface ChartMirrorProps {
  /** The private registry's host, `<account>.dkr.ecr.<region>.<suffix>`. */
  readonly registryHost: string;
  /** The ECR repositories the charts are pushed to (the mirror may push to these only). */
  readonly repositories: () => ecr.IRepository[];
  /** The chart versions to mirror, read when the app is synthesized. */
  readonly charts: () => MirroredChartSpec[];
  /** A Lambda layer with the helm binary at `/opt/helm/helm` (the kubectl layer of aws-eks-v2 clusters has it). */
  readonly helmLayer: lambda.ILayerVersion;
  /** Key encrypting the handler's and the provider framework's log groups (its policy gets a statement for them). */
  readonly logEncryptionKey: kms.IKey;
  /** First segment of the log group names: `/<logGroupPrefix>/chart-mirror/{handler,provider}`. */
  readonly logGroupPrefix: string;
  /**
   * How long the log groups keep events.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Copies pinned Helm chart versions from their upstream HTTPS repositories into private ECR
 * repositories (OCI artifacts, `<registry>/<prefix>/charts/<chart>:<version>`) during the
 * deployment, before anything installs them: a custom resource whose Lambda runs the helm binary
 * of the kubectl layer.
 *
 * The Lambda (and the provider framework function that relays CloudFormation's events to it) runs
 * **outside** the VPC on purpose: it is the only part of the platform that reaches the public chart
 * repositories, and only while CloudFormation deploys, so the cluster's VPC needs no route to the
 * internet. Its role may push to the chart repositories only; it never touches the cluster.
 *
 * A version already in ECR is never replaced (immutable tags); a pinned archive digest is checked
 * both before a push and against what ECR already holds. Without a pin the first mirror is
 * trusted, and the tag then stays frozen on that archive.
 */
export class ChartMirror extends Construct {
  /** The CloudFormation type of the mirror's custom resource. */
  static readonly RESOURCE_TYPE = 'Custom::HelmChartMirror';

  /** The mirror handler. */
  readonly handler: lambda.Function;
  /** The custom resource: depend on it to install a mirrored chart. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ChartMirrorProps) {
    super(scope, id);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Named log groups, each bound to the key by name: the functions never create their own.
    const logGroup = (logicalId: string, kind: string) => encryptedLogGroup(this, logicalId, {
      logGroupName: `/${props.logGroupPrefix}/chart-mirror/${kind}`, encryptionKey: props.logEncryptionKey, retention, removalPolicy,
    });
    const handlerLogs = logGroup('HandlerLogs', 'handler');
    const providerLogs = logGroup('ProviderLogs', 'provider');

    const repositoryArns = Lazy.list({ produce: () => props.repositories().map((repository) => repository.repositoryArn) });
    const policy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: 'Chart mirror: own logs, an ECR login, read and push the chart repositories only',
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [handlerLogs.logGroupArn] }),
        // GetAuthorizationToken has no resource-level permissions; the token is worth what the other statements allow.
        new iam.PolicyStatement({ sid: 'LogInToEcr', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'ReadAndPushCharts',
          actions: ['ecr:BatchGetImage', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'],
          resources: repositoryArns,
        }),
      ],
    });
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Chart mirror handler: copies pinned Helm charts into the private registry',
      managedPolicies: [policy],
    });

    // Pre-bundled by constructs/build.ts; helm (amd64) comes from the layer.
    this.handler = new lambda.Function(this, 'Handler', {
      code: lambda.Code.fromAsset(handlerAssetDirectory('chart-mirror')),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      description: 'Copies pinned Helm charts from their upstream repositories into private ECR (deploy time only)',
      role: iam.Role.fromRoleArn(this, 'HandlerRoleRef', role.roleArn, { mutable: false }),
      layers: [props.helmLayer],
      timeout: Duration.minutes(10),
      memorySize: 1024,
      // One custom resource mirrors every chart, one chart after the other.
      reservedConcurrentExecutions: 1,
      logGroup: handlerLogs,
    });

    const providerPolicy = new iam.ManagedPolicy(this, 'ProviderPolicy', {
      description: 'Chart mirror provider framework: own logs, invoke the mirror handler',
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [providerLogs.logGroupArn] }),
        new iam.PolicyStatement({ sid: 'InvokeHandler', actions: ['lambda:InvokeFunction', 'lambda:GetFunction'], resources: [this.handler.functionArn] }),
      ],
    });
    const providerRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Chart mirror provider framework',
      managedPolicies: [providerPolicy],
    });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler,
      frameworkOnEventRole: iam.Role.fromRoleArn(this, 'ProviderRoleRef', providerRole.roleArn, { mutable: false }),
      logGroup: providerLogs,
    });
    // CloudFormation sends one event at a time for the one custom resource.
    (provider.node.findChild('framework-onEvent').node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: ChartMirror.RESOURCE_TYPE,
      properties: {
        Registry: props.registryHost,
        Charts: Lazy.string({ produce: () => JSON.stringify(props.charts()) }),
      },
      // The handler stops at 10 minutes; a response that never arrives fails after this.
      serviceTimeout: Duration.minutes(15),
    });
  }
}
