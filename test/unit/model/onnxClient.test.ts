import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBackend } from '../../../src/model/onnx/client';
import { OnnxCausalLM } from '../../../src/model/onnx/runtime';
import { modelUnavailable, sampleText, tinyModelDir, workerScript } from './fixtures';

const skip = modelUnavailable();

describe('OnnxBackend (worker process)', { skip }, () => {
  let backend: OnnxBackend;
  before(async () => {
    backend = new OnnxBackend({ modelDir: tinyModelDir(), workerPath: await workerScript(), runtime: { threads: 2 } });
  });
  after(async () => backend?.dispose());

  test('construction starts nothing; describe() works before loading', () => {
    const lazy = new OnnxBackend({ modelDir: tinyModelDir(), workerPath: '/nonexistent.js' });
    assert.equal(lazy.workerPid, undefined);
    const d = lazy.describe();
    assert.equal(d.kind, 'onnx');
    assert.match(d.id, /^onnx:.*#model:\d+:\d+$/);
  });

  test('scores in the worker equal in-process scores; progress is reported', async () => {
    const text = sampleText(1500);
    const progress: number[] = [];
    const remote = await backend.score(text, { topK: 5, chunkSize: 128, onProgress: (done) => progress.push(done) });
    const lm = await OnnxCausalLM.load(tinyModelDir(), { threads: 1 });
    const local = await lm.score(text, { topK: 5 });
    await lm.dispose();
    assert.ok(remote.logprob instanceof Float32Array, 'typed arrays survive IPC');
    assert.deepEqual(Array.from(remote.ids), Array.from(local.ids));
    for (let i = 1; i < local.logprob.length; i++) assert.ok(Math.abs(remote.logprob[i]! - local.logprob[i]!) < 1e-4);
    assert.ok(progress.length >= 2 && progress[progress.length - 1] === remote.ids.length - 1);
    assert.ok((backend.describe().vocabSize ?? 0) > 0, "vocabulary size known after loading");
    const tokens = await backend.tokenize(text);
    assert.deepEqual(Array.from(tokens.ends), Array.from(local.ends));
  });

  test('generation streams tokens through IPC', async () => {
    const pieces: string[] = [];
    const g = await backend.generate('Let me think', { maxTokens: 10, onToken: (p) => pieces.push(p) });
    assert.equal(pieces.join(''), g.text);
    assert.ok(g.tokenCount > 0);
  });

  test('cancelling a score rejects with AbortError and the worker keeps serving', async () => {
    const controller = new AbortController();
    const pending = backend.score(sampleText(3000).repeat(3), { chunkSize: 16, signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(pending, { name: 'AbortError' });
    const ok = await backend.score('1 + 1 = 2');
    assert.ok(ok.ids.length > 0);
  });

  test('killing the worker mid-score rejects the call; the next call starts a new worker', async () => {
    await backend.load();
    const pid = backend.workerPid!;
    let killed = false;
    const pending = backend.score(sampleText(3000).repeat(3), {
      chunkSize: 16,
      onProgress: () => {
        if (!killed) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      },
    });
    await assert.rejects(pending, (e: Error) => e.name === 'WorkerExitedError' && /killed \(SIGKILL/.test(e.message) && /next request starts a new one/.test(e.message));
    const again = await backend.score('After the crash.');
    assert.ok(again.ids.length > 0);
    assert.notEqual(backend.workerPid, pid);
  });

  test('a bad model folder rejects the request with the folder error, every time', async () => {
    const bad = new OnnxBackend({ modelDir: '/nonexistent/model', workerPath: await workerScript() });
    await assert.rejects(bad.score('x'), /model folder not found: \/nonexistent\/model/);
    await assert.rejects(bad.score('x'), /model folder not found/);
    await bad.dispose();
  });
});
