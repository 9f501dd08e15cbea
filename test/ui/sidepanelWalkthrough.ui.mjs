// UI tests of the walkthrough ("Get Started with Reasoning Lens"): its images are screenshots of the real
// UI taken here, step by step, as a new user would go: open a sample, see the heat map, prune from the
// palette, the side panel with its diff and the two generations, export, pick a model. Every run takes
// them in the dark theme (test-results/screenshots/walkthrough-*); `RL_UPDATE_WALKTHROUGH=1 npm run
// test:ui -- walkthrough` takes them in dark, light and high contrast and writes media/walkthrough/,
// which the walkthrough shows. The last test opens the walkthrough itself and checks every step's image.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clickPick, generateBoth, pickTheme, sideBarWidth, useLocalModel } from './sidepanel.ui.mjs';

const UPDATE = process.env.RL_UPDATE_WALKTHROUGH === '1';
const WALKTHROUGH = 'Get Started with Reasoning Lens';

/** The walkthrough's steps and the image file names its media name (read from package.json). */
function walkthroughSteps(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const walkthrough = pkg.contributes.walkthroughs.find((w) => w.title === WALKTHROUGH);
  assert.ok(walkthrough, `package.json has no walkthrough "${WALKTHROUGH}"`);
  return walkthrough.steps;
}

/** The quick-input widget with some of the window around it: what a picker looks like in context. */
async function pickerClip(page) {
  const box = await page.locator('.quick-input-widget').first().boundingBox();
  const view = page.viewportSize();
  const x = Math.max(0, box.x - 90);
  const width = Math.min(view.width - x, box.width + 180);
  return { x, y: 0, width, height: Math.min(view.height, box.y + box.height + 110) };
}

/** Waits for a picker titled like `title` to list `row`, then shoots it. */
async function shootPicker(page, path, title, row) {
  const widget = page.locator('.quick-input-widget', { hasText: title });
  await widget.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(300);
  await page.screenshot({ path, clip: await pickerClip(page) });
}

/** Closes whatever picker is open. */
async function dismiss(page) {
  for (let i = 0; i < 3 && await page.locator('.quick-input-widget').isVisible(); i++) {
    await page.keyboard.press('Escape');
    await page.waitForTimeout(200);
  }
}

/**
 * Goes through the walkthrough as a user and takes one image per step in `theme`, into `dir` as
 * `<image>-<theme>.png` (the names package.json gives the step's media).
 */
async function captureWalkthrough({ page, wb, server, root }, theme, dir) {
  useLocalModel(server, root);
  mkdirSync(dir, { recursive: true });
  const file = (step) => join(dir, `${step}-${theme}.png`);
  const openSample = async (shoot) => {
    await wb.runCommand('Reasoning Lens: Open Sample Trace');
    if (shoot) await shootPicker(page, file('open-sample'), 'Codeforces', 'Codeforces');
    await wb.pick('Codeforces');
    await page.locator('.tab', { hasText: 'response.md' }).first().waitFor({ timeout: 30_000 });
    // The file may already be open: wait for the picker to close before the next command.
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
  };
  // The theme picker needs an editor to start from.
  await openSample(false);
  if (theme !== 'dark') await pickTheme(page, theme);

  // 1. Open a sample.
  await openSample(true);
  await wb.runCommand('Reasoning Lens: Reset Pruning');

  // 2. The heat map: scored by the local model, a hover on a step.
  await wb.runCommand('Reasoning Lens: Score Trace');
  await page.locator('.statusbar-item', { hasText: /^[^~]*\d → [\d,]+ tokens/ }).first().waitFor({ timeout: 90_000 });
  await page.waitForFunction(() => [...document.querySelectorAll('.view-overlays div[class*="ced-"], .view-lines span[class*="ced-"]')]
    .some((s) => getComputedStyle(s).backgroundColor !== 'rgba(0, 0, 0, 0)'), null, { timeout: 30_000 });
  // The editor draws spaces as no-break spaces: \s matches both.
  const line = page.locator('.view-lines .view-line', { hasText: /^Hmm\.\sLet.s\sthink\sstep/ }).first();
  await line.hover({ position: { x: 120, y: 5 } });
  await page.locator('.monaco-hover', { hasText: /of [\d,]+/ }).first().waitFor({ timeout: 15_000 });
  const editor = await page.locator('.part.editor').first().boundingBox();
  const view = page.viewportSize();
  await page.screenshot({ path: file('heat-map'), clip: { x: editor.x, y: editor.y, width: editor.width, height: Math.min(640, view.height - editor.y) } });
  await page.mouse.move(5, 5);

  // 3. Prune from the palette: the methods with what each would keep.
  await wb.runCommand('Reasoning Lens: Prune with…');
  await shootPicker(page, file('prune'), 'Prune response.md', 'asap');
  await wb.pick('asap');
  await page.locator('.statusbar-item', { hasText: /\(−\d+%\)/ }).first().waitFor({ timeout: 30_000 });

  // 4. The side panel: the diff, the chart and its heat legend, the two generations and the verdict.
  await wb.runCommand('Reasoning Lens: Show Side Panel');
  const frame = await wb.webviewFrame('rl-panel h2', 60_000);
  await frame.locator('rl-panel h2', { hasText: 'response.md' }).waitFor({ timeout: 30_000 });
  await sideBarWidth(page, 560);
  await generateBoth(frame, 48);
  await frame.locator('rl-preview-pane [data-field="verdict"]').waitFor({ timeout: 120_000 });
  await wb.runCommand('View: Toggle Maximized Secondary Side Bar');
  await page.waitForTimeout(800);
  await frame.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file('side-panel') });
  await wb.runCommand('View: Toggle Maximized Secondary Side Bar');

  // 5. Export: the format picker.
  await page.locator('.tab', { hasText: 'response.md' }).first().click();
  await wb.runCommand('Reasoning Lens: Export Pruned Trace(s)…');
  await shootPicker(page, file('export'), 'Export Format', 'SFT-ready JSONL');
  await dismiss(page);

  // 6. Pick a model: the models found on this machine.
  await wb.runCommand('Reasoning Lens: Select Model…');
  await shootPicker(page, file('model'), 'Select Model', 'reasoning-lens-tiny');
  await dismiss(page);
  if (theme !== 'dark') await pickTheme(page, 'dark');
}

