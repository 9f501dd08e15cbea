/**
 * Reading and checking a model folder in the Hugging Face / Optimum / transformers.js layout:
 * `config.json`, `tokenizer.json`, `tokenizer_config.json`, `onnx/<variant>.onnx` (+ `.onnx_data`).
 * Every failure names the file and what is wrong with it, because users bring their own folders.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** A problem with a model folder, phrased for the user. */
/** Folder name of the embedded default model, trained by this project (media/models/…/MODEL_CARD.md). */
export const EMBEDDED_MODEL = 'reasoning-lens-tiny';

/**
 * The embedded model's folder for code that runs outside VS Code (the CLI): `media/models/…` of the
 * nearest ancestor of `from` that has it; undefined when the model is not built.
 */
export function findEmbeddedModel(from: string): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'media', 'models', EMBEDDED_MODEL);
    if (existsSync(join(candidate, 'onnx', 'model.onnx'))) return candidate;
    const parent = join(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';
}

/** The decoder shape the runtime needs, from config.json. */
export interface ModelShape {
  readonly modelType: string;
  readonly numLayers: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly bosTokenId?: number | undefined;
  readonly eosTokenIds: readonly number[];
  readonly maxPositionEmbeddings?: number | undefined;
}

export interface ModelFolder {
  readonly dir: string;
  readonly onnxPath: string;
  /** The ONNX file's base name without `.onnx` (`model`, `model_quantized`…). */
  readonly variant: string;
  readonly tokenizerJson: unknown;
  readonly tokenizerConfig: Record<string, unknown>;
  readonly shape: ModelShape;
  /** Total size of the ONNX file and its external data, in bytes (for the cache id). */
  readonly weightBytes: number;
  /** Modification time of the ONNX file (ms), for the cache id. */
  readonly mtimeMs: number;
}

/** Variants tried, in order, when none is named and `onnx/model.onnx` is absent. */
export const VARIANT_PREFERENCE = ['model', 'model_quantized', 'model_int8', 'model_uint8', 'model_q4', 'model_fp16', 'model_q4f16', 'model_bnb4'];

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelFolderError(`${what} not found: ${path}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelFolderError(`${what} is not valid JSON: ${path} (${(e as Error).message})`);
  }
}

function positiveInt(config: Record<string, unknown>, key: string, path: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelFolderError(`${path}: "${key}" must be a positive integer (found ${JSON.stringify(v)})`);
  }
  return v;
}

/** Reads config.json into the shape the runtime needs. */
export function readModelShape(configPath: string): ModelShape {
  const raw = readJson(configPath, 'config.json');
  if (!raw || typeof raw !== 'object') throw new ModelFolderError(`${configPath}: expected a JSON object`);
  // Multimodal / nested configs (e.g. Gemma 3) keep the decoder under text_config.
  const outer = raw as Record<string, unknown>;
  const config = (outer.text_config && typeof outer.text_config === 'object' ? { ...outer, ...(outer.text_config as object) } : outer) as Record<string, unknown>;
  const numLayers = positiveInt(config, 'num_hidden_layers', configPath);
  const numHeads = positiveInt(config, 'num_attention_heads', configPath);
  const numKeyValueHeads = config.num_key_value_heads === undefined ? numHeads : positiveInt(config, 'num_key_value_heads', configPath);
  const headDim = config.head_dim !== undefined && config.head_dim !== null ? positiveInt(config, 'head_dim', configPath) : positiveInt(config, 'hidden_size', configPath) / numHeads;
  if (!Number.isInteger(headDim)) throw new ModelFolderError(`${configPath}: hidden_size is not a multiple of num_attention_heads and head_dim is missing`);
  const vocabSize = positiveInt(config, 'vocab_size', configPath);
  const eos = config.eos_token_id;
  const eosTokenIds = Array.isArray(eos) ? eos.filter((x): x is number => typeof x === 'number') : typeof eos === 'number' ? [eos] : [];
  return {
    modelType: typeof config.model_type === 'string' ? config.model_type : 'unknown',
    numLayers,
    numKeyValueHeads,
    headDim,
    vocabSize,
    bosTokenId: typeof config.bos_token_id === 'number' ? config.bos_token_id : undefined,
    eosTokenIds,
    maxPositionEmbeddings: typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : undefined,
  };
}

/**
 * Checks a model folder and returns what is in it. `variant` names the ONNX file (`model_quantized` or
 * `model_quantized.onnx`); without it `onnx/model.onnx` is used, or the first of `VARIANT_PREFERENCE` present.
 */
export function resolveModelFolder(dir: string, variant?: string): ModelFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelFolderError(`model folder not found: ${dir}`);
  const configPath = join(dir, 'config.json');
  const tokenizerPath = join(dir, 'tokenizer.json');
  if (!existsSync(configPath)) throw new ModelFolderError(`model folder ${dir} has no config.json (expected ${configPath})`);
  if (!existsSync(tokenizerPath)) throw new ModelFolderError(`model folder ${dir} has no tokenizer.json (expected ${tokenizerPath})`);
  const shape = readModelShape(configPath);
  const tokenizerJson = readJson(tokenizerPath, 'tokenizer.json');
  const tokenizerConfigPath = join(dir, 'tokenizer_config.json');
  const tokenizerConfig = existsSync(tokenizerConfigPath) ? (readJson(tokenizerConfigPath, 'tokenizer_config.json') as Record<string, unknown>) : {};

  const { onnxPath, weightBytes, mtimeMs } = locateOnnx(dir, variant);
  return {
    dir,
    onnxPath,
    variant: basename(onnxPath, '.onnx'),
    tokenizerJson,
    tokenizerConfig,
    shape,
    weightBytes,
    mtimeMs,
  };
}

/**
 * Checks that `variant` names a file in `onnx/` and nothing else: no folder separators, no `..`, no
 * absolute path (a workspace's settings once loaded `../../…/payload.onnx` from anywhere).
 */
export function assertPlainVariant(variant: string): void {
  if (!variant || variant === '.' || variant === '..' || /[\\/\0:]/.test(variant) || basename(variant) !== variant) {
    throw new ModelFolderError(`model variant ${JSON.stringify(variant)} is not a plain file name: give the name of an ONNX file in the model's onnx/ folder, such as model_quantized (no folders, no ..)`);
  }
}

