/**
 * npm run bench:instructions — what a request costs, counted rather than timed: machine instructions
 * executed per request by the bundled service (all middleware on, 10% of traces sampled and exported,
 * one access line per request) and by the bare fastify baseline, each under valgrind's callgrind.
 *
 * Why a second benchmark: on this shared 2-core machine, requests/s and CPU time per request move by
 * ±30% between rounds and by up to 25% between identical processes (see docs/benchmarks.md), so a
 * 5% change is invisible in bench:service. Instruction counts split the cost between middleware pieces;
 * they do not see cache misses or the CPU's speed, so they complement the timed bench rather than
 * replace it.
 *
 * Method: each side runs alone under callgrind; WARMUP requests bring V8's tiers to steady state (tier-up
 * is driven by call counts, so valgrind's slowness does not change it), then the counters are zeroed,
 * REQUESTS requests are measured and the counters dumped. "Event loop" is the main thread (what bounds a
 * single Node process's throughput); "all threads" adds GC helpers.
 *
 * What keeps the count steady (docs/benchmarks.md, 2026-12-05, eighth round):
 * - Optimizing compiles run on the main thread (--no-concurrent-recompilation), and their instructions
 *   are reported apart, not in the request's count. Under valgrind a background TurboFan compile takes
 *   hundreds of times longer than natively, so with concurrent compiles a hot function could run for
 *   thousands of requests in a lower tier (or after a deoptimization, in the interpreter) while its
 *   optimized code was still compiling: runs of one build differed by up to 40%. Compiled on the spot, a
 *   function is optimized as soon as it is hot, as it would be natively within milliseconds.
 * - Every variant runs REPEAT times (interleaved) and the fewest instructions count: what is left of
 *   tiering under valgrind (a late deoptimization) only ever adds.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { deleteRedisPrefix, dropSchema, freePort, migrateSchema, PG_URL, REDIS_URL, uniqueName, waitFor } from '../test/helpers';
import { BUNDLE, buildBaseline, createOrder, request, scenarios, serviceEnv, startOtlpSink, startProcess, type Scenario } from './common';

/**
 * The timed bench's 50 connections: the operating point of the goal. Requests that share an event-loop
 * turn share its fixed costs, and how many do depends on timing, so single counts at 50 connections move
 * by up to 5% between runs of one build, the fewest of REPEAT by up to 3% (at BENCH_CONNECTIONS=1 each
 * request pays them alone: higher counts, ratios nearer 1).
 */
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const WARMUP = Number(process.env['BENCH_WARMUP_REQUESTS'] ?? 30_000);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 10_000);
/** Runs under valgrind at once (each is single-threaded under valgrind): one per core. */
const PARALLEL = Number(process.env['BENCH_PARALLEL'] ?? 2);
/** Runs of each variant; the fewest instructions count (see the header). */
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 3);
/**
 * Another build of the service (its dist/server.js, e.g. one saved before a change) counted on the read
 * scenarios in the same run: an A/B of a change, each run of it interleaved with this build's.
 */
const OTHER_BUNDLE = process.env['BENCH_OTHER_BUNDLE'] === undefined ? undefined : resolve(process.env['BENCH_OTHER_BUNDLE']);
/** A folder to keep the callgrind dumps in (for callgrind_annotate); by default they are deleted. */
const DUMPS_DIR = process.env['BENCH_DUMPS_DIR'];
/**
 * More node flags for the processes under valgrind, e.g. '--perf-basic-prof' to name JIT code in a
 * dump (V8 writes /tmp/perf-<pid>.map; see bench/profile.ts).
 */
