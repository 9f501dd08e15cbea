/**
 * Native inference-server outputs: text-generation-inference `/generate` (+ its token stream),
 * llama.cpp `/completion` with `completion_probabilities` (+ stream), SGLang `/generate` with
 * `meta_info`, and vLLM offline `LLM.generate` outputs (`outputs[i].text`, `logprobs`,
 * `prompt_logprobs`). Their text carries the reasoning between delimiters (or after a prompt that
 * opened `<think>`). Pure.
 */
import { makeTrace, one, promptFromTemplate, splitAsResponse, type ReadContext, type Rec } from '../build';
import { alignTokens, type RawToken, type RegionSpan } from '../logprobs';
import { copyMetadata, isRecord, own, str } from '../safeJson';
import type { ParseResult, TokenLogprob, Trace } from '../types';
import type { TraceWarning } from '../warnings';
import { chatTokens, vllmTokens } from './common';
import { recordFormat, splitWhere, streamFormat } from './spec';

/** A completion text (reasoning in delimiters) with optional token logprobs for the text and the prompt. */
interface Completion {
  text: string;
  prompt?: string | undefined;
  tokens?: RawToken[];
  promptTokens?: RawToken[];
  stop?: unknown;
  meta: Rec;
  fields: { prompt?: string; text: string };
  idSuffix?: string;
  jsonPath?: string;
}

function completionTrace(ctx: ReadContext, c: Completion): Trace {
  const raw = ctx.opts.prompt ?? c.prompt ?? '';
  const split = splitAsResponse(c.text, ctx.opts, raw);
  // Prompt logprobs are placed on the prompt as given; without them a template prompt shows its user turn.
  const prompt = c.promptTokens?.length ? raw : promptFromTemplate(raw);
  const warnings: TraceWarning[] = [...split.warnings];
  const logprobs: TokenLogprob[] = [];
  if (c.tokens?.length) {
    const regions: RegionSpan[] = split.tags
      ? [
          { region: 'reasoning', start: split.reasoningStart, end: split.reasoningStart + split.reasoning.length },
          ...(split.answerStart >= 0 ? [{ region: 'answer' as const, start: split.answerStart, end: split.answerStart + split.answer.length }] : []),
        ]
      : [{ region: 'answer', start: 0, end: c.text.length }];
    logprobs.push(...alignTokens(c.tokens, c.text, regions, warnings, 'logprobs'));
  }
  if (c.promptTokens?.length && prompt) logprobs.push(...alignTokens(c.promptTokens, prompt, [{ region: 'prompt', start: 0, end: prompt.length }], warnings, 'prompt logprobs'));
  if (c.stop !== undefined) c.meta.finish_reason = c.stop;
  return makeTrace(ctx, {
    ...(c.idSuffix ? { idSuffix: c.idSuffix } : {}),
    ...(c.jsonPath ? { jsonPath: c.jsonPath } : {}),
    prompt,
    reasoning: split.tags ? split.reasoning : '',
    truncated: split.truncated,
    answer: split.answer,
    ...(split.answerIsCode ? { answerIsCode: true } : {}),
    fields: { ...(c.fields.prompt && c.prompt !== undefined && !ctx.opts.prompt ? { prompt: c.fields.prompt } : {}), ...(split.tags ? { reasoning: c.fields.text } : {}), answer: c.fields.text },
    metadata: c.meta,
    warnings,
    logprobs,
  });
}

// ---------------------------------------------------------------------------------------------
// text-generation-inference

/** TGI token lists: `[{id, text, logprob, special}]`; special tokens are left out of the text. */
function tgiTokens(v: unknown): RawToken[] {
  if (!Array.isArray(v)) return [];
  return v.filter((t): t is Rec => isRecord(t) && typeof own(t, 'text') === 'string' && own(t, 'special') !== true).map((t) => ({ token: t.text as string, logprob: typeof own(t, 'logprob') === 'number' ? (t.logprob as number) : Number.NaN }));
}

