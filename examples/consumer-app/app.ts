/**
 * A team's CDK app built on `@zero-trust/platform-constructs`, written as another team would:
 * it installs the package from npm (next to its own aws-cdk-lib and constructs) and imports it by
 * name. Two stacks:
 *
 * - `FullPlatform`: the whole platform in ONE stack: network, EKS cluster, Istio mesh, an
 *   application namespace, Postgres (with its application role) and Redis, a service using
 *   both behind the mesh gateway, and its observability (container logs, traces and metrics
 *   collectors, an alarm topic, SLO alarms and a dashboard). The constructs order their own deployment.
 * - `DataOnly`: only Postgres and Redis, in a VPC the team already has (imported, nothing looked up).
 *
 * The compliance gate runs on every synth: synth fails on any open finding and when a
 * compliance plugin reported nothing. CI builds this app from the library's packed tarball with
 * the newest aws-cdk-lib (examples/consumer-app/run.sh in the platform repository).
 */
import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { App, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { Construct } from 'constructs';
import {
  AlarmTopic,
  ApplicationNamespace,
  applyComplianceGate,
  assertNoOpenFindings,
  COMPLIANCE_PLUGIN_NAMES,
  ContainerLogs,
  DatabaseBootstrap,
  IstioMesh,
  MetricsCollector,
  MetricsWorkspace,
  PlatformCluster,
  PlatformMonitoring,
  PostgresDatabase,
  RedisCache,
  reportedPlugins,
  ServiceImage,
  ServiceMonitoring,
  ServiceRepository,
  StatelessService,
  TraceCollector,
  ZeroTrustVpc,
} from '@zero-trust/platform-constructs';

/** A concrete account and region with explicit zones: synth looks nothing up. */
const ENV = { account: '123456789012', region: 'eu-west-1' };
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** The image the pipeline built and scanned, by digest (never a mutable tag). */
const PAYMENTS_IMAGE_DIGEST = 'sha256:5f1c3a7e9b2d4c6a8e0f1b3d5c7e9a2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a2c';

/** The whole platform in one stack: VPC -> cluster -> mesh -> namespace -> data -> service. */
class FullPlatformStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);

    const network = new ZeroTrustVpc(this, 'TeamNetwork', { cidr: '10.40.0.0/16', availabilityZones: ZONES });
    const platform = new PlatformCluster(this, 'TeamCluster', {
      vpc: network.vpc,
      version: eks.KubernetesVersion.V1_36,
      // The kubectl layer must match the cluster's Kubernetes minor version.
      kubectlLayer: new KubectlV36Layer(this, 'TeamKubectlLayer'),
    });
    const { cluster } = platform;
    // The gateway starts a sampled trace for 10% of requests; every later hop follows its traceparent.
    const mesh = new IstioMesh(this, 'TeamMesh', { cluster, vpc: network.vpc, tracing: TraceCollector.meshTracing(10) });
    // Pod Security "restricted", sidecar injection, quota, default-deny network policies.
    const namespace = new ApplicationNamespace(this, 'PaymentsNamespace', {
      cluster,
      name: 'payments',
      quota: { cpu: 4, memoryGiB: 8, pods: 20 },
    });

    // Data in the isolated subnets; the service logs in to both with IAM, over TLS.
    const database = new PostgresDatabase(this, 'PaymentsDatabase', { vpc: network.vpc });
    const bootstrap = new DatabaseBootstrap(this, 'PaymentsDatabaseBootstrap', { database, roleName: 'payments' });
    const cache = new RedisCache(this, 'PaymentsCache', { vpc: network.vpc });

    // Logs, traces and metrics leave the cluster (CloudWatch Logs, X-Ray, Managed Prometheus).
    const workspace = new MetricsWorkspace(this, 'TeamMetrics');
    const metrics = new MetricsCollector(this, 'TeamMetricsCollector', { cluster, vpc: network.vpc, workspace, logGroupPrefix: 'payments' });
    const containerLogs = new ContainerLogs(this, 'TeamLogs', { cluster, logGroupPrefix: 'payments', vpcCidr: '10.40.0.0/16', applicationNamespaces: [namespace] });
    const traces = new TraceCollector(this, 'TeamTraces', { cluster, vpc: network.vpc, mesh, senders: [{ namespace }], scrapeSources: [metrics.scrapeSource] });

    const repository = new ServiceRepository(this, 'PaymentsRepository');
    const service = new StatelessService(this, 'PaymentsService', {
      cluster,
      namespace,
      serviceName: 'payments',
      image: ServiceImage.fromEcrDigest(repository.repository, PAYMENTS_IMAGE_DIGEST),
      migrationArgs: ['migrate'],
      environment: {
        DATABASE_HOST: database.clusterEndpoint.hostname,
        DATABASE_NAME: database.databaseName,
        DATABASE_USER: bootstrap.roleName,
        REDIS_HOST: cache.primaryEndpoint.hostname,
        REDIS_USER: cache.appUserName,
      },
      postgres: { database, user: bootstrap.roleName },
      cache: { cache },
      gateway: mesh.gatewayExposure({ hosts: ['payments.internal.example.com'] }),
      tracing: traces.exportFor(namespace),
    });

    // Pages on SLO burn rate and on the data stores and nodes, to an encrypted topic; one dashboard.
    const { topic } = new AlarmTopic(this, 'TeamAlarms', { emailAddresses: ['payments-oncall@example.com'] });
    const payments = new ServiceMonitoring(this, 'PaymentsMonitoring', {
      serviceName: service.serviceName,
      logGroup: containerLogs.applicationLogGroup,
      slo: { availabilityPercent: 99.9, latencyThreshold: Duration.millis(300), latencyPercent: 99 },
      topic,
    });
    new PlatformMonitoring(this, 'TeamMonitoring', {
      topic,
      nodeReadiness: metrics.metricNodeReady(),
      services: [payments],
      database: { database },
      cache: { cache },
    });
  }
}

