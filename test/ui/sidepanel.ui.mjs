// UI tests of the side panel: it opens in the secondary side bar; prune a 1,000-step trace from the
// palette, drag the budget and measure the panel's update time; the chart's heat legend in the editor's
// colours; the metric select and the status bar agree; Compare keeps the panel on its trace; hostile
// trace text renders as text; a click selects a step; generations after the full and the pruned
// reasoning side by side with the local model; the retention table collapsed; codicons render; Move
// Side Panel… puts it in the bottom panel. Screenshots in dark, light and high contrast.
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

/** The colour themes the screenshots are taken in: the picker's label and the workbench's class. */
export const THEMES = {
  dark: { label: 'Dark Modern', workbenchClass: 'vs-dark' },
  light: { label: 'Light Modern', workbenchClass: 'vs' },
  hc: { label: 'Dark High Contrast', workbenchClass: 'hc-black' },
};

/** Shows the side panel from the palette and returns its webview frame once it shows `name`. */
export async function panelFor(wb, name) {
  await wb.runCommand('Reasoning Lens: Show Side Panel');
  const frame = await wb.webviewFrame('rl-panel', 60_000);
  await frame.locator('rl-panel h2', { hasText: name }).waitFor({ timeout: 30_000 });
  return frame;
}

/**
 * The workbench part (`auxiliarybar`, `panel`, `sidebar`) the panel's webview is drawn over. After a
 * move the old webview may linger a moment: every panel frame is looked at until one is in `expected`.
 */
async function panelPart(page, expected) {
  let parts = [];
  for (let i = 0; i < 40; i++) {
    parts = [];
    for (const frame of page.frames()) {
      const has = await frame.locator('rl-panel h2').count().catch(() => 0);
      if (has) parts.push(await partOf(page, frame).catch(() => 'gone'));
    }
    if (parts.includes(expected)) return expected;
    await page.waitForTimeout(250);
  }
  return parts.join(', ') || 'no panel';
}

async function partOf(page, frame) {
  const outer = await frame.parentFrame()?.frameElement();
  const box = await outer?.boundingBox();
  if (!box) return 'hidden';
  for (const part of ['auxiliarybar', 'panel', 'sidebar']) {
    const p = await page.locator(`.part.${part}`).first().boundingBox().catch(() => null);
    if (p && box.x >= p.x - 1 && box.x + box.width <= p.x + p.width + 1 && box.y >= p.y - 1 && box.y + box.height <= p.y + p.height + 1) return part;
  }
  return 'elsewhere';
}

const num = async (frame, field) => Number((await frame.locator(`rl-panel [data-field="${field}"]`).first().innerText()).replace(/\D/g, ''));
const list = (s) => (s ? s.split(',').map(Number) : []);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** A tiny model folder for the preview when the embedded one is not built: the unit tests' random one. */
export function localModelDir(root) {
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

/** Picks a colour theme with Ctrl+K Ctrl+T (the palette's fuzzy match may land on the marketplace browser). */
export async function pickTheme(page, theme) {
  const { label, workbenchClass } = THEMES[theme];
  await page.locator('.editor-group-container').first().click({ position: { x: 200, y: 200 } });
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(label);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator(`.monaco-workbench.${workbenchClass}`).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(600);
}

/** Writes a user setting; the running workbench picks the change up from the file. */
export function setSetting(server, key, value) {
  const file = join(server.dirs.userData, 'User', 'settings.json');
  const settings = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...settings, [key]: value }, null, 2));
}

/** Points the local backend at a model when the embedded one is not in this checkout. */
export function useLocalModel(server, root) {
  const modelDir = localModelDir(root);
  if (modelDir) {
    setSetting(server, 'reasoningLens.model.path', modelDir);
    console.log(`    no embedded model; using ${modelDir}`);
  }
}

/** Screenshot with the secondary side bar maximised (the panel gets the whole window, two columns), then back. */
async function wideShot(page, wb, name) {
  await wb.runCommand('View: Toggle Maximized Secondary Side Bar');
  await page.waitForTimeout(700);
  await wb.screenshot(name);
  await wb.runCommand('View: Toggle Maximized Secondary Side Bar');
  await page.waitForTimeout(400);
}

/**
 * Makes the secondary side bar `width` px wide by dragging its sash, as a person makes room (the
 * workbench remembers the width).
 */
