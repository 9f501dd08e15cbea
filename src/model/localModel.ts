/**
 * A local model, whatever its format: an ONNX folder (Hugging Face / Optimum layout, onnxruntime-node)
 * or a GGUF file (llama.cpp through node-llama-cpp). Types and identities only: nothing here loads a
 * runtime, so the extension host can import it (loading is `loadLocalModel`, in the model process).
 */
import { statSync } from 'node:fs';
import type { GenerateOptions, Generation, ScoredText, ScoreOptions, TokenizedText } from './backend';
import { locateOnnx, modelIdentity } from './onnx/modelFolder';
import { ggufIdentity } from './gguf/ggufFile';

export type LocalModelKind = 'onnx' | 'gguf';

/** What both runtimes offer (OnnxCausalLM, GgufCausalLM). */
export interface LocalModel {
  readonly kind: LocalModelKind;
  /** Stable identity for caches (path, variant, size and date of the weights). */
  readonly id: string;
  /** Short name for the status bar ("reasoning-lens-tiny (model)", "qwen2.5 (Q4_K_M)"). */
  readonly name: string;
  /** Logits width. */
  readonly vocab: number;
  /** The context the model was trained for (config.json / GGUF header), when it says. */
  readonly contextLength: number | undefined;
  tokenize(text: string): TokenizedText;
  score(text: string, options?: ScoreOptions): Promise<ScoredText>;
  generate(prompt: string, options?: GenerateOptions): Promise<Generation>;
  dispose(): Promise<void>;
}

/** Options both runtimes understand (`variant` is ONNX only). */
export interface LocalModelOptions {
  /** ONNX file in `onnx/` (`model_quantized`…). */
  readonly variant?: string;
  /** CPU threads (default: one per core). */
  readonly threads?: number;
  /** Tokens per forward pass when scoring. */
  readonly chunkSize?: number;
}

/** `gguf` for a `.gguf` file, else `onnx` (a model folder). */
export function localModelKind(path: string): LocalModelKind {
  return /\.gguf$/i.test(path) ? 'gguf' : 'onnx';
}

/** The cache identity of a model without loading it (undefined when the path is not usable). */
export function localModelIdentity(path: string, variant?: string): string | undefined {
  try {
    if (localModelKind(path) === 'gguf') {
      const s = statSync(path);
      return ggufIdentity(path, s.size, s.mtimeMs);
    }
    const f = locateOnnx(path, variant);
    return modelIdentity(path, f.onnxPath, f.weightBytes, f.mtimeMs);
  } catch {
    return undefined;
  }
}
