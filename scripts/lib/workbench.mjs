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

  /**
   * Waits for the quick pick or input box whose title or message holds `text`: right after a palette
   * command the palette's own input is still on screen, and typing into it would go astray. Only the
   * title and message count: the palette's input and list still show the command's name (and
   * `hasText` ignores case), so matching the whole widget could find the palette itself.
   */
  async quickInput(text) {
    await this.page.locator('.quick-input-widget :is(.quick-input-title, .quick-input-message)', { hasText: text }).first().waitFor({ timeout: 15_000 });
  }

  /**
   * Chooses an item of an open context menu. VS Code's menu takes mouse-up events only after its
   * opening animation, so a click can do nothing: hover, then Enter.
   */
  async chooseMenuItem(item) {
    await item.hover();
    await this.page.waitForTimeout(300);
    await this.page.keyboard.press('Enter');
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

  /** Opens a workspace file with Quick Open (Ctrl+P), as a person would, and waits for its tab. */
  async openFile(name) {
    const page = this.page;
    await page.keyboard.press('Control+P');
    await this.pick(name);
    await page.locator('.tab', { hasText: name }).first().waitFor({ timeout: 30_000 });
  }

  /**
   * Switches the colour theme with Ctrl+K Ctrl+T (typing the command's title in the palette can land
   * on "Browse Color Themes in Marketplace", which needs the network); waits for the workbench class
   * of the theme kind (`vs`, `vs-dark`, `hc-black`, `hc-light`) when given.
   */
  async theme(label, kindClass) {
    const page = this.page;
    await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+T');
    await this.pick(label);
    if (kindClass) await page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c), kindClass, { timeout: 15_000 });
    await page.waitForTimeout(500);
  }

  /** Hovers the status-bar item whose text matches `text` and returns its tooltip (a hover widget). */
  async statusTooltip(text, contains) {
    const page = this.page;
    const item = page.locator('.statusbar-item', { hasText: text }).first();
    await item.hover();
    const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: contains }).first();
    await hover.waitFor({ timeout: 15_000 });
    return hover;
  }

  async screenshot(name) {
    const path = join(this.shotsDir, `${this.prefix}-${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
