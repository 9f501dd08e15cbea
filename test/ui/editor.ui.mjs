// UI test of the editor experience: open a trace view from the palette, see the heat map and CodeLens,
// click "Drop" on a step and watch the status bar change, hover a step, and take screenshots in the
// dark and the light theme (switched with "Preferences: Color Theme", as a person would).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'editor-heat-demo.json';

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
  const logprobs = content.match(/\s*\S+|\s+/g).map((token) => ({ token, logprob: -(rnd() ** 3) * 6, top_logprobs: [] }));
  return { object: 'chat.completion', model: 'synthetic', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: { content: logprobs } }] };
}

async function statusText(page) {
  const item = page.locator('.statusbar-item', { hasText: 'tokens (' }).first();
  await item.waitFor({ timeout: 30_000 });
  return (await item.innerText()).trim();
}

export const tests = [
  {
    name: 'editor: drop a step from its CodeLens and see the status bar change',
    async run({ page, wb, workspace }) {
      writeFileSync(join(workspace, FILE), JSON.stringify(demoTrace()));
      // Quick Open the file, then open its trace view from the palette.
      await page.keyboard.press('Control+P');
      await wb.pick(FILE);
      await page.locator('.tab', { hasText: FILE }).first().waitFor({ timeout: 30_000 });
      await wb.runCommand('Reasoning Lens: Open Trace View');
      await page.locator('.tab', { hasText: `${FILE}.md` }).first().waitFor({ timeout: 30_000 });

      const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Drop' }).first();
      await lens.waitFor({ timeout: 30_000 });
      const before = await statusText(page);
      assert.match(before, /[\d,]+ → [\d,]+ tokens \(±0%\)/, `unexpected status bar: ${before}`);
      // Heat decorations are painted as inline background spans in the view lines.
      const painted = await page.evaluate(() => {
        const spans = [...document.querySelectorAll('.view-overlays div[class*="ced-"], .view-lines span[class*="ced-"]')];
        return spans.filter((s) => getComputedStyle(s).backgroundColor !== 'rgba(0, 0, 0, 0)').length;
      });
      assert.ok(painted > 0, 'no heat background is painted');

      await lens.click();
      await page.waitForFunction((old) => {
        const el = [...document.querySelectorAll('.statusbar-item')].find((e) => e.textContent.includes('tokens ('));
        return el && el.textContent.trim() !== old && /\(−\d+%\)/.test(el.textContent);
      }, before, { timeout: 15_000 });
      const after = await statusText(page);
      assert.notEqual(after, before);
      // VS Code refreshes CodeLens a moment after onDidChangeCodeLenses: the dropped step then offers Keep.
      await page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Keep' }).first().waitFor({ timeout: 15_000 });
      await wb.screenshot('dark');

      // Hover the second step (a few lines below the first lens) and keep the hover in the shot.
      const line = page.locator('.view-lines .view-line', { hasText: /^(Let me|Wait|So the|Hmm|First)/ }).nth(2);
      await line.hover();
      await page.locator('.monaco-hover', { hasText: 'of 40' }).first().waitFor({ timeout: 15_000 });
      await wb.screenshot('dark-hover');
      await page.mouse.move(5, 5);

      // Ctrl+K Ctrl+T opens the colour-theme picker directly (typing its title in the palette can land
      // on "Browse Color Themes in Marketplace", which needs the network).
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+T');
      await wb.pick('Light Modern');
      await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs'), null, { timeout: 15_000 });
      await page.waitForTimeout(500);
      await wb.screenshot('light');

      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+T');
      await wb.pick('Dark High Contrast');
      await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('hc-black'), null, { timeout: 15_000 });
      await page.waitForTimeout(500);
      await wb.screenshot('high-contrast');
    },
  },
];
