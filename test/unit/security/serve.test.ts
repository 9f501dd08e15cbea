/**
 * `reasoning-lens serve` against hostile callers, over real HTTP on loopback with the embedded model:
 * foreign Host (DNS rebinding), cross-origin pages, text/plain bodies, API keys, non-loopback binds,
 * over-long prompts and bodies, slow clients, floods of concurrent requests and connections, and
 * memory after each request (measured on a `serve` child process).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { startServer, runServe, type RunningServer } from '../../../src/cli/serve';
import { isLoopbackHost, WorkQueue } from '../../../src/cli/serveGuard';
import type { ScoringBackend } from '../../../src/model/backend';
import { InProcessOnnxBackend } from '../../../src/model/onnx/local';
import { OpenAIBackend } from '../../../src/model/openai';
import { modelUnavailable, sampleText, tinyModelDir } from '../model/fixtures';
import { repoPath } from '../helpers';

const skip = modelUnavailable();

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with full control over the headers (fetch will not send a foreign Host). */
function send(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method: options.method ?? 'POST', path: options.path ?? '/v1/completions', headers: { host: u.host, ...options.headers }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.end(options.body);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const small = JSON.stringify({ prompt: 'Janet has 3 apples.', max_tokens: 2, temperature: 0 });

/** A backend that counts the model calls that reach it (refused requests must cost none). */
function counting(inner: ScoringBackend): ScoringBackend & { calls: number } {
  const b = {
    calls: 0,
    tokenize: (t: string, s?: AbortSignal) => (b.calls++, inner.tokenize(t, s)),
    score: (...a: Parameters<ScoringBackend['score']>) => (b.calls++, inner.score(...a)),
    generate: (...a: Parameters<ScoringBackend['generate']>) => (b.calls++, inner.generate(...a)),
    describe: () => inner.describe(),
    dispose: () => inner.dispose(),
  };
  return b;
}

/** Waits until `socket` is closed by the server; resolves with the milliseconds it took and what was read. */
function closedWithin(socket: Socket, ms: number): Promise<{ ms: number; data: string }> {
  const started = Date.now();
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (data += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - started, data });
    });
    socket.on('error', () => undefined);
  });
}

