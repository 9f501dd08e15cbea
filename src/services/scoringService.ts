import * as vscode from 'vscode';
import type { OpenTrace } from './sessionManager';
import type { BackendService } from './backendService';
import type { TraceSession } from '../core/session';
import { readSettings } from './config';
import { ScoreCache } from '../pipeline/scoreCache';
import { scoreTraceTokens, stepScoresFromTable, tokenTableFromFile, type TokenTable } from '../pipeline/scoreTrace';

/**
 * Fills a session's scores: from the trace file's own logprobs when it has them (instantly, no model),
 * else from the score cache, else with the active backend under a cancellable progress notification.
 * Keeps each scored session's token table for token-level views.
 */
export class ScoringService {
  private readonly cache: ScoreCache;
  private readonly tables = new WeakMap<TraceSession, TokenTable>();

  /** Folder of the on-disk score cache (diagnostics and tests). */
  readonly cacheFolder: string;

  /** Creates the service with its cache in the extension's global storage. */
  static create(extension: vscode.ExtensionContext, backends: BackendService): ScoringService {
    return new ScoringService(extension.globalStorageUri, backends);
  }

  private constructor(storage: vscode.Uri, private readonly backends: BackendService) {
    this.cacheFolder = vscode.Uri.joinPath(storage, 'scores').fsPath;
    this.cache = new ScoreCache(this.cacheFolder, () => readSettings().scoreCacheMaxMB * 1024 * 1024);
  }

  /** The token table behind a session's scores, when it was scored. */
  tokenTable(session: TraceSession): TokenTable | undefined {
    return this.tables.get(session);
  }

  /** Scores from the file's logprobs, if any; returns true when the session got scores. */
  scoreFromFile(doc: OpenTrace): boolean {
    const table = tokenTableFromFile(doc.session.trace);
    if (!table) return false;
    this.apply(doc, table, 'file');
    return true;
  }

  /**
   * Scores from the cache of the active backend, if it has this trace; never loads a model or calls an
   * endpoint (the backend object is created lazily and only asked for its id).
   */
  async scoreFromCache(doc: OpenTrace): Promise<boolean> {
    if (readSettings().backend === 'file' || !vscode.workspace.isTrusted) return false;
    const id = (await this.backends.backend()).describe().id;
    const table = await this.cache.get(doc.session.trace, id);
    if (!table || doc.session.scores) return false;
    this.apply(doc, table, id);
    return true;
  }

  private apply(doc: OpenTrace, table: TokenTable, source: string): void {
    this.tables.set(doc.session, table);
    doc.session.setScores(stepScoresFromTable(table, doc.session.steps).scores, source);
  }

  /** Scores with the active backend (cache first), showing progress; resolves false when cancelled. */
  async scoreWithBackend(doc: OpenTrace, token?: vscode.CancellationToken): Promise<boolean> {
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
    this.apply(doc, table, id);
    return true;
  }
}
