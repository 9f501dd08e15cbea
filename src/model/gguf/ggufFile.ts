/**
 * Reads what a GGUF file says about itself (architecture, name, quantisation, context length, vocabulary
 * size) from its header, in plain TypeScript: model discovery lists files without loading llama.cpp,
 * and a file that is not GGUF gets an error that says so before any native code sees it.
 *
 * Format (v2/v3, little-endian): "GGUF", u32 version, u64 tensor count, u64 key/value count, then the
 * key/values (gguf string key, u32 type, value); arrays are u32 element type + u64 count + elements.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModelFolderError } from '../onnx/modelFolder';

export interface GgufSummary {
  readonly version: number;
  readonly architecture: string;
  /** `general.name`, when the file has one. */
  readonly name?: string | undefined;
  /** `general.file_type` (llama_ftype), when present. */
  readonly fileType?: number | undefined;
  /** Human name of the quantisation: `F32`, `Q8_0`, `Q4_K_M`… (from the file type, else the file name). */
  readonly quantization: string;
  readonly contextLength?: number | undefined;
  readonly vocabSize?: number | undefined;
  readonly blockCount?: number | undefined;
  readonly embeddingLength?: number | undefined;
  readonly tensorCount: number;
  readonly fileBytes: number;
  /** `tokenizer.ggml.model` (gpt2, llama…). */
  readonly tokenizerModel?: string | undefined;
  /** `tokenizer.chat_template`, when present (used to guess which tokenizer family a model has). */
  readonly chatTemplate?: string | undefined;
}

/** llama.cpp's `llama_ftype` values → names (as in llama.h). */
const FILE_TYPES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M',
  13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS',
  21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S',
  29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16', 36: 'TQ1_0', 37: 'TQ2_0', 38: 'MXFP4_MOE',
};

const QUANT_IN_NAME = /(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|F16|F32|BF16)(?=[-_.]|$)/i;

/** The quantisation a file name states (`…-Q4_K_M.gguf`), if any. */
export function quantizationFromName(fileName: string): string | undefined {
  const m = QUANT_IN_NAME.exec(fileName.replace(/\.gguf$/i, ''));
  return m ? m[1]!.toUpperCase() : undefined;
}

const enum T {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
}
const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Buffered sequential reader over a file descriptor. */
class Reader {
  private buffer = Buffer.alloc(1 << 20);
  private start = 0; // file offset of buffer[0]
  private length = 0;
  position = 0;

  constructor(private readonly fd: number, private readonly path: string, readonly size: number) {}

  private ensure(n: number): void {
    if (this.position + n <= this.start + this.length) return;
    if (this.position + n > this.size) throw new ModelFolderError(`${this.path}: the GGUF header is truncated (needs ${this.position + n} bytes, file has ${this.size})`);
    if (n > this.buffer.length) this.buffer = Buffer.alloc(n);
    this.start = this.position;
    this.length = readSync(this.fd, this.buffer, 0, this.buffer.length, this.start);
  }

  private at(n: number): number {
    this.ensure(n);
    const o = this.position - this.start;
    this.position += n;
    return o;
  }

  u32(): number {
    return this.buffer.readUInt32LE(this.at(4));
  }