describe('serve: who may call', { skip }, () => {
  let local: InProcessOnnxBackend;
  let backend: ReturnType<typeof counting>;
  let server: RunningServer;
  let keyed: RunningServer;
  before(async () => {
    local = new InProcessOnnxBackend(tinyModelDir(), { threads: 1 });
    backend = counting(local);
    server = await startServer({ backend, modelName: 'tiny', allowedOrigins: ['https://notebook.example'] });
    keyed = await startServer({ backend: local, modelName: 'tiny', apiKey: 'k3y-for-tests' });
  });
  after(async () => {
    await server?.close();
    await keyed?.close();
    await local?.dispose();
  });

  test('a foreign Host header (DNS rebinding) is refused with 421 before any model work', async () => {
    const port = new URL(server.url).port;
    const calls = backend.calls;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, 'localhost.evil.example', '127.0.0.1.nip.io']) {
      const r = await send(server.url, { headers: { ...JSON_TYPE, host }, body: small });
      assert.equal(r.status, 421, `Host ${host}: ${r.body}`);
    }
    assert.equal((await send(server.url, { method: 'GET', path: '/v1/models', headers: { host: 'evil.example' } })).status, 421);
    const noHost = connect(Number(port), '127.0.0.1');
    noHost.write('GET /v1/models HTTP/1.0\r\n\r\n');
    assert.match((await closedWithin(noHost, 5000)).data, /^HTTP\/1\.1 421/, 'no Host header at all');
    assert.equal(backend.calls, calls, 'no model call for a refused request');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost', `LOCALHOST:${port}`]) {
      const r = await send(server.url, { headers: { ...JSON_TYPE, host }, body: small });
      assert.equal(r.status, 200, `Host ${host}: ${r.body}`);
    }
  });

  test('a request from another web origin is refused with 403; an allowed origin gets CORS headers', async () => {
    const calls = backend.calls;
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1', 'http://localhost']) {
      const r = await send(server.url, { headers: { ...JSON_TYPE, origin }, body: small });
      assert.equal(r.status, 403, `Origin ${origin}: ${r.body}`);
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    }
    assert.equal(backend.calls, calls);
    const preflight = await send(server.url, { method: 'OPTIONS', headers: { origin: 'https://notebook.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://notebook.example');
    const allowed = await send(server.url, { headers: { ...JSON_TYPE, origin: 'https://notebook.example' }, body: small });
    assert.equal(allowed.status, 200, allowed.body);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://notebook.example');
  });

  test('a body that is not declared application/json (a cross-origin "simple" POST) is refused with 415', async () => {
    const calls = backend.calls;
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await send(server.url, { headers: { 'content-type': type }, body: small });
      assert.equal(r.status, 415, `${type}: ${r.body}`);
    }
    assert.equal((await send(server.url, { body: small })).status, 415, 'no content type');
    assert.equal(backend.calls, calls);
    assert.equal((await send(server.url, { headers: { 'content-type': 'application/json; charset=utf-8' }, body: small })).status, 200);
  });

  test('--api-key: every /v1 request needs Authorization: Bearer KEY; the OpenAI client sends it', async () => {
    const none = await send(keyed.url, { headers: JSON_TYPE, body: small });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.equal((await send(keyed.url, { headers: { ...JSON_TYPE, authorization: 'Bearer wrong' }, body: small })).status, 401);
    assert.equal((await send(keyed.url, { method: 'GET', path: '/v1/models' })).status, 401);
    assert.equal((await send(keyed.url, { headers: { ...JSON_TYPE, authorization: 'Bearer k3y-for-tests' }, body: small })).status, 200);
    assert.equal((await send(keyed.url, { method: 'GET', path: '/health' })).status, 200, 'liveness needs no key');
    const scored = await new OpenAIBackend({ endpoints: [keyed.url], model: 'tiny', apiKey: 'k3y-for-tests' }).score('Two plus two is four.', { topK: 2 });
    assert.ok(scored.logprob.length > 3);
    await assert.rejects(new OpenAIBackend({ endpoints: [keyed.url], model: 'tiny', maxRetries: 0 }).score('x'), /401/);
  });
});

describe('serve: binding', () => {
  test('a non-loopback address without an API key is refused with exit 2 before the model loads', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'example.com']) {
      let err = '';
      const code = await runServe(['--model', '/nonexistent/model', '--host', host, '--port', '0'], { stdout: () => undefined, stderr: (s) => void (err += s) });
      assert.equal(code, 2, `${host}: ${err}`);
      assert.match(err, /refusing to listen on .* without an API key/);
      assert.match(err, /REASONING_LENS_API_KEY/);
    }
    // With a key the address is accepted: the run goes on to load the model (which is missing here: exit 1).
    let err = '';
    process.env.REASONING_LENS_API_KEY = 'from-env';
    try {
      assert.equal(await runServe(['--model', '/nonexistent/model', '--host', '0.0.0.0', '--port', '0'], { stdout: () => undefined, stderr: (s) => void (err += s) }), 1);
    } finally {
      delete process.env.REASONING_LENS_API_KEY;
    }
    assert.match(err, /model folder not found/);
    assert.equal(await runServe(['--model', '/nonexistent/model', '--host', '0.0.0.0', '--api-key', 'k', '--port', '0'], { stdout: () => undefined, stderr: () => undefined }), 1);
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example']) assert.ok(!isLoopbackHost(h), h);
  });
});

