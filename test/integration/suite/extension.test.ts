import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import type { ViewDescription } from '../../../src/shared/protocol';

const EXTENSION_ID = 'reasoning-lens.reasoning-lens';

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('Reasoning Lens in a real VS Code', () => {
  before(async () => {
    await extension().activate();
  });

  it('activates and registers every contributed command', async () => {
    assert.equal(extension().isActive, true);
    const contributed: { command: string; category?: string }[] = (extension().packageJSON as {
      contributes: { commands: { command: string; category?: string }[] };
    }).contributes.commands;
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of contributed) {
      assert.ok(registered.has(c.command), `${c.command} is contributed but not registered`);
      assert.equal(c.category, 'Reasoning Lens', `${c.command} has no "Reasoning Lens" category`);
    }
    for (const id of Object.values(CommandIds)) {
      assert.ok(contributed.some((c) => c.command === id), `${id} is registered but not in package.json`);
    }
  });

  it('opens a bundled sample trace without touching its bytes', async () => {
    const sample = 'codeforces-r1-cot-174/response.md';
    const path = vscode.Uri.joinPath(extension().extensionUri, 'media', 'samples', ...sample.split('/')).fsPath;
    const before = sha256(path);
    const uri = await vscode.commands.executeCommand<vscode.Uri>(CommandIds.openSample, sample);
    assert.ok(uri, 'openSample returned no uri');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path);
    assert.equal(sha256(path), before, 'the sample file changed on disk');
  });

  it('round-trips a request with the side panel, which shows the active trace', async () => {
    const sample = 'codeforces-r1-cot-174/response.md';
    await vscode.commands.executeCommand(CommandIds.openSample, sample);
    const path = vscode.Uri.joinPath(extension().extensionUri, 'media', 'samples', ...sample.split('/')).fsPath;
    // What the core says about the same file, computed here independently of the extension's state.
    const { traces } = await readTraces(path);
    assert.ok(traces.length >= 1, 'the core read no trace from the sample');
    const expectedSteps = segment(traces[0]!.reasoning, 'auto').length;
    assert.ok(expectedSteps > 1);

    let view: ViewDescription | undefined;
    const deadline = Date.now() + 20_000;
    do {
      view = await vscode.commands.executeCommand<ViewDescription>(CommandIds.describePanel);
      if (view?.steps === expectedSteps) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    assert.ok(view, 'the panel did not answer');
    assert.match(view.title, /response\.md/);
    assert.equal(view.steps, expectedSteps);
  });
});
