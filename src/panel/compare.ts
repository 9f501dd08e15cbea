import * as vscode from 'vscode';
import { basename } from 'node:path';
import { Disposable } from '../util/disposable';
import type { SessionManager } from '../services/sessionManager';
import type { LensContext } from '../services/context';
import { CommandIds } from '../commands/commandIds';
import { registerCommand } from '../commands/registerCommand';
import { formatCount } from '../shared/format';

/** Scheme of the read-only original/pruned documents the diff editor compares. */
const CompareScheme = 'reasoning-lens-compare';

/**
 * Read-only virtual documents for "Compare Original and Pruned": `reasoning-lens-compare:/original/<name>`
 * and `/pruned/<name>`, each carrying the trace document's URI in its query. Their content follows the
 * session, so the open diff editor updates when the plan changes. They are views of that trace, not
 * traces of their own: while the diff editor is active, the trace it came from stays the active one
 * (the side panel and the status bar keep showing it).
 */
export class CompareProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private readonly open = new Set<string>();

  static register(ctx: LensContext): CompareProvider {
    const provider = new CompareProvider(ctx.sessions);
    ctx.extension.subscriptions.push(
      provider,
      vscode.workspace.registerTextDocumentContentProvider(CompareScheme, provider),
      ctx.sessions.registerAlias(CompareScheme, (uri) => vscode.Uri.parse(uri.query)),
      registerCommand(CommandIds.compareOriginalPruned, ctx.log, () => provider.compareActive()),
    );
    return provider;
  }

  private constructor(private readonly sessions: SessionManager) {
    super();
    this._register(
      sessions.onDidChangeSession(({ session, change }) => {
        if (change !== 'plan') return;
        const source = session.uri.toString();
        for (const key of this.open) {
          const uri = vscode.Uri.parse(key);
          if (uri.query === source) this.changed.fire(uri);
        }
      }),
    );
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.open.delete(d.uri.toString())));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    this.open.add(uri.toString());
    const source = vscode.Uri.parse(uri.query);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === source.toString());
    const doc = document && this.sessions.sessionFor(document);
    if (!doc) return `The trace ${source.toString()} is no longer open: open it again and rerun "Compare Original and Pruned".`;
    return uri.path.startsWith('/pruned/') ? doc.session.prunedReasoning() : doc.session.trace.reasoning;
  }

  /** Opens VS Code's diff editor on the active trace's original and pruned reasoning. */
  async compareActive(): Promise<void> {
    const active = this.sessions.active;
    if (!active) throw new Error('no reasoning trace is active: open a trace file (or a sample) first');
    const name = basename(active.uri.path) || 'trace';
    const query = active.uri.toString();
    const original = vscode.Uri.from({ scheme: CompareScheme, path: `/original/${name}`, query });
    const pruned = vscode.Uri.from({ scheme: CompareScheme, path: `/pruned/${name}`, query });
    // The pruned side may already be open with old content: refresh it before showing.
    this.changed.fire(pruned);
    const totals = active.session.totals();
    const title = `${name}: original ↔ pruned (${active.session.plan.kept.length}/${active.session.steps.length} steps, ${formatCount(totals.before)} → ${formatCount(totals.after)} tokens)`;
    await vscode.commands.executeCommand('vscode.diff', original, pruned, title, { preview: true });
  }
}
