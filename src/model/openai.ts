/**
 * An OpenAI-compatible `/v1/completions` endpoint (vLLM, llama.cpp server, `reasoning-lens serve`…) as a
 * `ScoringBackend`. Scoring asks for the prompt's own logprobs (`echo: true, logprobs: k, max_tokens: 0`;
 * servers that refuse `max_tokens: 0` are retried with 1 and the generated token dropped; vLLM's
 * `prompt_logprobs` is an alternative mode). Generation streams server-sent events.
 *
 * Nothing touches the network until a call is made. Several endpoints serving the same model are used
 * round-robin (a dataset scored by a cluster); 429 / 5xx / network errors are retried with exponential
 * backoff (honouring Retry-After) on the next endpoint; each attempt has a timeout; a concurrency limit
 * bounds the requests in flight.
 */
import {
  AbortError,
  abortReason,
  type BackendDescription,
  type GenerateOptions,
  type Generation,
  type ScoredText,
  type ScoreOptions,
  type ScoringBackend,
  type TokenizedText,
} from './backend';
import { codePointToUtf16, topKEntropy } from './topk';
import { noPromptLogprobsMessage, probeServer, type ServerInfo } from './servers';

export interface OpenAIBackendOptions {
  /** Base URLs such as `http://127.0.0.1:8000/v1` (`/v1` is added when missing). At least one. */
  readonly endpoints: readonly string[];
  /** The `model` field sent with each request. */
  readonly model: string;
  /** Sent as `Authorization: Bearer …` (the caller keeps it, e.g. in SecretStorage). */
  readonly apiKey?: string;
  /** Per-attempt timeout (ms; for streams: the longest silence). Default 120 000. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt on 429 / 5xx / network errors. Default 4. */
  readonly maxRetries?: number;
  /** First backoff delay (ms), doubled per retry, with jitter. Default 500. */
  readonly retryBaseMs?: number;
  /** Longest wait between retries (ms), Retry-After included. Default 30 000. */
  readonly retryMaxMs?: number;
  /** Requests in flight at once, over all endpoints. Default 4 per endpoint. */
  readonly maxConcurrency?: number;
  /** `echo` (default; OpenAI legacy completions) or vLLM's `prompt_logprobs`. */
  readonly scoringMode?: 'echo' | 'prompt_logprobs';
  /** Display name (default: the model). */
  readonly name?: string;
  /** Injected for tests; default global fetch. */
  readonly fetch?: typeof fetch;
}

/** An HTTP error from the endpoint, with its status. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** The server refused `echo` (no status, so that it is not retried). */
class EchoRefusedError extends EndpointError {}

interface CompletionLogprobs {
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  text_offset?: number[];
}

interface CompletionChoice {
  text?: string;
  logprobs?: CompletionLogprobs | null;
  finish_reason?: string | null;
  prompt_logprobs?: (Record<string, { logprob: number; rank?: number; decoded_token?: string }> | null)[];
}

interface CompletionResponse {
  choices?: CompletionChoice[];
  usage?: { prompt_tokens?: number };
  prompt_token_ids?: number[];
}

const RETRY_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** llama.cpp's answer to `echo: true` ("Only no echo is supported"); not worth a retry. */
const ECHO_REFUSED = /no echo|echo[^"]*not supported|unsupported[^"]*echo/i;

export class OpenAIBackend implements ScoringBackend {
  private readonly endpoints: string[];
  private nextEndpoint = 0;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Endpoints that refused `max_tokens: 0` (so they get 1 and the extra token is dropped). */
  private readonly needsOneToken = new Set<string>();
  private disposed = false;
  private readonly disposeController = new AbortController();
  /** What each endpoint is (asked once, when it could not score). */
  private readonly servers = new Map<string, Promise<ServerInfo>>();

  constructor(private readonly options: OpenAIBackendOptions) {
    if (options.endpoints.length === 0) throw new Error('OpenAIBackend needs at least one endpoint URL');
    this.endpoints = options.endpoints.map(normaliseBaseUrl);
  }

  describe(): BackendDescription {
    return {
      id: `openai:${this.options.model}@${[...this.endpoints].sort().join(',')}`,
      name: this.options.name ?? this.options.model,
      kind: 'openai',
      fullEntropy: false,
      canGenerate: true,
    };
  }

  async tokenize(text: string, signal?: AbortSignal): Promise<TokenizedText> {
    const { ids, tokens, starts, ends } = await this.score(text, { signal, topK: 0 });
    return { ids, tokens, starts, ends };
  }

