// Page-object helpers for driving the VS Code workbench in code-server with playwright-core.
import { join } from 'node:path';

export class Workbench {
  constructor(page, shotsDir, testName) {
    this.page = page;
    this.shotsDir = shotsDir;
    this.prefix = testName.replace(/\W+/g, '-');
  }

  async waitForWorkbench() {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The explorer shows the folder once the workbench has restored.
    await this.page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60_000 });
  }

  /**
   * Runs a command from the palette by its title, as a person would. Right after the workbench
   * appears, extension contributions may not be registered yet: reopen the palette until it lists it.
   */
  async runCommand(title, timeout = 60_000) {
    const page = this.page;
    const deadline = Date.now() + timeout;
    for (;;) {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      try {
        await row.waitFor({ timeout: 3_000 });
        await page.keyboard.press('Enter');
        return;
      } catch (e) {
        await page.keyboard.press('Escape');
        if (Date.now() > deadline) throw new Error(`the command palette never listed "${title}"`);
        await page.waitForTimeout(1_000);
      }
    }
  }

  /** Picks an item in an open quick pick by (part of) its label. */
  async pick(text) {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(text);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
  }

  /** The content frame of the webview whose outer iframe is ready and has `selector`. */
  async webviewFrame(selector, timeout = 30_000) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        if (frame.name() === 'active-frame' || frame.url().includes('fake.html')) {
          try {
            if (await frame.locator(selector).count()) return frame;
          } catch { /* frame navigating */ }
        }
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error(`no webview frame with ${selector} within ${timeout} ms`);
  }

  async screenshot(name) {
    const path = join(this.shotsDir, `${this.prefix}-${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
