/**
 * `npm run bench:synth`: wall time and peak RSS of the full platform synth (compliance gate on),
 * with and without aws-cdk-lib's built-in CloudFormation validation, next to the floor of merely
 * loading aws-cdk-lib, all measured in the same run. Figures are medians of RUNS runs; ratios
 * are against the floor. Record results in docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUNS = Number(process.argv[2] ?? 3);
const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface Sample {
  readonly seconds: number;
  readonly peakRssMiB: number;
}

/** Runs a command under GNU time and returns its wall time and maximum resident set size. */
function measure(command: string[], env: NodeJS.ProcessEnv): Sample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', ...command], {
    cwd: root,
    env: { ...process.env, ...env, CDK_OUTDIR: outdir },
    encoding: 'utf8',
  });
  fs.rmSync(outdir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`${command.join(' ')} failed:\n${result.stderr}`);
  const [seconds, kib] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, peakRssMiB: kib / 1024 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const cases: { name: string; command: string[]; env: NodeJS.ProcessEnv }[] = [
  { name: 'floor: node -e "require(\'aws-cdk-lib\')"', command: ['node', '-e', "require('aws-cdk-lib')"], env: {} },
  { name: 'full synth, gate on, built-in validation off', command: [tsx, 'bin/platform.ts'], env: { CDK_VALIDATION: 'false' } },
  { name: 'full synth, gate on, built-in validation on', command: [tsx, 'bin/platform.ts'], env: {} },
];

const results = cases.map((c) => {
  const samples = Array.from({ length: RUNS }, () => measure(c.command, c.env));
  return { name: c.name, seconds: median(samples.map((s) => s.seconds)), peakRssMiB: median(samples.map((s) => s.peakRssMiB)) };
});

const floor = results[0];
console.log(`synth benchmark: median of ${RUNS} runs, node ${process.version}, ${os.cpus().length} cores`);
console.log('| case | wall s | x floor | peak RSS MiB | x floor |');
console.log('|---|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.seconds.toFixed(2)} | ${(r.seconds / floor.seconds).toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ${(r.peakRssMiB / floor.peakRssMiB).toFixed(1)} |`);
}
