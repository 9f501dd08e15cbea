/**
 * Pure parsers: format detection and conversion of text / JSON records into {@link Trace}s. No I/O;
 * the readers in `read.ts` and `jsonlIndex.ts` feed them.
 */
import { extractFinalAnswer } from './answer';
import { alignTokens, readCandidates, type RawToken, type RegionSpan } from './logprobs';
import { copyMetadata, isRecord, own, safeKeys, safeParseJson, str } from './safeJson';
import { lineAt, parseChatTemplate, splitReasoning, type SplitResponse, type TagPair } from './text';
import type { FileChunk, ParseOptions, ParseResult, SourceLocation, TokenLogprob, Trace, TraceFormat } from './types';

type Rec = Record<string, unknown>;

/** Fields common to every trace builder call. */
interface TraceParts {
  id: string;
  format: TraceFormat;
  prompt: string;
  reasoning: string;
  truncated: boolean;
  answer: string;
  source: SourceLocation;
  metadata?: Rec;
  warnings?: string[];
  logprobs?: TokenLogprob[];
  chunks?: FileChunk[];
  reference?: { answer?: string; correct?: boolean };
  finalAnswer?: string;
}

function makeTrace(p: TraceParts): Trace {
  const warnings = p.warnings ?? [];
  if (!p.reasoning.trim()) warnings.push('empty reasoning');
  // The final answer comes from the answer; a trace with no separate answer states it in its reasoning.
  const finalAnswer = p.finalAnswer ?? (p.answer.trim() ? extractFinalAnswer(p.answer) : p.truncated ? undefined : extractFinalAnswer(p.reasoning));
  const reference = p.reference && (p.reference.answer !== undefined || p.reference.correct !== undefined) ? p.reference : undefined;
  return {
    id: p.id,
    format: p.format,
    prompt: p.prompt,
    reasoning: p.reasoning,
    truncated: p.truncated,
    answer: p.answer,
    ...(finalAnswer !== undefined ? { finalAnswer } : {}),
    ...(p.logprobs && p.logprobs.length ? { logprobs: p.logprobs } : {}),
    ...(p.chunks ? { chunks: p.chunks } : {}),
    ...(reference ? { reference } : {}),
    source: p.source,
    metadata: p.metadata ?? {},
    warnings,
  };
}

