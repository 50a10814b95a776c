import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { IDependable } from 'constructs';
import type { HelmChartSource, IPrivateRegistry } from './private-registry';
import type { ImageReference } from './upstream-registries';

/**
 * How the chart constructs take an optional `IPrivateRegistry`: with one, every image and the chart
 * itself come from it; without, from upstream as before.
 */

/** The image a chart runs: the upstream pin, or its copy in `registry`. */
export function imageFrom(registry: IPrivateRegistry | undefined, upstream: ImageReference): ImageReference {
  return registry ? registry.image(upstream) : upstream;
}

/** Where a `HelmChart` installs a chart version from, and what it must wait for. */
export interface ChartLocation {
  /** `chart`, `version` and `repository` of the `HelmChart`. */
  readonly location: Required<Pick<eks.HelmChartOptions, 'chart' | 'version' | 'repository'>>;
  /** With a registry: its cache rules (the chart's pods pull through them) and the chart's mirror. */
  readonly dependencies: IDependable[];
}

/** A chart version from its upstream repository, or from its mirror in `registry`. */
export function helmChartFrom(registry: IPrivateRegistry | undefined, source: HelmChartSource): ChartLocation {
  if (!registry) return { location: { chart: source.chart, version: source.version, repository: source.repository }, dependencies: [] };
  const mirrored = registry.helmChart(source);
  return { location: { chart: mirrored.chart, version: mirrored.version, repository: mirrored.repository }, dependencies: [registry.ready, mirrored.mirrored] };
}
