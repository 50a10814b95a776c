/**
 * npm run bench:profile -- <callgrind dump> [--top 60] [--by function|module] [--requests 10000]
 *
 * Where a counted request's instructions go, by name: the self instructions per request of each JavaScript
 * function (named through the bundle's source map: file, line and name in src/ or node_modules/), each V8
 * builtin and each native function, from one dump of `npm run bench:service:instructions`. Made with:
 *
 *   BENCH_DUMPS_DIR=/tmp/dumps BENCH_VALGRIND_FLAGS=--dump-instr=yes BENCH_NODE_FLAGS=--perf-basic-prof \
 *   BENCH_REPEAT=1 BENCH_ONLY='GET cached \| (service|baseline)$' npm run bench:service:instructions
 *
 * Why this way: V8's JIT code has no symbols, so callgrind cannot name it and by default adds its cost to
 * whichever native frame it last saw. With --dump-instr=yes the dump keeps a cost per instruction address,
 * and --perf-basic-prof makes V8 write every code object's address range and name to /tmp/perf-<pid>.map;
 * an address found there is JavaScript (or a builtin or regexp), any other belongs to the native function
 * callgrind names. Costs are self costs: a builtin called from a JavaScript function (an inline cache miss,
 * a string concatenation) is listed as the builtin. Optimizing compiles are in the dump too (v8::internal::
 * compiler::*); bench:instructions leaves them out of its count. Both bundles have source maps (the
 * baseline's is written beside it, not linked), so profile a dump before the next build: a dump is named
 * through the map of the bundle as it is now.
 */
import { readFileSync } from 'node:fs';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';

