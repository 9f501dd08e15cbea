import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Disposable } from '../util/disposable';
import { CommandIds } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import { SettingsSection, readSettings } from '../config';
import type { StepMetric, TraceSession } from '../core/session';
import { ApiKeySecret, type BackendService } from '../session/backendService';
import type { ScoringService } from '../session/scoring';
import type { DocumentSession } from '../session/sessionManager';
import { tokenTableFromFile } from '../pipeline/scoreTrace';
import { HEAT_METRICS, METRIC_INFO, availableMetrics, nextHotStep } from './heat';
import type { TraceEditorModel, TraceDocument } from './traceEditorModel';
import type { HeatDecorations } from './decorations';
import type { StepCodeLensProvider } from './codeLens';
import type { TraceStatusBar } from './statusBar';
import type { TokenHeat } from './tokenHeat';

/** Context key: the active editor shows a trace whose steps the editor commands can act on. */
export const TraceActiveContext = 'reasoningLens.traceActive';

interface Parts {
  readonly model: TraceEditorModel;
  readonly decorations: HeatDecorations;
  readonly codeLenses: StepCodeLensProvider;
  readonly statusBar: TraceStatusBar;
  readonly tokenHeat: TokenHeat;
  readonly backends: BackendService;
  readonly scoring: ScoringService;
  readonly log: vscode.LogOutputChannel;
}

/**
 * The editor's commands (step keep/drop/pin, navigation by heat, metric, scoring, backend settings),
 * the `reasoningLens.traceActive` context key, and auto-scoring of newly opened traces from what costs
 * nothing: logprobs in the file or the score cache. A model runs only on an explicit "Score Trace".
 */
export class EditorCommands extends Disposable {
  private readonly autoScored = new WeakSet<TraceSession>();
  private traceActive: boolean | undefined;

  static register(context: vscode.ExtensionContext, parts: Parts): EditorCommands {
    const commands = new EditorCommands(context, parts);
    context.subscriptions.push(commands);
    return commands;
  }

