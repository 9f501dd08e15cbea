/**
 * Streaming (issue 11): `inspect`, `score` and `prune` read record by record and write each result as
 * it is produced, so memory does not grow with the input (the figures are `npm run bench -- memory`'s).
 * Here the behaviour: output comes before the input has been read to its end, the readers hand out the
 * first traces of a file before reading the rest, and a JSON array over the 64 MB whole-file cap is
 * read and pruned element by element instead of being refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { traceItems } from '../../src/core/trace/read';
import { jsonlChunks } from '../../bench/pruneFixture';
import { runCli } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'rl-cli-stream-'));
const record = (i: number, reasoning: string): string => JSON.stringify({ messages: [{ role: 'user', content: `Problem ${i}` }, { role: 'assistant', content: `<think>\n${reasoning}\n</think>\nThe answer is ${i}.` }] });

describe('streaming readers and commands', () => {
  test('inspect --json and score --json print the first traces before the input has been read to its end', async () => {
    // 6 MB: more than one 4 MB read. When the first line comes out, the test appends one more record:
    // a command that streams is still reading and prints it too; one that read everything first does not.
    for (const command of [['inspect', '--json'], ['score', '--json']]) {
      const path = join(dir, `growing-${command[0]}.jsonl`);
      writeFileSync(path, [...jsonlChunks(150, 300)].join(''));
      assert.ok(statSync(path).size > 5e6);
      let lines = 0;
      let appended = false;
      const code = await main([command[0]!, path, ...command.slice(1)], {
        stdout: (s) => {
          lines += s.split('\n').length - 1;
          if (!appended) {
            appended = true;
            appendFileSync(path, [...jsonlChunks(1, 300)].join(''));
          }
        },
        stderr: () => undefined,
      });
      assert.equal(code, 0);
      assert.equal(lines, 151, `${command[0]}: the record appended after the first output line was read too`);
    }
  });

  test('traceItems hands out the first traces of a JSONL file and of a JSON array before reading the rest', async () => {
    const reasoning = 'Let me think about it step by step. '.repeat(30);
    const jsonl = join(dir, 'lazy.jsonl');
    // 2,000 records (~2.4 MB): the readers hand out batches of ~256 kB of records.
    writeFileSync(jsonl, Array.from({ length: 2000 }, (_, i) => `${record(i, reasoning)}\n`).join(''));
    const array = join(dir, 'lazy.json');
    writeFileSync(array, `[\n${Array.from({ length: 2000 }, (_, i) => record(i, reasoning)).join(',\n')}\n]\n`);
    for (const path of [jsonl, array]) {
      let read = 0;
      const total = statSync(path).size;
      let traces = 0;
      for await (const item of traceItems(path, { chunkBytes: 16 * 1024, onProgress: (p) => (read = p.bytesRead) })) {
        assert.equal(item.kind, 'trace');
        if (traces++ === 0) assert.ok(read < total / 4, `${path}: the first trace came after ${read} of ${total} bytes`);
      }
      assert.equal(traces, 2000);
    }
  });

  test('a JSON array over the 64 MB whole-file cap: inspect reads it and prune writes it back element by element, in the same shape', async () => {
    const path = join(dir, 'big-array.json');
    const loop = 'Wait, let me recheck the second step once more because the sign might be wrong.\n\n';
    // 68 records of ~1 MB: a paragraph, then a loop the loops method cuts.
    const reasoning = `First, set up the equation 3x + 4 = 10.\n\n${loop.repeat(12_500)}So x = 2.`;
    writeFileSync(path, '[\n');
    for (let i = 0; i < 68; i++) appendFileSync(path, `${i ? ',\n' : ''}${record(i, reasoning)}`);
    appendFileSync(path, '\n]\n');
    assert.ok(statSync(path).size > 64 * 1024 * 1024);
    const inspected = await runCli('inspect', path);
    assert.equal(inspected.code, 0, inspected.err);
    assert.match(inspected.err, /^68 traces/m);
    const out = join(dir, 'big-array.pruned.json');
    const pruned = await runCli('prune', path, '--method', 'loops', '-o', out);
    assert.equal(pruned.code, 0, pruned.err);
    const written = JSON.parse(readFileSync(out, 'utf8')) as { messages: { content: string }[] }[];
    assert.equal(written.length, 68);
    assert.ok(written.every((r, i) => r.messages[0]!.content === `Problem ${i}` && r.messages[1]!.content.endsWith(`The answer is ${i}.`)), 'every record kept its shape and place');
    assert.ok(statSync(out).size < statSync(path).size / 10, 'the loops were cut');
    // Only the reasoning was edited: every other byte (the array's layout, each record's text) is as it was.
    const expected = `[\n${Array.from({ length: 68 }, (_, i) => record(i, written[i]!.messages[1]!.content.slice('<think>\n'.length, -`\n</think>\nThe answer is ${i}.`.length))).join(',\n')}\n]\n`;
    assert.equal(readFileSync(out, 'utf8'), expected);
  });
});