const NODE_FLAGS = (process.env['BENCH_NODE_FLAGS'] ?? '').split(/\s+/).filter((flag) => flag !== '');
/** More valgrind options, e.g. '--dump-instr=yes' (costs per instruction address, for bench/profile.ts). */
const VALGRIND_FLAGS = (process.env['BENCH_VALGRIND_FLAGS'] ?? '').split(/\s+/).filter((flag) => flag !== '');
if (OTHER_BUNDLE !== undefined && !existsSync(OTHER_BUNDLE)) throw new Error(`BENCH_OTHER_BUNDLE=${OTHER_BUNDLE}: no such file (give the path of another build's server.js)`);
for (const [name, value] of Object.entries({ BENCH_CONNECTIONS: CONNECTIONS, BENCH_WARMUP_REQUESTS: WARMUP, BENCH_REQUESTS: REQUESTS, BENCH_PARALLEL: PARALLEL, BENCH_REPEAT: REPEAT })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, got "${process.env[name]}"`);
}
/**
 * Under valgrind the service runs some 50 times slower: its timeouts (100 ms per Redis command, 2-3 s per
 * query) would fire and send reads down the fallback path. Generous limits keep every request on the path
 * it takes natively (the timers are still set per call, so their cost is counted).
 */
const SLOW_RUNTIME_TIMEOUTS = {
  REDIS_COMMAND_TIMEOUT_MS: '30000',
  REDIS_CONNECT_TIMEOUT_MS: '30000',
  DATABASE_CONNECT_TIMEOUT_MS: '30000',
  DATABASE_STATEMENT_TIMEOUT_MS: '60000',
  DATABASE_QUERY_TIMEOUT_MS: '60000',
  IDEMPOTENCY_LOCK_TIMEOUT_MS: '60000',
  HTTP_REQUEST_TIMEOUT_MS: '120000',
};
// valgrind's gdb server (used by callgrind_control) names its pipes after the user and host; both sides
// must see the same values, and a container often sets neither.
const VGDB_ENV = { USER: 'bench', LOGNAME: 'bench', HOST: 'localhost' };

/** Processes under valgrind right now: stopped with the bench, even when it is interrupted. */
const running = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

function requireValgrind(): void {
  for (const tool of ['valgrind', 'callgrind_control', 'callgrind_annotate']) {
    try {
      execFileSync(tool, ['--help'], { stdio: 'ignore' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        console.error(`bench:instructions needs ${tool} (valgrind's callgrind). Install it (Debian: apt-get install valgrind) and run again.`);
        process.exit(1);
      }
    }
  }
}

interface Run {
  readonly label: string;
  readonly file: string;
  readonly env: Record<string, string>;
  readonly request: autocannon.Request;
}

interface Counts {
  /** Instructions per request on the main thread (the event loop), optimizing compiles left out. */
  readonly eventLoop: number;
  /** Instructions per request, all threads, optimizing compiles left out. */
  readonly all: number;
  /** Instructions per request spent compiling (TurboFan, on the main thread, and lazy bytecode compiles). */
  readonly compile: number;
}

/**
 * PROGRAM TOTALS, the main thread's inclusive cost (node::Start) and the inclusive cost of V8's compile
 * entry points (optimizing and lazy compiles; they never run JavaScript, so they do not nest) from a
 * callgrind dump.
 */
