// UI tests of the side panel: prune a 1,000-step trace from the palette, drag the budget and measure the
// panel's update time, click a step to select it in the editor, render hostile trace text as text, and
// stream a generation from the pruned reasoning with the local model. Screenshots in dark and light.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const LONG = 'long-1000-steps.json';
const HOSTILE = 'hostile-trace.md';

/** A 1,000-step trace as an OpenAI chat completion whose logprobs cover the reasoning (scores from the file, no model). */
function longTrace(n = 1000) {
  const words = ['Let', 'me', 'check', 'the', 'sum', 'again', 'so', 'we', 'get', 'value', 'Wait', 'maybe', 'carry', 'digit', 'then', 'result'];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const steps = [];
  for (let i = 0; i < n; i++) {
    const w = Array.from({ length: 6 + Math.floor(rnd() * 30) }, () => words[Math.floor(rnd() * words.length)]);
    steps.push(`Step ${i + 1}: ${w.join(' ')}.`);
  }
  const content = `<think>\n${steps.join('\n\n')}\n</think>\n\nThe answer is \\boxed{42}.`;
  const logprobs = content.match(/\s*\S+|\s+/g).map((token) => ({ token, logprob: -(rnd() * 4), top_logprobs: [] }));
  return { object: 'chat.completion', model: 'synthetic', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: { content: logprobs } }] };
}

const HOSTILE_TEXT = [
  'Solve 1 + 1.',
  '<think>',
  'First step <script>alert(1)</script> done.',
  '',
  '<img src=x onerror="document.body.dataset.pwned = 1; alert(2)">',
  '',
  'A [markdown link](command:workbench.action.quit) and **bold** and <b>tags</b>.',
  '</think>',
  'So the answer is \\boxed{2}.',
  '',
].join('\n');

async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tab', { hasText: name }).first().waitFor({ timeout: 30_000 });
}

async function panelFor(wb, name) {
  await wb.runCommand('Reasoning Lens: Show Side Panel');
  const frame = await wb.webviewFrame('rl-panel', 60_000);
  await frame.locator('rl-panel h2', { hasText: name }).waitFor({ timeout: 30_000 });
  return frame;
}

const num = async (frame, field) => Number((await frame.locator(`rl-panel [data-field="${field}"]`).first().innerText()).replace(/\D/g, ''));
const list = (s) => (s ? s.split(',').map(Number) : []);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** A tiny model folder for the preview when the embedded one is not built: the unit tests' random one. */
function localModelDir(root) {
  const embedded = join(root, 'media/models/reasoning-lens-tiny');
  if (existsSync(join(embedded, 'onnx'))) return undefined;
  const cache = join(tmpdir(), 'rl-test-models');
  const found = existsSync(cache) && readdirSync(cache).map((d) => join(cache, d)).find((d) => existsSync(join(d, 'onnx', 'model.onnx')));
  if (found) return found;
  const out = join(cache, `tiny-random-ui-${process.pid}`);
  const r = spawnSync('/usr/bin/python3', [join(root, 'model/make_random.py'), '--tiny', '--out', out], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`no embedded model and model/make_random.py failed: ${r.stderr}`);
  return out;
}

/** Screenshot with the panel maximised (the webview gets the whole window), then back. */
async function panelShot(page, wb, name) {
  await wb.runCommand('View: Toggle Maximized Panel');
  await page.waitForTimeout(600);
  await wb.screenshot(name);
  await wb.runCommand('View: Toggle Maximized Panel');
  await page.waitForTimeout(300);
}

/** Picks a colour theme with Ctrl+K Ctrl+T (the palette's fuzzy match may land on the marketplace browser). */
async function pickTheme(page, label) {
  await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(label);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** Writes a user setting; the running workbench picks the change up from the file. */
function setSetting(server, key, value) {
  const file = join(server.dirs.userData, 'User', 'settings.json');
  const settings = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...settings, [key]: value }, null, 2));
}

