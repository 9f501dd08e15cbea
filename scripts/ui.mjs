// UI tier: the packaged .vsix installed into a code-server (started WITHOUT the smoke-test driver, so
// notifications show), driven by headless Debian Chromium through playwright-core like a person would:
// command palette, quick picks, the side panel's webview. Screenshots go to test-results/ (the last
// run's are kept; the folder is git-ignored). Each test in test/ui/*.ui.mjs exports `tests`.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installVsix, makeScratch, removeScratch, startCodeServer } from './lib/codeServer.mjs';
import { launchBrowser, workbenchUrl } from './lib/browser.mjs';
import { Workbench } from './lib/workbench.mjs';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const TEST_TIMEOUT_MS = 120_000;

export async function runUi(filters = []) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsix = join(root, 'dist', `${pkg.name}-linux-x64-${pkg.version}.vsix`);
  const shots = join(root, 'test-results', 'screenshots');
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });

  const files = readdirSync(join(root, 'test/ui')).filter((f) => f.endsWith('.ui.mjs')).sort();
  const tests = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(root, 'test/ui', f)).href);
    for (const t of mod.tests) if (filters.length === 0 || filters.some((s) => t.name.includes(s))) tests.push({ ...t, file: f });
  }

  const scratch = makeScratch('ui');
  const workspace = join(scratch, 'ws');
  cpSync(join(root, 'media/samples'), workspace, { recursive: true });
  let server;
  let browser;
  let passed = 0;
  let failed = 0;
  try {
    installVsix(scratch, vsix);
    server = await startCodeServer({ scratch, settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
    browser = await launchBrowser();
    for (const t of tests) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const started = Date.now();
      try {
        await page.goto(workbenchUrl(server, workspace));
        const wb = new Workbench(page, shots, t.name);
        await wb.waitForWorkbench();
        await Promise.race([
          t.run({ page, wb, workspace, server, root }),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS / 1000} s`)), TEST_TIMEOUT_MS).unref()),
        ]);
        passed++;
        console.log(`  ✔ ${t.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } catch (e) {
        failed++;
        console.log(`  ✖ ${t.name}\n    ${String(e?.stack ?? e).split('\n').slice(0, 8).join('\n    ')}`);
        await page.screenshot({ path: join(shots, `${t.name.replace(/\W+/g, '-')}-FAILED.png`) }).catch(() => {});
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (!process.env.RL_KEEP_SCRATCH) removeScratch(scratch);
  }
  return { passed, failed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runUi(process.argv.slice(2));
  console.log(`ui: ${r.passed} passed, ${r.failed} failed`);
  process.exitCode = r.failed ? 1 : 0;
}
