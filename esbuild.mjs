// Bundles every entry point. `node esbuild.mjs [--watch] [--production]`.
// - extension (CommonJS, Node; `vscode`, `onnxruntime-node` and `node-llama-cpp` external: native addons
//   shipped in the .vsix under node_modules)
// - the ONNX worker child process and the CLI (same externals)
// - the webview (browser ESM; Lit + @vscode-elements/elements bundled in, no CDN) and the codicon font
//   with its style sheet (`<vscode-icon>` and icon buttons need both on the page; no CDN either)
// - the integration-test suite that runs inside VS Code's extension host (mocha stays external)
import { context, build } from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const nodeExternals = ['vscode', 'onnxruntime-node', 'node-llama-cpp'];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'linked',
};

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  {
    ...common,
    entryPoints: { extension: 'src/extension.ts' },
    outdir: 'out',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
  },
  {
    ...common,
    entryPoints: { 'webview/panel': 'webview/panel/main.ts', 'webview/dataset': 'webview/dataset/main.ts' },
    outdir: 'out',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
  },
  {
    ...common,
    sourcemap: false,
    entryPoints: { 'webview/codicon': 'node_modules/@vscode/codicons/dist/codicon.css' },
    outdir: 'out',
    loader: { '.ttf': 'file' },
    assetNames: 'webview/[name]',
  },
  {
    ...common,
    sourcemap: 'inline',
    entryPoints: ['test/integration/suite/*.ts'],
    outdir: 'out/test/suite',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: [...nodeExternals, 'mocha'],
  },
];
for (const [name, entry] of [['cli', 'src/cli/main.ts'], ['onnxWorker', 'src/model/onnx/worker.ts'], ['cliWorker', 'src/cli/worker.ts'], ['tokenizerWorker', 'src/model/tokenizerWorker.ts']]) {
  if (existsSync(entry)) targets[0].entryPoints[name] = entry;
}

if (watch) {
  const contexts = await Promise.all(targets.map((t) => context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  const started = Date.now();
  await Promise.all(targets.map((t) => build(t)));
  console.log(`esbuild: built ${targets.length} bundles in ${Date.now() - started} ms`);
}
