/**
 * OpenAI-compatible responses (OpenAI, DeepSeek, Groq, OpenRouter, Azure, Alibaba, vLLM / SGLang /
 * Ollama servers): chat completions with `reasoning_content` / `reasoning` / `reasoning_details` and
 * logprobs, legacy completions, vLLM `prompt_logprobs`, Batch API output lines, the Responses API
 * (reasoning items) and the streams of both. Pure.
 */
import { isLengthStop, makeTrace, one, promptFromTemplate, separateSplit, splitAsResponse, type ReadContext, type Rec } from '../build';
import { alignTokens, type RawToken, type RegionSpan } from '../logprobs';
import { copyMetadata, isRecord, own, str } from '../safeJson';
import type { SplitResponse } from '../text';
import type { ParseResult, TokenLogprob, Trace } from '../types';
import { warning, type TraceWarning } from '../warnings';
import { chatTokens, contentParts, legacyTokens, vllmTokens } from './common';
import { recordFormat, splitWhere, streamFormat } from './spec';

function firstChoice(r: Rec): Rec | undefined {
  const choices = own(r, 'choices');
  return Array.isArray(choices) && isRecord(choices[0]) ? choices[0] : undefined;
}

/**
 * True when the response or its choice carries vLLM's `prompt_logprobs` (vLLM always sends the key:
 * `null` means none), which makes it a `vllm-prompt-logprobs` response rather than a plain one.
 */
function hasPromptLogprobs(r: Rec, c: Rec): boolean {
  return (own(r, 'prompt_logprobs') ?? null) !== null || (own(c, 'prompt_logprobs') ?? null) !== null;
}

/** Regions of a response split, as spans of the response string. */
function responseRegions(split: SplitResponse, separateReasoning: boolean, responseLength: number): RegionSpan[] {
  if (separateReasoning || !split.tags) return [{ region: 'answer', start: 0, end: responseLength }];
  const regions: RegionSpan[] = [{ region: 'reasoning', start: split.reasoningStart, end: split.reasoningStart + split.reasoning.length }];
  if (split.answerStart >= 0) regions.push({ region: 'answer', start: split.answerStart, end: split.answerStart + split.answer.length });
  return regions;
}

/** What one choice (or one aggregated stream, or one Responses output) holds. */
export interface ChoiceParts {
  readonly r: Rec;
  readonly content: string;
  readonly separateReasoning?: string | undefined;
  readonly contentTokens: RawToken[];
  readonly reasoningTokens?: RawToken[];
  readonly promptTokens?: RawToken[];
  readonly finishReason?: unknown;
  readonly prompt?: string | undefined;
  readonly fields: { readonly reasoning?: string; readonly answer?: string; readonly prompt?: string };
  readonly idSuffix?: string;
  readonly jsonPath?: string;
  readonly warnings?: TraceWarning[];
  readonly omitMetadata?: readonly string[];
}

