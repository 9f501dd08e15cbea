/**
 * The typed protocol between the extension host and the side-panel webview: two discriminated unions
 * keyed on `type` (after microsoft/vscode-hexeditor `shared/protocol.ts`). Both sides validate what
 * they receive with `parseToWebview` / `parseFromWebview`; anything else is dropped and logged.
 * Imported by the webview bundle: no `vscode`, no Node APIs.
 */

/** What the panel shows about the active trace. */
export interface TraceSummary {
  /** File name (and record id for dataset rows). */
  readonly name: string;
  readonly format: string;
  readonly steps: number;
  readonly characters: number;
  readonly truncated: boolean;
  readonly finalAnswer?: string;
}

/** Requests the host makes of the webview. */
export type HostRequest = { readonly kind: 'describeView' };

/** What the webview answers to `describeView`: what it is actually rendering. */
export interface ViewDescription {
  readonly title: string;
  readonly steps: number | null;
}

/** Requests the webview makes of the host. */
export type WebviewRequest = { readonly kind: 'openSample' } | { readonly kind: 'refresh' };

/** Messages from the extension host to the webview. */
export type ToWebview =
  | { readonly type: 'state'; readonly trace: TraceSummary | null }
  | { readonly type: 'request'; readonly id: number; readonly request: HostRequest }
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly error: string };

/** Messages from the webview to the extension host. */
export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'request'; readonly id: number; readonly request: WebviewRequest }
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly result: ViewDescription }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly error: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isTraceSummary(v: unknown): v is TraceSummary {
  return (
    isObj(v) && isStr(v.name) && isStr(v.format) && isCount(v.steps) && isCount(v.characters) &&
    typeof v.truncated === 'boolean' && (v.finalAnswer === undefined || isStr(v.finalAnswer))
  );
}

function isViewDescription(v: unknown): v is ViewDescription {
  return isObj(v) && isStr(v.title) && (v.steps === null || isCount(v.steps));
}

function isResponse(m: Obj): boolean {
  return isId(m.id) && (m.ok === true ? 'result' in m : m.ok === false && isStr(m.error));
}

/** Validates a message received by the webview; undefined when it is not a well-formed `ToWebview`. */
export function parseToWebview(value: unknown): ToWebview | undefined {
  if (!isObj(value)) return undefined;
  switch (value.type) {
    case 'state':
      return value.trace === null || isTraceSummary(value.trace) ? (value as ToWebview) : undefined;
    case 'request':
      return isId(value.id) && isObj(value.request) && value.request.kind === 'describeView'
        ? (value as ToWebview)
        : undefined;
    case 'response':
      return isResponse(value) ? (value as ToWebview) : undefined;
    default:
      return undefined;
  }
}

/** Validates a message received by the host; undefined when it is not a well-formed `FromWebview`. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
  if (!isObj(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return { type: 'ready' };
    case 'request': {
      const r = value.request;
      return isId(value.id) && isObj(r) && (r.kind === 'openSample' || r.kind === 'refresh')
        ? (value as FromWebview)
        : undefined;
    }
    case 'response':
      if (!isResponse(value)) return undefined;
      return value.ok === false || isViewDescription(value.result) ? (value as FromWebview) : undefined;
    default:
      return undefined;
  }
}

/** Compile-time exhaustiveness check for `switch` over the unions above. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
