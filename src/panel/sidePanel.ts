import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import {
  parseFromWebview,
  PANEL_COMMANDS,
  type HostRequest,
  type PanelCommand,
  type PanelNotification,
  type PanelSettings,
  type TraceSummary,
  type ViewDescription,
  type WebviewRequest,
} from '../shared/protocol';
import { renderWebviewHtml, webviewResourceRoots } from '../webviewHost/html';
import { HostChannel } from '../webviewHost/channel';
import { dispatcher } from '../shared/channel';
import { CommandIds, PanelViewId, type CommandId } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import { own, type LensContext } from '../services/context';
import type { OpenTrace } from '../services/sessionManager';
import { previewPrune, runPrune } from '../pipeline/pruneRunner';
import { isCheapMethod, isPruneMethodId, pruneMethod, type Budget } from '../core/prune';
import { onDidChangeSettings, readSettings } from '../services/config';
import { panelMethods, panelPlan, panelSummary, panelTrace } from './panelModel';
import { PreviewRunner } from '../pipeline/previewRunner';
import { withCancellableProgress } from '../services/progress';

/** The palette command each of the panel's action buttons runs. */
const PANEL_COMMAND_IDS: Readonly<Record<PanelCommand, CommandId>> = {
  score: CommandIds.scoreTrace,
  prune: CommandIds.pruneWith,
  reset: CommandIds.resetPruning,
  undo: CommandIds.undoPruning,
  redo: CommandIds.redoPruning,
  export: CommandIds.exportPruned,
  compare: CommandIds.compareOriginalPruned,
};

/** The panel's channel: its notifications and requests over the shared envelope. */
type PanelChannel = HostChannel<PanelNotification, HostRequest, WebviewRequest>;

/**
 * The side panel (a WebviewView, in the secondary side bar by default: a tall column with room for the
 * diff; "Move Side Panel…" puts it elsewhere). It follows the active trace and its session: the
 * step-aligned diff, the score chart, the pruning controls with a live budget, and the model preview.
 * The webview says `ready` before the host posts state; state survives hiding through the webview's
 * own getState/setState, so `retainContextWhenHidden` stays off.
 */
export class SidePanelProvider extends Disposable implements vscode.WebviewViewProvider {
  /** The channel of the resolved view (a new one each time VS Code resolves the view again). */
  private channel: PanelChannel | undefined;
  private readonly preview = new PreviewRunner((event) => this.channel?.postIfReady({ type: 'preview', event }));
  /** Session the last `state` message described, so plan-only changes send only the plan. */
  private shown: OpenTrace | undefined;

  static register(ctx: LensContext): SidePanelProvider {
    const { log } = ctx;
    const provider = new SidePanelProvider(ctx);
    return own(
      ctx.extension,
      provider,
      vscode.window.registerWebviewViewProvider(PanelViewId, provider),
      registerCommand(CommandIds.showPanel, log, () => vscode.commands.executeCommand(`${PanelViewId}.focus`)),
      registerCommand(CommandIds.movePanel, log, () => movePanel()),
      registerCommand(CommandIds.describePanel, log, () => provider.describeView()),
      registerCommand(CommandIds.panelRequest, log, (request: WebviewRequest) => provider.handleRequest(request)),
    );
  }

