/**
 * Finds the local models already on this machine, in the stores people use, without loading any:
 * - Ollama: `<models>/manifests/<registry>/<namespace>/<model>/<tag>` (JSON) → the layer of media type
 *   `application/vnd.ollama.image.model` → `<models>/blobs/sha256-<hex>` (a GGUF file);
 * - LM Studio: `<models>/<publisher>/<repository>/*.gguf`;
 * - the Hugging Face hub cache: `models--<org>--<name>/snapshots/<revision>/` with ONNX exports
 *   (config.json, tokenizer.json, onnx/*.onnx: one entry per ONNX file) or `*.gguf` files;
 * - folders the user named (searched two levels deep) and models picked before;
 * - the embedded model.
 * Each entry has a name, a format, a size and a quantisation (GGUF: from the file's header; ONNX: from
 * the variant's file name). Pure Node (no vscode): the Select Model command, the CLI and tests use it.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { readGgufSummary } from './gguf/ggufFile';
import type { LocalModelKind } from './localModel';
import { VARIANT_PREFERENCE } from './onnx/modelFolder';

export type ModelSource = 'embedded' | 'recent' | 'ollama' | 'lmstudio' | 'huggingface' | 'folder';

export interface DiscoveredModel {
  /** What `reasoningLens.model.path` / `--model` takes: an ONNX folder or a `.gguf` file. */
  readonly path: string;
  /** ONNX file in `onnx/` (without `.onnx`) for ONNX folders. */
  readonly variant?: string;
  readonly name: string;
  readonly format: LocalModelKind;
  readonly source: ModelSource;
  /** Bytes of the weights (ONNX file + external data, or the GGUF file). */
  readonly sizeBytes: number;
  /** `F32`, `Q8_0`, `Q4_K_M`… for GGUF; `fp32`, `q8`, `q4`, `fp16`… for ONNX variants. */
  readonly quantization: string;
  /** GGUF architecture (llama, qwen2…), when known. */
  readonly architecture?: string;
}

/** Where to look; every list may be empty. */
export interface SearchPaths {
  readonly ollama: readonly string[];
  readonly lmStudio: readonly string[];
  readonly huggingFace: readonly string[];
  readonly folders: readonly string[];
}

/** The usual places of each store on this platform, honouring OLLAMA_MODELS, HF_HUB_CACHE and HF_HOME. */
export function defaultSearchPaths(env: NodeJS.ProcessEnv = process.env, home = homedir()): SearchPaths {
  const ollama = env.OLLAMA_MODELS ? [env.OLLAMA_MODELS] : [join(home, '.ollama', 'models'), ...(process.platform === 'linux' ? ['/usr/share/ollama/.ollama/models'] : [])];
  const lmStudio = [join(home, '.lmstudio', 'models'), join(home, '.cache', 'lm-studio', 'models')];
  const huggingFace = env.HF_HUB_CACHE ? [env.HF_HUB_CACHE] : env.HF_HOME ? [join(env.HF_HOME, 'hub')] : [join(home, '.cache', 'huggingface', 'hub')];
  return { ollama, lmStudio, huggingFace, folders: [] };
}

/** ONNX variant file name → quantisation label (transformers.js dtype names). */
const ONNX_QUANT: Record<string, string> = {
  model: 'fp32', model_fp16: 'fp16', model_quantized: 'q8', model_int8: 'int8', model_uint8: 'uint8', model_q4: 'q4', model_q4f16: 'q4f16', model_bnb4: 'bnb4',
};

export interface DiscoverOptions {
  readonly paths: SearchPaths;
  /** The embedded model's folder (listed first). */
  readonly embeddedDir?: string;
  /** Paths picked before (most recent first). */
  readonly recent?: readonly string[];
  /** Called for a store that could not be read (the rest is still listed). */
  readonly onError?: (where: string, error: Error) => void;
}