/** Only Postgres and Redis, in the team's existing VPC (its isolated subnets). */
class DataOnlyStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);

    // The VPC exists already (made by another app or by hand): its ids and CIDRs as written.
    const vpc = ZeroTrustVpc.fromVpcAttributes(this, 'ExistingNetwork', {
      vpcId: 'vpc-0f1e2d3c4b5a69788',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      workloadSubnets: [
        { subnetId: 'subnet-0b1b2b3b4b5b6b7b1', ipv4CidrBlock: '10.20.32.0/19', routeTableId: 'rtb-0b1b2b3b4b5b6b7b1' },
        { subnetId: 'subnet-0b1b2b3b4b5b6b7b2', ipv4CidrBlock: '10.20.64.0/19', routeTableId: 'rtb-0b1b2b3b4b5b6b7b2' },
      ],
      dataSubnets: [
        { subnetId: 'subnet-0c1c2c3c4c5c6c7c1', ipv4CidrBlock: '10.20.96.0/22', routeTableId: 'rtb-0c1c2c3c4c5c6c7c1' },
        { subnetId: 'subnet-0c1c2c3c4c5c6c7c2', ipv4CidrBlock: '10.20.100.0/22', routeTableId: 'rtb-0c1c2c3c4c5c6c7c2' },
      ],
    });

    const database = new PostgresDatabase(this, 'LedgerDatabase', { vpc });
    // The bootstrap handler reaches Secrets Manager through the VPC's interface endpoint (HTTPS to the VPC CIDR).
    new DatabaseBootstrap(this, 'LedgerDatabaseBootstrap', { database, roleName: 'ledger' });
    new RedisCache(this, 'LedgerCache', { vpc });
  }
}

const app = new App();
new FullPlatformStack(app, 'FullPlatform', {
  env: ENV,
  stackName: 'payments-full-platform',
  description: 'Payments team: the zero-trust platform in one stack (VPC, EKS, Istio, Postgres, Redis, the payments service)',
});
new DataOnlyStack(app, 'DataOnly', {
  env: ENV,
  stackName: 'ledger-data',
  description: 'Ledger team: Aurora PostgreSQL and ElastiCache in the existing VPC',
});

// The platform's packs and cfn-guard rules; the library acknowledges what it builds itself, so this
// app lists only its own acknowledgments (none).
applyComplianceGate(app, { acknowledgments: [] });
const assembly = app.synth();
// CDK fails synth only on plugin reports concluded "failure": the gate fails on any open finding.
assertNoOpenFindings(assembly.directory);
// A plugin that looked at nothing is not a pass.
const reported = reportedPlugins(assembly.directory);
const silent = COMPLIANCE_PLUGIN_NAMES.filter((name) => !reported.includes(name));
if (silent.length > 0) {
  throw new Error(`Compliance gate: no report from ${silent.join(', ')} (reported: ${reported.join(', ') || 'none'}).`);
}