  async score(text: string, options: ScoreOptions = {}): Promise<ScoredText> {
    const k = Math.max(0, options.topK ?? 0);
    if (this.options.scoringMode === 'prompt_logprobs') return this.scorePromptLogprobs(text, k, options.signal);
    let answeredBy = this.endpoints[0]!;
    let json: unknown;
    try {
      json = await this.post('/completions', (base) => {
        answeredBy = base;
        return { model: this.options.model, prompt: text, echo: true, logprobs: Math.max(1, k), max_tokens: this.needsOneToken.has(base) ? 1 : 0, temperature: 0 };
      }, options.signal, (base, status, body) => {
        // vLLM (and others) reject max_tokens 0: remember, and ask again with 1.
        if (status === 400 && !this.needsOneToken.has(base) && /max_tokens/i.test(body)) {
          this.needsOneToken.add(base);
          return true;
        }
        return false;
      });
    } catch (e) {
      if (e instanceof EchoRefusedError) throw await this.noPromptLogprobs(answeredBy);
      throw e;
    }
    const response = json as CompletionResponse;
    const lp = response.choices?.[0]?.logprobs;
    if (!lp?.tokens || !lp.token_logprobs) throw await this.noPromptLogprobs(answeredBy);
    const promptTokens = response.usage?.prompt_tokens;
    // Logprobs of generated tokens only (echo ignored): nothing about the prompt.
    if (typeof promptTokens === 'number' && promptTokens > 1 && lp.tokens.length < promptTokens) throw await this.noPromptLogprobs(answeredBy);
    const toUtf16 = codePointToUtf16(text);
    // Keep the prompt's tokens only (servers that needed max_tokens 1 add one generated token).
    let n = lp.tokens.length;
    if (typeof promptTokens === 'number' && promptTokens <= n) n = promptTokens;
    else if (lp.text_offset) while (n > 0 && toUtf16(lp.text_offset[n - 1]!) >= text.length && text.length > 0) n--;
    const tokens = lp.tokens.slice(0, n);
    const { starts, ends } = placeTokens(text, tokens, lp.text_offset?.slice(0, n).map(toUtf16));
    const logprob = Float32Array.from(lp.token_logprobs.slice(0, n), (v) => (typeof v === 'number' ? v : NaN));
    const result: Mutable<ScoredText> = { ids: new Int32Array(n).fill(-1), tokens, starts, ends, logprob, bosPrepended: false };
    if (k > 0 && lp.top_logprobs) {
      const topLogprobs = new Float32Array(n * k).fill(NaN);
      const topTokens = new Array<string>(n * k).fill('');
      const entropy = new Float32Array(n).fill(NaN);
      for (let t = 0; t < n; t++) {
        const row = lp.top_logprobs[t];
        if (!row) continue;
        const sorted = Object.entries(row).sort((a, b) => b[1] - a[1]).slice(0, k);
        sorted.forEach(([tok, v], j) => {
          topTokens[t * k + j] = tok;
          topLogprobs[t * k + j] = v;
        });
        entropy[t] = topKEntropy(topLogprobs, t * k, t * k + sorted.length);
      }
      result.topK = { k, tokens: topTokens, logprobs: topLogprobs };
      result.entropy = entropy;
      result.entropyKind = 'top-k';
    }
    return result;
  }

  private async scorePromptLogprobs(text: string, k: number, signal: AbortSignal | undefined): Promise<ScoredText> {
    const response = (await this.post('/completions', () => ({
      model: this.options.model,
      prompt: text,
      max_tokens: 1,
      temperature: 0,
      prompt_logprobs: Math.max(1, k),
    }), signal)) as CompletionResponse;
    const rows = response.choices?.[0]?.prompt_logprobs;
    if (!rows) throw new EndpointError('the endpoint returned no prompt_logprobs (is it vLLM?)');
    const ids = response.prompt_token_ids;
    const n = rows.length;
    const tokens: string[] = [];
    const logprob = new Float32Array(n).fill(NaN);
    const topLogprobs = new Float32Array(n * Math.max(1, k)).fill(NaN);
    const topTokens = new Array<string>(n * Math.max(1, k)).fill('');
    const entropy = new Float32Array(n).fill(NaN);
    for (let t = 0; t < n; t++) {
      const row = rows[t];
      const id = ids?.[t];
      const own = row && id !== undefined ? row[String(id)] : undefined;
      tokens.push(own?.decoded_token ?? '');
      if (!row) continue;
      if (own) logprob[t] = own.logprob;
      const sorted = Object.entries(row).sort((a, b) => (a[1].rank ?? 0) - (b[1].rank ?? 0) || b[1].logprob - a[1].logprob);
      if (!own && ids === undefined) logprob[t] = NaN;
      sorted.slice(0, k).forEach(([, v], j) => {
        topTokens[t * k + j] = v.decoded_token ?? '';
        topLogprobs[t * k + j] = v.logprob;
      });
      if (k > 0) entropy[t] = topKEntropy(topLogprobs, t * k, t * k + Math.min(k, sorted.length));
    }
    const { starts, ends } = placeTokens(text, tokens, undefined);
    return {
      ids: ids ? Int32Array.from(ids.slice(0, n)) : new Int32Array(n).fill(-1),
      tokens,
      starts,
      ends,
      logprob,
      bosPrepended: false,
      ...(k > 0 ? { topK: { k, tokens: topTokens, logprobs: topLogprobs }, entropy, entropyKind: 'top-k' as const } : {}),
    };
  }

