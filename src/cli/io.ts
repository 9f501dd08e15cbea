/** Output channels of a CLI command, injectable from tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Resolves once stdout has taken what was written (a pipe to a slow reader buffers writes in this
   * process): streaming commands await it after each trace so that memory stays bounded.
   */
  readonly drain?: () => Promise<void>;
}

/** A subcommand: `run` gets the arguments after the command name and returns the exit code. */
export interface CliCommand {
  readonly summary: string;
  readonly usage: string;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

/** Exit codes shared by all commands. */
export const EXIT_OK = 0;
/** Nothing could be read / the command failed. */
export const EXIT_FAILURE = 1;
/** Bad arguments. */
export const EXIT_USAGE = 2;
