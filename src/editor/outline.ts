import * as vscode from 'vscode';
import { stepTitle } from './heat';
import { METRIC_INFO } from '../shared/vocabulary';
import { formatScore, formatTokens } from '../shared/format';
import { TRACE_DOCUMENTS } from './selector';
import type { EditorContext, TraceEditorModel } from './traceEditorModel';

/**
 * Outline, breadcrumbs and Go to Symbol list the steps ("Step 4: first words…", detail = tokens and
 * the active metric); each multi-line step folds.
 */
export class StepOutlineProvider implements vscode.DocumentSymbolProvider, vscode.FoldingRangeProvider {
  static register(ctx: EditorContext): void {
    const provider = new StepOutlineProvider(ctx.model);
    ctx.extension.subscriptions.push(
      vscode.languages.registerDocumentSymbolProvider(TRACE_DOCUMENTS, provider, { label: 'Reasoning steps' }),
      vscode.languages.registerFoldingRangeProvider(TRACE_DOCUMENTS, provider),
    );
  }

  private constructor(private readonly model: TraceEditorModel) {}

  provideDocumentSymbols(document: vscode.TextDocument): vscode.DocumentSymbol[] {
    try {
      const td = this.model.layout(document);
      if (!td) return [];
      const { session, stepRanges } = td;
      const column = this.model.column(session);
      const info = METRIC_INFO[column.metric];
      const kept = new Set(session.plan.kept);
      return session.steps.map((step, i) => {
        const v = column.values[i];
        const tokens = formatTokens(session.stepTokens(i), session.tokensEstimated);
        const detail = v === undefined ? tokens : `${tokens} · ${info.label} ${formatScore(v)}`;
        const range = stepRanges[i]!;
        const kind = kept.has(i) ? vscode.SymbolKind.String : vscode.SymbolKind.Null;
        return new vscode.DocumentSymbol(stepTitle(step), detail, kind, range, new vscode.Range(range.start, range.start));
      });
    } catch {
      return [];
    }
  }

  provideFoldingRanges(document: vscode.TextDocument): vscode.FoldingRange[] {
    try {
      const td = this.model.layout(document);
      if (!td) return [];
      return td.stepRanges
        .filter((r) => r.end.line > r.start.line)
        .map((r) => new vscode.FoldingRange(r.start.line, r.end.line, vscode.FoldingRangeKind.Region));
    } catch {
      return [];
    }
  }
}
