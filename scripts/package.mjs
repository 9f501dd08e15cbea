// `npm run package`: production build, then one .vsix per platform with only that platform's
// onnxruntime-node binaries (vsce --target). Prints each file's size.
// Usage: node scripts/package.mjs [target …]   (default: linux-x64; `all` for every supported target)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipEntries } from './lib/zipEntries.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** vsce target → onnxruntime-node's bin/napi-v6/<os>/<arch> folder. */
const TARGETS = {
  'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64',
  'darwin-x64': 'darwin/x64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64',
};
let requested = process.argv.slice(2);
if (requested.length === 0) requested = ['linux-x64'];
if (requested.includes('all')) requested = Object.keys(TARGETS);
for (const t of requested) if (!TARGETS[t]) { console.error(`unknown target ${t}; one of ${Object.keys(TARGETS).join(', ')}`); process.exit(2); }

const sh = (cmd, args, extra = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...extra });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
sh(process.execPath, ['esbuild.mjs', '--production']);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const base = readFileSync(join(root, '.vscodeignore'), 'utf8');
const ortBin = join(root, 'node_modules/onnxruntime-node/bin/napi-v6');
mkdirSync(join(root, 'dist'), { recursive: true });
for (const target of requested) {
  // vsce has no per-target ignore file: write one that re-includes only this platform's binaries.
  if (!existsSync(join(ortBin, TARGETS[target]))) console.warn(`warning: onnxruntime-node has no binaries for ${target}`);
  const ignoreFile = join(root, 'dist', `.vscodeignore-${target}`);
  writeFileSync(ignoreFile, `${base}\n# generated for ${target}\n!node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[target]}/**\n`);
  const out = join(root, 'dist', `${pkg.name}-${target}-${pkg.version}.vsix`);
  sh(join(root, 'node_modules/.bin/vsce'), ['package', '--target', target, '--ignoreFile', ignoreFile, '--out', out]);
  const mb = statSync(out).size / (1 << 20);
  checkContents(out);
  console.log(`${out.replace(root, '')}: ${mb.toFixed(1)} MB`);
}

/**
 * What the .vsix must and must not carry: the bundles the extension and the CLI run (the CLI's worker
 * threads included: `bin/reasoning-lens.js` ships, so `reasoning-lens prune` must work from it), and
 * no source maps (stale dev-build maps once shipped 909 kB of source).
 */
function checkContents(vsix) {
  const names = zipEntries(vsix);
  const problems = [];
  for (const required of ['out/extension.js', 'out/onnxWorker.js', 'out/cli.js', 'out/cliWorker.js', 'bin/reasoning-lens.js', 'out/webview/panel.js', 'out/webview/dataset.js']) {
    if (!names.includes(`extension/${required}`)) problems.push(`missing ${required}`);
  }
  for (const name of names) if (name.endsWith('.map')) problems.push(`source map ${name}`);
  if (problems.length) {
    console.error(`${vsix}: ${problems.join('; ')}`);
    process.exit(1);
  }
  console.log(`${vsix.replace(root, '')}: ${names.length} files checked (CLI and its worker present, no source maps)`);
}
