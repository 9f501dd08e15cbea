/**
 * `reasoning-lens` command-line entry point: a table of subcommands (other modules add `score`,
 * `prune`, `serve`). `main` is callable from tests with injected writers.
 */
import { inspectCommand } from './inspect';
import { serveCommand } from './serve';
import { scoreCommand } from './score';
import { pruneCommand } from './prune';
import { statsCommand } from './stats';
import { EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from './io';

export type { CliCommand, CliIo } from './io';

/** The subcommands, by name. */
export const commands: Record<string, CliCommand> = {
  inspect: inspectCommand,
  serve: serveCommand,
  score: scoreCommand,
  prune: pruneCommand,
  stats: statsCommand,
};

function usage(): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  return `usage: reasoning-lens <command> [options]\n\ncommands:\n${names.map((n) => `  ${n.padEnd(width)}  ${commands[n]!.summary}`).join('\n')}\n`;
}

let quietOnClosedPipe = false;

/**
 * `reasoning-lens inspect … | head` closes the pipe early: stop quietly (exit 0, no EPIPE stack)
 * instead of writing on into a closed stdout. Installed once, by whichever entry runs `main`.
 */
function exitQuietlyOnClosedPipe(): void {
  if (quietOnClosedPipe) return;
  quietOnClosedPipe = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/** Writes to the process's stdout, stopping quietly when its reader has gone. */
function writeStdout(s: string): void {
  exitQuietlyOnClosedPipe();
  // The reader is gone: like a program killed by SIGPIPE, stop now instead of reading on.
  if (process.stdout.destroyed || !process.stdout.writable) process.exit(process.exitCode ?? 0);
  process.stdout.write(s);
}

/** Bytes stdout may hold for a slow reader before a streaming command waits for it. */
const STDOUT_BUFFER = 1 << 20;

/** Waits while stdout holds more than {@link STDOUT_BUFFER} bytes (pipes are asynchronous in Node). */
function drainStdout(): Promise<void> {
  if (process.stdout.writableLength <= STDOUT_BUFFER) return Promise.resolve();
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = { stdout: writeStdout, stderr: (s) => process.stderr.write(s), drain: drainStdout }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.stdout : io.stderr)(usage());
    return name ? EXIT_OK : EXIT_USAGE;
  }
  const command = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr(`reasoning-lens: unknown command '${name}'\n${usage()}`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}

// When bundled into a test file the bundle is the main module too: the test runner marks its children.
if (require.main === module && !process.env.NODE_TEST_CONTEXT) {
  exitQuietlyOnClosedPipe();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`reasoning-lens: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
