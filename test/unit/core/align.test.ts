import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignStepsToTokens, reasoningTokenRange, tokenAtOffset, tokenStepMap, type TokenSpan } from '../../../src/core/align';
import type { Step } from '../../../src/core/types';

function step(index: number, reasoning: string, text: string, from = 0): Step {
  const start = reasoning.indexOf(text, from);
  return { index, start, end: start + text.length, text };
}
/** Spans of consecutive token strings laid end to end from `offset`. */
function spans(pieces: string[], offset = 0): TokenSpan[] {
  let at = offset;
  return pieces.map((p) => ({ start: at, end: (at += p.length) }));
}

test('align: paragraph steps with a separate "\\n\\n" token (ASAP case)', () => {
  const prompt = 'Q?\n<think>\n';
  const reasoning = 'First a.\n\nThen b.';
  const steps = [step(0, reasoning, 'First a.'), step(1, reasoning, 'Then b.')];
  const tokens = spans(['Q', '?', '\n<think>\n', 'First', ' a', '.', '\n\n', 'Then', ' b', '.'], 0);
  const r = alignStepsToTokens(tokens, steps, prompt.length);
  assert.deepEqual(r.map((x) => [x.firstToken, x.endToken, x.tokenCount, x.firstTokenStraddles]), [[3, 6, 3, false], [7, 10, 3, false]]);
  assert.deepEqual(reasoningTokenRange(r), { start: 3, end: 10 });
  assert.deepEqual([...tokenStepMap(r, tokens.length)], [-1, -1, -1, 0, 0, 0, -1, 1, 1, 1]);
});

test('align: a token merging across the boundary belongs to the earlier step and is recorded', () => {
  const reasoning = 'a.\n\nb c';
  const steps = [step(0, reasoning, 'a.'), step(1, reasoning, 'b c')];
  // ".\n\nb" merged by BPE: starts inside step 0, runs into step 1.
  const tokens = spans(['a', '.\n\nb', ' c']);
  const r = alignStepsToTokens(tokens, steps);
  assert.equal(r[0]!.firstToken, 0);
  assert.equal(r[0]!.endToken, 2);
  assert.equal(r[1]!.firstToken, 2);
  assert.equal(r[1]!.firstTokenStraddles, true);
  assert.equal(r[1]!.tokenCount, 1);
});

test('align: a leading-space token starting in the gap is the next step\'s first token', () => {
  const reasoning = 'Hello. World is big.';
  const steps = [step(0, reasoning, 'Hello.'), step(1, reasoning, 'World is big.')];
  const tokens = spans(['Hello', '.', ' World', ' is', ' big', '.']);
  const r = alignStepsToTokens(tokens, steps);
  assert.deepEqual([r[1]!.firstToken, r[1]!.endToken, r[1]!.firstTokenHasLeadingGap, r[1]!.firstTokenStraddles], [2, 6, true, false]);
});

test('align: a step wholly inside a straddling token has no tokens; unplaced tokens are skipped', () => {
  const reasoning = 'ab\n\nc\n\nd';
  const steps = [step(0, reasoning, 'ab'), step(1, reasoning, 'c'), step(2, reasoning, 'd')];
  const tokens: TokenSpan[] = [{ start: 0, end: 7 }, { start: -1, end: -1 }, { start: 7, end: 8 }];
  const r = alignStepsToTokens(tokens, steps);
  assert.deepEqual(r.map((x) => [x.firstToken, x.tokenCount]), [[0, 1], [-1, 0], [2, 1]]);
  assert.equal(r[1]!.firstTokenStraddles, true);
});

test('align: tokenAtOffset finds the covering token', () => {
  const tokens = spans(['ab', 'cde', 'f']);
  assert.deepEqual([0, 1, 2, 4, 5, 6].map((o) => tokenAtOffset(tokens, o)), [0, 0, 1, 1, 2, -1]);
});