/** A response with its reasoning in a field or in delimiters of its content, as a trace. */
export function traceOfChoice(ctx: ReadContext, args: ChoiceParts): Trace {
  const { r, content, separateReasoning } = args;
  const opts = ctx.opts;
  const warnings: TraceWarning[] = [...(args.warnings ?? [])];
  const rawPrompt = opts.prompt ?? args.prompt ?? str(r, 'prompt') ?? '';
  let prompt = args.promptTokens?.length ? rawPrompt : promptFromTemplate(rawPrompt);
  const hasSeparate = !!separateReasoning;
  const split = hasSeparate ? separateSplit(separateReasoning, content) : splitAsResponse(content, opts, rawPrompt);
  warnings.push(...split.warnings);
  let truncated = split.truncated;
  if (isLengthStop(args.finishReason) && hasSeparate && !content.trim()) {
    truncated = true;
    warnings.push(warning('truncated', `finish reason ${String(args.finishReason)} with no answer: the reasoning was cut off`));
  }
  const logprobs: TokenLogprob[] = [];
  if (args.contentTokens.length) logprobs.push(...alignTokens(args.contentTokens, content, responseRegions(split, hasSeparate, content.length), warnings, 'content logprobs'));
  if (args.reasoningTokens?.length && separateReasoning) {
    logprobs.push(...alignTokens(args.reasoningTokens, separateReasoning, [{ region: 'reasoning', start: 0, end: separateReasoning.length }], warnings, 'reasoning logprobs'));
  }
  if (args.promptTokens?.length) {
    if (!prompt) {
      prompt = args.promptTokens.map((t) => t.token).join('');
      warnings.push(warning('prompt-from-logprobs', 'prompt rebuilt from prompt_logprobs tokens (the first prompt token has no logprob and is missing)'));
    }
    logprobs.push(...alignTokens(args.promptTokens, prompt, [{ region: 'prompt', start: 0, end: prompt.length }], warnings, 'prompt logprobs'));
  }
  const meta = copyMetadata(r, ['choices', 'prompt_logprobs', 'prompt', ...(args.omitMetadata ?? [])]);
  if (args.finishReason !== undefined) meta.finish_reason = args.finishReason;
  const fields = {
    ...(args.fields.prompt && !opts.prompt ? { prompt: args.fields.prompt } : {}),
    ...(hasSeparate ? { reasoning: args.fields.reasoning } : split.tags ? { reasoning: args.fields.answer } : {}),
    ...(args.fields.answer !== undefined ? { answer: args.fields.answer } : {}),
  };
  return makeTrace(ctx, {
    ...(args.idSuffix ? { idSuffix: args.idSuffix } : {}),
    ...(args.jsonPath ? { jsonPath: args.jsonPath } : {}),
    prompt,
    reasoning: split.tags || hasSeparate ? split.reasoning : '',
    truncated,
    answer: split.answer,
    ...(split.answerIsCode ? { answerIsCode: true } : {}),
    fields,
    metadata: meta,
    warnings,
    logprobs,
  });
}

/** Reasoning of a chat message: `reasoning_content`, `reasoning`, OpenRouter `reasoning_details`, or thinking parts. */
function messageReasoning(msg: Rec): { text: string | undefined; field: string } {
  const rc = str(msg, 'reasoning_content');
  if (rc) return { text: rc, field: 'reasoning_content' };
  const rs = str(msg, 'reasoning');
  if (rs) return { text: rs, field: 'reasoning' };
  const details = detailsText(own(msg, 'reasoning_details'));
  if (details) return { text: details, field: 'reasoning_details' };
  const parts = contentParts(own(msg, 'content')).reasoning;
  if (parts) return { text: parts, field: 'content' };
  return { text: undefined, field: 'reasoning_content' };
}

/** OpenRouter `reasoning_details[{type: reasoning.text | reasoning.summary, text | summary}]`. */
function detailsText(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const parts = v.filter(isRecord).map((d) => str(d, 'text') ?? str(d, 'summary') ?? '').filter(Boolean);
  return parts.length ? parts.join('') : undefined;
}