export async function sideBarWidth(page, width) {
  const bar = await page.locator('.part.auxiliarybar').first().boundingBox();
  assert.ok(bar, 'the secondary side bar is not open');
  const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2, height: r.height };
  }));
  const sash = sashes.filter((s) => Math.abs(s.x - bar.x) < 8 && s.height > 100)[0];
  assert.ok(sash, `no sash at the secondary side bar's edge (x ${bar.x})`);
  await page.mouse.move(sash.x, sash.y);
  await page.mouse.down();
  await page.mouse.move(sash.x - (width - bar.width) / 2, sash.y, { steps: 4 });
  await page.mouse.move(sash.x - (width - bar.width), sash.y, { steps: 4 });
  await page.mouse.up();
  await page.waitForTimeout(400);
}

/** The status bar's Reasoning Lens item. */
async function statusText(page) {
  const item = page.locator('.statusbar-item', { hasText: 'tokens (' }).first();
  await item.waitFor({ timeout: 30_000 });
  return (await item.innerText()).trim();
}

/** Clicks the row of the open picker that reads `label` (Enter would take whichever row is first). */
export async function clickPick(page, label) {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
}

/** Opens the bundled Codeforces sample from the palette. */
async function openCodeforces(page, wb) {
  await wb.runCommand('Reasoning Lens: Open Sample Trace');
  await wb.pick('Codeforces');
  await page.locator('.tab', { hasText: 'response.md' }).first().waitFor({ timeout: 30_000 });
}

/** Starts "Generate Both" with at most `maxTokens` tokens per side. */
export async function generateBoth(frame, maxTokens) {
  await frame.locator('rl-preview-pane input[type="number"]').fill(String(maxTokens));
  await frame.locator('rl-preview-pane input[type="number"]').press('Enter');
  await frame.locator('rl-preview-pane vscode-button', { hasText: 'Generate Both' }).click();
}

/** Picks `label` in one of the panel's selects (a vscode-single-select: click, then the option). */
async function choose(frame, field, label) {
  await frame.locator(`rl-panel vscode-single-select[data-field="${field}"]`).click();
  await frame.locator(`rl-panel vscode-single-select[data-field="${field}"]`).locator('li, [role="option"]', { hasText: label }).first().click();
}

