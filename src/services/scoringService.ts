import * as vscode from 'vscode';
import type { OpenTrace, SessionManager } from './sessionManager';
import type { BackendService } from './backendService';
import { estimateTokens, type TraceSession } from '../core/session';
import { tokenTableFromFile } from '../core/tokenTable';
import { isAbortError } from '../core/cancel';
import { Disposable } from '../util/disposable';
import { readSettings } from './config';
import { formatCount } from '../shared/format';
import { ScoreCache } from '../pipeline/scoreCache';
import { scoreSession, windowWarning } from '../pipeline/scoreTrace';
import { withCancellableProgress } from './progress';
import { own } from './context';

/** A trace being scored in the background as it opened (the status bar shows it; a click cancels). */
export interface BackgroundScoring {
  readonly doc: OpenTrace;
  /** Model name ("reasoning-lens-tiny"). */
  readonly model: string;
  /** Tokens scored so far and in all (0 of 0 until the model reports). */
  readonly done: number;
  readonly total: number;
  /** `Date.now()` when it started (for the time left). */
  readonly startedAt: number;
}

/**
 * Fills sessions' token tables (and so their step scores). A trace that becomes active is coloured
 * without being asked, from the first of: the trace file's own logprobs (instantly, no model); the
 * score cache of the active backend; the local model (the embedded one or the configured folder),
 * in the background, when the trace has at most `reasoningLens.scoreOnOpen.maxTokens` tokens
 * (cancellable from the status bar). An endpoint is never called unasked (it sends the trace
 * somewhere), and nothing runs in Restricted Mode. "Score Trace" and the methods that need scores
 * score on demand under a cancellable notification. Views never ask this service: they listen to
 * their session's `'scores'` change and to `onDidChangeBackground`.
 */
export class ScoringService extends Disposable {
  /** Token tables by (trace content, backend id); pass it to `scoreSession` / `runPrune`. */
  readonly cache: ScoreCache;
  /** Folder of the on-disk score cache (diagnostics and tests). */
  readonly cacheFolder: string;
  private readonly autoScored = new WeakSet<TraceSession>();
  /** Sessions a model is scoring now (background or on demand), with the work to wait on. */
  private readonly running = new Map<TraceSession, Promise<boolean>>();
  private backgroundJob: { state: BackgroundScoring; controller: AbortController } | undefined;
  private readonly backgroundChanged = this._register(new vscode.EventEmitter<BackgroundScoring | undefined>());
  /** Fires when background scoring starts, progresses, or ends (undefined). */
  readonly onDidChangeBackground = this.backgroundChanged.event;

  /** Creates the service with its cache in the extension's global storage; disposed with the extension. */
  static create(extension: vscode.ExtensionContext, backends: BackendService, sessions: SessionManager, log: vscode.LogOutputChannel): ScoringService {
    return own(extension, new ScoringService(extension.globalStorageUri, backends, sessions, log));
  }

  private constructor(storage: vscode.Uri, private readonly backends: BackendService, private readonly sessions: SessionManager, private readonly log: vscode.LogOutputChannel) {
    super();
    this.cacheFolder = vscode.Uri.joinPath(storage, 'scores').fsPath;
    this.cache = new ScoreCache(this.cacheFolder, () => readSettings().scoreCacheMaxMB * 1024 * 1024);
    this._register(sessions.onDidChangeActive((doc) => { if (doc) void this.autoScore(doc); }));
    this._register({ dispose: () => this.cancelBackground() });
    // The trace active at activation: after every feature has registered (they listen for 'scores').
    const active = sessions.active;
    if (active) void Promise.resolve().then(() => this.autoScore(active));
  }

  /** True while a model is scoring `session` (its scores are on the way). */
  isScoring(session: TraceSession): boolean {
    return this.running.has(session);
  }

  /** The background scoring in progress, if any. */
  get background(): BackgroundScoring | undefined {
    return this.backgroundJob?.state;
  }

  /** Stops the background scoring (its trace stays uncoloured until "Score Trace" or a reopen). */
  cancelBackground(): boolean {
    const job = this.backgroundJob;
    if (!job) return false;
    job.controller.abort();
    return true;
  }