describe('serve: limits', { skip }, () => {
  let local: InProcessOnnxBackend;
  before(() => {
    local = new InProcessOnnxBackend(tinyModelDir(), { threads: 1 });
  });
  after(async () => {
    await local?.dispose();
  });

  test('prompts over the context and max_tokens over the context get 400 with the limit; oversized bodies 413 at once', async () => {
    const server = await startServer({ backend: local, modelName: 'tiny' });
    try {
      assert.equal(server.limits.contextTokens, 2048, "the embedded model's max_position_embeddings");
      const long = readFileSync(repoPath('media/samples/codeforces-r1-cot-174/response.md'), 'utf8');
      const tokens = (await local.tokenize(long)).ids.length;
      assert.ok(tokens > 2048 && Buffer.byteLength(JSON.stringify({ prompt: long })) < server.limits.maxBodyBytes, `${tokens} tokens`);
      const r = await send(server.url, { headers: JSON_TYPE, body: JSON.stringify({ prompt: long, echo: true, logprobs: 5, max_tokens: 0 }) });
      assert.equal(r.status, 400);
      assert.match(JSON.parse(r.body).error.message, new RegExp(`the prompt has ${tokens} tokens; this server accepts at most 2048`));
      const m = await send(server.url, { headers: JSON_TYPE, body: JSON.stringify({ prompt: 'Hi', max_tokens: 100_000 }) });
      assert.equal(m.status, 400);
      assert.match(JSON.parse(m.body).error.message, /max_tokens must be an integer in \[0, 2048\]/);
      const nearFull = sampleText(6000);
      const n = (await local.tokenize(nearFull)).ids.length;
      assert.ok(n < 2048 && n > 1000, `${n}`);
      const sum = await send(server.url, { headers: JSON_TYPE, body: JSON.stringify({ prompt: nearFull, max_tokens: 2048 - n + 1 }) });
      assert.equal(sum.status, 400);
      assert.match(JSON.parse(sum.body).error.message, /exceeds the model's context of 2048 tokens; ask for at most/);
      // The finding: a 1 MB prompt with echo + logprobs held 2.2 GB for minutes. Now it is refused before it is read.
      const started = Date.now();
      const big = await send(server.url, { headers: JSON_TYPE, body: JSON.stringify({ prompt: 'x'.repeat(1 << 20), echo: true, logprobs: 5, max_tokens: 0 }) });
      assert.equal(big.status, 413);
      assert.match(JSON.parse(big.body).error.message, /at most 2048 tokens/);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await server.close();
    }
    const capped = await startServer({ backend: local, modelName: 'tiny', maxPromptTokens: 50 });
    try {
      const r = await send(capped.url, { headers: JSON_TYPE, body: JSON.stringify({ prompt: sampleText(1000), max_tokens: 1 }) });
      assert.equal(r.status, 400);
      assert.match(JSON.parse(r.body).error.message, /at most 50 \(--max-prompt-tokens\)/);
    } finally {
      await capped.close();
    }
  });

  test('slow clients are cut off: headers and bodies must arrive in time', async () => {
    const server = await startServer({ backend: local, modelName: 'tiny', headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const port = Number(new URL(server.url).port);
    try {
      const headers = connect(port, '127.0.0.1');
      headers.write('POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty');
      const h = await closedWithin(headers, 5000);
      assert.match(h.data, /^HTTP\/1\.1 408/);
      const body = connect(port, '127.0.0.1');
      body.write(`POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"prompt": "`);
      const b = await closedWithin(body, 6000);
      assert.ok(b.ms >= 500, `${b.ms} ms`);
      // Many half-sent requests (the finding: 350 stayed open for good) are all closed.
      const sockets = Array.from({ length: 40 }, () => {
        const s = connect(port, '127.0.0.1');
        s.write('POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"pro');
        return closedWithin(s, 6000);
      });
      await Promise.all(sockets);
      assert.equal(server.stats().connections, 0);
    } finally {
      await server.close();
    }
  });

  test('50 concurrent requests: a bounded queue answers the rest 503 with Retry-After; connections are capped', async () => {
    const backend = counting(local);
    const server = await startServer({ backend, modelName: 'tiny', maxQueued: 4, maxConnections: 60 });
    try {
      const body = JSON.stringify({ prompt: sampleText(2000), echo: true, logprobs: 5, max_tokens: 4, temperature: 0 });
      const replies = await Promise.all(Array.from({ length: 50 }, () => send(server.url, { headers: JSON_TYPE, body })));
      const ok = replies.filter((r) => r.status === 200);
      const busy = replies.filter((r) => r.status === 503);
      assert.equal(ok.length + busy.length, 50, `statuses ${replies.map((r) => r.status).join(' ')}`);
      assert.ok(ok.length >= 1 && ok.length <= 50 && busy.length >= 1, `${ok.length} answered, ${busy.length} busy`);
      for (const r of busy) assert.match(String(r.headers['retry-after']), /^\d+$/);
      assert.ok(server.stats().peakQueued <= 5, `peak ${server.stats().peakQueued} slots (1 running + 4 queued)`);
      // Each admitted request costs at most tokenize + generate + score.
      assert.ok(backend.calls <= ok.length * 3, `${backend.calls} model calls for ${ok.length} answers`);
    } finally {
      await server.close();
    }

    const few = await startServer({ backend: local, modelName: 'tiny', maxConnections: 8 });
    const port = Number(new URL(few.url).port);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) sockets.push(connect(port, '127.0.0.1'));
      const closed = sockets.map((s) => closedWithin(s, 2000).then(() => true, () => false));
      const results = await Promise.all(closed);
      assert.equal(results.filter((c) => !c).length, 8, 'the first 8 connections stay open, the other 12 are closed');
      assert.ok(few.stats().peakConnections <= 8, `${few.stats().peakConnections}`);
    } finally {
      for (const s of sockets) s.destroy();
      await few.close();
    }
  });

  test('a client that leaves while queued gives its place back', async () => {
    const queue = new WorkQueue(2);
    const first = queue.reserve();
    await first.turn();
    const second = queue.reserve();
    const leaving = new AbortController();
    const waiting = second.turn(leaving.signal);
    const third = queue.reserve();
    assert.throws(() => queue.reserve(), (e: Error & { status?: number; headers?: Record<string, string> }) => e.status === 503 && /^\d+$/.test(e.headers?.['retry-after'] ?? ''));
    leaving.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    second.release();
    assert.equal(queue.size, 2);
    first.release();
    await third.turn();
    third.release();
    assert.equal(queue.size, 0);
  });
});

describe('serve: memory', { skip }, () => {
  test('memory returns near idle after each request (a serve process, RSS from /proc)', { skip: !existsSync('/proc/self/status') && 'no /proc here' }, async (t) => {
    const cli = repoPath('out/cli.js');
    assert.ok(existsSync(cli), 'out/cli.js is built before the unit tier');
    const child = spawn(process.execPath, [cli, 'serve', '--model', tinyModelDir(), '--port', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: '' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
      const post = (body: object): Promise<Reply> => send(url, { headers: JSON_TYPE, body: JSON.stringify(body) });
      assert.equal((await post({ prompt: 'Hello', max_tokens: 2 })).status, 200);
      const idle = rssMb();
      const big = await post({ prompt: 'x'.repeat(1 << 20), echo: true, logprobs: 5, max_tokens: 0 });
      assert.equal(big.status, 413);
      assert.ok(rssMb() - idle < 40, `a refused 1 MB prompt: ${Math.round(rssMb() - idle)} MB above idle`);
      const text = sampleText(6000);
      const after: number[] = [];
      for (let i = 0; i < 6; i++) {
        assert.equal((await post({ prompt: text, echo: true, logprobs: 5, max_tokens: 0 })).status, 200);
        after.push(rssMb() - idle);
      }
      t.diagnostic(`idle ${Math.round(idle)} MB; above idle after each full-context request: ${after.map(Math.round).join(', ')} MB`);
      // Bounded by the context cap (the ONNX runtime and malloc keep part of a request's peak), and not growing.
      assert.ok(Math.max(...after) < 256, `MB above idle after each full-context request: ${after.map(Math.round).join(', ')}`);
      assert.ok(after[5]! < after[0]! + 100, `no growth from request to request: ${after.map(Math.round).join(', ')}`);
    } finally {
      child.kill();
    }
  });
});
