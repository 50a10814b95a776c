/**
 * npm run bench:instructions — what a request costs, counted rather than timed: machine instructions
 * executed per request by the bundled service (all middleware on, 10% of traces sampled and exported,
 * one access line per request) and by the bare fastify baseline, each under valgrind's callgrind.
 *
 * Why a second benchmark: on this shared 2-core machine, requests/s and CPU time per request move by
 * ±30% between rounds and by up to 25% between identical processes (see docs/benchmarks.md), so a
 * 5% change is invisible in bench:service. Instruction counts repeat to about ±5% (see CONNECTIONS)
 * and split the cost between middleware pieces; they do not see cache misses or the CPU's speed, so
 * they complement the timed bench rather than replace it.
 *
 * Method: each side runs alone under callgrind; WARMUP requests bring V8's tiers to steady state (tier-up
 * is driven by call counts, so valgrind's slowness does not change it), then the counters are zeroed,
 * REQUESTS requests are measured and the counters dumped. "Event loop" is the main thread (what bounds a
 * single Node process's throughput); "all threads" adds GC helpers and the background JIT compiler.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { deleteRedisPrefix, dropSchema, freePort, migrateSchema, PG_URL, REDIS_URL, uniqueName, waitFor } from '../test/helpers';
import { BUNDLE, buildBaseline, createOrder, request, scenarios, serviceEnv, startOtlpSink, startProcess, type Scenario } from './common';

/**
 * The timed bench's 50 connections: the operating point of the goal. Requests that share an event-loop
 * turn share its fixed costs, and how many do depends on timing, so counts at 50 connections repeat to
 * about ±5% (at BENCH_CONNECTIONS=1 each request pays them alone: higher counts, ratios nearer 1).
 */
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const WARMUP = Number(process.env['BENCH_WARMUP_REQUESTS'] ?? 20_000);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 4_000);
/** Runs under valgrind at once (each is single-threaded under valgrind): one per core. */
const PARALLEL = Number(process.env['BENCH_PARALLEL'] ?? 2);
for (const [name, value] of Object.entries({ BENCH_CONNECTIONS: CONNECTIONS, BENCH_WARMUP_REQUESTS: WARMUP, BENCH_REQUESTS: REQUESTS, BENCH_PARALLEL: PARALLEL })) {
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
  /** Instructions per request on the main thread (the event loop). */
  readonly eventLoop: number;
  /** Instructions per request, all threads. */
  readonly all: number;
}

/** PROGRAM TOTALS and the main thread's inclusive cost (node::Start) from a callgrind dump. */
function readDump(file: string): { total: number; main: number } {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const count = (pattern: RegExp): number => {
    const match = pattern.exec(text);
    if (match === null) throw new Error(`callgrind_annotate output of ${file} has no line matching ${pattern}`);
    return Number(match[1]!.replace(/,/g, ''));
  };
  return { total: count(/^\s*([\d,]+)\s.*PROGRAM TOTALS/m), main: count(/^\s*([\d,]+)\s.*node::Start\(int, char\*\*\)/m) };
}

async function measure(run: Run, dir: string): Promise<Counts> {
  const port = await freePort();
  const out = join(dir, run.label.replace(/[^a-z0-9]+/gi, '-'));
  const child: ChildProcess = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, run.file], {
    env: { PATH: process.env['PATH'] ?? '', ...run.env, ...VGDB_ENV, PORT: String(port) },
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
    if (run.file === BUNDLE) {
      // Every measured request must have taken the native path: no Redis or Postgres failure, no fallback.
      const metrics = (await request(port, '/metrics')).body;
      const failures = [...metrics.matchAll(/^dependency_errors_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      if (failures > 0) throw new Error(`${run.label}: ${failures} dependency errors under valgrind; the figures would mix in the fallback path`);
    }
    const { total, main } = readDump(`${out}.1`);
    return { eventLoop: main / REQUESTS, all: total / REQUESTS };
  } finally {
    child.kill('SIGTERM');
    await exited;
    running.delete(child);
  }
}

/** Runs `runs`, PARALLEL at a time; results by label (they finish out of order). */
async function measureAll(runs: Run[], dir: string): Promise<Map<string, Counts>> {
  const results = new Map<string, Counts>();
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const run = runs[next++]!;
      const counts = await measure(run, dir);
      console.log(`${run.label}: ${counts.eventLoop.toFixed(0)} instructions/request on the event loop, ${counts.all.toFixed(0)} in all threads`);
      results.set(run.label, counts);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return results;
}

async function main(): Promise<void> {
  requireValgrind();
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  const schema = uniqueName('bench');
  const prefix = `${schema}:`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-instructions-'));
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
    const runs: Run[] = [
      ...pair(cached),
      { label: untraced, file: BUNDLE, env: { ...env, OTEL_TRACES_SAMPLER_ARG: '0' }, request: cached.service },
      { label: quiet, file: BUNDLE, env: { ...env, ACCESS_LOG: 'errors' }, request: cached.service },
      ...pair(uncached),
      ...pair(create),
    ];
    const only = process.env['BENCH_ONLY'];
    const results = await measureAll(only === undefined ? runs : runs.filter((r) => r.label.includes(only)), dir);

    const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
    console.log('\n--- markdown ---');
    console.log(`Node ${process.version}, valgrind callgrind, ${CONNECTIONS} connections, ${WARMUP} warm-up requests then ${REQUESTS} measured per process, loopback only.\n`);
    console.log('| scenario | service: event loop / all threads | baseline: event loop / all threads | ratio baseline / service: event loop (all threads) |');
    console.log('|---|---|---|---|');
    for (const s of [cached, uncached, create]) {
      const svc = results.get(`${s.name} | service`);
      const base = results.get(`${s.name} | baseline`);
      if (svc === undefined || base === undefined) continue;
      console.log(`| ${s.name} | ${k(svc.eventLoop)} / ${k(svc.all)} | ${k(base.eventLoop)} / ${k(base.all)} | **${(base.eventLoop / svc.eventLoop).toFixed(2)}** (${(base.all / svc.all).toFixed(2)}) |`);
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
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
