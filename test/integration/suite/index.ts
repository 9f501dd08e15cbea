/**
 * Entry point of the integration suite inside VS Code's extension host (code-server here, desktop VS
 * Code through @vscode/test-electron). Runs every `*.test.js` beside this file with mocha and writes
 * `test-results/integration.json` (counts and failures) for the harness.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Mocha from 'mocha';

const repoRoot = resolve(__dirname, '..', '..', '..');

export function run(): Promise<void> {
  // RL_TEST_GREP (inherited from the harness through code-server's environment) runs a subset.
  const grep = process.env.RL_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(join(__dirname, file));
  }
  return new Promise((resolvePromise, reject) => {
    let passed = 0;
    const failures: { title: string; error: string }[] = [];
    const runner = mocha.run(() => {
      mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
      writeFileSync(
        process.env.RL_TEST_RESULT ?? join(repoRoot, 'test-results', 'integration.json'),
        JSON.stringify({ passed, failed: failures.length, failures }, null, 2),
      );
      console.log(`[suite] integration: ${passed} passed, ${failures.length} failed`);
      if (failures.length) reject(new Error(`${failures.length} integration tests failed`));
      else resolvePromise();
    });
    runner.on('pass', () => { passed++; });
    runner.on('fail', (test, error: Error) => {
      failures.push({ title: test.fullTitle(), error: error?.stack ?? String(error) });
    });
  });
}
