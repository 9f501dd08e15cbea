// UI tests of the editor as a new user meets it, in the packaged extension: a trace coloured as it
// opens, the legend in the real colours, Drop from a CodeLens and from the line-number menu, a
// dangling reference in the Problems panel fixed from the light bulb (and no toast), Set Budget
// saying what changed, the token view, the metric fallback, the status-bar entry to the side panel,
// and the panel's "Steps" select leaving the workspace's files alone. Screenshots in dark, light and
// high contrast (switched with Ctrl+K Ctrl+T, as a person would).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'editor-heat-demo.json';
const STATUS = 'tokens (';

/** A 40-step trace with logprobs in the file (so it is coloured without a model). */
function demoTrace(n = 40) {
  const openers = ['Let me compute', 'Wait, maybe', 'So the total is', 'Hmm, alternatively', 'Let me verify', 'First, we need'];
  const words = ['the', 'sum', 'of', 'both', 'sides', 'carry', 'digit', '12 * 7 = 84', 'remainder', 'again', 'value'];
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const steps = [];
  for (let i = 0; i < n; i++) {
    const w = Array.from({ length: 5 + Math.floor(rnd() * 14) }, () => words[Math.floor(rnd() * words.length)]);
    steps.push(`${openers[Math.floor(rnd() * openers.length)]} ${w.join(' ')}.`);
  }
  const content = `<think>\n${steps.join('\n\n')}\n</think>\n\nThe answer is \\boxed{84}.`;
  // Five candidates per token, as an API returns them: the chosen token is listed when it is among
  // the five most likely, so ranks are 1-5 or "above 5".
  const logprobs = content.match(/\s*\S+|\s+/g).map((token, i) => {
    const logprob = -(rnd() ** 3) * 6;
    const others = Array.from({ length: 5 }, (_, k) => ({ token: ` alt${i}-${k}`, logprob: -rnd() * 3 - k * 0.4 }));
    const top = [...others, { token, logprob }].sort((a, b) => b.logprob - a.logprob).slice(0, 5);
    return { token, logprob, top_logprobs: top };
  });
  return { object: 'chat.completion', model: 'synthetic', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: { content: logprobs } }] };
}

async function statusText(page) {
  const item = page.locator('.statusbar-item', { hasText: STATUS }).first();
  await item.waitFor({ timeout: 30_000 });
  return (await item.innerText()).trim();
}

/** Number of spans in the editor painted with a background (heat decorations). */
async function painted(page) {
  return page.evaluate(() => {
    const spans = [...document.querySelectorAll('.view-overlays div[class*="ced-"], .view-lines span[class*="ced-"]')];
    return spans.filter((s) => getComputedStyle(s).backgroundColor !== 'rgba(0, 0, 0, 0)').length;
  });
}

/** Waits until more than `n` spans are painted with a background. */
async function waitPainted(page, n = 0) {
  await page.waitForFunction((min) => [...document.querySelectorAll('.view-overlays div[class*="ced-"], .view-lines span[class*="ced-"]')]
    .filter((s) => getComputedStyle(s).backgroundColor !== 'rgba(0, 0, 0, 0)').length > min, n, { timeout: 30_000 });
}

async function openTraceView(page, wb, file, workspace) {
  // The demo trace is written by whichever test needs it first (each test may run alone).
  if (file === FILE && workspace && !existsSync(join(workspace, FILE))) writeFileSync(join(workspace, FILE), JSON.stringify(demoTrace()));
  await wb.openFile(file);
  await wb.runCommand('Reasoning Lens: Open Trace View');
  await page.locator('.tab', { hasText: `${file.split('/').pop()}.md` }).first().waitFor({ timeout: 30_000 });
}

