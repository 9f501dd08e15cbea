import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAIBackend, parseRetryAfter, placeTokens } from '../../../src/model/openai';
import { InProcessOnnxBackend } from '../../../src/model/onnx/local';
import { runServe, startServer, type RunningServer } from '../../../src/cli/serve';
import { modelUnavailable, sampleText, tinyModelDir } from './fixtures';

/** A small HTTP stub; `handler` may answer or forward to `target`. */
async function stub(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    await handler(req, body, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

async function forward(target: string, req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
  const r = await fetch(target + (req.url ?? '').replace(/^\/v1/, ''), { method: req.method ?? 'GET', headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body } : {}) });
  res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
  res.end(Buffer.from(await r.arrayBuffer()));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

test('construction makes no network call; describe() names model and endpoints', () => {
  let calls = 0;
  const b = new OpenAIBackend({ endpoints: ['http://10.255.255.1:9/'], model: 'm', fetch: (() => { calls++; throw new Error('no'); }) as typeof fetch });
  assert.equal(calls, 0);
  assert.equal(b.describe().id, 'openai:m@http://10.255.255.1:9/v1');
  assert.equal(b.describe().fullEntropy, false);
});

test('parseRetryAfter and placeTokens', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter(null), undefined);
  const { starts, ends } = placeTokens('a 🙂b', ['a', ' ', '🙂', '', 'b'], [0, 1, 2, 2, 4]);
  assert.deepEqual([Array.from(starts), Array.from(ends)], [[0, 1, 2, 2, 4], [1, 2, 4, 4, 5]]);
});

test('vLLM prompt_logprobs mode', async () => {
  const fake = (async () =>
    new Response(JSON.stringify({
      prompt_token_ids: [5, 6],
      choices: [{ text: 'x', prompt_logprobs: [null, { '6': { logprob: -1.5, rank: 2, decoded_token: ' b' }, '9': { logprob: -0.5, rank: 1, decoded_token: ' c' } }] }],
    }), { headers: { 'content-type': 'application/json' } })) as typeof fetch;
  const b = new OpenAIBackend({ endpoints: ['http://x'], model: 'm', scoringMode: 'prompt_logprobs', fetch: fake });
  const s = await b.score('a b', { topK: 2 });
  assert.ok(Number.isNaN(s.logprob[0]));
  assert.equal(s.logprob[1], -1.5);
  assert.deepEqual(s.topK!.tokens!.slice(2), [' c', ' b']);
  assert.deepEqual([s.starts[1], s.ends[1]], [1, 3]);
});