/** Every choice of a chat or legacy completion response. */
export function readOpenAiResponse(r: Rec, ctx: ReadContext, prompt?: string): ParseResult {
  const choices = own(r, 'choices');
  if (!Array.isArray(choices) || !choices.some(isRecord)) return { traces: [], errors: [{ message: 'response has no choices', source: ctx.source, field: 'choices' }] };
  const traces: Trace[] = [];
  const topPrompt = vllmTokens(own(r, 'prompt_logprobs'), str(r, 'prompt'));
  choices.forEach((c, i) => {
    if (!isRecord(c)) return;
    const msg = own(c, 'message');
    const lp = own(c, 'logprobs');
    const promptTokens = topPrompt.length ? topPrompt : vllmTokens(own(c, 'prompt_logprobs'), str(r, 'prompt'));
    const common = {
      r,
      prompt,
      promptTokens,
      finishReason: own(c, 'finish_reason'),
      ...(choices.length > 1 ? { idSuffix: `/choices[${i}]` } : {}),
      jsonPath: `choices[${i}]`,
    };
    if (isRecord(msg)) {
      const reasoning = messageReasoning(msg);
      traces.push(
        traceOfChoice(ctx, {
          ...common,
          content: contentParts(own(msg, 'content')).text ?? '',
          separateReasoning: reasoning.text,
          contentTokens: isRecord(lp) ? chatTokens(own(lp, 'content')) : [],
          reasoningTokens: isRecord(lp) ? chatTokens(own(lp, 'reasoning_content') ?? own(lp, 'reasoning')) : [],
          fields: { reasoning: `choices.${i}.message.${reasoning.field}`, answer: `choices.${i}.message.content`, ...(str(r, 'prompt') !== undefined ? { prompt: 'prompt' } : {}) },
        }),
      );
    } else {
      traces.push(traceOfChoice(ctx, { ...common, content: str(c, 'text') ?? '', contentTokens: isRecord(lp) ? legacyTokens(lp) : [], fields: { answer: `choices.${i}.text`, ...(str(r, 'prompt') !== undefined ? { prompt: 'prompt' } : {}) } }));
    }
  });
  return { traces, errors: [] };
}

export const openAiChat = recordFormat({
  id: 'openai-chat',
  label: 'OpenAI-compatible chat completion: choices[].message.{reasoning_content | reasoning | reasoning_details, content}, logprobs.content (DeepSeek, Groq, OpenRouter, Azure, Alibaba, vLLM, SGLang, Ollama /v1)',
  nestable: true,
  detect: (r) => {
    const c = firstChoice(r);
    return !!c && isRecord(own(c, 'message')) && !hasPromptLogprobs(r, c);
  },
  read: (r, ctx) => readOpenAiResponse(r, ctx),
});

export const openAiCompletion = recordFormat({
  id: 'openai-completion',
  label: 'legacy /v1/completions: choices[].text with logprobs.{tokens, token_logprobs, top_logprobs}',
  nestable: true,
  detect: (r) => {
    const c = firstChoice(r);
    return !!c && typeof own(c, 'text') === 'string' && !hasPromptLogprobs(r, c);
  },
  read: (r, ctx) => readOpenAiResponse(r, ctx),
});

export const vllmPromptLogprobs = recordFormat({
  id: 'vllm-prompt-logprobs',
  label: 'vLLM response with prompt_logprobs (prompt tokens scored too)',
  nestable: true,
  detect: (r) => {
    const c = firstChoice(r);
    // `prompt_logprobs: null` (vLLM always sends the key) is a plain response.
    return !!c && hasPromptLogprobs(r, c);
  },
  read: (r, ctx) => readOpenAiResponse(r, ctx),
});

export const openAiBatch = recordFormat({
  id: 'openai-batch',
  label: 'OpenAI Batch API output line: {custom_id, response: {status_code, body: <chat completion>}}',
  detect: (r) => typeof own(r, 'custom_id') === 'string' && ((isRecord(own(r, 'response')) && isRecord(own(own(r, 'response') as Rec, 'body'))) || isRecord(own(r, 'error'))),
  read: (r, ctx) => {
    const customId = str(r, 'custom_id')!;
    const error = own(r, 'error');
    if (!isRecord(own(r, 'response')) && isRecord(error)) {
      return { traces: [], errors: [{ message: `batch request ${customId} failed: ${String(own(error, 'code') ?? 'error')}: ${String(own(error, 'message') ?? '')}`, source: ctx.source, field: 'error' }] };
    }
    const body = own(own(r, 'response') as Rec, 'body') as Rec;
    const res = readOpenAiResponse(body, { ...ctx, id: customId, path: 'response.body' });
    for (const t of res.traces) (t.fields as Record<string, string>).id = 'custom_id';
    return res;
  },
});

// ---------------------------------------------------------------------------------------------
// Chat completion streams

function isChunk(r: Rec): boolean {
  if (own(r, 'object') === 'chat.completion.chunk') return true;
  const c = firstChoice(r);
  return !!c && isRecord(own(c, 'delta'));
}

