/**
 * On-disk cache of token tables, keyed by (trace content, backend id). Token-level (not step-level)
 * so that a change of segmentation is answered from the cache without a model call. One small binary
 * file per entry, written atomically (temp file + rename); a corrupt or foreign file is a miss.
 *
 * Keys hash length-prefixed fields (two different traces never share an entry by moving text across
 * the prompt/reasoning boundary); a cached table is checked against the trace before it is used
 * (offsets inside the reasoning, in order); the folder is capped (default 256 MB) and evicts the least
 * recently used entries (a hit refreshes an entry's time).
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Trace } from '../core/trace/types';
import type { TokenTable } from '../core/tokenTable';

const MAGIC = 0x524c5443; // "RLTC"
const VERSION = 3;
const EXTENSION = '.rltc';

/** Default size cap of the cache folder (the `reasoningLens.scoreCache.maxSizeMB` setting). */
export const DEFAULT_SCORE_CACHE_BYTES = 256 * 1024 * 1024;

interface Header {
  readonly version: number;
  readonly count: number;
  /** Length of the reasoning the offsets refer to (UTF-16 code units). */
  readonly reasoningLength: number;
  /** The entry's key, so a file renamed or copied over another entry is a miss. */
  readonly key: string;
  readonly entropyKind?: 'full' | 'top-k';
  readonly window?: TokenTable['window'] | undefined;
  readonly hasEntropy: boolean;
  readonly hasConfidence: boolean;
  readonly hasRank?: boolean;
}

/** Feeds each field as its byte length (8 bytes) then its UTF-8 bytes: no two field lists hash alike. */
function updateFields(hash: Hash, ...fields: string[]): Hash {
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(bytes.length));
    hash.update(length).update(bytes);
  }
  return hash;
}

/** Content hash of what a backend scores for a trace (prompt and reasoning, length-prefixed). */
export function traceContentHash(trace: Trace): string {
  return updateFields(createHash('sha256'), 'trace-content', trace.prompt, trace.reasoning).digest('hex');
}

/**
 * True when `table` can describe `reasoning`: every span inside it, starts in order, arrays of one
 * length. A table that fails this is never used (it would misplace every score).
 */
export function tableFitsText(table: TokenTable, reasoningLength: number): boolean {
  const n = table.starts.length;
  if (table.ends.length !== n || table.logprob.length !== n) return false;
  if ((table.entropy && table.entropy.length !== n) || (table.confidence && table.confidence.length !== n) || (table.rank && table.rank.length !== n)) return false;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const s = table.starts[i]!;
    const e = table.ends[i]!;
    if (s < previous || s > e || e > reasoningLength) return false;
    previous = s;
  }
  return true;
}

/** A folder of cached token tables. */
export class ScoreCache {
  private readonly maxBytes: () => number;

  /** `maxBytes`: the folder's size cap, or a function read at each write (a setting); 0 disables writing. */
  constructor(private readonly folder: string, maxBytes: number | (() => number) = DEFAULT_SCORE_CACHE_BYTES) {
    this.maxBytes = typeof maxBytes === 'number' ? () => maxBytes : maxBytes;
  }

  private key(trace: Trace, backendId: string): string {
    return updateFields(createHash('sha256'), 'score-cache', traceContentHash(trace), backendId).digest('hex');
  }

  private path(key: string): string {
    return join(this.folder, `${key.slice(0, 40)}${EXTENSION}`);
  }

  /** The cached table, or undefined (missing, unreadable, from another format version, or not fitting the trace). */
  async get(trace: Trace, backendId: string): Promise<TokenTable | undefined> {
    const key = this.key(trace, backendId);
    const path = this.path(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return undefined;
    }
    let table: TokenTable | undefined;
    try {
      table = decode(bytes, key, trace.reasoning.length);
    } catch {
      table = undefined;
    }
    if (!table || !tableFitsText(table, trace.reasoning.length)) {
      await unlink(path).catch(() => undefined);
      return undefined;
    }
    // Least recently used is judged by the file's time: a hit makes the entry recent.
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return table;
  }

