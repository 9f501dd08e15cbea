/**
 * JSONL indexing at scale: a ~1 GB / 100,000-record `messages` dataset (each with a ~10 kB `<think>`
 * reasoning) generated under /tmp (reused when present with the right size), indexed by streaming,
 * compared with `wc -l` on the same file in the same run, then 1,000 random O(1) reads.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, renameSync, statSync } from 'node:fs';
import { indexJsonl } from '../src/core/trace/jsonlIndex';
import { parseTraceRecord } from '../src/core/trace/records';

const RECORDS = 100_000;
const REASONING_BYTES = 10_000;
const FILE = process.env.RL_BENCH_JSONL ?? '/tmp/reasoning-lens-bench-1g.jsonl';

const SENTENCES = [
  'Let me compute the sum of the first terms carefully.',
  'Wait, I should double-check the second step because the sign might be wrong.',
  'So the total becomes 12 * 7 = 84, which matches the constraint.',
  'Hmm, alternatively we could factor the quadratic as (x - 3)(x + 4).',
  'Therefore the remainder is 5 when divided by 9.',
  'Actually, the boundary case n = 0 needs separate handling.',
];

function record(i: number): string {
  let reasoning = '';
  let k = i;
  while (reasoning.length < REASONING_BYTES) {
    reasoning += SENTENCES[k % SENTENCES.length] + (k % 4 === 0 ? '\n\n' : ' ');
    k = (k * 1103515245 + 12345) % 2147483647;
  }
  return JSON.stringify({
    messages: [
      { role: 'user', content: `Problem ${i}: find the value of x such that 3x + ${i % 97} = ${(i % 97) + 3 * (i % 13)}.` },
      { role: 'assistant', content: `<think>\n${reasoning}\n</think>\n\nThe answer is \\boxed{${i % 13}}.` },
    ],
  });
}

async function ensureFile(): Promise<void> {
  if (existsSync(FILE) && statSync(FILE).size > 0.95e9) {
    console.log(`reusing ${FILE} (${(statSync(FILE).size / 1e9).toFixed(2)} GB)`);
    return;
  }
  const tmp = `${FILE}.partial`;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const ws = createWriteStream(tmp);
    ws.on('error', reject);
    let i = 0;
    const pump = (): void => {
      while (i < RECORDS) {
        const ok = ws.write(record(i++) + '\n');
        if (!ok) return void ws.once('drain', pump);
      }
      ws.end(resolve);
    };
    pump();
  });
  renameSync(tmp, FILE);
  console.log(`generated ${FILE} (${(statSync(FILE).size / 1e9).toFixed(2)} GB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

async function bench(): Promise<void> {
  await ensureFile();
  const size = statSync(FILE).size;
  // Warm the page cache for both contenders alike.
  spawnSync('wc', ['-l', FILE]);

  const w0 = performance.now();
  const wc = spawnSync('wc', ['-l', FILE], { encoding: 'utf8' });
  const wcMs = performance.now() - w0;
  const wcLines = Number(wc.stdout.trim().split(/\s+/)[0]);

  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 20);
  const i0 = performance.now();
  const index = await indexJsonl(FILE, { onProgress: sample });
  const indexMs = performance.now() - i0;
  clearInterval(timer);
  sample();

  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const picks = Array.from({ length: 1000 }, () => Math.floor(rand() * index.count));
  const r0 = performance.now();
  let chars = 0;
  for (const i of picks) chars += index.readText(i).text.length;
  const readMs = performance.now() - r0;
  const p0 = performance.now();
  let traces = 0;
  for (const i of picks) {
    const v = index.read(i);
    if (v.ok) traces += parseTraceRecord(v.value).traces.length;
  }
  const parseMs = performance.now() - p0;
  index.close();

  console.log(`file                 ${(size / 1e9).toFixed(2)} GB, ${index.count} records (wc -l: ${wcLines})`);
  console.log(`indexJsonl           ${(indexMs / 1000).toFixed(2)} s  (${Math.round(index.count / (indexMs / 1000)).toLocaleString('en-US')} records/s, ${((size / 1e6) / (indexMs / 1000)).toFixed(0)} MB/s)`);
  console.log(`wc -l                ${(wcMs / 1000).toFixed(2)} s`);
  console.log(`ratio index / wc -l  ${(indexMs / wcMs).toFixed(2)}x`);
  console.log(`peak RSS             ${mb(peakRss)} (start ${mb(base.rss)}, +${mb(peakRss - base.rss)})`);
  console.log(`peak heapUsed        ${mb(peakHeap)} (start ${mb(base.heapUsed)})`);
  console.log(`1,000 random reads   ${readMs.toFixed(1)} ms (${((readMs * 1000) / picks.length).toFixed(0)} µs each, ${chars.toLocaleString('en-US')} chars)`);
  console.log(`  + JSON.parse + trace ${parseMs.toFixed(1)} ms (${traces} traces)`);
  if (index.count !== wcLines) throw new Error(`record count ${index.count} differs from wc -l ${wcLines}`);
}

bench().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
