/**
 * `reasoning-lens serve --model DIR [--port P] [--host 127.0.0.1]`: the local ONNX model as an
 * OpenAI-compatible server (node:http): `GET /v1/models`, `POST /v1/completions` with `echo` +
 * `logprobs` (tokens, token_logprobs, top_logprobs, text_offset), `max_tokens` generation and
 * `stream: true` (server-sent events). Binds 127.0.0.1 unless told otherwise; port 0 picks a free port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import type { ScoredText, ScoringBackend } from '../model/backend';
import { InProcessOnnxBackend } from '../model/onnx/local';
import { ArgError, parseArgs } from './args';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand } from './io';

export interface ServerOptions {
  /** The backend to expose; or `modelDir` to load an ONNX model folder in this process. */
  readonly backend?: ScoringBackend;
  readonly modelDir?: string;
  /** Name returned by /v1/models and in responses (default: the folder name). */
  readonly modelName?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Largest request body accepted (bytes, default 32 MB). */
  readonly maxBodyBytes?: number;
}

export interface RunningServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly backend: ScoringBackend;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface CompletionRequest {
  prompt?: unknown;
  echo?: unknown;
  logprobs?: unknown;
  max_tokens?: unknown;
  temperature?: unknown;
  top_p?: unknown;
  stop?: unknown;
  stream?: unknown;
  seed?: unknown;
}

/** Starts the server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const ownBackend = !options.backend;
  if (!options.backend && !options.modelDir) throw new Error('startServer needs a backend or a modelDir');
  const backend = options.backend ?? new InProcessOnnxBackend(options.modelDir!);
  const modelName = options.modelName ?? (options.modelDir ? basename(options.modelDir) : backend.describe().name);
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024;
  let counter = 0;

  const server = createServer((req, res) => {
    const controller = new AbortController();
    // The client went away before we finished: stop the model work.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    handle(req, res, controller.signal).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : e instanceof Error && e.name === 'AbortError' ? 499 : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) {
        sendJson(res, status, { error: { message, type: status < 500 ? 'invalid_request_error' : 'server_error' } });
      } else if (!res.writableEnded) {
        res.write(`data: ${JSON.stringify({ error: { message, type: 'server_error' } })}\n\n`);
        res.end();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'reasoning-lens' }] });
      return;
    }
    if (path === '/v1/completions' || path === '/completions') {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      const body = await readJson(req, maxBody);
      await completions(body as CompletionRequest, res, signal);
      return;
    }
    if (path === '/health') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    throw new HttpError(404, `no route ${req.method} ${path} (this server has GET /v1/models and POST /v1/completions)`);
  }

  async function completions(body: CompletionRequest, res: ServerResponse, signal: AbortSignal): Promise<void> {
    if (typeof body.prompt !== 'string') {
      if (Array.isArray(body.prompt) && body.prompt.length === 1 && typeof body.prompt[0] === 'string') body.prompt = body.prompt[0];
      else throw new HttpError(400, 'prompt must be a string');
    }
    const prompt = body.prompt as string;
    const echo = body.echo === true;
    const logprobs = body.logprobs === null || body.logprobs === undefined ? undefined : int(body.logprobs, 'logprobs', 0, 20);
    const maxTokens = body.max_tokens === undefined || body.max_tokens === null ? 16 : int(body.max_tokens, 'max_tokens', 0, 1 << 20);
    const temperature = body.temperature === undefined ? 1 : num(body.temperature, 'temperature');
    const topP = body.top_p === undefined ? 1 : num(body.top_p, 'top_p');
    const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === 'string') : [];
    const seed = typeof body.seed === 'number' ? body.seed : undefined;
    const id = `cmpl-${Date.now().toString(36)}${(counter++).toString(36)}`;
    const created = Math.floor(Date.now() / 1000);

    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const event = (text: string, finish: string | null): void => {
        res.write(`data: ${JSON.stringify({ id, object: 'text_completion', created, model: modelName, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] })}\n\n`);
      };
      if (echo) event(prompt, null);
      const g = maxTokens > 0 ? await backend.generate(prompt, { maxTokens, temperature, topP, stop, seed, signal, onToken: (t) => event(t, null) }) : undefined;
      event('', g ? (g.finishReason === 'eos' ? 'stop' : g.finishReason) : 'length');
      res.write('data: [DONE]\n\n');
      res.end();
      return;
    }

    const g = maxTokens > 0 ? await backend.generate(prompt, { maxTokens, temperature, topP, stop, seed, signal }) : undefined;
    const completion = g?.text ?? '';
    let lp: object | null = null;
    let promptTokens = 0;
    if (logprobs !== undefined || echo) {
      // Logprobs of the prompt (with echo) and of the completion, from one teacher-forced pass.
      const full = prompt + completion;
      const scored = await backend.score(full, { topK: logprobs ?? 0, entropy: false, signal });
      promptTokens = countBefore(scored, prompt.length);
      if (logprobs !== undefined) lp = toOpenAILogprobs(scored, full, echo ? 0 : promptTokens, echo ? 0 : prompt.length);
    } else {
      promptTokens = (await backend.tokenize(prompt, signal)).ids.length;
    }
    const completionTokens = g?.tokenCount ?? 0;
    sendJson(res, 200, {
      id,
      object: 'text_completion',
      created,
      model: modelName,
      choices: [{ index: 0, text: echo ? prompt + completion : completion, logprobs: lp, finish_reason: g ? (g.finishReason === 'eos' ? 'stop' : g.finishReason) : 'length' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    backend,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownBackend) await backend.dispose();
    },
  };
}

/** Number of tokens that start before `offset` (the prompt's tokens in prompt + completion). */
function countBefore(scored: ScoredText, offset: number): number {
  let n = 0;
  while (n < scored.starts.length && scored.starts[n] < offset) n++;
  return n;
}

