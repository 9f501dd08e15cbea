import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { PendingRequests } from '../shared/rpc';
import {
  assertNever,
  parseFromWebview,
  type FromWebview,
  type HostRequest,
  type ToWebview,
  type TraceSummary,
  type ViewDescription,
} from '../shared/protocol';
import { renderWebviewHtml, webviewResourceRoots } from './webviewHtml';
import { CommandIds, PanelViewId } from '../commands/commandIds';
import type { SessionManager } from '../session/sessionManager';

/**
 * The side panel (a WebviewView in the panel area). It follows the active trace. The webview says
 * `ready` before the host posts state; state survives hiding through the webview's own
 * getState/setState, so `retainContextWhenHidden` stays off.
 */
export class SidePanelProvider extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private ready = false;
  private readonly requests = new PendingRequests(10_000);

  static register(
    context: vscode.ExtensionContext,
    sessions: SessionManager,
    log: vscode.LogOutputChannel,
  ): SidePanelProvider {
    const provider = new SidePanelProvider(context.extensionUri, sessions, log);
    context.subscriptions.push(provider, vscode.window.registerWebviewViewProvider(PanelViewId, provider));
    return provider;
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: SessionManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(sessions.onDidChangeActive(() => this.postState()));
    this._register({ dispose: () => this.disposeView() });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    view.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(this.extensionUri) };
    view.webview.html = renderWebviewHtml(view.webview, this.extensionUri, {
      title: 'Reasoning Lens',
      script: 'out/webview/panel.js',
      styles: ['media/panel.css'],
      bodyHtml: '<rl-panel></rl-panel>',
    });
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      view.onDidDispose(() => {
        if (this.view === view) this.disposeView();
      }),
    );
  }

  /** Asks the webview what it renders; resolves the view first if needed. */
  async describeView(): Promise<ViewDescription> {
    await this.whenReady();
    return this.request<ViewDescription>({ kind: 'describeView' });
  }

  private async whenReady(): Promise<void> {
    if (this.view && this.ready) return;
    await vscode.commands.executeCommand(`${PanelViewId}.focus`);
    const deadline = Date.now() + 15_000;
    while (!(this.view && this.ready)) {
      if (Date.now() > deadline) throw new Error('the Reasoning Lens panel did not become ready in 15 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private request<T>(request: HostRequest): Promise<T> {
    return this.requests.request<T>((id) => this.post({ type: 'request', id, request }), `panel ${request.kind}`);
  }

  private post(message: ToWebview): void {
    if (!this.view) throw new Error('the Reasoning Lens panel is not open');
    void this.view.webview.postMessage(message);
  }

  private postState(): void {
    if (!this.view || !this.ready) return;
    const trace: TraceSummary | null = this.sessions.active?.summary ?? null;
    this.post({ type: 'state', trace });
  }

  private onMessage(raw: unknown): void {
    const message: FromWebview | undefined = parseFromWebview(raw);
    if (!message) {
      this.log.warn('panel: dropped a malformed message', JSON.stringify(raw)?.slice(0, 200));
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.postState();
        return;
      case 'response':
        this.requests.settle(message.id, message);
        return;
      case 'request':
        void this.answer(message.id, message.request);
        return;
      default:
        assertNever(message);
    }
  }

  private async answer(id: number, request: Extract<FromWebview, { type: 'request' }>['request']): Promise<void> {
    try {
      switch (request.kind) {
        case 'openSample':
          await vscode.commands.executeCommand(CommandIds.openSample);
          break;
        case 'refresh':
          this.postState();
          break;
        default:
          assertNever(request);
      }
      this.post({ type: 'response', id, ok: true, result: null });
    } catch (e) {
      this.post({ type: 'response', id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private disposeView(): void {
    this.requests.rejectAll('the Reasoning Lens panel was closed');
    for (const d of this.viewDisposables) d.dispose();
    this.viewDisposables = [];
    this.view = undefined;
    this.ready = false;
  }
}
