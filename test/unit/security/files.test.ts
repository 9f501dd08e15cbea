/**
 * Hostile file layouts: outputs that are the source under another name (hard link, symlink, bind
 * mount), dangling symlinks, permission bits, failed runs, missing folders, symlink loops in a folder
 * walk, and the 64 MB cap on every whole-file path. Real data from media/samples and ../shared/data.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, statSync, symlinkSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readTraces } from '../../../src/core/trace';
import { readWholeFile } from '../../../src/core/trace/read';
import { emptyTotals, exportSource, filePruner } from '../../../src/core/export/dataset';
import { checkOutput, OutputPathError, SourceOverwriteError, writeFileAtomic } from '../../../src/core/export/atomicWrite';
import { repoPath, sharedData } from '../helpers';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

const fresh = (): string => mkdtempSync(join(tmpdir(), 'rl-files-'));
const SAMPLE_JSONL = repoPath('media/samples/gsm8k-model-solutions-100.jsonl');
const SAMPLE_TEXT = repoPath('media/samples/codeforces-r1-cot-174/response.md');
/** A method that needs no model and no logprobs, so these runs prune for real. */
const PRUNE = ['--method', 'confidence', '--workers', '0'];
const MB = 1024 * 1024;

/** A sparse file of `bytes` (no disk used): its size is what the caps look at. */
function sparse(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

describe('outputs never overwrite an input', () => {
  test('a hard link to the source is refused (JSONL pipeline and single file), even with --force; the source is intact', async () => {
    const dir = fresh();
    const src = join(dir, 'src.jsonl');
    copyFileSync(SAMPLE_JSONL, src);
    const before = readFileSync(src);
    linkSync(src, join(dir, 'alias.jsonl'));
    const r = await run('prune', src, ...PRUNE, '-o', join(dir, 'alias.jsonl'), '--force');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /refusing to write over the source/);
    assert.deepEqual(readFileSync(src), before, 'the source kept every byte');
    const s = await run('score', src, '-o', join(dir, 'alias.jsonl'), '--force');
    assert.equal(s.code, 2, s.err);
    assert.deepEqual(readFileSync(src), before);

    const text = join(dir, 'response.md');
    copyFileSync(SAMPLE_TEXT, text);
    const textBefore = readFileSync(text);
    linkSync(text, join(dir, 'alias.md'));
    const t = await run('prune', text, ...PRUNE, '-o', join(dir, 'alias.md'), '--force');
    assert.equal(t.code, 2, t.err);
    assert.deepEqual(readFileSync(text), textBefore);
  });

  test('a hard link to a file of a source folder is refused', async () => {
    const dir = fresh();
    const folder = join(dir, 'problem');
    cpSync(repoPath('media/samples/thought-anchors-problem-2189-incorrect'), folder, { recursive: true });
    linkSync(join(folder, 'base_solution.json'), join(dir, 'out.json'));
    await assert.rejects(checkOutput(folder, join(dir, 'out.json'), { force: true }), SourceOverwriteError);
    await checkOutput(folder, join(dir, 'other.json'));
  });

  test('the source through a bind mount is refused', { skip: spawnSync('unshare', ['-rm', 'true']).status !== 0 && 'no unprivileged mount namespaces here' }, () => {
    const dir = fresh();
    const real = join(dir, 'real');
    const view = join(dir, 'view');
    mkdirSync(real);
    mkdirSync(view);
    copyFileSync(SAMPLE_JSONL, join(real, 'src.jsonl'));
    const before = readFileSync(join(real, 'src.jsonl'));
    const cli = repoPath('out/cli.js');
    assert.ok(existsSync(cli), 'out/cli.js is built before the unit tier');
    // A private mount namespace: the bind mount exists only for this one command.
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount --bind "$1" "$2" && exec "$3" "$4" prune "$1/src.jsonl" --method confidence --workers 0 -o "$2/src.jsonl" --force', 'sh', real, view, process.execPath, cli], { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: '' } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /refusing to write over the source/);
    assert.deepEqual(readFileSync(join(real, 'src.jsonl')), before);
  });
});

