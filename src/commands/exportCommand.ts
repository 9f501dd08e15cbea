import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Disposable } from '../util/disposable';
import { CommandIds } from './commandIds';
import { registerCommand } from './registerCommand';
import { own, type LensContext } from '../services/context';
import type { OpenTrace } from '../services/sessionManager';
import { parseOptionsFor, readSettings } from '../services/config';
import { pruneMethod } from '../core/prune';
import { formatBudget } from '../core/prune/budgetText';
import { checkOutput, writeFileAtomic } from '../core/export/atomicWrite';
import { emptyTotals, exportSource, exportTrace, filePruner, planOutcome, sourceKind, type AsyncTracePruner, type ExportTotals, type StepTokenCounts } from '../core/export/dataset';
import type { ExportFormat } from '../core/export/serialize';
import type { ScoringBackend } from '../model/backend';
import { backendPruner } from '../pipeline/pruneRunner';
import { describeTokensBy } from '../pipeline/traceTokens';
import { chooseTokenizerForTrace, type TokenizerSetting } from '../model/tokenizers';
import { TokenizerClient } from '../model/tokenizerClient';
import { segment } from '../core/steps';
import { estimateTokens } from '../core/session';
import type { Trace } from '../core/trace/types';
import type { SegmentationMode } from '../shared/vocabulary';
import { configuredModelName } from '../services/tokenCounts';
import { formatCount } from '../shared/format';
import { withCancellableProgress } from '../services/progress';

/** Arguments of `reasoningLens.exportPruned` (all optional: missing ones are asked for). */
export interface ExportArgs {
  /** `trace`: the active trace with its plan; `dataset`: every trace of the file, pruned with the current method and budget. */
  readonly scope?: 'trace' | 'dataset';
  readonly format?: ExportFormat;
  /** Absolute path of the file to write. */
  readonly target?: string;
  /** Write `[SKIP]` in place of each dropped step (step-entropy training format). */
  readonly placeholders?: boolean;
  /** Overwrite an existing target without asking (tests, scripts). */
  readonly overwrite?: boolean;
}

/** What the command returns (tests). */
export interface ExportResult {
  readonly target: string;
  readonly bytes: number;
  readonly totals: ExportTotals;
}

/**
 * "Export Pruned Trace(s)…": the active trace (with its plan, pins and manual edits) or its whole
 * dataset (each trace pruned with the stored method and budget, scores from the file's logprobs), in
 * the source's format or as SFT-ready JSONL. Writes are atomic; an existing file is only replaced after
 * asking; the source is never a target.
 */
export class ExportCommand extends Disposable {
  static register(ctx: LensContext): ExportCommand {
    return own(ctx.extension, new ExportCommand(ctx));
  }

  private constructor(private readonly ctx: LensContext) {
    super();
    this._register(registerCommand(CommandIds.exportPruned, ctx.log, (args?: ExportArgs) => this.run(args ?? {})));
  }

  private async run(args: ExportArgs): Promise<ExportResult | undefined> {
    const doc = this.ctx.sessions.active;
    if (!doc) {
      void vscode.window.showInformationMessage('No reasoning trace is active. Open a trace file (or run "Reasoning Lens: Open Sample Trace"), prune it, then export.');
      return undefined;
    }
    const source = sourcePath(doc);
    if (!source) throw new Error('This trace is not backed by a file on disk, so there is nothing to export next to; save it first.');
    const kind = await sourceKind(source).catch(() => ({ kind: 'text' as const, ext: extname(source) || '.md' }));
    const isDataset = kind.kind === 'jsonl' || (kind.kind === 'json' && isJsonArray(doc));
    const scope = args.scope ?? (isDataset ? await this.pickScope(doc) : 'trace');
    if (!scope) return undefined;
    const format = args.format ?? (await pickFormat());
    if (!format) return undefined;
    let placeholders = args.placeholders ?? false;
    const method = scope === 'trace' ? doc.session.plan.method : this.ctx.pruneSettings.method;
    if (args.placeholders === undefined && pruneMethod(method).skipPlaceholders) {
      const pick = await vscode.window.showQuickPick(
        [{ label: 'Remove dropped steps', value: false }, { label: 'Write [SKIP] in place of each dropped step', description: 'step-entropy training format (arXiv 2508.03346)', value: true }],
        { title: 'Reasoning Lens: Dropped Steps' },
      );
      if (!pick) return undefined;
      placeholders = pick.value;
    }
    const ext = format === 'sft' ? '.sft.jsonl' : scope === 'trace' && kind.kind === 'jsonl' ? '.jsonl' : kind.kind === 'thought-anchors' ? '.json' : kind.ext;
    const base = kind.kind === 'thought-anchors' || kind.kind === 'prompt-response' ? basename(source) : basename(source, extname(source));
    let target = args.target;
    if (!target) {
      const picked = await vscode.window.showSaveDialog({
        title: 'Reasoning Lens: Export Pruned Trace(s)',
        defaultUri: vscode.Uri.file(join(dirname(source), `${base}.pruned${ext}`)),
        filters: format === 'sft' || ext.endsWith('.jsonl') ? { 'JSON Lines': ['jsonl'] } : ext === '.json' ? { JSON: ['json'] } : { Text: [ext.replace(/^\./, '')] },
        saveLabel: 'Export',
      });
      if (!picked) return undefined;
      target = picked.fsPath;
    }
    // The source under any name is refused; a dangling symlink is replaced by the atomic write, never
    // followed; a folder typed in the save dialog that does not exist yet is created.
    await checkOutput(source, target, { force: true, createFolder: true });
    if (existsSync(target) && !args.overwrite) {
      const answer = await vscode.window.showWarningMessage(`${basename(target)} already exists. Replace it with the pruned export?`, { modal: true }, 'Replace');
      if (answer !== 'Replace') return undefined;
    }
    const totals = emptyTotals();
    const written = await withCancellableProgress(
      {
        title: `Exporting pruned ${scope === 'trace' ? 'trace' : 'traces'} to ${basename(target)}`,
        message: (records, total) => `${formatCount(records)} / ${formatCount(total)} records`,
      },
      async (report, signal) => {
        const content = scope === 'trace' ? await this.traceContent(doc, format, placeholders, totals) : await this.datasetContent(doc, source, format, placeholders, totals, signal, report);
        return writeFileAtomic(target, content, { signal });
      },
    );
    if (!written) return undefined;
    this.report(target, totals);
    return { target, bytes: written.bytes, totals };
  }

