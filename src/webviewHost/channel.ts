import type * as vscode from 'vscode';
import { errorMessage, type HostMessage, type WebviewMessage } from '../shared/channel';
import { PendingRequests } from '../shared/rpc';
import { Disposable, type IDisposable } from '../util/disposable';

/** What a webview host plugs into its {@link HostChannel}. */
export interface HostChannelOptions<WebviewRequest extends { readonly kind: string }> {
  /** Names the webview in logs and timeouts ("panel", "dataset"). */
  readonly label: string;
  readonly log: vscode.LogOutputChannel;
  /** How long a request to the webview may take. */
  readonly timeoutMs: number;
  /** Validates what the webview posts (the protocol's `parseFrom…`). */
  readonly parse: (raw: unknown) => WebviewMessage<WebviewRequest> | undefined;
  /** Answers a webview request; a rejection becomes an `ok: false` response with its message. */
  readonly perform: (request: WebviewRequest) => Promise<unknown>;
  /** The webview said `ready`: post its state. */
  readonly onReady: () => void;
  /** The message of a failed request (default: the error's own). */
  readonly describeError?: (error: unknown) => string;
}

/**
 * The host side of one webview's channel: the `ready` handshake, validated dispatch of what the
 * webview posts, requests to it with ids and timeouts, answers to its requests, and rejection of
 * what is pending when the webview goes away. The side panel and the dataset browser each own one per
 * webview; they only say how to answer requests and what to post when the webview is ready.
 */
export class HostChannel<Notification, HostRequest extends { readonly kind: string }, WebviewRequest extends { readonly kind: string }> extends Disposable {
  private ready = false;
  private readonly requests: PendingRequests;
  private readonly readyWaiters: (() => void)[] = [];

  constructor(private readonly webview: vscode.Webview, private readonly options: HostChannelOptions<WebviewRequest>) {
    super();
    this.requests = new PendingRequests(options.timeoutMs);
    this._register(webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this._register({ dispose: () => this.requests.rejectAll(`the ${options.label} webview was closed`) });
  }

  /** Disposes `disposable` (e.g. a subscription to the view's lifetime) with the channel. */
  hold<T extends IDisposable>(disposable: T): T {
    return this._register(disposable);
  }

  /** True once the webview said `ready` (and until the channel is disposed). */
  get isReady(): boolean {
    return this.ready && !this.isDisposed;
  }

  /** Resolves once the webview said `ready`; rejects after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${this.options.label} webview did not become ready in ${timeoutMs / 1000} s`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Posts a message; throws when the webview is gone. */
  post(message: HostMessage<Notification, HostRequest>): void {
    if (this.isDisposed) throw new Error(`the ${this.options.label} webview is closed`);
    void this.webview.postMessage(message);
  }

  /** Posts a message when the webview listens; drops it otherwise (it gets the whole state on `ready`). */
  postIfReady(message: HostMessage<Notification, HostRequest>): void {
    if (this.isReady) this.post(message);
  }

  /** Asks the webview; resolves with its result, rejects with its error or on timeout. */
  request<T>(request: HostRequest): Promise<T> {
    return this.requests.request<T>((id) => this.post({ type: 'request', id, request }), `${this.options.label} ${request.kind}`);
  }

  private receive(raw: unknown): void {
    const message = this.options.parse(raw);
    if (!message) {
      this.options.log.warn(`${this.options.label}: dropped a malformed message`, JSON.stringify(raw)?.slice(0, 200));
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        for (const resolve of this.readyWaiters.splice(0)) resolve();
        this.options.onReady();
        return;
      case 'response':
        this.requests.settle(message.id, message);
        return;
      case 'request':
        void this.answer(message.id, message.request);
        return;
    }
  }

  private async answer(id: number, request: WebviewRequest): Promise<void> {
    try {
      const result = await this.options.perform(request);
      if (!this.isDisposed) this.post({ type: 'response', id, ok: true, result: result ?? null });
    } catch (e) {
      const error = this.options.describeError?.(e) ?? errorMessage(e);
      this.options.log.warn(`${this.options.label} ${request.kind}: ${error}`);
      if (!this.isDisposed) this.post({ type: 'response', id, ok: false, error });
    }
  }
}
