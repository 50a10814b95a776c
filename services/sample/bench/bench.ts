/**
 * npm run bench:service — autocannon on loopback: the bundled service (all middleware on, the OpenTelemetry
 * SDK sampling 10% of traces and exporting them to a local OTLP sink, JSON access logs) side by side with a
 * bare fastify baseline doing the same I/O. Also measures bundle size and start-to-ready. About 6 min in all.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { dropSchema, freePort, migrateSchema, deleteRedisPrefix, PG_URL, REDIS_URL, sleep, uniqueName } from '../test/helpers';
import { BUNDLE, buildBaseline, createOrder, scenarios, serviceEnv, startOtlpSink, startProcess } from './common';

const CONNECTIONS = 50;
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 4);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 6);
/** Processes per side (service, baseline); rounds go through the pairs in turn. See compare(). */
const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 3);
if (!Number.isInteger(INSTANCES) || INSTANCES < 1) throw new Error(`BENCH_INSTANCES must be a whole number >= 1, got "${process.env['BENCH_INSTANCES']}"`);
// Warm-up per scenario and side: under load a process is slower for its first seconds (JIT tiers, heap
// sizing); without a warm-up the bench would measure start-up, not the middleware.
const WARMUP_S = Number(process.env['BENCH_WARMUP_S'] ?? 5);

async function stopProcess(p: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  await exited;
}

/**
 * CPU time of a process (all threads, user + system) in ms, from /proc (Linux; clock ticks of 10 ms);
 * undefined elsewhere. CPU per request is steadier than req/s on a shared machine: it does not depend on
 * how much of the 2 cores the load generator and Redis leave to the server in a given round.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Figures {
  rps: number;
  /** Server CPU time per request in µs (NaN without /proc). */
  cpuUs: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(server: Server, request: autocannon.Request, duration: number): Promise<Figures> {
  const before = cpuMs(server.pid);
  const result = await autocannon({ url: `http://127.0.0.1:${server.port}`, connections: CONNECTIONS, duration, requests: [request] });
  const after = cpuMs(server.pid);
  const cpuUs = before === undefined || after === undefined ? Number.NaN : ((after - before) * 1000) / result.requests.total;
  return { rps: result.requests.average, cpuUs, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

interface Server {
  readonly port: number;
  readonly pid: number | undefined;
}

/** A started server process of either side. */
type Instance = Server & { readonly process: ChildProcess };

/** Median; the mean of the two middle values for an even count (an upper-middle pick would favour the larger). */
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Service and baseline alternate in short rounds so that outside noise (other work on this shared
 * 2-core machine) hits both alike; figures are medians over the rounds, the ratio the median of the
 * per-round ratios.
 *
 * Each side runs as several independently started processes, one pair per round in turn: identical
 * processes of the same bundle can differ in CPU per request for their whole life (memory layout and CPU
 * placement), so a single pair would make the ratio a draw of that luck.
 */
async function compare(services: Server[], svcReq: autocannon.Request, baselines: Server[], baseReq: autocannon.Request) {
  for (const server of services) await load(server, svcReq, WARMUP_S);
  for (const server of baselines) await load(server, baseReq, WARMUP_S);
  const svc: Figures[] = [];
  const base: Figures[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const pair = r % services.length;
    // Which side goes first alternates too, so neither always follows the other's load.
    if (r % 2 === 0) {
      svc.push(await load(services[pair]!, svcReq, DURATION_S));
      base.push(await load(baselines[pair]!, baseReq, DURATION_S));
    } else {
      base.push(await load(baselines[pair]!, baseReq, DURATION_S));
      svc.push(await load(services[pair]!, svcReq, DURATION_S));
    }
  }
  const summary = (xs: Figures[]): Figures => ({
    rps: median(xs.map((x) => x.rps)),
    cpuUs: median(xs.map((x) => x.cpuUs)),
    p50: median(xs.map((x) => x.p50)),
    p99: median(xs.map((x) => x.p99)),
    non2xx: xs.reduce((a, x) => a + x.non2xx, 0),
    errors: xs.reduce((a, x) => a + x.errors, 0),
  });
  const ratios = svc.map((x, i) => x.rps / base[i]!.rps);
  return { s: summary(svc), b: summary(base), ratio: median(ratios), ratios, cpuRatio: median(svc.map((x, i) => base[i]!.cpuUs / x.cpuUs)) };
}

/** Bytes of the files under a directory. */
function treeBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).reduce((sum, e) => (e.isFile() ? sum + statSync(join(e.parentPath, e.name)).size : sum), 0);
}

