/**
 * One streaming pass over the traces of a file or folder (node:fs, no vscode), through the trace
 * readers: JSONL files record by record via `indexJsonl` (memory bounded by the offsets index), any
 * other file or special folder (Thought-Anchors problem, `prompt.md` + `response.md`) via
 * `readTraces`. Progress by bytes, cancellation between records, and a yield to the event loop every
 * few milliseconds so an extension host stays responsive.
 *
 * {@link collectInsights} runs the per-trace analysis once (segmentation, loop detection) and feeds the
 * statistics and, when asked, the behaviour miner: one pass, all figures.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { segment } from '../steps';
import { CancelledError, hasWarning, indexJsonl, type CancellationLike, type ParseOptions, readTraces, type Trace, type TraceError } from '../trace';
import { fileReadMode, listTraceSources } from '../trace/read';
import type { SegmentationMode, Step } from '../types';
import { BehaviourMiner, type BehaviourOptions, type BehaviourReport } from './behaviours';
import { detectLoops, type Loop, type LoopOptions, type LoopReport } from './loops';
import type { TraceRef } from './refs';
import { DatasetStatsBuilder, type DatasetStats } from './stats';

/** Progress of a scan. */
export interface ScanProgress {
  /** `indexing`: finding the records of a JSONL file; `reading`: analysing traces. */
  readonly phase: 'indexing' | 'reading';
  /** The file being read, and its index in `files`. */
  readonly file: string;
  readonly fileIndex: number;
  readonly files: number;
  /** Bytes of all files done so far (indexing counts the current file's indexing position). */
  readonly bytesDone: number;
  readonly totalBytes: number;
  readonly records: number;
  readonly traces: number;
}

/** Options of {@link scanTraces}. */
export interface ScanOptions extends ParseOptions {
  readonly onProgress?: (p: ScanProgress) => void;
  readonly cancellation?: CancellationLike;
  /** Longest stretch of synchronous work before yielding to the event loop (default 25 ms). */
  readonly yieldEveryMs?: number;
  /** Most error messages kept (default 100; all are counted). */
  readonly maxErrors?: number;
}

/** What a scan read, besides the traces it handed out. */
export interface ScanSummary {
  /** The files read (`TraceRef.file` indexes this list). */
  readonly files: readonly string[];
  readonly records: number;
  readonly traces: number;
  /** Records or files that could not be read (all counted, the first `maxErrors` kept). */
  readonly errorCount: number;
  readonly errors: readonly TraceError[];
  /** Files in a folder that hold no traces, with the reason. */
  readonly skipped: readonly string[];
}

/** True when `c` asks to stop (a VS Code token or an AbortSignal). */
function isCancelled(c: CancellationLike | undefined): boolean {
  return c !== undefined && ('aborted' in c ? c.aborted : c.isCancellationRequested);
}

const TEXT_EXTENSIONS = new Set(['.md', '.markdown', '.txt']);

/** A unit of reading: a file (streamed or read whole) or a folder the readers take as one trace. */
interface Unit {
  readonly path: string;
  readonly kind: 'jsonl' | 'whole' | 'folder';
  readonly bytes: number;
  /** Inside a scanned folder: a file without traces is skipped, not an error. */
  readonly inFolder: boolean;
}

/** The units of `path`, walked and classified exactly as `readTraces` does (`listTraceSources`, `fileReadMode`). */
async function listUnits(path: string, skipped: string[]): Promise<Unit[]> {
  const info = await stat(path);
  const fileUnit = async (p: string, inFolder: boolean): Promise<Unit> => {
    const size = (await stat(p)).size;
    return { path: p, kind: size > 0 && (await fileReadMode(p)) === 'jsonl' ? 'jsonl' : 'whole', bytes: size, inFolder };
  };
  if (!info.isDirectory()) return [await fileUnit(path, false)];
  const { sources, skipped: passed } = await listTraceSources(path);
  skipped.push(...passed);
  const units: Unit[] = [];
  for (const source of sources) {
    if (source.kind === 'file') units.push(await fileUnit(source.path, true));
    else units.push({ path: source.path, kind: 'folder', bytes: 0, inFolder: source.path !== path });
  }
  return units;
}

/** Record index of a trace read whole: its JSON array element, else 0. */
function recordOf(trace: Trace): number {
  const m = /^\$\[(\d+)\]/.exec(trace.source.jsonPath ?? '');
  return m ? Number(m[1]) : 0;
}

