// House rules no compiler checks:
// 1. The layers that also run outside VS Code (src/core, src/shared, src/model, src/pipeline, src/cli:
//    the CLI, the tests, the webview, worker threads) never import `vscode` at runtime; `import type`
//    is allowed.
// 2. The webview never imports from src/ outside src/shared.
// 3. Every command in package.json has the category "Reasoning Lens"; every setting is reasoningLens.*.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const problems = [];
const walk = (dir) => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n);
  return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
});

const runtimeVscode = /^\s*(import\s+(?!type\b)[^;]*from\s+['"]vscode['"]|import\s+['"]vscode['"]|.*\brequire\(\s*['"]vscode['"]\s*\))/m;
const PURE_LAYERS = ['src/core', 'src/shared', 'src/model', 'src/pipeline', 'src/cli'];
for (const file of PURE_LAYERS.flatMap((dir) => walk(join(root, dir)))) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (runtimeVscode.test(line)) problems.push(`${relative(root, file)}:${i + 1}: imports 'vscode' at runtime (${PURE_LAYERS.join(', ')} must not)`);
  });
}
for (const file of walk(join(root, 'webview'))) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const m = /from\s+['"]((?:\.\.\/)+src\/([^'"]+))['"]/.exec(line);
    if (m && !m[2].startsWith('shared/')) problems.push(`${relative(root, file)}:${i + 1}: the webview may import only src/shared (found ${m[1]})`);
  });
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const c of pkg.contributes?.commands ?? []) {
  if (c.category !== 'Reasoning Lens') problems.push(`package.json: command ${c.command} has no category "Reasoning Lens"`);
  if (!c.command.startsWith('reasoningLens.')) problems.push(`package.json: command ${c.command} is not under reasoningLens.`);
}
for (const key of Object.keys(pkg.contributes?.configuration?.properties ?? {})) {
  if (!key.startsWith('reasoningLens.')) problems.push(`package.json: setting ${key} is not under reasoningLens.`);
}
if ((pkg.activationEvents ?? []).includes('*')) problems.push('package.json: activation on "*" is not allowed');

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('lint: no problems');