async function startToReady(env: Record<string, string>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const port = await freePort();
    const t0 = performance.now();
    const p = await startProcess(BUNDLE, env, port);
    times.push(performance.now() - t0);
    await stopProcess(p);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const schema = uniqueName('bench');
  const prefix = `${schema}:`;
  await migrateSchema(PG_URL, schema);
  const sink = await startOtlpSink();
  const baselineFile = await buildBaseline(schema);
  const env = serviceEnv(schema, prefix, sink.port);
  Object.assign(env, JSON.parse(process.env['BENCH_SERVICE_ENV'] ?? '{}')); // extra service settings while tuning
  const ready = await startToReady(env);
  const startAll = async (file: string, processEnv: Record<string, string>): Promise<Instance[]> => {
    const started: Instance[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const port = await freePort();
      const p = await startProcess(file, processEnv, port);
      started.push({ port, pid: p.pid, process: p });
    }
    return started;
  };
  const services = await startAll(BUNDLE, env);
  const baselines = await startAll(baselineFile, { ...env, REDIS_KEY_PREFIX: `${prefix}baseline:` });
  const servicePort = services[0]!.port;

  const id = await createOrder(servicePort);

  const { cached, uncached, create } = scenarios(id);
  // Further instances, identical but logging only errors and slow requests (ACCESS_LOG=errors), show
  // what the per-request access line costs; the headline rows keep every request logged. Started only
  // for their scenario.
  const quiet = () => startAll(BUNDLE, { ...env, ACCESS_LOG: 'errors' });
  const headline = async () => services;
  const runs: [string, () => Promise<Instance[]>, autocannon.Request, autocannon.Request][] = [
    [cached.name, headline, cached.service, cached.baseline],
    [uncached.name, headline, uncached.service, uncached.baseline],
    [create.name, headline, create.service, create.baseline],
    ['GET cached, ACCESS_LOG=errors (info only)', quiet, cached.service, cached.baseline],
  ];
  const rows: string[] = [];
  const only = process.env['BENCH_ONLY']; // e.g. BENCH_ONLY=POST to run one scenario while tuning
  for (const [name, servers, svcReq, baseReq] of runs.filter(([n]) => only === undefined || n.includes(only))) {
    const instances = await servers();
    const { s, b, ratio, ratios, cpuRatio } = await compare(instances, svcReq, baselines, baseReq);
    if (instances !== services) for (const i of instances) await stopProcess(i.process);
    const perRound = ratios.map((r) => r.toFixed(2)).join(', ');
    console.log(
      `${name}: service ${s.rps.toFixed(0)} req/s p50 ${s.p50} ms p99 ${s.p99} ms ${s.cpuUs.toFixed(1)} µs CPU/req | baseline ${b.rps.toFixed(0)} req/s p50 ${b.p50} ms p99 ${b.p99} ms ${b.cpuUs.toFixed(1)} µs CPU/req | ratio ${ratio.toFixed(2)} (rounds ${perRound}), CPU ratio ${cpuRatio.toFixed(2)} | non-2xx ${s.non2xx}/${b.non2xx} errors ${s.errors}/${b.errors}`,
    );
    rows.push(`| ${name} | ${s.rps.toFixed(0)} | ${s.p50} / ${s.p99} | ${b.rps.toFixed(0)} | ${b.p50} / ${b.p99} | **${ratio.toFixed(2)}** (${perRound}) | ${s.cpuUs.toFixed(1)} / ${b.cpuUs.toFixed(1)} = ${cpuRatio.toFixed(2)} | ${s.non2xx + s.errors} / ${b.non2xx + b.errors} |`);
  }
  for (const i of [...services, ...baselines]) await stopProcess(i.process);
  sink.close();
  await sleep(50);
  await dropSchema(schema);
  await deleteRedisPrefix(REDIS_URL, prefix);

  const bundleKiB = statSync(BUNDLE).size / 1024;
  const modulesKiB = treeBytes(join(BUNDLE, '..', 'node_modules')) / 1024;
  const readyMedian = median(ready);
  console.log('\n--- markdown ---');
  console.log(`Node ${process.version}, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up then ${ROUNDS} alternating rounds of ${DURATION_S} s per side over ${INSTANCES} process pairs (medians), autocannon 9.0.0, loopback only.\n`);
  console.log('| scenario | service req/s | service p50 / p99 ms | baseline req/s | baseline p50 / p99 ms | ratio (per round) | CPU µs/req svc / base = ratio | non-2xx+errors (svc / base) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\n- bundle: dist/server.js ${bundleKiB.toFixed(0)} KiB (${(bundleKiB / 1024).toFixed(2)} MiB), minified, every dependency inlined but pg and ioredis, which ship beside it in dist/node_modules (${modulesKiB.toFixed(0)} KiB with their dependencies)`);
  console.log(`- start to ready (spawn -> /readyz 200, 5 runs): median ${readyMedian.toFixed(0)} ms, min ${ready[0]!.toFixed(0)} ms, max ${ready[ready.length - 1]!.toFixed(0)} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
