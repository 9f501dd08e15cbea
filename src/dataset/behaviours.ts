/**
 * Recurring behaviours of one dataset file for the browser's Behaviours tab: every trace's paragraph
 * steps through the `BehaviourMiner` (model-free MinHash/LSH clustering, bounded memory), record by
 * record in time slices with progress and cancellation, the report so far handed out as it grows.
 * Pure: records come from a {@link RecordSource}.
 */
import { BehaviourMiner, type BehaviourOptions, type BehaviourReport } from '../core/insights/behaviours';
import { isCancelled, type CancellationLike } from '../core/cancel';
import { CancelledError } from '../core/trace/jsonlIndex';
import type { Trace } from '../core/trace/types';
import type { BehaviourView } from '../shared/datasetProtocol';
import type { RecordSource } from './recordSource';
import { paragraphSteps } from './summary';

/** Options of {@link mineBehaviours}. */
export interface MineOptions {
  readonly cancellation?: CancellationLike;
  /** Called with records done and the report so far, at most every `reportEveryMs`. */
  readonly onProgress?: (done: number, report: BehaviourReport) => void;
  readonly reportEveryMs?: number;
  /** Longest slice of synchronous work before yielding (ms). */
  readonly sliceMs?: number;
  /** Behaviours listed (default 30). */
  readonly top?: number;
  readonly miner?: BehaviourOptions;
}

/** Mines the recurring behaviours of every trace of `source`; rejects with `CancelledError` when cancelled. */
export async function mineBehaviours(source: RecordSource, options: MineOptions = {}): Promise<BehaviourReport> {
  const miner = new BehaviourMiner({ examples: 5, ...options.miner });
  const top = options.top ?? 30;
  const slice = options.sliceMs ?? 30;
  const every = options.reportEveryMs ?? 500;
  let lastReport = Date.now();
  let record = 0;
  while (record < source.count) {
    if (isCancelled(options.cancellation)) throw new CancelledError();
    const sliceEnd = Date.now() + slice;
    while (record < source.count && Date.now() < sliceEnd) {
      const line = source.lineOf(record);
      // An unreadable record has no steps to mine; the table shows why as an error row.
      const traces = readOrNothing(source, record);
      traces.forEach((trace, k) => miner.addTrace({ file: 0, record, trace: k, line, id: trace.id }, paragraphSteps(trace)));
      record++;
    }
    if (options.onProgress && Date.now() - lastReport >= every) {
      lastReport = Date.now();
      options.onProgress(record, miner.result(top));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return miner.result(top);
}

function readOrNothing(source: RecordSource, record: number): readonly Trace[] {
  try {
    return source.read(record).traces;
  } catch {
    return [];
  }
}

/** A report as the webview shows it (examples point at a record, a trace of it and a step). */
export function behaviourViews(report: BehaviourReport): BehaviourView[] {
  return report.behaviours.map((b) => ({
    rank: b.rank,
    label: b.label,
    traces: b.traces,
    share: b.share,
    occurrences: b.occurrences,
    position: b.position,
    positionShares: [...b.positionShares],
    averageTokens: b.averageTokens,
    examples: b.examples.map((e) => ({ record: e.record, trace: e.trace, line: e.line ?? e.record + 1, id: e.id, step: e.step, text: e.text })),
  }));
}
