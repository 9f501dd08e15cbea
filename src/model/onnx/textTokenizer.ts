/**
 * A Hugging Face `tokenizer.json` with character offsets. `@huggingface/tokenizers` gives ids but no
 * offsets: they are recovered by decoding the pieces (tokenOffsets.ts).
 */
import type { Tokenizer as TokenizerClass } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
// The package is ESM-typed but ships a CommonJS build for Node's `require` condition; esbuild bundles either.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof TokenizerClass };
import type { TokenizedText } from '../backend';
import { alignTokens, PieceCache, type PieceDecoder } from '../tokenOffsets';

export class TextTokenizer implements PieceDecoder {
  private readonly tokenizer: TokenizerClass;
  private readonly pieces = new PieceCache((ids) => this.decode(ids));
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
    return alignTokens(text, ids, this);
  }

  decode(ids: readonly number[] | Int32Array): string {
    return this.tokenizer.decode(Array.from(ids), { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The text of one token on its own (cached; for top-k candidates). */
  piece(id: number): string {
    return this.pieces.get(id);
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
