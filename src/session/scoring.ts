import * as vscode from 'vscode';
import type { DocumentSession } from './sessionManager';
import type { BackendService } from './backendService';
import { ScoreCache } from '../pipeline/scoreCache';
import { scoreTraceTokens, stepScoresFromTable, tokenTableFromFile } from '../pipeline/scoreTrace';

/**
 * Fills a session's scores: from the trace file's own logprobs when it has them (instantly, no model),
 * else from the score cache, else with the active backend under a cancellable progress notification.
 */
export class ScoringService {
  private readonly cache: ScoreCache;

  constructor(storage: vscode.Uri, private readonly backends: BackendService) {
    this.cache = new ScoreCache(vscode.Uri.joinPath(storage, 'scores').fsPath);
  }

  /** Scores from the file's logprobs, if any; returns true when the session got scores. */
  scoreFromFile(doc: DocumentSession): boolean {
    const table = tokenTableFromFile(doc.session.trace);
    if (!table) return false;
    doc.session.setScores(stepScoresFromTable(table, doc.session.steps).scores, 'file');
    return true;
  }

  /** Scores with the active backend (cache first), showing progress; resolves false when cancelled. */
  async scoreWithBackend(doc: DocumentSession, token?: vscode.CancellationToken): Promise<boolean> {
    const backend = await this.backends.backend();
    const id = backend.describe().id;
    const trace = doc.session.trace;
    let table = await this.cache.get(trace, id);
    if (!table) {
      table = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Scoring ${doc.summary.name} with ${backend.describe().name}`, cancellable: true },
        async (progress, progressToken) => {
          const controller = new AbortController();
          const subs = [progressToken, token].filter((t): t is vscode.CancellationToken => !!t).map((t) => t.onCancellationRequested(() => controller.abort()));
          let last = 0;
          try {
            return await scoreTraceTokens(trace, backend, {
              signal: controller.signal,
              onProgress: (done, total) => {
                const pct = total ? (done / total) * 100 : 0;
                progress.report({ increment: pct - last, message: `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} tokens` });
                last = pct;
              },
            });
          } catch (e) {
            if (controller.signal.aborted) return undefined;
            throw e;
          } finally {
            for (const s of subs) s.dispose();
          }
        },
      );
      if (!table) return false;
      await this.cache.set(trace, id, table);
    }
    doc.session.setScores(stepScoresFromTable(table, doc.session.steps).scores, id);
    return true;
  }
}
