/**
 * Character offsets for token ids, for tokenizers that give ids but no offsets (`@huggingface/tokenizers`,
 * llama.cpp). Each token is decoded in the context of the token before it (which keeps leading spaces that
 * decoders strip at the start of a text) and the pieces are matched against the input left to right.
 * Tokens that hold part of a multi-byte character are grouped until the group decodes to whole characters;
 * every token of a group gets the group's span.
 */
import type { TokenizedText } from './backend';

const REPLACEMENT = '\uFFFD';

/** What offset recovery needs from a tokenizer. */
export interface PieceDecoder {
  /** Text of a run of ids, special tokens spelled out. */
  decode(ids: readonly number[]): string;
  /** Text of one token on its own (for display). */
  piece(id: number): string;
}

/** The text of single tokens on their own, memoised (top-k candidates repeat a lot). */
export class PieceCache {
  private readonly pieces = new Map<number, string>();
  constructor(private readonly decode: (ids: readonly number[]) => string) {}

  get(id: number): string {
    let s = this.pieces.get(id);
    if (s === undefined) {
      s = this.decode([id]);
      this.pieces.set(id, s);
    }
    return s;
  }
}

/** `ids` of `text` with their `[start, end)` UTF-16 offsets. */
export function alignTokens(text: string, ids: readonly number[], decoder: PieceDecoder): TokenizedText {
  const n = ids.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const tokens: string[] = new Array<string>(n);
  let cursor = 0;
  let groupStart = 0;
  let contextText = '';
  for (let i = 0; i < n; i++) {
    const group = ids.slice(groupStart, i + 1);
    let piece: string;
    if (groupStart > 0) {
      const full = decoder.decode([ids[groupStart - 1]!, ...group]);
      piece = full.startsWith(contextText) ? full.slice(contextText.length) : decoder.decode(group);
    } else {
      piece = decoder.decode(group);
    }
    // An incomplete UTF-8 sequence decodes to U+FFFD: wait for the rest of the character.
    if (i < n - 1 && piece.endsWith(REPLACEMENT) && text[cursor + piece.length - 1] !== REPLACEMENT) continue;
    let start = cursor;
    let end = cursor;
    if (text.startsWith(piece, cursor)) {
      end = cursor + piece.length;
    } else {
      const trimmed = piece.replace(/^\s+/, '');
      const found = trimmed.length > 0 ? text.indexOf(trimmed, cursor) : -1;
      if (found >= 0 && found - cursor <= 16) {
        start = found;
        end = found + trimmed.length;
      } else if (i === n - 1) {
        end = text.length;
      }
    }
    for (let j = groupStart; j <= i; j++) {
      starts[j] = start;
      ends[j] = end;
      tokens[j] = j === groupStart ? text.slice(start, end) : decoder.piece(ids[j]!);
    }
    cursor = end;
    groupStart = i + 1;
    contextText = decoder.decode([ids[i]!]);
  }
  return { ids: Int32Array.from(ids), tokens, starts, ends };
}
