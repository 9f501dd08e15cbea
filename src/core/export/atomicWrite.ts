/**
 * Writing outputs safely. Atomic writes: the content goes to a temporary file in the target's own
 * folder (same file system, so `rename` is atomic), is flushed to disk, then renamed over the target.
 * A reader sees the old file or the new one, never half of one; a failed or cancelled write leaves the
 * target untouched. Output checks: an output is compared with every input by device and inode (hard
 * links, symlinks and bind mounts name the same file under another path), a dangling symlink is never
 * followed, and a missing output folder is reported as such.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AbortError } from '../cancel';

/** The export target is the source itself (or a file inside a source folder). */
export class SourceOverwriteError extends Error {
  override readonly name = 'SourceOverwriteError';
}

/** The output path cannot be written as given (missing folder, a folder, a dangling symlink). */
export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}

async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    // The target may not exist yet: resolve its folder instead.
    try {
      return join(await realpath(dirname(resolve(path))), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

const statOrUndefined = (path: string): Promise<Stats | undefined> => stat(path).catch(() => undefined);
const sameFile = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * Throws `SourceOverwriteError` when `target` is `source` (same path, a symlink to it, a hard link, the
 * same file through a bind mount), or lies inside `source` when it is a folder (a Thought-Anchors
 * problem folder), or is one of the files in that folder: the source of an export is never overwritten.
 */
export async function assertNotSource(source: string, target: string): Promise<void> {
  const refuse = (): never => {
    throw new SourceOverwriteError(`refusing to write over the source ${source}: pick another file name (the original trace is never modified)`);
  };
  const [s, t] = await Promise.all([canonical(source), canonical(target)]);
  if (s === t || t.startsWith(`${s}/`) || t.startsWith(`${s}\\`)) refuse();
  const [sourceStat, targetStat] = await Promise.all([statOrUndefined(source), statOrUndefined(target)]);
  if (!sourceStat) return;
  if (targetStat && sameFile(sourceStat, targetStat)) refuse();
  if (!sourceStat.isDirectory()) return;
  // A folder: the target's folder (or any folder above it) is the source under another name, or the
  // target is one of the files the folder's trace is read from.
  for (let dir = resolve(dirname(target)); ; dir = dirname(dir)) {
    const d = await statOrUndefined(dir);
    if (d && sameFile(d, sourceStat)) refuse();
    if (dirname(dir) === dir) break;
  }
  if (!targetStat) return;
  for (const name of await readdir(source).catch(() => [] as string[])) {
    const f = await statOrUndefined(join(source, name));
    if (f && sameFile(f, targetStat)) refuse();
  }
}

/** What {@link checkOutput} found about an output path. */
export interface OutputCheck {
  /** Something (a file, or a symlink to one) is at the path. */
  readonly exists: boolean;
  /** The path is a symlink to nothing; with `force` it is replaced by a regular file, never followed. */
  readonly danglingLink: boolean;
}

/**
 * Checks an output path before anything is written: its folder exists (or, with `createFolder`, is
 * created once the other checks pass), it is not a folder, it is none
 * of `inputs` (see {@link assertNotSource}), and it is not a dangling symlink (whose target a write
 * would create wherever it points) unless `force` is set. Throws `OutputPathError` /
 * `SourceOverwriteError` with a message that says what to do.
 */
export async function checkOutput(inputs: string | readonly string[], output: string, options: { force?: boolean; createFolder?: boolean } = {}): Promise<OutputCheck> {
  const folder = dirname(resolve(output));
  for (const input of typeof inputs === 'string' ? [inputs] : inputs) await assertNotSource(input, output);
  let folderStat = await statOrUndefined(folder);
  if (!folderStat && options.createFolder) {
    // The editor's export creates the folder the user typed (the CLI names a missing one instead).
    await mkdir(folder, { recursive: true });
    folderStat = await statOrUndefined(folder);
  }
  if (!folderStat) throw new OutputPathError(`the output folder ${folder} does not exist: create it first, or pick another output path`);
  if (!folderStat.isDirectory()) throw new OutputPathError(`the output's folder ${folder} is not a folder`);
  const link = await lstat(output).catch(() => undefined);
  if (!link) return { exists: false, danglingLink: false };
  const target = await statOrUndefined(output);
  if (link.isSymbolicLink() && !target) {
    if (!options.force) {
      const to = await readlink(output).catch(() => '?');
      throw new OutputPathError(`${output} is a symbolic link to ${to}, which does not exist: refusing to follow it (use --force to replace the link itself with a regular file)`);
    }
    return { exists: true, danglingLink: true };
  }
  if (target?.isDirectory()) throw new OutputPathError(`${output} is a folder: give a file name`);
  return { exists: true, danglingLink: false };
}

/**
 * Writes `content` (a string or a sequence of chunks) to `target` atomically. Rejects (leaving `target`
 * as it was and no temporary file behind) when a chunk fails or `signal` aborts. A replaced file keeps
 * its permission bits (a 0600 file stays 0600). `keep`, asked once all content is written, can decline
 * the result (e.g. nothing was pruned): then nothing is written and `written` is false.
 */
export async function writeFileAtomic(
  target: string,
  content: string | Iterable<string> | AsyncIterable<string>,
  options: { signal?: AbortSignal; mode?: number; keep?: () => boolean } = {},
): Promise<{ bytes: number; written: boolean }> {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const previous = await statOrUndefined(target);
  const keepMode = options.mode ?? (previous?.isFile() ? previous.mode & 0o7777 : undefined);
  // A new file gets the usual mode (umask applies); a replacement stays private until it gets the old file's mode.
  const handle = await open(tmp, 'wx', keepMode === undefined ? 0o666 : 0o600);
  let bytes = 0;
  let renamed = false;
  try {
    const chunks: Iterable<string> | AsyncIterable<string> = typeof content === 'string' ? [content] : content;
    let pending: string[] = [];
    let pendingLength = 0;
    const flush = async (): Promise<void> => {
      if (!pending.length) return;
      const buf = Buffer.from(pending.join(''), 'utf8');
      pending = [];
      pendingLength = 0;
      await handle.write(buf, 0, buf.length);
      bytes += buf.length;
    };
    for await (const chunk of chunks) {
      if (options.signal?.aborted) throw new AbortError('write cancelled');
      pending.push(chunk);
      pendingLength += chunk.length;
      if (pendingLength >= 1 << 20) await flush();
    }
    await flush();
    if (options.keep && !options.keep()) return { bytes, written: false };
    if (keepMode !== undefined) await handle.chmod(keepMode);
    await handle.sync();
    await handle.close();
    await rename(tmp, target);
    renamed = true;
    return { bytes, written: true };
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    }
  }
}