function tagsOf(opts: ParseOptions): TagPair | undefined {
  return opts.reasoningTags ? [opts.reasoningTags[0], opts.reasoningTags[1]] : undefined;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A response string split at its delimiters; no delimiters = the whole response is the reasoning. */
function splitAsReasoning(text: string, opts: ParseOptions): SplitResponse {
  const s = splitReasoning(text, tagsOf(opts));
  if (s.tags) return s;
  return { before: '', reasoning: text, reasoningStart: 0, answer: '', answerStart: -1, truncated: false, warnings: ['no reasoning delimiters; the whole response is treated as reasoning'] };
}

// ---------------------------------------------------------------------------------------------
// Detection

/**
 * Detects the format of a parsed JSON value or of a text. A JSON text (starting with `{` or `[`) is
 * parsed and its value detected; other text is `chat-template` when it holds chat-template tokens,
 * else `think-text`.
 */
export function detectFormat(input: unknown): TraceFormat {
  if (typeof input === 'string') {
    const t = stripBom(input).trimStart();
    if (t.startsWith('{') || t.startsWith('[')) {
      const r = safeParseJson(t);
      if (r.ok) return detectFormat(r.value);
    }
    return parseChatTemplate(t) ? 'chat-template' : 'think-text';
  }
  if (Array.isArray(input)) {
    const first = input.find(isRecord);
    if (!first) return 'unrecognised';
    if (isStreamChunk(first)) return 'openai-chat-stream';
    return detectFormat(first);
  }
  if (!isRecord(input)) return 'unrecognised';
  const r = input;
  const choices = own(r, 'choices');
  if (Array.isArray(choices) && isRecord(choices[0])) {
    const c = choices[0];
    if (own(r, 'prompt_logprobs') !== undefined || own(c, 'prompt_logprobs') !== undefined) return 'vllm-prompt-logprobs';
    if (isRecord(own(c, 'message'))) return 'openai-chat';
    if (isRecord(own(c, 'delta'))) return 'openai-chat-stream';
    if (typeof own(c, 'text') === 'string') return 'openai-completion';
  }
  if (isStreamChunk(r)) return 'openai-chat-stream';
  if (typeof own(r, 'full_cot') === 'string' && typeof own(r, 'solution') === 'string') return 'thought-anchors';
  if (Array.isArray(own(r, 'generations'))) return 'openr1';
  if (Object.keys(r).some((k) => k.endsWith('thinking_trajectory') || k === 'thinking_trajectories')) return 's1k';
  if (typeof own(r, 'deepseek_reasoning') === 'string') return 'question-solution';
  if (Array.isArray(own(r, 'conversations'))) return 'conversations';
  const question = str(r, 'question') ?? str(r, 'problem');
  if (question !== undefined && typeof own(r, 'ground_truth') === 'string' && modelSolutionKeys(r).length > 0) return 'gsm8k-model-solution';
  if (str(r, 'question') !== undefined && /(^|\n)\s*####/.test(str(r, 'answer') ?? '')) return 'gsm8k';
  if (question !== undefined && typeof own(r, 'solution') === 'string') return 'question-solution';
  if (Array.isArray(own(r, 'messages'))) return 'messages';
  return 'unrecognised';
}

function isStreamChunk(r: Rec): boolean {
  return own(r, 'object') === 'chat.completion.chunk';
}

function modelSolutionKeys(r: Rec): string[] {
  return safeKeys(r).filter((k) => {
    const v = r[k];
    return isRecord(v) && typeof own(v, 'solution') === 'string' && typeof own(v, 'is_correct') === 'boolean';
  });
}

// ---------------------------------------------------------------------------------------------
// Text traces

/**
 * Parses a text trace: `<think>…</think>` markdown (and the other known or custom delimiters) or a raw
 * chat-template dump. The prompt is the text before the opening tag (or the last user turn), unless
 * `opts.prompt` gives it. Metadata holds `reasoningOffset` / `answerOffset` into `text` (BOM removed).
 */
export function parseTraceText(text: string, opts: ParseOptions = {}, source: SourceLocation = { file: '<text>' }, id = '0'): Trace {
  const clean = stripBom(text);
  const forced = opts.format && opts.format !== 'auto' ? opts.format : undefined;
  const dump = forced === 'think-text' ? undefined : parseChatTemplate(clean);
  if (dump) {
    const assistantIdx = dump.messages.map((m) => m.role).lastIndexOf('assistant');
    const warnings: string[] = [];
    if (assistantIdx < 0) warnings.push('chat template without an assistant turn');
    const assistant = assistantIdx >= 0 ? dump.messages[assistantIdx] : undefined;
    const before = assistantIdx >= 0 ? dump.messages.slice(0, assistantIdx) : dump.messages;
    const user = [...before].reverse().find((m) => m.role === 'user');
    const system = before.find((m) => m.role === 'system');
    const response = assistant?.content ?? '';
    const split = splitReasoning(response, tagsOf(opts));
    warnings.push(...split.warnings);
    const truncated = split.truncated;
    const offset = assistant?.start ?? 0;
    return makeTrace({
      id,
      format: 'chat-template',
      prompt: opts.prompt ?? user?.content.trim() ?? '',
      reasoning: split.tags ? split.reasoning : '',
      truncated,
      answer: split.answer,
      source: { ...source, line: lineAt(clean, offset + split.reasoningStart) },
      metadata: {
        template: dump.template,
        ...(system ? { system: system.content.trim() } : {}),
        reasoningOffset: offset + split.reasoningStart,
        ...(split.answerStart >= 0 ? { answerOffset: offset + split.answerStart } : {}),
      },
      warnings,
    });
  }
  const split = splitAsReasoning(clean, opts);
  return makeTrace({
    id,
    format: 'think-text',
    prompt: opts.prompt ?? split.before.trim(),
    reasoning: split.reasoning,
    truncated: split.truncated,
    answer: split.answer,
    source: { ...source, line: lineAt(clean, split.reasoningStart) },
    metadata: { reasoningOffset: split.reasoningStart, ...(split.answerStart >= 0 ? { answerOffset: split.answerStart } : {}) },
    warnings: [...split.warnings],
  });
}

// ---------------------------------------------------------------------------------------------
// JSON records

/** Text of a message `content`: a string, or OpenAI content parts `[{type:'text', text}]`. */
function contentText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const parts = v.map((p) => (typeof p === 'string' ? p : isRecord(p) && typeof own(p, 'text') === 'string' ? (p.text as string) : '')).filter(Boolean);
    return parts.length ? parts.join('') : undefined;
  }
  return undefined;
}

