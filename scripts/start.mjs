#!/usr/bin/env node
// `npm start`: opens VS Code with the extension running on media/samples and the embedded model.
// With a desktop `code` on PATH: `code --extensionDevelopmentPath=<repo> media/samples`.
// Otherwise: builds and packages the extension, installs it into a scratch code-server profile, starts
// code-server on 127.0.0.1 and prints the URL. Ctrl+C stops everything (the whole process group).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installVsix, makeScratch, removeScratch, startCodeServer } from './lib/codeServer.mjs';
import { workbenchUrl } from './lib/browser.mjs';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const samples = join(root, 'media', 'samples');
const hasDesktopCode = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).status === 0 && !process.env.RL_FORCE_CODE_SERVER;

const build = spawnSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

if (hasDesktopCode) {
  console.log('Starting desktop VS Code with the extension under development…');
  const child = spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, samples], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const pack = spawnSync(process.execPath, [join(root, 'scripts/package.mjs'), 'linux-x64'], { cwd: root, stdio: 'inherit' });
  if (pack.status !== 0) process.exit(pack.status ?? 1);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const scratch = makeScratch('start');
  const workspace = join(scratch, 'samples');
  cpSync(samples, workspace, { recursive: true });
  installVsix(scratch, join(root, 'dist', `${pkg.name}-linux-x64-${pkg.version}.vsix`));
  const port = process.env.PORT ? Number(process.env.PORT) : undefined;
  // The Welcome page lists the "Get Started with Reasoning Lens" walkthrough.
  const server = await startCodeServer({ scratch, port, settings: { 'workbench.startupEditor': 'welcomePage' } });
  console.log(`\nReasoning Lens is running in VS Code (code-server) at:\n\n  ${workbenchUrl(server, workspace)}\n`);
  console.log(`Workspace: a scratch copy of media/samples (${workspace}). Press Ctrl+C to stop.`);
  const shutdown = async () => {
    await server.stop();
    removeScratch(scratch);
    process.exit(0);
  };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  setInterval(() => {}, 1 << 30);
}