interface CodeRange {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

/** V8's perf map of the profiled process: code ranges by start address (later code may reuse an address). */
function readPerfMap(pid: string): CodeRange[] {
  const file = `/tmp/perf-${pid}.map`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run the counted process with BENCH_NODE_FLAGS=--perf-basic-prof, on this machine`);
  }
  const ranges: CodeRange[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (match !== null) ranges.push({ start: parseInt(match[1]!, 16), end: parseInt(match[1]!, 16) + parseInt(match[2]!, 16), name: match[3]! });
  }
  return ranges.sort((a, b) => a.start - b.start);
}

/** The JIT code object holding `address`: the last-started range that contains it, if any. */
function codeAt(ranges: CodeRange[], address: number): string | undefined {
  let low = 0;
  let high = ranges.length - 1;
  let at = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (ranges[mid]!.start <= address) {
      at = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  for (let i = at; i >= 0 && i > at - 64; i--) if (address < ranges[i]!.end) return ranges[i]!.name;
  return undefined;
}

/** Self instructions by name (JIT code by its perf-map name, the rest by callgrind's function name). */
function selfCosts(dump: string): { pid: string; costs: Map<string, number> } {
  const text = readFileSync(dump, 'utf8');
  const pid = /^pid: (\d+)$/m.exec(text)?.[1];
  if (pid === undefined) throw new Error(`${dump}: not a callgrind dump (no pid line)`);
  if (!/^positions: instr/m.test(text)) throw new Error(`${dump}: no costs per instruction; count with BENCH_VALGRIND_FLAGS=--dump-instr=yes`);
  const ranges = readPerfMap(pid);
  const names = new Map<string, string>(); // callgrind's name compression: "(12) name" once, "(12)" after
  const byAddress = new Map<number, string>();
  const costs = new Map<string, number>();
  let fn = '?';
  let address = 0;
  let callCost = false;
  for (const line of text.split('\n')) {
    const first = line.charCodeAt(0);
    if ((first >= 48 && first <= 57) || line[0] === '+' || line[0] === '-' || line[0] === '*') {
      const [position, , cost] = line.split(' ');
      if (position === '*') {
        // same address
      } else if (position![0] === '+') address += Number(position!.slice(1));
      else if (position![0] === '-') address -= Number(position!.slice(1));
      else address = Number(position);
      if (callCost) {
        callCost = false; // the inclusive cost of a call: counted where it was spent
        continue;
      }
      let name = byAddress.get(address);
      if (name === undefined) byAddress.set(address, (name = codeAt(ranges, address) ?? fn));
      costs.set(name, (costs.get(name) ?? 0) + Number(cost ?? 0));
    } else if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      const match = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
      const name = match === null ? line.slice(line.indexOf('=') + 1) : match[2] !== undefined ? (names.set(match[1]!, match[2]), match[2]) : (names.get(match[1]!) ?? '?');
      if (line[0] === 'f') fn = name;
    } else if (line.startsWith('calls=')) callCost = true;
  }
  return { pid, costs };
}

/** "JS:*name /path/bundle.js:line:col" named through the bundle's source map, when it has one. */
function namer(by: 'function' | 'module'): (name: string) => string {
  const maps = new Map<string, TraceMap | null>();
  return (name) => {
    const js = /^JS:[*~^]?(\S*) (.+):(\d+):(\d+)$/.exec(name);
    if (js === null) {
      if (by === 'function' || /^Builtin:|^RegExp:/.test(name)) return name;
      if (/Scaveng|Heap|Marking|Sweep|Evacuat|Pretenur|heap::|MemoryChunk|ActiveSystemPages/.test(name)) return 'GC';
      if (/compiler::|Compile|Zone/.test(name)) return 'optimizing compiler';
      return 'native (Node, V8, libc)';
    }
    const [, fnName, file, line, column] = js;
    if (file!.startsWith('node:')) return by === 'module' ? `JS ${file}` : `JS ${fnName} ${file}`;
    let map = maps.get(file!);
    if (map === undefined) {
      try {
        map = new TraceMap(readFileSync(`${file}.map`, 'utf8'));
      } catch {
        map = null;
      }
      maps.set(file!, map);
    }
    if (map === null) return by === 'module' ? `JS ${file}` : `JS ${fnName} ${file}`;
    const at = originalPositionFor(map, { line: Number(line), column: Number(column) - 1 });
    const source = (at.source ?? '?').replace(/^.*node_modules\//, 'node_modules/').replace(/^(\.\.\/)+/, '');
    return by === 'module' ? `JS ${source.replace(/\/[^/]*$/, '')}` : `JS ${source}:${at.line ?? '?'} ${at.name ?? fnName}`;
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (flag: string, fallback: string): string => {
    const at = args.indexOf(flag);
    if (at === -1) return fallback;
    const value = args[at + 1];
    args.splice(at, 2);
    if (value === undefined) throw new Error(`${flag} needs a value`);
    return value;
  };
  const top = Number(option('--top', '60'));
  const requests = Number(option('--requests', process.env['BENCH_REQUESTS'] ?? '10000'));
  const by = option('--by', 'function');
  if (by !== 'function' && by !== 'module') throw new Error(`--by ${by}: give function or module`);
  if (!Number.isInteger(top) || top < 1 || !Number.isInteger(requests) || requests < 1) throw new Error('--top and --requests must be whole numbers >= 1');
  const dump = args[0];
  if (dump === undefined || args.length !== 1) throw new Error('usage: npm run bench:profile -- <callgrind dump> [--top 60] [--by function|module] [--requests 10000]');

  const { pid, costs } = selfCosts(dump);
  const name = namer(by);
  const named = new Map<string, number>();
  let total = 0;
  for (const [key, cost] of costs) {
    const label = name(key);
    named.set(label, (named.get(label) ?? 0) + cost);
    total += cost;
  }
  console.log(`${dump} (pid ${pid}): ${(total / requests).toFixed(0)} instructions per request, all threads, compiles included; self instructions per request:`);
  for (const [label, cost] of [...named].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(cost / requests).toFixed(0).padStart(8)}  ${label}`);
}

main();
