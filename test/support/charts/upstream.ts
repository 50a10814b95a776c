import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * `../shared/upstream` beside the repository: upstream Helm chart sources, IAM policies and facts,
 * with their provenance (`sources.json`). Read in place, never copied into the repository.
 */
export const UPSTREAM_DIR = path.resolve(__dirname, '../../../../shared/upstream');

/** One upstream chart folder and where upstream publishes that version. */
export interface UpstreamChart {
  readonly folder: string;
  readonly chart: string;
  readonly version: string;
  readonly appVersion?: string;
  /** The Helm repository that publishes this version. */
  readonly publishedAt: string;
  readonly source: string;
}

/** Whether the upstream snapshot is present (in CI and on this project's machines it is). */
export function upstreamAvailable(dir = UPSTREAM_DIR): boolean {
  return fs.existsSync(path.join(dir, 'sources.json'));
}

/**
 * Why upstream checks did not run, for a skip message; throws in CI (`CI` set), where the
 * snapshot must be present: a check that silently skips in CI proves nothing.
 */
export function upstreamSkipReason(dir = UPSTREAM_DIR): string | undefined {
  if (upstreamAvailable(dir)) return undefined;
  const reason = `SKIPPED: upstream checks need ${dir} (upstream chart sources and sources.json), which is absent on this machine`;
  if (process.env.CI) throw new Error(`${reason}; CI must run them.`);
  return reason;
}

export function loadUpstreamCharts(dir = UPSTREAM_DIR): UpstreamChart[] {
  const sources = JSON.parse(fs.readFileSync(path.join(dir, 'sources.json'), 'utf8')) as { charts: UpstreamChart[] };
  return sources.charts.map((c) => ({ ...c, folder: path.join(dir, c.folder) }));
}

const normalizeRepository = (url: string) => url.replace(/\/+$/, '');

/**
 * The upstream chart a release installs, or why it cannot be installed as pinned: upstream must
 * publish that chart version at that repository.
 */
export function publishedChart(charts: readonly UpstreamChart[], release: { chart: string; version: string; repository: string }): { chart: UpstreamChart } | { problem: string } {
  const sameChart = charts.filter((c) => c.chart === release.chart);
  const known = sameChart.map((c) => `${c.version} at ${c.publishedAt}`).join('; ') || 'none';
  const version = sameChart.filter((c) => c.version === release.version);
  if (version.length === 0) {
    return { problem: `chart ${release.chart} ${release.version} is not a version upstream publishes (upstream snapshot has: ${known})` };
  }
  const match = version.find((c) => normalizeRepository(c.publishedAt) === normalizeRepository(release.repository));
  if (!match) {
    return { problem: `chart ${release.chart} ${release.version} is not published at ${release.repository} (upstream publishes it at ${version.map((c) => c.publishedAt).join(', ')})` };
  }
  return { chart: match };
}