function roleOf(m: Rec): string {
  const r = String(own(m, 'role') ?? own(m, 'from') ?? '').toLowerCase();
  if (r === 'human' || r === 'user') return 'user';
  if (r === 'gpt' || r === 'assistant' || r === 'model' || r === 'bot') return 'assistant';
  return r;
}

/** A trace from a chat message list (`conversations[{from,value}]` or `messages[{role,content}]`). */
function fromMessages(list: unknown[], r: Rec, format: TraceFormat, opts: ParseOptions, source: SourceLocation, id: string, path: string): ParseResult {
  const msgs = list.filter(isRecord);
  const ai = msgs.map(roleOf).lastIndexOf('assistant');
  if (ai < 0) return { traces: [], errors: [{ message: `no assistant message in ${path}`, source, field: path }] };
  const assistant = msgs[ai];
  const content = contentText(own(assistant, 'content') ?? own(assistant, 'value')) ?? '';
  const user = msgs.slice(0, ai).reverse().find((m) => roleOf(m) === 'user');
  const systemMsg = msgs.find((m) => roleOf(m) === 'system');
  const system = str(r, 'system') ?? (systemMsg ? contentText(own(systemMsg, 'content') ?? own(systemMsg, 'value')) : undefined);
  const separate = str(assistant, 'reasoning_content') ?? str(assistant, 'reasoning') ?? str(assistant, 'thinking');
  const split: SplitResponse = separate
    ? { before: '', reasoning: separate, reasoningStart: 0, answer: content, answerStart: 0, truncated: false, warnings: [] }
    : splitAsReasoning(content, opts);
  const meta = copyMetadata(r, [format === 'conversations' ? 'conversations' : 'messages', 'system']);
  if (system) meta.system = system;
  return {
    traces: [
      makeTrace({
        id,
        format,
        prompt: opts.prompt ?? (user ? contentText(own(user, 'content') ?? own(user, 'value')) ?? '' : str(r, 'problem') ?? str(r, 'question') ?? ''),
        reasoning: split.reasoning,
        truncated: split.truncated,
        answer: split.answer,
        source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.${path}[${ai}]` },
        metadata: meta,
        warnings: [...split.warnings],
        reference: referenceOf(r),
      }),
    ],
    errors: [],
  };
}

/** Ground truth kept by many datasets as `answer` (a string or number). */
function referenceOf(r: Rec): { answer?: string } | undefined {
  const a = own(r, 'answer');
  if (typeof a === 'string' || typeof a === 'number') return { answer: String(a) };
  const gt = str(r, 'ground_truth_solution') ?? str(r, 'gt_answer');
  if (gt) return { answer: extractFinalAnswer(gt) ?? gt };
  return undefined;
}

function numberArray(v: unknown): number[] | undefined {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : Number.NaN)) : undefined;
}

/** Tokens of an OpenAI chat `logprobs.content` list. */
function chatTokens(v: unknown): RawToken[] {
  if (!Array.isArray(v)) return [];
  const out: RawToken[] = [];
  for (const t of v) {
    if (!isRecord(t) || typeof own(t, 'token') !== 'string') continue;
    const bytes = own(t, 'bytes');
    const top = readCandidates(own(t, 'top_logprobs'));
    out.push({
      token: t.token as string,
      logprob: Number(own(t, 'logprob')),
      ...(Array.isArray(bytes) && bytes.every((b) => typeof b === 'number') ? { bytes: bytes as number[] } : {}),
      ...(top && top.length ? { topLogprobs: top } : {}),
    });
  }
  return out;
}

/** Tokens of a legacy completions `logprobs` object. */
function legacyTokens(lp: Rec): RawToken[] {
  const tokens = own(lp, 'tokens');
  if (!Array.isArray(tokens)) return [];
  const values = numberArray(own(lp, 'token_logprobs')) ?? [];
  const tops = own(lp, 'top_logprobs');
  return tokens.map((t, i) => {
    const top = Array.isArray(tops) ? readCandidates(tops[i]) : undefined;
    return { token: String(t), logprob: values[i] ?? Number.NaN, ...(top && top.length ? { topLogprobs: top } : {}) };
  });
}

/** vLLM `prompt_logprobs`: null first, then `{token_id: {logprob, rank, decoded_token}}`; the first key is the actual token. */
function vllmPromptTokens(v: unknown): RawToken[] {
  if (!Array.isArray(v)) return [];
  const out: RawToken[] = [];
  for (const entry of v) {
    if (!isRecord(entry)) continue;
    const candidates = safeKeys(entry)
      .map((k) => entry[k])
      .filter(isRecord)
      .map((c) => ({ token: String(own(c, 'decoded_token') ?? ''), logprob: Number(own(c, 'logprob')), rank: Number(own(c, 'rank')) }));
    if (!candidates.length) continue;
    const [actual] = candidates;
    out.push({ token: actual.token, logprob: actual.logprob, topLogprobs: candidates.map(({ token, logprob }) => ({ token, logprob })) });
  }
  return out;
}

/** Regions of a response split, as spans of the response string. */
function responseRegions(split: SplitResponse, separateReasoning: boolean, responseLength: number): RegionSpan[] {
  if (separateReasoning || !split.tags) return [{ region: 'answer', start: 0, end: responseLength }];
  const regions: RegionSpan[] = [{ region: 'reasoning', start: split.reasoningStart, end: split.reasoningStart + split.reasoning.length }];
  if (split.answerStart >= 0) regions.push({ region: 'answer', start: split.answerStart, end: split.answerStart + split.answer.length });
  return regions;
}

/** One OpenAI-compatible choice (chat message, stream aggregate or legacy text) as a trace. */
function fromChoice(args: {
  r: Rec;
  format: TraceFormat;
  content: string;
  separateReasoning?: string;
  contentTokens: RawToken[];
  reasoningTokens?: RawToken[];
  promptTokens?: RawToken[];
  finishReason?: unknown;
  opts: ParseOptions;
  source: SourceLocation;
  id: string;
}): Trace {
  const { r, content, separateReasoning, opts } = args;
  const warnings: string[] = [];
  const hasSeparate = !!separateReasoning;
  const split: SplitResponse = hasSeparate
    ? { before: '', reasoning: separateReasoning, reasoningStart: 0, answer: content, answerStart: 0, truncated: false, warnings: [] }
    : splitReasoning(content, tagsOf(opts));
  warnings.push(...split.warnings.filter((w) => w !== 'no reasoning delimiters found'));
  if (!split.tags && !hasSeparate) warnings.push('no reasoning in this response (no reasoning field, no delimiters)');
  let truncated = split.truncated;
  if (args.finishReason === 'length' && hasSeparate && !content.trim()) truncated = true;
  const logprobs: TokenLogprob[] = [];
  if (args.contentTokens.length) logprobs.push(...alignTokens(args.contentTokens, content, responseRegions(split, hasSeparate, content.length), warnings, 'content logprobs'));
  if (args.reasoningTokens?.length && separateReasoning) {
    logprobs.push(...alignTokens(args.reasoningTokens, separateReasoning, [{ region: 'reasoning', start: 0, end: separateReasoning.length }], warnings, 'reasoning logprobs'));
  }
  let prompt = opts.prompt ?? str(r, 'prompt') ?? '';
  if (args.promptTokens?.length) {
    if (!prompt) {
      prompt = args.promptTokens.map((t) => t.token).join('');
      warnings.push('prompt rebuilt from prompt_logprobs tokens (the first prompt token has no logprob and is missing)');
    }
    logprobs.push(...alignTokens(args.promptTokens, prompt, [{ region: 'prompt', start: 0, end: prompt.length }], warnings, 'prompt logprobs'));
  }
  const meta = copyMetadata(r, ['choices', 'prompt_logprobs', 'prompt']);
  if (args.finishReason !== undefined) meta.finish_reason = args.finishReason;
  return makeTrace({
    id: args.id,
    format: args.format,
    prompt,
    reasoning: split.tags || hasSeparate ? split.reasoning : '',
    truncated,
    answer: split.answer,
    source: args.source,
    metadata: meta,
    warnings,
    logprobs,
  });
}

function fromOpenAi(r: Rec, format: TraceFormat, opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  const choices = own(r, 'choices');
  if (!Array.isArray(choices) || !choices.some(isRecord)) return { traces: [], errors: [{ message: 'response has no choices', source, field: 'choices' }] };
  const traces: Trace[] = [];
  const topPrompt = vllmPromptTokens(own(r, 'prompt_logprobs'));
  choices.forEach((c, i) => {
    if (!isRecord(c)) return;
    const msg = own(c, 'message');
    const lp = own(c, 'logprobs');
    const promptTokens = topPrompt.length ? topPrompt : vllmPromptTokens(own(c, 'prompt_logprobs'));
    const common = { r, format, opts, id: choices.length > 1 ? `${id}/choices[${i}]` : id, source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.choices[${i}]` }, promptTokens, finishReason: own(c, 'finish_reason') };
    if (isRecord(msg)) {
      traces.push(
        fromChoice({
          ...common,
          content: contentText(own(msg, 'content')) ?? '',
          separateReasoning: str(msg, 'reasoning_content') ?? str(msg, 'reasoning') ?? undefined,
          contentTokens: isRecord(lp) ? chatTokens(own(lp, 'content')) : [],
          reasoningTokens: isRecord(lp) ? chatTokens(own(lp, 'reasoning_content') ?? own(lp, 'reasoning')) : [],
        }),
      );
    } else {
      traces.push(fromChoice({ ...common, content: str(c, 'text') ?? '', contentTokens: isRecord(lp) ? legacyTokens(lp) : [] }));
    }
  });
  return { traces, errors: [] };
}