  /**
   * Colours a trace as soon as it is active: the file's logprobs, else the cache of the active
   * backend, else (within the token limit, local model only) a background forward pass.
   */
  private async autoScore(doc: OpenTrace): Promise<void> {
    const { session } = doc;
    if (session.scores || this.autoScored.has(session)) return;
    this.autoScored.add(session);
    try {
      if (this.scoreFromFile(doc) || (await this.scoreFromCache(doc))) return;
      if (this.canScoreInBackground(doc)) await this.scoreInBackground(doc);
    } catch (error) {
      this.log.debug(`no automatic scores for ${doc.summary.name}: ${String(error)}`);
    }
  }

  /** Local model, trusted workspace, and a trace within `reasoningLens.scoreOnOpen.maxTokens`. */
  private canScoreInBackground(doc: OpenTrace): boolean {
    const settings = readSettings();
    if (settings.backend !== 'local' || settings.scoreOnOpenMaxTokens <= 0 || !vscode.workspace.isTrusted) return false;
    const { trace } = doc.session;
    const tokens = estimateTokens(trace.prompt) + estimateTokens(trace.reasoning);
    if (tokens > settings.scoreOnOpenMaxTokens) {
      this.log.info(`${doc.summary.name}: ~${formatCount(tokens)} tokens, over reasoningLens.scoreOnOpen.maxTokens (${formatCount(settings.scoreOnOpenMaxTokens)}); not scored on open`);
      return false;
    }
    return true;
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

  /**
   * One background job at a time: a newer trace takes over (the older one is cancelled and will be
   * tried again when it is active again). Progress goes to `onDidChangeBackground`, failures to the log.
   */
  private async scoreInBackground(doc: OpenTrace): Promise<void> {
    const previous = this.backgroundJob;
    if (previous) {
      previous.controller.abort();
      await this.running.get(previous.state.doc.session)?.catch(() => false);
    }
    if (doc !== this.sessions.active || doc.session.scores) return;
    const backend = await this.backends.backend();
    const controller = new AbortController();
    const job = { controller, state: { doc, model: backend.describe().name, done: 0, total: 0, startedAt: Date.now() } as BackgroundScoring };
    this.backgroundJob = job;
    this.backgroundChanged.fire(job.state);
    const work = scoreSession(doc.session, backend, {
      cache: this.cache,
      signal: controller.signal,
      onProgress: (done, total) => {
        job.state = { ...job.state, done, total };
        if (this.backgroundJob === job) this.backgroundChanged.fire(job.state);
      },
    }).then(() => true);
    try {
      await this.track(doc.session, work);
    } catch (error) {
      if (isAbortError(error) || controller.signal.aborted) {
        // Cancelled (by the user or a newer trace): try again next time the trace is active.
        this.autoScored.delete(doc.session);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        this.log.warn(`scoring ${doc.summary.name} on open failed: ${message}`);
        void vscode.window.setStatusBarMessage(`$(warning) Reasoning Lens: could not score ${doc.summary.name} (see the log)`, 8000);
      }
    } finally {
      if (this.backgroundJob === job) {
        this.backgroundJob = undefined;
        this.backgroundChanged.fire(undefined);
      }
    }
  }

  /** Marks `session` as being scored until `work` settles. */
  private async track(session: TraceSession, work: Promise<boolean>): Promise<boolean> {
    this.running.set(session, work);
    try {
      return await work;
    } finally {
      if (this.running.get(session) === work) this.running.delete(session);
    }
  }

  /** Scores with the active backend (cache first), showing progress; resolves false when cancelled. */
  async scoreWithBackend(doc: OpenTrace, token?: vscode.CancellationToken): Promise<boolean> {
    // Already being scored in the background: wait for that pass rather than start a second one.
    const inFlight = this.running.get(doc.session);
    if (inFlight && (await inFlight.catch(() => false)) && doc.session.scores) return true;
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
      (report, signal) => this.track(doc.session, scoreSession(doc.session, backend, { cache: this.cache, signal, onProgress: report }).then(() => true)),
    );
    const table = doc.session.tokenTable;
    const warning = done && table ? windowWarning(table) : undefined;
    if (warning) void vscode.window.showWarningMessage(`${doc.summary.name}: ${warning}.`);
    return done ?? false;
  }
}
