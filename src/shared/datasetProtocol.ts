/**
 * The typed protocol between the extension host and the dataset browser webview (the custom editor for
 * `.jsonl`/`.json` datasets): its notifications and requests inside the shared envelope of
 * `channel.ts`, and validators for everything received (same style as `protocol.ts`). Imported by the webview bundle: no
 * `vscode`, no Node APIs.
 */
import { parseHostMessage, parseWebviewMessage, type HostMessage, type WebviewMessage } from './channel';
import { isBool, isCount, isObj, isStr, unionOf } from './validate';

export { assertNever } from './channel';

/** Columns of the dataset table, in display order. */
export const DATASET_COLUMNS = ['index', 'id', 'question', 'steps', 'tokens', 'truncated', 'answer', 'correct'] as const;

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
  /** Trace id (`L3/6b_finetuning`…), or `line N` for an error row. */
  readonly id: string;
  /** First ~80 characters of the prompt, whitespace collapsed. */
  readonly question: string;
  readonly steps: number;
  readonly tokens: number;
  /** True when `tokens` is an estimate (the file has no logprobs for this trace). */
  readonly tokensEstimated: boolean;
  readonly truncated: boolean;
  /** Extracted final answer; empty when none was found. */
  readonly answer: string;
  /** `reference.correct` when the data has it. */
  readonly correct: boolean | null;
  /** Why the record could not be read; set only on error rows. */
  readonly error?: string;
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
}

/** Requests the host makes of the webview. */
export type DatasetHostRequest =
  | { readonly kind: 'describe' }
  /** Types a filter / sets the sort as a user would (tests). */
  | { readonly kind: 'setQuery'; readonly query: DatasetQuery }
  /** Focuses row `row` of the view and presses Enter (tests). */
  | { readonly kind: 'activate'; readonly row: number };

/** Requests the webview makes of the host. */
export type DatasetWebviewRequest =
  | { readonly kind: 'rows'; readonly version: number; readonly start: number; readonly count: number }
  | { readonly kind: 'query'; readonly query: DatasetQuery }
  /** Opens the row as the webview shows it (not by position: positions move while summaries stream in). */
  | { readonly kind: 'open'; readonly row: DatasetRow }
  | { readonly kind: 'cancel' };

/** What the host tells the dataset webview without being asked. */
export type DatasetNotification =
  | { readonly type: 'progress'; readonly progress: DatasetProgress }
  | { readonly type: 'view'; readonly view: DatasetView }
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
    isObj(v) && isCount(v.index) && isCount(v.record) && isCount(v.line) && isStr(v.id) && isStr(v.question) &&
    isCount(v.steps) && isCount(v.tokens) && isBool(v.tokensEstimated) && isBool(v.truncated) && isStr(v.answer) &&
    (v.correct === null || isBool(v.correct)) && (v.error === undefined || isStr(v.error))
  );
}

/** True for a well-formed rows result (checked by the webview before it renders anything). */
export function isDatasetRowsResult(v: unknown): v is DatasetRowsResult {
  return isObj(v) && isCount(v.version) && isCount(v.start) && Array.isArray(v.rows) && v.rows.every(isRow);
}

function isProgress(v: unknown): v is DatasetProgress {
  return isObj(v) && (v.phase === 'indexing' || v.phase === 'summarising' || v.phase === 'done' || v.phase === 'stopped') && isCount(v.done) && isCount(v.total);
}

function isView(v: unknown): v is DatasetView {
  return (
    isObj(v) && isCount(v.version) && isStr(v.fileName) && isCount(v.rows) && isCount(v.totalRows) && isCount(v.records) &&
    isCount(v.errorRows) && isBool(v.complete) && isBool(v.hasCorrectness) && isBool(v.hasLogprobs) && isDatasetQuery(v.query) &&
    (v.filterError === undefined || isStr(v.filterError))
  );
}

/** True for a well-formed description (checked by the host before handing it to a caller). */
export function isDatasetDescription(v: unknown): v is DatasetDescription {
  return (
    isObj(v) && isStr(v.fileName) && isCount(v.rows) && isBool(v.complete) && isStr(v.filter) && (v.sort === null || isSort(v.sort)) &&
    isCount(v.renderedRows) && typeof v.focused === 'number' && Array.isArray(v.visible) &&
    v.visible.every((r) => isObj(r) && isCount(r.index) && isStr(r.id))
  );
}

const isHostRequest = unionOf<DatasetHostRequest, 'kind'>('kind', {
  describe: () => true,
  setQuery: (r) => isDatasetQuery(r.query),
  activate: (r) => isCount(r.row),
});

const isWebviewRequest = unionOf<DatasetWebviewRequest, 'kind'>('kind', {
  rows: (r) => isCount(r.version) && isCount(r.start) && isCount(r.count) && r.count <= MAX_ROWS_PER_REQUEST,
  query: (r) => isDatasetQuery(r.query),
  open: (r) => isRow(r.row),
  cancel: () => true,
});

const isNotification = unionOf<DatasetNotification, 'type'>('type', {
  progress: (v) => isProgress(v.progress),
  view: (v) => isView(v.view),
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
