/**
 * The typed protocol between the extension host and the dataset browser webview (the custom editor for
 * `.jsonl`/`.json` datasets): its notifications and requests inside the shared envelope of
 * `channel.ts`, and validators for everything received (same style as `protocol.ts`). Imported by the webview bundle: no
 * `vscode`, no Node APIs.
 */
import { parseHostMessage, parseWebviewMessage, type HostMessage, type WebviewMessage } from './channel';
import { isArrayOf, isBool, isCount, isNum, isObj, isOneOf, isStr, optional, unionOf } from './validate';

export { assertNever } from './channel';

/** Columns of the dataset table, in display order. */
export const DATASET_COLUMNS = ['index', 'id', 'question', 'steps', 'tokens', 'truncated', 'loops', 'answer', 'correct'] as const;

/** A column of the dataset table (also the sort keys). */
export type DatasetColumn = (typeof DATASET_COLUMNS)[number];

/** Sort order of the table: a column and a direction. */
export interface DatasetSort {
  readonly column: DatasetColumn;
  readonly descending: boolean;
}

/** What the table shows: a filter text (see `src/dataset/query.ts` for its syntax) and a sort. */
export interface DatasetQuery {
  readonly filter: string;
  readonly sort: DatasetSort | null;
}

/**
 * One row of the table: a trace of a record, or a record that could not be read (`error` set). Text
 * fields are untrusted file content: the webview renders them as text only.
 */
export interface DatasetRow {
  /** Position in the unfiltered, unsorted row list (the "#" column, 0-based). */
  readonly index: number;
  /** Record (line of a JSONL file, element of a JSON array) this row comes from, 0-based. */
  readonly record: number;
  /** 1-based line of the record in the file. */
  readonly line: number;
  /** The id shown: the file's own id field when it has one, else the trace id; `line N` for an error row. */
  readonly id: string;
  /** The trace id the reader gives (`L3/6b_finetuning`…): what opens the row in a trace view. */
  readonly traceId: string;
  /** First ~80 characters of the prompt, whitespace collapsed. */
  readonly question: string;
  /** Paragraph steps (blank-line separated), whatever the editor's segmentation setting. */
  readonly steps: number;
  /** Reasoning tokens (what the dashboard's "Reasoning tokens" counts). */
  readonly tokens: number;
  /** True when `tokens` is an estimate (the file has no logprobs for this trace). */
  readonly tokensEstimated: boolean;
  readonly truncated: boolean;
  /** Loops found in the reasoning (spans repeated back to back), and the tokens their repeats waste. */
  readonly loops: number;
  readonly wastedTokens: number;
  /** Extracted final answer; empty when none was found. */
  readonly answer: string;
  /** True when a final answer was found (it may be an empty string). */
  readonly answerFound: boolean;
  /** Correctness from the file (the reader's, else the file's own correctness field) when it has one. */
  readonly correct: boolean | null;
  /** Why the record could not be read; set only on error rows. */
  readonly error?: string;
}

/** Where the file's own id and correctness come from (dotted paths), when the reader did not use them. */
export interface DatasetFields {
  readonly id?: string;
  readonly correct?: string;
  /** `setting`: `reasoningLens.fieldMapping` named the id; `detected`: found by name in the records. */
  readonly source: 'detected' | 'setting';
}

/** Progress of a full-text search: the lazy index is built (and searched) in the background. */
export interface DatasetSearchProgress {
  /** `indexing`: the index is still being built (results stream in as rows are indexed). */
  readonly phase: 'indexing' | 'searching' | 'done' | 'failed';
  /** Rows searched so far, of all rows. */
  readonly done: number;
  readonly total: number;
  /** Why the search failed (the index could not be written…). */
  readonly message?: string;
}

/** Progress of the host's work on the file. */
export interface DatasetProgress {
  /** `stopped`: the user stopped summarising; counts cover the records summarised so far. */
  readonly phase: 'indexing' | 'summarising' | 'done' | 'stopped';
  /** Bytes (indexing) or records (summarising) done so far. */
  readonly done: number;
  readonly total: number;
}

/** The current view: how many rows match the query, out of how many, and what the data has. */
export interface DatasetView {
  /** Bumped every time the row list behind the view changes; rows answer for one version. */
  readonly version: number;
  readonly fileName: string;
  /** Rows in the view (after filtering). */
  readonly rows: number;
  /** Rows in the whole file so far (traces plus error rows). */
  readonly totalRows: number;
  readonly records: number;
  readonly errorRows: number;
  /** False while summaries are still being computed: counts may still grow. */
  readonly complete: boolean;
  readonly hasCorrectness: boolean;
  readonly hasLogprobs: boolean;
  readonly query: DatasetQuery;
  /** Problem with the filter text (unknown field…), shown under the filter box. */
  readonly filterError?: string;
  /** The file's own id / correctness fields the rows show (absent when the reader's are used). */
  readonly fields?: DatasetFields;
  /** The full-text search of the current filter, while it has text terms. */
  readonly search?: DatasetSearchProgress;
}

