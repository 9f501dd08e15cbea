// UI tests of the first slice: open a sample from the command palette and see the side panel render.
import assert from 'node:assert/strict';

export const tests = [
  {
    name: 'open a sample from the palette and see the side panel',
    async run({ page, wb }) {
      await wb.runCommand('Reasoning Lens: Open Sample Trace');
      await wb.pick('Codeforces');
      await page.locator('.tab', { hasText: 'response.md' }).first().waitFor({ timeout: 30_000 });
      await wb.runCommand('Reasoning Lens: Show Side Panel');
      const frame = await wb.webviewFrame('rl-panel');
      const title = frame.locator('rl-panel h2');
      await title.filter({ hasText: 'response.md' }).waitFor({ timeout: 30_000 });
      const steps = Number((await frame.locator('rl-panel [data-field="steps"]').innerText()).replace(/\D/g, ''));
      assert.ok(steps > 1, `expected several steps, the panel shows ${steps}`);
      await wb.screenshot('sample-with-panel');
    },
  },
];