/**
 * Hands every trace of `path` (file or folder) to `visit`, in file order, with its {@link TraceRef}.
 * Rejects with `CancelledError` when cancelled.
 */
export async function scanTraces(path: string, visit: (trace: Trace, ref: TraceRef) => void, options: ScanOptions = {}): Promise<ScanSummary> {
  const skipped: string[] = [];
  const errors: TraceError[] = [];
  const maxErrors = options.maxErrors ?? 100;
  let errorCount = 0;
  const addErrors = (list: readonly TraceError[]): void => {
    errorCount += list.length;
    for (const e of list) if (errors.length < maxErrors) errors.push(e);
  };
  let units: Unit[];
  try {
    units = await listUnits(path, skipped);
  } catch (e) {
    addErrors([{ message: `cannot read ${path}: ${(e as Error).message}`, source: { file: path } }]);
    return { files: [], records: 0, traces: 0, errorCount, errors, skipped };
  }
  const parse: ParseOptions = {
    ...(options.format ? { format: options.format } : {}),
    ...(options.reasoningTags ? { reasoningTags: options.reasoningTags } : {}),
    ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
  };
  const totalBytes = units.reduce((s, u) => s + u.bytes, 0);
  const yieldEvery = options.yieldEveryMs ?? 25;
  const files: string[] = [];
  let records = 0;
  let traces = 0;
  let bytesBefore = 0;
  let sliceStart = performance.now();
  let lastProgress = 0;
  const progress = (phase: ScanProgress['phase'], file: string, bytesDone: number, force = false): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress({ phase, file, fileIndex: files.length - 1, files: units.length, bytesDone, totalBytes, records, traces });
  };
  const breathe = async (): Promise<void> => {
    if (performance.now() - sliceStart < yieldEvery) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
    if (isCancelled(options.cancellation)) throw new CancelledError();
  };
  const emit = (list: readonly Trace[], fileIndex: number, record: (t: Trace) => number, line: (t: Trace) => number | undefined): void => {
    const perRecord = new Map<number, number>();
    for (const t of list) {
      const r = record(t);
      const k = perRecord.get(r) ?? 0;
      perRecord.set(r, k + 1);
      const l = line(t);
      visit(t, { file: fileIndex, record: r, trace: k, ...(l !== undefined ? { line: l } : {}), id: t.id });
      traces++;
    }
  };

  for (const unit of units) {
    if (isCancelled(options.cancellation)) throw new CancelledError();
    files.push(unit.path);
    const fileIndex = files.length - 1;
    if (unit.kind === 'jsonl') {
      progress('indexing', unit.path, bytesBefore, true);
      let index;
      try {
        index = await indexJsonl(unit.path, {
          ...(options.cancellation ? { cancellation: options.cancellation } : {}),
          onProgress: (p) => progress('indexing', unit.path, bytesBefore + p.bytesRead),
        });
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        addErrors([{ message: (e as Error).message, source: { file: unit.path } }]);
        bytesBefore += unit.bytes;
        continue;
      }
      try {
        addErrors(index.errors);
        for (let i = 0; i < index.count; i++) {
          if ((i & 63) === 0) await breathe();
          const res = index.readTraces(i, parse);
          records++;
          addErrors(res.errors);
          const line = index.lineOf(i);
          emit(res.traces, fileIndex, () => i, () => line);
          progress('reading', unit.path, bytesBefore + index.offsetOf(i) + index.lengthOf(i));
        }
      } finally {
        index.close();
      }
    } else {
      await breathe();
      const res = await readTraces(unit.path, { ...parse, ...(options.cancellation ? { cancellation: options.cancellation } : {}) });
      // In a folder, a JSON file with no trace fields at all (mapping.json) or a text file without
      // reasoning delimiters (a README, a LICENSE) is not part of the dataset: the rules of `readTraces`
      // on a folder. Any other file without traces keeps its errors.
      const prose = TEXT_EXTENSIONS.has(extname(unit.path).toLowerCase()) && res.traces.length > 0 && res.traces.every((t) => hasWarning(t, 'no-delimiters'));
      const noTraceFields = res.traces.length === 0 && res.errors.length > 0 && res.errors.every((e) => e.code === 'unrecognised');
      if (unit.inFolder && (prose || noTraceFields)) {
        skipped.push(`${unit.path}: ${prose ? 'no reasoning delimiters' : res.errors[0]!.message}`);
      } else {
        addErrors(res.errors);
        skipped.push(...res.skipped);
        records += new Set(res.traces.map(recordOf)).size;
        emit(res.traces, fileIndex, recordOf, (t) => t.source.line);
      }
    }
    bytesBefore += unit.bytes;
    progress('reading', unit.path, bytesBefore, true);
  }
  return { files, records, traces, errorCount, errors, skipped };
}

