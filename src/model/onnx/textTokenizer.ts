/**
 * A Hugging Face `tokenizer.json` with character offsets. `@huggingface/tokenizers` gives ids but no
 * offsets, so they are recovered by decoding each token in the context of the token before it (which
 * keeps leading spaces that decoders strip at the start of a text) and matching the pieces against the
 * input left to right. Tokens that hold part of a multi-byte character are grouped until the group decodes
 * to whole characters; every token of a group gets the group's span.
 */
import type { Tokenizer as TokenizerClass } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
// The package is ESM-typed but ships a CommonJS build for Node's `require` condition; esbuild bundles either.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof TokenizerClass };
import type { TokenizedText } from '../backend';

const REPLACEMENT = '\uFFFD';

export class TextTokenizer {
  private readonly tokenizer: TokenizerClass;
  private readonly pieceCache = new Map<number, string>();
  readonly bosTokenId: number | undefined;
  readonly addBosByDefault: boolean;
  /** Largest id the tokenizer can produce (+1): must not exceed the model's logits width. */
  readonly size: number;

  constructor(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>, bosFromConfig?: number) {
    this.tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig);
    const bosToken = tokenString(tokenizerConfig.bos_token);
    const bosFromTokenizer = bosToken === undefined ? undefined : this.tokenizer.token_to_id(bosToken);
    this.bosTokenId = bosFromTokenizer ?? bosFromConfig;
    this.addBosByDefault = tokenizerConfig.add_bos_token === true && this.bosTokenId !== undefined;
    let max = -1;
    for (const id of this.tokenizer.get_vocab(true).values()) if (id > max) max = id;
    this.size = max + 1;
  }

  /** Ids of `text` without special tokens added, with `[start, end)` UTF-16 offsets. */
  encode(text: string): TokenizedText {
    const ids = text.length === 0 ? [] : this.tokenizer.encode(text, { add_special_tokens: false }).ids;
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
        const full = this.decode([ids[groupStart - 1], ...group]);
        piece = full.startsWith(contextText) ? full.slice(contextText.length) : this.decode(group);
      } else {
        piece = this.decode(group);
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
        tokens[j] = j === groupStart ? text.slice(start, end) : this.piece(ids[j]);
      }
      cursor = end;
      groupStart = i + 1;
      contextText = this.decode([ids[i]]);
    }
    return { ids: Int32Array.from(ids), tokens, starts, ends };
  }

  decode(ids: readonly number[] | Int32Array): string {
    return this.tokenizer.decode(Array.from(ids), { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The text of one token on its own (cached; for top-k candidates). */
  piece(id: number): string {
    let s = this.pieceCache.get(id);
    if (s === undefined) {
      s = this.decode([id]);
      this.pieceCache.set(id, s);
    }
    return s;
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}

function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}
