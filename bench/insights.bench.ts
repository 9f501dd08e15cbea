/**
 * Insights at scale on the 1 GB / 100,000-trace benchmark JSONL (`bigJsonl.ts`): loop detection and
 * behaviour clustering throughput, measured in the same run against the peer every JSONL tool pays
 * for, `JSON.parse` of every line (same line reader for all contenders, page cache warm). Then the
 * production path, `collectInsights` (indexJsonl + readers + stats + loops + behaviours in one pass),
 * against the goal: 100,000 traces in ≤ 60 s, with its peak memory. One thread.
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { BehaviourMiner } from '../src/core/insights/behaviours';
import { detectLoops } from '../src/core/insights/loops';
import { collectInsights } from '../src/core/insights/scan';
import { segment } from '../src/core/steps';
import { parseTraceRecord } from '../src/core/trace';
import { ensureBenchJsonl } from './bigJsonl';

/** Calls `visit` with every non-blank line of `file` (16 MB reads; a line may span reads). */
function forEachLine(file: string, visit: (line: string) => void): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 * 1024 * 1024);
  let carry: Buffer | undefined;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let start = 0;
      for (let nl = buf.indexOf(10, 0); nl >= 0 && nl < n; nl = buf.indexOf(10, start)) {
        const line = carry ? Buffer.concat([carry, buf.subarray(start, nl)]).toString('utf8') : buf.toString('utf8', start, nl);
        carry = undefined;
        if (line.trim()) visit(line);
        start = nl + 1;
      }
      if (start < n) carry = carry ? Buffer.concat([carry, buf.subarray(start, n)]) : Buffer.from(buf.subarray(start, n));
    }
    if (carry?.length) visit(carry.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const rate = (count: number, ms: number): string => `${Math.round(count / (ms / 1000)).toLocaleString('en-US')}/s`;
const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(0)} MB`;

/** Wall and CPU time (user + system) of this process since `start()`. */
function stopwatch(): () => { wall: number; cpu: number } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(cpu);
    return { wall: performance.now() - wall, cpu: (c.user + c.system) / 1000 };
  };
}

/** CPU time of one call, for the parts timed inside a pass. */
function cpuOf(f: () => void): number {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
}

async function bench(): Promise<void> {
  const file = await ensureBenchJsonl();
  const size = statSync(file).size;
  forEachLine(file, () => undefined); // warm the page cache for every contender alike

  // Peer: JSON.parse of every line.
  let stop = stopwatch();
  let records = 0;
  forEachLine(file, (line) => {
    JSON.parse(line);
    records++;
  });
  const parse = stop();

  // Loop detection: the same lines → traces → paragraph steps → loops.
  let loopCpu = 0;
  let reasoningChars = 0;
  let traces = 0;
  let looping = 0;
  let wasted = 0;
  let steps = 0;
  stop = stopwatch();
  forEachLine(file, (line) => {
    for (const trace of parseTraceRecord(JSON.parse(line)).traces) {
      const s = segment(trace.reasoning);
      let report: ReturnType<typeof detectLoops> | undefined;
      loopCpu += cpuOf(() => {
        report = detectLoops(trace.reasoning, { steps: s });
      });
      traces++;
      steps += s.length;
      reasoningChars += trace.reasoning.length;
      if (report!.loops.length) looping++;
      wasted += report!.wastedTokens;
    }
  });
  const loops = stop();

  // Behaviour clustering: the same lines → traces → steps → MinHash/LSH clusters.
  let mineCpu = 0;
  const miner = new BehaviourMiner();
  stop = stopwatch();
  forEachLine(file, (line) => {
    const res = parseTraceRecord(JSON.parse(line));
    res.traces.forEach((trace, k) => {
      const s = segment(trace.reasoning);
      mineCpu += cpuOf(() => miner.addTrace({ file: 0, record: miner.traces, trace: k, id: trace.id }, s));
    });
  });
  const mine = stop();
  const mined = miner.result(5);

  // Production path: one pass with stats, loops and behaviours; peak memory sampled as it goes.
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  stop = stopwatch();
  const insights = await collectInsights(file, {
    behaviours: true,
    onProgress: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  const full = stop();
  peak = Math.max(peak, process.memoryUsage().rss);

  const n = (x: number): string => x.toLocaleString('en-US');
  console.log(`file                      ${(size / 1e9).toFixed(2)} GB, ${n(records)} records, ${n(traces)} traces, ${n(steps)} steps, ${(reasoningChars / 1e6).toFixed(0)} M reasoning characters`);
  console.log(`                          one thread; ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end (CPU time is the figure that other work on the machine disturbs least)`);
  console.log(`JSON.parse every line     wall ${seconds(parse.wall)}, CPU ${seconds(parse.cpu)}  (${rate(records, parse.cpu)} by CPU)  ← peer`);
  console.log(`loop detection alone      CPU ${seconds(loopCpu)}  (${rate(traces, loopCpu)}, ${(reasoningChars / 1e6 / (loopCpu / 1000)).toFixed(0)} M characters/s)  ratio to JSON.parse ${(loopCpu / parse.cpu).toFixed(2)}x`);
  console.log(`  parse+segment+loops     wall ${seconds(loops.wall)}, CPU ${seconds(loops.cpu)}  ratio ${(loops.cpu / parse.cpu).toFixed(2)}x; ${n(looping)} traces with loops, ${n(wasted)} tokens of repeats`);
  console.log(`clustering alone          CPU ${seconds(mineCpu)}  (${rate(traces, mineCpu)}, ${rate(steps, mineCpu).replace('/s', ' steps/s')})  ratio to JSON.parse ${(mineCpu / parse.cpu).toFixed(2)}x`);
  console.log(`  parse+segment+cluster   wall ${seconds(mine.wall)}, CPU ${seconds(mine.cpu)}  ratio ${(mine.cpu / parse.cpu).toFixed(2)}x; ${n(mined.clusters)} live clusters, ${n(mined.evicted)} evicted`);
  console.log(`collectInsights (all)     wall ${seconds(full.wall)}, CPU ${seconds(full.cpu)}  (${rate(insights.stats.traces, full.wall)} wall)  goal ≤ 60 s for 100,000 traces: ${full.wall <= 60_000 ? 'met' : full.cpu <= 60_000 ? 'met in CPU time, not in wall time (machine busy)' : 'NOT met'}`);
  console.log(`  peak RSS                ${mb(peak)} (start ${mb(base)}, +${mb(peak - base)})`);
  if (insights.stats.traces !== traces) throw new Error(`collectInsights saw ${insights.stats.traces} traces, the line reader ${traces}`);
}

bench().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
