/**
 * Streams a JSONL file through `workerTask` batches on worker threads (one per core by default) and
 * writes the results in input order, with a progress line on stderr and a checkpoint beside the output
 * so an interrupted run resumes where it stopped. Used by `prune` and `score` when the scores come from
 * the file's logprobs (CPU-bound work).
 */
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { addTotals, emptyTotals, type ExportTotals } from '../core/export/dataset';
import { CancelledError, scanJsonl } from '../core/trace/jsonlIndex';
import { makeTask, type TaskBatch, type TaskConfig, type TaskResult } from './workerTask';
import { EXIT_FAILURE, EXIT_USAGE, type CliIo } from './io';
import { ArgError } from './args';
import { checkOutput, OutputPathError, SourceOverwriteError } from '../core/export/atomicWrite';
import { AbortError, isAbortError } from '../core/cancel';
import { formatCount } from '../shared/format';

/** Checkpoint kept beside the output (`<out>.progress.json`). */
export interface Checkpoint {
  readonly version: 1;
  readonly input: string;
  readonly inputBytes: number;
  readonly inputMtimeMs: number;
  /** The options that shape the output: a re-run with other options starts over (or refuses). */
  readonly options: string;
  /** Input records (non-blank lines) already processed and written. */
  readonly recordsDone: number;
  /** Output length after those records. */
  readonly outputBytes: number;
  readonly totals: ExportTotals;
  readonly complete: boolean;
}

/** Path of the checkpoint of `output`. */
export function checkpointPath(output: string): string {
  return `${output}.progress.json`;
}

/** Reads a checkpoint, or undefined when missing or unreadable. */
export function readCheckpoint(output: string): Checkpoint | undefined {
  try {
    const c = JSON.parse(readFileSync(checkpointPath(output), 'utf8')) as Checkpoint;
    return c.version === 1 ? c : undefined;
  } catch {
    return undefined;
  }
}

function writeCheckpoint(output: string, c: Checkpoint): void {
  const path = checkpointPath(output);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(c));
  renameSync(tmp, path);
}