export const tests = [
  {
    name: 'side panel: opens in the secondary side bar; prune 1,000 steps from the palette, drag the budget live',
    async run({ page, wb, workspace }) {
      writeFileSync(join(workspace, LONG), JSON.stringify(longTrace()));
      await wb.openFile(LONG);
      const frame = await panelFor(wb, LONG);
      assert.equal(await panelPart(page, 'auxiliarybar'), 'auxiliarybar', 'the panel does not open in the secondary side bar');
      assert.equal(await num(frame, 'steps'), 1000);

      // Prune from the palette as a person would; ASAP scores from the file's logprobs.
      await wb.runCommand('Reasoning Lens: Prune with…');
      // The method list computes a preview per method first: wait for it, not for the palette's input.
      await page.locator('.quick-input-widget', { hasText: /Prune long-1000/ }).locator('.quick-input-list .monaco-list-row', { hasText: 'asap' }).first().waitFor({ timeout: 30_000 });
      await wb.pick('asap');
      await frame.locator('rl-panel [data-field="kept"]').filter({ hasNotText: /^1,000$/ }).waitFor({ timeout: 30_000 });
      const kept = await num(frame, 'kept');
      assert.ok(kept > 0 && kept < 1000, `ASAP kept ${kept} of 1,000 steps`);

      // The chart has one bar per step; the list renders only a window of rows, one column in a side bar.
      assert.equal(await frame.locator('rl-score-chart [data-bars]').getAttribute('data-bars'), '1000');
      const rows = await frame.locator('rl-diff-list .row').count();
      assert.ok(rows > 3 && rows < 80, `the diff renders a window of rows, not all of them (${rows})`);
      assert.ok(await frame.locator('rl-diff-list .row.dropped').count() > 0, 'dropped steps are shown');
      const width = (await frame.locator('rl-diff-list .list').boundingBox()).width;
      const layout = await frame.locator('rl-diff-list [data-layout]').getAttribute('data-layout');
      assert.equal(layout, width < 520 ? 'unified' : 'side-by-side', `layout ${layout} at ${width}px`);
      // Labels are words: a dropped step names its score, never its id.
      const why = (await frame.locator('rl-diff-list .row.dropped').first().innerText()).replace(/\s+/g, ' ');
      assert.match(why, /dropped · first-token surprisal [\d.]+/, `dropped row: ${why}`);
      assert.doesNotMatch(await frame.locator('rl-panel').innerText(), /firstTokenSurprisal|onnx:|openai-chat/, 'an id is shown');
      assert.match(await frame.locator('rl-panel [data-field="scored-by"]').innerText(), /scores from logprobs in the file/);

      // The heat legend: five entries in the editor's own heat colours, each with its range, hottest first.
      const legend = frame.locator('rl-score-chart [data-field="heat-legend"] [data-heat]');
      assert.equal(await legend.count(), 5);
      assert.deepEqual(await legend.evaluateAll((els) => els.map((e) => e.getAttribute('data-heat'))), ['4', '3', '2', '1', '0']);
      for (const text of await legend.allInnerTexts()) assert.match(text, /^-?[\d.]+–-?[\d.]+ nats$/, `legend entry "${text}"`);
      const swatches = await frame.locator('rl-score-chart [data-field="heat-legend"] .swatch').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
      assert.equal(new Set(swatches).size, 5, `five distinct heat colours: ${swatches}`);
      for (const c of swatches) assert.notEqual(c, 'rgba(0, 0, 0, 0)', 'a heat colour did not resolve (theme colour variable missing)');
      assert.ok(await frame.locator('rl-score-chart path[data-heat]').count() === 5, 'the heat strip under the bars');
      await wb.screenshot('dark-sidebar-pruned-1000');
      await wideShot(page, wb, 'dark-wide-pruned-1000');

      // The metric select and the status bar always name the same metric.
      await choose(frame, 'metric', 'Mean surprisal');
      await page.locator('.statusbar-item', { hasText: 'mean surprisal' }).first().waitFor({ timeout: 15_000 });
      await wb.runCommand('Reasoning Lens: Colour Steps By…');
      // The metric picker opens after the palette closes: wait for its title, not for the palette.
      await wb.quickInput('colour steps by');
      await clickPick(page, 'first-token surprisal');
      await page.locator('.statusbar-item', { hasText: 'first-token surprisal' }).first().waitFor({ timeout: 15_000 });
      await frame.waitForFunction(() => document.querySelector('rl-panel').shadowRoot.querySelector('[data-field="metric"]').value === 'firstTokenSurprisal', null, { timeout: 15_000 });

      // Drag the budget slider with the mouse from its position down to ~30%.
      const before = await num(frame, 'tokens-after');
      const slider = frame.locator('rl-panel input[type="range"]');
      await slider.scrollIntoViewIfNeeded();
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

      // Keyboard: focus the list, move down; the active row follows.
      await frame.locator('rl-diff-list .list').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      assert.ok(await frame.locator('rl-diff-list .row.active').count() === 1, 'arrow keys move the active row');

      // Compare from the panel: the diff editor opens and the panel stays on the trace it came from.
      await frame.locator('rl-panel vscode-button[data-command="compare"]').click();
      await page.locator('.tab', { hasText: /original ↔ pruned/ }).first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(800);
      assert.match(await frame.locator('rl-panel h2').innerText(), /long-1000-steps\.json/, 'Compare switched the panel to another document');
      assert.equal(await num(frame, 'steps'), 1000, 'Compare made the panel read the pruned text as a new trace');
      assert.equal(await panel.getAttribute('data-csp-violations'), null, 'the CSP blocked something');
      await wb.screenshot('dark-compare');
    },
  },
  {
    name: 'side panel: hostile trace text renders as text; clicking a step selects it',
    async run({ page, wb, workspace }) {
      const dialogs = [];
      page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
      writeFileSync(join(workspace, HOSTILE), HOSTILE_TEXT);
      await wb.openFile(HOSTILE);
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
      await wb.screenshot('dark-hostile-as-text');

      // Click step 3 in the diff: the editor selects it (the status bar counts the selection).
      await frame.locator('rl-diff-list .row[data-step="2"]').click();
      await page.locator('.statusbar-item', { hasText: /selected/ }).first().waitFor({ timeout: 15_000 });
      const status = await page.locator('.statusbar-item', { hasText: /selected/ }).first().innerText();
      const expected = 'A [markdown link](command:workbench.action.quit) and **bold** and <b>tags</b>.'.length;
      assert.ok(status.includes(`(${expected} selected)`), `editor selection after clicking step 3: "${status}", expected ${expected} characters`);
    },
  },
  {
    name: 'side panel: answers after the full and the pruned reasoning side by side, the retention table collapsed, codicons',
    async run({ page, wb, server, root }) {
      useLocalModel(server, root);
      await openCodeforces(page, wb);
      const frame = await panelFor(wb, 'response.md');
      await frame.locator('rl-panel vscode-button[data-command="reset"]').click();

      // Drop a step and pin another by hand (keyboard on the list), so the preview has something to show.
      await frame.locator('rl-diff-list .list').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press(' ');
      await frame.locator('rl-diff-list .row.dropped, rl-diff-list .row.run').first().waitFor({ timeout: 15_000 });
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('p');
      // The pin is a codicon that renders: the icon font is loaded and the glyph has a width.
      const pin = frame.locator('rl-diff-list vscode-icon[name="pinned"]').first();
      await pin.waitFor({ timeout: 15_000 });
      const glyphOf = () => pin.evaluate(async (icon) => {
        await document.fonts.ready;
        const span = icon.shadowRoot.querySelector('.codicon');
        const before = getComputedStyle(span, '::before');
        return { family: before.fontFamily, content: before.content, width: span.getBoundingClientRect().width, loaded: document.fonts.check('12px codicon') };
      });
      // The icon's style sheet loads into its shadow root a moment after it is drawn.
      let glyph = await glyphOf();
      for (let i = 0; i < 50 && !(glyph.loaded && /codicon/.test(glyph.family)); i++) {
        await page.waitForTimeout(100);
        glyph = await glyphOf();
      }
      assert.ok(glyph.loaded, `the codicon font did not load: ${JSON.stringify(glyph)}`);
      assert.match(glyph.family, /codicon/, `the pinned icon is not drawn with the codicon font: ${JSON.stringify(glyph)}`);
      assert.ok(glyph.content !== 'none' && glyph.content !== '""' && glyph.width > 0, `the pinned icon has no glyph: ${JSON.stringify(glyph)}`);

      // Make room, as a person would: a side bar wide enough for the two generations side by side.
      await sideBarWidth(page, 640);
      // A short generation: enough to see both sides stream (the machine may be slow).
      await generateBoth(frame, 40);
      const full = frame.locator('rl-preview-pane pre[data-field="generation-full"]');
      const pruned = frame.locator('rl-preview-pane pre[data-field="generation-pruned"]');
      await full.waitFor({ timeout: 60_000 });
      // Streamed: text appears while the run is still going, then both answers are compared.
      const stats = frame.locator('rl-preview-pane [data-field="preview-stats"]');
      let streamed = false;
      for (let i = 0; i < 400 && !streamed; i++) {
        const [text, s] = await Promise.all([full.innerText(), stats.innerText()]);
        if (text.length > 0 && s.startsWith('running')) streamed = true;
        else if (s.startsWith('done')) break;
        await page.waitForTimeout(25);
      }
      const verdict = frame.locator('rl-preview-pane [data-field="verdict"]');
      await verdict.waitFor({ timeout: 120_000 });
      const [fullText, prunedText] = await Promise.all([full.innerText(), pruned.innerText()]);
      const answers = await frame.locator('rl-preview-pane [data-field^="answer-"]').allInnerTexts();
      const kind = await verdict.getAttribute('data-verdict');
      console.log(`    preview: ${(await stats.innerText()).trim()}; streamed while running: ${streamed}; ${answers.join(' | ')}; verdict: ${kind}`);
      assert.ok(fullText.length > 0 && prunedText.length > 0, 'a side generated no text');
      assert.ok(streamed, 'the text only appeared at the end (not streamed)');
      assert.match(await frame.locator('rl-preview-pane [data-field="stats-full"]').innerText(), /\d+ tokens · [\d.]+ tokens\/s/);
      assert.equal(answers.length, 2, 'each side names its answer');
      const none = answers.filter((a) => /none stated/.test(a)).length;
      // The verdict follows the two answers: "no answer" whenever one is missing, never "differs".
      if (none > 0) assert.equal(kind, 'no answer', `${answers} → ${kind}`);
      else assert.ok(kind === 'same' || kind === 'differs', `${answers} → ${kind}`);
      const sides = await frame.locator('rl-preview-pane section[data-side]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
      assert.equal(sides.length, 2);
      assert.ok(Math.abs(sides[0].y - sides[1].y) < 2 && sides[0].x < sides[1].x, `the generations are not side by side: ${JSON.stringify(sides)}`);

      // Answer retention: the one-line summary shows, the per-token table only when opened.
      await frame.locator('rl-preview-pane vscode-button', { hasText: 'Answer Retention' }).click();
      const retention = frame.locator('rl-preview-pane [data-field="retention"]');
      await retention.waitFor({ timeout: 120_000 });
      const line = await retention.locator('div').first().innerText();
      console.log(`    retention: ${line.replace(/\s+/g, ' ').trim()}`);
      assert.match(line, /Δ [+−-]?[\d.]+ total, [+−-]?[\d.]+ per token over \d+ answer tokens/);
      const summary = retention.locator('summary');
      assert.match(await summary.innerText(), /^Per answer token: [\d,]+ tokens, [\d,]+ less likely after pruning/);
      assert.equal(await retention.locator('table').count(), 0, 'the per-token table is open before asked');
      assert.equal(await verdict.count(), 1, 'the retention run cleared the generations');
      await frame.locator('rl-preview-pane [data-field="generations"]').scrollIntoViewIfNeeded();
      await wb.screenshot('dark-preview');
      await summary.click();
      await retention.locator('tbody tr').nth(3).waitFor({ timeout: 10_000 });
      await summary.click();
      await wideShot(page, wb, 'dark-wide-preview');
      assert.equal(await frame.locator('rl-panel').getAttribute('data-csp-violations'), null, 'the CSP blocked something');

      // Hide the side bar and show the panel again: the webview is rebuilt and restores its state.
      await wb.runCommand('View: Hide Secondary Side Bar');
      await frame.locator('rl-panel').waitFor({ state: 'detached', timeout: 15_000 }).catch(() => {});
      const again = await panelFor(wb, 'response.md');
      await again.locator('rl-preview-pane [data-field="retention"]').waitFor({ timeout: 15_000 });
      await again.locator('rl-diff-list .row.dropped').first().waitFor({ timeout: 15_000 }).catch(() => {});
      assert.ok(await again.locator('rl-diff-list .row.dropped').count() > 0, 'the plan is shown again after reopening');
    },
  },
  {
    name: 'side panel: the panel and its answers in the light and high-contrast themes',
    async run({ page, wb, server, root }) {
      useLocalModel(server, root);
      await openCodeforces(page, wb);
      const frame = await panelFor(wb, 'response.md');
      await generateBoth(frame, 16);
      await frame.locator('rl-preview-pane [data-field="verdict"]').waitFor({ timeout: 90_000 });
      for (const theme of ['light', 'hc']) {
        await pickTheme(page, theme);
        const themed = await wb.webviewFrame('rl-panel h2', 30_000);
        await themed.locator('rl-panel h2', { hasText: 'response.md' }).waitFor({ timeout: 30_000 });
        await themed.evaluate(() => window.scrollTo(0, 0));
        await wb.screenshot(`${theme}-panel`);
        await themed.locator('rl-preview-pane [data-field="verdict"]').scrollIntoViewIfNeeded();
        await wb.screenshot(`${theme}-preview`);
        assert.equal(await themed.locator('rl-panel').getAttribute('data-csp-violations'), null, 'the CSP blocked something');
      }
      await pickTheme(page, 'dark');
    },
  },
  {
    name: 'side panel: Move Side Panel… puts it in the bottom panel, and back',
    async run({ page, wb }) {
      await openCodeforces(page, wb);
      await panelFor(wb, 'response.md');
      assert.equal(await panelPart(page, 'auxiliarybar'), 'auxiliarybar');
      await wb.runCommand('Reasoning Lens: Move Side Panel…');
      await clickPick(page, 'New Panel Entry');
      const moved = await wb.webviewFrame('rl-panel h2', 30_000);
      await moved.locator('rl-panel h2', { hasText: 'response.md' }).waitFor({ timeout: 30_000 });
      assert.equal(await panelPart(page, 'panel'), 'panel', 'the panel did not move to the bottom panel');
      await wb.screenshot('dark-moved-to-panel');
      // And back to the secondary side bar with the same command.
      await wb.runCommand('Reasoning Lens: Move Side Panel…');
      await clickPick(page, 'New Secondary Side Bar Entry');
      assert.equal(await panelPart(page, 'auxiliarybar'), 'auxiliarybar', 'the panel did not move back to the secondary side bar');
    },
  },
];
