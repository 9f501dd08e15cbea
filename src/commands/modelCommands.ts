import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CommandIds } from './commandIds';
import { registerCommand } from './registerCommand';
import { readSettings } from '../services/config';
import { ApiKeySecret } from '../services/backendService';
import type { LensContext } from '../services/context';

/**
 * Scoring and what scores: "Score Trace" (the active trace, through the score cache), "Cancel
 * Background Scoring" (a trace scored as it opened), and "Select
 * Backend…", "Set Endpoint API Key" and "Pick Model Folder…", which write settings through the
 * settings store (user settings, or the workspace where the user keeps that setting) and secret
 * storage; `BackendService` rebuilds the backend when those change.
 */
export const ModelCommands = {
  register(ctx: LensContext): void {
    ctx.extension.subscriptions.push(
      registerCommand(CommandIds.scoreTrace, ctx.log, () => scoreTrace(ctx)),
      registerCommand(CommandIds.cancelScoring, ctx.log, () => cancelScoring(ctx)),
      registerCommand(CommandIds.selectBackend, ctx.log, (choice?: unknown) => selectBackend(ctx, choice)),
      registerCommand(CommandIds.setEndpointApiKey, ctx.log, () => setApiKey(ctx)),
      registerCommand(CommandIds.pickModelFolder, ctx.log, () => pickModelFolder(ctx)),
    );
  },
};

async function scoreTrace(ctx: LensContext): Promise<boolean> {
  const doc = ctx.sessions.active;
  if (!doc) throw new Error('Open a trace first (a trace view, or a markdown file with <think> tags).');
  if (ctx.scoring.scoreFromFile(doc)) {
    void vscode.window.setStatusBarMessage('Reasoning Lens: scored from the logprobs in the file', 3000);
    return true;
  }
  return ctx.scoring.scoreWithBackend(doc);
}

/** The background-scoring status item's click: stops scoring the trace that was opened. */
function cancelScoring(ctx: LensContext): boolean {
  const job = ctx.scoring.background;
  if (!ctx.scoring.cancelBackground()) {
    void vscode.window.setStatusBarMessage('Reasoning Lens: nothing is being scored in the background', 3000);
    return false;
  }
  void vscode.window.setStatusBarMessage(`Reasoning Lens: stopped scoring ${job?.doc.summary.name ?? 'the trace'}; "Score Trace" scores it when you want`, 5000);
  return true;
}

async function selectBackend(ctx: LensContext, choice: unknown): Promise<string | undefined> {
  const options = [
    { label: '$(vm) Local model', value: 'local', detail: `The embedded model or the folder in reasoningLens.model.path, in a separate process (${ctx.backends.modelDir()}).` },
    { label: '$(globe) Endpoint', value: 'endpoint', detail: 'OpenAI-compatible servers listed in reasoningLens.endpoints (vLLM, llama.cpp, reasoning-lens serve).' },
    { label: '$(file) Logprobs in the file', value: 'file', detail: 'No model: only traces that carry their own logprobs get scores.' },
  ] as const;
  let value = typeof choice === 'string' ? choice : undefined;
  if (value !== undefined && !options.some((o) => o.value === value)) throw new Error(`unknown backend "${value}" (local, endpoint or file)`);
  if (value === undefined) {
    const current = readSettings().backend;
    const picked = await vscode.window.showQuickPick(options.map((o) => ({ ...o, description: o.value === current ? 'current' : '' })), { title: 'Reasoning Lens: score traces with' });
    value = picked?.value;
  }
  if (!value) return undefined;
  await ctx.settings.update('backend', value);
  if (value === 'endpoint' && readSettings().endpoints.length === 0) {
    const open = await vscode.window.showInformationMessage('Add the endpoint base URLs to the user setting reasoningLens.endpoints.', 'Open Settings');
    if (open) await vscode.commands.executeCommand('workbench.action.openSettings', 'reasoningLens.endpoint');
  }
  return value;
}

async function setApiKey(ctx: LensContext): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'Reasoning Lens: endpoint API key',
    prompt: 'Stored in VS Code\'s secret storage, never in settings. Leave empty to remove the stored key.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  if (key.trim() === '') {
    await ctx.extension.secrets.delete(ApiKeySecret);
    void vscode.window.showInformationMessage('Reasoning Lens: the endpoint API key was removed.');
  } else {
    await ctx.extension.secrets.store(ApiKeySecret, key.trim());
    void vscode.window.showInformationMessage('Reasoning Lens: the endpoint API key is stored.');
  }
}

async function pickModelFolder(ctx: LensContext): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true, canSelectFiles: false, canSelectMany: false,
    title: 'Reasoning Lens: folder of an ONNX causal LM (config.json, tokenizer.json, onnx/)', openLabel: 'Use This Model',
  });
  const folder = picked?.[0];
  if (!folder) return undefined;
  const dir = folder.fsPath;
  const missing = ['config.json', 'tokenizer.json'].filter((f) => !existsSync(join(dir, f)));
  if (!existsSync(join(dir, 'onnx'))) missing.push('onnx/');
  if (missing.length) throw new Error(`${dir} is not a model folder in the Hugging Face / Optimum layout: missing ${missing.join(', ')}.`);
  ctx.backends.markPickedByUser();
  await ctx.settings.update('model.path', dir);
  if (readSettings().backend !== 'local') await ctx.settings.update('backend', 'local');
  return dir;
}