export const tgiResponse = recordFormat({
  id: 'tgi',
  label: 'text-generation-inference /generate: generated_text, details.tokens (logprobs), details.prefill (the prompt)',
  nestable: true,
  detect: (r) => typeof own(r, 'generated_text') === 'string' && own(r, 'token') === undefined,
  read: (r, ctx) => {
    const details = isRecord(own(r, 'details')) ? (own(r, 'details') as Rec) : undefined;
    const prefill = details && Array.isArray(own(details, 'prefill')) ? (own(details, 'prefill') as unknown[]) : [];
    const promptTokens = tgiTokens(prefill);
    const prompt = promptTokens.length ? promptTokens.map((t) => t.token).join('') : undefined;
    return one(
      completionTrace(ctx, {
        text: r.generated_text as string,
        prompt,
        tokens: details ? tgiTokens(own(details, 'tokens')) : [],
        promptTokens: promptTokens.filter((t) => Number.isFinite(t.logprob)).length ? promptTokens : [],
        stop: details ? own(details, 'finish_reason') : undefined,
        meta: { ...copyMetadata(r, ['generated_text', 'details']), ...(details ? copyMetadata(details, ['tokens', 'prefill', 'top_tokens']) : {}) },
        fields: { text: 'generated_text', prompt: 'details.prefill' },
      }),
    );
  },
});

export const tgiStream = streamFormat({
  id: 'tgi-stream',
  label: 'text-generation-inference token stream: {token: {text, logprob}, generated_text: null | <full text>}',
  isEvent: (r) => isRecord(own(r, 'token')) && 'generated_text' in r,
  split: (events) => splitWhere(events, (_e, prev) => !!prev && typeof own(prev, 'generated_text') === 'string'),
  read: (events, ctx) => {
    const tokens = events.map((e) => own(e, 'token')).filter(isRecord);
    const streamed = tgiTokens(tokens);
    const last = events[events.length - 1];
    const text = (last && str(last, 'generated_text')) ?? streamed.map((t) => t.token).join('');
    const details = last && isRecord(own(last, 'details')) ? (own(last, 'details') as Rec) : undefined;
    return one(completionTrace(ctx, { text, tokens: streamed, stop: details ? own(details, 'finish_reason') : undefined, meta: { events: events.length }, fields: { text: '*.token.text' } }));
  },
});

// ---------------------------------------------------------------------------------------------
// llama.cpp server

/** `completion_probabilities`: `[{token, logprob, bytes, top_logprobs}]` (current) or `[{content, probs: [{tok_str, prob}]}]` (older). */
function llamaCppTokens(v: unknown): RawToken[] {
  if (!Array.isArray(v)) return [];
  const current = chatTokens(v);
  if (current.length) return current;
  return v.filter(isRecord).map((t) => {
    const content = String(own(t, 'content') ?? '');
    const probs = Array.isArray(own(t, 'probs')) ? (own(t, 'probs') as unknown[]).filter(isRecord) : [];
    const mine = probs.find((p) => own(p, 'tok_str') === content);
    const p = mine ? Number(own(mine, 'prob')) : Number.NaN;
    return { token: content, logprob: Math.log(p), topLogprobs: probs.map((q) => ({ token: String(own(q, 'tok_str') ?? ''), logprob: Math.log(Number(own(q, 'prob'))) })) };
  });
}

function isLlamaCpp(r: Rec): boolean {
  return typeof own(r, 'content') === 'string' && own(r, 'role') === undefined && (Array.isArray(own(r, 'completion_probabilities')) || own(r, 'stop_type') !== undefined || own(r, 'tokens_predicted') !== undefined || own(r, 'id_slot') !== undefined);
}

/** llama.cpp says why it stopped in `stop_type` (`limit` = n_predict reached). */
function llamaStop(r: Rec | undefined): unknown {
  if (!r) return undefined;
  const t = own(r, 'stop_type');
  return t === 'limit' ? 'length' : t;
}

export const llamaCppResponse = recordFormat({
  id: 'llama-cpp',
  label: 'llama.cpp server /completion: content, completion_probabilities (token logprobs), stop_type',
  nestable: true,
  detect: (r) => isLlamaCpp(r) && own(r, 'stop') !== false,
  read: (r, ctx) =>
    one(
      completionTrace(ctx, {
        text: r.content as string,
        prompt: str(r, 'prompt'),
        tokens: llamaCppTokens(own(r, 'completion_probabilities')),
        stop: llamaStop(r),
        meta: copyMetadata(r, ['content', 'completion_probabilities', 'prompt', 'generation_settings']),
        fields: { text: 'content', prompt: 'prompt' },
      }),
    ),
});

