/**
 * The CLI as the benchmarks run it: bundled from the current source (with its worker threads and the
 * model process) into `out/<name>`, inside the repository so that the native externals resolve from
 * its node_modules. One place for the externals, so that no benchmark builds a CLI that cannot load.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Bundles the CLI into `out/<name>` under `repo`; returns the path of its `cli.js`. */
export async function buildCli(repo: string, name: string): Promise<string> {
  const outdir = join(repo, 'out', name);
  const { build } = createRequire(join(repo, 'package.json'))('esbuild') as typeof import('esbuild');
  await build({
    entryPoints: { cli: join(repo, 'src/cli/main.ts'), cliWorker: join(repo, 'src/cli/worker.ts'), onnxWorker: join(repo, 'src/model/onnx/worker.ts') },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['onnxruntime-node', 'node-llama-cpp', 'vscode'],
    logLevel: 'warning',
  });
  return join(outdir, 'cli.js');
}
