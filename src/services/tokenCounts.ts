/**
 * Counts the active trace's steps in the tokenizer of the model that wrote it (`reasoningLens.tokenizer`:
 * auto / scoring-model / a named tokenizer) and hands the counts to the session, so the status bar,
 * budgets, the side panel and export totals all speak that model's tokens. Counting runs in a worker
 * thread (tokenizerClient.ts); until it answers, or where no tokenizer applies, the session keeps the
 * scoring model's counts or the `~` estimate.
 */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { Disposable } from '../util/disposable';
import { onDidChangeSettings, readSettings, type ReasoningLensSettings } from './config';
import type { LensContext } from './context';
import type { OpenTrace, SessionManager } from './sessionManager';
import { chooseTokenizerForTrace, type TokenizerChoice } from '../model/tokenizers';
import { TokenizerClient } from '../model/tokenizerClient';

export class TokenCountService extends Disposable {
  private readonly client: TokenizerClient;
  /** What each session was last counted with (so a re-activation does not count again). */
  private readonly counted = new WeakMap<object, string>();
  /** Sessions this service gave counts to (to take them back when no tokenizer applies any more). */
  private readonly withCounts = new WeakSet<object>();

  static register(ctx: LensContext): TokenCountService {
    const service = new TokenCountService(ctx.extension, ctx.sessions, ctx.log);
    ctx.extension.subscriptions.push(service);
    return service;
  }

  private constructor(context: vscode.ExtensionContext, private readonly sessions: SessionManager, private readonly log: vscode.LogOutputChannel) {
    super();
    this.client = new TokenizerClient(vscode.Uri.joinPath(context.extensionUri, 'out', 'tokenizerWorker.js').fsPath);
    this._register({ dispose: () => void this.client.dispose() });
    this._register(sessions.onDidChangeActive((doc) => void this.update(doc)));
    this._register(onDidChangeSettings(() => void this.update(this.sessions.active, true)));
    void this.update(sessions.active);
  }

  /** The tokenizer that counts `doc` under the current settings (undefined: the scoring model's). */
  choiceFor(doc: OpenTrace): TokenizerChoice | undefined {
    const s = readSettings();
    return chooseTokenizerForTrace(s.tokenizer, doc.session.trace, configuredModelName(s));
  }

  private async update(doc: OpenTrace | undefined, settingsChanged = false): Promise<void> {
    if (!doc) return;
    const session = doc.session;
    const choice = this.choiceFor(doc);
    const key = choice ? `${choice.id}|${choice.reason}` : '';
    if (!settingsChanged && this.counted.get(session) === key) return;
    this.counted.set(session, key);
    if (!choice) {
      if (this.withCounts.delete(session)) session.setTokenCounts(undefined);
      return;
    }
    try {
      const counts = await this.client.count(choice.id, session.steps.map((s) => s.text));
      if (this.counted.get(session) !== key) return; // the settings changed meanwhile
      session.setTokenCounts(counts, `${choice.label} tokenizer (${choice.reason})`, choice.label);
      this.withCounts.add(session);
    } catch (e) {
      this.counted.delete(session);
      this.log.warn(`token counts with the ${choice.label} tokenizer failed: ${(e as Error).message}`);
    }
  }
}

/** The configured model's name, which `auto` falls back on: the endpoint's model, or the model folder or file name. */
export function configuredModelName(s: Pick<ReasoningLensSettings, 'backend' | 'endpointModel' | 'modelPath'>): string {
  return s.backend === 'endpoint' ? s.endpointModel : s.modelPath ? basename(s.modelPath) : '';
}