export const openAiChatStream = streamFormat({
  id: 'openai-chat-stream',
  label: 'OpenAI-compatible chat stream: chat.completion.chunk events (delta.reasoning_content | reasoning | reasoning_details, delta.content), one trace per stream',
  isEvent: isChunk,
  split: (events) => splitWhere(events, (e, prev) => !!prev && typeof own(e, 'id') === 'string' && typeof own(prev, 'id') === 'string' && own(e, 'id') !== own(prev, 'id')),
  read: (chunks, ctx) => {
    let content = '';
    let reasoning = '';
    let details = '';
    const contentTokens: RawToken[] = [];
    const reasoningTokens: RawToken[] = [];
    let finishReason: unknown;
    let first: Rec | undefined;
    let field = 'reasoning';
    for (const ch of chunks) {
      first ??= ch;
      const choices = own(ch, 'choices');
      const c = Array.isArray(choices) ? choices.find((x) => isRecord(x) && (own(x, 'index') ?? 0) === 0) : undefined;
      if (!isRecord(c)) continue;
      const delta = own(c, 'delta');
      const tokens = isRecord(own(c, 'logprobs')) ? chatTokens(own(own(c, 'logprobs') as Rec, 'content')) : [];
      if (isRecord(delta)) {
        if (str(delta, 'reasoning_content')) field = 'reasoning_content';
        const rc = str(delta, 'reasoning_content') ?? str(delta, 'reasoning');
        const cc = contentParts(own(delta, 'content')).text;
        details += detailsText(own(delta, 'reasoning_details')) ?? '';
        if (rc) {
          reasoning += rc;
          reasoningTokens.push(...tokens);
        } else if (cc !== undefined) {
          content += cc;
          contentTokens.push(...tokens);
        }
      }
      if (own(c, 'finish_reason')) finishReason = own(c, 'finish_reason');
    }
    if (!first) return { traces: [], errors: [{ message: 'empty stream', source: ctx.source }] };
    const meta = copyMetadata(first, ['choices']);
    meta.chunks = chunks.length;
    const separate = reasoning || details || undefined;
    if (!reasoning && details) field = 'reasoning_details';
    return one(traceOfChoice(ctx, { r: meta, content, separateReasoning: separate, contentTokens, reasoningTokens, finishReason, fields: { reasoning: `*.choices.0.delta.${field}`, answer: '*.choices.0.delta.content' } }));
  },
});

// ---------------------------------------------------------------------------------------------
// Responses API

/** The reasoning and answer of a Responses `output` list. */
function responsesOutput(output: unknown[]): { reasoning: string; answer: string; tokens: RawToken[]; hidden: boolean; reasoningIndex: number; messageIndex: number } {
  const reasoning: string[] = [];
  const answer: string[] = [];
  const tokens: RawToken[] = [];
  let hidden = false;
  let reasoningIndex = -1;
  let messageIndex = -1;
  output.forEach((item, i) => {
    if (!isRecord(item)) return;
    const type = str(item, 'type');
    if (type === 'reasoning') {
      if (reasoningIndex < 0) reasoningIndex = i;
      // Raw reasoning (`content[type=reasoning_text]`, gpt-oss on vLLM) when given, else the summary.
      const raw = Array.isArray(own(item, 'content')) ? (own(item, 'content') as unknown[]).filter(isRecord).map((p) => str(p, 'text') ?? '').filter(Boolean) : [];
      const summary = Array.isArray(own(item, 'summary')) ? (own(item, 'summary') as unknown[]).filter(isRecord).map((p) => str(p, 'text') ?? '').filter(Boolean) : [];
      if (raw.length) reasoning.push(raw.join('\n\n'));
      else {
        if (summary.length) reasoning.push(summary.join('\n\n'));
        hidden = true;
      }
    } else if (type === 'message') {
      if (messageIndex < 0) messageIndex = i;
      for (const p of Array.isArray(own(item, 'content')) ? (own(item, 'content') as unknown[]) : []) {
        if (!isRecord(p) || typeof own(p, 'text') !== 'string') continue;
        answer.push(p.text as string);
        if (answer.length === 1) tokens.push(...chatTokens(own(p, 'logprobs')));
      }
    }
  });
  return { reasoning: reasoning.join('\n\n'), answer: answer.join('\n\n'), tokens: answer.length === 1 ? tokens : [], hidden, reasoningIndex, messageIndex };
}