  u64(): number {
    const v = this.buffer.readBigUInt64LE(this.at(8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFolderError(`${this.path}: a length in the GGUF header is implausible (${v})`);
    return Number(v);
  }

  string(): string {
    const n = this.u64();
    if (n > 64 << 20) throw new ModelFolderError(`${this.path}: a string in the GGUF header is implausibly long (${n} bytes)`);
    const o = this.at(n);
    return this.buffer.toString('utf8', o, o + n);
  }

  skip(n: number): void {
    this.position += n;
    if (this.position > this.size) throw new ModelFolderError(`${this.path}: the GGUF header is truncated`);
  }

  scalar(type: number): number | boolean {
    switch (type) {
      case T.U8: return this.buffer.readUInt8(this.at(1));
      case T.I8: return this.buffer.readInt8(this.at(1));
      case T.U16: return this.buffer.readUInt16LE(this.at(2));
      case T.I16: return this.buffer.readInt16LE(this.at(2));
      case T.U32: return this.u32();
      case T.I32: return this.buffer.readInt32LE(this.at(4));
      case T.F32: return this.buffer.readFloatLE(this.at(4));
      case T.BOOL: return this.buffer.readUInt8(this.at(1)) !== 0;
      case T.U64: return Number(this.buffer.readBigUInt64LE(this.at(8)));
      case T.I64: return Number(this.buffer.readBigInt64LE(this.at(8)));
      case T.F64: return this.buffer.readDoubleLE(this.at(8));
      default: throw new ModelFolderError(`${this.path}: unknown GGUF value type ${type} at byte ${this.position}`);
    }
  }
}

/** Reads the header of a GGUF file (key/values only; tensor data is never read). */
export function readGgufSummary(path: string): GgufSummary {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ModelFolderError(`GGUF file not found or not readable: ${path} (${(e as Error).message})`);
  }
  try {
    const r = new Reader(fd, path, fstatSync(fd).size);
    if (r.size < 24) throw new ModelFolderError(`${path} is not a GGUF file (only ${r.size} bytes)`);
    const magic = r.u32();
    if (magic !== 0x46554747 /* "GGUF" little-endian */) throw new ModelFolderError(`${path} is not a GGUF file (it does not start with "GGUF")`);
    const version = r.u32();
    if (version < 2 || version > 3) throw new ModelFolderError(`${path}: GGUF version ${version} is not supported (2 or 3)`);
    const tensorCount = r.u64();
    const kvCount = r.u64();
    const kv = new Map<string, unknown>();
    const arrayLengths = new Map<string, number>();
    for (let i = 0; i < kvCount; i++) {
      const key = r.string();
      const type = r.u32();
      if (type === T.STRING) kv.set(key, r.string());
      else if (type === T.ARRAY) {
        const elemType = r.u32();
        const count = r.u64();
        arrayLengths.set(key, count);
        if (elemType === T.STRING) for (let j = 0; j < count; j++) r.skip(r.u64());
        else if (SCALAR_BYTES[elemType] !== undefined) r.skip(count * SCALAR_BYTES[elemType]);
        else throw new ModelFolderError(`${path}: unsupported GGUF array element type ${elemType} in ${key}`);
      } else kv.set(key, r.scalar(type));
    }
    const architecture = typeof kv.get('general.architecture') === 'string' ? (kv.get('general.architecture') as string) : 'unknown';
    const num = (key: string): number | undefined => (typeof kv.get(key) === 'number' ? (kv.get(key) as number) : undefined);
    const str = (key: string): string | undefined => (typeof kv.get(key) === 'string' ? (kv.get(key) as string) : undefined);
    const fileType = num('general.file_type');
    const fileName = path.split(/[\\/]/).pop() ?? path;
    const quantization = (fileType !== undefined ? FILE_TYPES[fileType] : undefined) ?? quantizationFromName(fileName) ?? (fileType !== undefined ? `type ${fileType}` : 'unknown');
    return {
      version,
      architecture,
      name: str('general.name'),
      fileType,
      quantization,
      contextLength: num(`${architecture}.context_length`),
      vocabSize: arrayLengths.get('tokenizer.ggml.tokens') ?? num(`${architecture}.vocab_size`),
      blockCount: num(`${architecture}.block_count`),
      embeddingLength: num(`${architecture}.embedding_length`),
      tensorCount,
      fileBytes: r.size,
      tokenizerModel: str('tokenizer.ggml.model'),
      chatTemplate: str('tokenizer.chat_template'),
    };
  } finally {
    closeSync(fd);
  }
}

/** The cache identity of a GGUF model: file, size and date. */
export function ggufIdentity(path: string, bytes: number, mtimeMs: number): string {
  return `gguf:${path}:${bytes}:${Math.round(mtimeMs)}`;
}
