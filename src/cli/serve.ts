/**
 * `reasoning-lens serve --model DIR [--port P] [--host 127.0.0.1]`: the local ONNX model as an
 * OpenAI-compatible server (node:http): `GET /v1/models`, `POST /v1/completions` with `echo` +
 * `logprobs` (tokens, token_logprobs, top_logprobs, text_offset), `max_tokens` generation and
 * `stream: true` (server-sent events). Binds 127.0.0.1 unless told otherwise; port 0 picks a free port.
 *
 * Hostile callers are expected (a web page in the user's browser can reach 127.0.0.1): see
 * `serveGuard.ts` for the Host / Origin / content-type / API-key rules. Prompts are capped at the
 * model's context, bodies at a size derived from it, each request and its headers must arrive in
 * time, connections are capped and model work queues in a bounded queue (503 + Retry-After beyond).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import type { ScoredText, ScoringBackend } from '../model/backend';
import { InProcessOnnxBackend } from '../model/onnx/local';
import { ArgError, parseArgs } from './args';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand } from './io';
import { allowedHosts, bearerChecker, checkHost, checkJsonContentType, checkOrigin, HttpError, isLoopbackHost, WorkQueue } from './serveGuard';
import { isAbortError } from '../core/cancel';

/** Context assumed when the model's config names none (max_position_embeddings). */
const FALLBACK_CONTEXT = 2048;

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
  /** Required as `Authorization: Bearer …` on every /v1 request when set. */
  readonly apiKey?: string;
  /** Extra names the Host header may carry (a DNS name the server is reached by). */
  readonly allowedHosts?: readonly string[];
  /** Web origins allowed to call (CORS); by default every request with an Origin header is refused. */
  readonly allowedOrigins?: readonly string[];
  /** The model's context in tokens (default: the ONNX model's max_position_embeddings, else 2,048). */
  readonly contextTokens?: number;
  /** Largest prompt in tokens (default: the context). */
  readonly maxPromptTokens?: number;
  /** Largest request body (bytes; default 64 bytes per prompt token, at least 256 kB). */
  readonly maxBodyBytes?: number;
  /** Open connections at most (default 64); further ones are closed at once. */
  readonly maxConnections?: number;
  /** Requests waiting for the model at most, besides the running one (default 16); beyond: 503. */
  readonly maxQueued?: number;
  /** Time to receive the request headers (ms, default 10,000). */
  readonly headersTimeoutMs?: number;
  /** Time to receive the whole request (ms, default 30,000). */
  readonly requestTimeoutMs?: number;
}

export interface RunningServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly backend: ScoringBackend;
  /** The limits in force (for the startup message and tests). */
  readonly limits: { readonly contextTokens: number; readonly maxPromptTokens: number; readonly maxBodyBytes: number; readonly maxConnections: number; readonly maxQueued: number };
  /** Most connections and queue slots held at once since the start. */
  stats(): { readonly connections: number; readonly peakConnections: number; readonly peakQueued: number };
  close(): Promise<void>;
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

/** The model's context (config.json or GGUF header), when the backend is a local model. */
async function modelContext(backend: ScoringBackend): Promise<number | undefined> {
  return backend instanceof InProcessOnnxBackend ? (await backend.load()).contextLength : undefined;
}