/** Progress on stderr: a redrawn bar on a TTY, a line every few seconds otherwise. */
export class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly io: CliIo, private readonly isTty: boolean, private readonly label: string, private readonly intervalMs = isTty ? 100 : 5000) {}

  /** `fraction` of the work done (by bytes), `count` items so far (since this run started). */
  update(fraction: number, count: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? count / seconds : 0;
    const eta = fraction > 0 && fraction < 1 ? (seconds / fraction) * (1 - fraction) : 0;
    const pct = `${(fraction * 100).toFixed(1)}%`;
    const figures = `${formatCount(count)} ${this.label}  ${formatCount(rate)}/s  ETA ${formatDuration(eta)}`;
    if (this.isTty) {
      const width = 24;
      const filled = Math.round(Math.min(1, fraction) * width);
      this.io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct.padStart(6)}  ${figures}\x1b[K`);
      this.drawn = true;
    } else {
      this.io.stderr(`progress: ${pct} ${figures}\n`);
    }
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.drawn) this.io.stderr('\n');
    this.drawn = false;
  }
}

function formatDuration(s: number): string {
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Options of `runJsonlPipeline`. */
export interface PipelineOptions {
  readonly input: string;
  readonly output: string;
  readonly config: TaskConfig;
  /** Worker threads (0 = run on the main thread); default one per core. */
  readonly workers?: number;
  /** Records per batch (default 64). */
  readonly batchSize?: number;
  /** Overwrite an output that has no matching checkpoint. */
  readonly force?: boolean;
  readonly io: CliIo;
  readonly isTty: boolean;
  /** Where the worker bundle is (default: `cliWorker.js` beside this bundle, or `RL_CLI_WORKER`). */
  readonly workerScript?: string;
  /** Stops reading; in-flight batches are written, the checkpoint saved, then it rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
  /** Called after each batch is written, with the records done so far (this run and resumed ones). */
  readonly onProgress?: (recordsDone: number) => void;
  /** Model-bound work instead of `config`'s CPU task: batches run one at a time on the main thread. */
  readonly asyncTask?: (batch: TaskBatch) => Promise<TaskResult>;
}

/** What a pipeline run did. */
export interface PipelineResult {
  /** Totals over the whole output (this run plus resumed ones). */
  readonly totals: ExportTotals;
  /** Records this run processed. */
  readonly processed: number;
  /** Records skipped because an earlier run already wrote them. */
  readonly resumed: number;
  readonly seconds: number;
  readonly workers: number;
}

/** The output exists and is not a resumable output of the same run: say so instead of clobbering it. */
export class OutputExistsError extends Error {
  override readonly name = 'OutputExistsError';
}

/** Default worker count: one per core (the main thread only reads and writes). */
export function defaultWorkers(): number {
  return Math.max(1, cpus().length);
}

function resolveWorkerScript(explicit?: string): string | undefined {
  const candidates = [explicit, process.env.RL_CLI_WORKER, typeof __dirname === 'string' ? join(__dirname, 'cliWorker.js') : undefined];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/** Runs the pipeline; see the module comment. */
export async function runJsonlPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const started = Date.now();
  const input = resolve(options.input);
  const output = resolve(options.output);
  const info = statSync(input);
  const target = await checkOutput(input, output, options.force ? { force: true } : {});
  const optionsKey = JSON.stringify(options.config);
  const previous = readCheckpoint(output);
  const resumable = previous && previous.input === input && previous.inputBytes === info.size && previous.inputMtimeMs === info.mtimeMs && previous.options === optionsKey && existsSync(output);
  if (target.exists && !resumable && !options.force) {
    throw new OutputExistsError(
      previous
        ? `${options.output} was written from another input or with other options (see ${checkpointPath(options.output)}); use --force to start over`
        : `${options.output} already exists; use --force to overwrite it`,
    );
  }
  const totals = emptyTotals();
  let recordsDone = 0;
  let outputBytes = 0;
  if (resumable) {
    addTotals(totals, previous.totals);
    recordsDone = previous.recordsDone;
    outputBytes = previous.outputBytes;
  }
  const resumed = recordsDone;
  // A dangling symlink (allowed by --force) is replaced by a regular file, never followed.
  if (target.danglingLink) unlinkSync(output);
  const created = !target.exists || target.danglingLink;
  const fd = openSync(output, resumable ? 'r+' : 'w');
  // Drop whatever an interrupted run wrote after its last checkpoint.
  ftruncateSync(fd, outputBytes);
  const workerScript = resolveWorkerScript(options.workerScript);
  const workerCount = workerScript && !options.asyncTask ? options.workers ?? defaultWorkers() : 0;
  const pool: Worker[] = [];
  const inline = makeTask(options.config);
  const batchSize = options.batchSize ?? 64;
  const progress = new Progress(options.io, options.isTty, options.config.kind === 'prune' ? 'traces' : 'traces scored');
  let processed = 0;
  /** Input bytes up to the end of the last record written (progress is by bytes: the input is streamed, never counted first). */
  let bytesDone = 0;
  const batchEnds = new Map<number, number>();
  let lastCheckpoint = Date.now();

  const checkpoint = (complete: boolean): void => {
    writeCheckpoint(output, { version: 1, input, inputBytes: info.size, inputMtimeMs: info.mtimeMs, options: optionsKey, recordsDone, outputBytes, totals, complete });
  };

  // In-order writing of results that may arrive out of order.
  const pending = new Map<number, TaskResult>();
  let nextToWrite = 0;
  const writeReady = (): void => {
    for (let r = pending.get(nextToWrite); r; r = pending.get(nextToWrite)) {
      pending.delete(nextToWrite);
      nextToWrite++;
      if (r.output) {
        const buf = Buffer.from(r.output, 'utf8');
        writeSync(fd, buf, 0, buf.length, outputBytes);
        outputBytes += buf.length;
      }
      recordsDone += r.records;
      processed += r.records;
      bytesDone = batchEnds.get(r.seq) ?? bytesDone;
      batchEnds.delete(r.seq);
      addTotals(totals, r.totals);
      options.onProgress?.(recordsDone);
      if (Date.now() - lastCheckpoint > 1000) {
        checkpoint(false);
        lastCheckpoint = Date.now();
      }
    }
    progress.update(info.size ? bytesDone / info.size : 1, processed);
  };

  let inFlight = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const settle = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const idle: Worker[] = [];
  const queue: TaskBatch[] = [];
  for (let i = 0; i < workerCount; i++) {
    // A small young generation per worker: V8's default (48 MB a thread) is what made the peak grow
    // with the thread count; collections of these short-lived records stay cheap (npm run bench -- memory).
    const w = new Worker(workerScript!, { workerData: options.config, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    w.on('message', (msg: { ok: true; result: TaskResult } | { ok: false; seq: number; message: string }) => {
      inFlight--;
      if (msg.ok) pending.set(msg.result.seq, msg.result);
      else failure ??= new Error(`batch ${msg.seq} failed: ${msg.message}`);
      const next = queue.shift();
      if (next) {
        inFlight++;
        w.postMessage(next);
      } else idle.push(w);
      try {
        writeReady();
      } catch (error) {
        failure ??= error as Error;
      }
      settle();
    });
    w.on('error', (error) => {
      failure ??= error;
      settle();
    });
    pool.push(w);
    idle.push(w);
  }
  const dispatch = async (batch: TaskBatch): Promise<void> => {
    if (options.asyncTask) {
      pending.set(batch.seq, await options.asyncTask(batch));
      writeReady();
      return;
    }
    if (!workerCount) {
      pending.set(batch.seq, inline(batch));
      writeReady();
      return;
    }
    const w = idle.pop();
    if (w) {
      inFlight++;
      w.postMessage(batch);
    } else queue.push(batch);
  };
  const waitForRoom = async (): Promise<void> => {
    while (!failure && queue.length + inFlight >= workerCount * 4) await new Promise<void>((r) => (wake = r));
  };

  try {
    let seq = 0;
    let starts: number[] = [];
    let ends: number[] = [];
    let numbers: number[] = [];
    let batchOffset = 0;
    const flushBatch = async (): Promise<void> => {
      if (!starts.length) return;
      const batch: TaskBatch = { seq: seq++, offset: batchOffset, length: ends[ends.length - 1]!, starts, ends, lineNumbers: numbers };
      batchEnds.set(batch.seq, batch.offset + batch.length);
      starts = [];
      ends = [];
      numbers = [];
      await dispatch(batch);
      if (workerCount) await waitForRoom();
    };
    const aborted = (): boolean => options.signal?.aborted === true;
    // Record boundaries streamed chunk by chunk (blank lines skipped, BOM and CRLF handled): no decoding
    // and no index on this thread, so memory does not grow with the input; workers read their byte ranges.
    let seen = 0;
    try {
      for await (const chunk of scanJsonl(input, options.signal ? { cancellation: options.signal } : {})) {
        // A resumed run restored the first run's totals, which already list these.
        if (resumed === 0) for (const e of chunk.errors) totals.skipped.push({ id: `line ${e.source.line ?? '?'}`, where: input, reason: e.message });
        for (const r of chunk.records) {
          if (failure || aborted()) break;
          if (seen++ < resumed) continue;
          if (!starts.length) batchOffset = r.offset;
          starts.push(r.offset - batchOffset);
          ends.push(r.offset + r.length - batchOffset);
          numbers.push(r.line);
          if (starts.length >= batchSize || ends[ends.length - 1]! > 8 << 20) await flushBatch();
        }
        if (failure || aborted()) break;
      }
    } catch (e) {
      // Interrupted while reading: fall through to the "interrupted, run again to resume" path below.
      if (!(e instanceof CancelledError)) throw e;
    }
    if (!failure && !aborted()) await flushBatch();
    while (!failure && (inFlight > 0 || queue.length > 0)) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
    if (aborted()) {
      writeReady();
      throw new AbortError(`interrupted after ${formatCount(recordsDone)} records; run the same command again to resume`);
    }
    writeReady();
    progress.update(1, processed, true);
    progress.done();
    checkpoint(true);
    return { totals, processed, resumed, seconds: (Date.now() - started) / 1000, workers: workerCount };
  } catch (error) {
    progress.done();
    // Keep what was written in order: a re-run resumes from the last checkpoint.
    checkpoint(false);
    throw error;
  } finally {
    closeSync(fd);
    await Promise.all(pool.map((w) => w.terminate()));
    // A run that pruned nothing leaves no new file (an empty one, or a copy of the input whose
    // records all passed through) nor its checkpoint behind.
    if (created && (outputBytes === 0 || totals.pruned === 0)) {
      rmSync(output, { force: true });
      rmSync(checkpointPath(output), { force: true });
    }
  }
}

/** Exit code after an interruption (128 + SIGINT), as shells report Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/**
 * Reports a dataset command's failure on stderr and returns its exit code: 2 for bad arguments and
 * for outputs that would overwrite the source or an existing file or cannot be written as given (a
 * missing folder, a dangling symlink), 130 when interrupted, else 1.
 */
export function reportFailure(command: string, usage: string, error: unknown, io: CliIo): number {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ArgError) {
    io.stderr(`reasoning-lens ${command}: ${message}\n${usage}`);
    return EXIT_USAGE;
  }
  io.stderr(`reasoning-lens ${command}: ${message}\n`);
  if (isAbortError(error)) return EXIT_INTERRUPTED;
  if (error instanceof SourceOverwriteError || error instanceof OutputExistsError || error instanceof OutputPathError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** What a subcommand's body gets from {@link commandScope}. */
export interface CommandScope {
  /** Aborted by Ctrl-C or SIGTERM. */
  readonly signal: AbortSignal;
  /** Disposes `resource` (a backend…) when the command ends, however it ends; returns it. */
  hold<T extends { dispose(): unknown } | undefined>(resource: T): T;
}

/**
 * Runs a subcommand's body with a Ctrl-C signal: a failure becomes its message and exit code
 * (`reportFailure`), and what the body held is disposed whatever happens.
 */
export async function commandScope(command: string, usage: string, io: CliIo, body: (scope: CommandScope) => Promise<number>): Promise<number> {
  const interrupt = interruptSignal();
  const held: { dispose(): unknown }[] = [];
  try {
    return await body({ signal: interrupt.signal, hold: (resource) => { if (resource) held.push(resource); return resource; } });
  } catch (error) {
    return reportFailure(command, usage, error, io);
  } finally {
    interrupt.dispose();
    for (const resource of held.reverse()) await resource.dispose();
  }
}

/**
 * An AbortSignal that fires on the first Ctrl-C (SIGINT) or SIGTERM, so a run stops cleanly and keeps
 * its checkpoint; a second Ctrl-C falls back to Node's default (exit at once). Call `dispose` when done.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    controller.abort(new AbortError(`interrupted (${signal})`));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { signal: controller.signal, dispose: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); } };
}