  private constructor(private readonly ctx: LensContext) {
    super();
    this._register(ctx.pruneSettings.onDidChange(() => this.postSettings()));
    this._register(ctx.sessions.onDidChangeActive(() => this.postState()));
    this._register(
      ctx.sessions.onDidChangeSession(({ session, change }) => {
        if (session !== this.ctx.sessions.active) return;
        if (change === 'plan' && this.shown === session) this.postPlan(session);
        else this.postState();
      }),
    );
    this._register(onDidChangeSettings(() => this.postSettings()));
    this._register(ctx.backends.onDidChange(() => this.postSettings()));
    this._register(ctx.settings.onDidChangeMetric(() => this.postSettings()));
    this._register({ dispose: () => { this.preview.cancel(); this.disposeView(); } });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    const extensionUri = this.ctx.extension.extensionUri;
    view.webview.options = { enableScripts: true, localResourceRoots: webviewResourceRoots(extensionUri) };
    view.webview.html = renderWebviewHtml(view.webview, extensionUri, {
      title: 'Reasoning Lens',
      script: 'out/webview/panel.js',
      styles: ['media/panel.css'],
      bodyHtml: '<rl-panel></rl-panel>',
      codicons: true,
    });
    const channel: PanelChannel = new HostChannel(view.webview, {
      label: 'panel',
      log: this.ctx.log,
      timeoutMs: 10_000,
      parse: parseFromWebview,
      perform: async (request) => this.perform(request),
      // The trace first: it is what the restored page is waiting to draw.
      onReady: () => {
        this.postState();
        this.postSettings();
      },
    });
    this.channel = channel;
    channel.hold(view.onDidDispose(() => {
      if (this.channel === channel) this.disposeView();
    }));
  }

  /** Asks the webview what it renders; resolves the view first if needed. */
  async describeView(): Promise<ViewDescription> {
    const channel = await this.whenReady();
    return channel.request<ViewDescription>({ kind: 'describeView' });
  }

  /** Handles a webview request as if the webview had sent it (integration tests drive the panel this way). */
  async handleRequest(request: WebviewRequest): Promise<unknown> {
    const parsed = parseFromWebview({ type: 'request', id: 1, request });
    if (!parsed || parsed.type !== 'request') throw new Error(`not a valid panel request: ${JSON.stringify(request)}`);
    return await this.perform(parsed.request);
  }

