import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../../src/commands/commandIds';
import { readSettings } from '../../../src/services/config';
import { withWorkspaceSettings } from './workspaceSettings';

/**
 * Restricted Mode: the harness runs this suite a second time in an untrusted folder (and skips it in
 * the trusted pass). Opening traces works; scoring with a model does not start until the workspace is
 * trusted or the user picks a model folder.
 */
describe('Restricted Mode', () => {
  before(async function () {
    if (vscode.workspace.isTrusted) this.skip();
    await vscode.extensions.getExtension('reasoning-lens.reasoning-lens')?.activate();
  });

  it('opens a trace but scores nothing with a model while the workspace is untrusted', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await vscode.commands.executeCommand(CommandIds.openSample, 'codeforces-r1-cot-174/response.md');
    const opened = await vscode.commands.executeCommand<{ steps: number | null }>(CommandIds.describeEditor);
    assert.ok((opened?.steps ?? 0) > 1, 'the trace opened with its steps');
    // The command wrapper reports the refusal to the user and returns nothing.
    const scored = await vscode.commands.executeCommand<boolean | undefined>(CommandIds.scoreTrace);
    assert.notEqual(scored, true, 'a model scored the trace in Restricted Mode');
    const after = await vscode.commands.executeCommand<{ scored: boolean | null }>(CommandIds.describeEditor);
    assert.equal(after?.scored, false);
  });

  it('does not score a trace on open in Restricted Mode, whatever scoreOnOpen.maxTokens says', async () => {
    const config = vscode.workspace.getConfiguration('reasoningLens');
    await config.update('scoreOnOpen.maxTokens', 1_000_000, vscode.ConfigurationTarget.Global);
    try {
      await vscode.commands.executeCommand(CommandIds.openSample, 'codeforces-r1-cot-174/response.md');
      await new Promise((r) => setTimeout(r, 1500));
      const state = await vscode.commands.executeCommand<{ steps: number | null; scored: boolean | null; scoring: boolean | null }>(CommandIds.describeEditor);
      assert.ok((state?.steps ?? 0) > 1, 'the trace opened');
      assert.equal(state?.scoring, false, 'a model is scoring in Restricted Mode');
      assert.equal(state?.scored, false);
    } finally {
      await config.update('scoreOnOpen.maxTokens', 0, vscode.ConfigurationTarget.Global);
    }
  });

  it("ignores the untrusted workspace's backend, model variant and threads (restrictedConfigurations)", async () => {
    const settings = {
      'reasoningLens.backend': 'endpoint',
      'reasoningLens.model.variant': '../../../../tmp/payload',
      'reasoningLens.model.threads': 64,
      'reasoningLens.segmentation': 'sentence',
    };
    await withWorkspaceSettings(settings, () => {
      const s = readSettings();
      assert.equal(s.segmentation, 'sentence', 'an unrestricted setting from the workspace still applies');
      assert.equal(s.backend, 'local', 'backend came from the untrusted workspace');
      assert.equal(s.modelVariant, '', 'model.variant came from the untrusted workspace');
      assert.equal(s.modelThreads, 0, 'model.threads came from the untrusted workspace');
    });
  });
});
