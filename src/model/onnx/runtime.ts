/**
 * A causal LM on onnxruntime-node: loads a model folder, scores text in chunks with the KV cache, and
 * generates with the prompt's KV cache. Runs wherever it is created (the worker process in the extension;
 * in-process in benchmarks and tests).
 */
import * as ort from 'onnxruntime-node';
import { cpus } from 'node:os';
import { basename } from 'node:path';
import type { LocalModel } from '../localModel';
import type { GenerateOptions, Generation, ScoredText, ScoreOptions, TokenizedText } from '../backend';
import { throwIfAborted } from '../backend';
import { ModelFolderError, modelIdentity, resolveModelFolder, type ModelFolder } from './modelFolder';
import { TextTokenizer } from './textTokenizer';
import { mulberry32 } from '../../core/random';
import { GeneratedText } from '../generatedText';
import { TopKScratch, argmax, createReductionOutput, halfToFloat, reduceRows, type ReductionOutput } from './reduce';
import { Reduction, reductionModel } from './reductionGraph';
import { fitContext, scoreInWindows, windowOptions, windowSize } from '../window';

export interface RuntimeOptions {
  /** ONNX file in `onnx/` (`model_quantized`…); default `model`, else the first variant present. */
  readonly variant?: string;
  /** intra-op threads (default: number of cores). */
  readonly threads?: number;
  /** Default tokens per forward pass when scoring. */
  readonly chunkSize?: number;
}

type Past = Map<string, ort.Tensor>;

/** A chunk's logits as the model returns them (fp16 exports: raw IEEE halves). */
type LogitsBuffer = Float32Array | Uint16Array;

interface ForwardResult {
  /** Logits rows, float32, `rows × vocab` (as returned, unconverted, when written into a given buffer). */
  readonly logits: Float32Array;
  readonly rows: number;
  readonly present: Past;
}

const PAST_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT_OUTPUT = /^present(?:_key_values)?\.(\d+)\.(key|value)$/;
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'logits_to_keep', 'use_cache_branch', 'cache_position']);

