import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { registerCommand } from './registerCommand';
import type { LensContext } from '../services/context';

/** "Open Sample Trace". */
export const SampleCommands = {
  register(ctx: LensContext): void {
    ctx.extension.subscriptions.push(
      registerCommand(CommandIds.openSample, ctx.log, (relativePath?: string) =>
        openSample(ctx.extension.extensionUri, typeof relativePath === 'string' ? relativePath : undefined)),
    );
  },
};

/** The bundled samples users can open from the palette (paths relative to `media/samples`). */
export const Samples: readonly { readonly path: string; readonly label: string; readonly detail: string }[] = [
  {
    path: 'codeforces-r1-cot-174/response.md',
    label: 'DeepSeek-R1 on a Codeforces problem',
    detail: 'Markdown with <think> … </think>, explanation and code (CC-BY-4.0)',
  },
  {
    path: 'openrouter-r1-variant-2.json',
    label: 'OpenAI-compatible chat.completion response',
    detail: 'Raw API response with message.reasoning (CC-BY-4.0)',
  },
  {
    path: 'thought-anchors-problem-2189-incorrect/base_solution.json',
    label: 'Thought Anchors MATH trace',
    detail: 'DeepSeek-R1-Distill-Llama-8B, sentence chunks with importance (MIT)',
  },
  {
    path: 'gsm8k-model-solutions-100.jsonl',
    label: 'GSM8K model solutions (JSONL dataset)',
    detail: '100 model-written solutions labelled correct or not (MIT)',
  },
];

/**
 * Opens a bundled sample trace read-only in an editor. With `relativePath` (tests, links) it skips
 * the quick pick. Returns the opened document's URI, or undefined when the user cancelled.
 */
export async function openSample(extensionUri: vscode.Uri, relativePath?: string): Promise<vscode.Uri | undefined> {
  let path = relativePath;
  if (path === undefined) {
    const pick = await vscode.window.showQuickPick(
      Samples.map((s) => ({ label: s.label, description: s.path, detail: s.detail, path: s.path })),
      { title: 'Reasoning Lens: Open Sample Trace', placeHolder: 'Pick a real trace bundled with the extension' },
    );
    if (!pick) return undefined;
    path = pick.path;
  }
  if (!Samples.some((s) => s.path === path)) throw new Error(`no bundled sample named "${path}"`);
  const uri = vscode.Uri.joinPath(extensionUri, 'media', 'samples', ...path.split('/'));
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: false });
  return uri;
}