/** The distributions the dashboard draws (the same as `reasoning-lens stats`). */
export const DASHBOARD_METRICS = ['reasoningTokens', 'steps', 'truncated', 'loops', 'answerFound', 'correct'] as const;
export type DashboardMetric = (typeof DASHBOARD_METRICS)[number];

/** One bar of a dashboard chart. */
export interface DashboardBar {
  readonly label: string;
  readonly count: number;
  /** Filter text selecting exactly this bar's traces in the table. */
  readonly filter: string;
}

/** One small chart. */
export interface DashboardChart {
  readonly metric: DashboardMetric;
  readonly title: string;
  readonly kind: 'numeric' | 'categorical';
  readonly bars: readonly DashboardBar[];
  /** Filter fields the bars set (a click replaces terms on these, keeps the others). */
  readonly fields: readonly string[];
  /** One line under the title (`median 1.2k · p90 4k`, `12% truncated`). */
  readonly note: string;
}

/** The dashboard: distributions over the summarised traces (every trace once summarising is done). */
export interface DatasetDashboard {
  /** Bumped with every recomputation. */
  readonly version: number;
  readonly traces: number;
  /** False while summarising: the charts still grow. */
  readonly complete: boolean;
  readonly tokensExact: boolean;
  readonly charts: readonly DashboardChart[];
}

/** Where a recurring step occurs: a trace of the file and its 0-based paragraph step. */
export interface BehaviourExampleView {
  readonly record: number;
  /** Which trace of the record, 0-based. */
  readonly trace: number;
  readonly line: number;
  /** The trace id (as the reader gives it). */
  readonly id: string;
  readonly step: number;
  /** The step's text, cut short. */
  readonly text: string;
}

/** One recurring behaviour. */
export interface BehaviourView {
  readonly rank: number;
  readonly label: string;
  readonly traces: number;
  readonly share: number;
  readonly occurrences: number;
  readonly position: 'early' | 'middle' | 'late';
  readonly positionShares: readonly number[];
  readonly averageTokens: number;
  readonly examples: readonly BehaviourExampleView[];
}

/** The recurring-behaviours pass: idle until asked, then running with progress, then its report. */
export interface BehavioursState {
  readonly phase: 'idle' | 'running' | 'done' | 'stopped' | 'failed';
  /** Records read so far, of all records. */
  readonly done: number;
  readonly total: number;
  readonly traces: number;
  readonly steps: number;
  readonly behaviours: readonly BehaviourView[];
  readonly message?: string;
}

/** Rows `[start, start + rows.length)` of the view `version`. */
export interface DatasetRowsResult {
  readonly version: number;
  readonly start: number;
  readonly rows: readonly DatasetRow[];
}

/** What the webview actually renders (read back from its DOM, for tests and diagnostics). */
export interface DatasetDescription {
  readonly fileName: string;
  /** The row count the status line shows. */
  readonly rows: number;
  readonly complete: boolean;
  readonly filter: string;
  readonly sort: DatasetSort | null;
  /** Row elements in the DOM (virtualisation keeps this small). */
  readonly renderedRows: number;
  /** `index` and `id` of the rendered rows, top to bottom. */
  readonly visible: readonly { readonly index: number; readonly id: string }[];
  /** Index of the focused row in the view, or -1. */
  readonly focused: number;
  /** The tab on screen. */
  readonly tab: DatasetTab;
  /** The dashboard's charts as drawn: bars with their counts and whether they are highlighted. */
  readonly charts: readonly { readonly metric: string; readonly bars: readonly { readonly label: string; readonly count: number; readonly active: boolean }[] }[];
  /** Behaviour entries drawn in the behaviours tab. */
  readonly behaviours: number;
}

/** The browser's tabs. */
export const DATASET_TABS = ['traces', 'behaviours'] as const;
export type DatasetTab = (typeof DATASET_TABS)[number];

/** Requests the host makes of the webview. */
export type DatasetHostRequest =
  | { readonly kind: 'describe' }
  /** Types a filter / sets the sort as a user would (tests). */
  | { readonly kind: 'setQuery'; readonly query: DatasetQuery }
  /** Focuses row `row` of the view and presses Enter (tests). */
  | { readonly kind: 'activate'; readonly row: number }
  /** Clicks row `row` of the view (selects it; tests). */
  | { readonly kind: 'select'; readonly row: number }
  /** Clicks bar `bar` of the chart of `metric` (tests). */
  | { readonly kind: 'clickBar'; readonly metric: DashboardMetric; readonly bar: number }
  /** Shows a tab (tests). */
  | { readonly kind: 'showTab'; readonly tab: DatasetTab }
  /** Clicks example `example` of behaviour `rank` (tests). */
  | { readonly kind: 'clickExample'; readonly rank: number; readonly example: number };