export const llamaCppStream = streamFormat({
  id: 'llama-cpp-stream',
  label: 'llama.cpp server stream: {content, stop: false} pieces until stop: true',
  isEvent: (r) => typeof own(r, 'content') === 'string' && typeof own(r, 'stop') === 'boolean' && own(r, 'role') === undefined && own(r, 'choices') === undefined,
  split: (events) => splitWhere(events, (_e, prev) => !!prev && own(prev, 'stop') === true),
  read: (events, ctx) => {
    const text = events.map((e) => str(e, 'content') ?? '').join('');
    const tokens = events.flatMap((e) => llamaCppTokens(own(e, 'completion_probabilities')));
    const last = events[events.length - 1];
    // The last event (stop: true) carries the prompt and the settings.
    return one(completionTrace(ctx, { text, prompt: last ? str(last, 'prompt') : undefined, tokens, stop: llamaStop(last), meta: { events: events.length }, fields: { text: '*.content', prompt: `${events.length - 1}.prompt` } }));
  },
});

// ---------------------------------------------------------------------------------------------
// SGLang

/** SGLang `output_token_logprobs`: `[[logprob, token_id, token_text | null]]`. */
function sglangTokens(v: unknown): RawToken[] {
  if (!Array.isArray(v)) return [];
  const out: RawToken[] = [];
  for (const t of v) {
    if (!Array.isArray(t) || typeof t[2] !== 'string') return [];
    out.push({ token: t[2], logprob: typeof t[0] === 'number' ? t[0] : Number.NaN });
  }
  return out;
}

function isSglang(r: Rec): boolean {
  return typeof own(r, 'text') === 'string' && isRecord(own(r, 'meta_info'));
}

function sglangTrace(r: Rec, ctx: ReadContext, events?: number): ParseResult {
  const info = own(r, 'meta_info') as Rec;
  const finish = own(info, 'finish_reason');
  const stop = isRecord(finish) ? own(finish, 'type') : finish;
  const meta = copyMetadata(info, ['output_token_logprobs', 'input_token_logprobs', 'output_top_logprobs', 'input_top_logprobs']);
  if (events) meta.events = events;
  return one(completionTrace(ctx, { text: r.text as string, prompt: str(r, 'prompt'), tokens: sglangTokens(own(info, 'output_token_logprobs')), stop, meta, fields: { text: 'text', prompt: 'prompt' } }));
}

export const sglangResponse = streamFormat({
  id: 'sglang',
  label: 'SGLang /generate: text, meta_info.{finish_reason, output_token_logprobs}; a stream (cumulative text per meta_info.id) gives its last event',
  isEvent: isSglang,
  split: (events) => splitWhere(events, (e, prev) => !!prev && own(own(e, 'meta_info') as Rec, 'id') !== own(own(prev, 'meta_info') as Rec, 'id')),
  read: (events, ctx) => sglangTrace(events[events.length - 1]!, ctx, events.length > 1 ? events.length : undefined),
});

// ---------------------------------------------------------------------------------------------
// vLLM offline

export const vllmOffline = recordFormat({
  id: 'vllm-offline',
  label: 'vLLM offline LLM.generate output: prompt, outputs[i].{text, logprobs, finish_reason}, prompt_logprobs',
  nestable: true,
  detect: (r) => {
    const outputs = own(r, 'outputs');
    return Array.isArray(outputs) && outputs.length > 0 && outputs.every((o) => isRecord(o) && typeof own(o, 'text') === 'string') && (own(r, 'request_id') !== undefined || own(r, 'prompt') !== undefined || own(r, 'prompt_token_ids') !== undefined);
  },
  read: (r, ctx) => {
    const outputs = (own(r, 'outputs') as Rec[]).filter(isRecord);
    const prompt = str(r, 'prompt');
    const promptTokens = vllmTokens(own(r, 'prompt_logprobs'), prompt);
    const meta = copyMetadata(r, ['outputs', 'prompt', 'prompt_logprobs', 'prompt_token_ids']);
    const traces = outputs.map((o, i) => {
      const lp = own(o, 'logprobs');
      const tokens = vllmTokens(lp, o.text as string);
      return completionTrace(ctx, {
        text: o.text as string,
        prompt,
        tokens: tokens.length ? tokens : chatTokens(lp),
        promptTokens,
        stop: own(o, 'finish_reason'),
        meta: { ...meta, ...copyMetadata(o, ['text', 'logprobs', 'token_ids']) },
        fields: { text: `outputs.${i}.text`, prompt: 'prompt' },
        ...(outputs.length > 1 ? { idSuffix: `/outputs[${i}]` } : {}),
        jsonPath: `outputs[${i}]`,
      });
    });
    return { traces, errors: [] };
  },
});
