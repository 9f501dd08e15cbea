/**
 * `OnnxBackend`: a local model behind `ScoringBackend` (an ONNX folder, or a `.gguf` file run by
 * llama.cpp), run in a child process so that native inference never blocks (or takes down) the caller.
 * The child is forked from a separately bundled worker script (`workerPath`, built from
 * `src/model/onnx/worker.ts`) on the first request. If it dies (crash, OOM kill) the requests in flight
 * reject with a clear error and the next request forks a new one. Both runtimes get the same guards here:
 * - cancellation: an aborted call rejects at once; the worker stops at its next chunk, and one that has
 *   not stopped within `cancelGraceMs` is killed (so work stops within a second whatever a chunk costs);
 * - a watchdog: a worker with work in flight that reports nothing (no progress, token or answer) for
 *   `watchdogMs` is hung or stopped (SIGSTOP): its requests fail with a `WatchdogError` and it is
 *   killed and started again.
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
  /**
   * A worker with work in flight that reports nothing for this long is failed and restarted
   * (default {@link DEFAULT_WATCHDOG_MS}; 0 turns the watchdog off).
   */
  readonly watchdogMs?: number | undefined;
  /** How long a cancelled request may take to stop before its worker is killed (default 500 ms). */
  readonly cancelGraceMs?: number | undefined;
}

/** Default watchdog: two minutes without progress (a chunk of a large model on few cores takes tens of seconds). */
export const DEFAULT_WATCHDOG_MS = 120_000;
/** Silence allowed while the process starts and loads the model, whatever the watchdog. */
const LOAD_WATCHDOG_MS = 60_000;

/** The worker process ended while a request was in flight. */
export class WorkerExitedError extends Error {
  override readonly name: string = 'WorkerExitedError';
}

/** The worker reported no progress for the watchdog's time: it was killed and started again. */
export class WatchdogError extends WorkerExitedError {
  override readonly name = 'WatchdogError';
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  readonly onToken?: ((text: string) => void) | undefined;
  readonly child: ChildProcess;
  /** The caller has gone (aborted): the entry waits for the worker to confirm that it stopped. */
  cancelled?: boolean;
}

interface Worker {
  readonly child: ChildProcess;
  /** Resolves once the model is loaded in this child. */
  readonly ready: Promise<LoadedModelInfo>;
  stderrTail: string;
  /** When the worker last said anything, or was last given work while idle (watchdog). */
  lastHeard: number;
  loaded: boolean;
  watchdog?: NodeJS.Timeout;
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
    // Work still in flight (a cancelled request finishing its chunk) is not worth waiting for.
    if (this.busy(w)) w.child.kill('SIGKILL');
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
    // An idle worker's silence is not a hang: the watchdog counts from when it is given work.
    if (!this.busy(w)) w.lastHeard = Date.now();
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, child: w.child, ...callbacks });
    });
    w.child.send({ ...body, id } as ToWorker);
    if (!signal) return result;
    const onAbort = (): void => {
      const p = this.pending.get(id);
      if (!p || p.cancelled) return;
      p.cancelled = true;
      p.reject(abortReason(signal));
      try {
        w.child.send({ type: 'cancel', id } satisfies ToWorker);
      } catch {
        /* worker gone */
      }
      // The worker answers a cancel at its next chunk; one that does not within the grace is killed,
      // so the work stops within a second whatever a chunk costs (the next request starts a new one).
      const timer = setTimeout(() => {
        if (this.pending.get(id) !== p) return;
        this.fail(w, (why) => new WorkerExitedError(why), `the model process (${basename(this.options.modelDir)}) did not stop within ${this.cancelGraceMs} ms of a cancel and was stopped; the next request starts a new one`);
      }, this.cancelGraceMs);
      timer.unref();
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
      lastHeard: Date.now(),
      loaded: false,
      ready: new Promise<LoadedModelInfo>((resolve, reject) => {
        this.pending.set(loadId, { resolve: resolve as (v: unknown) => void, reject, child });
      }),
    };
    // A failed load must not leave an unhandled rejection when nobody awaits `ready` yet.
    worker.ready.then(
      (info) => {
        this.info = info;
        worker.loaded = true;
      },
      () => undefined,
    );
    this.worker = worker;
    this.watch(worker);
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
    if (this.worker?.child === child) this.worker.lastHeard = Date.now();
    const p = this.pending.get(message.id);
    if (!p || p.child !== child) return;
    if (p.cancelled) {
      // The worker confirms that a cancelled request stopped (or finished anyway): nobody waits for it.
      if (message.type === 'result' || message.type === 'error') this.pending.delete(message.id);
      return;
    }
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
    if (worker.watchdog) clearInterval(worker.watchdog);
    const tail = worker.stderrTail.trim().split('\n').slice(-3).join(' | ');
    for (const [id, p] of this.pending) {
      if (p.child !== worker.child) continue;
      this.pending.delete(id);
      p.reject(new WorkerExitedError(`${why} while working on ${basename(this.options.modelDir)}${tail ? ` (last output: ${tail})` : ''}; the next request starts a new one`));
    }
  }

  private get cancelGraceMs(): number {
    return this.options.cancelGraceMs ?? 500;
  }

  /** True while `worker` has requests in flight (cancelled ones included: it is still working on them). */
  private busy(worker: Worker): boolean {
    for (const p of this.pending.values()) if (p.child === worker.child) return true;
    return false;
  }

  /** Checks `worker` for silence while it has work in flight (the watchdog). */
  private watch(worker: Worker): void {
    const limit = this.options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    if (!(limit > 0)) return;
    worker.watchdog = setInterval(() => {
      // Until the model is loaded the process may still be starting (Node, onnxruntime, the weights):
      // it sends heartbeats while it loads, but gets at least a minute before it counts as hung.
      if (!this.busy(worker) || Date.now() - worker.lastHeard <= (worker.loaded ? limit : Math.max(limit, LOAD_WATCHDOG_MS))) return;
      const seconds = (limit / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 });
      this.fail(worker, (why) => new WatchdogError(why), `the model process (${basename(this.options.modelDir)}) reported no progress for ${seconds} s (hung, or stopped with SIGSTOP): it was killed and is started again`);
      // Started again at once when it had loaded the model (so the next request finds it ready); a load
      // that hangs is not retried until something asks for the model.
      if (worker.loaded && !this.disposed && !this.worker) this.ensureWorker();
    }, Math.max(100, Math.min(1000, limit / 4)));
    worker.watchdog.unref();
  }

  /** Rejects every request of `worker` with `error(why)`, then kills it (SIGKILL stops a stopped process too). */
  private fail(worker: Worker, error: (why: string) => Error, why: string): void {
    if (this.worker === worker) this.worker = undefined;
    if (worker.watchdog) clearInterval(worker.watchdog);
    for (const [id, p] of this.pending) {
      if (p.child !== worker.child) continue;
      this.pending.delete(id);
      p.reject(error(why));
    }
    worker.child.kill('SIGKILL');
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
