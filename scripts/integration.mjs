// Integration tier: the mocha suite in out/test/suite runs inside code-server's Node extension host.
// code-server has no --extensionTestsPath flag; the browser workbench reads the same options from the
// URL's `payload` when started with the smoke-test driver, and reports the suite's end through
// `window.codeAutomationExit(code)`. The suite also writes test-results/integration.json, which is
// what this script counts (console forwarding is not relied on).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeScratch, removeScratch, startCodeServer } from './lib/codeServer.mjs';
import { launchBrowser, workbenchUrl } from './lib/browser.mjs';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const TIMEOUT_MS = Number(process.env.RL_INTEGRATION_TIMEOUT_MS ?? 300_000);

/**
 * The suite twice: in a trusted workspace (everything), then in Restricted Mode (an untrusted folder,
 * only the suites titled "Restricted Mode", which skip themselves in the trusted pass).
 */
export async function runIntegration() {
  const trusted = await runPass({ restricted: false });
  if (process.env.RL_TEST_GREP && !/restricted/i.test(process.env.RL_TEST_GREP)) return trusted;
  const restricted = await runPass({ restricted: true });
  return { passed: trusted.passed + restricted.passed, failed: trusted.failed + restricted.failed };
}

async function runPass({ restricted }) {
  const resultFile = join(root, 'test-results', restricted ? 'integration-restricted.json' : 'integration.json');
  rmSync(resultFile, { force: true });
  mkdirSync(join(root, 'test-results'), { recursive: true });
  if (!existsSync(join(root, 'out/test/suite/index.js'))) throw new Error('out/test/suite/index.js missing: run the build first');
  const scratch = makeScratch('it');
  const workspace = join(scratch, 'ws');
  cpSync(join(root, 'media/samples'), workspace, { recursive: true });
  let server;
  let browser;
  // Traces are not scored by the model as they open, unless a test turns it on (its own tests do):
  // other tests then see the state they set up, not a background pass racing them.
  const quiet = { 'reasoningLens.scoreOnOpen.maxTokens': 0 };
  try {
    server = await startCodeServer({
      scratch,
      smokeTestDriver: true,
      settings: quiet,
      ...(restricted ? {
        workspaceTrust: true,
        env: { RL_TEST_GREP: 'Restricted Mode', RL_TEST_RESULT: resultFile },
        settings: { ...quiet, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.untrustedFiles': 'open' },
      } : {}),
    });
    const remote = (p) => `vscode-remote://${server.host}:${server.port}${p}`;
    const url = workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', remote(root)],
      ['extensionTestsPath', remote(join(root, 'out/test/suite/index.js'))],
    ]);
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const exitCode = new Promise((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code) => resolve(Number(code)));
    });
    page.on('console', (m) => {
      const text = m.text();
      if (/^\s*(✔|✓|\d+\)|\d+ passing|\d+ failing|\[suite\])/.test(text) || process.env.RL_VERBOSE) console.log(`  ${text}`);
    });
    const t0 = Date.now();
    const mark = (m) => process.env.RL_VERBOSE && console.log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);
    await page.goto(url, { waitUntil: "commit" });
    mark("workbench loading");
    // The workbench calls codeAutomationExit only after it has shut the extension host down, which in
    // code-server can take minutes; the suite's result file marks the end as soon as mocha is done.
    const resultWritten = (async () => {
      while (!existsSync(resultFile)) await new Promise((r) => setTimeout(r, 200).unref());
      await new Promise((r) => setTimeout(r, 200));
      return JSON.parse(readFileSync(resultFile, 'utf8')).failed > 0 ? 1 : 0;
    })();
    const code = await Promise.race([
      exitCode,
      resultWritten,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`the suite did not finish in ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS).unref()),
    ]);
    mark(`suite finished (${code})`);
    if (!existsSync(resultFile)) throw new Error(`the suite exited with ${code} and wrote no ${resultFile}; code-server log: ${server.logFile}`);
    const result = JSON.parse(readFileSync(resultFile, 'utf8'));
    for (const f of result.failures) console.log(`  FAILED ${f.title}\n    ${String(f.error).split('\n').join('\n    ')}`);
    return { passed: result.passed, failed: result.failed + (code !== 0 && result.failed === 0 ? 1 : 0) };
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (!process.env.RL_KEEP_SCRATCH) removeScratch(scratch);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runIntegration();
  console.log(`integration: ${r.passed} passed, ${r.failed} failed`);
  process.exitCode = r.failed ? 1 : 0;
}
