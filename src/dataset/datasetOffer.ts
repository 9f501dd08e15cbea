import * as vscode from 'vscode';
import { basename } from 'node:path';
import { Disposable } from '../util/disposable';
import { own, type LensContext } from '../services/context';
import { sniffFormat } from './recordSource';
import { DatasetViewType } from './datasetEditor';

/** globalState key: files (URI strings) whose owner said "Don't ask again". */
const NEVER_OFFER_KEY = 'reasoningLens.dataset.neverOffer';
/** Most files remembered; the oldest are forgotten first. */
const NEVER_OFFER_LIMIT = 500;

/**
 * Offers the dataset browser when a `.jsonl`/`.json` file whose first record is a known trace format
 * is opened as text: a non-modal notification, at most once per file per session, never again for a
 * file the user declined for good.
 */
export class DatasetOffer extends Disposable {
  private readonly offered = new Set<string>();

  static register(ctx: LensContext): DatasetOffer {
    return own(ctx.extension, new DatasetOffer(ctx.extension.globalState, ctx.log));
  }

  private constructor(private readonly state: vscode.Memento, private readonly log: vscode.LogOutputChannel) {
    super();
    this._register(vscode.window.onDidChangeActiveTextEditor((e) => this.consider(e?.document)));
    // The editor that activated the extension (activation on opening a JSON file) is already active.
    this.consider(vscode.window.activeTextEditor?.document);
  }

  private consider(document: vscode.TextDocument | undefined): void {
    if (!document || document.uri.scheme !== 'file' || !/\.(jsonl|json|ndjson)$/i.test(document.uri.path)) return;
    const key = document.uri.toString();
    if (this.offered.has(key) || this.state.get<string[]>(NEVER_OFFER_KEY, []).includes(key)) return;
    this.offered.add(key);
    // Reads the file's first 64 KB only; a failure just means no offer.
    sniffFormat(document.uri.fsPath).then(
      (format) => {
        if (format !== 'unrecognised') void this.show(document.uri, format);
      },
      (e: unknown) => this.log.debug(`dataset offer: cannot sniff ${document.uri.fsPath}: ${String(e)}`),
    );
  }

  private async show(uri: vscode.Uri, format: string): Promise<void> {
    const open = 'Open with Reasoning Lens';
    const never = "Don't ask again for this file";
    const choice = await vscode.window.showInformationMessage(
      `${basename(uri.fsPath)} looks like reasoning traces (${format}). Browse it as a table?`,
      open,
      never,
    );
    if (choice === open) {
      await vscode.commands.executeCommand('vscode.openWith', uri, DatasetViewType);
    } else if (choice === never) {
      const list = this.state.get<string[]>(NEVER_OFFER_KEY, []).filter((u) => u !== uri.toString());
      list.push(uri.toString());
      await this.state.update(NEVER_OFFER_KEY, list.slice(-NEVER_OFFER_LIMIT));
    }
  }
}
