/** Bad input: nothing crashes, problems are reported with their location, the rest still loads. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexJsonl, parseTraceRecord, parseTraceText, readTraces, safeParseJson, CancelledError } from '../../../src/core/trace/index';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rl-bad-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const good = (q: string) => JSON.stringify({ question: q, answer: 'a\n#### 1' });

describe('bad input', () => {
  test('malformed JSON lines: error with line and column, other lines load', async () => {
    const p = file('mal.jsonl', [good('a'), '{"question": "b", "answer" 1}', good('c'), '', good('d')].join('\n'));
    const { traces, errors } = await readTraces(p);
    assert.equal(traces.length, 3);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.source.line, 2);
    assert.equal(errors[0]!.column, 28);
    assert.match(errors[0]!.message, /line 2, column 28/);
    assert.deepEqual(traces.map((t) => t.source.line), [1, 3, 5]);
  });

  test('empty file', async () => {
    const { traces, errors } = await readTraces(file('empty.jsonl', ''));
    assert.equal(traces.length, 0);
    assert.match(errors[0]!.message, /empty/);
    const r2 = await readTraces(file('empty.md', ''));
    assert.match(r2.errors[0]!.message, /empty/);
  });

  test('UTF-8 BOM and CRLF line ends', async () => {
    const p = file('bom.jsonl', '\uFEFF' + [good('a'), good('b')].join('\r\n') + '\r\n');
    const { traces, errors } = await readTraces(p);
    assert.deepEqual(errors, []);
    assert.deepEqual(traces.map((t) => t.prompt), ['a', 'b']);
    const j = await readTraces(file('bom.json', '\uFEFF' + good('x')));
    assert.equal(j.traces[0]!.prompt, 'x');
    const t = await readTraces(file('bom.md', '\uFEFFQ\r\n<think>\r\nr\r\n</think>\r\nA'));
    assert.equal(t.traces[0]!.prompt, 'Q');
  });

  test('invalid UTF-8 is decoded with replacement and warned about', async () => {
    const bytes = Buffer.concat([Buffer.from('{"question": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('", "answer": "x\\n#### 2"}\n')]);
    const { traces } = await readTraces(file('bad-utf8.jsonl', bytes));
    assert.equal(traces.length, 1);
    assert.ok(traces[0]!.prompt.includes('\uFFFD'));
    assert.ok(traces[0]!.warnings.some((w) => w.code === 'invalid-utf8' && w.message.includes('UTF-8')));
    const md = await readTraces(file('bad-utf8.md', Buffer.concat([Buffer.from('<think>a'), Buffer.from([0xff]), Buffer.from('</think>b')])));
    assert.ok(md.traces[0]!.warnings.some((w) => w.code === 'invalid-utf8' && w.message.includes('UTF-8')));
  });

  test('binary file: "not a trace file"', async () => {
    const bin = Buffer.alloc(4096);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 37) % 256;
    for (const name of ['blob.jsonl', 'blob.json', 'blob.md']) {
      const { traces, errors } = await readTraces(file(name, bin));
      assert.equal(traces.length, 0);
      assert.match(errors[0]!.message, /not a trace file/);
    }
  });

  test('a 200 MB single line: clear error naming the line and the limit, no line buffered', async () => {
    const p = join(dir, 'huge.jsonl');
    await new Promise<void>((resolve, reject) => {
      const ws = createWriteStream(p);
      ws.on('error', reject);
      ws.write(good('first') + '\n{"question": "');
      const block = Buffer.alloc(1024 * 1024, 'x');
      let n = 0;
      const pump = (): void => {
        while (n < 200) {
          n++;
          if (!ws.write(block)) return void ws.once('drain', pump);
        }
        ws.end('"}\n' + good('last') + '\n', () => resolve());
      };
      pump();
    });
    const rssBefore = process.memoryUsage().rss;
    const index = await indexJsonl(p);
    const grew = process.memoryUsage().rss - rssBefore;
    assert.equal(index.count, 2);
    assert.equal(index.errors.length, 1);
    assert.match(index.errors[0]!.message, /^line 2: record of 200(\.\d)? MB exceeds the 64 MB size limit/);
    assert.ok(grew < 64 * 1024 * 1024, `RSS grew by ${grew} bytes`);
    assert.equal(index.lineOf(1), 3);
    index.close();
    const { traces, errors } = await readTraces(p);
    assert.equal(traces.length, 2);
    assert.equal(errors[0]!.source.line, 2);
    rmSync(p);
  });

  test('deeply nested JSON: an error, no stack overflow', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const r = safeParseJson(deep);
    assert.equal(r.ok, false);
    const p = file('deep.jsonl', `${good('a')}\n{"x": ${deep}}\n${good('b')}\n`);
    const { traces, errors } = await readTraces(p);
    assert.equal(traces.length, 2);
    assert.match(errors[0]!.message, /nested/);
    const arr = await readTraces(file('deep.json', `[${good('a')}, ${deep}]`));
    assert.equal(arr.traces.length, 1);
    assert.equal(arr.errors.length, 1);
  });

  test('__proto__ / constructor keys do not pollute prototypes', async () => {
    const payload = '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "question": "q", "answer": "a\\n#### 1", "x": {"__proto__": {"polluted": "yes"}}}';
    const { traces } = await readTraces(file('proto.jsonl', payload + '\n'));
    assert.equal(traces.length, 1);
    const { traces: t2 } = parseTraceRecord(JSON.parse(payload));
    assert.equal(t2.length, 1);
    const empty: Record<string, unknown> = {};
    assert.equal(empty.polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal(Object.getPrototypeOf(traces[0]!.metadata), Object.prototype);
    assert.equal((traces[0]!.metadata as Record<string, unknown>).polluted, undefined);
    const { errors } = parseTraceRecord(JSON.parse('{"__proto__": {"question": "q", "solution": "s"}}'));
    assert.match(errors[0]!.message, /unrecognised/);
  });

  test('records with none of the known fields: "unrecognised" with the keys seen', async () => {
    const { traces, errors } = await readTraces(file('unk.jsonl', `{"foo": 1, "bar": 2}\n${good('a')}\n[1,2]\n"str"\n`));
    assert.equal(traces.length, 1);
    assert.equal(errors.length, 3);
    assert.match(errors[0]!.message, /line 1: unrecognised record.*keys seen: foo, bar/);
    assert.equal(errors[0]!.source.line, 1);
  });

  test('unclosed tags and empty reasoning', () => {
    const t = parseTraceText('<think>');
    assert.equal(t.truncated, true);
    assert.equal(t.reasoning, '');
    assert.ok(t.warnings.some((w) => w.code === 'empty-reasoning'));
    const t2 = parseTraceText('<think>\n\n</think>');
    assert.ok(t2.warnings.some((w) => w.code === 'empty-reasoning'));
  });

  test('JSON array file is streamed: elements with their line; a bad element does not stop the rest', async () => {
    const p = file('arr.json', `[\n  ${good('a')},\n  {"question": oops},\n  ${good('c')}\n]\n`);
    const { traces, errors } = await readTraces(p);
    assert.deepEqual(traces.map((t) => [t.prompt, t.source.line, t.source.jsonPath?.split('.')[0]]), [['a', 2, '$[0]'], ['c', 4, '$[2]']]);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.source.line, 3);
    const cut = await readTraces(file('cut.json', `[${good('a')}, ${good('b')}`));
    assert.equal(cut.traces.length, 1);
    assert.match(cut.errors[0]!.message, /unterminated/);
  });

  test('indexing reports progress and can be cancelled', async () => {
    const p = file('many.jsonl', Array.from({ length: 5000 }, (_, i) => good(`q${i}`)).join('\n'));
    const seen: number[] = [];
    const index = await indexJsonl(p, { chunkBytes: 16 * 1024, onProgress: (pr) => seen.push(pr.bytesRead) });
    assert.equal(index.count, 5000);
    assert.ok(seen.length > 5);
    assert.equal(seen[seen.length - 1], index.totalBytes);
    index.close();
    const ac = new AbortController();
    await assert.rejects(indexJsonl(p, { chunkBytes: 16 * 1024, cancellation: ac.signal, onProgress: () => ac.abort() }), CancelledError);
    const token = { isCancellationRequested: true };
    await assert.rejects(readTraces(p, { cancellation: token }), CancelledError);
  });

  test('a missing path is an error, not a throw', async () => {
    const { errors } = await readTraces(join(dir, 'nope.jsonl'));
    assert.match(errors[0]!.message, /cannot read/);
  });
});
