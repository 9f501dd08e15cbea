/**
 * The rows behind a dataset browser (pure: no `vscode`; node:fs only through the {@link RecordSource}).
 *
 * Rows are produced lazily. Right after indexing, every record counts as one row and the rows asked
 * for are parsed on demand. A background pass then summarises the records in order, in time slices,
 * so the laid-out prefix `[0, summarised)` has its exact rows (one per trace, or an error row) while
 * records past it still count as one row each. Filter and sort run over the laid-out rows and are
 * recomputed as the pass advances; `complete` says when the counts are final.
 */
import { CancelledError } from '../core/trace/jsonlIndex';
import { isCancelled, type CancellationLike } from '../core/cancel';
import type { DatasetProgress, DatasetQuery, DatasetRow, DatasetRowsResult, DatasetView } from '../shared/datasetProtocol';
import { applyQuery, compileFilter, type CompiledFilter } from './query';
import type { RecordSource } from './recordSource';
import { errorRow, summariseRecord, type RowSummary } from './summary';

/** Options of {@link DatasetModel}. */
export interface DatasetModelOptions {
  /** Longest slice of synchronous work in the background pass before it yields (ms). */
  readonly sliceMs?: number;
  /** Least time between two change notifications during the background pass (ms). */
  readonly notifyEveryMs?: number;
}

const EMPTY_QUERY: DatasetQuery = { filter: '', sort: null };

/** Rows, filter and sort of one dataset file. */
export class DatasetModel {
  /** Summaries of records parsed on demand, ahead of the background pass. */
  private readonly ahead = new Map<number, RowSummary[]>();
  /** Rows of records `[0, summarised)`, each with its final `index`. */
  private readonly laid: DatasetRow[] = [];
  private summarised = 0;
  private fileErrorsLaid = false;
  private query: DatasetQuery = EMPTY_QUERY;
  private filter: CompiledFilter = compileFilter('');
  /** The view as indices into `laid`, or undefined for the plain (unfiltered, unsorted) view. */
  private order: Uint32Array | undefined;
  private orderStale = false;
  private versionCounter = 1;
  private errorCount = 0;
  private correctness = false;
  private logprobs = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly source: RecordSource,
    readonly fileName: string,
    private readonly options: DatasetModelOptions = {},
  ) {}

  /** True once every record is summarised: counts, filter and sort are final. */
  get complete(): boolean {
    return this.summarised === this.source.count && this.fileErrorsLaid;
  }

  /** Subscribes to changes of the view (new rows summarised, query changed). */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Progress of the background pass, in records. */
  progress(): DatasetProgress {
    return { phase: this.complete ? 'done' : 'summarising', done: this.summarised, total: this.source.count };
  }

  /** Sets the filter and sort; an invalid filter keeps showing every row and reports why in the view. */
  setQuery(query: DatasetQuery): DatasetView {
    this.query = query;
    this.filter = compileFilter(query.filter);
    this.recompute();
    this.fire();
    return this.view();
  }

  /** The current view. */
  view(): DatasetView {
    this.refreshOrder();
    return {
      version: this.versionCounter,
      fileName: this.fileName,
      rows: this.viewLength(),
      totalRows: this.totalRows(),
      records: this.source.count,
      errorRows: this.errorCount,
      complete: this.complete,
      hasCorrectness: this.correctness,
      hasLogprobs: this.logprobs,
      query: this.query,
      ...(this.filter.ok ? {} : { filterError: this.filter.error }),
    };
  }

  /** Rows `[start, start + count)` of the view (clamped). */
  rows(start: number, count: number): DatasetRowsResult {
    this.refreshOrder();
    const end = Math.min(this.viewLength(), start + count);
    const rows: DatasetRow[] = [];
    for (let r = start; r < end; r++) rows.push(this.rowAt(r));
    return { version: this.versionCounter, start, rows };
  }

  /** The row at position `r` of the view. */
  rowAt(r: number): DatasetRow {
    this.refreshOrder();
    if (!Number.isInteger(r) || r < 0 || r >= this.viewLength()) throw new RangeError(`row ${r} is not in the view (0..${this.viewLength() - 1})`);
    if (this.order) return this.laid[this.order[r]!]!;
    if (r < this.laid.length) return this.laid[r]!;
    // Past the laid-out prefix: one row per record until the background pass reaches it.
    const record = this.summarised + (r - this.laid.length);
    return { ...this.recordRows(record)[0]!, index: r };
  }

  /**
   * Summarises every record in order, yielding to the event loop between time slices so requests
   * for rows are answered meanwhile. Rejects with `CancelledError` when cancelled.
   */
  async summariseAll(cancellation?: CancellationLike): Promise<void> {
    const slice = this.options.sliceMs ?? 30;
    const notifyEvery = this.options.notifyEveryMs ?? 200;
    let lastNotify = Date.now();
    while (!this.complete) {
      if (isCancelled(cancellation)) throw new CancelledError();
      const sliceEnd = Date.now() + slice;
      while (this.summarised < this.source.count && Date.now() < sliceEnd) {
        for (let k = 0; k < 64 && this.summarised < this.source.count; k++) this.layOut(this.recordRows(this.summarised++));
      }
      if (this.summarised === this.source.count && !this.fileErrorsLaid) {
        // Lines the index could not take (too long…) belong to no record: their rows go last.
        for (const e of this.source.errors) this.layOut([errorRow(e, this.source.count, e.source.line ?? 0)]);
        this.fileErrorsLaid = true;
      }
      this.orderStale = true;
      if (this.complete || Date.now() - lastNotify >= notifyEvery) {
        lastNotify = Date.now();
        this.versionCounter++;
        this.fire();
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private layOut(rows: readonly RowSummary[]): void {
    for (const row of rows) {
      if (row.error !== undefined) this.errorCount++;
      if (row.correct !== null) this.correctness = true;
      if (row.error === undefined && !row.tokensEstimated) this.logprobs = true;
      this.laid.push({ ...row, index: this.laid.length });
    }
  }

  /** The rows of `record`, parsed now unless cached; a record's parse failure becomes an error row. */
  private recordRows(record: number): RowSummary[] {
    const cached = this.ahead.get(record);
    if (cached) {
      if (record < this.summarised) this.ahead.delete(record);
      return cached;
    }
    let rows: RowSummary[];
    const line = this.source.lineOf(record);
    try {
      rows = summariseRecord(this.source.read(record), record, line);
    } catch (e) {
      rows = [errorRow(`could not read the record: ${e instanceof Error ? e.message : String(e)}`, record, line)];
    }
    if (record >= this.summarised) this.ahead.set(record, rows);
    return rows;
  }

  private totalRows(): number {
    return this.laid.length + (this.source.count - this.summarised);
  }

  private viewLength(): number {
    return this.order ? this.order.length : this.totalRows();
  }

  private isPlain(): boolean {
    const sort = this.query.sort;
    return (!this.filter.ok || this.filter.empty) && (!sort || (sort.column === 'index' && !sort.descending));
  }

  private recompute(): void {
    this.versionCounter++;
    this.orderStale = false;
    this.order = this.isPlain() ? undefined : applyQuery(this.laid, this.filter.ok ? this.filter : compileFilter('') as CompiledFilter & { ok: true }, this.query.sort);
  }

  /** Filter/sort results are recomputed lazily: only when someone looks, not after every batch. */
  private refreshOrder(): void {
    if (this.orderStale) {
      const version = this.versionCounter;
      this.recompute();
      this.versionCounter = version;
    }
  }

  private fire(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Releases the file. */
  dispose(): void {
    this.listeners.clear();
    this.source.close();
  }
}
