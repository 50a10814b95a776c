/**
 * The sample service <-> CloudWatch contract: every metric the Cluster stack has the collector
 * publish to CloudWatch (SAMPLE_CLOUDWATCH_METRICS) is one the service exposes, as a counter or a
 * gauge, under exactly the name dashboards read (`cloudWatchMetricName`). The name holds because
 * the service serves the Prometheus text format, where a counter's family is named with its
 * `_total` (in OpenMetrics the family would be `orders_created`, and so would the collector's
 * metric): a switch of format or a renamed metric fails here, not on an empty dashboard.
 */
import { cloudWatchMetricName } from '../../../constructs/observability';
import { SAMPLE_CLOUDWATCH_METRICS } from '../../../lib/stacks/cluster-stack';
import { createMetrics } from '../../../services/sample/src/metrics';

/** `# TYPE <family> <type>` lines of a text exposition. */
function familyTypes(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

test('the sample serves the Prometheus text format, so family names keep their suffixes', () => {
  expect(createMetrics().registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
});

test.each([...SAMPLE_CLOUDWATCH_METRICS])('%s is a counter or gauge the sample exposes under its CloudWatch name', async (name) => {
  // GIVEN the service's registry; WHEN it is scraped
  const metrics = createMetrics();
  metrics.observeOutbox(async () => ({ events: 3, oldestAgeSeconds: 1 }));
  const types = familyTypes(await metrics.registry.metrics());
  // THEN the metric is exposed as a family of that exact name, counters with `_total`
  expect({ name, type: types.get(name) }).toEqual({ name, type: name.endsWith('_total') ? 'counter' : 'gauge' });
  expect(cloudWatchMetricName(name)).toBe(name);
});
