/**
 * `npm run bench -- fuzz`: every parser that reads untrusted input gets ≥ 100,000 generated and
 * mutated inputs seeded from the real files in ../shared/data (see fuzzHarness.ts), each parser in
 * its own worker thread under a watchdog (an input stuck for 10 s is a hang: the worker is replaced
 * and the campaign goes on after it). Prints one line per parser, then
 * `fuzz: N inputs, N crashes, N hangs > 1 s`; failing inputs are saved under test-results/fuzz/ by
 * parser and index (input i of a parser is the same on every run). Exit 1 when anything failed.
 *
 * RL_FUZZ_INPUTS=N changes the count per parser; RL_FUZZ_ONLY=name runs one parser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fuzzTargets, loadCorpus, runCampaign, type FuzzReport } from './fuzzHarness';

const root = process.env.RL_REPO_ROOT ?? process.cwd();
const DATA = join(root, '..', 'shared', 'data');
const PER_PARSER = Number(process.env.RL_FUZZ_INPUTS ?? 100_000);
const WATCHDOG_MS = 10_000;

interface Job {
  readonly target: string;
  readonly from: number;
  readonly to: number;
  readonly progress: SharedArrayBuffer;
}

if (!isMainThread) {
  // Worker: run one slice of one parser's campaign, publishing the index being run.
  const job = workerData as Job;
  const current = new Int32Array(job.progress);
  const targets = fuzzTargets(loadCorpus(DATA));
  const target = targets.find((t) => t.name === job.target)!;
  void runCampaign(target, job.from, job.to, (i) => Atomics.store(current, 0, i)).then((report) => {
    for (const t of targets) t.dispose?.();
    parentPort!.postMessage(report);
  });
} else {
  void main();
}

/** Runs `[from, to)` of a parser in a worker; resolves with its report, or with the index that hung. */
function runSlice(target: string, from: number, to: number): Promise<{ report?: FuzzReport; stuckAt?: number }> {
  const progress = new SharedArrayBuffer(4);
  const current = new Int32Array(progress);
  Atomics.store(current, 0, from);
  const worker = new Worker(__filename, { workerData: { target, from, to, progress } satisfies Job });
  return new Promise((resolve, reject) => {
    let seen = from;
    let since = Date.now();
    const timer = setInterval(() => {
      const now = Atomics.load(current, 0);
      if (now !== seen) {
        seen = now;
        since = Date.now();
      } else if (Date.now() - since > WATCHDOG_MS) {
        clearInterval(timer);
        void worker.terminate();
        resolve({ stuckAt: now });
      }
    }, 250);
    worker.once('message', (report: FuzzReport) => {
      clearInterval(timer);
      void worker.terminate();
      resolve({ report });
    });
    worker.once('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

async function main(): Promise<void> {
  const corpus = loadCorpus(DATA);
  const targets = fuzzTargets(corpus).filter((t) => !process.env.RL_FUZZ_ONLY || t.name.includes(process.env.RL_FUZZ_ONLY));
  console.log(`seeds: ${corpus.all.length} real files and JSONL lines from ${DATA} (${corpus.json.length} JSON, ${corpus.thoughtAnchors.length} Thought-Anchors folders); ${PER_PARSER.toLocaleString('en-US')} inputs per parser`);
  const failures = join(root, 'test-results', 'fuzz');
  let inputs = 0;
  let crashes = 0;
  let hangs = 0;
  for (const target of targets) {
    const started = Date.now();
    const total: FuzzReport = { target: target.name, inputs: 0, crashes: [], hangs: [], slowest: { index: -1, ms: 0 } };
    for (let from = 0; from < PER_PARSER; ) {
      const { report, stuckAt } = await runSlice(target.name, from, PER_PARSER);
      if (report) {
        total.inputs += report.inputs;
        total.crashes.push(...report.crashes);
        total.hangs.push(...report.hangs);
        if (report.slowest.ms > total.slowest.ms) total.slowest = report.slowest;
        break;
      }
      // Stuck: count the input as run and hung, go on after it in a fresh worker.
      total.inputs += stuckAt! - from + 1;
      total.hangs.push({ index: stuckAt!, ms: WATCHDOG_MS });
      from = stuckAt! + 1;
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `${target.name.padEnd(20)} ${total.inputs.toLocaleString('en-US').padStart(9)} inputs  ${total.crashes.length} crashes  ${total.hangs.length} hangs > 1 s  ` +
        `${seconds.toFixed(1)} s (${Math.round(total.inputs / seconds).toLocaleString('en-US')}/s), slowest input #${total.slowest.index} ${total.slowest.ms.toFixed(0)} ms`,
    );
    for (const f of [...total.crashes.map((c) => ({ index: c.index, why: c.error })), ...total.hangs.map((h) => ({ index: h.index, why: `${h.ms.toFixed(0)} ms` }))].slice(0, 20)) {
      mkdirSync(failures, { recursive: true });
      const file = join(failures, `${target.name.replace(/\W+/g, '-')}-${f.index}.txt`);
      writeFileSync(file, target.describe(f.index));
      console.log(`  input #${f.index}: ${f.why.slice(0, 300)} (saved to ${file})`);
    }
    inputs += total.inputs;
    crashes += total.crashes.length;
    hangs += total.hangs.length;
  }
  for (const t of targets) t.dispose?.();
  console.log(`fuzz: ${inputs} inputs, ${crashes} crashes, ${hangs} hangs > 1 s`);
  process.exitCode = crashes || hangs ? 1 : 0;
}
