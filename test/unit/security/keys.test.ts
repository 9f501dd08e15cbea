/**
 * The CLI sends $OPENAI_API_KEY only where nobody on the path can read it: https endpoints and
 * endpoints on this machine, unless --allow-http-key. Requests are recorded by a fetch stand-in
 * (no network), so the test sees exactly which URL would have received which Authorization header.
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../src/cli/main';
import { repoPath } from '../helpers';

const TRACE = repoPath('media/samples/codeforces-r1-cot-174/response.md');
let seen: { url: string; authorization: string | undefined }[] = [];
const realFetch = globalThis.fetch;
const savedKey = process.env.OPENAI_API_KEY;

beforeEach(() => {
  seen = [];
  globalThis.fetch = (async (url: string | URL, init?: RequestInit) => {
    seen.push({ url: String(url), authorization: (init?.headers as Record<string, string> | undefined)?.authorization });
    // A 400 is not retried: one recorded request per run.
    return new Response(JSON.stringify({ error: { message: 'recorded, not served' } }), { status: 400, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  process.env.OPENAI_API_KEY = 'sk-test-secret';
});

afterEach(() => {
  globalThis.fetch = realFetch;
  if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = savedKey;
});

async function score(...extra: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(['score', TRACE, '--json', '--endpoint-model', 'm', ...extra], { stdout: () => undefined, stderr: (s) => void (err += s) });
  return { code, err };
}

test('an API key is never sent over plain http to another machine (exit 2, no request)', async () => {
  for (const endpoint of ['http://192.0.2.1:8000/v1', 'http://gpu1.example:8000', 'http://127.0.0.1:9/v1,http://192.0.2.7/v1']) {
    const r = await score('--endpoint', endpoint);
    assert.equal(r.code, 2, `${endpoint}: ${r.err}`);
    assert.match(r.err, /refusing to send the API key .* over plain http to (192\.0\.2\.|gpu1)/);
    assert.match(r.err, /--allow-http-key/);
  }
  let err = '';
  const prune = await main(['prune', TRACE, '--method', 'perplexity', '-o', '/tmp/rl-never-written.md', '--endpoint', 'http://192.0.2.1/v1', '--endpoint-model', 'm'], { stdout: () => undefined, stderr: (s) => void (err += s) });
  assert.equal(prune, 2, err);
  assert.deepEqual(seen, [], 'no request left the process');
});

test('https, loopback and --allow-http-key endpoints get the key; without a key plain http is fine', async () => {
  for (const [args, url] of [
    [['--endpoint', 'https://scorer.example/v1'], 'https://scorer.example/v1/completions'],
    [['--endpoint', 'http://127.0.0.1:8000/v1'], 'http://127.0.0.1:8000/v1/completions'],
    [['--endpoint', 'http://localhost:8000'], 'http://localhost:8000/v1/completions'],
    [['--endpoint', 'http://[::1]:8000/v1'], 'http://[::1]:8000/v1/completions'],
    [['--endpoint', 'http://192.0.2.1:8000/v1', '--allow-http-key'], 'http://192.0.2.1:8000/v1/completions'],
  ] as const) {
    seen = [];
    await score(...args);
    assert.equal(seen[0]?.url, url);
    assert.equal(seen[0]?.authorization, 'Bearer sk-test-secret', url);
  }
  delete process.env.OPENAI_API_KEY;
  seen = [];
  await score('--endpoint', 'http://192.0.2.1:8000/v1');
  assert.equal(seen[0]?.url, 'http://192.0.2.1:8000/v1/completions');
  assert.equal(seen[0]?.authorization, undefined);
});
