/**
 * The webview side of a host/webview channel (the host side is `src/webviewHost/channel.ts`): says
 * `ready` once it listens, validates every message, answers the host's requests, settles the
 * responses to its own (ids and timeouts from `src/shared/rpc.ts`), and keeps the page's state
 * through `getState`/`setState` so it survives hiding. Both webviews use it.
 */
import { errorMessage, type HostMessage, type RequestMessage, type ResponseMessage, type WebviewMessage } from '../../src/shared/channel';
import { PendingRequests } from '../../src/shared/rpc';
import { vscodeApi } from './vscodeApi';

/** What a webview plugs into its {@link WebviewChannel}. */
export interface WebviewChannelOptions<Notification, HostRequest> {
  /** Validates what the host posts (the protocol's `parseTo…`). */
  readonly parse: (data: unknown) => HostMessage<Notification, HostRequest> | undefined;
  /** A notification from the host (`state`, `view`…). */
  readonly onNotification: (notification: Notification) => void;
  /** Answers a host request; a rejection becomes an `ok: false` response with its message. */
  readonly answer: (request: HostRequest) => unknown;
  /** How long a request to the host may take. */
  readonly timeoutMs: number;
}

/** One page's channel to the host; `State` is what the page keeps across hiding. */
export class WebviewChannel<Notification, HostRequest, WebviewRequest extends { readonly kind: string }, State> {
  private readonly api = vscodeApi<State>();
  private readonly requests: PendingRequests;

  constructor(private readonly options: WebviewChannelOptions<Notification, HostRequest>) {
    this.requests = new PendingRequests(options.timeoutMs);
  }

  /** Starts listening, then tells the host it may post (the handshake). */
  connect(): void {
    window.addEventListener('message', this.onMessage);
    this.send({ type: 'ready' });
  }

  /** Stops listening; what is pending is rejected with `reason`. */
  disconnect(reason: string): void {
    window.removeEventListener('message', this.onMessage);
    this.requests.rejectAll(reason);
  }

  /** Asks the host; resolves with its result, rejects with its error or on timeout. */
  ask<T = unknown>(request: WebviewRequest): Promise<T> {
    return this.requests.request<T>((id) => this.send({ type: 'request', id, request }), request.kind);
  }

  /** What the page saved before it was hidden or reloaded. */
  get savedState(): State | undefined {
    return this.api.getState();
  }

  saveState(state: State): void {
    this.api.setState(state);
  }

  private send(message: WebviewMessage<WebviewRequest>): void {
    this.api.postMessage(message);
  }

  private readonly onMessage = (event: MessageEvent<unknown>): void => {
    const message = this.options.parse(event.data);
    if (message === undefined) return;
    if (isEnvelope(message)) {
      if (message.type === 'response') this.requests.settle(message.id, message);
      else void this.answer(message.id, message.request);
      return;
    }
    this.options.onNotification(message as Notification);
  };

  private async answer(id: number, request: HostRequest): Promise<void> {
    try {
      const result = await this.options.answer(request);
      this.send({ type: 'response', id, ok: true, result: result ?? null });
    } catch (e) {
      this.send({ type: 'response', id, ok: false, error: errorMessage(e) });
    }
  }
}

function isEnvelope<N, R>(message: HostMessage<N, R>): message is RequestMessage<R> | ResponseMessage {
  const type = (message as { type?: unknown }).type;
  return type === 'request' || type === 'response';
}