describe('OpenAI backend against `reasoning-lens serve`', { skip: modelUnavailable() }, () => {
  let server: RunningServer;
  let local: InProcessOnnxBackend;
  before(async () => {
    local = new InProcessOnnxBackend(tinyModelDir(), { threads: 2 });
    server = await startServer({ backend: local, modelName: 'tiny' });
  });
  after(async () => {
    await server?.close();
    await local?.dispose();
  });

  test('GET /v1/models lists the model', async () => {
    const r = (await (await fetch(`${server.url}/models`)).json()) as { data: { id: string }[] };
    assert.equal(r.data[0]!.id, 'tiny');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  test('scores over HTTP equal the local backend', async () => {
    const text = sampleText(1200) + ' é 🙂';
    const remote = await new OpenAIBackend({ endpoints: [server.url], model: 'tiny' }).score(text, { topK: 5 });
    const own = await local.score(text, { topK: 5 });
    assert.equal(remote.logprob.length, own.logprob.length);
    assert.ok(Number.isNaN(remote.logprob[0]));
    for (let i = 1; i < own.logprob.length; i++) {
      assert.ok(Math.abs(remote.logprob[i]! - own.logprob[i]!) < 1e-4, `logprob ${i}`);
      assert.equal(remote.starts[i], own.starts[i], `start ${i}`);
      assert.equal(remote.ends[i], own.ends[i], `end ${i}`);
      assert.ok(Math.abs(remote.topK!.logprobs[i * 5]! - own.topK!.logprobs[i * 5]!) < 1e-4);
    }
    assert.equal(remote.entropyKind, 'top-k');
    const tokens = await new OpenAIBackend({ endpoints: [server.url], model: 'tiny' }).tokenize(text);
    assert.equal(tokens.starts.length, own.starts.length);
  });

  test('streaming generation equals local greedy generation', async () => {
    const pieces: string[] = [];
    const g = await new OpenAIBackend({ endpoints: [server.url], model: 'tiny' }).generate('Let me think', { maxTokens: 12, onToken: (p) => pieces.push(p) });
    const own = await local.generate('Let me think', { maxTokens: 12 });
    assert.equal(g.text, own.text);
    assert.equal(pieces.join(''), g.text);
    assert.ok(pieces.length > 1, 'streamed in several events');
  });

  test('429 then success: retried (Retry-After honoured) and succeeds', async () => {
    let hits = 0;
    const s = await stub(async (req, body, res) => {
      if (++hits <= 2) {
        res.writeHead(429, { 'retry-after': '0' });
        res.end('slow down');
        return;
      }
      await forward(server.url, req, body, res);
    });
    const b = new OpenAIBackend({ endpoints: [s.url], model: 'tiny', retryBaseMs: 10 });
    const scored = await b.score('Retry me please.');
    assert.equal(hits, 3);
    assert.ok(scored.logprob.length > 1);
    await close(s.server);
  });

  test('a server that refuses max_tokens 0 is asked again with 1 and the extra token dropped', async () => {
    const s = await stub(async (req, body, res) => {
      if ((JSON.parse(body) as { max_tokens: number }).max_tokens === 0) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'max_tokens must be at least 1, got 0.' } }));
        return;
      }
      await forward(server.url, req, body, res);
    });
    const text = 'Count the tokens of this prompt.';
    const viaStub = await new OpenAIBackend({ endpoints: [s.url], model: 'tiny' }).score(text);
    const own = await local.score(text);
    assert.equal(viaStub.logprob.length, own.logprob.length);
    await close(s.server);
  });

  test('a hanging server times out with a TimeoutError; the caller can also cancel', async () => {
    const s = await stub(() => {
      /* never answers */
    });
    const b = new OpenAIBackend({ endpoints: [s.url], model: 'tiny', timeoutMs: 200 });
    const t0 = Date.now();
    await assert.rejects(b.score('x'), (e: Error) => e.name === 'TimeoutError' && /200 ms/.test(e.message));
    assert.ok(Date.now() - t0 < 5000);
    const controller = new AbortController();
    const pending = new OpenAIBackend({ endpoints: [s.url], model: 'tiny' }).generate('x', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, { name: 'AbortError' });
    await close(s.server);
  });

  test('endpoints are used round-robin, within the concurrency limit', async () => {
    const hits = [0, 0];
    let inFlight = 0;
    let maxInFlight = 0;
    const make = (i: number) =>
      stub(async (req, body, res) => {
        hits[i]!++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        await forward(server.url, req, body, res);
        inFlight--;
      });
    const [a, b] = [await make(0), await make(1)];
    const backend = new OpenAIBackend({ endpoints: [a.url, b.url], model: 'tiny', maxConcurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => backend.score(`text number ${i}`)));
    assert.deepEqual(hits, [3, 3]);
    assert.ok(maxInFlight <= 2, `at most 2 in flight (saw ${maxInFlight})`);
    await close(a.server);
    await close(b.server);
  });

  test('non-streaming completion with echo + logprobs has the OpenAI shape', async () => {
    const r = (await (await fetch(`${server.url}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', prompt: 'Hello there', echo: true, logprobs: 2, max_tokens: 3, temperature: 0 }),
    })).json()) as { choices: { text: string; logprobs: { tokens: string[]; token_logprobs: (number | null)[]; top_logprobs: unknown[]; text_offset: number[] } }[]; usage: { completion_tokens: number } };
    const c = r.choices[0]!;
    assert.ok(c.text.startsWith('Hello there'));
    assert.equal(c.logprobs.token_logprobs[0], null);
    assert.equal(c.logprobs.tokens.join(''), c.text);
    assert.equal(c.logprobs.text_offset[0], 0);
    assert.equal(r.usage.completion_tokens, 3);
    const bad = await fetch(`${server.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt": 3}' });
    assert.equal(bad.status, 400);
  });
});

test('serve command: usage errors, and a bad folder fails with its message', async () => {
  const err: string[] = [];
  const io = { stdout: () => undefined, stderr: (s: string) => void err.push(s) };
  assert.equal(await runServe([], io), 2);
  assert.match(err.join(''), /--model DIR\|FILE\.gguf is required/);
  assert.equal(await runServe(['--model', '/nonexistent/model', '--port', '0'], io), 1);
  assert.match(err.join(''), /model folder not found: \/nonexistent\/model/);
});

test('serve command prints its URL on port 0 and stops on request', { skip: modelUnavailable() }, async () => {
  const out: string[] = [];
  const stop = new AbortController();
  const done = runServe(['--model', tinyModelDir(), '--port', '0', '--threads', '1'], { stdout: (s) => void out.push(s), stderr: () => undefined }, stop.signal);
  for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  const url = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out.join(''))?.[1];
  assert.ok(url, out.join(''));
  const r = await fetch(`${url}/models`);
  assert.equal(r.status, 200);
  stop.abort();
  assert.equal(await done, 0);
});
