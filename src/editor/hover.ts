import * as vscode from 'vscode';
import { CommandIds } from '../commands/commandIds';
import { METHOD, pruneMethod } from '../core/prune';
import type { DropReason } from '../core/prune/plan';
import type { TraceSession } from '../core/session';
import { STEP_METRICS, METRIC_INFO } from '../shared/vocabulary';
import { formatCount, formatScore, formatTokens, ordinal } from '../shared/format';
import { TRACE_DOCUMENTS } from './selector';
import type { EditorContext, TraceEditorModel } from './traceEditorModel';

/** Commands a hover link may run: nothing else in a hover is trusted. */
const HOVER_COMMANDS = [CommandIds.keepStep, CommandIds.dropStep, CommandIds.pinStep, CommandIds.switchMetric, CommandIds.scoreTrace, CommandIds.toggleTokenView];

/**
 * Hover on a step: every score with its rank and percentile within the trace, the step's label, its
 * keep/drop/pin state, why it was dropped, the loop it lies in ("steps 41-87: a 3-step cycle repeated
 * 15 times"), the token under the pointer while the token view is on, and one-click actions (the
 * same as the CodeLens, the gutter menu and the keys).
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
      const offset = document.offsetAt(position) - td.reasoningOffset;
      return new vscode.Hover(this.content(td.document.uri, td.session, index, offset), range);
    } catch {
      return undefined;
    }
  }

  private content(uri: vscode.Uri, session: TraceSession, index: number, offset: number): vscode.MarkdownString {
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: HOVER_COMMANDS };
    const kept = session.isKept(index);
    const pinned = session.isPinned(index);
    const state = [kept ? 'kept' : '**dropped**', ...(pinned ? ['$(pin) pinned'] : [])].join(' · ');
    md.appendMarkdown(`**Step ${index + 1} of ${session.steps.length}** · `);
    md.appendText(this.model.label(session, index));
    md.appendMarkdown(` · ${state} · ${formatTokens(session.stepTokens(index), session.tokensEstimated)}${session.tokensEstimated ? ' (estimated)' : ''}\n\n`);

    const rows: string[] = [];
    const shown = this.model.shown(session).metric;
    for (const metric of STEP_METRICS) {
      const column = this.model.column(session, metric);
      const v = column.values[index];
      if (v === undefined) continue;
      const info = METRIC_INFO[metric];
      const active = metric === shown ? ' ◀' : '';
      rows.push(`| ${info.label}${active} | ${formatScore(v)}${info.unit ? ` ${info.unit}` : ''} | ${ordinal(column.ranks[index]!)} of ${column.count} | p${Math.round(column.percentiles[index]!)} |`);
    }
    if (rows.length) {
      md.appendMarkdown('| score | value | rank | percentile |\n|:---|---:|---:|---:|\n');
      md.appendMarkdown(`${rows.join('\n')}\n\n_Rank 1st = hottest in this trace; ◀ = the metric the colours show._\n\n`);
    }
    if (!session.scores) md.appendMarkdown(`No scores yet: [Score Trace](command:${CommandIds.scoreTrace}).\n\n`);
    const reason = session.plan.dropped.find((d) => d.index === index)?.reason;
    if (reason) {
      md.appendMarkdown('**Why dropped:** ');
      md.appendText(describeReason(reason));
      md.appendMarkdown('\n\n');
    }
    const loop = loopLine(session, index);
    if (loop) {
      md.appendMarkdown('$(sync) **Loop:** ');
      md.appendText(loop);
      md.appendMarkdown('\n\n');
    }
    const token = this.model.tokenView !== 'off' ? tokenLine(session, offset) : undefined;
    if (token) {
      md.appendMarkdown('**Token** ');
      md.appendText(token);
      md.appendMarkdown('\n\n');
    }
    const args = (a: unknown[]) => encodeURIComponent(JSON.stringify(a));
    const at = [uri.toString(), index];
    const toggle = kept
      ? `[$(circle-slash) Drop](command:${CommandIds.dropStep}?${args(at)} "Drop this step")`
      : `[$(check) Keep](command:${CommandIds.keepStep}?${args(at)} "Keep this step")`;
    const tokens = this.model.tokenView === 'off' ? 'Token view' : 'Step colours';
    const tokenArg = args([this.model.tokenView === 'off' ? 'surprisal' : 'off']);
    md.appendMarkdown(`${toggle} · [$(pin) ${pinned ? 'Unpin' : 'Pin'}](command:${CommandIds.pinStep}?${args(at)}) · [$(symbol-color) Colour by…](command:${CommandIds.switchMetric}) · [$(whole-word) ${tokens}](command:${CommandIds.toggleTokenView}?${tokenArg})`);
    return md;
  }
}

/** "steps 41-87: a 3-step cycle repeated 15 times; this step is repeat 7 of 15", or undefined. */
function loopLine(session: TraceSession, index: number): string | undefined {
  const report = session.loops;
  const place = report.steps[index]?.loop;
  if (!place) return undefined;
  const loop = report.loops[place.loop];
  if (!loop) return undefined;
  const which = place.occurrence === 1 ? 'this step is in its first occurrence (a pruner keeps it)' : `this step is in repeat ${place.occurrence} of ${place.of}`;
  return `${loop.description}; ${which}; ~${formatCount(loop.wastedTokens)} tokens of repeats.`;
}

/** `"carry": surprisal 3.21 nats (p 4.0%), rank 57` for the token at reasoning offset `offset`. */
function tokenLine(session: TraceSession, offset: number): string | undefined {
  const table = session.tokenTable;
  if (!table) return undefined;
  let lo = 0;
  let hi = table.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (table.ends[mid]! <= offset) lo = mid + 1; else hi = mid;
  }
  if (lo >= table.starts.length || table.starts[lo]! > offset) return undefined;
  const text = session.trace.reasoning.slice(table.starts[lo]!, table.ends[lo]!).trim() || '(whitespace)';
  const surprisal = -table.logprob[lo]!;
  const rank = table.rank?.[lo];
  const rankText = rank === undefined || rank === 0 ? '' : rank > 0 ? `, rank ${formatCount(rank)}` : `, rank above ${-rank}`;
  const p = Math.exp(-surprisal) * 100;
  return `"${text}": surprisal ${formatScore(surprisal)} nats (p ${p >= 1 ? p.toFixed(1) : p.toPrecision(2)}%)${rankText}`;
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
