import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { CommandIds } from './commandIds';
import { registerCommand } from './registerCommand';
import { PICKABLE_METHODS, PRUNE_METHODS, isCheapMethod, isPruneMethodId, makePlan, pruneMethod, type Budget, type DanglingReference, type PruneMethodId, type PrunePlan } from '../core/prune';
import { formatBudget, parseBudget } from '../core/prune/budgetText';
import { budgetShortfall, explainStep, PruneInputError, type StepDecision } from '../core/prune/run';
import { farFromBudget } from './budgetReport';
import { previewPrune, runPrune } from '../pipeline/pruneRunner';
import { stepOnLine, type OpenTrace } from '../services/sessionManager';
import { own, type LensContext } from '../services/context';
import { formatCount, formatTokens } from '../shared/format';
import { withCancellableProgress } from '../services/progress';
import { readSettings } from '../services/config';

/** What `reasoningLens.internal.describePruning` returns (integration tests, diagnostics). */
export interface PruningDescription {
  readonly active: boolean;
  readonly file?: string;
  readonly method: PruneMethodId;
  readonly budget: string;
  readonly plan?: PrunePlan;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly undoLabel?: string;
  readonly tokens?: { readonly before: number; readonly after: number; readonly estimated: boolean };
  /** Dangling references of the active plan. */
  readonly dangling: readonly DanglingReference[];
  /** Why the active plan ends far from its budget, when it does (the warning a prune shows). */
  readonly budgetWarning?: string;
  /** What the last "Set Budget…" said it changed. */
  readonly budgetReport?: string;
}

/** Options of "Prune with…" when called with arguments (tests, the side panel, keybindings). */
export interface PruneWithOptions {
  /** Score without asking when the method needs scores (default when arguments are given). */
  readonly score?: boolean;
}

const NO_TRACE = 'No reasoning trace is active. Open a trace file (markdown with <think>…</think>, a JSON response or a JSONL dataset line), or run "Reasoning Lens: Open Sample Trace".';

const CONTEXT_HAS_TRACE = 'reasoningLens.prune.hasTrace';
const CONTEXT_CAN_UNDO = 'reasoningLens.prune.canUndo';
const CONTEXT_CAN_REDO = 'reasoningLens.prune.canRedo';

/**
 * The pruning palette commands: Prune with…, Set Budget… (re-prunes the active trace), Reset / Undo /
 * Redo Pruning, Why Was This Step Dropped?, Check Dangling References, Keep Source Steps (the quick
 * fix of a dangling-reference diagnostic), plus an internal describe command. All act on
 * `SessionManager.active` (or the document a gutter menu or quick fix names); the method and budget
 * live in `PruneSettingsStore`. Dangling references are Problems (src/editor/danglingDiagnostics.ts),
 * never a toast after a prune.
 */
export class PruneCommands extends Disposable {
  /** What the last "Set Budget…" said it changed (tests and diagnostics). */
  private lastBudgetReport: string | undefined;
  /** The status-bar message about the last prune (a newer one replaces it). */
  private statusMessage: vscode.Disposable | undefined;

  static register(ctx: LensContext): PruneCommands {
    return own(ctx.extension, new PruneCommands(ctx));
  }

  private constructor(private readonly ctx: LensContext) {
    super();
    const reg = <A extends unknown[], R>(id: (typeof CommandIds)[keyof typeof CommandIds], fn: (...args: A) => R | Promise<R>): void => {
      this._register(registerCommand(id, ctx.log, fn));
    };
    reg(CommandIds.pruneWith, (method?: unknown, budget?: unknown, options?: PruneWithOptions) => this.pruneWith(method, budget, options));
    reg(CommandIds.setBudget, (budget?: unknown) => this.setBudget(budget));
    reg(CommandIds.resetPruning, () => this.withActive((doc) => doc.session.reset()));
    reg(CommandIds.undoPruning, () => this.withActive((doc) => this.undoRedo(doc, 'undo')));
    reg(CommandIds.redoPruning, () => this.withActive((doc) => this.undoRedo(doc, 'redo')));
    reg(CommandIds.whyDropped, (index?: unknown) => this.whyDropped(index));
    reg(CommandIds.checkDangling, (keep?: unknown) => this.checkDangling(keep));
    reg(CommandIds.keepSourceSteps, (uri?: unknown, steps?: unknown) => this.keepSourceSteps(uri, steps));
    reg(CommandIds.describePruning, () => this.describe());
    this._register(ctx.sessions.onDidChangeActive(() => this.updateContext()));
    this._register(
      ctx.sessions.onDidChangeSession(({ session }) => {
        if (session === this.ctx.sessions.active) this.updateContext();
      }),
    );
    this.updateContext();
  }

