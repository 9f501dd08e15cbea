/**
 * Bounded memory of the CLI on big inputs (issue 11): peak RSS of `inspect --json`, `score` (the file's
 * logprobs) and `prune` on a 1 GB JSONL, each ≤ 256 MB; and scoring a 100,000-token trace with the
 * embedded model ≤ 600 MB with time linear in the length (a 25,000-token trace is timed beside it).
 *
 * Every command runs as a user runs it: the built CLI in its own process, stdout drained through a pipe.
 * Peak RSS is the largest sum over the command's process tree (the CLI and the model process it forks)
 * of VmRSS, sampled every 50 ms from /proc, and each process's own VmHWM; not `ru_maxrss` (Linux
 * carries it across exec). The peer, measured in the same run on the same file, is the least any Node
 * program that reads such a file must hold: a readline loop that `JSON.parse`s every line and drops it.
 *
 * Data: a ~1 GB JSONL of OpenAI chat completions with token logprobs (pruneFixture.ts: 26,000 records of
 * ~300 tokens with top-2 candidates), generated under the temp folder once; the long trace from the real
 * R1 reasoning in ../shared/data (Codeforces R1 responses and Thought-Anchors chains of thought),
 * repeated until it has as many tokens of the embedded model's tokenizer as asked.
 *
 * Run: npm run bench -- memory   (RL_BENCH_MEMORY_TOKENS=100000 sets the long trace's length)
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonlChunks } from './pruneFixture';
import { buildCli } from './cliBuild';
import { TextTokenizer } from '../src/model/onnx/textTokenizer';

const repo = process.env.RL_REPO_ROOT ?? process.cwd();
const dir = join(tmpdir(), 'rl-bench-memory');
const CHAT_RECORDS = 26_000;
const LONG_TOKENS = Number(process.env.RL_BENCH_MEMORY_TOKENS ?? 100_000);
const DATASET_LIMIT_MB = 256;
const LONG_LIMIT_MB = 600;

async function chatDataset(): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `chat-${CHAT_RECORDS}x300.jsonl`);
  if (existsSync(path) && statSync(path).size > 0.95e9) return path;
  const tmp = `${path}.${process.pid}.partial`;
  const out = createWriteStream(tmp);
  for (const chunk of jsonlChunks(CHAT_RECORDS, 300)) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  renameSync(tmp, path);
  return path;
}

/** The real R1 reasoning of ../shared/data, without think tags. */
function realReasoning(): string[] {
  const data = join(repo, '..', 'shared', 'data');
  const texts: string[] = [];
  const cf = join(data, 'codeforces-r1', 'prompt-response');
  for (const name of existsSync(cf) ? readdirSync(cf).sort() : []) {
    const p = join(cf, name, 'response.md');
    if (existsSync(p)) texts.push(readFileSync(p, 'utf8'));
  }
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'base_solution.json') {
        const v = JSON.parse(readFileSync(p, 'utf8')) as { full_cot?: unknown };
        if (typeof v.full_cot === 'string') texts.push(v.full_cot);
      }
    }
  };
  const ta = join(data, 'thought-anchors');
  if (existsSync(ta)) walk(ta);
  return texts.map((t) => t.replace(/<\/?think>/g, '').trim()).filter(Boolean);
}

/** A `<think>` trace whose reasoning is exactly `tokens` tokens of the embedded model's tokenizer. */
function longTrace(tokens: number, tokenizer: TextTokenizer, pieces: readonly string[]): string {
  const path = join(dir, `long-${tokens}.md`);
  if (existsSync(path)) return path;
  let text = '';
  for (let i = 0; text.length < tokens * 4; i++) text += `${pieces[i % pieces.length]}\n\n`;
  const encoded = tokenizer.encode(text);
  if (encoded.ids.length < tokens) throw new Error(`only ${encoded.ids.length} tokens in ${text.length} characters`);
  writeFileSync(path, `<think>\n${text.slice(0, encoded.ends[tokens - 1])}\n</think>\n\nThe answer is 42.\n`);
  return path;
}

function status(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Measured {
  readonly seconds: number;
  /** Largest sum of VmRSS over the process tree. */
  readonly peakMb: number;
  /** Largest VmHWM of any one process of the tree. */
  readonly largestMb: number;
  readonly processes: number;
  readonly code: number | null;
  readonly stdoutLines: number;
  readonly stderr: string;
}

/** Runs `args` with stdout drained through a pipe, sampling the memory of its process tree. */
async function measure(args: readonly string[]): Promise<Measured> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
  let lines = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
  });
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-20_000)));
  let peak = 0;
  const hwm = new Map<number, number>();
  const sample = (): void => {
    const tree = [child.pid!];
    for (let i = 0; i < tree.length; i++) tree.push(...children(tree[i]!));
    let sum = 0;
    for (const pid of tree) {
      const s = status(pid);
      if (!s) continue;
      sum += s.rss;
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, s.hwm));
    }
    peak = Math.max(peak, sum);
  };
  const timer = setInterval(sample, 50);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(timer);
  return { seconds: (performance.now() - started) / 1000, peakMb: peak, largestMb: Math.max(0, ...hwm.values()), processes: hwm.size, code, stdoutLines: lines, stderr };
}

const mb = (x: number): string => `${Math.round(x).toLocaleString('en-US')} MB`;

