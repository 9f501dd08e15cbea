/**
 * Messages between `OnnxBackend` (client.ts, in the caller's process) and the model worker process
 * (worker.ts). Sent over Node IPC with `serialization: 'advanced'`, so typed arrays travel as such.
 */
import type { GenerateOptions, Generation, ScoredText, ScoreOptions, TokenizedText } from '../backend';
import type { LocalModelKind, LocalModelOptions } from '../localModel';

/** What the worker knows about its model once loaded. */
export interface LoadedModelInfo {
  readonly id: string;
  readonly name: string;
  readonly vocab: number;
  readonly kind: LocalModelKind;
  /** The folder or `.gguf` file loaded. */
  readonly path: string;
}

type Serializable<T> = Omit<T, 'signal' | 'onProgress' | 'onToken'>;

export type ToWorker =
  | { readonly type: 'load'; readonly id: number; readonly modelDir: string; readonly options: LocalModelOptions }
  | { readonly type: 'tokenize'; readonly id: number; readonly text: string }
  | { readonly type: 'score'; readonly id: number; readonly text: string; readonly options: Serializable<ScoreOptions> }
  | { readonly type: 'generate'; readonly id: number; readonly prompt: string; readonly options: Serializable<GenerateOptions> & { readonly recompute?: boolean } }
  | { readonly type: 'cancel'; readonly id: number }
  | { readonly type: 'shutdown' };

export type FromWorker =
  | { readonly type: 'result'; readonly id: number; readonly value: LoadedModelInfo | TokenizedText | ScoredText | Generation }
  | { readonly type: 'error'; readonly id: number; readonly name: string; readonly message: string }
  | { readonly type: 'progress'; readonly id: number; readonly done: number; readonly total: number }
  | { readonly type: 'token'; readonly id: number; readonly text: string };

/** Narrow check of an incoming message (IPC input is untrusted in shape). */
export function isFromWorker(value: unknown): value is FromWorker {
  if (!value || typeof value !== 'object') return false;
  const m = value as { type?: unknown; id?: unknown };
  return typeof m.id === 'number' && (m.type === 'result' || m.type === 'error' || m.type === 'progress' || m.type === 'token');
}

export function isToWorker(value: unknown): value is ToWorker {
  if (!value || typeof value !== 'object') return false;
  const m = value as { type?: unknown; id?: unknown };
  if (m.type === 'shutdown') return true;
  return typeof m.id === 'number' && ['load', 'tokenize', 'score', 'generate', 'cancel'].includes(m.type as string);
}