describe('output paths', () => {
  test('a dangling symlink is refused without --force, and with --force replaced by a regular file (never followed)', async () => {
    const dir = fresh();
    const src = join(dir, 'src.jsonl');
    copyFileSync(SAMPLE_JSONL, src);
    for (const [out, input] of [[join(dir, 'out.jsonl'), src], [join(dir, 'out.md'), SAMPLE_TEXT]] as const) {
      const pointee = join(dir, `somewhere-else-${out.endsWith('.md') ? 'md' : 'jsonl'}`);
      symlinkSync(pointee, out);
      const refused = await run('prune', input, ...PRUNE, '-o', out);
      assert.equal(refused.code, 2, refused.err);
      assert.match(refused.err, /symbolic link to .*somewhere-else.*does not exist/);
      assert.equal(existsSync(pointee), false, 'nothing created where the link points');
      const forced = await run('prune', input, ...PRUNE, '-o', out, '--force');
      assert.equal(forced.code, 0, forced.err);
      assert.equal(existsSync(pointee), false, 'the link was not followed');
      assert.ok(lstatSync(out).isFile(), 'the link itself became the output');
      assert.ok((await readTraces(out)).traces.length > 0);
    }
  });

  test('a replaced file keeps its mode (atomic single-file write and the JSONL pipeline)', async () => {
    const dir = fresh();
    const src = join(dir, 'src.jsonl');
    copyFileSync(SAMPLE_JSONL, src);
    for (const [out, input] of [[join(dir, 'private.md'), SAMPLE_TEXT], [join(dir, 'private.jsonl'), src]] as const) {
      writeFileSync(out, 'old\n');
      chmodSync(out, 0o600);
      const r = await run('prune', input, ...PRUNE, '-o', out, '--force');
      assert.equal(r.code, 0, r.err);
      assert.notEqual(readFileSync(out, 'utf8'), 'old\n');
      assert.equal(statSync(out).mode & 0o777, 0o600, `${out} stays 0600`);
    }
    const target = join(dir, 'x.txt');
    writeFileSync(target, 'a');
    chmodSync(target, 0o640);
    await writeFileAtomic(target, 'b');
    assert.equal(statSync(target).mode & 0o777, 0o640);
  });

  test('a run that prunes nothing leaves no new empty file, and an existing output untouched', async () => {
    const dir = fresh();
    const src = join(dir, 'src.jsonl');
    copyFileSync(SAMPLE_JSONL, src);
    // Step entropy needs logprobs these files do not carry: every trace is skipped.
    const jsonl = await run('prune', src, '--method', 'entropy', '--workers', '0', '-o', join(dir, 'none.jsonl'));
    assert.equal(jsonl.code, 1, jsonl.err);
    const text = await run('prune', SAMPLE_TEXT, '--method', 'entropy', '-o', join(dir, 'none.md'));
    assert.equal(text.code, 1, text.err);
    assert.deepEqual(readdirSync(dir).sort(), ['src.jsonl'], 'no output, checkpoint or temporary file');
    writeFileSync(join(dir, 'kept.md'), 'keep me\n');
    assert.equal((await run('prune', SAMPLE_TEXT, '--method', 'entropy', '-o', join(dir, 'kept.md'), '--force')).code, 1);
    assert.equal(readFileSync(join(dir, 'kept.md'), 'utf8'), 'keep me\n');
  });

  test('a missing output folder is named (no raw ENOENT), exit 2', async () => {
    const dir = fresh();
    for (const input of [SAMPLE_JSONL, SAMPLE_TEXT]) {
      const r = await run('prune', input, ...PRUNE, '-o', join(dir, 'no', 'such', 'folder', 'out'));
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /output folder .*no\/such\/folder does not exist: create it first/);
      assert.doesNotMatch(r.err, /ENOENT/);
    }
    const s = await run('score', SAMPLE_JSONL, '-o', join(dir, 'missing', 'rows.jsonl'));
    assert.equal(s.code, 2, s.err);
    assert.doesNotMatch(s.err, /ENOENT/);
    await assert.rejects(checkOutput(SAMPLE_TEXT, dir), OutputPathError, 'a folder is not an output file');
  });
});

describe('folder walks', () => {
  test('symlink loops are walked once: each trace read once, quickly', async () => {
    const dir = fresh();
    const inner = join(dir, 'traces', 'a');
    mkdirSync(inner, { recursive: true });
    copyFileSync(sharedData('gsm8k', 'test.jsonl'), join(inner, 'gsm8k.jsonl'));
    copyFileSync(SAMPLE_TEXT, join(inner, 'r1.md'));
    // Two links up from the same folder: without a visited set the walk is exponential.
    symlinkSync('..', join(inner, 'up1'));
    symlinkSync('..', join(inner, 'up2'));
    symlinkSync(join(dir, 'traces'), join(inner, 'root'));
    const direct = (await readTraces(join(inner, 'gsm8k.jsonl'))).traces.length + 1;
    const started = Date.now();
    const result = await readTraces(join(dir, 'traces'));
    assert.equal(result.traces.length, direct, 'every trace once');
    assert.ok(result.skipped.some((s) => /already read/.test(s)), result.skipped.join('\n'));
    assert.ok(Date.now() - started < 30_000);
    const r = await run('inspect', join(dir, 'traces'));
    assert.equal(r.code, 0);
    assert.match(r.err, new RegExp(`^${direct} traces`, 'm'));
  });
});

describe('the 64 MB whole-file cap', () => {
  test('prompt.md, Thought-Anchors JSON and a JSON document over 64 MB are refused by the readers and by export', async () => {
    const dir = fresh();
    const pr = join(dir, 'pr');
    mkdirSync(pr);
    copyFileSync(SAMPLE_TEXT, join(pr, 'response.md'));
    sparse(join(pr, 'prompt.md'), 65 * MB);
    const ta = join(dir, 'ta');
    cpSync(sharedData('thought-anchors', 'deepseek-r1-distill-llama-8b', 'correct_base_solution', 'problem_330'), ta, { recursive: true });
    sparse(join(ta, 'chunks_labeled.json'), 65 * MB);
    const json = join(dir, 'big.json');
    const text = Buffer.alloc(65 * MB, 0x20);
    text.write('{"reasoning_content": "Hmm.", "x": 1}');
    writeFileSync(json, text);
    for (const [path, file] of [[pr, 'prompt.md'], [ta, 'chunks_labeled.json'], [json, 'big.json']] as const) {
      const read = await readTraces(path);
      assert.ok(read.errors.some((e) => e.message.includes(file) && /65 MB exceeds the 64 MB size limit/.test(e.message)), `${file}: ${JSON.stringify(read.errors)}`);
      const prune = filePruner({ method: 'confidence', budget: { kind: 'ratio', ratio: 0.8 }, segmentation: 'paragraph' });
      await assert.rejects(writeFileAtomic(join(dir, 'out'), exportSource(path, prune, 'same', emptyTotals())), /65 MB exceeds the 64 MB size limit/, `export of ${file}`);
    }
    assert.equal(existsSync(join(dir, 'out')), false);
  });

  test('a file that is larger than its reported size is cut off at the limit + 1 byte', async () => {
    await assert.rejects(readWholeFile('/dev/zero', 1 * MB), /more than 1 MB exceeds the 1 MB size limit/);
    assert.equal((await readWholeFile(SAMPLE_TEXT)).length, statSync(SAMPLE_TEXT).size);
  });
});
