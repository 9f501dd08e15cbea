import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readSettings } from '../../../src/services/config';
import { withWorkspaceSettings } from './workspaceSettings';

/**
 * Settings that load code or send data somewhere (model folder, endpoints) come from the user only:
 * a cloned repository's own .vscode/settings.json cannot point the extension at its executable or
 * server. Two layers keep it so: package.json declares them `machine`-scoped (VS Code then drops
 * workspace values) and readSettings reads only the user/default value. This checks the declaration
 * and the end result; other settings (segmentation) still follow the workspace.
 */
describe('Machine-scoped settings', () => {
  it('declares model path and endpoints machine-scoped', () => {
    const properties = (vscode.extensions.getExtension('reasoning-lens.reasoning-lens')?.packageJSON as {
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
    }).contributes.configuration.properties;
    assert.equal(properties['reasoningLens.model.path']?.scope, 'machine');
    assert.equal(properties['reasoningLens.endpoints']?.scope, 'machine');
  });

  it('ignores model path and endpoints from the workspace settings file', async () => {
    const settings = {
      'reasoningLens.model.path': '/tmp/not-your-model',
      'reasoningLens.endpoints': ['http://203.0.113.7/v1'],
      'reasoningLens.segmentation': 'sentence',
    };
    await withWorkspaceSettings(settings, () => {
      const s = readSettings();
      assert.equal(s.segmentation, 'sentence', 'a resource setting from the workspace applies');
      assert.equal(s.modelPath, '', 'model.path came from the workspace');
      assert.deepEqual(s.endpoints, [], 'endpoints came from the workspace');
    });
  });
});
