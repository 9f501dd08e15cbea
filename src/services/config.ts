import * as vscode from 'vscode';
import { DEFAULT_SEGMENTATION, type SegmentationMode } from '../shared/vocabulary';
import { mappingForFile } from '../core/trace/fieldMapping';
import type { FieldMapping } from '../core/trace/fields';
import type { ParseOptions } from '../core/trace/types';
import type { TokenizerSetting } from '../model/tokenizers';

/**
 * Typed access to `reasoningLens.*` settings. Read on demand and re-read on
 * `affectsConfiguration` only: no global mutable copy (Error Lens' singleton is the pitfall).
 */
export interface ReasoningLensSettings {
  /** Segmentation mode for steps. */
  readonly segmentation: SegmentationMode;
  /** File glob → where prompt / reasoning / answer / id sit in its records. */
  readonly fieldMapping: Readonly<Record<string, FieldMapping>>;
  /** Which backend scores traces: the local ONNX model, OpenAI-compatible endpoints, or logprobs in the file only. */
  readonly backend: 'local' | 'endpoint' | 'file';
  /** Model folder (HF / Optimum layout); empty = the embedded default model. Machine-scoped. */
  readonly modelPath: string;
  /** ONNX file variant in `onnx/` (e.g. `model_quantized`); empty = `model`. */
  readonly modelVariant: string;
  /** Inference threads for the local model (0 = all cores). */
  readonly modelThreads: number;
  /** Seconds without progress after which a local model process is failed and restarted (0 = never). */
  readonly modelWatchdogSeconds: number;
  /** OpenAI-compatible base URLs (requests are spread across them). Machine-scoped. */
  readonly endpoints: readonly string[];
  /** The `model` name sent to the endpoints. */
  readonly endpointModel: string;
  /** Size cap of the on-disk score cache, in MB (0 = cache nothing). */
  readonly scoreCacheMaxMB: number;
  /** Which tokenizer counts tokens for the status bar, budgets, panel and export totals. */
  readonly tokenizer: TokenizerSetting;
  /** Where Select Model looks (empty strings: the store's usual place). Machine-scoped. */
  readonly modelSearch: { readonly ollama: string; readonly lmStudio: string; readonly huggingFace: string; readonly folders: readonly string[] };
  /** Traces up to this many tokens are scored by the local model as they open (0 = never). */
  readonly scoreOnOpenMaxTokens: number;
  /** Keep / Drop / Pin lenses: `auto` = on up to `CODE_LENS_MAX_STEPS` steps, not for sentence steps. */
  readonly codeLens: 'auto' | 'on' | 'off';
}

/** Above this many steps the `auto` CodeLens setting shows none (hover, gutter and keys remain). */
export const CODE_LENS_MAX_STEPS = 200;

export const SettingsSection = 'reasoningLens';

/** Reads the current settings (defaults come from package.json). */
export function readSettings(scope?: vscode.ConfigurationScope): ReasoningLensSettings {
  const c = vscode.workspace.getConfiguration(SettingsSection, scope);
  return {
    segmentation: c.get<SegmentationMode>('segmentation', DEFAULT_SEGMENTATION),
    fieldMapping: c.get<Record<string, FieldMapping>>('fieldMapping', {}),
    backend: c.get<ReasoningLensSettings['backend']>('backend', 'local'),
    modelPath: machineValue<string>(c, 'model.path', ''),
    modelVariant: c.get<string>('model.variant', ''),
    modelThreads: c.get<number>('model.threads', 0),
    modelWatchdogSeconds: Math.max(0, c.get<number>('model.watchdogSeconds', 120)),
    endpoints: machineValue<string[]>(c, 'endpoints', []),
    endpointModel: c.get<string>('endpoint.model', ''),
    scoreCacheMaxMB: Math.max(0, c.get<number>('scoreCache.maxSizeMB', 256)),
    tokenizer: c.get<TokenizerSetting>('tokenizer', 'auto'),
    modelSearch: {
      ollama: machineValue<string>(c, 'model.search.ollama', ''),
      lmStudio: machineValue<string>(c, 'model.search.lmStudio', ''),
      huggingFace: machineValue<string>(c, 'model.search.huggingFace', ''),
      folders: machineValue<string[]>(c, 'model.search.folders', []),
    },
    scoreOnOpenMaxTokens: Math.max(0, c.get<number>('scoreOnOpen.maxTokens', 20_000)),
    codeLens: c.get<ReasoningLensSettings['codeLens']>('codeLens', 'auto'),
  };
}

/** Calls `listener` whenever a `reasoningLens.*` setting changes. */
export function onDidChangeSettings(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SettingsSection)) listener();
  });
}

/**
 * A setting that sends data somewhere or loads code (model folder, endpoint URLs): taken only from
 * user/machine scope, never from a workspace's own settings, so a cloned repository cannot point the
 * extension at its own executable or server. (package.json also declares them `machine` scoped.)
 */
function machineValue<T>(c: vscode.WorkspaceConfiguration, key: string, fallback: T): T {
  const inspected = c.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}

/** The parse options for `file` (its field mapping from `reasoningLens.fieldMapping`, if any glob matches). */
export function parseOptionsFor(file: vscode.Uri): ParseOptions {
  const fields = mappingForFile(readSettings(file).fieldMapping, file.scheme === 'file' ? file.fsPath : file.path);
  return fields ? { fields } : {};
}
