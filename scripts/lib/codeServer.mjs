// Starts code-server (a real VS Code, Node extension host) bound to 127.0.0.1 on a free port, with all
// its state in a scratch folder, in its own process group so that stopping it stops everything it
// started (file watchers, extension hosts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureCodeServer, node24Env } from './env.mjs';

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A short scratch folder (unix socket paths must stay under 107 bytes). */
export function makeScratch(tag) {
  return mkdtempSync(`/tmp/rl-${tag}-`);
}

const DEFAULT_SETTINGS = {
  'chat.disableAIFeatures': true,
  // With AI features off, the secondary side bar would open on an empty Chat container in every new
  // window; it opens when a view is shown there (the side panel: Show Side Panel, the status bar).
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'git.enabled': false,
  'window.commandCenter': false,
};

const live = new Set();
function stopAllSync() {
  for (const pgid of live) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
}
process.once('exit', stopAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { stopAllSync(); process.exit(130); });
}

/** Sets up the scratch layout and returns the env code-server and its CLI run with. */
function prepare(scratch, settings) {
  const dirs = { config: join(scratch, 'c'), data: join(scratch, 'd'), cache: join(scratch, 'k'), tmp: join(scratch, 't'),
    userData: join(scratch, 'ud'), extensions: join(scratch, 'ext') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
  writeFileSync(join(scratch, 'config.yaml'), 'auth: none\ncert: false\n');
  const { exe, node24 } = ensureCodeServer();
  const env = node24Env(node24, {
    XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, XDG_CACHE_HOME: dirs.cache, TMPDIR: dirs.tmp,
    ORT_DISABLE_TELEMETRY: '1',
  });
  delete env.VSCODE_IPC_HOOK_CLI;
  const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
  return { exe, env, dirs, common };
}

/** Installs a .vsix into the scratch profile's extensions folder. */
export function installVsix(scratch, vsixPath, settings = {}) {
  const { exe, env, common } = prepare(scratch, settings);
  const r = spawnSync(exe, [...common, '--install-extension', vsixPath, '--force'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`installing ${vsixPath} failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Starts code-server. `smokeTestDriver` enables the workbench's test hooks (payload URLs with
 * extensionDevelopmentPath/extensionTestsPath, `codeAutomationExit`); it also hides notification
 * toasts, so UI tests run without it.
 */
export async function startCodeServer({ scratch, smokeTestDriver = false, settings = {}, port, host = '127.0.0.1', workspaceTrust = false, env: extraEnv = {} }) {
  const prepared = prepare(scratch, settings);
  const { exe, dirs, common } = prepared;
  const env = { ...prepared.env, ...extraEnv };
  port ??= await freePort();
  const args = [
    '--config', join(scratch, 'config.yaml'), ...common,
    '--auth', 'none', '--bind-addr', `${host}:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
  ];
  // Tests run in a trusted workspace unless they exercise Restricted Mode themselves.
  if (!workspaceTrust) args.push('--disable-workspace-trust');
  if (smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  const logFile = join(scratch, 'code-server.log');
  const out = openSync(logFile, 'a');
  const child = spawn(exe, args, { env, detached: true, stdio: ['ignore', out, out] });
  live.add(child.pid);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited (${JSON.stringify(exited)}); log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`code-server did not answer /healthz in 90 s; log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  async function stopGracefully() {
    if (!live.has(child.pid)) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    const until = Date.now() + 5_000;
    while (exited === null && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    stop();
  }
  function stop() {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    live.delete(child.pid);
  }
  return { url, port, host, logFile, dirs, stop: stopGracefully };
}

/** Removes a scratch folder, tolerating files still being released. */
export function removeScratch(scratch) {
  rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
}