export const openAiResponses = recordFormat({
  id: 'openai-responses',
  label: 'OpenAI Responses API response: output[type=reasoning].summary / content, output[type=message].content[output_text]',
  nestable: true,
  detect: (r) => own(r, 'object') === 'response' && Array.isArray(own(r, 'output')),
  read: (r, ctx) => {
    const out = responsesOutput(own(r, 'output') as unknown[]);
    const incomplete = own(r, 'incomplete_details');
    const reason = isRecord(incomplete) ? own(incomplete, 'reason') : undefined;
    const warnings = out.hidden ? [warning('reasoning-hidden', 'the provider returned a reasoning summary (the raw reasoning is encrypted or withheld)')] : [];
    return one(
      traceOfChoice(ctx, {
        r,
        content: out.answer,
        separateReasoning: out.reasoning || undefined,
        contentTokens: out.tokens,
        finishReason: reason,
        warnings,
        omitMetadata: ['output'],
        fields: { reasoning: out.reasoningIndex >= 0 ? `output.${out.reasoningIndex}.summary` : 'output', answer: out.messageIndex >= 0 ? `output.${out.messageIndex}.content` : 'output' },
      }),
    );
  },
});

export const openAiResponsesStream = streamFormat({
  id: 'openai-responses-stream',
  label: 'Responses API stream: response.* events (reasoning_summary_text / reasoning_text / output_text deltas), one trace per response.created',
  isEvent: (r) => typeof own(r, 'type') === 'string' && (own(r, 'type') as string).startsWith('response.'),
  split: (events) => splitWhere(events, (e, prev) => !!prev && own(e, 'type') === 'response.created'),
  read: (events, ctx) => {
    const summary = new Map<string, string>();
    const raw = new Map<string, string>();
    let answer = '';
    let status: Rec | undefined;
    for (const e of events) {
      const type = str(e, 'type') ?? '';
      const delta = str(e, 'delta') ?? '';
      const key = `${String(own(e, 'output_index') ?? 0)}:${String(own(e, 'summary_index') ?? own(e, 'content_index') ?? 0)}`;
      if (type === 'response.reasoning_summary_text.delta') summary.set(key, (summary.get(key) ?? '') + delta);
      else if (type === 'response.reasoning_text.delta') raw.set(key, (raw.get(key) ?? '') + delta);
      else if (type === 'response.output_text.delta') answer += delta;
      else if ((type === 'response.completed' || type === 'response.incomplete' || type === 'response.created') && isRecord(own(e, 'response'))) status = own(e, 'response') as Rec;
    }
    const reasoning = [...(raw.size ? raw : summary).values()].join('\n\n');
    const incomplete = status && isRecord(own(status, 'incomplete_details')) ? own(own(status, 'incomplete_details') as Rec, 'reason') : undefined;
    const warnings = !raw.size && summary.size ? [warning('reasoning-hidden', 'the provider streamed a reasoning summary (the raw reasoning is encrypted or withheld)')] : [];
    const meta = status ? copyMetadata(status, ['output']) : {};
    meta.events = events.length;
    return one(
      traceOfChoice(ctx, {
        r: meta,
        content: answer,
        separateReasoning: reasoning || undefined,
        contentTokens: [],
        finishReason: incomplete,
        warnings,
        fields: { reasoning: raw.size ? '*.delta (response.reasoning_text.delta)' : '*.delta (response.reasoning_summary_text.delta)', answer: '*.delta (response.output_text.delta)' },
      }),
    );
  },
});