  async generate(prompt: string, options: GenerateOptions = {}): Promise<Generation> {
    const body = {
      model: this.options.model,
      prompt,
      max_tokens: options.maxTokens ?? 256,
      temperature: options.temperature ?? 0,
      top_p: options.topP ?? 1,
      ...(options.stop?.length ? { stop: options.stop } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      stream: true,
    };
    return this.withSlot(options.signal, () =>
      this.attempts(options.signal, async (base, signal, resetTimer) => {
        const res = await this.fetchOnce(`${base}/completions`, body, signal);
        let text = '';
        let finishReason: Generation['finishReason'] = 'length';
        let tokenCount = 0;
        const contentType = res.headers.get('content-type') ?? '';
        if (!contentType.includes('text/event-stream')) {
          const json = (await res.json()) as CompletionResponse;
          text = json.choices?.[0]?.text ?? '';
          if (text) options.onToken?.(text);
          return { text, finishReason: mapFinish(json.choices?.[0]?.finish_reason), tokenCount: text ? 1 : 0 };
        }
        for await (const data of readServerSentEvents(res, signal, resetTimer)) {
          if (data === '[DONE]') break;
          let chunk: CompletionResponse;
          try {
            chunk = JSON.parse(data) as CompletionResponse;
          } catch {
            throw new EndpointError(`the endpoint sent an event that is not JSON: ${data.slice(0, 120)}`);
          }
          const choice = chunk.choices?.[0];
          if (!choice) continue;
          if (choice.text) {
            text += choice.text;
            tokenCount++;
            options.onToken?.(choice.text);
          }
          if (choice.finish_reason) finishReason = mapFinish(choice.finish_reason);
        }
        return { text, finishReason, tokenCount };
      }),
    );
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.disposeController.abort(new AbortError('the OpenAI backend was disposed'));
  }

  /** What the server at `base` is (asked once). */
  server(base: string): Promise<ServerInfo> {
    let info = this.servers.get(base);
    if (!info) {
      info = probeServer(base, this.options.model, this.options.fetch ?? fetch);
      this.servers.set(base, info);
    }
    return info;
  }

  /** The error for a server that gave no prompt logprobs, saying what it is and what to do instead. */
  private async noPromptLogprobs(base: string): Promise<EndpointError> {
    return new EndpointError(noPromptLogprobsMessage(base, await this.server(base)));
  }

  /** POST JSON with slot, retries and timeout; returns the parsed response. */
  private post(
    path: string,
    body: (base: string) => unknown,
    signal: AbortSignal | undefined,
    onClientError?: (base: string, status: number, body: string) => boolean,
  ): Promise<unknown> {
    return this.withSlot(signal, () =>
      this.attempts(signal, async (base, attemptSignal) => {
        for (;;) {
          try {
            const res = await this.fetchOnce(`${base}${path}`, body(base), attemptSignal);
            return (await res.json()) as unknown;
          } catch (e) {
            if (e instanceof EndpointError && e.status === 400 && onClientError?.(base, 400, e.message)) continue;
            if (e instanceof EndpointError && e.status !== undefined && e.status >= 400 && ECHO_REFUSED.test(e.message)) throw new EchoRefusedError(e.message);
            throw e;
          }
        }
      }),
    );
  }

  /** One HTTP attempt; non-2xx becomes an `EndpointError` carrying the status and Retry-After. */
  private async fetchOnce(url: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const doFetch = this.options.fetch ?? fetch;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const error = new EndpointError(`${url} answered ${res.status} ${res.statusText}: ${text.slice(0, 300)}`, res.status);
      (error as EndpointError & { retryAfterMs?: number | undefined }).retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      throw error;
    }
    return res;
  }