/** OpenAI legacy `logprobs` object for tokens `from…`, offsets relative to `offsetBase`. */
function toOpenAILogprobs(scored: ScoredText, text: string, from: number, offsetBase: number): object {
  const tokens: string[] = [];
  const tokenLogprobs: (number | null)[] = [];
  const top: (Record<string, number> | null)[] = [];
  const textOffset: number[] = [];
  const k = scored.topK?.k ?? 0;
  const toCodePoints = utf16ToCodePoint(text);
  for (let t = from; t < scored.ids.length; t++) {
    // Bytes of one character share its span: only the first token of such a group carries the text.
    const shared = t > 0 && scored.starts[t] === scored.starts[t - 1];
    tokens.push(shared ? '' : scored.tokens[t]);
    const lp = scored.logprob[t];
    tokenLogprobs.push(Number.isNaN(lp) ? null : lp);
    // Code-point offsets, as Python servers (vLLM) count them; clients map them back to UTF-16.
    textOffset.push(toCodePoints(scored.starts[t]) - toCodePoints(offsetBase));
    if (!scored.topK || Number.isNaN(scored.topK.logprobs[t * k])) {
      top.push(Number.isNaN(lp) ? null : {});
      continue;
    }
    const row: Record<string, number> = {};
    for (let j = 0; j < k; j++) {
      const v = scored.topK.logprobs[t * k + j];
      const s = scored.topK.tokens?.[t * k + j] ?? String(scored.topK.ids?.[t * k + j]);
      if (!Number.isNaN(v) && !(s in row)) row[s] = v;
    }
    top.push(row);
  }
  return { tokens, token_logprobs: tokenLogprobs, top_logprobs: top, text_offset: textOffset };
}

function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HttpError(400, `${name} must be an integer in [${min}, ${max}]`);
  return v;
}

function num(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new HttpError(400, `${name} must be a non-negative number`);
  return v;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    throw new HttpError(400, `request body is not JSON: ${(e as Error).message}`);
  }
}

const SERVE_OPTIONS = {
  model: { type: 'string', short: 'm', description: 'model folder (Hugging Face / Optimum layout)' },
  variant: { type: 'string', description: 'ONNX file in onnx/ (model_quantized, …)' },
  port: { type: 'string', short: 'p', description: 'port (0 = a free one; default 8000)' },
  host: { type: 'string', description: 'address to bind (default 127.0.0.1)' },
  name: { type: 'string', description: 'model name reported by /v1/models' },
  threads: { type: 'string', description: 'inference threads (default: all cores)' },
} as const;

/**
 * `reasoning-lens serve`: runs until SIGINT / SIGTERM (or `stopSignal` aborts, for tests). Prints the
 * URL on stdout once listening.
 */
export const serveCommand: CliCommand = {
  summary: 'serve a local ONNX model as an OpenAI-compatible /v1/completions endpoint',
  usage: 'reasoning-lens serve --model DIR [--port 8000] [--host 127.0.0.1] [--variant model_quantized] [--name NAME] [--threads N]',
  run: (argv, io) => runServe(argv, io),
};

/** The body of `serve`; `stopSignal` ends it (tests), otherwise SIGINT / SIGTERM do. */
export async function runServe(argv: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }, stopSignal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv, SERVE_OPTIONS);
  } catch (e) {
    if (e instanceof ArgError) {
      io.stderr(`reasoning-lens serve: ${e.message}\nusage: ${serveCommand.usage}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const o = parsed.options;
  const modelDir = o.model ?? parsed.positionals[0];
  if (!modelDir) {
    io.stderr(`reasoning-lens serve: --model DIR is required\nusage: ${serveCommand.usage}\n`);
    return EXIT_USAGE;
  }
  const port = o.port === undefined ? 8000 : Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr(`reasoning-lens serve: --port must be 0-65535\n`);
    return EXIT_USAGE;
  }
  const threads = o.threads === undefined ? undefined : Number(o.threads);
  process.env.ORT_DISABLE_TELEMETRY = '1';
  const backend = new InProcessOnnxBackend(modelDir, { variant: o.variant, threads });
  try {
    await backend.load();
  } catch (e) {
    io.stderr(`reasoning-lens serve: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let server: RunningServer;
  try {
    server = await startServer({ backend, host: o.host ?? '127.0.0.1', port, modelName: o.name ?? basename(modelDir) });
  } catch (e) {
    io.stderr(`reasoning-lens serve: cannot listen: ${(e as Error).message}\n`);
    await backend.dispose();
    return EXIT_FAILURE;
  }
  io.stdout(`serving ${backend.describe().name} at ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    stopSignal?.addEventListener('abort', stop, { once: true });
  });
  await server.close();
  await backend.dispose();
  return EXIT_OK;
}

/** Maps UTF-16 offsets to code-point offsets in `text`. */
function utf16ToCodePoint(text: string): (offset: number) => number {
  const map = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[i] = cp;
    const c = text.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) cp++;
    else map[i] = cp - 1;
  }
  map[text.length] = cp;
  return (o) => map[Math.max(0, Math.min(text.length, o))];
}
