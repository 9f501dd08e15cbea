/**
 * The 1 GB benchmark dataset shared by the benchmarks that need a big file (indexing, insights): a
 * ~1 GB / 100,000-record `messages` JSONL (each with a ~10 kB `<think>` reasoning), generated under
 * /tmp once and reused while it has the right size. `RL_BENCH_JSONL` points elsewhere.
 */
import { createWriteStream, existsSync, renameSync, statSync } from 'node:fs';

export const BENCH_RECORDS = 100_000;
const REASONING_BYTES = 10_000;
export const BENCH_FILE = process.env.RL_BENCH_JSONL ?? '/tmp/reasoning-lens-bench-1g.jsonl';

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

/** Generates {@link BENCH_FILE} unless it is already there (> 0.95 GB); returns its path. */
export async function ensureBenchJsonl(): Promise<string> {
  if (existsSync(BENCH_FILE) && statSync(BENCH_FILE).size > 0.95e9) {
    console.log(`reusing ${BENCH_FILE} (${(statSync(BENCH_FILE).size / 1e9).toFixed(2)} GB)`);
    return BENCH_FILE;
  }
  const tmp = `${BENCH_FILE}.${process.pid}.partial`;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const ws = createWriteStream(tmp);
    ws.on('error', reject);
    let i = 0;
    const pump = (): void => {
      while (i < BENCH_RECORDS) {
        const ok = ws.write(record(i++) + '\n');
        if (!ok) return void ws.once('drain', pump);
      }
      ws.end(resolve);
    };
    pump();
  });
  renameSync(tmp, BENCH_FILE);
  console.log(`generated ${BENCH_FILE} (${(statSync(BENCH_FILE).size / 1e9).toFixed(2)} GB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return BENCH_FILE;
}
