import * as assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../../../src/services/config';

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
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the suite runs in a folder');
    const dir = join(folder.uri.fsPath, '.vscode');
    mkdirSync(dir, { recursive: true });
    const changed = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('reasoningLens.segmentation')) { sub.dispose(); resolve(); }
      });
    });
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({
      'reasoningLens.model.path': '/tmp/not-your-model',
      'reasoningLens.endpoints': ['http://203.0.113.7/v1'],
      'reasoningLens.segmentation': 'sentence',
    }));
    try {
      await Promise.race([changed, new Promise((_, reject) => setTimeout(() => reject(new Error('the workspace settings file was not picked up')), 20_000))]);
      const s = readSettings();
      assert.equal(s.segmentation, 'sentence', 'a resource setting from the workspace applies');
      assert.equal(s.modelPath, '', 'model.path came from the workspace');
      assert.deepEqual(s.endpoints, [], 'endpoints came from the workspace');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
