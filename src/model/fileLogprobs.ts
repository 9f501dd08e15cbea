/**
 * Logprobs already present in a trace file (OpenAI `logprobs`, vLLM `prompt_logprobs`…) as a
 * `ScoringBackend`: no model call. The file's tokens are what they are, so `score` only accepts the text
 * they were read for; entropy, when the file has top-k candidates, is the renormalised top-k entropy and
 * labelled `top-k`.
 */
import type { TokenLogprob, TraceRegion } from '../core/trace/types';
import { abortReason, type BackendDescription, type Generation, type ScoredText, type ScoreOptions, type ScoringBackend, type TokenizedText } from './backend';
import { topKEntropy } from './topk';

export interface FileLogprobsOptions {
  /** The file's tokens (e.g. `trace.logprobs`). */
  readonly logprobs: readonly TokenLogprob[];
  /** Keep only tokens of these regions (default: all). Offsets stay those of the region's text. */
  readonly regions?: readonly TraceRegion[];
  /** Identity for caches, e.g. the trace's file and id. */
  readonly id: string;
  readonly name?: string;
}

export class FileLogprobsBackend implements ScoringBackend {
  private readonly tokens: readonly TokenLogprob[];

  constructor(private readonly options: FileLogprobsOptions) {
    const regions = options.regions;
    this.tokens = regions ? options.logprobs.filter((t) => regions.includes(t.region)) : options.logprobs;
  }

  describe(): BackendDescription {
    return { id: `file:${this.options.id}`, name: this.options.name ?? 'logprobs from the file', kind: 'file', fullEntropy: false, canGenerate: false };
  }

  /** The file's tokenization (the text argument is only checked against the stored spans). */
  async tokenize(text: string, signal?: AbortSignal): Promise<TokenizedText> {
    const { ids, tokens, starts, ends } = await this.score(text, { signal });
    return { ids, tokens, starts, ends };
  }

  /**
   * The stored tokens as `ScoredText`. Tokens whose span lies outside `text` (another region, or not
   * placed: start = end = -1) keep their spans; callers align by offsets.
   */
  async score(text: string, options: ScoreOptions = {}): Promise<ScoredText> {
    if (options.signal?.aborted) throw abortReason(options.signal);
    const n = this.tokens.length;
    const fileK = this.tokens.reduce((m, t) => Math.max(m, t.topLogprobs?.length ?? 0), 0);
    const k = Math.min(fileK, options.topK ?? fileK);
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const logprob = new Float32Array(n);
    const tokens: string[] = [];
    const topLogprobs = new Float32Array(n * k).fill(NaN);
    const topTokens = new Array<string>(n * k).fill('');
    const entropy = new Float32Array(n).fill(NaN);
    let mismatches = 0;
    for (let t = 0; t < n; t++) {
      const tok = this.tokens[t]!;
      starts[t] = tok.start;
      ends[t] = tok.end;
      tokens.push(tok.token);
      logprob[t] = Number.isFinite(tok.logprob) || tok.logprob === -Infinity ? tok.logprob : NaN;
      if (tok.start >= 0 && tok.end <= text.length && text.slice(tok.start, tok.end) !== tok.token) mismatches++;
      const cands = [...(tok.topLogprobs ?? [])].sort((a, b) => b.logprob - a.logprob);
      if (cands.length === 0) continue;
      for (let j = 0; j < Math.min(k, cands.length); j++) {
        topTokens[t * k + j] = cands[j]!.token;
        topLogprobs[t * k + j] = cands[j]!.logprob;
      }
      entropy[t] = topKEntropy(cands.map((c) => c.logprob));
    }
    // A wholesale mismatch means the caller passed another text than the one the file's tokens describe.
    if (n > 0 && text.length > 0 && mismatches > n / 2) {
      throw new Error(`the file's logprobs do not describe this text (${mismatches} of ${n} tokens differ from the text at their offsets)`);
    }
    return {
      ids: new Int32Array(n).fill(-1),
      tokens,
      starts,
      ends,
      logprob,
      bosPrepended: false,
      ...(fileK > 0 ? { entropy, entropyKind: 'top-k' as const } : {}),
      ...(k > 0 ? { topK: { k, tokens: topTokens, logprobs: topLogprobs } } : {}),
    };
  }

  async generate(): Promise<Generation> {
    throw new Error('logprobs from a file cannot generate text: choose a local model or an endpoint');
  }

  async dispose(): Promise<void> {
    /* nothing held */
  }
}
