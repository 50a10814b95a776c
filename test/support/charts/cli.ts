/**
 * `npm run charts:render [-- <cloud assembly>]`: renders every HelmChart of a synthesized
 * assembly (default `cdk.out`, after `npx cdk synth`) with the kubectl layer's Helm and the
 * upstream chart sources, writes the renders to `<assembly>/rendered-charts/` and lists every
 * problem. Exits 1 on any problem, 2 when the upstream snapshot is absent (nothing was checked).
 */
import * as path from 'node:path';
import { kindCounts, renderAssemblyCharts, writeRenderedCharts } from './render-charts';
import { UPSTREAM_DIR, upstreamAvailable } from './upstream';

async function main(): Promise<number> {
  const assembly = path.resolve(process.argv[2] ?? 'cdk.out');
  if (!upstreamAvailable()) {
    console.error(`SKIPPED: no chart was rendered or checked: ${UPSTREAM_DIR} (upstream chart sources) is absent.`);
    return 2;
  }
  const rendered = await renderAssemblyCharts(assembly);
  const out = path.join(assembly, 'rendered-charts');
  writeRenderedCharts(rendered, out);
  let problems = 0;
  for (const chart of rendered) {
    const counts = Object.entries(kindCounts(chart.objects)).map(([kind, n]) => `${n} ${kind}`).join(', ');
    console.log(`${chart.template} ${chart.release.release} (${chart.release.chart} ${chart.release.version}): ${chart.objects.length} objects${counts ? `: ${counts}` : ''}`);
    for (const problem of chart.problems) console.log(`  PROBLEM ${problem}`);
    problems += chart.problems.length;
  }
  console.log(`${rendered.length} releases rendered into ${path.relative(process.cwd(), out) || out}; ${problems} problems`);
  return problems > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (error) => { console.error(error); process.exitCode = 1; });
