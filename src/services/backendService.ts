import * as vscode from 'vscode';
import { basename } from 'node:path';
import { Disposable } from '../util/disposable';
import { onDidChangeSettings, readSettings } from './config';
import type { ScoringBackend } from '../model/backend';
import { OnnxBackend } from '../model/onnx/client';
import { EMBEDDED_MODEL } from '../model/onnx/modelFolder';
import { OpenAIBackend } from '../model/openai';
import { own } from './context';

/** SecretStorage key of the endpoints' API key (never a setting). */
export const ApiKeySecret = 'reasoningLens.apiKey';
/** The embedded default model, trained by this project (media/models/…/MODEL_CARD.md). */
export const EmbeddedModel = EMBEDDED_MODEL;

/** Thrown when scoring would need a model or endpoint in Restricted Mode. */
export class WorkspaceNotTrustedError extends Error {
  constructor() {
    super('This workspace is in Restricted Mode, so Reasoning Lens does not load models or contact endpoints. Trust the workspace, or pick a model folder yourself.');
  }
}

/**
 * Owns the active scoring backend: the local ONNX model (the embedded one or a folder from user
 * settings) in a child process, or OpenAI-compatible endpoints. Created lazily on first use, disposed
 * and rebuilt when its settings change. Nothing connects anywhere until a score or generate call.
 */
export class BackendService extends Disposable {
  private current: { key: string; backend: ScoringBackend } | undefined;
  private pickedByUser = false;
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;

  /** Creates the service; disposed (and its backend with it) with the extension. */
  static create(extension: vscode.ExtensionContext, log: vscode.LogOutputChannel): BackendService {
    return own(extension, new BackendService(extension, log));
  }

  private constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {
    super();
    this._register(onDidChangeSettings(() => this.reset()));
    this._register(context.secrets.onDidChange((e) => { if (e.key === ApiKeySecret) this.reset(); }));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()));
    this._register({ dispose: () => { void this.current?.backend.dispose(); } });
  }

  /** Folder of the model the local backend loads. */
  modelDir(): string {
    const { modelPath } = readSettings();
    return modelPath || vscode.Uri.joinPath(this.context.extensionUri, 'media', 'models', EmbeddedModel).fsPath;
  }

  /** Short description for the status bar and panel ("local · reasoning-lens-tiny"). */
  label(): string {
    const s = readSettings();
    if (s.backend === 'endpoint') return `endpoint · ${s.endpointModel || '?'} (${s.endpoints.length})`;
    if (s.backend === 'file') return 'logprobs in file';
    return `local · ${basename(this.modelDir())}`;
  }

  /** Records that the user chose a model explicitly (allowed in Restricted Mode). */
  markPickedByUser(): void {
    this.pickedByUser = true;
  }

  /** The backend to score or generate with; throws an error that says what to do when there is none. */
  async backend(): Promise<ScoringBackend> {
    const s = readSettings();
    if (s.backend === 'file') throw new Error('The backend is "logprobs in file": pick a model or an endpoint to score traces without logprobs (setting reasoningLens.backend).');
    if (!vscode.workspace.isTrusted && !this.pickedByUser) throw new WorkspaceNotTrustedError();
    const apiKey = s.backend === 'endpoint' ? await this.context.secrets.get(ApiKeySecret) : undefined;
    const key = JSON.stringify([s.backend, this.modelDir(), s.modelVariant, s.modelThreads, s.modelWatchdogSeconds, s.endpoints, s.endpointModel, apiKey ? 'key' : '']);
    if (this.current?.key === key) return this.current.backend;
    await this.current?.backend.dispose();
    const backend = s.backend === 'endpoint' ? this.endpointBackend(s.endpoints, s.endpointModel, apiKey) : this.localBackend(s.modelVariant, s.modelThreads, s.modelWatchdogSeconds);
    this.current = { key, backend };
    return backend;
  }

  private localBackend(variant: string, threads: number, watchdogSeconds: number): ScoringBackend {
    return new OnnxBackend({
      modelDir: this.modelDir(),
      workerPath: vscode.Uri.joinPath(this.context.extensionUri, 'out', 'onnxWorker.js').fsPath,
      runtime: { ...(variant ? { variant } : {}), ...(threads > 0 ? { threads } : {}) },
      watchdogMs: watchdogSeconds * 1000,
      log: (line) => this.log.debug(`[model] ${line}`),
    });
  }

  private endpointBackend(endpoints: readonly string[], model: string, apiKey: string | undefined): ScoringBackend {
    if (endpoints.length === 0) throw new Error('No endpoint configured: add base URLs to the user setting reasoningLens.endpoints (e.g. http://127.0.0.1:8000/v1).');
    if (!model) throw new Error('No endpoint model configured: set reasoningLens.endpoint.model to the served model name.');
    return new OpenAIBackend({ endpoints, model, ...(apiKey ? { apiKey } : {}) });
  }

  private reset(): void {
    const old = this.current;
    this.current = undefined;
    void old?.backend.dispose();
    this.changed.fire();
  }
}