  private async pickScope(doc: OpenTrace): Promise<'trace' | 'dataset' | undefined> {
    const { method, budget } = this.ctx.pruneSettings.current;
    const info = pruneMethod(method);
    const scores = info.needs.scores === 'none' && !info.needs.model ? '' : ` (scores from the file's logprobs, else ${this.ctx.backends.label()})`;
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Current trace', description: `${doc.summary.name}, with its plan (${doc.session.plan.kept.length}/${doc.session.steps.length} steps kept)`, value: 'trace' as const },
        { label: 'Whole dataset', description: `every trace pruned with ${method}${info.budgeted ? `, budget ${formatBudget(budget)}` : ''}${scores}`, value: 'dataset' as const },
      ],
      { title: 'Reasoning Lens: Export What?' },
    );
    return pick?.value;
  }

  /** The active trace with its effective plan, in its source's format (its record edited in place) or as one SFT row. */
  private async traceContent(doc: OpenTrace, format: ExportFormat, placeholders: boolean, totals: ExportTotals): Promise<string> {
    const s = doc.session;
    if (!s.trace.reasoning.trim()) throw new Error(`Nothing to export: ${doc.summary.name} has no reasoning section.`);
    const t = s.totals();
    const outcome = planOutcome(s.trace, s.steps, s.plan, { before: t.before, after: t.after }, placeholders);
    // A text file open in the editor is exported as the editor holds it (unsaved edits included).
    const document = doc.uri.scheme === 'file' ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === doc.uri.toString()) : undefined;
    // Written with the field mapping of the file it was read from (a trace view's URI is not that file).
    const text = await exportTrace(s.trace, outcome, { format, parse: parseOptionsFor(vscode.Uri.file(s.trace.source.file)) }, totals, document?.getText());
    if (!outcome.ok) throw new Error(`Nothing to export: ${outcome.reason}.`);
    return text;
  }

  /**
   * Every trace of the dataset pruned with the workspace's method and budget: scores from the file's
   * logprobs where a trace has them, else from the configured backend (local model or endpoint), with
   * progress and cancellation.
   */
  private async datasetContent(
    doc: OpenTrace,
    source: string,
    format: ExportFormat,
    placeholders: boolean,
    totals: ExportTotals,
    signal: AbortSignal,
    onProgress: (records: number, total: number) => void,
  ): Promise<AsyncIterable<string>> {
    const { method, budget } = this.ctx.pruneSettings.current;
    const info = pruneMethod(method);
    const settings = readSettings(doc.uri);
    const segmentation = settings.segmentation;
    let backend: ScoringBackend | undefined;
    if (info.needs.scores !== 'none' || info.needs.model) {
      try {
        backend = await this.ctx.backends.backend();
      } catch (error) {
        // Without a backend, traces with logprobs in the file are still pruned; the others say why not.
        if (info.needs.model) throw error;
        totals.notes.push(`no scoring backend (${error instanceof Error ? error.message : String(error)}): only traces with logprobs in the file are pruned`);
      }
    }
    // Token budgets and totals in the writing model's tokenizer, chosen per trace as the status bar
    // does, counted in the tokenizer worker (never on the extension host) before each trace is pruned.
    const counting = new StepCountPrefetch(this.ctx.extension.extensionUri, settings.tokenizer, configuredModelName(settings), segmentation);
    const options = { method, budget, segmentation, placeholder: placeholders, stepTokens: counting.lookup };
    const inner: AsyncTracePruner = backend
      ? backendPruner({ ...options, backend, cache: this.ctx.scoring.cache, signal, preferFileScores: true })
      : filePruner(options);
    const pruner: AsyncTracePruner = async (trace) => {
      await counting.prepare(trace);
      return inner(trace);
    };
    // Read (and so written) with the field mapping set for the source file, whichever view is active.
    const records = exportSource(source, pruner, format, totals, { signal, onProgress, parse: parseOptionsFor(vscode.Uri.file(source)) });
    return (async function* () {
      try {
        yield* records;
      } finally {
        if (counting.failure) totals.notes.push(counting.failure);
        await counting.dispose();
      }
    })();
  }

  private report(target: string, totals: ExportTotals): void {
    const by = Object.entries(totals.tokensBy).sort((a, b) => b[1] - a[1])[0]?.[0];
    const countedBy = by ? ` (counted by ${describeTokensBy(by)}${Object.keys(totals.tokensBy).length > 1 ? ' for most traces' : ''})` : '';
    const saved = totals.tokensBefore ? ` ${formatCount(totals.tokensBefore)} → ${formatCount(totals.tokensAfter)} tokens${countedBy}.` : '';
    const unpruned = totals.skipped.length ? ` ${formatCount(totals.skipped.length)} written unpruned (see the log).` : '';
    const leftOut = totals.leftOut.length ? ` ${formatCount(totals.leftOut.length)} left out (see the log).` : '';
    for (const s of totals.skipped.slice(0, 200)) this.ctx.log.warn(`export: not pruned ${s.where}: ${s.reason}`);
    for (const s of totals.leftOut.slice(0, 200)) this.ctx.log.warn(`export: left out ${s.where}: ${s.reason}`);
    for (const s of totals.unmet.slice(0, 200)) this.ctx.log.info(`export: budget not met ${s.where}: ${s.reason}`);
    for (const n of totals.notes) this.ctx.log.info(`export: ${n}`);
    void vscode.window.showInformationMessage(`Exported ${formatCount(totals.pruned)} pruned trace${totals.pruned === 1 ? '' : 's'} to ${basename(target)}.${saved}${unpruned}${leftOut}`, 'Open').then((choice) => {
      if (choice) void vscode.window.showTextDocument(vscode.Uri.file(target));
    });
  }
}

