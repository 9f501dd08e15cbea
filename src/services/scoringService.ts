import * as vscode from 'vscode';
import type { OpenTrace, SessionManager } from './sessionManager';
import type { BackendService } from './backendService';
import type { TraceSession } from '../core/session';
import { tokenTableFromFile } from '../core/tokenTable';
import { Disposable } from '../util/disposable';
import { readSettings } from './config';
import { formatCount } from '../shared/format';
import { ScoreCache } from '../pipeline/scoreCache';
import { scoreSession, windowWarning } from '../pipeline/scoreTrace';
import { withCancellableProgress } from './progress';
import { own } from './context';

/**
 * Fills sessions' token tables (and so their step scores): from the trace file's own logprobs when it
 * has them (instantly, no model), else from the score cache, else with the active backend under a
 * cancellable progress notification, always through the cache. A newly active trace is scored at once
 * from what costs nothing (file or cache); a model runs only when asked ("Score Trace", a method that
 * needs scores). Views never ask this service: they listen to their session's `'scores'` change.
 */
export class ScoringService extends Disposable {
  /** Token tables by (trace content, backend id); pass it to `scoreSession` / `runPrune`. */
  readonly cache: ScoreCache;
  /** Folder of the on-disk score cache (diagnostics and tests). */
  readonly cacheFolder: string;
  private readonly autoScored = new WeakSet<TraceSession>();

  /** Creates the service with its cache in the extension's global storage; disposed with the extension. */
  static create(extension: vscode.ExtensionContext, backends: BackendService, sessions: SessionManager, log: vscode.LogOutputChannel): ScoringService {
    return own(extension, new ScoringService(extension.globalStorageUri, backends, sessions, log));
  }

  private constructor(storage: vscode.Uri, private readonly backends: BackendService, sessions: SessionManager, private readonly log: vscode.LogOutputChannel) {
    super();
    this.cacheFolder = vscode.Uri.joinPath(storage, 'scores').fsPath;
    this.cache = new ScoreCache(this.cacheFolder, () => readSettings().scoreCacheMaxMB * 1024 * 1024);
    this._register(sessions.onDidChangeActive((doc) => { if (doc) void this.autoScore(doc); }));
    // The trace active at activation: after every feature has registered (they listen for 'scores').
    const active = sessions.active;
    if (active) void Promise.resolve().then(() => this.autoScore(active));
  }

  /**
   * Colours a trace as soon as it is active when that costs nothing: the file's own logprobs, else a
   * cached token table of the active backend. Never loads a model or calls an endpoint.
   */
  private async autoScore(doc: OpenTrace): Promise<void> {
    const { session } = doc;
    if (session.scores || this.autoScored.has(session)) return;
    this.autoScored.add(session);
    try {
      if (!this.scoreFromFile(doc)) await this.scoreFromCache(doc);
    } catch (error) {
      this.log.debug(`no automatic scores for ${doc.summary.name}: ${String(error)}`);
    }
  }

  /** Scores from the file's logprobs, if any; returns true when the session got scores. */
  scoreFromFile(doc: OpenTrace): boolean {
    const table = tokenTableFromFile(doc.session.trace);
    if (!table) return false;
    doc.session.setTokenTable(table, 'file');
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
    doc.session.setTokenTable(table, id);
    return true;
  }

  /** Scores with the active backend (cache first), showing progress; resolves false when cancelled. */
  async scoreWithBackend(doc: OpenTrace, token?: vscode.CancellationToken): Promise<boolean> {
    const backend = await this.backends.backend();
    const cached = await this.cache.get(doc.session.trace, backend.describe().id);
    if (cached) {
      doc.session.setTokenTable(cached, backend.describe().id);
      return true;
    }
    const done = await withCancellableProgress(
      {
        title: `Scoring ${doc.summary.name} with ${backend.describe().name}`,
        message: (tokens, total) => `${formatCount(tokens)} / ${formatCount(total)} tokens`,
        token,
      },
      async (report, signal) => {
        await scoreSession(doc.session, backend, { cache: this.cache, signal, onProgress: report });
        return true;
      },
    );
    const table = doc.session.tokenTable;
    const warning = done && table ? windowWarning(table) : undefined;
    if (warning) void vscode.window.showWarningMessage(`${doc.summary.name}: ${warning}.`);
    return done ?? false;
  }
}