/** A streamed response: the `delta`s of every chunk, concatenated; logprobs kept per field. */
function fromStream(chunks: unknown[], opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  let content = '';
  let reasoning = '';
  const contentTokens: RawToken[] = [];
  const reasoningTokens: RawToken[] = [];
  let finishReason: unknown;
  let first: Rec | undefined;
  for (const ch of chunks) {
    if (!isRecord(ch)) continue;
    first ??= ch;
    const choices = own(ch, 'choices');
    const c = Array.isArray(choices) ? choices.find((x) => isRecord(x) && (own(x, 'index') ?? 0) === 0) : undefined;
    if (!isRecord(c)) continue;
    const delta = own(c, 'delta');
    const tokens = isRecord(own(c, 'logprobs')) ? chatTokens(own(own(c, 'logprobs') as Rec, 'content')) : [];
    if (isRecord(delta)) {
      const rc = str(delta, 'reasoning_content') ?? str(delta, 'reasoning');
      const cc = contentText(own(delta, 'content'));
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
  if (!first) return { traces: [], errors: [{ message: 'empty stream', source }] };
  const meta = copyMetadata(first, ['choices']);
  meta.chunks = chunks.length;
  return {
    traces: [fromChoice({ r: meta, format: 'openai-chat-stream', content, separateReasoning: reasoning || undefined, contentTokens, reasoningTokens, finishReason, opts, source, id })],
    errors: [],
  };
}

/** s1K: one trace per `<prefix>_thinking_trajectory` (+ `<prefix>_attempt`). */
function fromS1k(r: Rec, opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  const traces: Trace[] = [];
  const reference = (() => {
    const sol = str(r, 'solution');
    return sol ? { answer: extractFinalAnswer(sol) ?? sol.trim() } : undefined;
  })();
  for (const key of safeKeys(r)) {
    const m = /^(?:(.*)_)?thinking_trajector(?:y|ies)$/.exec(key);
    if (!m) continue;
    const prefix = m[1] ?? '';
    const raw = r[key];
    const reasoning = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map(String).join('\n\n') : '';
    const attempt = str(r, prefix ? `${prefix}_attempt` : 'attempt') ?? '';
    traces.push(
      makeTrace({
        id: `${id}/${prefix || 'thinking'}`,
        format: 's1k',
        prompt: opts.prompt ?? str(r, 'question') ?? '',
        reasoning,
        truncated: false,
        answer: attempt,
        source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.${key}` },
        metadata: { ...copyMetadata(r, safeKeys(r).filter((k) => /thinking_trajector|attempt$/.test(k) || k === 'question')), model: prefix || undefined },
        reference,
      }),
    );
  }
  return { traces, errors: [] };
}

/** OpenR1: one trace per `generations[i]`, `correctness_math_verify[i]` as the reference label. */
function fromOpenR1(r: Rec, opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  const gens = own(r, 'generations') as unknown[];
  const correct = own(r, 'correctness_math_verify');
  const finish = own(r, 'finish_reasons');
  const traces: Trace[] = [];
  const meta = copyMetadata(r, ['generations', 'correctness_math_verify', 'finish_reasons', 'problem', 'messages']);
  gens.forEach((g, i) => {
    if (typeof g !== 'string') return;
    const split = splitAsReasoning(g, opts);
    const c = Array.isArray(correct) && typeof correct[i] === 'boolean' ? (correct[i] as boolean) : undefined;
    const a = own(r, 'answer');
    traces.push(
      makeTrace({
        id: `${id}/generations[${i}]`,
        format: 'openr1',
        prompt: opts.prompt ?? str(r, 'problem') ?? '',
        reasoning: split.reasoning,
        truncated: split.truncated,
        answer: split.answer,
        source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.generations[${i}]` },
        metadata: { ...meta, ...(Array.isArray(finish) ? { finish_reason: finish[i] } : {}) },
        warnings: [...split.warnings],
        reference: { ...(typeof a === 'string' || typeof a === 'number' ? { answer: String(a) } : {}), ...(c !== undefined ? { correct: c } : {}) },
      }),
    );
  });
  return { traces, errors: [] };
}