async function main(): Promise<void> {
  const cli = await buildCli(repo, 'bench-memory-cli');
  const data = await chatDataset();
  const gb = statSync(data).size / 1e9;
  console.log(`dataset: ${data} (${gb.toFixed(2)} GB, ${CHAT_RECORDS.toLocaleString('en-US')} chat completions with token logprobs); ${cpus().length} cores; load average ${loadavg()[0]!.toFixed(2)}`);

  const peerScript = `const rl=require('readline').createInterface({input:require('fs').createReadStream(${JSON.stringify(data)},{highWaterMark:1<<20}),crlfDelay:Infinity});let n=0;rl.on('line',l=>{if(l.trim()){JSON.parse(l);n++}});rl.on('close',()=>console.log(n));`;
  const peer = await measure(['-e', peerScript]);
  const out = join(dir, 'out.jsonl');
  const clean = (): void => {
    rmSync(out, { force: true });
    rmSync(`${out}.progress.json`, { force: true });
  };
  const runs: [string, readonly string[], (m: Measured) => string | undefined][] = [
    ['inspect --json', ['inspect', '--json', data], (m) => (m.stdoutLines === CHAT_RECORDS ? undefined : `${m.stdoutLines} lines`)],
    ['score --json (file logprobs, to stdout)', ['score', '--json', data], (m) => (m.stdoutLines === CHAT_RECORDS ? undefined : `${m.stdoutLines} lines`)],
    ['score -o (file logprobs, worker threads)', ['score', data, '-o', out], () => undefined],
    ['prune --method asap -o (worker threads)', ['prune', data, '--method', 'asap', '--budget', '0.8', '-o', out], () => undefined],
  ];
  console.log('\n| command on the 1 GB JSONL | wall s | peak RSS (process tree) | largest process | vs the peer | ≤ 256 MB |');
  console.log('|---|---:|---:|---:|---:|---|');
  console.log(`| peer: readline + JSON.parse of every line | ${peer.seconds.toFixed(1)} | ${mb(peer.peakMb)} | ${mb(peer.largestMb)} | 1.00× | ${peer.peakMb <= DATASET_LIMIT_MB ? 'yes' : 'no'} |`);
  let failed = 0;
  for (const [name, args, check] of runs) {
    clean();
    const m = await measure([cli, ...args]);
    const problem = m.code !== 0 ? `exit ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}` : check(m);
    if (problem) {
      console.log(`| ${name} | failed: ${problem} | | | | |`);
      failed++;
      continue;
    }
    const ok = m.peakMb <= DATASET_LIMIT_MB;
    if (!ok) failed++;
    console.log(`| ${name} | ${m.seconds.toFixed(1)} | ${mb(m.peakMb)} | ${mb(m.largestMb)} | ${(m.peakMb / peer.peakMb).toFixed(2)}× | ${ok ? 'yes' : 'NO'} |`);
  }
  clean();

  // A long trace scored with the embedded model (its context: 2,048 tokens), in the model process.
  const modelDir = join(repo, 'media', 'models', 'reasoning-lens-tiny');
  const tokenizer = new TextTokenizer(JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>);
  const pieces = realReasoning();
  const sizes = [Math.round(LONG_TOKENS / 4), LONG_TOKENS];
  console.log('\n| score a long trace, embedded model (2.4 M, context 2,048) | tokens | wall s | µs per token | peak RSS (CLI + model process) | model process | windows |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  const timings: { tokens: number; seconds: number; peakMb: number }[] = [];
  for (const tokens of sizes) {
    const trace = longTrace(tokens, tokenizer, pieces);
    const m = await measure([cli, 'score', '--json', trace]);
    if (m.code !== 0) {
      console.log(`| ${tokens.toLocaleString('en-US')} tokens | failed: exit ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')} | | | | | |`);
      failed++;
      continue;
    }
    const windowed = /scored in overlapping windows/.test(m.stderr) ? 'yes (warned)' : 'no';
    timings.push({ tokens, seconds: m.seconds, peakMb: m.peakMb });
    console.log(`| score --json | ${tokens.toLocaleString('en-US')} | ${m.seconds.toFixed(1)} | ${Math.round((m.seconds * 1e6) / tokens)} | ${mb(m.peakMb)} | ${mb(m.largestMb)} | ${windowed} |`);
  }
  if (timings.length === 2) {
    const [a, b] = timings as [typeof timings[0], typeof timings[0]];
    const ratio = b.seconds / a.seconds;
    const tokenRatio = b.tokens / a.tokens;
    const memOk = b.peakMb <= LONG_LIMIT_MB;
    if (!memOk) failed++;
    console.log(`\nlong trace: ${b.tokens.toLocaleString('en-US')} tokens in ${b.seconds.toFixed(1)} s, peak ${mb(b.peakMb)} (goal ≤ ${LONG_LIMIT_MB} MB: ${memOk ? 'met' : 'NOT met'}); ` +
      `${tokenRatio.toFixed(0)}× the tokens took ${ratio.toFixed(2)}× the time (linear: ${tokenRatio.toFixed(0)}×; quadratic would be ${(tokenRatio * tokenRatio).toFixed(0)}×)`);
  }
  console.log(`\nmemory: ${failed === 0 ? 'every goal met' : `${failed} goal(s) NOT met`}`);
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
