/**
 * Editor parity with the CLI, inside a real VS Code: a response.md with a prompt.md beside it is read
 * with that prompt (trace view, session, SFT export); a whole dataset without logprobs is exported
 * with scores from the configured backend (the embedded model); an export into a folder that does
 * not exist yet creates it.
 */
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import type { PruningDescription } from '../../../src/commands/pruneCommands';
import type { ExportResult } from '../../../src/commands/exportCommand';
import { readTraces } from '../../../src/core/trace';

const EXTENSION_ID = 'reasoning-lens.reasoning-lens';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openAsActive(path: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
  await vscode.window.showTextDocument(doc, { preview: false });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const d = await vscode.commands.executeCommand<PruningDescription>(CommandIds.describePruning);
    if (d?.active && d.file === vscode.Uri.file(path).toString()) return;
    await sleep(100);
  }
  assert.fail(`${path} did not become the active trace`);
}

describe('Editor parity: prompt.md, dataset export with the configured backend, new folders', () => {
  let scratch = '';
  let sample = '';
  let hasModel = false;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    await ext.activate();
    scratch = mkdtempSync(join(tmpdir(), 'rl-parity-it-'));
    sample = join(scratch, 'cot-174');
    cpSync(vscode.Uri.joinPath(ext.extensionUri, 'media', 'samples', 'codeforces-r1-cot-174').fsPath, sample, { recursive: true });
    hasModel = existsSync(vscode.Uri.joinPath(ext.extensionUri, 'media', 'models', 'reasoning-lens-tiny', 'onnx', 'model.onnx').fsPath);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('opening response.md with a prompt.md beside it shows and uses that prompt: trace view and SFT export', async () => {
    const prompt = readFileSync(join(sample, 'prompt.md'), 'utf8');
    assert.ok(prompt.length > 100);
    // The trace view renders the prompt under its heading.
    const uri = await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openTraceView, join(sample, 'response.md'));
    const view = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    assert.ok(view, 'the trace view opened');
    const firstLine = prompt.trim().split('\n')[0]!;
    assert.ok(view.getText().includes('# Prompt') && view.getText().includes(firstLine), 'the trace view shows prompt.md');
    // The file itself, opened in the editor: its session (previews, export) has the prompt.
    await openAsActive(join(sample, 'response.md'));
    const sft = join(scratch, 'one.sft.jsonl');
    const result = await vscode.commands.executeCommand<ExportResult>(CommandIds.exportPruned, { scope: 'trace', format: 'sft', target: sft });
    assert.ok(result, 'exported');
    const row = JSON.parse(readFileSync(sft, 'utf8').trim()) as { messages: { role: string; content: string }[] };
    assert.equal(row.messages[0]!.role, 'user');
    assert.equal(row.messages[0]!.content, prompt, 'the SFT user message is prompt.md');
  });

  it('a whole dataset without logprobs is scored with the configured backend and exported, into a folder that does not exist yet', async function () {
    if (!hasModel) this.skip();
    this.timeout(180_000);
    const reasoning = (n: number) => Array.from({ length: 8 }, (_, k) => `Step ${k + 1}: add ${n + k} and ${k * 3}, which gives ${n + 4 * k}; keep it for the total.`).join('\n\n');
    const data = join(scratch, 'plain.jsonl');
    // The records name the model that wrote them: budgets and totals count in its tokenizer (`auto`).
    writeFileSync(data, [1, 2, 3].map((n) => JSON.stringify({ question: `What is ${n}?`, solution: `<think>\n${reasoning(n)}\n</think>\nThe answer is \\boxed{${n}}.`, generator: 'DeepSeek-R1-Distill-Qwen-7B' })).join('\n') + '\n');
    await openAsActive(data);
    await vscode.commands.executeCommand(CommandIds.pruneWith, 'asap', '60%');
    const target = join(scratch, 'new', 'folder', 'plain.pruned.jsonl');
    assert.equal(existsSync(join(scratch, 'new')), false);
    const result = await vscode.commands.executeCommand<ExportResult>(CommandIds.exportPruned, { scope: 'dataset', format: 'same', target });
    assert.ok(result, 'exported (see the Reasoning Lens log if not)');
    assert.equal(result.totals.records, 3);
    assert.equal(result.totals.pruned, 3, JSON.stringify(result.totals.skipped));
    assert.ok(result.totals.tokensAfter <= result.totals.tokensBefore * 0.6 + 3, JSON.stringify(result.totals));
    assert.deepEqual(result.totals.tokensBy, { qwen: 3 }, 'counted in the writing model\'s tokenizer, as the status bar counts');
    const before = (await readTraces(data)).traces;
    const after = (await readTraces(target)).traces;
    assert.equal(after.length, 3);
    after.forEach((t, i) => {
      assert.ok(t.reasoning.length < before[i]!.reasoning.length, `record ${i + 1} pruned`);
      assert.equal(t.prompt, before[i]!.prompt);
      assert.equal(t.answer, before[i]!.answer);
    });
  });
});