  /** Stores a table (unless it does not fit the trace or exceeds the cap), then evicts down to the cap. */
  async set(trace: Trace, backendId: string, table: TokenTable): Promise<void> {
    const cap = this.maxBytes();
    if (!tableFitsText(table, trace.reasoning.length)) return;
    const key = this.key(trace, backendId);
    const bytes = encode(table, key, trace.reasoning.length);
    if (bytes.length > cap) return;
    await mkdir(this.folder, { recursive: true });
    const target = this.path(key);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temp, bytes);
      await rename(temp, target);
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
    await this.evict(cap, target);
  }

  /** Deletes the least recently used entries until the folder holds at most `cap` bytes (never `keep`). */
  async evict(cap = this.maxBytes(), keep?: string): Promise<{ bytes: number; removed: number }> {
    const names = await readdir(this.folder).catch(() => [] as string[]);
    const entries: { path: string; size: number; time: number }[] = [];
    for (const name of names) {
      if (!name.endsWith(EXTENSION)) continue;
      const path = join(this.folder, name);
      const s = await stat(path).catch(() => undefined);
      if (s?.isFile()) entries.push({ path, size: s.size, time: s.mtimeMs });
    }
    let bytes = entries.reduce((n, e) => n + e.size, 0);
    let removed = 0;
    entries.sort((a, b) => a.time - b.time);
    for (const e of entries) {
      if (bytes <= cap) break;
      if (e.path === keep) continue;
      await unlink(e.path).catch(() => undefined);
      bytes -= e.size;
      removed++;
    }
    return { bytes, removed };
  }
}

function encode(t: TokenTable, key: string, reasoningLength: number): Buffer {
  const header: Header = {
    version: VERSION, count: t.starts.length, reasoningLength, key, hasEntropy: !!t.entropy, hasConfidence: !!t.confidence, hasRank: !!t.rank,
    ...(t.entropyKind ? { entropyKind: t.entropyKind } : {}),
    window: t.window,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - ((8 + json.length) % 4)) % 4;
  const arrays = [t.starts, t.ends, t.logprob, ...(t.entropy ? [t.entropy] : []), ...(t.confidence ? [t.confidence] : []), ...(t.rank ? [t.rank] : [])];
  const out = Buffer.alloc(8 + json.length + pad + arrays.reduce((n, a) => n + a.byteLength, 0));
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(json.length, 4);
  json.copy(out, 8);
  let offset = 8 + json.length + pad;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, offset);
    offset += a.byteLength;
  }
  return out;
}

function decode(bytes: Buffer, key: string, reasoningLength: number): TokenTable | undefined {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) return undefined;
  const jsonLength = bytes.readUInt32LE(4);
  if (8 + jsonLength > bytes.length) return undefined;
  const header = JSON.parse(bytes.subarray(8, 8 + jsonLength).toString('utf8')) as Header;
  if (header.version !== VERSION || header.key !== key || header.reasoningLength !== reasoningLength) return undefined;
  const n = header.count;
  if (!Number.isInteger(n) || n < 0) return undefined;
  let offset = 8 + jsonLength + ((4 - ((8 + jsonLength) % 4)) % 4);
  const expected = offset + n * 4 * (3 + (header.hasEntropy ? 1 : 0) + (header.hasConfidence ? 1 : 0) + (header.hasRank ? 1 : 0));
  if (bytes.length !== expected) return undefined;
  // Copy into fresh, aligned buffers (the file buffer may not be 4-byte aligned).
  const take = <T extends Int32Array | Float32Array>(Ctor: { new (b: ArrayBuffer): T }): T => {
    const copy = new Uint8Array(n * 4);
    copy.set(bytes.subarray(offset, offset + n * 4));
    offset += n * 4;
    return new Ctor(copy.buffer);
  };
  const starts = take(Int32Array);
  const ends = take(Int32Array);
  const logprob = take(Float32Array);
  const entropy = header.hasEntropy ? take(Float32Array) : undefined;
  const confidence = header.hasConfidence ? take(Float32Array) : undefined;
  const rank = header.hasRank ? take(Int32Array) : undefined;
  return {
    starts, ends, logprob,
    ...(entropy ? { entropy, entropyKind: header.entropyKind ?? 'full' } : {}),
    ...(confidence ? { confidence } : {}),
    window: validWindow(header.window, n) ? header.window : undefined,
    ...(rank ? { rank } : {}),
  };
}

/** A cached window description that fits a table of `n` tokens. */
function validWindow(w: TokenTable['window'] | undefined, n: number): w is NonNullable<TokenTable['window']> {
  return !!w && Number.isInteger(w.from) && w.from >= 0 && w.from < n && Number.isInteger(w.size) && Number.isInteger(w.overlap) && w.overlap > 0 && w.overlap < w.size;
}