async function pickFormat(): Promise<ExportFormat | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Same format as the source', description: 'the reasoning replaced where it came from; everything else unchanged', value: 'same' as const },
      { label: 'SFT-ready JSONL', description: '{"messages":[user prompt, assistant "<think>…</think>" + answer]}', value: 'sft' as const },
    ],
    { title: 'Reasoning Lens: Export Format' },
  );
  return pick?.value;
}

/** The file (or Thought-Anchors / prompt-response folder) a session's trace came from. */
function sourcePath(doc: OpenTrace): string | undefined {
  if (doc.uri.scheme === 'file') return doc.uri.fsPath;
  // A virtual document (the trace view) names its file in the trace's source.
  const file = doc.session.trace.source.file;
  return file && existsSync(file) ? file : undefined;
}

function isJsonArray(doc: OpenTrace): boolean {
  const text = vscode.workspace.textDocuments.find((d) => d.uri.toString() === doc.uri.toString())?.getText() ?? '';
  return text.trimStart().startsWith('[');
}

/**
 * Step token counts for a dataset export in the tokenizer `reasoningLens.tokenizer` picks per trace,
 * from the tokenizer worker: `prepare` counts a trace's steps (asynchronously) before the pruner runs,
 * and `lookup` (the pruners' synchronous `stepTokens`) hands those counts over.
 */
class StepCountPrefetch {
  private readonly client: TokenizerClient;
  private counted: { trace: Trace; texts: readonly string[]; result: StepTokenCounts } | undefined;
  /** The first counting failure, for the export's notes. */
  failure: string | undefined;

  constructor(extensionUri: vscode.Uri, private readonly setting: TokenizerSetting, private readonly configuredModel: string, private readonly segmentation: SegmentationMode) {
    this.client = new TokenizerClient(vscode.Uri.joinPath(extensionUri, 'out', 'tokenizerWorker.js').fsPath);
  }

  async prepare(trace: Trace): Promise<void> {
    this.counted = undefined;
    const choice = chooseTokenizerForTrace(this.setting, trace, this.configuredModel);
    if (!choice) return;
    const texts = segment(trace.reasoning, this.segmentation, trace.chunks).map((step) => step.text);
    try {
      const counts = await this.client.count(choice.id, texts);
      // A text that is not made of these steps (rare) falls back to the estimate.
      this.counted = { trace, texts, result: { counts, by: choice.id, count: estimateTokens } };
    } catch (error) {
      // The trace is still pruned, counted as without a tokenizer; the export's log says why.
      this.failure ??= `the ${choice.label} tokenizer failed (${error instanceof Error ? error.message : String(error)}): tokens counted from the file or estimated`;
    }
  }

  readonly lookup = (trace: Trace, steps: readonly string[]): StepTokenCounts | undefined => {
    const c = this.counted;
    return c && c.trace === trace && c.texts.length === steps.length && c.texts.every((t, i) => t === steps[i]) ? c.result : undefined;
  };

  dispose(): Promise<void> {
    return this.client.dispose();
  }
}
