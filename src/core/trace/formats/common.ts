/** Helpers the format readers share: message contents, roles, token lists, references. Pure. */
import { extractFinalAnswer } from '../answer';
import type { Rec } from '../build';
import { readCandidates, type RawToken } from '../logprobs';
import { isRecord, own, safeKeys, str } from '../safeJson';

/** Part types that carry reasoning inside a content list (Mistral/Magistral, LLaMA-Factory, Anthropic). */
const REASONING_PART_TYPES = new Set(['thinking', 'reasoning', 'reasoning_text', 'thought']);

/**
 * The text of a message `content`: a string, or content parts (`[{type:'text', text}]`, `{type, value}`).
 * Reasoning parts (`type: thinking | reasoning`) are returned apart.
 */
export function contentParts(v: unknown): { text: string | undefined; reasoning: string | undefined } {
  if (typeof v === 'string') return { text: v, reasoning: undefined };
  if (!Array.isArray(v)) return { text: undefined, reasoning: undefined };
  const text: string[] = [];
  const reasoning: string[] = [];
  for (const p of v) {
    if (typeof p === 'string') {
      text.push(p);
      continue;
    }
    if (!isRecord(p)) continue;
    const type = str(p, 'type') ?? 'text';
    const body = partText(p);
    if (body === undefined) continue;
    (REASONING_PART_TYPES.has(type) ? reasoning : type === 'text' || type === 'output_text' ? text : []).push(body);
  }
  return { text: text.length ? text.join('') : undefined, reasoning: reasoning.length ? reasoning.join('\n\n') : undefined };
}

/** The text of one content part: `text`, `value`, `thinking` (a string or a list of text parts). */
function partText(p: Rec): string | undefined {
  for (const k of ['text', 'value', 'thinking', 'reasoning', 'content']) {
    const v = own(p, k);
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) {
      const inner = contentParts(v).text;
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** The plain text of a message content (text parts only). */
export function contentText(v: unknown): string | undefined {
  return contentParts(v).text;
}

/** `user`, `assistant`, `system`, `tool`… from `role` or ShareGPT `from`. */
export function roleOf(m: Rec): string {
  const r = String(own(m, 'role') ?? own(m, 'from') ?? '').toLowerCase();
  if (r === 'human' || r === 'user') return 'user';
  if (r === 'gpt' || r === 'assistant' || r === 'model' || r === 'bot') return 'assistant';
  return r;
}

/** The text of the last user message of a message list (`messages`, Gemini `contents`), and its index. */
export function lastUserText(list: unknown): { text: string; index: number } | undefined {
  if (!Array.isArray(list)) return undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i];
    if (!isRecord(m) || roleOf(m) !== 'user') continue;
    const content = own(m, 'content') ?? own(m, 'value');
    const text = contentText(content) ?? (Array.isArray(own(m, 'parts')) ? contentText(own(m, 'parts')) : undefined);
    if (text !== undefined) return { text, index: i };
  }
  return undefined;
}

/** Ground truth kept by many datasets as `answer` (a string or number), or a full reference solution. */
export function referenceOf(r: Rec): { answer?: string } | undefined {
  const a = own(r, 'answer');
  if (typeof a === 'string' || typeof a === 'number') return { answer: String(a) };
  const gt = str(r, 'ground_truth_solution') ?? str(r, 'gt_answer');
  if (gt) return { answer: extractFinalAnswer(gt) ?? gt };
  return undefined;
}

function numberArray(v: unknown): number[] | undefined {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : Number.NaN)) : undefined;
}

/** Tokens of an OpenAI chat `logprobs.content` list (also Responses `output_text.logprobs`, llama.cpp). */
export function chatTokens(v: unknown): RawToken[] {
  if (!Array.isArray(v)) return [];
  const out: RawToken[] = [];
  for (const t of v) {
    if (!isRecord(t) || typeof own(t, 'token') !== 'string') continue;
    const bytes = own(t, 'bytes');
    const top = readCandidates(own(t, 'top_logprobs'));
    out.push({
      token: t.token as string,
      logprob: Number(own(t, 'logprob')),
      ...(Array.isArray(bytes) && bytes.length && bytes.every((b) => typeof b === 'number') ? { bytes: bytes as number[] } : {}),
      ...(top && top.length ? { topLogprobs: top } : {}),
    });
  }
  return out;
}

/** Tokens of a legacy completions `logprobs` object. */
export function legacyTokens(lp: Rec): RawToken[] {
  const tokens = own(lp, 'tokens');
  if (!Array.isArray(tokens)) return [];
  const values = numberArray(own(lp, 'token_logprobs')) ?? [];
  const tops = own(lp, 'top_logprobs');
  return tokens.map((t, i) => {
    const top = Array.isArray(tops) ? readCandidates(tops[i]) : undefined;
    return { token: String(t), logprob: values[i] ?? Number.NaN, ...(top && top.length ? { topLogprobs: top } : {}) };
  });
}

/**
 * vLLM logprob lists (`prompt_logprobs`, offline `outputs[i].logprobs`): one entry per token, null for
 * the first prompt token, then `{token_id: {logprob, rank, decoded_token}}` holding the top-k and the
 * chosen token. JSON objects lose vLLM's key order (integer keys enumerate ascending), so the chosen
 * token is found from the data: a rank beyond the entry's size marks a token outside the top-k (the
 * chosen one); otherwise the candidate that continues `text` (when known), else rank 1.
 */
export function vllmTokens(v: unknown, text?: string): RawToken[] {
  if (!Array.isArray(v)) return [];
  const out: RawToken[] = [];
  let pos = 0;
  for (const entry of v) {
    if (!isRecord(entry)) continue;
    const candidates = safeKeys(entry)
      .map((k) => entry[k])
      .filter(isRecord)
      .map((c) => ({ token: String(own(c, 'decoded_token') ?? ''), logprob: Number(own(c, 'logprob')), rank: Number(own(c, 'rank')) }));
    if (!candidates.length) continue;
    const byRank = [...candidates].sort((a, b) => a.rank - b.rank);
    const outside = byRank[byRank.length - 1]!.rank > candidates.length ? byRank[byRank.length - 1] : undefined;
    const continuing = text !== undefined ? byRank.find((c) => c.token && text.startsWith(c.token, pos)) : undefined;
    const chosen = outside ?? continuing ?? byRank[0]!;
    if (text !== undefined && text.startsWith(chosen.token, pos)) pos += chosen.token.length;
    out.push({ token: chosen.token, logprob: chosen.logprob, topLogprobs: byRank.map(({ token, logprob }) => ({ token, logprob })) });
  }
  return out;
}
