/**
 * Atomic file writes: the content goes to a temporary file in the target's own folder (same file
 * system, so `rename` is atomic), is flushed to disk, then renamed over the target. A reader sees the
 * old file or the new one, never half of one; a failed or cancelled write leaves the target untouched.
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** The export target is the source itself (or a file inside a source folder). */
export class SourceOverwriteError extends Error {
  override readonly name = 'SourceOverwriteError';
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

/**
 * Throws `SourceOverwriteError` when `target` is `source`, or lies inside `source` when it is a folder
 * (a Thought-Anchors problem folder): the source of an export is never overwritten.
 */
export async function assertNotSource(source: string, target: string): Promise<void> {
  const [s, t] = await Promise.all([canonical(source), canonical(target)]);
  if (s === t || t.startsWith(`${s}/`) || t.startsWith(`${s}\\`)) {
    throw new SourceOverwriteError(`refusing to write over the source ${source}: pick another file name (the original trace is never modified)`);
  }
}

/**
 * Writes `content` (a string or a sequence of chunks) to `target` atomically. Rejects (leaving `target`
 * as it was and no temporary file behind) when a chunk fails or `signal` aborts.
 */
export async function writeFileAtomic(
  target: string,
  content: string | Iterable<string> | AsyncIterable<string>,
  options: { signal?: AbortSignal; mode?: number } = {},
): Promise<{ bytes: number }> {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', options.mode ?? 0o644);
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
      if (options.signal?.aborted) throw Object.assign(new Error('write cancelled'), { name: 'AbortError' });
      pending.push(chunk);
      pendingLength += chunk.length;
      if (pendingLength >= 1 << 20) await flush();
    }
    await flush();
    await handle.sync();
    await handle.close();
    await rename(tmp, target);
    renamed = true;
    return { bytes };
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    }
  }
}
