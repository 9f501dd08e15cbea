/**
 * JSONL indexing at scale: the ~1 GB / 100,000-record benchmark dataset (`bigJsonl.ts`), indexed by streaming,
 * compared with `wc -l` on the same file in the same run, then 1,000 random O(1) reads.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { indexJsonl } from '../src/core/trace/jsonlIndex';
import { parseTraceRecord } from '../src/core/trace/records';
import { ensureBenchJsonl } from './bigJsonl';

function mb(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

async function bench(): Promise<void> {
  const FILE = await ensureBenchJsonl();
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