/** Splits a solution at its last `marker` line (`#### N`, `A: N`): reasoning before, the line as answer. */
function splitAtFinalLine(text: string, marker: RegExp): { reasoning: string; answer: string } {
  let at = -1;
  for (let m = marker.exec(text); m; m = marker.exec(text)) at = m.index;
  marker.lastIndex = 0;
  if (at < 0) return { reasoning: text, answer: '' };
  return { reasoning: text.slice(0, at).replace(/\s+$/, ''), answer: text.slice(at).trim() };
}

function fromGsm8k(r: Rec, opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  const { reasoning, answer } = splitAtFinalLine(str(r, 'answer') ?? '', /^[^\S\n]*####/gm);
  const finalAnswer = extractFinalAnswer(answer);
  return {
    traces: [
      makeTrace({
        id,
        format: 'gsm8k',
        prompt: opts.prompt ?? str(r, 'question') ?? '',
        reasoning,
        truncated: false,
        answer,
        source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.answer` },
        metadata: copyMetadata(r, ['question', 'answer']),
        reference: finalAnswer !== undefined ? { answer: finalAnswer } : undefined,
      }),
    ],
    errors: [],
  };
}

/** GSM8K model solutions: `{question, ground_truth, <model>: {solution, is_correct}}`, one trace per model. */
function fromGsm8kModels(r: Rec, opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  const gt = str(r, 'ground_truth') ?? '';
  const gtAnswer = extractFinalAnswer(splitAtFinalLine(gt, /^[^\S\n]*A:/gm).answer);
  const traces = modelSolutionKeys(r).map((key) => {
    const v = r[key] as Rec;
    const { reasoning, answer } = splitAtFinalLine(v.solution as string, /^[^\S\n]*A:/gm);
    return makeTrace({
      id: `${id}/${key}`,
      format: 'gsm8k-model-solution',
      prompt: opts.prompt ?? str(r, 'question') ?? '',
      reasoning,
      truncated: false,
      answer,
      source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.${key}` },
      metadata: { model: key, groundTruth: gt },
      reference: { ...(gtAnswer !== undefined ? { answer: gtAnswer } : {}), correct: v.is_correct as boolean },
    });
  });
  return { traces, errors: [] };
}

