/**
 * On-disk cache of token tables, keyed by (trace content, backend id). Token-level (not step-level)
 * so that a change of segmentation is answered from the cache without a model call. One small binary
 * file per entry, written atomically (temp file + rename); a corrupt or foreign file is a miss.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Trace } from '../core/trace/types';
import type { TokenTable } from './scoreTrace';

const MAGIC = 0x524c5443; // "RLTC"
const VERSION = 1;

interface Header {
  readonly version: number;
  readonly count: number;
  readonly entropyKind?: 'full' | 'top-k';
  readonly hasEntropy: boolean;
  readonly hasConfidence: boolean;
}

/** Content hash of what a backend scores for a trace. */
export function traceContentHash(trace: Trace): string {
  return createHash('sha256').update(trace.prompt).update('\u0000').update(trace.reasoning).digest('hex');
}

/** A folder of cached token tables. */
export class ScoreCache {
  constructor(private readonly folder: string) {}

  private path(trace: Trace, backendId: string): string {
    const key = createHash('sha256').update(traceContentHash(trace)).update('\u0000').update(backendId).digest('hex');
    return join(this.folder, `${key.slice(0, 40)}.rltc`);
  }

  /** The cached table, or undefined (missing, unreadable or from another format version). */
  async get(trace: Trace, backendId: string): Promise<TokenTable | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path(trace, backendId));
    } catch {
      return undefined;
    }
    try {
      return decode(bytes);
    } catch {
      return undefined;
    }
  }

  async set(trace: Trace, backendId: string, table: TokenTable): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    const target = this.path(trace, backendId);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temp, encode(table));
      await rename(temp, target);
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
  }
}

function encode(t: TokenTable): Buffer {
  const header: Header = {
    version: VERSION, count: t.starts.length, hasEntropy: !!t.entropy, hasConfidence: !!t.confidence,
    ...(t.entropyKind ? { entropyKind: t.entropyKind } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - ((8 + json.length) % 4)) % 4;
  const arrays = [t.starts, t.ends, t.logprob, ...(t.entropy ? [t.entropy] : []), ...(t.confidence ? [t.confidence] : [])];
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

function decode(bytes: Buffer): TokenTable | undefined {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) return undefined;
  const jsonLength = bytes.readUInt32LE(4);
  const header = JSON.parse(bytes.subarray(8, 8 + jsonLength).toString('utf8')) as Header;
  if (header.version !== VERSION) return undefined;
  const n = header.count;
  let offset = 8 + jsonLength + ((4 - ((8 + jsonLength) % 4)) % 4);
  const expected = offset + n * 4 * (3 + (header.hasEntropy ? 1 : 0) + (header.hasConfidence ? 1 : 0));
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
  return {
    starts, ends, logprob,
    ...(entropy ? { entropy, entropyKind: header.entropyKind ?? 'full' } : {}),
    ...(confidence ? { confidence } : {}),
  };
}
