import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import type { StatusDescription } from '../../../src/editor/statusBar';

/**
 * The models people have, inside a real VS Code: "Select Model…" makes a GGUF file (or an ONNX folder)
 * the local backend through user settings, and the backend that scoring would use is llama.cpp's; token
 * counts of a DeepSeek-R1 record come from DeepSeek's tokenizer as soon as the trace opens (no model is
 * loaded), and the status bar says which tokenizer counted.
 */
const EXTENSION_ID = 'reasoning-lens.reasoning-lens';
const repoRoot = resolve(__dirname, '..', '..', '..');
const embedded = join(repoRoot, 'media', 'models', 'reasoning-lens-tiny');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface EditorDescription {
  readonly statusBar: StatusDescription;
  readonly scored: boolean | null;
}

async function waitFor<T>(probe: () => PromiseLike<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await sleep(50);
  }
  assert.fail(`${what}: timed out; last ${JSON.stringify(last)}`);
}

describe('Models and tokenizers', () => {
  const config = () => vscode.workspace.getConfiguration('reasoningLens');
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const key of ['model.path', 'model.variant', 'tokenizer', 'backend']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  });

  it('"Select Model…" makes a .gguf file the local backend, and the embedded folder again', async function () {
    const gguf = join(embedded, 'reasoning-lens-tiny-Q8_0.gguf');
    if (!existsSync(gguf)) this.skip();
    const chosen = await vscode.commands.executeCommand<{ path: string }>(CommandIds.selectModel, { path: gguf });
    assert.equal(chosen?.path, gguf);
    assert.equal(config().inspect('model.path')?.globalValue, gguf);
    const describe = () => vscode.commands.executeCommand<{ backendId: string | null }>(CommandIds.describeEditor, undefined, { scoreCache: true }).then((d) => d);
    await waitFor(describe, (d) => /^gguf:/.test(d.backendId ?? ''), 'the backend is llama.cpp on the file');
    // The embedded ONNX folder is the default: picking it clears the setting.
    await vscode.commands.executeCommand(CommandIds.selectModel, { path: embedded });
    assert.equal(config().inspect('model.path')?.globalValue, undefined);
    await waitFor(describe, (d) => /^onnx:/.test(d.backendId ?? ''), 'back to the embedded ONNX model');
    // Something that is not a model is refused with a message (the command reports it, returns nothing).
    assert.equal(await vscode.commands.executeCommand(CommandIds.selectModel, { path: join(repoRoot, 'README.md') }), undefined);
    assert.equal(config().inspect('model.path')?.globalValue, undefined);
  });

  it('declares the search paths machine-scoped and the tokenizer setting', () => {
    const properties = (vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { configuration: { properties: Record<string, { scope?: string; enum?: string[] }> } };
    }).contributes.configuration.properties;
    for (const key of ['ollama', 'lmStudio', 'huggingFace', 'folders']) assert.equal(properties[`reasoningLens.model.search.${key}`]?.scope, 'machine', key);
    assert.deepEqual(properties['reasoningLens.tokenizer']?.enum, ['auto', 'scoring-model', 'deepseek-v3', 'qwen', 'llama-3']);
  });

  it('counts a DeepSeek-R1 record in DeepSeek\'s tokenizer as it opens, without loading a model', async function () {
    this.timeout(60_000);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const file = vscode.Uri.joinPath(folder.uri, 'openrouter-r1-variant-2.json');
    const uri = await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openTraceView, file);
    // The tooltip is markdown: undo its escaping to compare what a reader sees.
    const describe = () => vscode.commands.executeCommand<EditorDescription>(CommandIds.describeEditor, uri.toString()).then((d) => ({
      ...d,
      statusBar: { ...d.statusBar, tooltip: d.statusBar.tooltip.replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1') },
    }));
    const counted = await waitFor(describe, (d) => /Tokens counted by DeepSeek-R1 \/ DeepSeek-V3 tokenizer/.test(d.statusBar.tooltip), 'DeepSeek token counts', 45_000);
    assert.match(counted.statusBar.tooltip, /model "deepseek\/deepseek-r1" in the record/);
    assert.doesNotMatch(counted.statusBar.text, /~/, 'real counts, not the estimate');
    // With the scoring model's tokenizer chosen, its counts come back: the estimate (`~`) until the trace
    // is scored, or the counts of cached scores (an earlier test may have scored this file).
    await config().update('tokenizer', 'scoring-model', vscode.ConfigurationTarget.Global);
    const back = await waitFor(describe, (d) => !/DeepSeek/.test(d.statusBar.tooltip), 'back to the scoring model\'s counts');
    assert.ok(back.scored ? /counted by the scoring model/.test(back.statusBar.tooltip) : /~/.test(back.statusBar.text), back.statusBar.tooltip);
  });
});