export class OnnxCausalLM implements LocalModel {
  readonly kind = 'onnx';
  /** Logits width (known after the load-time warm-up run). */
  vocab = 0;
  private readonly pastInputs: { name: string; output: string; type: ort.Tensor.Type }[] = [];
  private readonly inputs: Set<string>;
  private readonly idsType: ort.Tensor.Type;
  private readonly logitsName: string;
  /** Element type of the logits output (learned in the warm-up run). */
  private logitsType: 'float32' | 'float16' = 'float32';
  /** The scoring reduction session (reductionGraph.ts); null where it could not be created. */
  private reducer: Promise<ort.InferenceSession | null> | undefined;
  /** False once the model refused a pre-allocated logits output (then ORT allocates it). */
  private preallocateLogits = true;

  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: TextTokenizer,
    private readonly session: ort.InferenceSession,
    readonly options: RuntimeOptions,
  ) {
    this.inputs = new Set(session.inputNames);
    const meta = new Map<string, ort.Tensor.Type>();
    for (const m of (session as { inputMetadata?: readonly ort.InferenceSession.ValueMetadata[] }).inputMetadata ?? []) {
      if (m.isTensor) meta.set(m.name, m.type);
    }
    const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.has(n) && !PAST_INPUT.test(n));
    if (unknown.length) {
      throw new ModelFolderError(`${folder.onnxPath}: unsupported model input(s) ${unknown.join(', ')} (supported: input_ids, attention_mask, position_ids, past_key_values.N.key|value, num_logits_to_keep)`);
    }
    if (!this.inputs.has('input_ids')) throw new ModelFolderError(`${folder.onnxPath}: the model has no input_ids input (inputs: ${session.inputNames.join(', ')})`);
    this.idsType = meta.get('input_ids') ?? 'int64';
    this.logitsName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0]!;
    const presentByKey = new Map<string, string>();
    for (const o of session.outputNames) {
      const m = PRESENT_OUTPUT.exec(o);
      if (m) presentByKey.set(`${m[1]}.${m[2]}`, o);
    }
    for (const name of session.inputNames) {
      const m = PAST_INPUT.exec(name);
      if (!m) continue;
      const output = presentByKey.get(`${m[1]}.${m[2]}`);
      if (!output) throw new ModelFolderError(`${folder.onnxPath}: input ${name} has no matching present.${m[1]}.${m[2]} output`);
      this.pastInputs.push({ name, output, type: meta.get(name) ?? 'float32' });
    }
    if (this.pastInputs.length === 0) {
      throw new ModelFolderError(`${folder.onnxPath}: the model has no past_key_values inputs; export it with the KV cache (optimum: --task text-generation-with-past)`);
    }
  }

  /** Loads and checks a model folder (throws `ModelFolderError` naming what is wrong). */
  static async load(dir: string, options: RuntimeOptions = {}): Promise<OnnxCausalLM> {
    const folder = resolveModelFolder(dir, options.variant);
    let tokenizer: TextTokenizer;
    try {
      tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.shape.bosTokenId);
    } catch (e) {
      throw new ModelFolderError(`${dir}/tokenizer.json could not be loaded: ${(e as Error).message}`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(folder.onnxPath, {
        intraOpNumThreads: options.threads ?? Math.max(1, cpus().length),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        enableCpuMemArena: true,
        enableMemPattern: true,
      });
    } catch (e) {
      throw new ModelFolderError(`${folder.onnxPath} could not be loaded by onnxruntime: ${(e as Error).message}`);
    }
    const lm = new OnnxCausalLM(folder, tokenizer, session, options);
    try {
      // Warm-up run: checks the graph and learns the logits width.
      const probe = await lm.forward([tokenizer.bosTokenId ?? 0], null, 0, 1);
      lm.vocab = probe.logits.length;
      lm.logitsType = probe.type;
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e instanceof ModelFolderError ? e : new ModelFolderError(`${folder.onnxPath}: a test run failed: ${(e as Error).message}`);
    }
    if (tokenizer.size > lm.vocab) {
      await session.release().catch(() => undefined);
      throw new ModelFolderError(`vocabulary mismatch: ${dir}/tokenizer.json has ${tokenizer.size} tokens but the model's logits have ${lm.vocab} columns (config.json vocab_size ${folder.shape.vocabSize})`);
    }
    return lm;
  }

  get contextLength(): number | undefined {
    return this.folder.shape.maxPositionEmbeddings;
  }

  /** Folder name and ONNX variant, e.g. "reasoning-lens-tiny (model)". */
  get name(): string {
    return `${basename(this.folder.dir)} (${this.folder.variant})`;
  }

  /** Stable identity for caches: folder, variant, size and date of the weights. */
  get id(): string {
    const f = this.folder;
    return modelIdentity(f.dir, f.onnxPath, f.weightBytes, f.mtimeMs);
  }

  tokenize(text: string): TokenizedText {
    return this.tokenizer.encode(text);
  }

  /**
   * One forward pass over `ids` after `pastLength` cached positions; keeps the last `keep` logits rows.
   * With `into` (and `keep` = all rows) the logits are written straight into that buffer (a pre-allocated
   * output: no copy, no fresh allocation per chunk) and returned as they are, fp16 included.
   */
  async forward(ids: ArrayLike<number>, past: Past | null, pastLength: number, keep = ids.length, into?: LogitsBuffer): Promise<ForwardResult & { type: 'float32' | 'float16'; raw: LogitsBuffer }> {
    const T = ids.length;
    const total = pastLength + T;
    const feeds: Record<string, ort.Tensor> = {};
    feeds.input_ids = this.intTensor(this.idsType, ids, [1, T]);
    if (this.inputs.has('attention_mask')) feeds.attention_mask = this.filledInt('int64', 1, total, [1, total]);
    const positions = Array.from({ length: T }, (_, i) => pastLength + i);
    if (this.inputs.has('position_ids')) feeds.position_ids = this.intTensor('int64', positions, [1, T]);
    if (this.inputs.has('cache_position')) feeds.cache_position = this.intTensor('int64', positions, [T]);
    if (this.inputs.has('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([BigInt(keep)]), []);
    if (this.inputs.has('logits_to_keep')) feeds.logits_to_keep = new ort.Tensor('int64', BigInt64Array.from([BigInt(keep)]), []);
    if (this.inputs.has('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.from([pastLength > 0 ? 1 : 0]), [1]);
    const { numKeyValueHeads, headDim } = this.folder.shape;
    for (const p of this.pastInputs) {
      feeds[p.name] = past?.get(p.name) ?? new ort.Tensor(p.type, p.type === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, numKeyValueHeads, 0, headDim]);
    }
    const fetchNames = [this.logitsName, ...this.pastInputs.map((p) => p.output)];
    let result: ort.InferenceSession.OnnxValueMapType;
    const preallocated = into && keep === T && this.preallocateLogits && this.vocab > 0 ? this.logitsOutput(into, T) : undefined;
    if (preallocated) {
      const fetches: Record<string, ort.Tensor | null> = Object.fromEntries(fetchNames.map((n) => [n, null]));
      fetches[this.logitsName] = preallocated;
      try {
        result = await this.session.run(feeds, fetches as ort.InferenceSession.FetchesType);
      } catch {
        // Some exports give logits another shape than [1, T, V]: let onnxruntime allocate them.
        this.preallocateLogits = false;
        return this.forward(ids, past, pastLength, keep, into);
      }
    } else {
      result = await this.session.run(feeds, fetchNames);
    }
    const logitsTensor = result[this.logitsName]!;
    const dims = logitsTensor.dims;
    const vocab = dims[dims.length - 1]!;
    const rowsReturned = dims.length === 3 ? dims[1]! : 1;
    const type = logitsTensor.type === 'float16' ? 'float16' : 'float32';
    const raw = logitsTensor.data as LogitsBuffer;
    if (into && keep === T) {
      const present: Past = new Map();
      for (const p of this.pastInputs) present.set(p.name, result[p.output]!);
      return { logits: raw as Float32Array, raw, type, rows: rowsReturned, present };
    }
    let logits = type === 'float16' ? halfToFloat(raw as Uint16Array) : (raw as Float32Array);
    let rows = rowsReturned;
    if (rowsReturned > keep) {
      logits = logits.subarray((rowsReturned - keep) * vocab);
      rows = keep;
    }
    const present: Past = new Map();
    for (const p of this.pastInputs) present.set(p.name, result[p.output]!);
    return { logits, raw, type, rows, present };
  }

  /** A [1, T, V] tensor over the first T rows of `into`. */
  private logitsOutput(into: LogitsBuffer, T: number): ort.Tensor {
    const data = into.subarray(0, T * this.vocab);
    return this.logitsType === 'float16' ? new ort.Tensor('float16', data as Uint16Array, [1, T, this.vocab]) : new ort.Tensor('float32', data as Float32Array, [1, T, this.vocab]);
  }

  /** The reduction session (created once, on the first score); null where onnxruntime refused it. */
  private reduction(): Promise<ort.InferenceSession | null> {
    this.reducer ??= ort.InferenceSession.create(reductionModel(this.logitsType, this.vocab), {
      intraOpNumThreads: this.options.threads ?? Math.max(1, cpus().length),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    }).catch(() => null);
    return this.reducer;
  }

  /**
   * Reduces `rows` logits rows of `logits` in the reduction graph, in blocks of ~4M values (so that its
   * intermediates stay small), into `out` from position `outStart`.
   */
  private async reduceInGraph(reducer: ort.InferenceSession, logits: LogitsBuffer, rows: number, targets: readonly number[], out: ReductionOutput, outStart: number): Promise<void> {
    const V = this.vocab;
    const k = out.k;
    const block = Math.max(1, Math.floor((4 << 20) / V));
    const kTensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(Math.max(1, k))]), [1]);
    const fetches = [Reduction.logprob, ...(out.entropy ? [Reduction.entropy] : []), ...(k > 0 ? [Reduction.topValues, Reduction.topIndices] : []), ...(out.rank ? [Reduction.above] : [])];
    for (let r0 = 0; r0 < rows; r0 += block) {
      const n = Math.min(block, rows - r0);
      const slice = logits.subarray(r0 * V, (r0 + n) * V);
      const feeds = {
        [Reduction.logits]: this.logitsType === 'float16' ? new ort.Tensor('float16', slice as Uint16Array, [n, V]) : new ort.Tensor('float32', slice as Float32Array, [n, V]),
        [Reduction.targets]: new ort.Tensor('int64', BigInt64Array.from(targets.slice(r0, r0 + n), BigInt), [n]),
        [Reduction.k]: kTensor,
      };
      const result = await reducer.run(feeds, fetches);
      const pos = outStart + r0;
      out.logprob.set(result[Reduction.logprob]!.data as Float32Array, pos);
      if (out.entropy) out.entropy.set(result[Reduction.entropy]!.data as Float32Array, pos);
      if (out.rank) {
        const above = result[Reduction.above]!.data as Float32Array;
        for (let i = 0; i < above.length; i++) out.rank[pos + i] = above[i]! + 1;
      }
      if (k > 0) {
        out.topLogprobs!.set(result[Reduction.topValues]!.data as Float32Array, pos * k);
        const ids = result[Reduction.topIndices]!.data as BigInt64Array;
        for (let i = 0; i < ids.length; i++) out.topIds![pos * k + i] = Number(ids[i]);
      }
      for (const name of fetches) result[name]!.dispose();
    }
  }

  /**
   * Scores `text`: chunked teacher-forced passes with the KV cache, reduced row by row; a text longer
   * than the context (or `contextWindow`) in overlapping windows (window.ts), so the KV cache never
   * holds more than one window.
   */
  async score(text: string, options: ScoreOptions & { jsReduction?: boolean } = {}): Promise<ScoredText> {
    const encoded = this.tokenizer.encode(text);
    const bos = options.prependBos ?? this.tokenizer.addBosByDefault;
    const bosId = this.tokenizer.bosTokenId;
    const prependBos = bos && bosId !== undefined;
    const seq = prependBos ? [bosId, ...encoded.ids] : Array.from(encoded.ids);
    const n = encoded.ids.length;
    const k = Math.max(0, Math.min(options.topK ?? 0, this.vocab));
    const out = createReductionOutput(n, k, options.entropy ?? true, options.rank ?? false);
    const chunk = Math.max(1, options.chunkSize ?? this.options.chunkSize ?? defaultChunkSize(this.vocab));
    const size = windowSize(this.contextLength, options.contextWindow);
    const scratch = k > 0 ? new TopKScratch(k) : null;
    // The reduction runs in onnxruntime (reductionGraph.ts) on a buffer the model writes its logits
    // into; the JavaScript loop (reduce.ts) is the fallback, and the only path with `jsReduction`.
    const reducer = options.jsReduction ? null : await this.reduction();
    const rows = Math.min(chunk, seq.length);
    const buffer = reducer ? (this.logitsType === 'float16' ? new Uint16Array(rows * this.vocab) : new Float32Array(rows * this.vocab)) : undefined;
    let past: Past | null = null;
    let window: ScoredText['window'];
    try {
      window = await scoreInWindows(
        seq,
        windowOptions(options, size, chunk, prependBos ? bosId : undefined),
        {
          startWindow: () => {
            disposePast(past);
            past = null;
          },
          feed: async ({ ids, past: pastLength, keepFrom, targets, outStart }) => {
            const T = ids.length;
            // A chunk that only reads context keeps one row (the least the graph returns).
            const kept = T - keepFrom;
            const { logits, raw, rows, present } = await this.forward(ids, past, pastLength, kept > 0 ? T : 1, kept > 0 ? buffer : undefined);
            disposePast(past);
            past = present;
            if (kept === 0) return;
            if (raw.length !== rows * this.vocab) throw new Error(`logits have ${raw.length / rows} columns, expected ${this.vocab}`);
            const V = this.vocab;
            if (reducer) await this.reduceInGraph(reducer, raw.subarray(keepFrom * V, T * V), kept, targets, out, outStart);
            else reduceRows(logits, keepFrom * V, kept, V, Int32Array.from(targets), out, outStart, scratch);
          },
        },
      );
    } finally {
      disposePast(past);
    }
    let topK: ScoredText['topK'];
    if (k > 0) {
      const tokens = options.topKTokens === false ? undefined : Array.from(out.topIds!, (id) => (id < 0 ? '' : this.tokenizer.piece(id)));
      topK = { k, ids: out.topIds!, tokens, logprobs: out.topLogprobs! };
    }
    return {
      ...encoded,
      logprob: out.logprob,
      entropy: out.entropy ?? undefined,
      entropyKind: out.entropy ? 'full' : undefined,
      topK,
      ...(out.rank ? { rank: out.rank } : {}),
      bosPrepended: prependBos,
      window,
    };
  }

  /**
   * Generates a continuation of `prompt`, streaming text pieces. `recompute` re-runs the whole sequence
   * without the cache at every step (a reference for tests; quadratic).
   */
  async generate(prompt: string, options: GenerateOptions & { recompute?: boolean; chunkSize?: number } = {}): Promise<Generation & { ids: number[] }> {
    const encoded = this.tokenizer.encode(prompt);
    const bosId = this.tokenizer.bosTokenId;
    const withBos = (this.tokenizer.addBosByDefault || encoded.ids.length === 0) && bosId !== undefined;
    if (!withBos && encoded.ids.length === 0) throw new Error('cannot generate from an empty prompt: the model has no BOS token');
    // The KV cache never exceeds the context: at most context − 1 new tokens, after the prompt's last tokens.
    const { ids: promptIds, maxTokens } = fitContext(Array.from(encoded.ids), withBos ? 1 : 0, Math.max(0, options.maxTokens ?? 256), windowSize(this.contextLength));
    const seq = withBos ? [bosId, ...promptIds] : promptIds;
    const temperature = options.temperature ?? 0;
    const topP = options.topP ?? 1;
    const eos = new Set(this.folder.shape.eosTokenIds);
    const random = mulberry32(options.seed ?? 0x5eed);
    const chunk = Math.max(1, options.chunkSize ?? this.options.chunkSize ?? defaultChunkSize(this.vocab));
    const out = new GeneratedText((ids) => this.tokenizer.decode(ids), seq[seq.length - 1], options.stop, options.onToken);
    const generated = out.ids;

    // Prefill: the prompt in chunks, keeping only the last row of the last chunk.
    let past: Past | null = null;
    let row: Float32Array = new Float32Array(0);
    const prefill = async (): Promise<void> => {
      for (let p = 0; p < seq.length; p += chunk) {
        throwIfAborted(options.signal);
        const end = Math.min(seq.length, p + chunk);
        const r = await this.forward(seq.slice(p, end), past, p, 1);
        disposePast(past);
        past = r.present;
        row = r.logits.slice((r.rows - 1) * this.vocab);
        options.onProgress?.(end, seq.length);
      }
    };
    let finishReason: Generation['finishReason'] = 'length';
    try {
      if (!options.recompute) await prefill();
      for (let step = 0; step < maxTokens; step++) {
        throwIfAborted(options.signal);
        if (options.recompute) {
          const r = await this.forward([...seq, ...generated], null, 0, 1);
          disposePast(r.present);
          row = r.logits.slice((r.rows - 1) * this.vocab);
        }
        const next = temperature > 0 ? sample(row, this.vocab, temperature, topP, random) : argmax(row, 0, this.vocab);
        if (eos.has(next)) {
          finishReason = 'eos';
          break;
        }
        if (out.push(next)) {
          finishReason = 'stop';
          break;
        }
        if (step === maxTokens - 1) break;
        if (!options.recompute) {
          const r: ForwardResult = await this.forward([next], past, seq.length + generated.length - 1, 1);
          disposePast(past);
          past = r.present;
          row = r.logits;
        }
      }
    } finally {
      disposePast(past);
    }
    out.flush();
    const text = out.text;
    return { text, finishReason, tokenCount: generated.length, ids: generated };
  }

  async dispose(): Promise<void> {
    const reducer = await this.reducer;
    await reducer?.release();
    await this.session.release();
  }

  private intTensor(type: ort.Tensor.Type, values: ArrayLike<number>, dims: number[]): ort.Tensor {
    if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
    const data = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
    return new ort.Tensor('int64', data, dims);
  }

  private filledInt(type: 'int64', value: number, length: number, dims: number[]): ort.Tensor {
    return new ort.Tensor(type, new BigInt64Array(length).fill(BigInt(value)), dims);
  }
}

