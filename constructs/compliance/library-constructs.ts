import type { IConstruct } from 'constructs';
import { ApplicationNamespace } from '../cluster/application-namespace';
import { PlatformCluster } from '../cluster/platform-cluster';
import { DatabaseBootstrap } from '../data/database-bootstrap';
import { PostgresDatabase } from '../data/postgres-database';
import { RedisCache } from '../data/redis-cache';
import { ArgoRollouts } from '../delivery/argo-rollouts';
import { IstioMesh } from '../mesh/istio-mesh';
import { AwsLoadBalancerController } from '../mesh/load-balancer-controller';
import { ZeroTrustVpc } from '../network/zero-trust-vpc';
import { AlarmTopic } from '../observability/alarm-topic';
import { ClusterMetricsScraper } from '../observability/cluster-metrics-scraper';
import { MetricsCollector } from '../observability/metrics-collector';
import { MetricsWorkspace } from '../observability/metrics-workspace';
import { PlatformMonitoring } from '../observability/platform-monitoring';
import { ServiceMonitoring } from '../observability/service-monitoring';
import { TraceCollector } from '../observability/trace-collector';
import { ContainerLogs } from '../observability/container-logs';
import { PrivateRegistry } from '../registry/private-registry';
import { ChartMirror } from '../registry/chart-mirror';
import { S3PrefixList } from '../network/s3-prefix-list';
import { StatelessService } from '../workload/stateless-service';
import { ServiceRepository } from '../workload/service-repository';
import { PlatformKey } from './platform-key';

/**
 * Every CDK construct class of the library (the cdk8s objects live in charts, not in the CDK
 * tree). A test checks this against the package's exports.
 */
export const LIBRARY_CONSTRUCT_CLASSES: ReadonlyArray<abstract new (...args: never[]) => IConstruct> = [
  ZeroTrustVpc,
  PlatformCluster,
  ApplicationNamespace,
  PlatformKey,
  PostgresDatabase,
  DatabaseBootstrap,
  RedisCache,
  IstioMesh,
  AwsLoadBalancerController,
  ArgoRollouts,
  MetricsWorkspace,
  ClusterMetricsScraper,
  MetricsCollector,
  TraceCollector,
  ContainerLogs,
  PrivateRegistry,
  ChartMirror,
  S3PrefixList,
  AlarmTopic,
  ServiceMonitoring,
  PlatformMonitoring,
  StatelessService,
  ServiceRepository,
];

/**
 * Metadata type the compliance gate writes on every library construct (data: its class name),
 * so the validation report's reader can tell findings on resources the library built
 * (`cdk.out/**\/manifest.json`, keyed by construct path).
 */
export const LIBRARY_CONSTRUCT_METADATA = '@zero-trust/platform-constructs:construct';

/** The library class `construct` is an instance of, if any. */
export function libraryClassOf(construct: IConstruct): string | undefined {
  return LIBRARY_CONSTRUCT_CLASSES.find((type) => construct instanceof type)?.name;
}