  /**
   * Runs `attempt` against endpoints round-robin until it succeeds, a non-retryable error occurs, or the
   * retries are spent. Each attempt gets a signal that fires on the caller's abort, disposal, or silence
   * longer than the timeout (`resetTimer` restarts the silence clock, for streams).
   */
  private async attempts<T>(signal: AbortSignal | undefined, attempt: (base: string, signal: AbortSignal, resetTimer: () => void) => Promise<T>): Promise<T> {
    const maxRetries = this.options.maxRetries ?? 4;
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    for (let i = 0; ; i++) {
      if (signal?.aborted) throw abortReason(signal);
      const base = this.endpoints[this.nextEndpoint++ % this.endpoints.length]!;
      const timeout = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const resetTimer = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => timeout.abort(new EndpointError(`${base}: no answer within ${timeoutMs} ms (timeout)`)), timeoutMs);
      };
      resetTimer();
      const signals = [timeout.signal, this.disposeController.signal, ...(signal ? [signal] : [])];
      const attemptSignal = AbortSignal.any(signals);
      try {
        return await attempt(base, attemptSignal, resetTimer);
      } catch (e) {
        if (signal?.aborted) throw abortReason(signal);
        if (this.disposeController.signal.aborted) throw new AbortError('the OpenAI backend was disposed');
        if (timeout.signal.aborted) {
          // Not retried: a hung server would only multiply the wait.
          const error = new Error((timeout.signal.reason as Error).message);
          error.name = 'TimeoutError';
          throw error;
        }
        const status = e instanceof EndpointError ? e.status : undefined;
        const retryable = status === undefined ? e instanceof TypeError /* fetch network error */ : RETRY_STATUS.has(status);
        if (!retryable || i >= maxRetries) {
          if (e instanceof TypeError) throw new EndpointError(`${base}: ${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}`);
          throw e;
        }
        const base_ = this.options.retryBaseMs ?? 500;
        const backoff = base_ * 2 ** i * (0.75 + Math.random() * 0.5);
        const retryAfter = (e as { retryAfterMs?: number }).retryAfterMs;
        await sleep(Math.min(this.options.retryMaxMs ?? 30_000, Math.max(backoff, retryAfter ?? 0)), signal);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private async withSlot<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    if (this.disposed) throw new Error('the OpenAI backend has been disposed');
    const limit = this.options.maxConcurrency ?? 4 * this.endpoints.length;
    while (this.inFlight >= limit) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(abortReason(signal!));
        };
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.inFlight++;
    try {
      return await run();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function normaliseBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '').replace(/\/completions$/, '');
  return /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}

function mapFinish(reason: string | null | undefined): Generation['finishReason'] {
  return reason === 'stop' ? 'stop' : reason === 'eos' ? 'eos' : 'length';
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/**
 * Character spans of API tokens. Starts come from `text_offset` when given (code points, mapped to UTF-16)
 * and are checked against the token text; otherwise tokens are walked left to right.
 */
export function placeTokens(text: string, tokens: readonly string[], offsets: readonly number[] | undefined): { starts: Int32Array; ends: Int32Array } {
  const n = tokens.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let cursor = 0;
  for (let i = 0; i < n; i++) {
    const tok = tokens[i]!;
    const given = offsets?.[i];
    let start = given ?? cursor;
    if (!text.startsWith(tok, start) && text.startsWith(tok, cursor)) start = cursor;
    if (given === undefined && tok.length > 0 && !text.startsWith(tok, start)) {
      // A token of unknown text before this one (vLLM's first prompt token): skip a little ahead.
      const found = text.indexOf(tok, cursor);
      if (found >= 0 && found - cursor <= 16) {
        start = found;
        if (i > 0 && ends[i - 1] === starts[i - 1] && ends[i - 1] === cursor) ends[i - 1] = found;
      }
    }
    let end: number;
    if (tok.length > 0 && text.startsWith(tok, start)) end = start + tok.length;
    else if (tok.length === 0 && i > 0 && starts[i - 1] === start) end = ends[i - 1]!; // another byte of the same character
    else end = Math.max(start, Math.min(text.length, offsets?.[i + 1] ?? start));
    starts[i] = Math.min(start, text.length);
    ends[i] = Math.min(end, text.length);
    cursor = Math.max(cursor, ends[i]!);
  }
  return { starts, ends };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Yields the `data:` payloads of a server-sent-event stream. */
async function* readServerSentEvents(res: Response, signal: AbortSignal, onChunk: () => void): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const reader = res.body.getReader();
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new AbortError();
      const { value, done } = await reader.read();
      if (done) break;
      onChunk();
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (data.length) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    }
    if (data.length) yield data.join('\n');
  } finally {
    reader.releaseLock();
    await res.body.cancel().catch(() => undefined);
  }
}
