/**
 * A GGUF causal LM (the files Ollama, LM Studio and llama.cpp use) on node-llama-cpp's prebuilt CPU
 * binaries: nothing is built or downloaded at run time (`build: 'never'`, `skipDownload`). Like the ONNX
 * runtime it runs wherever it is created: in the model worker process in the extension, in-process in
 * the CLI, benchmarks and tests.
 *
 * Scoring reads the FULL next-token distribution at every position (node-llama-cpp's
 * `controlledEvaluate` with `probabilities`: llama.cpp sorts all V candidates and returns them with
 * their softmax), so logprobs and entropy are exact, not top-k approximations. That costs a sort and a
 * V-entry map per token: for large vocabularies GGUF scoring is slower than ONNX (see the README's
 * benchmarks); it is there to use the models people have.
 *
 * Tokenization is the model's own (llama.cpp reads the vocabulary from the file), special tokens such
 * as `<think>` included, with offsets recovered by decoding (tokenOffsets.ts).
 */
import type { ControlledEvaluateInputItem, Llama, LlamaContext, LlamaModel, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { GenerateOptions, Generation, ScoredText, ScoreOptions, TokenizedText } from '../backend';
import { throwIfAborted } from '../backend';
import { GeneratedText } from '../generatedText';
import { alignTokens, PieceCache, type PieceDecoder } from '../tokenOffsets';
import { ModelFolderError } from '../onnx/modelFolder';
import type { LocalModel } from '../localModel';
import { fitContext, scoreInWindows, windowOptions, windowSize } from '../window';
import { ggufIdentity, readGgufSummary, type GgufSummary } from './ggufFile';

export interface GgufRuntimeOptions {
  /** CPU threads (default: node-llama-cpp's choice, one per core). */
  readonly threads?: number;
  /** Tokens per evaluation batch when scoring (default 256). */
  readonly chunkSize?: number;
}

/** Smallest logprob a float32 probability can express (a probability that underflowed to 0). */
const MIN_LOGPROB = Math.log(1.4e-45);

let llamaPromise: Promise<Llama> | undefined;

/** The llama.cpp bindings (one per process): the prebuilt CPU binary, never a build or a download. */
function llamaBindings(): Promise<Llama> {
  llamaPromise ??= (async () => {
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    return getLlama({
      gpu: false,
      build: 'never',
      usePrebuiltBinaries: true,
      skipDownload: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        if (message.trim()) process.stderr.write(`[llama.cpp ${level}] ${message.trimEnd()}\n`);
      },
    });
  })().catch((e: unknown) => {
    llamaPromise = undefined;
    throw new ModelFolderError(`the llama.cpp runtime (node-llama-cpp) could not be loaded: ${(e as Error).message}`);
  });
  return llamaPromise;
}

