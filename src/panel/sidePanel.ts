import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { PendingRequests } from '../shared/rpc';
import {
  assertNever,
  parseFromWebview,
  PANEL_COMMANDS,
  type FromWebview,
  type HostRequest,
  type PanelCommand,
  type PanelSettings,
  type ToWebview,
  type TraceSummary,
  type ViewDescription,
  type WebviewRequest,
} from '../shared/protocol';
import { renderWebviewHtml, webviewResourceRoots } from '../webviewHost/html';
import { CommandIds, PanelViewId } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import type { LensContext } from '../services/context';
import type { OpenTrace, SessionManager } from '../services/sessionManager';
import type { TraceSession } from '../core/session';
import type { BackendService } from '../services/backendService';
import { previewPrune, runPrune } from '../pipeline/pruneRunner';
import { isCheapMethod, isPruneMethodId, pruneMethod, type Budget } from '../core/prune';
import type { PruneSettingsStore } from '../services/pruneSettings';
import { onDidChangeSettings, readSettings, SettingsSection } from '../services/config';
import { panelMethods, panelPlan, panelTrace } from './panelModel';
import { PreviewRunner } from '../pipeline/previewRunner';

/**
 * Palette actions the panel's buttons run, by command id. Some are registered by other parts of the
 * extension; the panel asks VS Code which exist and disables the rest instead of failing on click.
 */
const PANEL_COMMAND_IDS: Readonly<Record<PanelCommand, string>> = {
  score: 'reasoningLens.scoreTrace',
  prune: 'reasoningLens.pruneWith',
  reset: 'reasoningLens.resetPruning',
  undo: 'reasoningLens.undoPruning',
  redo: 'reasoningLens.redoPruning',
  export: 'reasoningLens.exportPruned',
  compare: CommandIds.compareOriginalPruned,
};

/** What reset/undo/redo do when their palette commands are not registered: the same on the session. */
const SESSION_FALLBACKS = {
  reset: (s: TraceSession) => s.reset(),
  undo: (s: TraceSession) => s.undo(),
  redo: (s: TraceSession) => s.redo(),
} as const;

/**
 * The side panel (a WebviewView in the panel area). It follows the active trace and its session: the
 * step-aligned diff, the score chart, the pruning controls with a live budget, and the model preview.
 * The webview says `ready` before the host posts state; state survives hiding through the webview's
 * own getState/setState, so `retainContextWhenHidden` stays off.
 */