function fromQuestionSolution(r: Rec, opts: ParseOptions, source: SourceLocation, id: string): ParseResult {
  const prompt = opts.prompt ?? str(r, 'question') ?? str(r, 'problem') ?? '';
  const dsReasoning = str(r, 'deepseek_reasoning');
  if (dsReasoning !== undefined) {
    // OpenThoughts metadata config.
    return {
      traces: [
        makeTrace({
          id,
          format: 'question-solution',
          prompt,
          reasoning: dsReasoning,
          truncated: false,
          answer: str(r, 'deepseek_solution') ?? '',
          source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.deepseek_reasoning` },
          metadata: copyMetadata(r, ['problem', 'deepseek_reasoning', 'deepseek_solution']),
          reference: referenceOf(r),
        }),
      ],
      errors: [],
    };
  }
  const messages = own(r, 'messages');
  if (Array.isArray(messages) && messages.some((m) => isRecord(m) && roleOf(m) === 'assistant')) {
    const res = fromMessages(messages, r, 'question-solution', opts, source, id, 'messages');
    return res;
  }
  const split = splitAsReasoning(str(r, 'solution') ?? '', opts);
  return {
    traces: [
      makeTrace({
        id,
        format: 'question-solution',
        prompt,
        reasoning: split.reasoning,
        truncated: split.truncated,
        answer: split.answer,
        source: { ...source, jsonPath: `${source.jsonPath ?? '$'}.solution` },
        metadata: copyMetadata(r, ['question', 'problem', 'solution']),
        warnings: split.tags ? [...split.warnings] : [],
        reference: referenceOf(r),
      }),
    ],
    errors: [],
  };
}

/**
 * Converts one parsed JSON record into traces (several for s1K, OpenR1, GSM8K model solutions and
 * multi-choice responses). Never throws: problems become `errors` (e.g. "unrecognised record" with the
 * keys seen). `id` defaults to the record's position in `source.jsonPath`/`line`.
 */
export function parseTraceRecord(record: unknown, opts: ParseOptions = {}, source: SourceLocation = { file: '<record>' }, id = '0'): ParseResult {
  const format = opts.format && opts.format !== 'auto' ? opts.format : detectFormat(record);
  try {
    if (Array.isArray(record)) {
      if (format === 'openai-chat-stream') return fromStream(record, opts, source, id);
      return { traces: [], errors: [{ message: `unexpected array for format ${format}`, source }] };
    }
    if (!isRecord(record)) return { traces: [], errors: [{ message: `unrecognised record: not an object (${record === null ? 'null' : typeof record})`, source }] };
    const r = record;
    switch (format) {
      case 'openai-chat':
      case 'openai-completion':
      case 'vllm-prompt-logprobs':
        return fromOpenAi(r, format, opts, source, id);
      case 'openai-chat-stream':
        return fromStream([r], opts, source, id);
      case 'conversations':
      case 'messages': {
        const list = own(r, format);
        if (!Array.isArray(list)) return { traces: [], errors: [{ message: `record has no ${format} array`, source, field: format }] };
        return fromMessages(list, r, format, opts, source, id, format);
      }
      case 's1k':
        return fromS1k(r, opts, source, id);
      case 'openr1':
        return fromOpenR1(r, opts, source, id);
      case 'gsm8k':
        return fromGsm8k(r, opts, source, id);
      case 'gsm8k-model-solution':
        return fromGsm8kModels(r, opts, source, id);
      case 'question-solution':
        return fromQuestionSolution(r, opts, source, id);
      case 'thought-anchors':
        return { traces: [parseThoughtAnchors({ base: r }, source, id)], errors: [] };
      case 'think-text':
      case 'chat-template': {
        const text = str(r, 'text') ?? str(r, 'response') ?? str(r, 'output') ?? str(r, 'completion');
        if (text === undefined) return unrecognised(r, source);
        return { traces: [parseTraceText(text, { ...opts, format, prompt: opts.prompt ?? str(r, 'prompt') }, source, id)], errors: [] };
      }
      case 'unrecognised':
        return unrecognised(r, source);
      default: {
        const never: never = format;
        return { traces: [], errors: [{ message: `unknown format ${String(never)}`, source }] };
      }
    }
  } catch (e) {
    // A parser bug must not take the rest of the file down with it.
    return { traces: [], errors: [{ message: `could not parse record: ${e instanceof Error ? e.message : String(e)}`, source }] };
  }
}

function unrecognised(r: Rec, source: SourceLocation): ParseResult {
  const keys = Object.keys(r);
  const shown = keys.slice(0, 20).join(', ') + (keys.length > 20 ? `, … (${keys.length} keys)` : '');
  return { traces: [], errors: [{ message: `unrecognised record: none of the known trace fields; keys seen: ${shown || '(none)'}`, source }] };
}

// ---------------------------------------------------------------------------------------------
// Thought-Anchors

/**
 * Locates each chunk in `text` in order, ignoring differences in whitespace (the chunker collapses
 * `\n\n` to a space). Unplaced chunks get `undefined`.
 */
export function locateChunks(text: string, chunks: readonly string[]): Array<{ start: number; end: number } | undefined> {
  const index: number[] = [];
  let projected = '';
  for (let i = 0; i < text.length; i++) {
    if (!/\s/.test(text[i])) {
      projected += text[i];
      index.push(i);
    }
  }
  let from = 0;
  return chunks.map((chunk) => {
    const needle = chunk.replace(/\s+/g, '');
    if (!needle) return undefined;
    const at = projected.indexOf(needle, from);
    if (at < 0) return undefined;
    from = at + needle.length;
    return { start: index[at], end: index[at + needle.length - 1] + 1 };
  });
}

/** The parts of a Thought-Anchors problem folder, already parsed. */
export interface ThoughtAnchorsParts {
  readonly problem?: unknown;
  readonly base: unknown;
  readonly chunks?: unknown;
  readonly summary?: unknown;
}

/**
 * A Thought-Anchors problem: `base_solution.json` gives the prompt (ending `<think>\n`) and `solution`
 * (reasoning, `</think>`, write-up); `chunks_labeled.json` becomes {@link FileChunk}s located in the
 * reasoning with their function tags and importance values.
 */
export function parseThoughtAnchors(parts: ThoughtAnchorsParts, source: SourceLocation, id: string): Trace {
  const base = isRecord(parts.base) ? parts.base : {};
  const problem = isRecord(parts.problem) ? parts.problem : {};
  const warnings: string[] = [];
  const solution = str(base, 'solution') ?? '';
  const split = splitReasoning(solution);
  const reasoning = split.tags ? split.reasoning : solution;
  const prompt = (str(base, 'prompt') ?? str(problem, 'problem') ?? '').replace(/\s*<think>\s*$/, '').trim();
  let chunks: FileChunk[] | undefined;
  if (Array.isArray(parts.chunks)) {
    const raw = parts.chunks.filter(isRecord);
    const places = locateChunks(reasoning, raw.map((c) => str(c, 'chunk') ?? ''));
    let missing = 0;
    chunks = raw.map((c, i) => {
      const place = places[i];
      if (!place) missing++;
      const importance: Record<string, number> = {};
      const metadata: Record<string, unknown> = {};
      for (const k of safeKeys(c)) {
        const v = c[k];
        if (k === 'chunk' || k === 'function_tags') continue;
        if (typeof v === 'number' && (k.includes('importance') || k === 'accuracy' || k === 'overdeterminedness' || k === 'different_trajectories_fraction')) importance[k] = v;
        else metadata[k] = v;
      }
      const tags = own(c, 'function_tags');
      return {
        start: place?.start ?? -1,
        end: place?.end ?? -1,
        ...(Array.isArray(tags) ? { labels: tags.map(String) } : {}),
        importance,
        metadata: { ...metadata, text: str(c, 'chunk') ?? '' },
      };
    });
    if (missing) warnings.push(`${missing} of ${raw.length} chunks could not be located in the reasoning (offsets -1)`);
  }
  const correct = own(base, 'is_correct');
  const gt = str(problem, 'gt_answer');
  const meta = copyMetadata(problem, ['problem']);
  const modelAnswer = own(base, 'answer');
  if (modelAnswer !== undefined) meta.modelAnswer = modelAnswer;
  if (parts.summary !== undefined) meta.summary = parts.summary;
  return makeTrace({
    id,
    format: 'thought-anchors',
    prompt,
    reasoning,
    truncated: split.truncated,
    answer: split.tags ? split.answer : '',
    source,
    metadata: meta,
    warnings: [...split.warnings, ...warnings],
    chunks,
    reference: { ...(gt !== undefined ? { answer: gt } : {}), ...(typeof correct === 'boolean' ? { correct } : {}) },
  });
}

/** Every concrete format, for argument validation and UIs. */
export const TRACE_FORMATS: readonly TraceFormat[] = [
  'think-text',
  'chat-template',
  'openai-chat',
  'openai-chat-stream',
  'openai-completion',
  'vllm-prompt-logprobs',
  'conversations',
  'messages',
  's1k',
  'openr1',
  'question-solution',
  'gsm8k',
  'gsm8k-model-solution',
  'thought-anchors',
];
