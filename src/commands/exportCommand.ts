import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Disposable } from '../util/disposable';
import { CommandIds } from './commandIds';
import { registerCommand } from './registerCommand';
import { own, type LensContext } from '../services/context';
import type { OpenTrace } from '../services/sessionManager';
import { parseOptionsFor, readSettings } from '../services/config';
import { isCheapMethod, pruneMethod } from '../core/prune';
import { safeParseJson } from '../core/trace';
import { checkOutput, writeFileAtomic } from '../core/export/atomicWrite';
import { emptyTotals, exportSource, filePruner, sourceKind, type ExportTotals } from '../core/export/dataset';
import { prunedReasoningText, replaceReasoningInRecord, replaceReasoningInText, sftRecord, type ExportFormat } from '../core/export/serialize';
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
    // The source under any name is refused; a dangling symlink is replaced by the atomic write, never followed.
    await checkOutput(source, target, { force: true });
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
      (report, signal) => {
        const content = scope === 'trace' ? this.traceContent(doc, kind.kind, format, placeholders, totals) : this.datasetContent(doc, source, format, placeholders, totals, signal, report);
        return writeFileAtomic(target, content, { signal });
      },
    );
    if (!written) return undefined;
    this.report(target, totals);
    return { target, bytes: written.bytes, totals };
  }

  private async pickScope(doc: OpenTrace): Promise<'trace' | 'dataset' | undefined> {
    const { method, budget } = this.ctx.pruneSettings.current;
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Current trace', description: `${doc.summary.name}, with its plan (${doc.session.plan.kept.length}/${doc.session.steps.length} steps kept)`, value: 'trace' as const },
        { label: 'Whole dataset', description: `every trace pruned with ${method}, budget ${budget.kind === 'ratio' ? `${Math.round(budget.ratio * 100)}%` : budget.kind === 'tokens' ? `${budget.tokens} tokens` : 'auto'} (scores from the file's logprobs)`, value: 'dataset' as const },
      ],
      { title: 'Reasoning Lens: Export What?' },
    );
    return pick?.value;
  }

  /** The active trace serialized with its effective plan (the open document's text, unsaved edits included). */
  private traceContent(doc: OpenTrace, kind: string, format: ExportFormat, placeholders: boolean, totals: ExportTotals): string {
    const s = doc.session;
    const texts = s.steps.map((x) => x.text);
    const reasoning = prunedReasoningText(s.trace.reasoning, texts, s.plan, { placeholder: placeholders });
    const t = s.totals();
    totals.records = 1;
    totals.traces = 1;
    totals.pruned = 1;
    totals.tokensBefore = t.before;
    totals.tokensAfter = t.after;
    if (format === 'sft') return `${JSON.stringify(sftRecord(s.trace, reasoning))}\n`;
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === doc.uri.toString());
    const text = document?.getText() ?? '';
    if (doc.session.trace.format === 'think-text' || doc.session.trace.format === 'chat-template') {
      return replaceReasoningInText(text, s.trace, reasoning);
    }
    const record = kind === 'jsonl' ? text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length) : text;
    const parsed = safeParseJson(record.replace(/^\uFEFF/, ''));
    if (!parsed.ok) throw new Error(`cannot re-read ${doc.summary.name} as JSON (${parsed.message}); export as SFT instead`);
    const replaced = replaceReasoningInRecord(parsed.value, [{ trace: s.trace, reasoning }]);
    if (replaced.missing.length) throw new Error('the reasoning is not stored verbatim in this record, so it cannot be replaced in place; export as SFT instead');
    return kind === 'jsonl' ? `${JSON.stringify(replaced.record)}\n` : `${JSON.stringify(replaced.record, null, 2)}\n`;
  }

  private datasetContent(
    doc: OpenTrace,
    source: string,
    format: ExportFormat,
    placeholders: boolean,
    totals: ExportTotals,
    signal: AbortSignal,
    onProgress: (records: number, total: number) => void,
  ): AsyncIterable<string> {
    const { method, budget } = this.ctx.pruneSettings.current;
    if (!isCheapMethod(method)) {
      throw new Error(`${pruneMethod(method).label} calls the model for every step; prune a whole dataset with it from the command line: reasoning-lens prune ${basename(source)} --method ${method} --model DIR -o out.jsonl`);
    }
    const pruner = filePruner({ method, budget, segmentation: readSettings(doc.uri).segmentation, placeholder: placeholders });
    return exportSource(source, pruner, format, totals, { signal, onProgress, parse: parseOptionsFor(doc.uri) });
  }

  private report(target: string, totals: ExportTotals): void {
    const saved = totals.tokensBefore ? ` ${formatCount(totals.tokensBefore)} → ${formatCount(totals.tokensAfter)} tokens.` : '';
    const skipped = totals.skipped.length ? ` ${totals.skipped.length} skipped (see the log).` : '';
    for (const s of totals.skipped.slice(0, 200)) this.ctx.log.warn(`export skipped ${s.where}: ${s.reason}`);
    for (const n of totals.notes) this.ctx.log.info(`export: ${n}`);
    void vscode.window.showInformationMessage(`Exported ${totals.pruned} pruned trace${totals.pruned === 1 ? '' : 's'} to ${basename(target)}.${saved}${skipped}`, 'Open').then((choice) => {
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
