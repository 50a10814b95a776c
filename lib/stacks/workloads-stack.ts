import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { type IstioMesh, ServiceImage, ServiceRepository, StatelessService } from '@zero-trust/platform-constructs';
import type { PlatformConfig } from '../config';
import { SMOKE_TEST_CUSTOMER_ID } from '../pipeline/build-commands';
import { repositoryOfUri, serviceImageFromContext } from '../pipeline/image-context';
import type { ClusterStack } from './cluster-stack';
import type { DataStack } from './data-stack';
import { removalPolicyOf } from './config-mapping';

export interface WorkloadsStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly cluster: ClusterStack;
  readonly data: DataStack;
}

/**
 * Name of the sample service: its Kubernetes name, and the `service.name` of its traces and the
 * `service` field of its log lines (OTEL_SERVICE_NAME), so logs, traces and metrics agree.
 */
export const SAMPLE_SERVICE_NAME = 'orders';

/** Where the sample service's image keeps the Amazon RDS certificate authorities (services/sample/build.ts). */
export const SAMPLE_RDS_CA_FILE = '/app/rds-ca-bundle.pem';

/**
 * The services running on the platform: for each, its ECR repository and a StatelessService
 * (Kubernetes objects through cdk8s, Pod Identity role and grants, data-tier access). It churns
 * with every release, so it is apart from the cluster and the data it uses.
 */
export class WorkloadsStack extends Stack {
  /** ECR repository of the sample service (immutable tags, scan on push, KMS). */
  readonly sampleRepository: ServiceRepository;
  /** The sample orders service. */
  readonly sample: StatelessService;

  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const sample = config.workloads.sample;
    const mesh: IstioMesh = props.cluster.mesh;
    // Config validation holds workloads.sample.namespace to cluster.namespaces.
    const namespace = props.cluster.namespaces[sample.namespace];
    if (!namespace) {
      throw new Error(`WorkloadsStack ${this.node.path}: workloads.sample.namespace ${JSON.stringify(sample.namespace)} is not one of cluster.namespaces (${Object.keys(props.cluster.namespaces).join(', ')}). Fix: add it to cluster.namespaces or pick one of those.`);
    }

    this.sampleRepository = new ServiceRepository(this, 'SampleRepository', {
      removalPolicy: removalPolicyOf(config, { allowSnapshot: false }),
    });
    // The pipeline hands over the image it built, tested and scanned (its own repository, by
    // digest); a local or manual deploy uses this environment's repository and the configured
    // digest or immutable tag.
    const handedOver = serviceImageFromContext(this.node, 'sample');
    const image = handedOver
      ? ServiceImage.fromEcrDigest(ecr.Repository.fromRepositoryAttributes(this, 'PipelineSampleRepository', repositoryOfUri(handedOver.repository)), handedOver.digest)
      : sample.image.digest
        ? ServiceImage.fromEcrDigest(this.sampleRepository.repository, sample.image.digest)
        : ServiceImage.fromEcrTag(this.sampleRepository.repository, sample.image.tag!);

    const postgres = data.postgres;
    const cache = data.cache;
    const dbUser = data.databaseBootstrap.roleName;
    // The pod's preStop sleep keeps it in rotation while endpoints update; after SIGTERM the
    // service drains at once (no second delay) within this timeout, and the grace period covers both.
    const drainTimeout = Duration.seconds(20);
    this.sample = new StatelessService(this, 'Sample', {
      cluster: props.cluster.platformCluster.cluster,
      namespace,
      serviceName: SAMPLE_SERVICE_NAME,
      image,
      migrationArgs: ['migrate'],
      drainTimeout,
      minReplicas: sample.minReplicas,
      maxReplicas: sample.maxReplicas,
      // The service's own settings (services/sample/README.md): IAM auth and verified TLS to both stores.
      environment: {
        DATABASE_URL: `postgres://${dbUser}@${postgres.clusterEndpoint.hostname}:${postgres.port}/${postgres.databaseName}`,
        DATABASE_SCHEMA: data.databaseBootstrap.schemaName,
        DATABASE_IAM_AUTH: 'true',
        DATABASE_TLS: 'verify-full',
        DATABASE_TLS_CA_FILE: SAMPLE_RDS_CA_FILE,
        REDIS_URL: `rediss://${cache.primaryEndpoint.hostname}:${cache.primaryEndpoint.port}`,
        REDIS_IAM_AUTH: 'true',
        REDIS_IAM_USER: cache.appUserName,
        REDIS_IAM_CACHE_NAME: cache.replicationGroupId,
        OTEL_SERVICE_NAME: SAMPLE_SERVICE_NAME,
        SHUTDOWN_DELAY_MS: '0',
        SHUTDOWN_TIMEOUT_MS: String(drainTimeout.toMilliseconds()),
      },
      postgres: { database: postgres, user: dbUser },
      cache: { cache },
      gateway: mesh.gatewayExposure({ hosts: [sample.hostname], pathPrefixes: ['/v1/'], methods: ['GET', 'POST'] }),
      // Spans to the trace collector over OTLP/HTTP; the sampler follows the gateway's decision.
      tracing: props.cluster.traceCollector.exportFor(namespace),
      // rolling (dev), canary or blue-green (Argo Rollouts, analysis on the service's metrics).
      delivery: {
        strategy: sample.delivery,
        metrics: { workspace: props.cluster.metricsWorkspace, scrapeSources: [props.cluster.metricsCollector.scrapeSource] },
        // Blue-green: the service's own `check` (services/sample/src/check.ts) exercises the preview before
        // promotion; its test orders belong to the smoke-test customer, like the pipeline's smoke test's.
        ...(sample.delivery === 'blue-green' ? { previewCheck: { args: ['check'], environment: { CHECK_CUSTOMER_ID: SMOKE_TEST_CUSTOMER_ID } } } : {}),
      },
    });
  }
}