/** Chunk length: 384 tokens, fewer for very large vocabularies so that one chunk's logits stay ≤ ~64 MB. */
export function defaultChunkSize(vocab: number): number {
  return Math.max(64, Math.min(384, Math.floor((16 * 1024 * 1024) / Math.max(1, vocab))));
}

function disposePast(past: Past | null): void {
  if (!past) return;
  for (const t of past.values()) (t as { dispose?: () => void }).dispose?.();
}

/** Temperature + nucleus sampling over one logits row. */
function sample(row: Float32Array, vocab: number, temperature: number, topP: number, random: () => number): number {
  let m = -Infinity;
  for (let i = 0; i < vocab; i++) if (row[i]! > m) m = row[i]!;
  const probs = new Float64Array(vocab);
  let sum = 0;
  for (let i = 0; i < vocab; i++) {
    const p = Math.exp((row[i]! - m) / temperature);
    probs[i] = p;
    sum += p;
  }
  if (topP < 1) {
    const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]!);
    let mass = 0;
    let kept = 0;
    for (const i of order) {
      mass += probs[i]! / sum;
      kept++;
      if (mass >= topP) break;
    }
    const allowed = order.slice(0, kept);
    const keptSum = allowed.reduce((s, i) => s + probs[i]!, 0);
    let r = random() * keptSum;
    for (const i of allowed) {
      r -= probs[i]!;
      if (r <= 0) return i;
    }
    return allowed[allowed.length - 1]!;
  }
  let r = random() * sum;
  for (let i = 0; i < vocab; i++) {
    r -= probs[i]!;
    if (r <= 0) return i;
  }
  return vocab - 1;
}
