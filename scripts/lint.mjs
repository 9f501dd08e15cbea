// House rules no compiler checks:
// 1. The layers that also run outside VS Code (src/core, src/shared, src/model, src/pipeline, src/cli:
//    the CLI, the tests, the webview, worker threads) never import `vscode` at runtime; `import type`
//    is allowed.
// 2. The webview never imports from src/ outside src/shared.
// 3. Every command in package.json has the category "Reasoning Lens"; every setting is reasoningLens.*.
// 4. package.json's segmentation enum lists the modes of src/shared/vocabulary.ts, in order.
// 5. A pruning-method id is spelled out only in the registry (src/core/prune/methods.ts): anywhere
//    else in src/ a string literal used as a method id (where a `PruneMethodId` is expected, compared
//    with one, or a `case` of a switch over one) is a copy of the registry that will drift. Judged by
//    the type checker, not by the word: `confidence` is also a metric and `loops` a statistic, and
//    those uses are fine. Tests may use ids.
// `node scripts/lint.mjs [--root DIR]` (DIR: another checkout, for the lint's own test).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : fileURLToPath(new URL('..', import.meta.url));
const problems = [];
const walk = (dir) => !existsSync(dir) ? [] : readdirSync(dir).flatMap((n) => {
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
const REGISTRY = 'src/core/prune/methods.ts';
const VOCABULARY = 'src/shared/vocabulary.ts';
const vocabularyText = existsSync(join(root, VOCABULARY)) ? readFileSync(join(root, VOCABULARY), 'utf8') : '';
if (!existsSync(join(root, REGISTRY))) problems.push(`${REGISTRY}: the method registry is missing`);
for (const { file, line, id } of methodIdLiterals(walk(join(root, 'src')).filter((f) => relPath(f) !== REGISTRY))) {
  problems.push(`${file}:${line}: the pruning-method id '${id}' is spelled out; use METHOD.… or a field of its record in ${REGISTRY}`);
}

function relPath(file) {
  return relative(root, file).split('\\').join('/');
}

/** String literals that the type checker sees used as a `PruneMethodId`, outside the registry. */
function methodIdLiterals(files) {
  const program = ts.createProgram({
    rootNames: files,
    options: { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: [] },
  });
  const checker = program.getTypeChecker();
  /** `PruneMethodId` (or a union of its members, with undefined/null): what a method id is typed as. */
  const isMethodIdType = (type) => {
    if (!type) return false;
    if (type.aliasSymbol?.name === 'PruneMethodId') return true;
    const members = (type.isUnion() ? type.types : [type]).filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    return members.length > 1 && members.every((t) => t.aliasSymbol?.name === 'PruneMethodId' || (t.isStringLiteral() && registryIds(t)));
  };
  /** Literal types that come from the registry's METHOD object are method ids. */
  const registryIds = (t) => t.symbol === undefined && typeof t.value === 'string' && methodIdTypes.has(t.value);
  const methodIdTypes = new Set();
  const registry = program.getSourceFile(join(root, REGISTRY));
  if (registry) {
    ts.forEachChild(registry, function visit(node) {
      if (ts.isTypeAliasDeclaration(node) && node.name.text === 'PruneMethodId') {
        const type = checker.getTypeAtLocation(node.name);
        for (const t of type.isUnion() ? type.types : [type]) if (t.isStringLiteral()) methodIdTypes.add(t.value);
      }
      ts.forEachChild(node, visit);
    });
  }
  const found = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !files.includes(sf.fileName)) continue;
    const visit = (node) => {
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && methodIdTypes.has(node.text) && usedAsMethodId(node)) {
        found.push({ file: relPath(sf.fileName), line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, id: node.text });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;

  function usedAsMethodId(node) {
    const parent = node.parent;
    if (ts.isBinaryExpression(parent) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken].includes(parent.operatorToken.kind)) {
      const other = parent.left === node ? parent.right : parent.left;
      return isMethodIdType(checker.getTypeAtLocation(other));
    }
    if (ts.isCaseClause(parent)) return isMethodIdType(checker.getTypeAtLocation(parent.parent.parent.expression));
    return isMethodIdType(checker.getContextualType(node));
  }
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const c of pkg.contributes?.commands ?? []) {
  if (c.category !== 'Reasoning Lens') problems.push(`package.json: command ${c.command} has no category "Reasoning Lens"`);
  if (!c.command.startsWith('reasoningLens.')) problems.push(`package.json: command ${c.command} is not under reasoningLens.`);
}
for (const key of Object.keys(pkg.contributes?.configuration?.properties ?? {})) {
  if (!key.startsWith('reasoningLens.')) problems.push(`package.json: setting ${key} is not under reasoningLens.`);
}
// package.json cannot import the vocabulary: its segmentation enum must list the same modes.
const modesBlock = /export const SEGMENTATION_MODES = \[([^\]]*)\]/.exec(vocabularyText);
const modes = [...(modesBlock?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
const setting = pkg.contributes?.configuration?.properties?.['reasoningLens.segmentation'];
if (setting && JSON.stringify(setting.enum) !== JSON.stringify(modes)) {
  problems.push(`package.json: reasoningLens.segmentation lists ${JSON.stringify(setting.enum)}, ${VOCABULARY} has ${JSON.stringify(modes)}`);
}
if ((pkg.activationEvents ?? []).includes('*')) problems.push('package.json: activation on "*" is not allowed');

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('lint: no problems');