/** Requests the webview makes of the host. */
export type DatasetWebviewRequest =
  | { readonly kind: 'rows'; readonly version: number; readonly start: number; readonly count: number }
  | { readonly kind: 'query'; readonly query: DatasetQuery }
  /** Opens the row as the webview shows it (not by position: positions move while summaries stream in). */
  | { readonly kind: 'open'; readonly row: DatasetRow }
  /** The selected row changed: the side panel follows it. */
  | { readonly kind: 'select'; readonly row: DatasetRow }
  | { readonly kind: 'cancel' }
  /** Starts (or stops) the recurring-behaviours pass. */
  | { readonly kind: 'behaviours'; readonly action: 'start' | 'cancel' }
  /** Opens the trace of a behaviour example at its step. */
  | { readonly kind: 'openExample'; readonly example: BehaviourExampleView }
  /** Writes the behaviours as a markdown handbook (the host asks where). */
  | { readonly kind: 'exportHandbook' };

/** What the host tells the dataset webview without being asked. */
export type DatasetNotification =
  | { readonly type: 'progress'; readonly progress: DatasetProgress }
  | { readonly type: 'view'; readonly view: DatasetView }
  | { readonly type: 'dashboard'; readonly dashboard: DatasetDashboard }
  | { readonly type: 'behaviours'; readonly state: BehavioursState }
  | { readonly type: 'failed'; readonly message: string };

/** Messages from the host to the dataset webview. */
export type ToDatasetWebview = HostMessage<DatasetNotification, DatasetHostRequest>;

/** Messages from the dataset webview to the host. */
export type FromDatasetWebview = WebviewMessage<DatasetWebviewRequest>;
/** Largest row range one request may ask for (a screenful is ~50). */
export const MAX_ROWS_PER_REQUEST = 1000;
/** Longest filter text accepted. */
export const MAX_FILTER_LENGTH = 1000;

/** True for a known column id. */
function isDatasetColumn(v: unknown): v is DatasetColumn {
  return isStr(v) && (DATASET_COLUMNS as readonly string[]).includes(v);
}

function isSort(v: unknown): v is DatasetSort {
  return isObj(v) && isDatasetColumn(v.column) && isBool(v.descending);
}

/** True for a well-formed query. */
export function isDatasetQuery(v: unknown): v is DatasetQuery {
  return isObj(v) && isStr(v.filter) && v.filter.length <= MAX_FILTER_LENGTH && (v.sort === null || isSort(v.sort));
}

function isRow(v: unknown): v is DatasetRow {
  return (
    isObj(v) && isCount(v.index) && isCount(v.record) && isCount(v.line) && isStr(v.id) && isStr(v.traceId) && isStr(v.question) &&
    isCount(v.steps) && isCount(v.tokens) && isBool(v.tokensEstimated) && isBool(v.truncated) && isCount(v.loops) && isNum(v.wastedTokens) &&
    isStr(v.answer) && isBool(v.answerFound) && (v.correct === null || isBool(v.correct)) && (v.error === undefined || isStr(v.error))
  );
}

/** True for a well-formed rows result (checked by the webview before it renders anything). */
export function isDatasetRowsResult(v: unknown): v is DatasetRowsResult {
  return isObj(v) && isCount(v.version) && isCount(v.start) && Array.isArray(v.rows) && v.rows.every(isRow);
}

function isProgress(v: unknown): v is DatasetProgress {
  return isObj(v) && (v.phase === 'indexing' || v.phase === 'summarising' || v.phase === 'done' || v.phase === 'stopped') && isCount(v.done) && isCount(v.total);
}

function isFields(v: unknown): v is DatasetFields {
  return isObj(v) && optional(v.id, isStr) && optional(v.correct, isStr) && (v.source === 'detected' || v.source === 'setting');
}

function isSearch(v: unknown): v is DatasetSearchProgress {
  return isObj(v) && isOneOf(['indexing', 'searching', 'done', 'failed'] as const)(v.phase) && isCount(v.done) && isCount(v.total) && optional(v.message, isStr);
}

function isView(v: unknown): v is DatasetView {
  return (
    isObj(v) && isCount(v.version) && isStr(v.fileName) && isCount(v.rows) && isCount(v.totalRows) && isCount(v.records) &&
    isCount(v.errorRows) && isBool(v.complete) && isBool(v.hasCorrectness) && isBool(v.hasLogprobs) && isDatasetQuery(v.query) &&
    optional(v.filterError, isStr) && optional(v.fields, isFields) && optional(v.search, isSearch)
  );
}

