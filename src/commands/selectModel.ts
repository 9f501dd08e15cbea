/**
 * `Reasoning Lens: Select Model…`: lists the local models on this machine (the embedded one, models
 * picked before, Ollama, LM Studio, the Hugging Face cache, folders from settings) with format,
 * quantisation and size, and makes the chosen one the local backend. The stores are searched only when
 * the list opens (discovery.ts). A path can also be passed as the command's argument (tests, keybindings).
 */
import * as vscode from 'vscode';
import { existsSync, statSync } from 'node:fs';
import { CommandIds } from './commandIds';
import { registerCommand } from './registerCommand';
import type { SettingsStore } from '../services/settingsStore';
import { readSettings } from '../services/config';
import { EmbeddedModel, type BackendService } from '../services/backendService';
import type { LensContext } from '../services/context';
import { defaultSearchPaths, describeModel, discoverModels, modelsAt, SourceNames, type DiscoveredModel, type SearchPaths } from '../model/discovery';

/** globalState key of the models picked before (most recent first). */
const RecentModelsKey = 'reasoningLens.recentModels';
const MaxRecent = 8;

interface ModelItem extends vscode.QuickPickItem {
  readonly model?: DiscoveredModel;
  readonly browse?: true;
}

/** What the command was given or picked. */
export interface ModelChoice {
  readonly path: string;
  readonly variant?: string;
}

export class SelectModelCommand {
  static register(ctx: LensContext): void {
    const command = new SelectModelCommand(ctx.extension, ctx.backends, ctx.settings, ctx.log);
    ctx.extension.subscriptions.push(registerCommand(CommandIds.selectModel, ctx.log, (choice?: ModelChoice) => command.run(choice)));
  }

  private constructor(private readonly context: vscode.ExtensionContext, private readonly backends: BackendService, private readonly settings: SettingsStore, private readonly log: vscode.LogOutputChannel) {}

  private get embeddedDir(): string {
    return vscode.Uri.joinPath(this.context.extensionUri, 'media', 'models', EmbeddedModel).fsPath;
  }

  /** Shows the list (or applies `choice`); returns the model now in use, or undefined when cancelled. */
  async run(choice?: ModelChoice): Promise<ModelChoice | undefined> {
    if (choice && typeof choice.path === 'string') {
      const found = modelsAt(choice.path, 'recent');
      // A folder's first entry is its default ONNX file; a variant names another.
      const model = choice.variant ? found.find((m) => m.variant === choice.variant) : found[0];
      if (!model) throw new Error(`${choice.path}${choice.variant ? ` (onnx/${choice.variant}.onnx)` : ''} is not a model: expected an ONNX folder (config.json, tokenizer.json, onnx/) or a .gguf file.`);
      return this.apply(model);
    }
    const picked = await this.pick();
    if (!picked) return undefined;
    if (picked.browse) {
      const model = await this.browse();
      return model ? this.apply(model) : undefined;
    }
    return picked.model ? this.apply(picked.model) : undefined;
  }

  private searchPaths(): SearchPaths {
    const s = readSettings().modelSearch;
    const d = defaultSearchPaths();
    return {
      ollama: s.ollama ? [s.ollama] : d.ollama,
      lmStudio: s.lmStudio ? [s.lmStudio] : d.lmStudio,
      huggingFace: s.huggingFace ? [s.huggingFace] : d.huggingFace,
      folders: s.folders,
    };
  }

  private async pick(): Promise<ModelItem | undefined> {
    const quickPick = vscode.window.createQuickPick<ModelItem>();
    quickPick.title = 'Reasoning Lens: Select Model';
    quickPick.placeholder = 'Searching Ollama, LM Studio, the Hugging Face cache and your folders…';
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.busy = true;
    const browse: ModelItem = { label: '$(folder-opened) Browse for a model folder or .gguf file…', browse: true, alwaysShow: true };
    quickPick.items = [browse];
    quickPick.show();
    const result = new Promise<ModelItem | undefined>((resolve) => {
      quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
      quickPick.onDidHide(() => resolve(undefined));
    });
    // Let the list paint before the (synchronous, file-system bound) search.
    await new Promise((r) => setTimeout(r, 0));
    const models = discoverModels({
      paths: this.searchPaths(),
      embeddedDir: this.embeddedDir,
      recent: this.context.globalState.get<string[]>(RecentModelsKey, []),
      onError: (where, e) => this.log.warn(`model discovery: ${where}: ${e.message}`),
    });
    const current = this.currentModel();
    const items: ModelItem[] = [browse];
    let section = '';
    for (const m of models) {
      if (m.source !== section) {
        section = m.source;
        items.push({ label: SourceNames[m.source], kind: vscode.QuickPickItemKind.Separator });
      }
      const isCurrent = m.path === current.path && (m.format === 'gguf' || (m.variant ?? 'model') === (current.variant || 'model'));
      items.push({ label: `${isCurrent ? '$(check) ' : ''}${m.name}`, description: describeModel(m), detail: m.format === 'onnx' && m.variant ? `${m.path} (onnx/${m.variant}.onnx)` : m.path, model: m });
    }
    quickPick.items = items;
    quickPick.busy = false;
    quickPick.placeholder = models.length > 1 ? `${models.length} models found; pick one to score and preview with` : 'Only the embedded model was found: browse for a folder or .gguf file, or add search folders in settings';
    const picked = await result;
    quickPick.dispose();
    return picked;
  }

  private async browse(): Promise<DiscoveredModel | undefined> {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: true,
      canSelectMany: false,
      filters: { 'GGUF models': ['gguf'], 'All files': ['*'] },
      title: 'Reasoning Lens: an ONNX model folder (config.json, tokenizer.json, onnx/) or a .gguf file',
      openLabel: 'Use This Model',
    });
    const path = picked?.[0]?.fsPath;
    if (!path) return undefined;
    const found = modelsAt(path, 'recent');
    if (found.length === 0) {
      const what = existsSync(path) && statSync(path).isDirectory() ? 'a model folder in the Hugging Face / Optimum layout (config.json, tokenizer.json, onnx/*.onnx)' : 'a GGUF file';
      throw new Error(`${path} is not ${what}.`);
    }
    return found[0];
  }

  /** The local backend's model now: `model.path` (empty = embedded) and `model.variant`. */
  private currentModel(): ModelChoice {
    const s = readSettings();
    return { path: s.modelPath || this.embeddedDir, variant: s.modelVariant };
  }

  private async apply(model: DiscoveredModel): Promise<ModelChoice> {
    const embeddedDefault = model.path === this.embeddedDir && model.format === 'onnx' && (model.variant ?? 'model') === 'model';
    this.backends.markPickedByUser();
    // Through the settings store: user settings (the model path always), or where the user keeps them.
    await this.settings.update('model.path', embeddedDefault ? undefined : model.path);
    await this.settings.update('model.variant', model.format === 'onnx' && model.variant && model.variant !== 'model' ? model.variant : undefined);
    if (readSettings().backend !== 'local') await this.settings.update('backend', 'local');
    if (!embeddedDefault) {
      const recent = this.context.globalState.get<string[]>(RecentModelsKey, []).filter((p) => p !== model.path);
      await this.context.globalState.update(RecentModelsKey, [model.path, ...recent].slice(0, MaxRecent));
    }
    this.log.info(`model selected: ${model.name} (${describeModel(model)}) at ${model.path}`);
    void vscode.window.setStatusBarMessage(`Reasoning Lens: scoring with ${model.name} (${model.quantization})`, 4000);
    return { path: model.path, ...(model.variant ? { variant: model.variant } : {}) };
  }
}