export class SidePanelProvider extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private ready = false;
  private readonly requests = new PendingRequests(10_000);
  private readonly preview = new PreviewRunner((event) => this.postIfReady({ type: 'preview', event }));
  /** Session the last `state` message described, so plan-only changes send only the plan. */
  private shown: OpenTrace | undefined;

  static register(ctx: LensContext): SidePanelProvider {
    const { log } = ctx;
    const provider = new SidePanelProvider(ctx.extension.extensionUri, ctx.sessions, ctx.backends, ctx.pruneSettings, log);
    ctx.extension.subscriptions.push(
      provider,
      vscode.window.registerWebviewViewProvider(PanelViewId, provider),
      registerCommand(CommandIds.showPanel, log, () => vscode.commands.executeCommand(`${PanelViewId}.focus`)),
      registerCommand(CommandIds.describePanel, log, () => provider.describeView()),
      registerCommand(CommandIds.panelRequest, log, (request: WebviewRequest) => provider.handleRequest(request)),
    );
    return provider;
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: SessionManager,
    private readonly backends: BackendService,
    private readonly pruneSettings: PruneSettingsStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(pruneSettings.onDidChange(() => void this.postSettings()));
    this._register(sessions.onDidChangeActive(() => this.postState()));
    this._register(
      sessions.onDidChangeSession(({ session, change }) => {
        if (session !== this.sessions.active) return;
        if (change === 'plan' && this.shown === session) this.postPlan(session);
        else this.postState();
      }),
    );
    this._register(onDidChangeSettings(() => void this.postSettings()));
    this._register(backends.onDidChange(() => void this.postSettings()));
    this._register({ dispose: () => { this.preview.cancel(); this.disposeView(); } });
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

  /** Handles a webview request as if the webview had sent it (integration tests drive the panel this way). */
  async handleRequest(request: WebviewRequest): Promise<unknown> {
    const parsed = parseFromWebview({ type: 'request', id: 1, request });
    if (!parsed || parsed.type !== 'request') throw new Error(`not a valid panel request: ${JSON.stringify(request)}`);
    return this.perform(parsed.request);
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

  private postIfReady(message: ToWebview): void {
    if (this.view && this.ready) this.post(message);
  }

  private postState(): void {
    if (!this.view || !this.ready) return;
    const active = this.sessions.active;
    this.shown = active;
    const trace: TraceSummary | null = active?.summary ?? null;
    if (!active) {
      this.post({ type: 'state', trace, detail: null, plan: null });
      return;
    }
    this.post({ type: 'state', trace, detail: panelTrace(active.session), plan: panelPlan(active.session) });
  }

  private postPlan(doc: OpenTrace): void {
    this.postIfReady({ type: 'plan', plan: panelPlan(doc.session) });
  }

  private async postSettings(): Promise<void> {
    if (!this.view || !this.ready) return;
    const registered = new Set(await vscode.commands.getCommands(true));
    const settings: PanelSettings = {
      methods: panelMethods(),
      segmentation: readSettings(this.sessions.active?.uri).segmentation,
      backendLabel: this.backends.label(),
      commands: PANEL_COMMANDS.filter((c) => registered.has(PANEL_COMMAND_IDS[c]) || c in SESSION_FALLBACKS),
      chosen: { method: this.pruneSettings.method, budgetRatio: budgetRatio(this.pruneSettings.budget) },
    };
    this.postIfReady({ type: 'settings', settings });
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
        void this.postSettings();
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

  private async answer(id: number, request: WebviewRequest): Promise<void> {
    try {
      const result = await this.perform(request);
      this.postIfReady({ type: 'response', id, ok: true, result: result ?? null });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.log.warn(`panel ${request.kind}: ${error}`);
      this.postIfReady({ type: 'response', id, ok: false, error });
    }
  }

  /** Does what a webview request asks; errors say what to do and are shown by the webview. */
  private async perform(request: WebviewRequest): Promise<unknown> {
    switch (request.kind) {
      case 'openSample':
        await vscode.commands.executeCommand(CommandIds.openSample);
        return null;
      case 'refresh':
        void this.postSettings();
        this.postState();
        return null;
      case 'revealStep':
        return this.revealStep(request.index);
      case 'previewBudget': {
        const doc = this.requireActive();
        const method = this.methodId(request.method);
        const started = performance.now();
        const plan = previewPrune(doc.session, method, { kind: 'ratio', ratio: request.budget });
        const label = `${pruneMethod(method).label}, budget ${Math.round(request.budget * 100)}% (preview)`;
        this.postIfReady({ type: 'plan', plan: panelPlan(doc.session, { plan, label }) });
        return { hostMs: performance.now() - started };
      }
      case 'applyBudget':
        return this.applyBudget(request.method, request.budget);
      case 'command':
        return this.runPanelCommand(request.command);
      case 'setSegmentation': {
        const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
        await vscode.workspace.getConfiguration(SettingsSection).update('segmentation', request.segmentation, target);
        return null;
      }
      case 'toggleStep':
        this.requireActive().session.toggleStep(request.index);
        return null;
      case 'togglePin':
        this.requireActive().session.togglePin(request.index);
        return null;
      case 'startPreview': {
        const doc = this.requireActive();
        void this.preview.start(doc.session, request.mode, request.maxTokens, () => this.backends.backend());
        return null;
      }
      case 'cancelPreview':
        this.preview.cancel();
        return null;
      default:
        return assertNever(request);
    }
  }

  /** Runs a palette action by its command id; history actions fall back to the session when unregistered. */
  private async runPanelCommand(command: PanelCommand): Promise<null> {
    const id = PANEL_COMMAND_IDS[command];
    const registered = (await vscode.commands.getCommands(true)).includes(id);
    const fallback = (SESSION_FALLBACKS as Partial<Record<PanelCommand, (s: TraceSession) => unknown>>)[command];
    if (registered) await vscode.commands.executeCommand(id);
    else if (fallback) fallback(this.requireActive().session);
    else throw new Error(`the command ${id} is not available in this build of Reasoning Lens`);
    return null;
  }

  private requireActive(): OpenTrace {
    const active = this.sessions.active;
    if (!active) throw new Error('no reasoning trace is active: open a trace file (or a sample) first');
    return active;
  }

  private methodId(id: string) {
    if (!isPruneMethodId(id)) throw new Error(`unknown pruning method "${id}"`);
    return id;
  }

  private async applyBudget(methodName: string, budget: number): Promise<null> {
    const doc = this.requireActive();
    const method = this.methodId(methodName);
    const ratio = { kind: 'ratio', ratio: budget } as const;
    const label = `${pruneMethod(method).label}, budget ${Math.round(budget * 100)}%`;
    // The palette's "Prune with…" / "Set Budget…" and the panel share one choice per workspace.
    await this.pruneSettings.update({ method, budget: ratio });
    if (isCheapMethod(method)) {
      doc.session.applyPlan(previewPrune(doc.session, method, ratio), label);
      return null;
    }
    const backend = await this.backends.backend();
    const plan = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Pruning with ${method}`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        return runPrune(doc.session, method, ratio, {
          backend,
          signal: controller.signal,
          onProgress: (done, total) => progress.report({ message: `${done} / ${total}` }),
        }).finally(() => sub.dispose());
      },
    );
    doc.session.applyPlan(plan, label);
    return null;
  }

  /** Selects a step's text in an editor showing the active trace and scrolls it into view. */
  private async revealStep(index: number): Promise<null> {
    const doc = this.requireActive();
    const step = doc.session.steps[index];
    if (!step) throw new Error(`step ${index + 1} does not exist (the trace has ${doc.session.steps.length} steps)`);
    if (doc.reasoningOffset === undefined) {
      throw new Error('this document does not contain the reasoning verbatim (e.g. an escaped JSON string), so the step cannot be selected in it');
    }
    const key = doc.uri.toString();
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
    const editor = visible
      ? await vscode.window.showTextDocument(visible.document, { viewColumn: visible.viewColumn, preserveFocus: false })
      : await vscode.window.showTextDocument(doc.uri, { preserveFocus: false });
    const start = editor.document.positionAt(doc.reasoningOffset + step.start);
    const end = editor.document.positionAt(doc.reasoningOffset + step.end);
    editor.selection = new vscode.Selection(start, end);
    editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return null;
  }

  private disposeView(): void {
    this.requests.rejectAll('the Reasoning Lens panel was closed');
    for (const d of this.viewDisposables) d.dispose();
    this.viewDisposables = [];
    this.view = undefined;
    this.ready = false;
    this.shown = undefined;
  }
}

/** The slider's ratio for a stored budget; null when the budget is absolute or difficulty-aware. */
function budgetRatio(budget: Budget): number | null {
  return budget.kind === 'ratio' && budget.ratio > 0 && budget.ratio <= 1 ? budget.ratio : null;
}
