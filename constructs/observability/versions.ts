/**
 * Collector charts and images, pinned in code so a synth never resolves "latest" (bump them
 * through a reviewed change; the chart render tests read each pinned version's upstream source).
 */

/** `opentelemetry-collector` chart of the OpenTelemetry Helm repository (collector 0.158.0). */
export const OTEL_COLLECTOR_CHART_VERSION = '0.170.0';

/** Official OpenTelemetry Helm repository. */
export const OTEL_HELM_REPOSITORY = 'https://open-telemetry.github.io/opentelemetry-helm-charts';

/**
 * The collector distribution the charts run: the contrib build carries the AWS X-Ray, EMF and
 * Prometheus remote-write exporters and the SigV4 extension; tag = the chart's `appVersion`. Tag
 * only: the chart pins no digest, and the digest could not be read offline (docs/adr/0021).
 */
export const OTEL_COLLECTOR_IMAGE = { repository: 'otel/opentelemetry-collector-contrib', tag: '0.158.0' } as const;

/** `aws-for-fluent-bit` chart of the AWS EKS charts repository (Fluent Bit image 3.2.1). */
export const FLUENT_BIT_CHART_VERSION = '0.2.0';

/**
 * The AWS for Fluent Bit image the chart runs: tag = the chart's `appVersion` (3.2.1 is Fluent Bit
 * 4.2.2, whose AWS credential chain includes EKS Pod Identity). Tag only, like the collector's.
 */
export const FLUENT_BIT_IMAGE = { repository: 'public.ecr.aws/aws-observability/aws-for-fluent-bit', tag: '3.2.1' } as const;
