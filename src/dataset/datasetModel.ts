/**
 * The rows behind a dataset browser (pure: no `vscode`; node:fs only through the {@link RecordSource}
 * and the {@link TextIndex}'s scratch file).
 *
 * Rows are produced lazily. Right after indexing, every record counts as one row and the rows asked
 * for are parsed on demand. A background pass then summarises the records in order, in time slices,
 * so the laid-out prefix `[0, summarised)` has its exact rows (one per trace, or an error row) while
 * records past it still count as one row each. That one pass also feeds the dashboard's statistics
 * (the rows' own figures, so a bar and the filter it sets always count the same traces). Filter and
 * sort run over the laid-out rows and are recomputed as the pass advances; `complete` says when the
 * counts are final. Full-text terms are answered by a search index built on the first search, in a
 * second background pass; matches stream into the view as rows are searched.
 */
import { CancelledError } from '../core/trace/jsonlIndex';
import { isCancelled, type CancellationLike } from '../core/cancel';
import { DatasetStatsBuilder } from '../core/insights/stats';
import type { TraceError } from '../core/trace/types';
import type { DatasetDashboard, DatasetFields, DatasetProgress, DatasetQuery, DatasetRow, DatasetRowsResult, DatasetSearchProgress, DatasetView } from '../shared/datasetProtocol';
import type { BehaviourReport } from '../core/insights/behaviours';
import { mineBehaviours, type MineOptions } from './behaviours';
import { dashboardOf } from './dashboard';
import { applyQuery, compileFilter, type CompiledFilter } from './query';
import { detectFileFields, traceFacts, type FileFields, type TraceFacts } from './recordFacts';
import type { RecordSource } from './recordSource';
import { errorRow, recordTexts, summariseRecord, type RecordResult, type RowSummary } from './summary';
import { TextIndex, type TextTerm } from './textIndex';

/** Options of {@link DatasetModel}. */
export interface DatasetModelOptions {
  /** Longest slice of synchronous work in the background passes before they yield (ms). */
  readonly sliceMs?: number;
  /** Least time between two change notifications during the background passes (ms). */
  readonly notifyEveryMs?: number;
  /** The id path `reasoningLens.fieldMapping` gives this file (the reader applies it; the view names it). */
  readonly mappedId?: string;
  /** Folder for the search index's scratch file (default: the temp folder). */
  readonly searchDir?: string;
}

const EMPTY_QUERY: DatasetQuery = { filter: '', sort: null };
/** Records read at first to find the file's own id and correctness fields. */
const FACT_SAMPLES = 20;