const capture = (theme) => ({
  name: `walkthrough: the images, taken from the real UI step by step (${theme})`,
  async run(context) {
    const shots = join(context.wb.shotsDir, 'walkthrough');
    await captureWalkthrough(context, theme, shots);
    const steps = walkthroughSteps(context.root);
    for (const step of steps) {
      const image = step.media.image[theme];
      const name = image.split('/').pop();
      assert.ok(existsSync(join(shots, name)), `step "${step.title}" names ${image}, which the walkthrough did not take`);
      if (UPDATE) copyFileSync(join(shots, name), join(context.root, image));
    }
    if (UPDATE) console.log(`    wrote ${steps.length} images for ${theme} into media/walkthrough/`);
  },
});

// Updating writes the images after the .vsix was packaged: the check of the walkthrough itself runs on
// the next run, with the new images inside.
export const tests = [
  ...(UPDATE ? ['dark', 'light', 'hc'] : ['dark']).map(capture),
  ...(UPDATE ? [] : [{
    name: 'walkthrough: opens from the Welcome page with six steps, each with its image',
    async run({ page, wb, root }) {
      const steps = walkthroughSteps(root);
      assert.ok(steps.length >= 5, `${steps.length} steps`);
      for (const step of steps) {
        for (const image of new Set(Object.values(step.media.image))) assert.ok(existsSync(join(root, image)), `${image} is missing: run RL_UPDATE_WALKTHROUGH=1`);
        assert.match(step.description, /\(command:reasoningLens\.\w+\)/, `step "${step.title}" has no button`);
      }
      // A window with room for the walkthrough's images (they show beside the steps when the editor is wide).
      await wb.runCommand('View: Close Primary Side Bar');
      await wb.runCommand('View: Hide Secondary Side Bar').catch(() => {});
      await wb.runCommand('Welcome: Open Walkthrough...');
      await clickPick(page, WALKTHROUGH);
      const welcome = page.locator('.gettingStartedContainer');
      await welcome.locator('.getting-started-step', { hasText: steps[0].title }).first().waitFor({ timeout: 30_000 });
      assert.equal(await welcome.locator('.getting-started-step').count(), steps.length);
      for (const step of steps) {
        await welcome.locator('.getting-started-step', { hasText: step.title }).first().click();
        const name = step.media.image.dark.split('/').pop();
        // The step's image (VS Code sets it through srcset), loaded from the installed extension and drawn.
        const shown = await page.waitForFunction((file) => [...document.querySelectorAll('.gettingStartedContainer .getting-started-media img')]
          .find((el) => decodeURIComponent(el.currentSrc).includes(file) && el.complete && el.naturalWidth > 0 && el.getBoundingClientRect().width > 100)
          ?.getAttribute('alt'), name, { timeout: 15_000 });
        assert.equal(await shown.jsonValue(), step.media.altText);
        assert.doesNotMatch(await welcome.locator('.getting-started-step', { hasText: step.title }).first().innerText(), /`/, 'a backtick shows literally');
      }
      await welcome.locator('.getting-started-step', { hasText: steps[3].title }).first().click();
      await page.waitForTimeout(500);
      await wb.screenshot('dark-walkthrough');
    },
  }]),
];
