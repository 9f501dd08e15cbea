#!/usr/bin/env node
// `npm run test:desktop`: the same integration suite on desktop VS Code through @vscode/test-electron
// (downloads VS Code, so it needs internet; CI runs the suite inside code-server instead).
import { runTests } from '@vscode/test-electron';
import { mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const workspace = mkdtempSync(join(tmpdir(), 'rl-desktop-'));
cpSync(join(root, 'media/samples'), workspace, { recursive: true });
try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out/test/suite/index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (e) {
  console.error(`desktop integration tests failed: ${e}`);
  process.exit(1);
}
