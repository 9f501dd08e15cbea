/**
 * The envelope of every host/webview channel (the side panel's and the dataset browser's; in the
 * spirit of GitLens' IPC types): the webview says `ready` first, either side sends `request`s with an
 * id and gets one `response` per id, and the host adds its own notifications (`state`, `view`…).
 * A protocol defines only its notifications and requests; these types and parsers do the rest.
 * No `vscode`, no Node: both webview bundles import it.
 */
import { isId, isObj, isStr, type Obj } from './validate';

/** The webview's first message: it listens now, the host may post state. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** A request, either way; answered by the `response` with the same id. */
export interface RequestMessage<R> {
  readonly type: 'request';
  readonly id: number;
  readonly request: R;
}

/** The answer to a request: its result, or why it failed (shown to the user by the asking side). */
export type ResponseMessage<T = unknown> =
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly result: T }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly error: string };

/** What the host posts: its notifications `N`, its requests, and responses to the webview's requests. */
export type HostMessage<N, HostRequest> = N | RequestMessage<HostRequest> | ResponseMessage;

/** What the webview posts: `ready`, its requests, and responses (with `HostResult`) to the host's. */
export type WebviewMessage<WebviewRequest, HostResult = unknown> = ReadyMessage | RequestMessage<WebviewRequest> | ResponseMessage<HostResult>;

function isResponse(m: Obj): boolean {
  return isId(m.id) && (m.ok === true ? 'result' in m : m.ok === false && isStr(m.error));
}

/**
 * Validates a message received by a webview: an envelope (request with a valid host request,
 * response), else a notification `isNotification` accepts. Undefined when malformed.
 */
export function parseHostMessage<N, HostRequest>(
  value: unknown,
  isNotification: (message: unknown) => message is N,
  isHostRequest: (request: unknown) => request is HostRequest,
): HostMessage<N, HostRequest> | undefined {
  if (!isObj(value)) return undefined;
  switch (value.type) {
    case 'request':
      return isId(value.id) && isHostRequest(value.request) ? (value as unknown as RequestMessage<HostRequest>) : undefined;
    case 'response':
      return isResponse(value) ? (value as unknown as ResponseMessage) : undefined;
    default:
      return isNotification(value) ? value : undefined;
  }
}

/**
 * Validates a message received by the host. `isHostResult` checks the result of a successful
 * response (what the host asked for); by default any result passes. Undefined when malformed.
 */
export function parseWebviewMessage<WebviewRequest, HostResult = unknown>(
  value: unknown,
  isWebviewRequest: (request: unknown) => request is WebviewRequest,
  isHostResult: (result: unknown) => boolean = () => true,
): WebviewMessage<WebviewRequest, HostResult> | undefined {
  if (!isObj(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return { type: 'ready' };
    case 'request':
      return isId(value.id) && isWebviewRequest(value.request) ? (value as unknown as RequestMessage<WebviewRequest>) : undefined;
    case 'response':
      if (!isResponse(value)) return undefined;
      return value.ok === false || isHostResult(value.result) ? (value as unknown as ResponseMessage<HostResult>) : undefined;
    default:
      return undefined;
  }
}

/** One handler per request kind, each given its own request type: the compiler asks for a new kind's. */
export type RequestHandlers<R extends { readonly kind: string }, Out> = {
  readonly [K in R['kind']]: (request: Extract<R, { readonly kind: K }>) => Out;
};

/** A request dispatcher from a table of handlers (no switch to keep in step with the protocol). */
export function dispatcher<R extends { readonly kind: string }, Out>(handlers: RequestHandlers<R, Out>): (request: R) => Out {
  return (request) => (handlers[request.kind as R['kind']] as (r: R) => Out)(request);
}

/** The message of a failure, for a `response` with `ok: false`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Compile-time exhaustiveness check for `switch` over a protocol's unions. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