/** Starts the server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const ownBackend = !options.backend;
  if (!options.backend && !options.modelDir) throw new Error('startServer needs a backend or a modelDir');
  const backend = options.backend ?? new InProcessOnnxBackend(options.modelDir!);
  const modelName = options.modelName ?? (options.modelDir ? basename(options.modelDir) : backend.describe().name);
  const contextTokens = options.contextTokens ?? (await modelContext(backend)) ?? FALLBACK_CONTEXT;
  const maxPromptTokens = options.maxPromptTokens ?? contextTokens;
  const maxBody = options.maxBodyBytes ?? Math.max(256 * 1024, maxPromptTokens * 64);
  const maxConnections = options.maxConnections ?? 64;
  const queue = new WorkQueue(options.maxQueued ?? 16);
  const checkKey = options.apiKey ? bearerChecker(options.apiKey) : undefined;
  const bound = options.host ?? '127.0.0.1';
  const hosts = allowedHosts(bound, options.allowedHosts);
  const origins = options.allowedOrigins ?? [];
  let port = 0;
  let counter = 0;

  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, options.requestTimeoutMs ?? 30_000),
      // How often those two are checked (Node's default, 30 s, would let a slow client stay 30 s longer).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, headersTimeout / 4)),
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      const controller = new AbortController();
      // The client went away before we finished: stop the model work.
      res.on('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      handle(req, res, controller.signal).catch((e: unknown) => {
        const status = e instanceof HttpError ? e.status : isAbortError(e) ? 499 : 500;
        const message = e instanceof Error ? e.message : String(e);
        // A refused body is not read: the answer goes out with Connection: close, what the client is still
        // sending is discarded for at most a second (so it can read the answer), then the socket is closed.
        const unread = !req.complete;
        if (!res.headersSent) {
          const headers = { ...(e instanceof HttpError ? e.headers : {}), ...(unread ? { connection: 'close' } : {}) };
          sendJson(res, status, { error: { message, type: status < 500 ? 'invalid_request_error' : 'server_error' } }, headers);
        } else if (!res.writableEnded) {
          res.write(`data: ${JSON.stringify({ error: { message, type: 'server_error' } })}\n\n`);
          res.end();
        }
        if (unread) {
          req.resume();
          const timer = setTimeout(() => req.socket.destroy(), 1000);
          req.socket.once('close', () => clearTimeout(timer));
        }
      });
    },
  );
  // Connections beyond the cap are closed by node:net before any byte is read.
  server.maxConnections = maxConnections;
  let connections = 0;
  let peakConnections = 0;
  server.on('connection', (socket) => {
    peakConnections = Math.max(peakConnections, ++connections);
    socket.once('close', () => connections--);
  });

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    checkHost(req, hosts, port);
    const origin = checkOrigin(req, hosts, port, origins);
    if (origin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'OPTIONS' && origin) {
      // CORS preflight of an allowed origin.
      res.writeHead(204, { 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' });
      res.end();
      return;
    }
    if (path === '/health') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    checkKey?.(req);
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'reasoning-lens', max_model_len: contextTokens }] });
      return;
    }
    if (path === '/v1/completions' || path === '/completions') {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      checkJsonContentType(req);
      // A place in the queue before the body is read: a flood is refused without buffering it.
      const slot = queue.reserve();
      try {
        const body = await readJson(req, maxBody, maxPromptTokens);
        const request = parseCompletion(body as CompletionRequest);
        await slot.turn(signal);
        await completions(request, res, signal);
      } finally {
        slot.release();
      }
      return;
    }
    throw new HttpError(404, `no route ${req.method} ${path} (this server has GET /v1/models and POST /v1/completions)`);
  }

  interface Completion {
    readonly prompt: string;
    readonly echo: boolean;
    readonly logprobs: number | undefined;
    /** undefined: the OpenAI default (16), shortened to what the context leaves. */
    readonly maxTokens: number | undefined;
    readonly temperature: number;
    readonly topP: number;
    readonly stop: string[];
    readonly seed: number | undefined;
    readonly stream: boolean;
  }

  function parseCompletion(body: CompletionRequest): Completion {
    if (typeof body !== 'object' || body === null) throw new HttpError(400, 'the body must be a JSON object');
    let prompt = body.prompt;
    if (typeof prompt !== 'string') {
      if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
      else throw new HttpError(400, 'prompt must be a string');
    }
    return {
      prompt: prompt as string,
      echo: body.echo === true,
      logprobs: body.logprobs === null || body.logprobs === undefined ? undefined : int(body.logprobs, 'logprobs', 0, 20),
      maxTokens: body.max_tokens === undefined || body.max_tokens === null ? undefined : int(body.max_tokens, 'max_tokens', 0, contextTokens, `the model's context is ${contextTokens} tokens`),
      temperature: body.temperature === undefined ? 1 : num(body.temperature, 'temperature'),
      topP: body.top_p === undefined ? 1 : num(body.top_p, 'top_p'),
      stop: typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === 'string') : [],
      seed: typeof body.seed === 'number' ? body.seed : undefined,
      stream: body.stream === true,
    };
  }

  async function completions(request: Completion, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const { prompt, echo, logprobs, temperature, topP, stop, seed } = request;
    const promptTokens = (await backend.tokenize(prompt, signal)).ids.length;
    if (promptTokens > maxPromptTokens) {
      throw new HttpError(400, `the prompt has ${promptTokens} tokens; this server accepts at most ${maxPromptTokens} (${maxPromptTokens === contextTokens ? "the model's context" : '--max-prompt-tokens'})`);
    }
    const room = Math.max(0, Math.max(contextTokens, maxPromptTokens) - promptTokens);
    const maxTokens = request.maxTokens ?? Math.min(16, room);
    if (maxTokens > room) {
      throw new HttpError(400, `the prompt (${promptTokens} tokens) plus max_tokens (${maxTokens}) exceeds the model's context of ${contextTokens} tokens; ask for at most ${room}`);
    }
    const id = `cmpl-${Date.now().toString(36)}${(counter++).toString(36)}`;
    const created = Math.floor(Date.now() / 1000);

    if (request.stream) {
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
    if (logprobs !== undefined) {
      // Logprobs of the prompt (with echo) and of the completion, from one teacher-forced pass.
      const full = prompt + completion;
      const scored = await backend.score(full, { topK: logprobs, entropy: false, signal });
      const before = countBefore(scored, prompt.length);
      lp = toOpenAILogprobs(scored, full, echo ? 0 : before, echo ? 0 : prompt.length);
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
    server.listen(options.port ?? 0, bound, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/v1`,
    backend,
    limits: { contextTokens, maxPromptTokens, maxBodyBytes: maxBody, maxConnections, maxQueued: options.maxQueued ?? 16 },
    stats: () => ({ connections, peakConnections, peakQueued: queue.peak }),
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
  while (n < scored.starts.length && scored.starts[n]! < offset) n++;
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
    tokens.push(shared ? '' : scored.tokens[t]!);
    const lp = scored.logprob[t]!;
    tokenLogprobs.push(Number.isNaN(lp) ? null : lp);
    // Code-point offsets, as Python servers (vLLM) count them; clients map them back to UTF-16.
    textOffset.push(toCodePoints(scored.starts[t]!) - toCodePoints(offsetBase));
    if (!scored.topK || Number.isNaN(scored.topK.logprobs[t * k])) {
      top.push(Number.isNaN(lp) ? null : {});
      continue;
    }
    const row: Record<string, number> = {};
    for (let j = 0; j < k; j++) {
      const v = scored.topK.logprobs[t * k + j]!;
      const s = scored.topK.tokens?.[t * k + j] ?? String(scored.topK.ids?.[t * k + j]);
      if (!Number.isNaN(v) && !(s in row)) row[s] = v;
    }
    top.push(row);
  }
  return { tokens, token_logprobs: tokenLogprobs, top_logprobs: top, text_offset: textOffset };
}

function int(v: unknown, name: string, min: number, max: number, why?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HttpError(400, `${name} must be an integer in [${min}, ${max}]${why ? ` (${why})` : ''}`);
  return v;
}

function num(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new HttpError(400, `${name} must be a non-negative number`);
  return v;
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads a JSON body of at most `maxBytes` (413 beyond, said before reading when Content-Length tells). */
async function readJson(req: IncomingMessage, maxBytes: number, maxPromptTokens: number): Promise<unknown> {
  const tooLarge = (): HttpError =>
    new HttpError(413, `request body larger than ${maxBytes} bytes (this server accepts prompts of at most ${maxPromptTokens} tokens)`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    throw new HttpError(400, `request body is not JSON: ${(e as Error).message}`);
  }
}

const SERVE_OPTIONS = {
  model: { type: 'string', short: 'm', description: 'model folder (Hugging Face / Optimum layout) or .gguf file' },
  variant: { type: 'string', description: 'ONNX file in onnx/ (model_quantized, …)' },
  port: { type: 'string', short: 'p', description: 'port (0 = a free one; default 8000)' },
  host: { type: 'string', description: 'address to bind (default 127.0.0.1; any other than loopback needs an API key)' },
  name: { type: 'string', description: 'model name reported by /v1/models' },
  threads: { type: 'string', description: 'inference threads (default: all cores)' },
  'api-key': { type: 'string', description: 'require Authorization: Bearer KEY (better: the REASONING_LENS_API_KEY environment variable, which ps does not show)' },
  'max-prompt-tokens': { type: 'string', description: "largest prompt in tokens (default: the model's context)" },
  'allowed-host': { type: 'string', description: 'extra Host header names, comma-separated (a DNS name the server is reached by)' },
  'allowed-origin': { type: 'string', description: 'web origins allowed to call, comma-separated (default: none)' },
  'max-connections': { type: 'string', description: 'open connections at most (default 64)' },
  'max-queue': { type: 'string', description: 'requests waiting for the model at most (default 16; beyond: 503 with Retry-After)' },
} as const;

/**
 * `reasoning-lens serve`: runs until SIGINT / SIGTERM (or `stopSignal` aborts, for tests). Prints the
 * URL on stdout once listening.
 */
export const serveCommand: CliCommand = {
  summary: 'serve a local ONNX model as an OpenAI-compatible /v1/completions endpoint',
  usage:
    'reasoning-lens serve --model DIR|FILE.gguf [--port 8000] [--host 127.0.0.1] [--api-key KEY] [--max-prompt-tokens N] [--allowed-host NAMES] [--allowed-origin ORIGINS] [--max-connections 64] [--max-queue 16] [--variant model_quantized] [--name NAME] [--threads N]',
  run: (argv, io) => runServe(argv, io),
};

/** A positive whole number option, or undefined when absent; throws ArgError otherwise. */
function positiveInt(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ArgError(`--${name} takes a whole number ≥ ${min} (got ${value})`);
  return n;
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The body of `serve`; `stopSignal` ends it (tests), otherwise SIGINT / SIGTERM do. */
export async function runServe(argv: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }, stopSignal?: AbortSignal): Promise<number> {
  let parsed;
  let limits: { maxPromptTokens?: number | undefined; maxConnections?: number | undefined; maxQueued?: number | undefined; threads?: number | undefined };
  try {
    parsed = parseArgs(argv, SERVE_OPTIONS);
    const o = parsed.options;
    limits = {
      maxPromptTokens: positiveInt(o['max-prompt-tokens'], 'max-prompt-tokens'),
      maxConnections: positiveInt(o['max-connections'], 'max-connections'),
      maxQueued: positiveInt(o['max-queue'], 'max-queue', 0),
      threads: positiveInt(o.threads, 'threads'),
    };
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
    io.stderr(`reasoning-lens serve: --model DIR|FILE.gguf is required\nusage: ${serveCommand.usage}\n`);
    return EXIT_USAGE;
  }
  const port = o.port === undefined ? 8000 : Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr(`reasoning-lens serve: --port must be 0-65535\n`);
    return EXIT_USAGE;
  }
  const host = o.host ?? '127.0.0.1';
  const apiKey = o['api-key'] ?? (process.env.REASONING_LENS_API_KEY || undefined);
  if (!apiKey && !isLoopbackHost(host)) {
    io.stderr(
      `reasoning-lens serve: refusing to listen on ${host} without an API key: anyone who can reach that address could use the model.\n` +
        `Set REASONING_LENS_API_KEY (or --api-key KEY) so that clients must send Authorization: Bearer KEY, or bind 127.0.0.1.\n`,
    );
    return EXIT_USAGE;
  }
  process.env.ORT_DISABLE_TELEMETRY = '1';
  const backend = new InProcessOnnxBackend(modelDir, { ...(o.variant ? { variant: o.variant } : {}), ...(limits.threads ? { threads: limits.threads } : {}) });
  try {
    await backend.load();
  } catch (e) {
    io.stderr(`reasoning-lens serve: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let server: RunningServer;
  try {
    server = await startServer({
      backend,
      host,
      port,
      modelName: o.name ?? basename(modelDir).replace(/\.gguf$/i, ''),
      ...(apiKey ? { apiKey } : {}),
      allowedHosts: list(o['allowed-host']),
      allowedOrigins: list(o['allowed-origin']),
      ...(limits.maxPromptTokens ? { maxPromptTokens: limits.maxPromptTokens } : {}),
      ...(limits.maxConnections ? { maxConnections: limits.maxConnections } : {}),
      ...(limits.maxQueued !== undefined ? { maxQueued: limits.maxQueued } : {}),
    });
  } catch (e) {
    io.stderr(`reasoning-lens serve: cannot listen: ${(e as Error).message}\n`);
    await backend.dispose();
    return EXIT_FAILURE;
  }
  const l = server.limits;
  io.stdout(`serving ${backend.describe().name} at ${server.url}\n`);
  io.stderr(
    `context ${l.contextTokens} tokens; prompts up to ${l.maxPromptTokens} tokens, bodies up to ${l.maxBodyBytes} bytes; ` +
      `${l.maxConnections} connections, ${l.maxQueued} queued requests; ${apiKey ? 'API key required' : 'no API key (loopback only)'}\n`,
  );
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
  return (o) => map[Math.max(0, Math.min(text.length, o))]!;
}