  // ---------------------------------------------------------------------------------------------
  // Prune with…

  private async pruneWith(methodArg: unknown, budgetArg: unknown, options: PruneWithOptions = {}): Promise<PrunePlan | undefined> {
    const doc = this.requireActive();
    if (!doc) return undefined;
    let budget = this.ctx.pruneSettings.budget;
    if (budgetArg !== undefined) {
      const parsed = typeof budgetArg === 'string' ? parseBudget(budgetArg) : typeof budgetArg === 'number' ? parseBudget(String(budgetArg)) : { ok: false as const, message: 'the budget argument must be a string such as "80%"' };
      if (!parsed.ok) throw new Error(parsed.message);
      budget = parsed.budget;
    }
    let method: PruneMethodId | undefined;
    const fromArgs = methodArg !== undefined;
    if (fromArgs) {
      if (!isPruneMethodId(methodArg)) {
        throw new Error(`unknown pruning method "${String(methodArg)}": use one of ${PRUNE_METHODS.map((m) => m.id).join(', ')}`);
      }
      method = methodArg;
    } else {
      method = await this.pickMethod(doc, budget);
      if (!method) return undefined;
    }
    if (!pruneMethod(method).pickable) {
      void vscode.window.showInformationMessage('Manual pruning: keep, drop and pin steps in the side panel or with the editor\'s step commands; "Reset Pruning" starts over.');
      return undefined;
    }
    if (budgetArg !== undefined) await this.ctx.pruneSettings.update({ method, budget });
    else await this.ctx.pruneSettings.update({ method });
    const plan = await this.computePlan(doc, method, budget, fromArgs ? options.score ?? true : false);
    if (!plan) return undefined;
    doc.session.applyPlan(plan, `${pruneMethod(method).label}, budget ${formatBudget(budget)}`);
    const b = plan.budget;
    if (b) {
      const note = plan.notes?.length ? ` ${plan.notes.join('; ')}.` : '';
      this.flash(`Reasoning Lens: ${plan.dropped.length} of ${plan.stepCount} steps dropped, ${formatCount(b.before)} → ${formatCount(b.after)} tokens${b.met ? '' : ` (budget not met: ${budgetShortfall(plan)})`}.${note}`);
    }
    this.warnIfFarFromBudget(doc, plan, budget);
    return plan;
  }

  /** Shows `text` in the status bar for a few seconds, replacing the previous prune's message. */
  private flash(text: string): void {
    this.statusMessage?.dispose();
    this.statusMessage = vscode.window.setStatusBarMessage(text, 8000);
  }

  /**
   * A plan whose kept tokens end far from the budget (more than a tenth of the trace away) gets a
   * warning that says why, so "6,862 → 166 tokens under an 80% budget" never passes silently.
   */
  private warnIfFarFromBudget(doc: OpenTrace, plan: PrunePlan, budget: Budget, before = ''): boolean {
    const miss = farFromBudget(doc.session, plan, budget);
    if (!miss) return false;
    const b = plan.budget!;
    void vscode.window.showWarningMessage(
      `${before}${pruneMethod(plan.method).label} kept ${formatCount(b.after)} of ${formatCount(b.before)} tokens of ${doc.summary.name}, far from the budget's ${formatCount(miss.target)}: ${miss.why}`,
      'Undo', 'Why Was This Step Dropped?',
    ).then((choice) => {
      if (choice === 'Undo') void vscode.commands.executeCommand(CommandIds.undoPruning);
      else if (choice) void vscode.commands.executeCommand(CommandIds.whyDropped);
    });
    return true;
  }

