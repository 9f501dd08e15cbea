import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OnnxBackend, type OnnxBackendOptions } from '../../../src/model/onnx/client';
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

/** CPU time (user + system, clock ticks) a process has used, or undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    if (fields[0] === 'Z') return undefined;
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A text of ~20,000 tokens: ten windows of the embedded model's context. */
const longText = (): string => sampleText(3000).repeat(20);

// A timeout, so that a watchdog that does not fire fails the test instead of hanging it.

/** A backend on the embedded model (two threads) with `options`, disposed after `run`. */
async function withBackend(options: Partial<OnnxBackendOptions>, run: (backend: OnnxBackend) => Promise<void>): Promise<void> {
  const backend = new OnnxBackend({ modelDir: tinyModelDir(), workerPath: await workerScript(), runtime: { threads: 2 }, ...options });
  try {
    await run(backend);
  } finally {
    await backend.dispose();
  }
}

describe('OnnxBackend: cancellation and the watchdog', { skip: skip ?? (process.platform === 'linux' ? undefined : 'reads /proc'), timeout: 300_000 }, () => {
  test('cancel stops the work within 1 s: the call rejects at once and the model process stops computing', async () => {
    await withBackend({}, async (backend) => {
      await backend.load();
      const pid = backend.workerPid!;
      const controller = new AbortController();
      let abortedAt = 0;
      const pending = backend.score(longText(), {
        chunkSize: 256,
        signal: controller.signal,
        onProgress: (done) => {
          if (done > 0 && !abortedAt) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
    });
    await assert.rejects(pending, { name: 'AbortError' });
    assert.ok(performance.now() - abortedAt < 100, 'the call rejects at once');
    await sleep(Math.max(0, 1000 - (performance.now() - abortedAt)));
    const a = cpuTicks(pid);
    await sleep(500);
    const b = cpuTicks(pid);
    // Scoring keeps two threads busy (~100 ticks a second): an idle or ended process uses next to none.
    assert.ok(a === undefined || b === undefined || b - a <= 10, `the model process still computes 1 s after the cancel (${a} → ${b} ticks)`);
    assert.ok((await backend.score('Still serving.')).ids.length > 0);
    });
  });

  test('a worker that does not stop within the grace is killed, and the next call starts a new one', async () => {
    // One pass over a whole 2,048-token window: far longer than a 20 ms grace.
    await withBackend({ cancelGraceMs: 20 }, async (backend) => {
      await backend.load();
      const pid = backend.workerPid!;
      const controller = new AbortController();
      const pending = backend.score(longText(), { chunkSize: 2048, signal: controller.signal, onProgress: () => controller.abort() });
      await assert.rejects(pending, { name: 'AbortError' });
      const started = performance.now();
      while (cpuTicks(pid) !== undefined && performance.now() - started < 1000) await sleep(20);
      assert.equal(cpuTicks(pid), undefined, 'the process was stopped within 1 s');
      assert.ok((await backend.score('After the kill.')).ids.length > 0);
      assert.notEqual(backend.workerPid, pid);
    });
  });

  test('a worker that reports progress is left alone by the watchdog, however long the request', async () => {
    await withBackend({ watchdogMs: 1500 }, async (backend) => {
      await backend.load();
      const started = performance.now();
      const scored = await backend.score(sampleText(3000).repeat(8), { chunkSize: 64 });
      const took = performance.now() - started;
      assert.ok(took > 1500, `the request outlasted the watchdog (${Math.round(took)} ms)`);
      assert.ok(scored.window, 'several windows');
    });
  });

  test('a stopped worker (SIGSTOP) fails its request with a WatchdogError within the watchdog time and is restarted', async () => {
    await withBackend({ watchdogMs: 1500 }, async (backend) => {
      await backend.load();
      const pid = backend.workerPid!;
      let stoppedAt = 0;
      const pending = backend.score(sampleText(3000).repeat(3), {
        chunkSize: 128,
        onProgress: (done) => {
          if (done > 0 && !stoppedAt) {
            stoppedAt = performance.now();
            process.kill(pid, 'SIGSTOP');
          }
        },
    });
    await assert.rejects(pending, (e: Error) => e.name === 'WatchdogError' && /no progress for 1\.5 s \(hung, or stopped with SIGSTOP\)/.test(e.message));
    const failedAfter = performance.now() - stoppedAt;
    assert.ok(failedAfter >= 1400 && failedAfter < 4000, `failed ${Math.round(failedAfter)} ms after the stop`);
    const gone = performance.now();
    while (cpuTicks(pid) !== undefined && performance.now() - gone < 2000) await sleep(20);
    assert.equal(cpuTicks(pid), undefined, 'the stopped process was killed');
    assert.ok(backend.workerPid !== undefined && backend.workerPid !== pid, 'a new model process was started');
    assert.ok((await backend.score('After the restart.')).ids.length > 0);
    });
  });
});