  /** The ready channel, opening the panel first when it is not resolved yet. */
  private async whenReady(): Promise<PanelChannel> {
    if (this.channel?.isReady) return this.channel;
    await vscode.commands.executeCommand(`${PanelViewId}.focus`);
    const deadline = Date.now() + 15_000;
    while (!this.channel) {
      if (Date.now() > deadline) throw new Error('the Reasoning Lens panel did not become ready in 15 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.channel.whenReady(Math.max(0, deadline - Date.now()));
    return this.channel;
  }

  private postState(): void {
    const channel = this.channel;
    if (!channel?.isReady) return;
    const active = this.ctx.sessions.active;
    this.shown = active;
    const trace: TraceSummary | null = active ? panelSummary(active.summary) : null;
    if (!active) {
      channel.post({ type: 'state', trace, detail: null, plan: null });
      return;
    }
    channel.post({ type: 'state', trace, detail: panelTrace(active.session), plan: panelPlan(active.session) });
  }

  private postPlan(doc: OpenTrace): void {
    this.channel?.postIfReady({ type: 'plan', plan: panelPlan(doc.session) });
  }

  private postSettings(): void {
    if (!this.channel?.isReady) return;
    const settings: PanelSettings = {
      methods: panelMethods(),
      segmentation: readSettings(this.ctx.sessions.active?.uri).segmentation,
      backendLabel: this.ctx.backends.label(),
      commands: PANEL_COMMANDS,
      chosen: { method: this.ctx.pruneSettings.method, budgetRatio: budgetRatio(this.ctx.pruneSettings.budget) },
      metric: this.ctx.settings.metric,
    };
    this.channel.postIfReady({ type: 'settings', settings });
  }

  /** Does what a webview request asks; errors say what to do and are shown by the webview. */
  private readonly perform = dispatcher<WebviewRequest, Promise<unknown> | unknown>({
    openSample: () => vscode.commands.executeCommand(CommandIds.openSample).then(() => null),
    refresh: () => {
      this.postSettings();
      this.postState();
      return null;
    },
    revealStep: (r) => this.revealStep(r.index),
    previewBudget: (r) => this.previewBudget(r.method, r.budget),
    applyBudget: (r) => this.applyBudget(r.method, r.budget),
    command: (r) => this.runPanelCommand(r.command),
    setSegmentation: async (r) => {
      // The one settings store: user settings unless the user keeps this one in the workspace.
      await this.ctx.settings.setSegmentation(r.segmentation, this.ctx.sessions.active?.uri);
      return null;
    },
    setMetric: async (r) => {
      await this.ctx.settings.setMetric(r.metric);
      return null;
    },
    toggleStep: (r) => {
      this.requireActive().session.toggleStep(r.index);
      return null;
    },
    togglePin: (r) => {
      this.requireActive().session.togglePin(r.index);
      return null;
    },
    startPreview: (r) => {
      void this.preview.start(this.requireActive().session, r.mode, r.maxTokens, () => this.ctx.backends.backend());
      return null;
    },
    cancelPreview: () => {
      this.preview.cancel();
      return null;
    },
  });

  /** Re-prunes with a dragged budget and posts the plan without applying it; returns the host's time. */
  private previewBudget(methodName: string, budget: number): { hostMs: number } {
    const doc = this.requireActive();
    const method = this.methodId(methodName);
    const started = performance.now();
    const plan = previewPrune(doc.session, method, { kind: 'ratio', ratio: budget });
    const label = `${pruneMethod(method).label}, budget ${Math.round(budget * 100)}% (preview)`;
    this.channel?.postIfReady({ type: 'plan', plan: panelPlan(doc.session, { plan, label }) });
    return { hostMs: performance.now() - started };
  }

  /** Runs the palette command behind a panel button. */
  private async runPanelCommand(command: PanelCommand): Promise<null> {
    await vscode.commands.executeCommand(PANEL_COMMAND_IDS[command]);
    return null;
  }

  private requireActive(): OpenTrace {
    const active = this.ctx.sessions.active;
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
    await this.ctx.pruneSettings.update({ method, budget: ratio });
    if (isCheapMethod(method)) {
      doc.session.applyPlan(previewPrune(doc.session, method, ratio), label);
      return null;
    }
    const backend = await this.ctx.backends.backend();
    const plan = await withCancellableProgress(
      { title: `Pruning with ${method}` },
      (report, signal) => runPrune(doc.session, method, ratio, { backend, cache: this.ctx.scoring.cache, signal, onProgress: report }),
    );
    // Cancelled from the notification: the plan stays as it was, and that is no error.
    if (plan) doc.session.applyPlan(plan, label);
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
      ? await vscode.window.showTextDocument(visible.document, { ...(visible.viewColumn !== undefined ? { viewColumn: visible.viewColumn } : {}), preserveFocus: false })
      : await vscode.window.showTextDocument(doc.uri, { preserveFocus: false });
    const start = editor.document.positionAt(doc.reasoningOffset + step.start);
    const end = editor.document.positionAt(doc.reasoningOffset + step.end);
    editor.selection = new vscode.Selection(start, end);
    editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return null;
  }

  private disposeView(): void {
    this.channel?.dispose();
    this.channel = undefined;
    this.shown = undefined;
  }

}

/**
 * Opens VS Code's own "Move View" picker for the panel (new panel entry, primary or secondary side bar,
 * or next to another view): the workbench remembers the place, as after a drag. The view is named, not
 * focused first: focusing the webview while the picker opens would close the picker.
 */
async function movePanel(): Promise<void> {
  try {
    await vscode.commands.executeCommand('workbench.action.moveFocusedView', PanelViewId);
  } catch {
    // An editor without that command: its generic picker lists every view.
    await vscode.commands.executeCommand('workbench.action.moveView');
  }
}

/** The slider's ratio for a stored budget; null when the budget is absolute or difficulty-aware. */
function budgetRatio(budget: Budget): number | null {
  return budget.kind === 'ratio' && budget.ratio > 0 && budget.ratio <= 1 ? budget.ratio : null;
}
