import { validationFailure } from '../core/validation';

/**
 * Pods in the cluster that scrape Prometheus metrics (e.g. `MetricsCollector.scrapeSource`): a
 * scraped workload's NetworkPolicy admits exactly these pods, by namespace and labels, on its
 * metrics port, instead of whole CIDRs.
 */
export interface MetricsScrapeSource {
  /** Namespace the scraper pods run in. */
  readonly namespace: string;
  /** Labels selecting the scraper pods in that namespace (at least one). */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** A NetworkPolicy peer (`from`/`to` entry) selecting the pods of `source`. */
export function scrapeSourcePeer(source: MetricsScrapeSource): Record<string, unknown> {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': source.namespace } },
    podSelector: { matchLabels: { ...source.podLabels } },
  };
}

/**
 * Fails (through `fail`) when a scrape source could not select anything precise: an empty
 * namespace, or no pod labels (which would admit every pod of the namespace).
 */
export function validateScrapeSources(fail: ReturnType<typeof validationFailure>, setting: string, sources: readonly MetricsScrapeSource[]): void {
  sources.forEach((source, i) => {
    if (!source.namespace || source.namespace.trim() === '') fail(`${setting}[${i}].namespace is empty. Fix: give the namespace the scraper pods run in (MetricsCollector.scrapeSource).`);
    if (Object.keys(source.podLabels ?? {}).length === 0) fail(`${setting}[${i}].podLabels is empty: it would admit every pod of namespace "${source.namespace}". Fix: give the labels of the scraper pods (MetricsCollector.scrapeSource).`);
  });
}