/** Screenshots of what is on screen in the three kinds of theme, each with the status-bar legend. */
async function shotsInThemes(page, wb, name, legend) {
  for (const [label, kind, suffix] of [['Dark Modern', 'vs-dark', 'dark'], ['Light Modern', 'vs', 'light'], ['Dark High Contrast', 'hc-black', 'high-contrast']]) {
    await wb.theme(label, kind);
    await wb.screenshot(`${name}-${suffix}`);
    if (legend) {
      await wb.statusTooltip(STATUS, legend);
      await wb.screenshot(`${name}-${suffix}-legend`);
      await page.mouse.move(700, 400);
    }
  }
  await wb.theme('Dark Modern', 'vs-dark');
}

const notifications = (page, text) => page.locator('.notifications-toasts .notification-toast', { hasText: text });

export const tests = [
  {
    name: 'editor: drop a step from its CodeLens and see the status bar change; the legend in the real colours',
    async run({ page, wb, workspace }) {
      await openTraceView(page, wb, FILE, workspace);
      const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Drop' }).first();
      await lens.waitFor({ timeout: 30_000 });
      const before = await statusText(page);
      assert.match(before, /[\d,]+ → [\d,]+ tokens \(±0%\)/, `unexpected status bar: ${before}`);
      assert.ok(await painted(page) > 0, 'no heat background is painted');
      // One lens line per step: every lens line holds exactly "Drop | Pin".
      // (Lens lines scrolled out of view are rendered empty.)
      const lines = (await page.locator('.contentWidgets .codelens-decoration').allInnerTexts()).filter((t) => t.trim());
      const oneStep = (t) => /(Drop|Keep)[^|]*\|[^|]*(Pin|Unpin)/.test(t) && (t.match(/\|/g) ?? []).length === 1;
      assert.ok(lines.length > 0 && lines.every(oneStep), `lens lines: ${JSON.stringify(lines.filter((t) => !oneStep(t)).slice(0, 4))}`);

      await lens.click();
      await page.waitForFunction((old) => {
        const el = [...document.querySelectorAll('.statusbar-item')].find((e) => e.textContent.includes('tokens ('));
        return el && el.textContent.trim() !== old && /\(−\d+%\)/.test(el.textContent);
      }, before, { timeout: 15_000 });
      await page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Keep' }).first().waitFor({ timeout: 15_000 });

      // Hover a step: scores, and the same actions as the lens.
      const line = page.locator('.view-lines .view-line', { hasText: /^(Let me|Wait|So the|Hmm|First)/ }).nth(2);
      await line.hover();
      const hover = page.locator('.monaco-hover', { hasText: 'of 40' }).first();
      await hover.waitFor({ timeout: 15_000 });
      for (const action of ['Pin', 'Colour by', 'Token view']) assert.ok(await hover.locator('a', { hasText: action }).count(), `the hover has no "${action}"`);
      await wb.screenshot('dark-hover');
      await page.mouse.move(700, 400);

      // The legend swatches are painted in the heat colours, five different ones.
      const tip = await wb.statusTooltip(STATUS, 'Heat:');
      const colours = await tip.locator('span[style*="background-color"]').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
      assert.equal(colours.length, 5, 'five swatches');
      assert.equal(new Set(colours).size, 5, `swatches: ${colours.join(', ')}`);
      assert.ok(colours.every((c) => c !== 'rgba(0, 0, 0, 0)'), 'a swatch is transparent: the theme colour did not resolve');
      await page.mouse.move(700, 400);
      await shotsInThemes(page, wb, 'heat', 'Heat:');
    },
  },
  {
    name: 'editor: a trace without logprobs is coloured as it opens, by the embedded model in the background',
    async run({ page, wb }) {
      await openTraceView(page, wb, 'openrouter-r1-variant-2.json');
      // Estimated counts (~) until the model has scored the trace, then exact ones and colours.
      await page.waitForFunction(() => {
        const el = [...document.querySelectorAll('.statusbar-item')].find((e) => e.textContent.includes('tokens ('));
        return el && !el.textContent.includes('~');
      }, null, { timeout: 90_000 });
      await waitPainted(page);
      assert.equal(await page.locator('.statusbar-item', { hasText: 'Scoring' }).count(), 0, 'the scoring item stays after scoring');
      await shotsInThemes(page, wb, 'coloured-on-open', 'Heat:');
    },
  },
  {
    name: 'editor: after a Thought-Anchors trace, the next trace is coloured by a metric it has, and the status bar says so',
    async run({ page, wb, workspace }) {
      await openTraceView(page, wb, 'base_solution.json');
      await wb.runCommand('Reasoning Lens: Colour Steps By…');
      await wb.quickInput('colour steps by');
      await wb.pick('importance');
      await page.locator('.statusbar-item', { hasText: 'importance' }).first().waitFor({ timeout: 15_000 });
      await openTraceView(page, wb, FILE, workspace);
      const text = await page.locator('.statusbar-item', { hasText: 'no importance' }).first().innerText();
      assert.match(text, /first-token surprisal \(no importance \(file\) here\)/);
      await waitPainted(page);
      await shotsInThemes(page, wb, 'metric-fallback', 'has no importance');
      await wb.runCommand('Reasoning Lens: Colour Steps By…');
      await wb.quickInput('colour steps by');
      await wb.pick('first-token surprisal');
    },
  },
  {
    name: 'editor: the token view colours every token by surprisal, then by rank, with a legend',
    async run({ page, wb, workspace }) {
      await openTraceView(page, wb, FILE, workspace);
      await statusText(page);
      const steps = await painted(page);
      await wb.runCommand('Reasoning Lens: Toggle Token View');
      await page.locator('.statusbar-item', { hasText: 'tokens by surprisal' }).first().waitFor({ timeout: 15_000 });
      await waitPainted(page, steps);
      await shotsInThemes(page, wb, 'tokens-surprisal', 'every token by its surprisal');
      // The legend's link switches to ranks (GLTR buckets).
      const tip = await wb.statusTooltip(STATUS, 'every token by its surprisal');
      await tip.locator('a', { hasText: 'Colour tokens by rank' }).click();
      await page.locator('.statusbar-item', { hasText: 'tokens by rank' }).first().waitFor({ timeout: 15_000 });
      const rankTip = await wb.statusTooltip(STATUS, 'rank under the model');
      const legend = await rankTip.innerText();
      assert.match(legend, /top 1 \(the model's first choice\)/);
      // The file lists five candidates a token: the legend says how many tokens fell outside them.
      assert.match(legend, /not among the 5 candidates the scores list/);
      await wb.screenshot('dark-tokens-rank-legend');
      await page.mouse.move(700, 400);
      await wb.runCommand('Reasoning Lens: Toggle Token View');
      await page.locator('.statusbar-item', { hasText: 'first-token surprisal' }).first().waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'editor: a dangling reference is a Problem with a quick fix, after a drop from the line-number menu, and no toast',
    async run({ page, wb, workspace }) {
      const name = 'dangling-demo.md';
      writeFileSync(join(workspace, name), '<think>\nThe garden is 4 by 9 metres.\n\nArea = 4 * 9 = 36 square metres.\n\nHalf of 36 is 18, and5 is a typo.\n\nSo each half is 18.\n</think>\n\n18\n');
      await wb.openFile(name);
      await statusText(page);
      // The four steps' CodeLens lines arrive after the text and push the lines down: wait for them, so
      // that the click lands on the line it aims at.
      await page.locator('.codelens-decoration', { hasText: 'Drop' }).nth(3).waitFor({ timeout: 15_000 });
      await page.waitForTimeout(300);
      // Right-click the line number of step 2 (line 4) and drop it from the menu.
      await page.locator('.margin-view-overlays .line-numbers', { hasText: /^4$/ }).first().click({ button: 'right' });
      const drop = page.locator('.monaco-menu .action-item', { hasText: 'Drop Step' }).first();
      await drop.waitFor({ timeout: 15_000 });
      await wb.chooseMenuItem(drop);
      await page.waitForFunction(() => /\(−\d+%\)/.test([...document.querySelectorAll('.statusbar-item')].find((e) => e.textContent.includes('tokens ('))?.textContent ?? ''), null, { timeout: 15_000 });
      await page.keyboard.press('Control+Shift+M');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'uses the number 36' }).first();
      await problem.waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('.markers-panel .monaco-list-row', { hasText: 'and5' }).count(), 0, 'a typo fragment is reported');
      assert.equal(await notifications(page, 'dangling').count(), 0, 'a toast about dangling references');
      await shotsInThemes(page, wb, 'dangling-problem');
      // Go to the problem and apply the quick fix from the light bulb menu (Ctrl+.).
      await problem.dblclick();
      await page.waitForTimeout(500);
      await page.keyboard.press('Control+.');
      const fix = page.getByText('Keep the source step (step 2)').first();
      await fix.waitFor({ timeout: 15_000 });
      await wb.screenshot('dark-dangling-quick-fix');
      await fix.click();
      await page.waitForFunction(() => /\(±0%\)/.test([...document.querySelectorAll('.statusbar-item')].find((e) => e.textContent.includes('tokens ('))?.textContent ?? ''), null, { timeout: 15_000 });
      await page.locator('.markers-panel .monaco-list-row', { hasText: 'uses the number 36' }).waitFor({ state: 'detached', timeout: 15_000 });
    },
  },
  {
    name: 'editor: Set Budget… re-prunes the open trace and says what changed',
    async run({ page, wb, workspace }) {
      await openTraceView(page, wb, FILE, workspace);
      await statusText(page);
      await wb.runCommand('Reasoning Lens: Prune with…');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'asap' }).first().waitFor({ timeout: 30_000 });
      await wb.pick('asap');
      const pruned = /\(−\d+%\)/.exec(await page.locator('.statusbar-item', { hasText: /\(−\d+%\)/ }).first().innerText())[0];
      await wb.runCommand('Reasoning Lens: Set Budget…');
      await wb.quickInput('How much of the reasoning to keep');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill('40%');
      await page.keyboard.press('Enter');
      const toast = notifications(page, 'Budget 40%');
      await toast.first().waitFor({ timeout: 15_000 });
      assert.match(await toast.first().innerText(), /now keeps \d+ of 40 steps .*\(was \d+ steps/);
      const after = await statusText(page);
      assert.ok(!after.includes(pruned), `the status bar did not change: ${after}`);
      await page.waitForTimeout(800);
      await wb.screenshot('dark-set-budget');
      await wb.runCommand('Reasoning Lens: Undo Pruning');
      await page.locator('.statusbar-item', { hasText: pruned }).first().waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'editor: the status-bar entry opens the side panel; its "Steps" select writes no .vscode/settings.json',
    async run({ page, wb, workspace }) {
      await openTraceView(page, wb, FILE, workspace);
      await page.locator('.statusbar-item', { hasText: STATUS }).first().click();
      const frame = await wb.webviewFrame('rl-panel', 60_000);
      await frame.locator('rl-panel h2').first().waitFor({ timeout: 30_000 });
      assert.ok(await page.locator('.editor-actions a[aria-label*="Show Side Panel"], .editor-actions .action-label[aria-label*="Show Side Panel"]').count() > 0, 'no editor-title action for the side panel');
      const select = frame.locator('vscode-single-select[data-field="segmentation"]');
      await select.waitFor({ timeout: 30_000 });
      await select.evaluate((el) => {
        el.value = 'sentence';
        el.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await page.waitForTimeout(1500);
      assert.equal(existsSync(join(workspace, '.vscode', 'settings.json')), false, 'the panel wrote .vscode/settings.json into the workspace');
      await select.evaluate((el) => {
        el.value = 'auto';
        el.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await page.waitForTimeout(500);
    },
  },
];
