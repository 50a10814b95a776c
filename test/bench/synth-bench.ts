/**
 * `npm run bench:synth [runs]`: whole-process `cdk synth` of the platform app, next to the EKS
 * Blueprints reference app (docs/benchmarks.md), measured in one run. Every case is a fresh
 * `npx cdk synth --no-notices -q -o <outdir>` under GNU time (wall time, and the peak RSS of the
 * largest process in its tree); the cases alternate round-robin after one untimed warm-up each,
 * and the table gives medians of `runs` (default 5) as ratios against the reference. Each case
 * keeps its own outdir across runs; "cold" cases remove the compliance gate's findings cache
 * (`<outdir>/.cache/compliance-gate`) before every run. Node's compile cache is left alone.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUNS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`usage: npm run bench:synth [runs], runs a positive integer; got ${process.argv[2]}`);
const root = path.resolve(__dirname, '../..');
const referenceDir = path.resolve(process.env.EKS_BLUEPRINTS_DIR ?? '/tmp/eks-blueprints');

interface Case {
  readonly name: string;
  readonly cwd: string;
  /** Arguments after `cdk synth --no-notices -q -o <outdir>`. */
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Empty the compliance gate's findings cache before every run. */
  readonly cold: boolean;
  readonly outdir: string;
}

interface Sample {
  readonly seconds: number;
  readonly peakRssMiB: number;
}

class SynthFailed extends Error {}