/** Everything found, de-duplicated by real path (first source wins: embedded, recent, stores, folders). */
export function discoverModels(options: DiscoverOptions): DiscoveredModel[] {
  const out: DiscoveredModel[] = [];
  const seen = new Set<string>();
  const add = (models: DiscoveredModel[]): void => {
    for (const m of models) {
      const key = `${realPath(m.path)}#${m.variant ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(m);
    }
  };
  const guard = (where: string, find: () => DiscoveredModel[]): DiscoveredModel[] => {
    try {
      return find();
    } catch (e) {
      options.onError?.(where, e as Error);
      return [];
    }
  };
  if (options.embeddedDir) add(guard(options.embeddedDir, () => modelsAt(options.embeddedDir!, 'embedded')));
  for (const p of options.recent ?? []) add(guard(p, () => modelsAt(p, 'recent')));
  for (const dir of options.paths.ollama) add(guard(dir, () => ollamaModels(dir)));
  for (const dir of options.paths.lmStudio) add(guard(dir, () => lmStudioModels(dir)));
  for (const dir of options.paths.huggingFace) add(guard(dir, () => huggingFaceModels(dir)));
  for (const dir of options.paths.folders) add(guard(dir, () => folderModels(dir)));
  return out;
}

/** The Ollama store: every manifest whose model layer is a GGUF blob. */
export function ollamaModels(modelsDir: string): DiscoveredModel[] {
  const manifests = join(modelsDir, 'manifests');
  if (!isDir(manifests)) return [];
  const out: DiscoveredModel[] = [];
  for (const file of walkFiles(manifests, 5)) {
    const parts = relative(manifests, file).split(sep);
    if (parts.length < 4) continue;
    const [registry, namespace, model, tag] = parts.slice(-4);
    let manifest: { layers?: { mediaType?: string; digest?: string; size?: number }[] };
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8')) as typeof manifest;
    } catch {
      continue; // not a manifest
    }
    const layer = manifest.layers?.find((l) => l.mediaType === 'application/vnd.ollama.image.model');
    if (!layer?.digest) continue;
    const hex = layer.digest.replace(/^sha256[:-]/, '');
    const blob = [join(modelsDir, 'blobs', `sha256-${hex}`), join(modelsDir, 'blobs', `sha256:${hex}`)].find((p) => existsSync(p));
    if (!blob) continue;
    const prefix = registry === 'registry.ollama.ai' ? (namespace === 'library' ? '' : `${namespace}/`) : `${registry}/${namespace}/`;
    const gguf = ggufEntry(blob, 'ollama', `${prefix}${model}:${tag}`);
    if (gguf) out.push(gguf);
  }
  return out;
}

/** LM Studio's models folder: `<publisher>/<repository>/*.gguf`. */
export function lmStudioModels(modelsDir: string): DiscoveredModel[] {
  if (!isDir(modelsDir)) return [];
  const out: DiscoveredModel[] = [];
  for (const file of walkFiles(modelsDir, 3)) {
    if (!/\.gguf$/i.test(file)) continue;
    const name = relative(modelsDir, file).split(sep).join('/').replace(/\.gguf$/i, '');
    const entry = ggufEntry(file, 'lmstudio', name);
    if (entry) out.push(entry);
  }
  return out;
}

/** The Hugging Face hub cache: ONNX exports and GGUF files in each repository's snapshots. */
export function huggingFaceModels(hubDir: string): DiscoveredModel[] {
  if (!isDir(hubDir)) return [];
  const out: DiscoveredModel[] = [];
  for (const repo of readdirSync(hubDir)) {
    if (!repo.startsWith('models--')) continue;
    const repoName = repo.slice('models--'.length).split('--').join('/');
    const snapshots = join(hubDir, repo, 'snapshots');
    if (!isDir(snapshots)) continue;
    // The revision `refs/main` points at first, then any other snapshot.
    let main: string | undefined;
    try {
      main = readFileSync(join(hubDir, repo, 'refs', 'main'), 'utf8').trim();
    } catch {
      main = undefined;
    }
    const revisions = readdirSync(snapshots).sort((a, b) => Number(b === main) - Number(a === main));
    for (const rev of revisions) {
      const snap = join(snapshots, rev);
      const models = [...onnxEntries(snap, 'huggingface', repoName), ...walkFiles(snap, 3).filter((f) => /\.gguf$/i.test(f)).map((f) => ggufEntry(f, 'huggingface', `${repoName}/${relative(snap, f).split(sep).join('/').replace(/\.gguf$/i, '')}`)).filter((m): m is DiscoveredModel => !!m)];
      if (models.length) {
        out.push(...models);
        break; // one revision per repository
      }
    }
  }
  return out;
}

/** A folder the user named: a model itself, or models up to two levels below it. */
export function folderModels(dir: string): DiscoveredModel[] {
  if (!isDir(dir)) return [];
  const own = modelsAt(dir, 'folder');
  if (own.length) return own;
  const out: DiscoveredModel[] = [];
  for (const a of safeReaddir(dir)) {
    const pa = join(dir, a);
    const found = modelsAt(pa, 'folder', a.replace(/\.gguf$/i, ''));
    if (found.length) out.push(...found);
    else if (isDir(pa)) for (const b of safeReaddir(pa)) out.push(...modelsAt(join(pa, b), 'folder', `${a}/${b.replace(/\.gguf$/i, '')}`));
  }
  return out;
}

/** The model(s) at a path: a `.gguf` file, or an ONNX folder (one entry per ONNX file) plus its `.gguf` files. */
export function modelsAt(path: string, source: ModelSource, name?: string): DiscoveredModel[] {
  if (/\.gguf$/i.test(path)) {
    const entry = isFile(path) ? ggufEntry(path, source, name ?? basename(path, '.gguf')) : undefined;
    return entry ? [entry] : [];
  }
  if (!isDir(path)) return [];
  const label = name ?? basename(path);
  const ggufs = safeReaddir(path).filter((f) => /\.gguf$/i.test(f)).sort().map((f) => ggufEntry(join(path, f), source, `${label}/${basename(f, '.gguf')}`)).filter((m): m is DiscoveredModel => !!m);
  return [...onnxEntries(path, source, label), ...ggufs];
}

function onnxEntries(dir: string, source: ModelSource, name: string): DiscoveredModel[] {
  const onnxDir = join(dir, 'onnx');
  if (!isFile(join(dir, 'config.json')) || !isFile(join(dir, 'tokenizer.json')) || !isDir(onnxDir)) return [];
  const files = safeReaddir(onnxDir).filter((f) => f.endsWith('.onnx'));
  const order = (f: string): number => {
    const i = VARIANT_PREFERENCE.indexOf(f.replace(/\.onnx$/, ''));
    return i < 0 ? VARIANT_PREFERENCE.length : i;
  };
  return files.sort((a, b) => order(a) - order(b) || a.localeCompare(b)).map((f) => {
    const variant = f.replace(/\.onnx$/, '');
    let size = statSync(join(onnxDir, f)).size;
    for (const extra of safeReaddir(onnxDir)) if (extra.startsWith(`${f}_data`)) size += statSync(join(onnxDir, extra)).size;
    return { path: dir, variant, name, format: 'onnx', source, sizeBytes: size, quantization: ONNX_QUANT[variant] ?? variant.replace(/^model_?/, '') } satisfies DiscoveredModel;
  });
}

function ggufEntry(file: string, source: ModelSource, name: string): DiscoveredModel | undefined {
  let summary;
  try {
    summary = readGgufSummary(file);
  } catch {
    return undefined; // not a GGUF file (or unreadable): not a model to offer
  }
  // Vision projectors (mmproj) and embedding-only files are not causal LMs.
  if (summary.architecture === 'clip' || /(^|[-_/])mmproj/i.test(name)) return undefined;
  return { path: file, name, format: 'gguf', source, sizeBytes: summary.fileBytes, quantization: summary.quantization, architecture: summary.architecture };
}

/** `1.2 GB`, `812 MB`, `9.8 MB`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** One line for a list: "ONNX · q8 · 145 MB" / "GGUF · Q4_K_M · qwen2 · 986 MB". */
export function describeModel(m: DiscoveredModel): string {
  return [m.format.toUpperCase(), m.quantization, m.architecture, formatSize(m.sizeBytes)].filter(Boolean).join(' · ');
}

/** Human name of each source (for list separators). */
export const SourceNames: Record<ModelSource, string> = {
  embedded: 'Embedded', recent: 'Picked before', ollama: 'Ollama', lmstudio: 'LM Studio', huggingface: 'Hugging Face cache', folder: 'Model folders',
};

function walkFiles(dir: string, depth: number): string[] {
  if (depth < 0) return [];
  const out: string[] = [];
  for (const name of safeReaddir(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (isDir(p)) out.push(...walkFiles(p, depth - 1));
    else if (isFile(p)) out.push(p);
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