const isMetric = isOneOf(DASHBOARD_METRICS);

function isChart(v: unknown): v is DashboardChart {
  return (
    isObj(v) && isMetric(v.metric) && isStr(v.title) && (v.kind === 'numeric' || v.kind === 'categorical') && isStr(v.note) &&
    isArrayOf(v.fields, isStr) && isArrayOf(v.bars, (b) => isObj(b) && isStr(b.label) && isCount(b.count) && isStr(b.filter))
  );
}

function isDashboard(v: unknown): v is DatasetDashboard {
  return isObj(v) && isCount(v.version) && isCount(v.traces) && isBool(v.complete) && isBool(v.tokensExact) && isArrayOf(v.charts, isChart);
}

function isExample(v: unknown): v is BehaviourExampleView {
  return isObj(v) && isCount(v.record) && isCount(v.trace) && isCount(v.line) && isStr(v.id) && isCount(v.step) && isStr(v.text);
}

function isBehaviour(v: unknown): v is BehaviourView {
  return (
    isObj(v) && isCount(v.rank) && isStr(v.label) && isCount(v.traces) && isNum(v.share) && isCount(v.occurrences) &&
    isOneOf(['early', 'middle', 'late'] as const)(v.position) && isArrayOf(v.positionShares, isNum) && isNum(v.averageTokens) &&
    isArrayOf(v.examples, isExample)
  );
}

function isBehavioursState(v: unknown): v is BehavioursState {
  return (
    isObj(v) && isOneOf(['idle', 'running', 'done', 'stopped', 'failed'] as const)(v.phase) && isCount(v.done) && isCount(v.total) &&
    isCount(v.traces) && isCount(v.steps) && isArrayOf(v.behaviours, isBehaviour) && optional(v.message, isStr)
  );
}

/** True for a well-formed description (checked by the host before handing it to a caller). */
export function isDatasetDescription(v: unknown): v is DatasetDescription {
  return (
    isObj(v) && isStr(v.fileName) && isCount(v.rows) && isBool(v.complete) && isStr(v.filter) && (v.sort === null || isSort(v.sort)) &&
    isCount(v.renderedRows) && typeof v.focused === 'number' && Array.isArray(v.visible) &&
    v.visible.every((r) => isObj(r) && isCount(r.index) && isStr(r.id)) && isOneOf(DATASET_TABS)(v.tab) && isCount(v.behaviours) &&
    isArrayOf(v.charts, (c) => isObj(c) && isStr(c.metric) && isArrayOf(c.bars, (b) => isObj(b) && isStr(b.label) && isCount(b.count) && isBool(b.active)))
  );
}

const isHostRequest = unionOf<DatasetHostRequest, 'kind'>('kind', {
  describe: () => true,
  setQuery: (r) => isDatasetQuery(r.query),
  activate: (r) => isCount(r.row),
  select: (r) => isCount(r.row),
  clickBar: (r) => isMetric(r.metric) && isCount(r.bar),
  showTab: (r) => isOneOf(DATASET_TABS)(r.tab),
  clickExample: (r) => isCount(r.rank) && isCount(r.example),
});

const isWebviewRequest = unionOf<DatasetWebviewRequest, 'kind'>('kind', {
  rows: (r) => isCount(r.version) && isCount(r.start) && isCount(r.count) && r.count <= MAX_ROWS_PER_REQUEST,
  query: (r) => isDatasetQuery(r.query),
  open: (r) => isRow(r.row),
  select: (r) => isRow(r.row),
  cancel: () => true,
  behaviours: (r) => r.action === 'start' || r.action === 'cancel',
  openExample: (r) => isExample(r.example),
  exportHandbook: () => true,
});

const isNotification = unionOf<DatasetNotification, 'type'>('type', {
  progress: (v) => isProgress(v.progress),
  view: (v) => isView(v.view),
  dashboard: (v) => isDashboard(v.dashboard),
  behaviours: (v) => isBehavioursState(v.state),
  failed: (v) => isStr(v.message),
});

/** Validates a message received by the webview; undefined when it is not a well-formed `ToDatasetWebview`. */
export function parseToDatasetWebview(value: unknown): ToDatasetWebview | undefined {
  return parseHostMessage(value, isNotification, isHostRequest);
}

/** Validates a message received by the host; undefined when it is not a well-formed `FromDatasetWebview`. */
export function parseFromDatasetWebview(value: unknown): FromDatasetWebview | undefined {
  return parseWebviewMessage(value, isWebviewRequest);
}