/** One whole-process synth under GNU time; throws with the synth's stderr when it fails. */
function synth(c: Case, timeFile: string): Sample {
  if (c.cold) fs.rmSync(path.join(c.outdir, '.cache', 'compliance-gate'), { recursive: true, force: true });
  const command = ['npx', 'cdk', 'synth', '--no-notices', '-q', '-o', c.outdir, ...c.args];
  const result = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %M', ...command], {
    cwd: c.cwd,
    env: { ...process.env, ...c.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const how = result.signal ?? `exit code ${result.status}`;
    throw new SynthFailed(`${c.name}: \`${command.join(' ')}\` in ${c.cwd} failed (${how}):\n${result.stderr}`);
  }
  const [seconds, kib] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, peakRssMiB: kib / 1024 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}×`;
const verdict = (value: number, limit: number, of: string) =>
  `${value.toFixed(2)}× ${of} (goal ≤ ${limit.toFixed(2)}×: ${value <= limit ? 'met' : 'not met'})`;

function main(tmp: string, bundleDir: string): void {
  const hasReference = fs.existsSync(path.join(referenceDir, 'node_modules'));
  // Packages stay external in the bundle, so it lives under node_modules like the real app's.
  const ungated = path.join(bundleDir, 'ungated.js');
  const build = spawnSync('node', ['bin/build-app.mjs', 'test/bench/ungated-app.ts', ungated], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new SynthFailed(`bundling test/bench/ungated-app.ts failed:\n${build.stderr}`);

  const gated = { CDK_VALIDATION: undefined };
  const allEnvs = ['-c', 'env=dev,staging,prod'];
  const specs: Omit<Case, 'outdir'>[] = [
    ...(hasReference ? [{ name: 'reference', cwd: referenceDir, args: [], env: {}, cold: false }] : []),
    { name: 'gated dev, cold', cwd: root, args: [], env: gated, cold: true },
    { name: 'gated dev, repeat (no change)', cwd: root, args: [], env: gated, cold: false },
    { name: 'dev, gate off', cwd: root, args: ['--app', `node --enable-source-maps ${ungated}`], env: { CDK_VALIDATION: 'false' }, cold: false },
    { name: 'gated dev+staging+prod, cold', cwd: root, args: allEnvs, env: gated, cold: true },
    { name: 'gated dev+staging+prod, repeat', cwd: root, args: allEnvs, env: gated, cold: false },
  ];
  const cases: Case[] = specs.map((c, i) => ({ ...c, outdir: path.join(tmp, `case-${i}`) }));

  const nodeVersion = spawnSync('node', ['--version'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  const loadAtStart = os.loadavg()[0];
  const started = new Date();
  const timeFile = path.join(tmp, 'time.txt');
  console.error(`warm-up: one untimed run per case (stages assets into its outdir, fills the repeat cases' cache)`);
  for (const c of cases) synth(c, timeFile);
  const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
  for (let run = 1; run <= RUNS; run++) {
    for (const c of cases) {
      const s = synth(c, timeFile);
      samples.get(c)!.push(s);
      console.error(`run ${run}/${RUNS}  ${c.name.padEnd(32)} ${s.seconds.toFixed(2)} s  ${s.peakRssMiB.toFixed(0)} MiB`);
    }
  }

  const rows = cases.map((c) => {
    const ss = samples.get(c)!;
    const secs = ss.map((s) => s.seconds);
    const rss = ss.map((s) => s.peakRssMiB);
    return { name: c.name, seconds: median(secs), peakRssMiB: median(rss), secs, rss };
  });
  const row = (name: string) => rows.find((r) => r.name === name)!;
  const base = row(hasReference ? 'reference' : 'gated dev, cold');
  const devCold = row('gated dev, cold');
  const allCold = row('gated dev+staging+prod, cold');
  const devRepeat = row('gated dev, repeat (no change)');
  const allRepeat = row('gated dev+staging+prod, repeat');
  const goalVsBase = (limit: number) => (r: typeof base) =>
    hasReference ? verdict(r.seconds / base.seconds, limit, 'reference') : 'n/a (no reference)';
  const goals: Record<string, (r: typeof base) => string> = {
    'gated dev, cold': goalVsBase(1.0),
    'gated dev, repeat (no change)': goalVsBase(0.75),
    'dev, gate off': goalVsBase(1.0),
    'gated dev+staging+prod, cold': (r) => verdict(r.seconds / devCold.seconds, 1.5, 'gated dev, cold'),
    'gated dev+staging+prod, repeat': (r) => `${ratio(r.seconds, devRepeat.seconds)} gated dev, repeat (no goal)`,
  };

  const baseLabel = hasReference ? 'reference' : 'gated dev, cold';
  console.log(`\n## synth benchmark: median of ${RUNS} alternating runs per case\n`);
  if (!hasReference) {
    console.log(`Reference SKIPPED: no node_modules in ${referenceDir}. Install it (or set EKS_BLUEPRINTS_DIR):\n`);
    console.log(`    cp -r ../shared/reference/eks-blueprints ${referenceDir} && cd ${referenceDir}   # from the repo root`);
    console.log('    npm ci --legacy-peer-deps        # it pins aws-cdk 2.1129 as a peer\n');
    console.log('Ratios below are against "gated dev, cold" instead.\n');
  }
  const load = `load average ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`;
  console.log(`Machine: node ${nodeVersion} (the npm scripts' node), ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${load}.`);
  console.log(`Wall time and peak RSS (of the largest process: GNU time's %M) of whole \`npx cdk synth\` processes.\n`);
  console.log(`| case | wall s (median) | × ${baseLabel} | peak RSS MiB | × ${baseLabel} | wall min–max s | RSS min–max MiB | goal (wall time) |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const spread = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
    console.log(
      `| ${r.name} | ${r.seconds.toFixed(2)} | ${ratio(r.seconds, base.seconds)} | ${r.peakRssMiB.toFixed(0)} | ${ratio(r.peakRssMiB, base.peakRssMiB)}` +
        ` | ${spread(r.secs, 2)} | ${spread(r.rss, 0)} | ${goals[r.name]?.(r) ?? ''} |`,
    );
  }
  console.log(
    `\nThree environments vs one: cold ${ratio(allCold.seconds, devCold.seconds)} wall, ${ratio(allCold.peakRssMiB, devCold.peakRssMiB)} RSS;` +
      ` repeat ${ratio(allRepeat.seconds, devRepeat.seconds)} wall, ${ratio(allRepeat.peakRssMiB, devRepeat.peakRssMiB)} RSS.`,
  );
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-bench-'));
fs.mkdirSync(path.join(root, 'node_modules', '.cache'), { recursive: true });
const bundleDir = fs.mkdtempSync(path.join(root, 'node_modules', '.cache', 'synth-bench-'));
// Ctrl-C also stops the running synth, whose failure ends the run through the finally below.
process.on('SIGINT', () => undefined);
try {
  main(tmp, bundleDir);
} catch (e) {
  console.error(e instanceof SynthFailed ? e.message : e);
  process.exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(bundleDir, { recursive: true, force: true });
}
