/**
 * Synthetic OpenAI chat responses with token logprobs, for the prune benchmark and the CLI tests: each
 * record is a `chat.completion` whose `message.content` is `<think>…</think>` + answer, with
 * `logprobs.content` covering every token (top-2 candidates), like vLLM or OpenAI return with
 * `logprobs: true, top_logprobs: 2`. Deterministic for a seed.
 */

import { mulberry32 } from '../src/core/random';

const WORDS = ['we', 'need', 'to', 'find', 'the', 'value', 'of', 'x', 'so', 'let', 'me', 'compute', 'sum', 'first', 'then', 'check', 'it', 'again', 'wait', 'maybe', 'term', 'is', 'equal', 'and', 'since', 'both', 'sides', 'divide', 'by', 'two', 'gives', 'result'];
const OPENERS = ['Wait,', 'So', 'Then', 'Hmm,', 'Let me check:', 'Alternatively,', 'Now', 'First,'];

/** A small deterministic PRNG (mulberry32). */
export const rng = mulberry32;

/** One record with about `tokens` tokens (reasoning in paragraphs, then a boxed answer). */
export function makeRecord(i: number, tokens = 300, random = rng(i + 1)): Record<string, unknown> {
  const pieces: string[] = ['<think>', '\n'];
  const answer = 10 + Math.floor(random() * 990);
  let count = 2;
  let paragraph = 0;
  while (count < tokens - 12) {
    if (paragraph > 0) pieces.push('\n\n');
    pieces.push(OPENERS[Math.floor(random() * OPENERS.length)]!);
    const len = 15 + Math.floor(random() * 25);
    for (let w = 0; w < len; w++) pieces.push(` ${random() < 0.1 ? String(Math.floor(random() * 100)) : WORDS[Math.floor(random() * WORDS.length)]}`);
    pieces.push('.');
    count += len + 3;
    paragraph++;
  }
  pieces.push('\n', '</think>', '\n\n', 'The', ' answer', ' is', ' \\boxed{', String(answer), '}.');
  const content = pieces.join('');
  const logprobs = pieces.map((token) => {
    const lp = -random() * 3;
    return { token, logprob: Number(lp.toFixed(4)), top_logprobs: [{ token, logprob: Number(lp.toFixed(4)) }, { token: ' the', logprob: Number((lp - 1 - random()).toFixed(4)) }] };
  });
  return {
    id: `chatcmpl-${i}`,
    object: 'chat.completion',
    model: 'synthetic',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, logprobs: { content: logprobs } }],
  };
}

/** `count` records as JSONL text chunks (yielded in blocks, so a large file is written without one huge string). */
export function* jsonlChunks(count: number, tokens = 300, block = 500): Generator<string> {
  for (let start = 0; start < count; start += block) {
    let s = '';
    for (let i = start; i < Math.min(count, start + block); i++) s += `${JSON.stringify(makeRecord(i, tokens))}\n`;
    yield s;
  }
}