export const tests = [
  {
    name: 'side panel: prune 1,000 steps from the palette, drag the budget live',
    async run({ page, wb, workspace }) {
      await wb.runCommand('View: Hide Secondary Side Bar', 10_000).catch(() => console.log('    (no secondary side bar to close)'));
      writeFileSync(join(workspace, LONG), JSON.stringify(longTrace()));
      await openFile(page, LONG);
      const frame = await panelFor(wb, LONG);
      assert.equal(await num(frame, 'steps'), 1000);

      // Prune from the palette as a person would; ASAP scores from the file's logprobs.
      await wb.runCommand('Reasoning Lens: Prune with…');
      // The method list computes a preview per method first: wait for it, not for the palette's input.
      await page.locator('.quick-input-widget', { hasText: /Prune long-1000/ }).locator('.quick-input-list .monaco-list-row', { hasText: 'asap' }).first().waitFor({ timeout: 30_000 });
      await wb.pick('asap');
      await frame.locator('rl-panel [data-field="kept"]').filter({ hasNotText: /^1,000$/ }).waitFor({ timeout: 30_000 });
      const kept = await num(frame, 'kept');
      assert.ok(kept > 0 && kept < 1000, `ASAP kept ${kept} of 1,000 steps`);

      // The chart has one bar per step; the list renders only a window of rows.
      assert.equal(await frame.locator('rl-score-chart [data-bars]').getAttribute('data-bars'), '1000');
      const rows = await frame.locator('rl-diff-list .row').count();
      assert.ok(rows > 3 && rows < 80, `the diff renders a window of rows, not all of them (${rows})`);
      assert.ok(await frame.locator('rl-diff-list .row.dropped').count() > 0, 'dropped steps are shown');
      await panelShot(page, wb, 'dark-pruned-1000');

      // Drag the budget slider with the mouse from its position down to ~30%.
      const before = await num(frame, 'tokens-after');
      const slider = frame.locator('rl-panel input[type="range"]');
      const box = await slider.boundingBox();
      assert.ok(box, 'the budget slider is not visible');
      const at = (ratio) => box.x + 8 + (box.width - 16) * ((ratio * 100 - 5) / 95);
      const y = box.y + box.height / 2;
      await page.mouse.move(at(0.8), y);
      await page.mouse.down();
      for (let i = 1; i <= 25; i++) {
        await page.mouse.move(at(0.8 - (0.5 * i) / 25), y);
        await page.waitForTimeout(40);
      }
      await page.mouse.up();
      await frame.locator('rl-panel .preview-tag').waitFor({ state: 'detached', timeout: 30_000 });
      await page.waitForTimeout(300);
      const after = await num(frame, 'tokens-after');
      assert.ok(after < before, `dragging the budget down did not lower the kept tokens (${before} → ${after})`);

      const panel = frame.locator('rl-panel');
      const renders = list(await panel.getAttribute('data-preview-update-list'));
      const drags = list(await panel.getAttribute('data-drag-ms'));
      assert.ok(renders.length >= 2, `the drag produced ${renders.length} live updates`);
      const report = `live updates ${renders.length}: render median ${pct(renders, 0.5).toFixed(1)} ms, p95 ${pct(renders, 0.95).toFixed(1)} ms, max ${Math.max(...renders).toFixed(1)} ms; ` +
        `slider input → rendered median ${pct(drags, 0.5).toFixed(0)} ms, max ${Math.max(...drags).toFixed(0)} ms`;
      console.log(`    ${report}`);
      writeFileSync(join(wb.shotsDir, 'sidepanel-timings.txt'), `${report}\nrender ms: ${renders.join(' ')}\ninput→render ms: ${drags.join(' ')}\n`);
      assert.ok(pct(renders, 0.95) < 50, `re-rendering diff and chart took over 50 ms (p95): ${report}`);

      // Keyboard: focus the list, move down, Enter; the active row follows.
      await frame.locator('rl-diff-list .list').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      assert.ok(await frame.locator('rl-diff-list .row.active').count() === 1, 'arrow keys move the active row');
      assert.equal(await panel.getAttribute('data-csp-violations'), null, 'the CSP blocked something');
      await panelShot(page, wb, 'dark-after-drag');
    },
  },
  {
    name: 'side panel: hostile trace text renders as text; clicking a step selects it',
    async run({ page, wb, workspace }) {
      const dialogs = [];
      page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
      writeFileSync(join(workspace, HOSTILE), HOSTILE_TEXT);
      await openFile(page, HOSTILE);
      const frame = await panelFor(wb, HOSTILE);
      await frame.locator('rl-diff-list .row[data-step="0"]').waitFor({ timeout: 30_000 });

      const texts = await frame.locator('rl-diff-list .row .text.original').allInnerTexts();
      const all = texts.join('\n');
      assert.ok(all.includes('<script>alert(1)</script>'), `the script tag is not shown as text: ${all}`);
      assert.ok(all.includes('<img src=x onerror='), 'the img tag is not shown as text');
      assert.ok(all.includes('[markdown link](command:workbench.action.quit)'), 'the markdown link is not shown verbatim');
      const injected = await frame.evaluate(() => {
        const found = [];
        const walk = (root) => {
          for (const el of root.querySelectorAll('*')) {
            if (['SCRIPT', 'IMG', 'A', 'B'].includes(el.tagName)) found.push(el.tagName);
            if (el.shadowRoot) walk(el.shadowRoot);
          }
        };
        walk(document.querySelector('rl-panel').shadowRoot.querySelector('rl-diff-list').shadowRoot);
        for (const pre of document.querySelector('rl-panel').shadowRoot.querySelectorAll('pre')) if (pre.children.length) found.push('child of pre');
        if (document.body.dataset.pwned) found.push('onerror ran');
        return found;
      });
      assert.deepEqual(injected, [], `trace text created elements: ${injected}`);
      // Rows are laid out one under the other (positions are set through the CSSOM, which the CSP allows).
      const tops = [];
      for (const row of await frame.locator('rl-diff-list .row[data-step]').all()) tops.push((await row.boundingBox()).y);
      assert.ok(tops.length === 3 && tops[0] < tops[1] && tops[1] < tops[2], `rows overlap: ${tops}`);
      assert.equal(await frame.locator('rl-panel').getAttribute('data-csp-violations'), null, 'the CSP blocked something');
      await page.waitForTimeout(500);
      assert.deepEqual(dialogs, [], 'an alert ran');
      assert.equal(await frame.evaluate(() => document.body.dataset.pwned ?? null), null, 'an onerror handler ran');
      await panelShot(page, wb, 'dark-hostile-as-text');

      // Click step 3 in the diff: the editor selects it (the status bar counts the selection).
      await frame.locator('rl-diff-list .row[data-step="2"]').click();
      await page.locator('.statusbar-item', { hasText: /selected/ }).first().waitFor({ timeout: 15_000 });
      const status = await page.locator('.statusbar-item', { hasText: /selected/ }).first().innerText();
      const expected = 'A [markdown link](command:workbench.action.quit) and **bold** and <b>tags</b>.'.length;
      assert.ok(status.includes(`(${expected} selected)`), `editor selection after clicking step 3: "${status}", expected ${expected} characters`);
    },
  },
  {
    name: 'side panel: stream a generation from the pruned reasoning, light theme',
    async run({ page, wb, server, root }) {
      const modelDir = localModelDir(root);
      if (modelDir) {
        // The embedded model is not built in this checkout: point the (machine-scoped) setting at a tiny one.
        setSetting(server, 'reasoningLens.model.path', modelDir);
        console.log(`    no embedded model; using ${modelDir}`);
      }
      await wb.runCommand('Reasoning Lens: Open Sample Trace');
      await wb.pick('Codeforces');
      await page.locator('.tab', { hasText: 'response.md' }).first().waitFor({ timeout: 30_000 });
      const frame = await panelFor(wb, 'response.md');

      // Drop two steps by hand (keyboard: Space on the active row), so the preview has something to show.
      await frame.locator('rl-diff-list .list').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press(' ');
      await frame.locator('rl-diff-list .row.dropped, rl-diff-list .row.run').first().waitFor({ timeout: 15_000 });

      await frame.locator('rl-preview-pane vscode-button', { hasText: 'Generate from Pruned' }).click();
      const out = frame.locator('rl-preview-pane pre[data-field="generation"]');
      await out.waitFor({ timeout: 60_000 });
      // Streamed: text appears while the run is still going, then the final answers are compared.
      const stats = frame.locator('rl-preview-pane [data-field="preview-stats"]');
      let streamed = false;
      for (let i = 0; i < 400 && !streamed; i++) {
        const [text, s] = await Promise.all([out.innerText(), stats.innerText()]);
        if (text.length > 0 && s.startsWith('running')) streamed = true;
        else if (s.startsWith('done')) break;
        await page.waitForTimeout(25);
      }
      await frame.locator('rl-preview-pane [data-field="answers"]').waitFor({ timeout: 120_000 });
      const finalStats = await stats.innerText();
      console.log(`    preview: ${finalStats.trim()}; streamed chunks seen while running: ${streamed}`);
      assert.ok((await out.innerText()).length > 0, 'no generated text');
      assert.match(finalStats, /\d+ tokens · [\d.]+ tokens\/s/);
      assert.ok(streamed, 'the text only appeared at the end (not streamed)');
      // Answer retention: log p(original answer | pruned) − log p(… | full), per token and in total.
      await frame.locator('rl-preview-pane vscode-button', { hasText: 'Answer Retention' }).click();
      const retention = frame.locator('rl-preview-pane [data-field="retention"]');
      await retention.waitFor({ timeout: 120_000 });
      const line = await retention.locator('div').first().innerText();
      console.log(`    retention: ${line.replace(/\s+/g, ' ').trim()}`);
      assert.match(line, /Δ [+−-]?[\d.]+ total, [+−-]?[\d.]+ per token over \d+ answer tokens/);
      await panelShot(page, wb, 'dark-preview');

      // Hide the panel and show it again: the webview is rebuilt and restores its state.
      await wb.runCommand('View: Hide Panel');
      await frame.locator('rl-panel').waitFor({ state: 'detached', timeout: 15_000 }).catch(() => {});
      const again = await panelFor(wb, 'response.md');
      await again.locator('rl-preview-pane [data-field="retention"]').waitFor({ timeout: 15_000 });
      // The page restores its own state at once; the plan comes with the host's state after `ready`.
      await again.locator('rl-diff-list .row.dropped').first().waitFor({ timeout: 15_000 }).catch(() => {});
      assert.ok(await again.locator('rl-diff-list .row.dropped').count() > 0, 'the plan is shown again after reopening');

      await pickTheme(page, 'Light Modern');
      await page.locator('.monaco-workbench.vs').waitFor({ timeout: 30_000 });
      const light = await wb.webviewFrame('rl-panel h2', 30_000);
      await light.locator('rl-panel h2', { hasText: 'response.md' }).waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      await panelShot(page, wb, 'light-preview');

      await pickTheme(page, 'Dark High Contrast');
      await page.locator('.monaco-workbench.hc-black').waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      await panelShot(page, wb, 'high-contrast-preview');
      await pickTheme(page, 'Dark Modern');
    },
  },
];