/** What {@link analyseTrace} computes once per trace and every insight shares. */
export interface TraceAnalysis {
  readonly steps: readonly Step[];
  readonly loops: LoopReport;
}

/** Character starts of the trace's reasoning tokens (from the file's logprobs), when it has them. */
export function reasoningTokenStarts(trace: Trace): number[] | undefined {
  if (!trace.logprobs) return undefined;
  const starts: number[] = [];
  for (const t of trace.logprobs) if (t.region === 'reasoning' && t.start >= 0) starts.push(t.start);
  return starts.length > 0 ? starts : undefined;
}

/** Steps and loops of one trace (exact token counts when the file has logprobs). */
export function analyseTrace(trace: Trace, segmentation: SegmentationMode = 'paragraph', loopOptions: Omit<LoopOptions, 'steps' | 'tokenStarts'> = {}): TraceAnalysis {
  const steps = trace.reasoning.trim() ? segment(trace.reasoning, segmentation, trace.chunks) : [];
  const tokenStarts = reasoningTokenStarts(trace);
  const loops = detectLoops(trace.reasoning, { ...loopOptions, steps, ...(tokenStarts ? { tokenStarts } : {}) });
  return { steps, loops };
}

/** A trace with loops, for "most looping traces" lists. */
export interface LoopingTrace {
  readonly ref: TraceRef;
  readonly wastedTokens: number;
  readonly tokens: number;
  readonly loops: readonly Pick<Loop, 'description' | 'start' | 'end' | 'wastedTokens'>[];
}

/** Options of {@link collectInsights}. */
export interface InsightOptions extends ScanOptions {
  readonly segmentation?: SegmentationMode;
  readonly loops?: Omit<LoopOptions, 'steps' | 'tokenStarts'>;
  /** Mine recurring behaviours too (off by default: it costs about as much as the rest). */
  readonly behaviours?: BehaviourOptions | boolean;
  /** Behaviours listed (default 20). */
  readonly topBehaviours?: number;
  /** Looping traces listed, most waste first (default 20). */
  readonly topLooping?: number;
}

/** Everything one pass over a file or folder yields. */
export interface Insights {
  readonly scan: ScanSummary;
  readonly stats: DatasetStats;
  /** Bar → traces (keep it to answer clicks on the dashboard). */
  readonly statsBuilder: DatasetStatsBuilder;
  readonly looping: readonly LoopingTrace[];
  readonly behaviours?: BehaviourReport;
}

/** One pass: stats, loops and (optionally) behaviours of every trace of `path`. */
export async function collectInsights(path: string, options: InsightOptions = {}): Promise<Insights> {
  const segmentation = options.segmentation ?? 'paragraph';
  const builder = new DatasetStatsBuilder(segmentation === 'paragraph');
  const miner = options.behaviours ? new BehaviourMiner(options.behaviours === true ? {} : options.behaviours) : undefined;
  const topLooping = options.topLooping ?? 20;
  const looping: LoopingTrace[] = [];
  const scan = await scanTraces(
    path,
    (trace, ref) => {
      const analysis = analyseTrace(trace, segmentation, options.loops);
      builder.add(trace, ref, { steps: analysis.steps.length, loops: analysis.loops });
      miner?.addTrace(ref, analysis.steps);
      const report = analysis.loops;
      if (report.loops.length > 0 && topLooping > 0) {
        const worst = looping.length < topLooping ? undefined : looping[looping.length - 1];
        if (!worst || report.wastedTokens > worst.wastedTokens) {
          if (worst) looping.pop();
          looping.push({
            ref,
            wastedTokens: report.wastedTokens,
            tokens: report.tokens,
            loops: report.loops.map((l) => ({ description: l.description, start: l.start, end: l.end, wastedTokens: l.wastedTokens })),
          });
          looping.sort((a, b) => b.wastedTokens - a.wastedTokens);
        }
      }
    },
    options,
  );
  return {
    scan,
    stats: builder.result(),
    statsBuilder: builder,
    looping,
    ...(miner ? { behaviours: miner.result(options.topBehaviours ?? 20) } : {}),
  };
}