/** Finds the ONNX file of a folder (without reading the JSON files): path, total weight bytes, mtime. */
export function locateOnnx(dir: string, variant?: string): { onnxPath: string; weightBytes: number; mtimeMs: number } {
  if (variant) assertPlainVariant(variant);
  const onnxDir = join(dir, 'onnx');
  const present = existsSync(onnxDir) ? readdirSync(onnxDir).filter((f) => f.endsWith('.onnx')) : [];
  let onnxPath: string;
  if (variant) {
    const file = variant.endsWith('.onnx') ? variant : `${variant}.onnx`;
    onnxPath = join(onnxDir, file);
    if (!existsSync(onnxPath)) {
      throw new ModelFolderError(`ONNX file not found: ${onnxPath}${present.length ? ` (the folder has ${present.join(', ')})` : ''}`);
    }
  } else {
    const found = VARIANT_PREFERENCE.map((v) => `${v}.onnx`).find((f) => present.includes(f)) ?? present[0];
    if (!found) throw new ModelFolderError(`model folder ${dir} has no ONNX model (expected ${join(onnxDir, 'model.onnx')})`);
    onnxPath = join(onnxDir, found);
  }
  const stat = statSync(onnxPath);
  let weightBytes = stat.size;
  for (const f of readdirSync(onnxDir)) {
    if (f.startsWith(`${basename(onnxPath)}_data`)) weightBytes += statSync(join(onnxDir, f)).size;
  }
  return { onnxPath, weightBytes, mtimeMs: stat.mtimeMs };
}

/** The cache identity of a model: folder, variant, size and date of the weights. */
export function modelIdentity(dir: string, onnxPath: string, weightBytes: number, mtimeMs: number): string {
  return `onnx:${dir}#${basename(onnxPath, '.onnx')}:${weightBytes}:${Math.round(mtimeMs)}`;
}