function readDump(file: string): { total: number; main: number; compile: number } {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const instructions = (digits: string): number => Number(digits.replace(/,/g, '')); // 1,234,567
  const count = (pattern: RegExp): number => {
    const match = pattern.exec(text);
    if (match === null) throw new Error(`callgrind_annotate output of ${file} has no line matching ${pattern}`);
    return instructions(match[1]!);
  };
  const compile = [...text.matchAll(/^\s*([\d,]+)\s.*v8::internal::Runtime_Compile(?:Optimized\w*|Lazy|Baseline)\(/gm)].reduce((sum, m) => sum + instructions(m[1]!), 0);
  return { total: count(/^\s*([\d,]+)\s.*PROGRAM TOTALS/m), main: count(/^\s*([\d,]+)\s.*node::Start\(int, char\*\*\)/m), compile };
}

async function measure(run: Run, attempt: number, dir: string): Promise<Counts> {
  const port = await freePort();
  const out = join(dir, `${run.label.replace(/[^a-z0-9]+/gi, '-')}-${attempt}`);
  const child: ChildProcess = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, ...VALGRIND_FLAGS, process.execPath, '--no-concurrent-recompilation', ...NODE_FLAGS, run.file], {
    env: { PATH: process.env['PATH'] ?? '', ...run.env, ...VGDB_ENV, PORT: String(port) },
    cwd: dir, // what V8 writes to its working directory (isolate-*.log with --perf-basic-prof) goes with the dumps
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitFor(async () => (await request(port, '/readyz').catch(() => ({ status: 0 }))).status === 200, 300_000, 500);
    const load = async (amount: number) => {
      const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, amount, timeout: 60, requests: [run.request] });
      if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`${run.label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
    };
    await load(WARMUP);
    const control = (flag: string) => execFileSync('callgrind_control', [flag, String(child.pid)], { env: { ...process.env, ...VGDB_ENV }, stdio: 'ignore' });
    control('-z');
    await load(REQUESTS);
    control('-d');
    if (run.file === BUNDLE || run.file === OTHER_BUNDLE) {
      // Every measured request must have taken the native path: no Redis or Postgres failure, no fallback.
      const metrics = (await request(port, '/metrics')).body;
      const failures = [...metrics.matchAll(/^dependency_errors_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      if (failures > 0) throw new Error(`${run.label}: ${failures} dependency errors under valgrind; the figures would mix in the fallback path`);
    }
    const { total, main, compile } = readDump(`${out}.1`);
    return { eventLoop: (main - compile) / REQUESTS, all: (total - compile) / REQUESTS, compile: compile / REQUESTS };
  } finally {
    child.kill('SIGTERM');
    await exited;
    running.delete(child);
  }
}

/** Runs each of `runs` REPEAT times, PARALLEL at a time, repeat by repeat; the fewest instructions by label. */
async function measureAll(runs: Run[], dir: string): Promise<Map<string, Counts>> {
  const queue = Array.from({ length: REPEAT }, (_, attempt) => runs.map((run) => ({ run, attempt }))).flat();
  const seen = new Map<string, Counts[]>();
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const counts = await measure(next.run, next.attempt, dir);
      console.log(`${next.run.label} (run ${next.attempt + 1}/${REPEAT}): ${counts.eventLoop.toFixed(0)} instructions/request on the event loop, ${counts.all.toFixed(0)} in all threads, ${counts.compile.toFixed(0)} compiling`);
      seen.set(next.run.label, [...(seen.get(next.run.label) ?? []), counts]);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const fewest = new Map<string, Counts>();
  for (const [label, counts] of seen) {
    const best = counts.reduce((a, b) => (b.eventLoop < a.eventLoop ? b : a));
    fewest.set(label, best);
    if (counts.length > 1) console.log(`${label}: fewest ${best.eventLoop.toFixed(0)} of ${counts.map((c) => c.eventLoop.toFixed(0)).join(', ')}`);
  }
  return fewest;
}

async function main(): Promise<void> {
  requireValgrind();
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  const schema = uniqueName('bench');
  const prefix = `${schema}:`;
  const dir = DUMPS_DIR ?? mkdtempSync(join(tmpdir(), 'bench-instructions-'));
  mkdirSync(dir, { recursive: true });
  await migrateSchema(PG_URL, schema);
  const sink = await startOtlpSink();
  try {
    const baselineFile = await buildBaseline(schema);
    const env = { ...serviceEnv(schema, prefix, sink.port), ...SLOW_RUNTIME_TIMEOUTS };
    const baselineEnv = { ...env, REDIS_KEY_PREFIX: `${prefix}baseline:` };

    // The order the GET scenarios read, created (and cached) by a service process outside valgrind.
    const port = await freePort();
    const creator = await startProcess(BUNDLE, env, port);
    const id = await createOrder(port);
    creator.kill('SIGTERM');

    const { cached, uncached, create } = scenarios(id);
    const pair = (s: Scenario): Run[] => [
      { label: `${s.name} | service`, file: BUNDLE, env, request: s.service },
      { label: `${s.name} | baseline`, file: baselineFile, env: baselineEnv, request: s.baseline },
    ];
    // Two more service variants on the cached read say where its extra instructions go.
    const untraced = `${cached.name} | service, sampling 0`;
    const quiet = `${cached.name} | service, ACCESS_LOG=errors`;
    const other = (s: Scenario): Run[] => (OTHER_BUNDLE === undefined ? [] : [{ label: `${s.name} | other build`, file: OTHER_BUNDLE, env, request: s.service }]);
    const runs: Run[] = [
      ...pair(cached),
      ...other(cached),
      { label: untraced, file: BUNDLE, env: { ...env, OTEL_TRACES_SAMPLER_ARG: '0' }, request: cached.service },
      { label: quiet, file: BUNDLE, env: { ...env, ACCESS_LOG: 'errors' }, request: cached.service },
      ...pair(uncached),
      ...other(uncached),
      ...pair(create),
    ];
    // BENCH_ONLY: a regular expression over the labels, e.g. 'GET cached \| (service|baseline|other build)$'.
    const only = process.env['BENCH_ONLY'];
    const results = await measureAll(only === undefined ? runs : runs.filter((r) => new RegExp(only).test(r.label)), dir);

    const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
    console.log('\n--- markdown ---');
    console.log(
      `Node ${process.version}, valgrind callgrind, ${CONNECTIONS} connections, ${WARMUP} warm-up requests then ${REQUESTS} measured per process, ` +
        `optimizing compiles on the main thread and left out, fewest of ${REPEAT} runs per variant, loopback only.\n`,
    );
    console.log('| scenario | service: event loop / all threads | baseline: event loop / all threads | ratio baseline / service: event loop (all threads) |');
    console.log('|---|---|---|---|');
    for (const s of [cached, uncached, create]) {
      const svc = results.get(`${s.name} | service`);
      const base = results.get(`${s.name} | baseline`);
      if (svc === undefined || base === undefined) continue;
      console.log(`| ${s.name} | ${k(svc.eventLoop)} / ${k(svc.all)} | ${k(base.eventLoop)} / ${k(base.all)} | **${(base.eventLoop / svc.eventLoop).toFixed(2)}** (${(base.all / svc.all).toFixed(2)}) |`);
    }
    for (const s of [cached, uncached]) {
      const svc = results.get(`${s.name} | service`);
      const alt = results.get(`${s.name} | other build`);
      if (svc !== undefined && alt !== undefined) {
        console.log(`- ${s.name}, this build against the other (${OTHER_BUNDLE}): ${k(svc.eventLoop)} / ${k(alt.eventLoop)} = ${(svc.eventLoop / alt.eventLoop).toFixed(3)} on the event loop, ${(svc.all / alt.all).toFixed(3)} in all threads`);
      }
    }
    const svc = results.get(`${cached.name} | service`);
    const base = results.get(`${cached.name} | baseline`);
    const share = (label: string, what: string) => {
      const other = results.get(label);
      if (svc === undefined || base === undefined || other === undefined) return;
      const loop = svc.eventLoop - other.eventLoop;
      console.log(`- ${what}: ${k(loop)} instructions per cached read on the event loop (${((100 * loop) / base.eventLoop).toFixed(0)}% of the baseline's whole request), ${k(svc.all - other.all)} in all threads`);
    };
    share(untraced, 'tracing 10% of requests (service against the same service with sampling 0)');
    share(quiet, 'the access line (service against the same service with ACCESS_LOG=errors)');
  } finally {
    sink.close();
    await dropSchema(schema);
    await deleteRedisPrefix(REDIS_URL, prefix);
    if (DUMPS_DIR === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`callgrind dumps kept in ${dir}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
