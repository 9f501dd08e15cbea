import * as vscode from 'vscode';
import { CommandIds } from '../commands/commandIds';
import { METHOD, pruneMethod } from '../core/prune';
import type { DropReason } from '../core/prune/plan';
import type { TraceSession } from '../core/session';
import { STEP_METRICS, METRIC_INFO } from '../shared/vocabulary';
import { formatScore, formatTokens, ordinal } from '../shared/format';
import { TRACE_DOCUMENTS } from './selector';
import type { EditorContext, TraceEditorModel } from './traceEditorModel';

/** Commands a hover link may run: nothing else in a hover is trusted. */
const HOVER_COMMANDS = [CommandIds.keepStep, CommandIds.dropStep, CommandIds.pinStep, CommandIds.switchMetric, CommandIds.scoreTrace];

/**
 * Hover on a step: every score with its rank and percentile within the trace, the step's label, its
 * keep/drop/pin state, why it was dropped, and one-click actions.
 */
export class StepHoverProvider implements vscode.HoverProvider {
  static register(ctx: EditorContext): void {
    ctx.extension.subscriptions.push(vscode.languages.registerHoverProvider(TRACE_DOCUMENTS, new StepHoverProvider(ctx.model)));
  }

  private constructor(private readonly model: TraceEditorModel) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    try {
      const td = this.model.layout(document);
      if (!td) return undefined;
      const index = this.model.stepAt(td, position);
      if (index === undefined) return undefined;
      const range = td.stepRanges[index]!;
      if (!range.contains(position)) return undefined;
      return new vscode.Hover(this.content(td.document.uri, td.session, index), range);
    } catch {
      return undefined;
    }
  }

  private content(uri: vscode.Uri, session: TraceSession, index: number): vscode.MarkdownString {
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: HOVER_COMMANDS };
    const kept = session.isKept(index);
    const pinned = session.isPinned(index);
    const state = [kept ? 'kept' : '**dropped**', ...(pinned ? ['$(pin) pinned'] : [])].join(' · ');
    md.appendMarkdown(`**Step ${index + 1} of ${session.steps.length}** · `);
    md.appendText(this.model.label(session, index));
    md.appendMarkdown(` · ${state} · ${formatTokens(session.stepTokens(index), session.tokensEstimated)}${session.tokensEstimated ? ' (estimated)' : ''}\n\n`);

    const rows: string[] = [];
    for (const metric of STEP_METRICS) {
      const column = this.model.column(session, metric);
      const v = column.values[index];
      if (v === undefined) continue;
      const info = METRIC_INFO[metric];
      const active = metric === this.model.metric ? ' ◀' : '';
      rows.push(`| ${info.label}${active} | ${formatScore(v)}${info.unit ? ` ${info.unit}` : ''} | ${ordinal(column.ranks[index]!)} of ${column.count} | p${Math.round(column.percentiles[index]!)} |`);
    }
    if (rows.length) {
      md.appendMarkdown('| score | value | rank | percentile |\n|:---|---:|---:|---:|\n');
      md.appendMarkdown(`${rows.join('\n')}\n\n_Rank 1st = hottest in this trace; ◀ = the metric the colours show._\n\n`);
    } else {
      md.appendMarkdown(`No scores yet: [Score Trace](command:${CommandIds.scoreTrace}).\n\n`);
    }
    const reason = session.plan.dropped.find((d) => d.index === index)?.reason;
    if (reason) {
      md.appendMarkdown('**Why dropped:** ');
      md.appendText(describeReason(reason));
      md.appendMarkdown('\n\n');
    }
    const args = (a: unknown[]) => encodeURIComponent(JSON.stringify(a));
    const at = [uri.toString(), index];
    const toggle = kept
      ? `[$(circle-slash) Drop](command:${CommandIds.dropStep}?${args(at)} "Drop this step")`
      : `[$(check) Keep](command:${CommandIds.keepStep}?${args(at)} "Keep this step")`;
    md.appendMarkdown(`${toggle} · [$(pin) ${pinned ? 'Unpin' : 'Pin'}](command:${CommandIds.pinStep}?${args(at)}) · [$(symbol-color) Colour by…](command:${CommandIds.switchMetric})`);
    return md;
  }
}

/** "Dropped by ASAP: 3rd in removal order, firstTokenSurprisal 0.41; 1,234 → 1,180 tokens. Rule: …" */
function describeReason(reason: DropReason): string {
  let method: string = reason.method;
  try {
    method = pruneMethod(reason.method).label;
  } catch {
    // An unknown id still reads as itself.
  }
  if (reason.method === METHOD.manual) return reason.rule === 'dropped by hand' ? 'dropped by hand.' : `dropped by hand (${reason.rule}).`;
  const score = reason.score !== undefined ? `, ${reason.scoreName} ${formatScore(reason.score)}` : '';
  const budget = reason.budgetLine ? `; ${reason.budgetLine}` : '';
  return `dropped by ${method}: ${ordinal(reason.rank)} in removal order${score}${budget}. Rule: ${reason.rule}`;
}
