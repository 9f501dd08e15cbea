/**
 * A local model (ONNX folder or `.gguf` file) behind `ScoringBackend` IN the current process: for the CLI
 * (`reasoning-lens serve`, dataset scoring), benchmarks and tests, where there is no UI thread to protect.
 * The extension uses `OnnxBackend` (client.ts), which runs the same code in a child process.
 */
import { basename } from 'node:path';
import { abortReason, type BackendDescription, type GenerateOptions, type Generation, type ScoredText, type ScoreOptions, type ScoringBackend, type TokenizedText } from '../backend';
import { localModelKind, type LocalModel, type LocalModelOptions } from '../localModel';
import { loadLocalModel } from '../loadLocalModel';

export class InProcessOnnxBackend implements ScoringBackend {
  private model: Promise<LocalModel> | undefined;
  private loaded: LocalModel | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Nothing is loaded here: onnxruntime and the model load on the first call. */
  constructor(readonly modelDir: string, private readonly runtime: LocalModelOptions = {}) {}

  /** Loads the model (once). */
  load(): Promise<LocalModel> {
    this.model ??= loadLocalModel(this.modelDir, this.runtime).then(
      (m) => (this.loaded = m),
      (e: unknown) => {
        this.model = undefined; // let the next call retry (the folder may have been fixed)
        throw e;
      },
    );
    return this.model;
  }

  describe(): BackendDescription {
    return {
      id: this.loaded?.id ?? `${localModelKind(this.modelDir)}:${this.modelDir}`,
      name: this.loaded?.name ?? basename(this.modelDir),
      kind: localModelKind(this.modelDir),
      fullEntropy: true,
      canGenerate: true,
      vocabSize: this.loaded?.vocab,
    };
  }

  async tokenize(text: string, signal?: AbortSignal): Promise<TokenizedText> {
    if (signal?.aborted) throw abortReason(signal);
    return (await this.load()).tokenize(text);
  }

  score(text: string, options: ScoreOptions = {}): Promise<ScoredText> {
    return this.serial(async () => (await this.load()).score(text, options));
  }

  generate(prompt: string, options: GenerateOptions = {}): Promise<Generation> {
    return this.serial(async () => {
      const { text, finishReason, tokenCount } = await (await this.load()).generate(prompt, options);
      return { text, finishReason, tokenCount };
    });
  }

  async dispose(): Promise<void> {
    const m = this.model;
    this.model = undefined;
    this.loaded = undefined;
    if (m) await (await m.catch(() => undefined))?.dispose();
  }

  /** One model call at a time: the session is shared and the cores are busy anyway. */
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
