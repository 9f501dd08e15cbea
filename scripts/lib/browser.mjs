// Headless Debian Chromium driven by playwright-core (never `npx playwright install`: no download).
import { chromium } from 'playwright-core';
import { ensureChromium } from './env.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Launches headless Chromium with the flags that keep it off the (closed) network. */
export async function launchBrowser() {
  const executablePath = ensureChromium();
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/** The workbench URL for a folder, optionally with a smoke-test payload (see vscode-testing notes). */
export function workbenchUrl(server, folder, payload) {
  const u = new URL(server.url + '/');
  u.searchParams.set('folder', folder);
  if (payload) u.searchParams.set('payload', JSON.stringify(payload));
  return u.toString();
}