  /** Quick pick of methods, each cheap one with its preview ("asap — 4,812 → 3,840 tokens"). */
  private async pickMethod(doc: OpenTrace, budget: Budget): Promise<PruneMethodId | undefined> {
    // Logprobs in the file score the trace instantly, so the previews can show real figures.
    if (!doc.session.scores) this.ctx.scoring.scoreFromFile(doc);
    type Item = vscode.QuickPickItem & { id: PruneMethodId };
    const items: Item[] = PICKABLE_METHODS.map((m) => ({
      id: m.id,
      label: m.id,
      description: `— ${this.previewLine(doc, m.id, budget)}${m.id === this.ctx.pruneSettings.method ? ' (last used)' : ''}`,
      detail: `${m.label}: ${m.description}`,
    }));
    items.sort((a, b) => Number(b.id === this.ctx.pruneSettings.method) - Number(a.id === this.ctx.pruneSettings.method));
    const pick = await vscode.window.showQuickPick(items, {
      title: `Reasoning Lens: Prune ${doc.summary.name} (budget ${formatBudget(budget)})`,
      placeHolder: 'Pick a pruning method ("Set Budget…" changes the budget)',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    return pick?.id;
  }

  /** "4,812 → 3,840 tokens, 7 of 40 steps dropped", or what the method needs first. */
  private previewLine(doc: OpenTrace, method: PruneMethodId, budget: Budget): string {
    const info = pruneMethod(method);
    if (!isCheapMethod(method)) return 'calls the model for every step (slow, cancellable)';
    try {
      const plan = previewPrune(doc.session, method, budget);
      const b = plan.budget;
      const est = doc.session.tokensEstimated ? '~' : '';
      const steps = `${plan.dropped.length} of ${plan.stepCount} steps dropped`;
      return b ? `${est}${formatCount(b.before)} → ${est}${formatCount(b.after)} tokens, ${steps}` : steps;
    } catch (error) {
      if (error instanceof PruneInputError && info.needs.scores !== 'none') return `scores the trace first (${this.ctx.backends.label()})`;
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * The method's plan, scoring first when it needs scores (asking unless `scoreWithoutAsking`), and
   * running model methods under a cancellable progress notification. Undefined when cancelled.
   */
  private async computePlan(doc: OpenTrace, method: PruneMethodId, budget: Budget, scoreWithoutAsking: boolean): Promise<PrunePlan | undefined> {
    const info = pruneMethod(method);
    // Slow methods score inside `runPrune`, under their own progress notification.
    if (!info.slow && info.needs.scores !== 'none' && !doc.session.scores && !this.ctx.scoring.scoreFromFile(doc)) {
      // A method that only uses scores when present (confidence) runs on the text alone when nothing can score.
      const optional = info.needs.scores === 'optional';
      if (!scoreWithoutAsking) {
        const answer = await vscode.window.showInformationMessage(
          `${info.label} ${optional ? 'works best with' : 'needs'} per-step scores, and ${doc.summary.name} has no logprobs. Score it with ${this.ctx.backends.label()}?`,
          { modal: !optional },
          'Score',
          ...(optional ? ['Use Text Only'] : []),
        );
        if (answer === undefined) return undefined;
        if (answer === 'Score' && !(await this.ctx.scoring.scoreWithBackend(doc))) return undefined;
      } else if (!optional) {
        if (!(await this.ctx.scoring.scoreWithBackend(doc))) return undefined;
      } else if (this.canScore()) {
        // Confidence still runs on the text alone when no model can score (Restricted Mode, no model).
        try {
          await this.ctx.scoring.scoreWithBackend(doc);
        } catch (error) {
          this.ctx.log.warn(`confidence pruning without scores: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    if (isCheapMethod(method)) return previewPrune(doc.session, method, budget);
    const backend = await this.ctx.backends.backend();
    return withCancellableProgress(
      { title: `Pruning ${doc.summary.name} with ${info.label}`, message: slowMethodMessage },
      (report, signal) => runPrune(doc.session, method, budget, { backend, cache: this.ctx.scoring.cache, signal, onProgress: report }),
    );
  }

  private canScore(): boolean {
    return readSettings().backend !== 'file';
  }

  // ---------------------------------------------------------------------------------------------
  // Set Budget…

  private async setBudget(arg: unknown): Promise<Budget | undefined> {
    let budget: Budget;
    if (arg !== undefined) {
      const parsed = parseBudget(String(arg));
      if (!parsed.ok) throw new Error(parsed.message);
      budget = parsed.budget;
    } else {
      const doc = this.ctx.sessions.active;
      const input = await vscode.window.showInputBox({
        title: 'Reasoning Lens: Set Pruning Budget',
        prompt: 'How much of the reasoning to keep: 0.8, 80%, 1024 tokens, or auto (difficulty-aware: easy traces are pruned hardest)',
        value: formatBudget(this.ctx.pruneSettings.budget),
        validateInput: (value) => {
          const parsed = parseBudget(value);
          if (!parsed.ok) return { message: parsed.message, severity: vscode.InputBoxValidationSeverity.Error };
          const method = this.ctx.pruneSettings.method;
          if (doc && isCheapMethod(method)) {
            try {
              const b = previewPrune(doc.session, method, parsed.budget).budget;
              if (b) return { message: `${method}: ${formatCount(b.before)} → ${formatCount(b.after)} tokens (target ${formatCount(b.target)})`, severity: vscode.InputBoxValidationSeverity.Info };
            } catch {
              // No preview without scores; the budget is still valid.
            }
          }
          return undefined;
        },
      });
      if (input === undefined) return undefined;
      const parsed = parseBudget(input);
      if (!parsed.ok) throw new Error(parsed.message);
      budget = parsed.budget;
    }
    await this.ctx.pruneSettings.update({ budget });
    const doc = this.ctx.sessions.active;
    if (doc) await this.reprune(doc, budget, arg !== undefined);
    return budget;
  }

  /**
   * "Set Budget…" re-prunes the active trace at once with the method that made its plan (else the
   * chosen method), as one undoable step, and says what changed. A trace with no method plan yet
   * and a method that does not aim at budgets (rule-based) keep their plan: the budget applies to
   * the next prune.
   */
  private async reprune(doc: OpenTrace, budget: Budget, fromArgs: boolean): Promise<void> {
    const current = doc.session.state.plan.method;
    const method = pruneMethod(current).pickable ? current : this.ctx.pruneSettings.method;
    const info = pruneMethod(method);
    if (!info.budgeted) {
      void vscode.window.showInformationMessage(`Budget set to ${formatBudget(budget)}. ${info.label} is rule-based and does not aim at a budget, so ${doc.summary.name} keeps its plan; ASAP, step entropy and SPIRIT use the budget.`);
      return;
    }
    const before = { kept: doc.session.plan.kept.length, tokens: doc.session.totals().after };
    const plan = await this.computePlan(doc, method, budget, fromArgs);
    if (!plan) return;
    doc.session.applyPlan(plan, `${info.label}, budget ${formatBudget(budget)}`);
    const after = doc.session.totals();
    const steps = doc.session.steps.length;
    const what = `Budget ${formatBudget(budget)}: ${info.label} now keeps ${doc.session.plan.kept.length} of ${steps} steps of ${doc.summary.name}, ${formatTokens(after.after, after.estimated)} (was ${before.kept} steps, ${formatTokens(before.tokens, after.estimated)}).`;
    this.lastBudgetReport = what;
    this.flash(`Reasoning Lens: ${what}`);
    if (this.warnIfFarFromBudget(doc, plan, budget, `${what} `)) return;
    void vscode.window.showInformationMessage(what, 'Undo').then((choice) => {
      if (choice) void vscode.commands.executeCommand(CommandIds.undoPruning);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Undo / redo

  private undoRedo(doc: OpenTrace, which: 'undo' | 'redo'): boolean {
    const label = which === 'undo' ? doc.session.undoLabel : undefined;
    const done = which === 'undo' ? doc.session.undo() : doc.session.redo();
    if (!done) void vscode.window.showInformationMessage(`Nothing to ${which} in ${doc.summary.name}.`);
    else if (label) void vscode.window.setStatusBarMessage(`Reasoning Lens: undid "${label}"`, 4000);
    return done;
  }

  // ---------------------------------------------------------------------------------------------
  // Why was this step dropped?

  private async whyDropped(indexArg: unknown): Promise<StepDecision | undefined> {
    const gutter = gutterTarget(indexArg, this.ctx);
    const doc = gutter?.doc ?? this.requireActive();
    if (!doc) return undefined;
    const index = typeof indexArg === 'number' ? indexArg : gutter?.index ?? await stepAtCursorOrPick(doc, 'Which step? (the cursor is not inside a step of this trace)');
    if (index === undefined) return undefined;
    if (!Number.isInteger(index) || index < 0 || index >= doc.session.steps.length) {
      throw new Error(`step ${index + 1} does not exist (the trace has ${doc.session.steps.length} steps)`);
    }
    const decision = explainStep(doc.session.plan, doc.session.controls, index);
    if (typeof indexArg !== 'number') {
      // The answer is shown, not waited for: the command returns the decision at once.
      const actions = decision.kept ? [] : ['Keep This Step', 'Pin This Step'];
      void vscode.window.showInformationMessage(decision.summary, { modal: false, detail: decision.details.join('\n') }, ...actions).then((choice) => {
        if (choice === 'Keep This Step') doc.session.setOverride(index, 'keep');
        else if (choice === 'Pin This Step') doc.session.togglePin(index);
      });
      if (!decision.kept && decision.details.length) this.ctx.log.info(`${decision.summary} ${decision.details.join('; ')}`);
    }
    return decision;
  }

  // ---------------------------------------------------------------------------------------------
  // Dangling references

  /** The dangling references of a session's effective plan. */
  dangling(doc: OpenTrace): DanglingReference[] {
    return doc.session.danglingReferences();
  }

  /**
   * "Check Dangling References": lists them in a quick pick; the picked ones' source steps are kept
   * (one undo step). With `keep === 'all'` (tests, notification button) keeps every source step.
   */
  private async checkDangling(keep: unknown): Promise<DanglingReference[] | undefined> {
    const doc = this.requireActive();
    if (!doc) return undefined;
    const refs = this.dangling(doc);
    if (keep === 'all') {
      this.keepSources(doc, refs);
      return refs;
    }
    if (refs.length === 0) {
      void vscode.window.showInformationMessage(`No dangling references in the pruned ${doc.summary.name}: every number and identifier a kept step uses is introduced in a kept step or the prompt.`);
      return refs;
    }
    await this.pickSources(doc, refs);
    return refs;
  }

  /** The quick fix of a dangling-reference diagnostic: keeps the given source steps of `uri`'s trace. */
  private keepSourceSteps(uri: unknown, steps: unknown): number[] {
    const key = typeof uri === 'string' ? uri : uri instanceof vscode.Uri ? uri.toString() : undefined;
    const doc = key ? this.ctx.sessions.openTrace(key) : this.ctx.sessions.active;
    if (!doc) throw new Error(`${key ?? 'the active editor'} shows no open trace`);
    const wanted = new Set(Array.isArray(steps) ? steps.filter((s): s is number => typeof s === 'number') : []);
    const refs = this.dangling(doc).filter((r) => wanted.size === 0 || wanted.has(r.sourceStep));
    this.keepSources(doc, refs);
    return [...new Set(refs.map((r) => r.sourceStep))];
  }

  private async pickSources(doc: OpenTrace, refs: readonly DanglingReference[]): Promise<void> {
    type Item = vscode.QuickPickItem & { ref: DanglingReference };
    const items: Item[] = refs.map((ref) => ({
      ref,
      label: ref.token,
      description: `${ref.kind}, introduced in dropped step ${ref.sourceStep + 1}`,
      detail: `used in kept step${ref.usedInSteps.length === 1 ? '' : 's'} ${ref.usedInSteps.map((s) => s + 1).join(', ')}: ${preview(doc.session.steps[ref.sourceStep]?.text ?? '')}`,
      picked: true,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: `Reasoning Lens: Dangling References in ${doc.summary.name}`,
      placeHolder: 'Keep the source steps of the checked references (Enter), or Escape to leave the plan as it is',
      canPickMany: true,
    });
    if (picked?.length) this.keepSources(doc, picked.map((p) => p.ref));
  }

  /** Keeps the source steps of `refs` by removing them from the method plan: one undo step. */
  private keepSources(doc: OpenTrace, refs: readonly DanglingReference[]): void {
    if (!refs.length) return;
    const sources = new Set(refs.map((r) => r.sourceStep));
    const state = doc.session.state;
    const overrides = state.controls.overrides;
    // Steps dropped by hand are "drop" overrides: a method-plan change cannot restore them, so clear those.
    const manual = [...sources].filter((i) => overrides[i] === 'drop');
    const reasons = new Map(state.plan.dropped.filter((d) => !sources.has(d.index)).map((d) => [d.index, d.reason] as const));
    const plan = makePlan(state.plan.method, state.plan.stepCount, reasons, state.plan.pinned, {
      ...(state.plan.budget ? { budget: state.plan.budget } : {}),
      notes: [...(state.plan.notes ?? []), `kept ${sources.size} step${sources.size === 1 ? '' : 's'} that introduce values used later`],
    });
    if (manual.length) {
      for (const i of manual) doc.session.setOverride(i, undefined);
    }
    doc.session.applyPlan(plan, `keep source step${sources.size === 1 ? '' : 's'} ${[...sources].map((i) => i + 1).join(', ')}`);
  }

  // ---------------------------------------------------------------------------------------------

  private describe(): PruningDescription {
    const doc = this.ctx.sessions.active;
    const settings = this.ctx.pruneSettings.current;
    if (!doc) return { active: false, method: settings.method, budget: formatBudget(settings.budget), canUndo: false, canRedo: false, dangling: [] };
    const s = doc.session;
    const warning = farFromBudget(s, s.state.plan, settings.budget)?.why;
    return {
      active: true,
      file: doc.uri.toString(),
      method: settings.method,
      budget: formatBudget(settings.budget),
      plan: s.plan,
      canUndo: s.canUndo,
      canRedo: s.canRedo,
      ...(s.undoLabel ? { undoLabel: s.undoLabel } : {}),
      tokens: s.totals(),
      dangling: this.dangling(doc),
      ...(warning ? { budgetWarning: warning } : {}),
      ...(this.lastBudgetReport ? { budgetReport: this.lastBudgetReport } : {}),
    };
  }

  private requireActive(): OpenTrace | undefined {
    const doc = this.ctx.sessions.active;
    if (!doc) {
      void vscode.window.showInformationMessage(NO_TRACE, 'Open Sample Trace').then((choice) => {
        if (choice) void vscode.commands.executeCommand(CommandIds.openSample);
      });
    }
    return doc;
  }

  private withActive<R>(fn: (doc: OpenTrace) => R): R | undefined {
    const doc = this.requireActive();
    return doc ? fn(doc) : undefined;
  }

  private updateContext(): void {
    const s = this.ctx.sessions.active?.session;
    void vscode.commands.executeCommand('setContext', CONTEXT_HAS_TRACE, !!s);
    void vscode.commands.executeCommand('setContext', CONTEXT_CAN_UNDO, !!s?.canUndo);
    void vscode.commands.executeCommand('setContext', CONTEXT_CAN_REDO, !!s?.canRedo);
  }
}

/**
 * The step under the cursor when the active editor shows `doc` with its reasoning verbatim; else a
 * quick pick of the steps. Undefined when the user cancels.
 */
async function stepAtCursorOrPick(doc: OpenTrace, placeHolder: string): Promise<number | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.toString() === doc.uri.toString() && doc.reasoningOffset !== undefined) {
    const offset = editor.document.offsetAt(editor.selection.active) - doc.reasoningOffset;
    const step = offset >= 0 && offset <= doc.session.trace.reasoning.length ? doc.session.stepAt(offset) : undefined;
    if (step && offset <= step.end) return step.index;
  }
  const items = doc.session.steps.map((s) => ({
    index: s.index,
    label: `Step ${s.index + 1}`,
    description: doc.session.isKept(s.index) ? (doc.session.isPinned(s.index) ? 'pinned' : 'kept') : 'dropped',
    detail: preview(s.text),
  }));
  const pick = await vscode.window.showQuickPick(items, { title: 'Reasoning Lens: Pick a Step', placeHolder, matchOnDetail: true });
  return pick?.index;
}

function preview(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The progress line of a slow method: what it did, and where it is in its model calls. */
function slowMethodMessage(done: number, total: number, note?: string): string {
  return `${note ? `${note} · ` : ''}model call ${formatCount(done)} of ~${formatCount(total)}`;
}

/** The trace and step of a gutter (line-number) context-menu click: `{ lineNumber, uri }`. */
function gutterTarget(arg: unknown, ctx: LensContext): { doc: OpenTrace; index: number } | undefined {
  if (!arg || typeof arg !== 'object' || !('lineNumber' in arg) || !('uri' in arg)) return undefined;
  const { lineNumber, uri } = arg as { lineNumber: unknown; uri: unknown };
  if (typeof lineNumber !== 'number' || !(uri instanceof vscode.Uri)) return undefined;
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const doc = document ? ctx.sessions.sessionFor(document) : undefined;
  if (!document || !doc) return undefined;
  const index = stepOnLine(doc, document, lineNumber - 1);
  return index === undefined ? undefined : { doc, index };
}