/** A full-text search of the current filter: which rows matched, how far it got. */
interface Search {
  readonly run: number;
  readonly terms: readonly TextTerm[];
  matches: Uint8Array;
  /** Rows `[0, searched)` are decided. */
  searched: number;
  phase: DatasetSearchProgress['phase'];
  message?: string;
}

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
  private fields: FileFields | undefined;
  private readonly stats = new DatasetStatsBuilder();
  private dashboardCache: DatasetDashboard | undefined;
  private statsVersion = 0;
  private index: TextIndex | undefined;
  private indexedRecords = 0;
  private indexing: Promise<void> | undefined;
  private indexAbort = new AbortController();
  private indexWaiters: (() => void)[] = [];
  private search: Search | undefined;
  private searchRuns = 0;
  private lastNotify = 0;
  private disposed = false;

  constructor(
    private readonly source: RecordSource,
    readonly fileName: string,
    private readonly options: DatasetModelOptions = {},
  ) {}

  /** True once every record is summarised: counts, filter, sort and dashboard are final. */
  get complete(): boolean {
    return this.summarised === this.source.count && this.fileErrorsLaid;
  }

  /** Subscribes to changes of the view (new rows summarised, search results, query changed). */
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
    this.startSearch();
    this.recompute();
    this.fire();
    return this.view();
  }

  /** The current view. */
  view(): DatasetView {
    this.refreshOrder();
    const fields = this.viewFields();
    const search = this.search;
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
      ...(fields ? { fields } : {}),
      ...(search
        ? { search: { phase: search.phase, done: search.searched, total: this.totalRows(), ...(search.message !== undefined ? { message: search.message } : {}) } }
        : {}),
    };
  }

  /** The dashboard over the rows summarised so far (recomputed only when rows were added). */
  dashboard(): DatasetDashboard {
    if (!this.dashboardCache || this.dashboardCache.traces !== this.stats.traces || this.dashboardCache.complete !== this.complete) {
      this.dashboardCache = dashboardOf(this.stats.result(), ++this.statsVersion, this.complete);
    }
    return this.dashboardCache;
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
    const laid = this.laid[r];
    if (laid) return laid;
    // Past the laid-out prefix: one row per record until the background pass reaches it.
    const record = this.summarised + (r - this.laid.length);
    return { ...this.recordRows(record)[0]!, index: r };
  }

  /** Mines the recurring behaviours of every trace of the file (a pass of its own; see `behaviours.ts`). */
  mineBehaviours(options: MineOptions): Promise<BehaviourReport> {
    return mineBehaviours(this.source, options);
  }

  /** The traces of record `record` as the reader gives them (to open one of them). */
  readRecord(record: number): RecordResult {
    return this.source.read(record);
  }

  /**
   * Summarises every record in order, yielding to the event loop between time slices so requests
   * for rows are answered meanwhile. Rejects with `CancelledError` when cancelled.
   */
  async summariseAll(cancellation?: CancellationLike): Promise<void> {
    const slice = this.options.sliceMs ?? 30;
    while (!this.complete) {
      if (isCancelled(cancellation) || this.disposed) throw new CancelledError();
      const sliceEnd = Date.now() + slice;
      while (this.summarised < this.source.count && Date.now() < sliceEnd) {
        for (let k = 0; k < 64 && this.summarised < this.source.count; k++) this.layOut(this.recordRows(this.summarised++));
      }
      if (this.summarised === this.source.count && !this.fileErrorsLaid) {
        // Lines the index could not take (too long…) belong to no record: their rows go last.
        for (const e of this.source.errors) this.layOut([errorRow(e, this.source.count, e.source.line ?? 0)]);
        this.fileErrorsLaid = true;
      }
      this.changed(this.complete);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private layOut(rows: readonly RowSummary[]): void {
    rows.forEach((row, k) => {
      if (row.error !== undefined) this.errorCount++;
      else {
        if (!row.tokensEstimated) this.logprobs = true;
        this.stats.addFigures(
          { file: 0, record: row.record, trace: k, line: row.line, id: row.traceId },
          { reasoningTokens: row.tokens, tokensExact: !row.tokensEstimated, steps: row.steps, loops: row.loops, wastedTokens: row.wastedTokens, truncated: row.truncated, answerFound: row.answerFound, correct: row.correct },
        );
      }
      if (row.correct !== null) this.correctness = true;
      this.laid.push({ ...row, index: this.laid.length });
    });
  }

  /** The file's own id and correctness fields, found in the first records (once). */
  private fileFields(): FileFields {
    if (!this.fields) {
      const samples = [];
      for (let i = 0; i < Math.min(FACT_SAMPLES, this.source.count); i++) {
        const value = this.source.value(i);
        if (value === undefined) continue;
        try {
          samples.push({ value, traces: this.source.read(i).traces });
        } catch {
          // An unreadable record says nothing about the fields.
        }
      }
      this.fields = detectFileFields(samples);
    }
    return this.fields;
  }

  private viewFields(): DatasetFields | undefined {
    const detected = this.fields ?? {};
    const mapped = this.options.mappedId;
    if (mapped !== undefined) return { id: mapped, ...(detected.correct !== undefined ? { correct: detected.correct } : {}), source: 'setting' };
    if (detected.id === undefined && detected.correct === undefined) return undefined;
    return { ...detected, source: 'detected' };
  }

  /** Record `record` read, with the file's own id and correctness of its traces; a read failure becomes an error. */
  private readWithFacts(record: number): { result: RecordResult; facts: readonly TraceFacts[]; line: number } {
    const line = this.source.lineOf(record);
    try {
      const result = this.source.read(record);
      const fields = this.fileFields();
      const facts = fields.id !== undefined || fields.correct !== undefined ? traceFacts(this.source.value(record), result.traces, fields) : [];
      return { result, facts, line };
    } catch (e) {
      const error: TraceError = { message: `could not read the record: ${e instanceof Error ? e.message : String(e)}`, source: { file: this.source.path, line } };
      return { result: { traces: [], errors: [error] }, facts: [], line };
    }
  }

  /** The rows of `record`, parsed now unless cached; a record's parse failure becomes an error row. */
  private recordRows(record: number): RowSummary[] {
    const cached = this.ahead.get(record);
    if (cached) {
      if (record < this.summarised) this.ahead.delete(record);
      return cached;
    }
    const { result, facts, line } = this.readWithFacts(record);
    const rows = summariseRecord(result, record, line, facts);
    if (record >= this.summarised) this.ahead.set(record, rows);
    return rows;
  }

  // ------------------------------------------------------------------ full-text search

  /** Starts the search of the current filter's text terms (or drops the previous one). */
  private startSearch(): void {
    const terms = this.filter.ok ? this.filter.text : [];
    if (terms.length === 0) {
      this.search = undefined;
      return;
    }
    const run = ++this.searchRuns;
    this.search = { run, terms, matches: new Uint8Array(Math.max(1024, this.totalRows())), searched: 0, phase: this.index?.complete ? 'searching' : 'indexing' };
    void this.runSearch(run);
  }

  private textMatch = (i: number): boolean => {
    const s = this.search;
    return s !== undefined && i < s.searched && s.matches[i] === 1;
  };

  private async runSearch(run: number): Promise<void> {
    const slice = this.options.sliceMs ?? 30;
    const current = (): Search | undefined => (this.search?.run === run && !this.disposed ? this.search : undefined);
    try {
      const index = this.ensureIndex();
      for (let s = current(); s; s = current()) {
        const sliceEnd = Date.now() + slice;
        const before = s.searched;
        while (s.searched < index.rows && Date.now() < sliceEnd) {
          s.searched = index.searchChunk(s.searched, s.terms, (row) => {
            if (row >= s!.matches.length) {
              const grown = new Uint8Array(Math.max(row + 1, s!.matches.length * 2));
              grown.set(s!.matches);
              s!.matches = grown;
            }
            s!.matches[row] = 1;
          });
        }
        const done = index.complete && s.searched >= index.rows;
        if (done) s.phase = 'done';
        else if (index.complete) s.phase = 'searching';
        if (s.searched !== before || done) this.changed(done);
        if (done) return;
        if (s.searched >= index.rows) {
          if (!this.indexing) {
            // Index building stopped (the user stopped the background work): the search stays partial.
            if (s.phase !== 'failed') s.phase = 'done';
            this.changed(true);
            return;
          }
          await new Promise<void>((resolve) => this.indexWaiters.push(resolve));
        } else {
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } catch (e) {
      const s = current();
      if (s) {
        s.phase = 'failed';
        s.message = `the search index could not be built: ${e instanceof Error ? e.message : String(e)}`;
        this.changed(true);
      }
    }
  }

  /** The search index, built in the background from the first search on. */
  private ensureIndex(): TextIndex {
    this.index ??= new TextIndex(this.options.searchDir);
    if (!this.index.complete && !this.indexing) {
      const signal = this.indexAbort.signal;
      this.indexing = this.buildIndex(this.index, signal).finally(() => {
        this.indexing = undefined;
        this.wakeSearch();
      });
      this.indexing.catch((e: unknown) => {
        if (this.search && !(e instanceof CancelledError)) {
          this.search.phase = 'failed';
          this.search.message = `the search index could not be built: ${e instanceof Error ? e.message : String(e)}`;
          this.changed(true);
        }
      });
    }
    return this.index;
  }

  private wakeSearch(): void {
    const waiters = this.indexWaiters;
    this.indexWaiters = [];
    for (const w of waiters) w();
  }

  /** Adds every record's rows to the index in row order (the order the summaries are laid out in). */
  private async buildIndex(index: TextIndex, signal: AbortSignal): Promise<void> {
    const slice = this.options.sliceMs ?? 30;
    while (this.indexedRecords < this.source.count) {
      if (signal.aborted || this.disposed) throw new CancelledError();
      const sliceEnd = Date.now() + slice;
      while (this.indexedRecords < this.source.count && Date.now() < sliceEnd) {
        const { result, facts } = this.readWithFacts(this.indexedRecords++);
        for (const text of recordTexts(result, facts)) index.add(text);
      }
      this.wakeSearch();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const e of this.source.errors) index.add({ id: '', prompt: '', reasoning: '', answer: '', error: e.message });
    index.complete = true;
  }

  /** Stops the background search indexing (summarising is stopped by its own cancellation). */
  stopBackground(): void {
    this.indexAbort.abort();
    this.indexAbort = new AbortController();
  }

  // ------------------------------------------------------------------ view bookkeeping

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
    const filter = this.filter.ok ? this.filter : (compileFilter('') as CompiledFilter & { ok: true });
    this.order = this.isPlain() ? undefined : applyQuery(this.laid, filter, this.query.sort, filter.text.length > 0 ? this.textMatch : undefined);
  }

  /** Filter/sort results are recomputed lazily: only when someone looks, not after every batch. */
  private refreshOrder(): void {
    if (this.orderStale) {
      const version = this.versionCounter;
      this.recompute();
      this.versionCounter = version;
    }
  }

  /** Rows were added or decided: a new version, announced at most every `notifyEveryMs` (always when `final`). */
  private changed(final: boolean): void {
    this.orderStale = true;
    const now = Date.now();
    if (final || now - this.lastNotify >= (this.options.notifyEveryMs ?? 200)) {
      this.lastNotify = now;
      this.versionCounter++;
      this.fire();
    }
  }

  private fire(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Releases the file and deletes the search index. */
  dispose(): void {
    this.disposed = true;
    this.indexAbort.abort();
    this.listeners.clear();
    this.wakeSearch();
    this.index?.dispose();
    this.source.close();
  }
}
