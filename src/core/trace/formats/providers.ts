/**
 * Native provider APIs besides OpenAI's: Anthropic Messages (`thinking` blocks, SSE events), Gemini
 * (`thought: true` parts, streamed chunks, gemini-cli recordings) and Ollama's native `/api/chat` and
 * `/api/generate` (`thinking`). A single response reads like a stream of one event. Pure.
 */
import { isLengthStop, makeTrace, one, separateSplit, splitAsResponse, type ReadContext, type Rec } from '../build';
import { copyMetadata, isRecord, own, str } from '../safeJson';
import type { ParseResult } from '../types';
import { warning, type TraceWarning } from '../warnings';
import { recordFormat, splitWhere, streamFormat } from './spec';

/** Reasoning and answer gathered from a response or stream. */
interface Gathered {
  reasoning: string;
  answer: string;
  stop?: unknown;
  hidden?: boolean;
  meta: Rec;
  fields: { reasoning?: string; answer?: string; prompt?: string };
  prompt?: string;
}

/** The trace of gathered parts: separate reasoning when there is any, else the answer split at delimiters. */
function traceOf(ctx: ReadContext, g: Gathered): ParseResult {
  const warnings: TraceWarning[] = [];
  const prompt = ctx.opts.prompt ?? g.prompt ?? '';
  const split = g.reasoning ? separateSplit(g.reasoning, g.answer) : splitAsResponse(g.answer, ctx.opts, prompt);
  warnings.push(...split.warnings);
  if (g.hidden) warnings.push(warning('reasoning-hidden', 'part of the reasoning is redacted or only summarised by the provider'));
  let truncated = split.truncated;
  if (isLengthStop(g.stop) && g.reasoning && !g.answer.trim()) {
    truncated = true;
    warnings.push(warning('truncated', `stopped by ${String(g.stop)} with no answer: the reasoning was cut off`));
  }
  if (g.stop !== undefined) g.meta.stop_reason = g.stop;
  const hasReasoning = !!g.reasoning || !!split.tags;
  return one(
    makeTrace(ctx, {
      prompt,
      reasoning: hasReasoning ? split.reasoning : '',
      truncated,
      answer: split.answer,
      fields: { ...(g.prompt !== undefined && !ctx.opts.prompt && g.fields.prompt ? { prompt: g.fields.prompt } : {}), ...(g.reasoning ? { reasoning: g.fields.reasoning } : split.tags ? { reasoning: g.fields.answer } : {}), ...(g.fields.answer !== undefined ? { answer: g.fields.answer } : {}) },
      metadata: g.meta,
      warnings,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Anthropic

function anthropicBlocks(content: unknown[]): { reasoning: string[]; answer: string[]; hidden: boolean; thinkingAt: number; textAt: number } {
  const reasoning: string[] = [];
  const answer: string[] = [];
  let hidden = false;
  let thinkingAt = -1;
  let textAt = -1;
  content.forEach((b, i) => {
    if (!isRecord(b)) return;
    const type = str(b, 'type');
    if (type === 'thinking' && typeof own(b, 'thinking') === 'string') {
      if (thinkingAt < 0) thinkingAt = i;
      reasoning.push(b.thinking as string);
    } else if (type === 'redacted_thinking') hidden = true;
    else if (type === 'text' && typeof own(b, 'text') === 'string') {
      if (textAt < 0) textAt = i;
      answer.push(b.text as string);
    }
  });
  return { reasoning, answer, hidden, thinkingAt, textAt };
}

export const anthropicMessage = recordFormat({
  id: 'anthropic-message',
  label: 'Anthropic Messages response: content[type=thinking].thinking, content[type=text].text',
  nestable: true,
  detect: (r) => own(r, 'type') === 'message' && Array.isArray(own(r, 'content')) && (own(r, 'role') === 'assistant' || own(r, 'role') === undefined),
  read: (r, ctx) => {
    const b = anthropicBlocks(own(r, 'content') as unknown[]);
    return traceOf(ctx, {
      reasoning: b.reasoning.join('\n\n'),
      answer: b.answer.join(''),
      stop: own(r, 'stop_reason'),
      hidden: b.hidden,
      meta: copyMetadata(r, ['content']),
      fields: { reasoning: `content.${b.thinkingAt}.thinking`, answer: b.textAt >= 0 ? `content.${b.textAt}.text` : 'content' },
    });
  },
});

const ANTHROPIC_EVENTS = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error']);

export const anthropicStream = streamFormat({
  id: 'anthropic-stream',
  label: 'Anthropic SSE events: content_block_delta with thinking_delta / text_delta, one trace per message_start',
  isEvent: (r) => typeof own(r, 'type') === 'string' && ANTHROPIC_EVENTS.has(own(r, 'type') as string),
  split: (events) => splitWhere(events, (e, prev) => !!prev && own(e, 'type') === 'message_start'),
  read: (events, ctx) => {
    const thinking = new Map<number, string>();
    const text = new Map<number, string>();
    let stop: unknown;
    let hidden = false;
    let meta: Rec = {};
    for (const e of events) {
      const type = own(e, 'type');
      const index = Number(own(e, 'index') ?? 0);
      if (type === 'message_start' && isRecord(own(e, 'message'))) meta = copyMetadata(own(e, 'message') as Rec, ['content']);
      else if (type === 'content_block_start' && isRecord(own(e, 'content_block'))) {
        const block = own(e, 'content_block') as Rec;
        if (own(block, 'type') === 'redacted_thinking') hidden = true;
        if (own(block, 'type') === 'thinking') thinking.set(index, str(block, 'thinking') ?? '');
        if (own(block, 'type') === 'text') text.set(index, str(block, 'text') ?? '');
      } else if (type === 'content_block_delta' && isRecord(own(e, 'delta'))) {
        const d = own(e, 'delta') as Rec;
        if (own(d, 'type') === 'thinking_delta') thinking.set(index, (thinking.get(index) ?? '') + (str(d, 'thinking') ?? ''));
        else if (own(d, 'type') === 'text_delta') text.set(index, (text.get(index) ?? '') + (str(d, 'text') ?? ''));
      } else if (type === 'message_delta' && isRecord(own(e, 'delta'))) stop = own(own(e, 'delta') as Rec, 'stop_reason') ?? stop;
    }
    meta.events = events.length;
    return traceOf(ctx, {
      reasoning: [...thinking.values()].join('\n\n'),
      answer: [...text.values()].join(''),
      stop,
      hidden,
      meta,
      fields: { reasoning: '*.delta.thinking', answer: '*.delta.text' },
    });
  },
});

// ---------------------------------------------------------------------------------------------
// Gemini

function isGeminiResponse(r: Rec): boolean {
  const c = own(r, 'candidates');
  return Array.isArray(c) && c.length > 0 && c.every((x) => isRecord(x) && (isRecord(own(x, 'content')) || own(x, 'finishReason') !== undefined));
}

/** Thought parts and answer parts of Gemini responses (one, or a stream of chunks). */
function geminiGather(chunks: readonly Rec[], fieldPrefix: string, prompt?: { text: string; path: string }): Gathered {
  let reasoning = '';
  let answer = '';
  let stop: unknown;
  // Paths of the first thought part and first answer part (exact for one response; per chunk for a stream).
  let thoughtAt: string | undefined;
  let answerAt: string | undefined;
  for (const ch of chunks) {
    const candidates = own(ch, 'candidates') as unknown[];
    const ci = candidates.findIndex((c) => isRecord(c) && (own(c, 'index') ?? 0) === 0);
    const cand = candidates[ci];
    if (!isRecord(cand)) continue;
    const content = own(cand, 'content');
    const parts = isRecord(content) && Array.isArray(own(content, 'parts')) ? (own(content, 'parts') as unknown[]) : [];
    parts.forEach((p, pi) => {
      if (!isRecord(p) || typeof own(p, 'text') !== 'string') return;
      const at = `${fieldPrefix}candidates.${ci}.content.parts.${chunks.length > 1 ? '*' : pi}.text`;
      if (own(p, 'thought') === true) {
        reasoning += p.text as string;
        thoughtAt ??= at;
      } else {
        answer += p.text as string;
        answerAt ??= at;
      }
    });
    stop = own(cand, 'finishReason') ?? stop;
  }
  const meta = chunks[0] ? copyMetadata(chunks[chunks.length - 1]!, ['candidates']) : {};
  if (chunks.length > 1) meta.chunks = chunks.length;
  return {
    reasoning,
    answer,
    stop,
    meta,
    ...(prompt ? { prompt: prompt.text } : {}),
    fields: { ...(thoughtAt ? { reasoning: thoughtAt } : {}), answer: answerAt ?? `${fieldPrefix}candidates.0.content.parts`, ...(prompt ? { prompt: prompt.path } : {}) },
  };
}

export const geminiResponse = recordFormat({
  id: 'gemini',
  label: 'Gemini generateContent response: candidates[0].content.parts with thought: true (reasoning) and without (answer)',
  nestable: true,
  detect: isGeminiResponse,
  read: (r, ctx) => traceOf(ctx, geminiGather([r], '')),
});

export const geminiStream = streamFormat({
  id: 'gemini-stream',
  label: 'Gemini streamGenerateContent chunks, one per line: joined per responseId (a chunk with finishReason ends a stream)',
  isEvent: isGeminiResponse,
  split: (events) =>
    splitWhere(events, (e, prev) => {
      if (!prev) return false;
      const id = own(e, 'responseId');
      if (id !== undefined && own(prev, 'responseId') !== undefined) return id !== own(prev, 'responseId');
      const last = (own(prev, 'candidates') as unknown[])[0];
      return isRecord(last) && own(last, 'finishReason') !== undefined;
    }),
  read: (events, ctx) => traceOf(ctx, geminiGather(events, '*.')),
});

export const geminiCliRecording = recordFormat({
  id: 'gemini-cli',
  label: 'gemini-cli recorded responses: {method: generateContent | generateContentStream, response: <response> | [<chunks>]}',
  detect: (r) => typeof own(r, 'method') === 'string' && (isRecord(own(r, 'response')) || Array.isArray(own(r, 'response'))),
  read: (r, ctx) => {
    const response = own(r, 'response');
    const chunks = (Array.isArray(response) ? response : [response]).filter((x): x is Rec => isRecord(x) && isGeminiResponse(x));
    if (!chunks.length) return { traces: [], errors: [{ message: 'recorded response holds no Gemini candidates', source: ctx.source, field: 'response' }] };
    const g = geminiGather(chunks, Array.isArray(response) ? 'response.*.' : 'response.');
    g.meta.method = own(r, 'method');
    return traceOf(ctx, g);
  },
});

// ---------------------------------------------------------------------------------------------
// Ollama native API

function isOllama(r: Rec): boolean {
  return typeof own(r, 'model') === 'string' && typeof own(r, 'created_at') === 'string' && typeof own(r, 'done') === 'boolean' && (isRecord(own(r, 'message')) || typeof own(r, 'response') === 'string');
}

function ollamaGather(events: readonly Rec[], prefix: string): Gathered {
  let reasoning = '';
  let answer = '';
  let stop: unknown;
  let chat = false;
  for (const e of events) {
    const msg = own(e, 'message');
    if (isRecord(msg)) {
      chat = true;
      reasoning += str(msg, 'thinking') ?? '';
      answer += str(msg, 'content') ?? '';
    } else {
      reasoning += str(e, 'thinking') ?? '';
      answer += str(e, 'response') ?? '';
    }
    if (own(e, 'done') === true) stop = own(e, 'done_reason') ?? 'stop';
  }
  const meta = events.length ? copyMetadata(events[events.length - 1]!, ['message', 'response', 'thinking', 'context']) : {};
  if (events.length > 1) meta.chunks = events.length;
  return { reasoning, answer, stop, meta, fields: chat ? { reasoning: `${prefix}message.thinking`, answer: `${prefix}message.content` } : { reasoning: `${prefix}thinking`, answer: `${prefix}response` } };
}

export const ollamaResponse = recordFormat({
  id: 'ollama',
  label: 'Ollama native /api/chat (message.thinking, message.content) and /api/generate (thinking, response)',
  nestable: true,
  detect: isOllama,
  read: (r, ctx) => traceOf(ctx, ollamaGather([r], '')),
});

export const ollamaStream = streamFormat({
  id: 'ollama-stream',
  label: 'Ollama native stream: one object per line until done: true',
  isEvent: isOllama,
  split: (events) => splitWhere(events, (_e, prev) => !!prev && own(prev, 'done') === true),
  read: (events, ctx) => traceOf(ctx, ollamaGather(events, '*.')),
});