  private constructor(private readonly context: vscode.ExtensionContext, private readonly p: Parts) {
    super();
    const { log } = p;
    const cmd = <A extends unknown[], R>(id: Parameters<typeof registerCommand>[0], handler: (...args: A) => R | Promise<R>) =>
      this._register(registerCommand(id, log, handler));

    cmd(CommandIds.toggleStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => {
      if (s.isPinned(i) && s.isKept(i)) return this.pinnedNotice(i);
      s.toggleStep(i);
    }));
    cmd(CommandIds.keepStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => s.setOverride(i, 'keep')));
    cmd(CommandIds.dropStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => {
      if (s.isPinned(i)) return this.pinnedNotice(i);
      s.setOverride(i, 'drop');
    }));
    cmd(CommandIds.pinStep, (uri?: unknown, index?: unknown) => this.onStep(uri, index, (s, i) => s.togglePin(i)));
    cmd(CommandIds.nextSurprisingStep, () => this.goToHot(1));
    cmd(CommandIds.previousSurprisingStep, () => this.goToHot(-1));
    cmd(CommandIds.switchMetric, (metric?: unknown) => this.switchMetric(metric));
    cmd(CommandIds.scoreTrace, () => this.scoreTrace());
    cmd(CommandIds.selectBackend, (choice?: unknown) => this.selectBackend(choice));
    cmd(CommandIds.setEndpointApiKey, () => this.setApiKey());
    cmd(CommandIds.pickModelFolder, () => this.pickModelFolder());
    cmd(CommandIds.describeEditor, (uri?: unknown, options?: unknown) => this.describe(uri, options));

    this._register(p.model.sessions.onDidChangeActive((doc) => {
      this.updateContext();
      if (doc) void this.autoScore(doc);
    }));
    this.updateContext();
    const active = p.model.sessions.active;
    if (active) void this.autoScore(active);
  }

  private updateContext(): void {
    const editor = vscode.window.activeTextEditor;
    const active = !!editor && !!this.p.model.traceDocument(editor.document);
    if (active === this.traceActive) return;
    this.traceActive = active;
    void vscode.commands.executeCommand('setContext', TraceActiveContext, active);
  }

  /**
   * Colours a trace as soon as it opens when that costs nothing: the file's own logprobs, else a
   * cached token table of the active backend. Never loads a model or calls an endpoint.
   */
  private async autoScore(doc: DocumentSession): Promise<void> {
    const { session } = doc;
    if (session.scores || this.autoScored.has(session)) return;
    this.autoScored.add(session);
    try {
      if (this.p.scoring.scoreFromFile(doc)) return;
      if (await this.p.scoring.scoreFromCache(doc)) {
        const table = this.p.scoring.tokenTable(session);
        if (table) this.p.tokenHeat.setTable(session, table);
      }
    } catch (error) {
      this.p.log.debug(`no automatic scores for ${doc.summary.name}: ${String(error)}`);
    }
  }

  /** Resolves `(uri, index)` arguments, else the active editor and the step under the cursor. */
  private target(uri: unknown, index: unknown): { td: TraceDocument; index: number } {
    let td: TraceDocument | undefined;
    if (uri !== undefined && uri !== null) {
      const key = typeof uri === 'string' ? uri : uri instanceof vscode.Uri ? uri.toString() : undefined;
      if (!key) throw new Error('the first argument must be a document URI');
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (!document) throw new Error(`${key} is not open: open the trace first`);
      td = this.p.model.traceDocument(document);
      if (!td) throw new Error(`${key} shows no trace with steps`);
    } else {
      const editor = vscode.window.activeTextEditor;
      td = editor ? this.p.model.traceDocument(editor.document) : undefined;
      if (!td || !editor) throw new Error('Put the cursor in the reasoning of a trace (a trace view, or a markdown file with <think> tags).');
      if (index === undefined) {
        const at = this.p.model.stepAt(td, editor.selection.active);
        if (at === undefined) throw new Error('The cursor is not inside a reasoning step.');
        return { td, index: at };
      }
    }
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= td.session.steps.length) {
      throw new Error(`step index must be 0…${td.session.steps.length - 1} (got ${String(index)})`);
    }
    return { td, index };
  }

  private onStep(uri: unknown, index: unknown, action: (session: TraceSession, index: number) => void): void {
    const t = this.target(uri, index);
    action(t.td.session, t.index);
  }

  private pinnedNotice(index: number): void {
    void vscode.window.showInformationMessage(`Step ${index + 1} is pinned, so it stays. Unpin it to drop it.`);
  }

  private async goToHot(direction: 1 | -1): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const td = editor ? this.p.model.traceDocument(editor.document) : undefined;
    if (!editor || !td) throw new Error('Open a trace first.');
    const column = this.p.model.column(td.session);
    if (column.count === 0) {
      const choice = await vscode.window.showInformationMessage(`This trace has no ${METRIC_INFO[column.metric].label} values yet.`, 'Score Trace', 'Colour by…');
      if (choice === 'Score Trace') await vscode.commands.executeCommand(CommandIds.scoreTrace);
      if (choice === 'Colour by…') await vscode.commands.executeCommand(CommandIds.switchMetric);
      return;
    }
    const offset = editor.document.offsetAt(editor.selection.active) - td.reasoningOffset;
    const current = offset < 0 ? (direction === 1 ? -1 : 0) : (td.session.stepAt(offset)?.index ?? -1);
    const next = nextHotStep(column, current, direction);
    if (next === undefined) return;
    const range = td.stepRanges[next]!;
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async switchMetric(arg: unknown): Promise<StepMetric | undefined> {
    let metric: StepMetric | undefined;
    if (typeof arg === 'string') {
      if (!(HEAT_METRICS as readonly string[]).includes(arg)) throw new Error(`unknown metric "${arg}" (one of ${HEAT_METRICS.join(', ')})`);
      metric = arg as StepMetric;
    } else {
      const session = this.p.model.sessions.active?.session;
      const available = new Set(session ? availableMetrics(session.steps, session.scores, session.trace.chunks) : []);
      const picked = await vscode.window.showQuickPick(
        HEAT_METRICS.map((m) => ({
          label: `${m === this.p.model.metric ? '$(check) ' : ''}${METRIC_INFO[m].label}`,
          description: session ? (available.has(m) ? '' : 'no values for this trace') : '',
          detail: METRIC_INFO[m].description,
          metric: m,
        })),
        { title: 'Reasoning Lens: colour steps by', placeHolder: 'Metric for the heat map' },
      );
      metric = picked?.metric;
    }
    if (metric) await this.p.model.setMetric(metric);
    return metric;
  }

  private async scoreTrace(): Promise<boolean> {
    const doc = this.p.model.sessions.active;
    if (!doc) throw new Error('Open a trace first (a trace view, or a markdown file with <think> tags).');
    if (tokenTableFromFile(doc.session.trace)) {
      this.p.scoring.scoreFromFile(doc);
      void vscode.window.setStatusBarMessage('Reasoning Lens: scored from the logprobs in the file', 3000);
      return true;
    }
    const scored = await this.p.scoring.scoreWithBackend(doc);
    const table = this.p.scoring.tokenTable(doc.session);
    if (scored && table) this.p.tokenHeat.setTable(doc.session, table);
    return scored;
  }

  private async selectBackend(choice: unknown): Promise<string | undefined> {
    const options = [
      { label: '$(vm) Local model', value: 'local', detail: `The embedded model or the folder in reasoningLens.model.path, in a separate process (${this.p.backends.modelDir()}).` },
      { label: '$(globe) Endpoint', value: 'endpoint', detail: 'OpenAI-compatible servers listed in reasoningLens.endpoints (vLLM, llama.cpp, reasoning-lens serve).' },
      { label: '$(file) Logprobs in the file', value: 'file', detail: 'No model: only traces that carry their own logprobs get scores.' },
    ] as const;
    let value = typeof choice === 'string' ? choice : undefined;
    if (value !== undefined && !options.some((o) => o.value === value)) throw new Error(`unknown backend "${value}" (local, endpoint or file)`);
    if (value === undefined) {
      const current = readSettings().backend;
      const picked = await vscode.window.showQuickPick(options.map((o) => ({ ...o, description: o.value === current ? 'current' : '' })), { title: 'Reasoning Lens: score traces with' });
      value = picked?.value;
    }
    if (!value) return undefined;
    await vscode.workspace.getConfiguration(SettingsSection).update('backend', value, vscode.ConfigurationTarget.Global);
    if (value === 'endpoint' && readSettings().endpoints.length === 0) {
      const open = await vscode.window.showInformationMessage('Add the endpoint base URLs to the user setting reasoningLens.endpoints.', 'Open Settings');
      if (open) await vscode.commands.executeCommand('workbench.action.openSettings', 'reasoningLens.endpoint');
    }
    return value;
  }

  private async setApiKey(): Promise<void> {
    const key = await vscode.window.showInputBox({
      title: 'Reasoning Lens: endpoint API key',
      prompt: 'Stored in VS Code\'s secret storage, never in settings. Leave empty to remove the stored key.',
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return;
    if (key.trim() === '') {
      await this.context.secrets.delete(ApiKeySecret);
      void vscode.window.showInformationMessage('Reasoning Lens: the endpoint API key was removed.');
    } else {
      await this.context.secrets.store(ApiKeySecret, key.trim());
      void vscode.window.showInformationMessage('Reasoning Lens: the endpoint API key is stored.');
    }
  }

  private async pickModelFolder(): Promise<string | undefined> {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false,
      title: 'Reasoning Lens: folder of an ONNX causal LM (config.json, tokenizer.json, onnx/)', openLabel: 'Use This Model',
    });
    const folder = picked?.[0];
    if (!folder) return undefined;
    const dir = folder.fsPath;
    const missing = ['config.json', 'tokenizer.json'].filter((f) => !existsSync(join(dir, f)));
    if (!existsSync(join(dir, 'onnx'))) missing.push('onnx/');
    if (missing.length) throw new Error(`${dir} is not a model folder in the Hugging Face / Optimum layout: missing ${missing.join(', ')}.`);
    this.p.backends.markPickedByUser();
    await vscode.workspace.getConfiguration(SettingsSection).update('model.path', dir, vscode.ConfigurationTarget.Global);
    if (readSettings().backend !== 'local') await vscode.workspace.getConfiguration(SettingsSection).update('backend', 'local', vscode.ConfigurationTarget.Global);
    return dir;
  }

  /** Internal: what the editor shows for `uri` (default: the active editor). */
  private async describe(uri: unknown, options?: unknown): Promise<unknown> {
    if (options && typeof options === 'object' && (options as { scoreCache?: unknown }).scoreCache === true) {
      // Where automatic scores are looked up (diagnostics: "why is this trace not coloured?").
      let backendId: string | null = null;
      try {
        backendId = (await this.p.backends.backend()).describe().id;
      } catch {
        // No usable backend (file-only, Restricted Mode): nothing is looked up.
      }
      return { folder: this.p.scoring.cacheFolder, backendId };
    }
    const key = typeof uri === 'string' ? uri : uri instanceof vscode.Uri ? uri.toString() : vscode.window.activeTextEditor?.document.uri.toString();
    const target = key ? vscode.Uri.parse(key) : undefined;
    const document = target ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === key) : undefined;
    const td = document ? this.p.model.traceDocument(document) : undefined;
    return {
      uri: key,
      metric: this.p.model.metric,
      traceActive: this.traceActive ?? false,
      steps: td?.session.steps.length ?? null,
      kept: td ? [...td.session.plan.kept] : null,
      pinned: td ? [...td.session.controls.pinned] : null,
      scored: td ? td.session.scores !== undefined : null,
      scoreSource: td?.session.scoreSource ?? null,
      decorations: target ? this.p.decorations.describe(target) ?? null : null,
      statusBar: this.p.statusBar.describe(),
      codeLens: this.p.codeLenses.lastProvided ?? null,
      surprisingTokens: target ? this.p.tokenHeat.describe(target) : [],
    };
  }
}
