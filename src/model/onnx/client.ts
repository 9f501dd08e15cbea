/**
 * `OnnxBackend`: a local model behind `ScoringBackend` (an ONNX folder, or a `.gguf` file run by
 * llama.cpp), run in a child process so that native inference never blocks (or takes down) the caller.
 * The child is forked from a separately bundled worker script (`workerPath`, built from
 * `src/model/onnx/worker.ts`) on the first request. If it dies (crash, OOM kill) the requests in flight
 * reject with a clear error and the next request forks a new one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
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
} from '../backend';
import { localModelIdentity, localModelKind, type LocalModelOptions } from '../localModel';
import { isFromWorker, type FromWorker, type LoadedModelInfo, type ToWorker } from './protocol';

export interface OnnxBackendOptions {
  /** Model folder (Hugging Face / Optimum layout) or `.gguf` file. */
  readonly modelDir: string;
  /** The bundled worker script (`out/onnxWorker.js` or wherever the build puts `src/model/onnx/worker.ts`). */
  readonly workerPath: string;
  /** ONNX variant, threads, default chunk size. */
  readonly runtime?: LocalModelOptions;
  /** Extra environment for the worker (ORT_DISABLE_TELEMETRY=1 is always set). */
  readonly env?: NodeJS.ProcessEnv;
  /** Node flags for the worker, e.g. `['--max-old-space-size=4096']`. */
  readonly execArgv?: readonly string[];
  /** Receives the worker's stderr lines (logging). */
  readonly log?: (line: string) => void;
}

/** The worker process ended while a request was in flight. */
export class WorkerExitedError extends Error {
  override readonly name = 'WorkerExitedError';
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  readonly onToken?: ((text: string) => void) | undefined;
  readonly child: ChildProcess;
}

interface Worker {
  readonly child: ChildProcess;
  /** Resolves once the model is loaded in this child. */
  readonly ready: Promise<LoadedModelInfo>;
  stderrTail: string;
}

export class OnnxBackend implements ScoringBackend {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private info: LoadedModelInfo | undefined;
  private disposed = false;

  /** No process is started and no file is read here: the worker is forked on the first request. */
  constructor(private readonly options: OnnxBackendOptions) {}

  /** Process id of the current worker (undefined before the first request or after it exited). */
  get workerPid(): number | undefined {
    return this.worker?.child.pid;
  }

  describe(): BackendDescription {
    const dir = this.options.modelDir;
    const kind = localModelKind(dir);
    const id = this.info?.id ?? localModelIdentity(dir, this.options.runtime?.variant) ?? `${kind}:${dir}`;
    return {
      id,
      name: this.info?.name ?? basename(dir),
      kind,
      fullEntropy: true,
      canGenerate: true,
      vocabSize: this.info?.vocab,
    };
  }

  /** Starts the worker and loads the model now (otherwise the first request does). */
  async load(signal?: AbortSignal): Promise<LoadedModelInfo> {
    const w = this.ensureWorker();
    return this.withSignal(w.ready, signal);
  }

  async tokenize(text: string, signal?: AbortSignal): Promise<TokenizedText> {
    return (await this.request({ type: 'tokenize', text }, signal)) as TokenizedText;
  }

  async score(text: string, options: ScoreOptions = {}): Promise<ScoredText> {
    const { signal, onProgress, ...rest } = options;
    return (await this.request({ type: 'score', text, options: rest }, signal, { onProgress })) as ScoredText;
  }

  async generate(prompt: string, options: GenerateOptions & { recompute?: boolean } = {}): Promise<Generation> {
    const { signal, onToken, ...rest } = options;
    return (await this.request({ type: 'generate', prompt, options: rest }, signal, { onToken })) as Generation;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.worker = undefined;
    if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
    try {
      w.child.send({ type: 'shutdown' } satisfies ToWorker);
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => w.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private async request(
    body: DistributiveOmit<Exclude<ToWorker, { type: 'load' | 'cancel' | 'shutdown' }>, 'id'>,
    signal: AbortSignal | undefined,
    callbacks: { onProgress?: ((done: number, total: number) => void) | undefined; onToken?: ((text: string) => void) | undefined } = {},
  ): Promise<unknown> {
    if (this.disposed) throw new Error('the ONNX backend has been disposed');
    if (signal?.aborted) throw abortReason(signal);
    const w = this.ensureWorker();
    await this.withSignal(w.ready, signal);
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, child: w.child, ...callbacks });
    });
    w.child.send({ ...body, id } as ToWorker);
    if (!signal) return result;
    const onAbort = (): void => {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      try {
        w.child.send({ type: 'cancel', id } satisfies ToWorker);
      } catch {
        /* worker gone */
      }
      p.reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await result;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const child = fork(this.options.workerPath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, ...this.options.env, ORT_DISABLE_TELEMETRY: '1' },
      execArgv: this.options.execArgv ? [...this.options.execArgv] : [],
    });
    const loadId = this.nextId++;
    const worker: Worker = {
      child,
      stderrTail: '',
      ready: new Promise<LoadedModelInfo>((resolve, reject) => {
        this.pending.set(loadId, { resolve: resolve as (v: unknown) => void, reject, child });
      }),
    };
    // A failed load must not leave an unhandled rejection when nobody awaits `ready` yet.
    worker.ready.then((info) => (this.info = info), () => undefined);
    this.worker = worker;
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      worker.stderrTail = (worker.stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) this.options.log?.(line);
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.on('message', (message: unknown) => this.onMessage(child, message));
    child.on('error', (e) => this.onExit(worker, `could not start the model process: ${e.message}`));
    child.on('exit', (code, sig) => {
      const how = sig ? `was killed (${sig}${sig === 'SIGKILL' ? ', possibly out of memory' : ''})` : `exited with code ${code}`;
      this.onExit(worker, `the model process ${how}`);
    });
    child.send({ type: 'load', id: loadId, modelDir: this.options.modelDir, options: this.options.runtime ?? {} } satisfies ToWorker);
    // A failed load leaves the worker useless: drop it so that the next request retries from scratch.
    worker.ready.catch(() => {
      if (this.worker === worker) {
        this.worker = undefined;
        child.kill();
      }
    });
    return worker;
  }

  private onMessage(child: ChildProcess, raw: unknown): void {
    if (!isFromWorker(raw)) return;
    const message: FromWorker = raw;
    const p = this.pending.get(message.id);
    if (!p || p.child !== child) return;
    switch (message.type) {
      case 'progress':
        p.onProgress?.(message.done, message.total);
        return;
      case 'token':
        p.onToken?.(message.text);
        return;
      case 'result':
        this.pending.delete(message.id);
        p.resolve(message.value);
        return;
      case 'error': {
        this.pending.delete(message.id);
        if (message.name === 'AbortError') {
          p.reject(new AbortError(message.message));
        } else {
          const error = new Error(message.message);
          error.name = message.name;
          p.reject(error);
        }
        return;
      }
      default: {
        const never: never = message;
        void never;
      }
    }
  }

  private onExit(worker: Worker, why: string): void {
    if (this.worker === worker) this.worker = undefined;
    const tail = worker.stderrTail.trim().split('\n').slice(-3).join(' | ');
    for (const [id, p] of this.pending) {
      if (p.child !== worker.child) continue;
      this.pending.delete(id);
      p.reject(new WorkerExitedError(`${why} while working on ${basename(this.options.modelDir)}${tail ? ` (last output: ${tail})` : ''}; the next request starts a new one`));
    }
  }

  private withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return promise;
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e as Error);
        },
      );
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