export class GgufCausalLM implements PieceDecoder, LocalModel {
  readonly kind = 'gguf';
  private context: LlamaContext | undefined;
  private readonly pieces = new PieceCache((ids) => this.decode(ids));
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly summary: GgufSummary,
    private readonly model: LlamaModel,
    private readonly options: GgufRuntimeOptions,
    private readonly mtimeMs: number,
  ) {}

  /** Loads a `.gguf` file (throws `ModelFolderError` naming what is wrong). */
  static async load(path: string, options: GgufRuntimeOptions = {}): Promise<GgufCausalLM> {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      throw new ModelFolderError(`GGUF file not found: ${path}`);
    }
    const summary = readGgufSummary(path);
    const llama = await llamaBindings();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: path, gpuLayers: 0, useMmap: true });
    } catch (e) {
      throw new ModelFolderError(`${path} could not be loaded by llama.cpp (architecture ${summary.architecture}): ${(e as Error).message}`);
    }
    return new GgufCausalLM(path, summary, model, options, mtimeMs);
  }

  /** Stable identity for caches: file, size and date. */
  get id(): string {
    return ggufIdentity(this.path, this.summary.fileBytes, this.mtimeMs);
  }

  get name(): string {
    return `${this.summary.name || basename(this.path, '.gguf')} (${this.summary.quantization})`;
  }

  get contextLength(): number | undefined {
    return this.summary.contextLength;
  }

  get vocab(): number {
    return this.summary.vocabSize ?? 0;
  }

  private get bos(): number | undefined {
    return this.model.tokens.bos ?? undefined;
  }

  tokenize(text: string): TokenizedText {
    const ids = text.length === 0 ? [] : (this.model.tokenize(text, true) as number[]);
    return alignTokens(text, ids, this);
  }

  decode(ids: readonly number[]): string {
    return this.model.detokenize(ids as Token[], true);
  }

  /** The text of one token on its own (cached; for top-k candidates). */
  piece(id: number): string {
    return this.pieces.get(id);
  }

  /** Scores `text` from the full distribution at every position, in chunks (cancellable between them). */
  score(text: string, options: ScoreOptions = {}): Promise<ScoredText> {
    return this.serial(() => this.scoreNow(text, options));
  }

  generate(prompt: string, options: GenerateOptions = {}): Promise<Generation> {
    return this.serial(() => this.generateNow(prompt, options));
  }

  async dispose(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.context?.dispose();
    this.context = undefined;
    await this.model.dispose();
  }

  private async scoreNow(text: string, options: ScoreOptions): Promise<ScoredText> {
    const encoded = this.tokenize(text);
    const bosId = this.bos;
    const prependBos = (options.prependBos ?? this.model.tokens.shouldPrependBosToken) && bosId !== undefined;
    const seq: number[] = prependBos ? [bosId, ...encoded.ids] : Array.from(encoded.ids);
    const n = encoded.ids.length;
    const k = Math.max(0, options.topK ?? 0);
    const wantEntropy = options.entropy ?? true;
    const logprob = new Float32Array(n).fill(NaN);
    const entropy = wantEntropy ? new Float32Array(n).fill(NaN) : undefined;
    const topIds = k > 0 ? new Int32Array(n * k).fill(-1) : undefined;
    const topLogprobs = k > 0 ? new Float32Array(n * k).fill(NaN) : undefined;
    const fed = seq.length - 1; // the last token predicts nothing we score
    const chunk = Math.max(1, options.chunkSize ?? this.options.chunkSize ?? 256);
    const size = windowSize(this.contextLength, options.contextWindow);
    let window: ScoredText['window'];
    if (fed > 0) {
      // The context holds one window at most: the KV cache never exceeds the model's context.
      const sequence = (await this.contextFor(Math.min(fed, size))).getSequence();
      try {
        window = await scoreInWindows(
          seq,
          windowOptions(options, size, chunk, prependBos ? bosId : undefined),
          {
            startWindow: () => sequence.clearHistory(),
            feed: async ({ ids, keepFrom, targets, outStart }) => {
              // Only kept rows ask for the distribution (llama.cpp sorts all V candidates for each).
              const input = ids.map((token, r): ControlledEvaluateInputItem => (r < keepFrom ? (token as Token) : [token as Token, { generateNext: { probabilities: true } }]));
              const results = await sequence.controlledEvaluate(input);
              for (let r = keepFrom; r < ids.length; r++) {
                const probabilities = results[r]?.next.probabilities;
                const pos = outStart + r - keepFrom; // the position this row predicts
                if (!probabilities || pos < 0 || pos >= n) continue;
                const target = targets[r - keepFrom];
                let h = 0;
                let chosen = 0;
                let j = 0;
                for (const [token, prob] of probabilities) {
                  if (prob > 0) h -= prob * Math.log(prob);
                  if (token === target) chosen = prob;
                  if (j < k) {
                    topIds![pos * k + j] = token;
                    topLogprobs![pos * k + j] = prob > 0 ? Math.log(prob) : MIN_LOGPROB;
                  }
                  j++;
                }
                logprob[pos] = chosen > 0 ? Math.log(chosen) : MIN_LOGPROB;
                if (entropy) entropy[pos] = h;
              }
            },
          },
        );
      } finally {
        sequence.dispose();
      }
    }
    let topK: ScoredText['topK'];
    if (topIds && topLogprobs) topK = { k, ids: topIds, tokens: options.topKTokens === false ? undefined : Array.from(topIds, (id) => (id < 0 ? '' : this.piece(id))), logprobs: topLogprobs };
    return { ...encoded, logprob, entropy, entropyKind: entropy ? 'full' : undefined, topK, bosPrepended: prependBos, window };
  }

  private async generateNow(prompt: string, options: GenerateOptions): Promise<Generation> {
    const encoded = this.model.tokenize(prompt, true) as number[];
    const bosId = this.bos;
    const withBos = (this.model.tokens.shouldPrependBosToken || encoded.length === 0) && bosId !== undefined;
    if (!withBos && encoded.length === 0) throw new Error('cannot generate from an empty prompt: the model has no BOS token');
    // The KV cache never exceeds the context: at most context − 1 new tokens, after the prompt's last tokens.
    const { ids, maxTokens } = fitContext(encoded, withBos ? 1 : 0, Math.max(0, options.maxTokens ?? 256), windowSize(this.contextLength));
    const seq = withBos ? [bosId, ...ids] : ids;
    const out = new GeneratedText((ids) => this.decode(ids), seq[seq.length - 1], options.stop, options.onToken);
    let finishReason: Generation['finishReason'] = 'length';
    if (maxTokens > 0) {
      const sequence = (await this.contextFor(seq.length + maxTokens)).getSequence();
      const temperature = options.temperature ?? 0;
      const tokens = sequence.evaluate(seq as Token[], {
        temperature,
        ...(temperature > 0 ? { topP: options.topP ?? 1, seed: options.seed ?? 0x5eed } : {}),
        yieldEogToken: true,
      });
      try {
        for await (const token of tokens) {
          throwIfAborted(options.signal);
          if (this.model.isEogToken(token)) {
            finishReason = 'eos';
            break;
          }
          if (out.push(token)) {
            finishReason = 'stop';
            break;
          }
          if (out.ids.length >= maxTokens) break;
        }
      } finally {
        await tokens.return(undefined);
        sequence.dispose();
      }
    }
    out.flush();
    return { text: out.text, finishReason, tokenCount: out.ids.length };
  }

  /**
   * A context with room for `tokens` tokens (the last one is kept while it is big enough), never larger
   * than the model's context: scoring asks for one window, generation for a prompt and answer that fit.
   */
  private async contextFor(tokens: number): Promise<LlamaContext> {
    const limit = windowSize(this.contextLength);
    const need = Math.min(limit, Math.ceil(tokens / 256) * 256);
    if (this.context && this.context.contextSize >= need) return this.context;
    await this.context?.dispose();
    this.context = undefined;
    const contextSize = Math.max(need, Math.min(2048, limit));
    this.context = await this.model.createContext({
      contextSize,
      batchSize: Math.min(512, contextSize),
      sequences: 1,
      ...(this.options.threads ? { threads: this.options.threads } : {}),
      // An all-f32 file is a precision reference: llama.cpp's defaults (f16 KV cache, CPU flash attention
      // in f16) move logprobs by ~2e-3; f32 KV without flash attention keeps them within 3e-5 of ONNX.
      ...(this.summary.fileType === 0 ? { flashAttention: false, experimentalKvCacheKeyType: 'F32' as const, experimentalKvCacheValueType: 'F32' as const } : {}),
    });
    return this.context;
  }

  /** One call at a time: a context has one sequence and the cores are busy anyway. */
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
