/**
 * Dataset rows: chat message lists (ShareGPT `conversations`, `messages` with reasoning fields or
 * content parts: OpenThoughts, Bespoke-Stratos, OpenR1, NuminaMath, LLaMA-Factory), s1K, OpenR1
 * `generations[]`, question/solution rows (LIMO, LiteCoT, OpenThoughts metadata), GSM8K and its model
 * solutions, and lm-evaluation-harness `samples_*.jsonl`. Pure.
 */
import { extractFinalAnswer } from '../answer';
import { makeTrace, one, promptFromTemplate, separateSplit, splitAsReasoning, type ReadContext, type Rec } from '../build';
import { copyMetadata, isRecord, own, safeKeys, str } from '../safeJson';
import type { ParseResult, Trace } from '../types';
import { contentParts, referenceOf, roleOf } from './common';
import { recordFormat } from './spec';

/** A trace from a chat message list: the last assistant turn, with the last user turn before it as prompt. */
export function readMessages(list: unknown[], r: Rec, ctx: ReadContext, key: string): ParseResult {
  const ai = list.map((m) => (isRecord(m) ? roleOf(m) : '')).lastIndexOf('assistant');
  if (ai < 0) return { traces: [], errors: [{ message: `no assistant message in ${key}`, source: ctx.source, field: key }] };
  const assistant = list[ai] as Rec;
  const contentKey = own(assistant, 'content') !== undefined ? 'content' : 'value';
  const parts = contentParts(own(assistant, contentKey));
  const content = parts.text ?? '';
  let userAt = -1;
  for (let i = ai - 1; i >= 0; i--) if (isRecord(list[i]) && roleOf(list[i] as Rec) === 'user') { userAt = i; break; }
  const user = userAt >= 0 ? (list[userAt] as Rec) : undefined;
  const userKey = user && own(user, 'content') !== undefined ? 'content' : 'value';
  const systemMsg = list.find((m): m is Rec => isRecord(m) && roleOf(m) === 'system');
  const system = str(r, 'system') ?? (systemMsg ? contentParts(own(systemMsg, 'content') ?? own(systemMsg, 'value')).text : undefined);
  const separateKey = ['reasoning_content', 'reasoning', 'thinking'].find((k) => typeof own(assistant, k) === 'string' && own(assistant, k));
  const separate = separateKey ? (assistant[separateKey] as string) : parts.reasoning;
  const promptText = ctx.opts.prompt ?? (user ? contentParts(own(user, userKey)).text ?? '' : str(r, 'problem') ?? str(r, 'question') ?? '');
  const split = separate ? separateSplit(separate, content) : splitAsReasoning(content, ctx.opts, promptText);
  const meta = copyMetadata(r, [key, 'system']);
  if (system) meta.system = system;
  const at = `${key}.${ai}.${contentKey}`;
  return one(
    makeTrace(ctx, {
      prompt: promptText,
      reasoning: split.reasoning,
      truncated: split.truncated,
      answer: split.answer,
      ...(split.answerIsCode ? { answerIsCode: true } : {}),
      jsonPath: `${key}[${ai}]`,
      fields: {
        ...(!ctx.opts.prompt && user ? { prompt: `${key}.${userAt}.${userKey}` } : {}),
        reasoning: separateKey ? `${key}.${ai}.${separateKey}` : at,
        answer: at,
      },
      metadata: meta,
      warnings: [...split.warnings],
      reference: referenceOf(r),
    }),
  );
}

function hasAssistant(list: unknown): boolean {
  return Array.isArray(list) && list.some((m) => isRecord(m) && roleOf(m) === 'assistant');
}

export const conversations = recordFormat({
  id: 'conversations',
  label: 'ShareGPT rows: conversations[{from, value}] (OpenThoughts, Bespoke-Stratos: <|begin_of_thought|> … <|begin_of_solution|>)',
  detect: (r) => Array.isArray(own(r, 'conversations')),
  read: (r, ctx) => readMessages(own(r, 'conversations') as unknown[], r, ctx, 'conversations'),
});

export const messages = recordFormat({
  id: 'messages',
  label: 'chat rows: messages[{role, content}] with <think> in the content, a reasoning_content / reasoning field, or reasoning content parts (OpenR1, OpenThoughts2, LLaMA-Factory)',
  detect: (r) => hasAssistant(own(r, 'messages')),
  read: (r, ctx) => readMessages(own(r, 'messages') as unknown[], r, ctx, 'messages'),
});

export const s1k = recordFormat({
  id: 's1k',
  label: 's1K rows: question, one trace per <model>_thinking_trajectory (+ <model>_attempt)',
  detect: (r) => safeKeys(r).some((k) => k.endsWith('thinking_trajectory') || k === 'thinking_trajectories'),
  read: (r, ctx) => {
    const traces: Trace[] = [];
    const sol = str(r, 'solution');
    const reference = sol ? { answer: extractFinalAnswer(sol) ?? sol.trim() } : undefined;
    for (const key of safeKeys(r)) {
      const m = /^(?:(.*)_)?thinking_trajector(?:y|ies)$/.exec(key);
      if (!m) continue;
      const prefix = m[1] ?? '';
      const raw = r[key];
      const reasoning = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map(String).join('\n\n') : '';
      const attemptKey = prefix ? `${prefix}_attempt` : 'attempt';
      traces.push(
        makeTrace(ctx, {
          idSuffix: `/${prefix || 'thinking'}`,
          prompt: ctx.opts.prompt ?? str(r, 'question') ?? '',
          reasoning,
          truncated: false,
          answer: str(r, attemptKey) ?? '',
          jsonPath: key,
          fields: { prompt: 'question', reasoning: key, answer: attemptKey },
          metadata: { ...copyMetadata(r, safeKeys(r).filter((k) => /thinking_trajector|attempt$/.test(k) || k === 'question')), model: prefix || undefined },
          reference,
        }),
      );
    }
    return { traces, errors: [] };
  },
});

export const openR1 = recordFormat({
  id: 'openr1',
  label: 'OpenR1-Math rows: problem, one trace per generations[i] with correctness_math_verify[i] and finish_reasons[i]',
  detect: (r) => Array.isArray(own(r, 'generations')),
  read: (r, ctx) => {
    const gens = own(r, 'generations') as unknown[];
    const correct = own(r, 'correctness_math_verify');
    const finish = own(r, 'finish_reasons');
    const traces: Trace[] = [];
    const meta = copyMetadata(r, ['generations', 'correctness_math_verify', 'finish_reasons', 'problem', 'messages']);
    const prompt = ctx.opts.prompt ?? str(r, 'problem') ?? '';
    gens.forEach((g, i) => {
      if (typeof g !== 'string') return;
      const split = splitAsReasoning(g, ctx.opts, prompt);
      const c = Array.isArray(correct) && typeof correct[i] === 'boolean' ? (correct[i] as boolean) : undefined;
      const a = own(r, 'answer');
      traces.push(
        makeTrace(ctx, {
          idSuffix: `/generations[${i}]`,
          prompt,
          reasoning: split.reasoning,
          truncated: split.truncated,
          answer: split.answer,
          jsonPath: `generations[${i}]`,
          fields: { prompt: 'problem', reasoning: `generations.${i}`, answer: `generations.${i}` },
          metadata: { ...meta, ...(Array.isArray(finish) ? { finish_reason: finish[i] } : {}) },
          warnings: [...split.warnings],
          reference: { ...(typeof a === 'string' || typeof a === 'number' ? { answer: String(a) } : {}), ...(c !== undefined ? { correct: c } : {}) },
        }),
      );
    });
    return { traces, errors: [] };
  },
});

/** Splits a solution at its last `marker` line (`#### N`, `A: N`): reasoning before, the line as answer. */
function splitAtFinalLine(text: string, marker: RegExp): { reasoning: string; answer: string } {
  let at = -1;
  for (let m = marker.exec(text); m; m = marker.exec(text)) at = m.index;
  marker.lastIndex = 0;
  if (at < 0) return { reasoning: text, answer: '' };
  return { reasoning: text.slice(0, at).replace(/\s+$/, ''), answer: text.slice(at).trim() };
}

function modelSolutionKeys(r: Rec): string[] {
  return safeKeys(r).filter((k) => {
    const v = r[k];
    return isRecord(v) && typeof own(v, 'solution') === 'string' && typeof own(v, 'is_correct') === 'boolean';
  });
}

export const gsm8kModelSolution = recordFormat({
  id: 'gsm8k-model-solution',
  label: 'GSM8K model solutions: {question, ground_truth, <model>: {solution, is_correct}}, one trace per model',
  detect: (r) => (str(r, 'question') ?? str(r, 'problem')) !== undefined && typeof own(r, 'ground_truth') === 'string' && modelSolutionKeys(r).length > 0,
  read: (r, ctx) => {
    const gt = str(r, 'ground_truth') ?? '';
    const gtAnswer = extractFinalAnswer(splitAtFinalLine(gt, /^[^\S\n]*A:/gm).answer);
    const traces = modelSolutionKeys(r).map((key) => {
      const v = r[key] as Rec;
      const { reasoning, answer } = splitAtFinalLine(v.solution as string, /^[^\S\n]*A:/gm);
      return makeTrace(ctx, {
        idSuffix: `/${key}`,
        prompt: ctx.opts.prompt ?? str(r, 'question') ?? '',
        reasoning,
        truncated: false,
        answer,
        jsonPath: key,
        fields: { prompt: 'question', reasoning: `${key}.solution`, answer: `${key}.solution` },
        metadata: { model: key, groundTruth: gt },
        reference: { ...(gtAnswer !== undefined ? { answer: gtAnswer } : {}), correct: v.is_correct as boolean },
      });
    });
    return { traces, errors: [] };
  },
});

export const gsm8k = recordFormat({
  id: 'gsm8k',
  label: 'GSM8K rows: question, answer with step-by-step reasoning ending #### N',
  detect: (r) => str(r, 'question') !== undefined && /(^|\n)\s*####/.test(str(r, 'answer') ?? ''),
  read: (r, ctx) => {
    const { reasoning, answer } = splitAtFinalLine(str(r, 'answer') ?? '', /^[^\S\n]*####/gm);
    const finalAnswer = extractFinalAnswer(answer);
    return one(
      makeTrace(ctx, {
        prompt: ctx.opts.prompt ?? str(r, 'question') ?? '',
        reasoning,
        truncated: false,
        answer,
        jsonPath: 'answer',
        fields: { prompt: 'question', reasoning: 'answer', answer: 'answer' },
        metadata: copyMetadata(r, ['question', 'answer']),
        ...(finalAnswer !== undefined ? { reference: { answer: finalAnswer } } : {}),
      }),
    );
  },
});

export const questionSolution = recordFormat({
  id: 'question-solution',
  label: 'question / problem + solution rows (LIMO, LiteCoT, SmallThoughts, NuminaMath), OpenThoughts metadata (deepseek_reasoning, deepseek_solution)',
  detect: (r) => typeof own(r, 'deepseek_reasoning') === 'string' || ((str(r, 'question') ?? str(r, 'problem')) !== undefined && typeof own(r, 'solution') === 'string'),
  read: (r, ctx) => {
    const promptKey = str(r, 'question') !== undefined ? 'question' : 'problem';
    const prompt = ctx.opts.prompt ?? str(r, promptKey) ?? '';
    const dsReasoning = str(r, 'deepseek_reasoning');
    if (dsReasoning !== undefined) {
      return one(
        makeTrace(ctx, {
          prompt,
          reasoning: dsReasoning,
          truncated: false,
          answer: str(r, 'deepseek_solution') ?? '',
          jsonPath: 'deepseek_reasoning',
          fields: { prompt: promptKey, reasoning: 'deepseek_reasoning', answer: 'deepseek_solution' },
          metadata: copyMetadata(r, ['problem', 'deepseek_reasoning', 'deepseek_solution']),
          reference: referenceOf(r),
        }),
      );
    }
    const list = own(r, 'messages');
    if (Array.isArray(list) && hasAssistant(list)) return readMessages(list, r, ctx, 'messages');
    const split = splitAsReasoning(str(r, 'solution') ?? '', ctx.opts, prompt);
    return one(
      makeTrace(ctx, {
        prompt,
        reasoning: split.reasoning,
        truncated: split.truncated,
        answer: split.answer,
        jsonPath: 'solution',
        fields: { prompt: promptKey, reasoning: 'solution', ...(split.tags ? { answer: 'solution' } : {}) },
        metadata: copyMetadata(r, ['question', 'problem', 'solution']),
        // A CoT solution without delimiters is all reasoning: nothing to warn about.
        warnings: split.tags ? [...split.warnings] : [],
        reference: referenceOf(r),
      }),
    );
  },
});

// ---------------------------------------------------------------------------------------------
// lm-evaluation-harness

/** The prompt of an lm-eval sample: `arguments.gen_args_0.arg_0` (0.4.3+) or `arguments[0][0]`. */
function lmEvalPrompt(args: unknown): { text: string; path: string } | undefined {
  if (isRecord(args)) {
    const first = own(args, 'gen_args_0');
    if (isRecord(first) && typeof own(first, 'arg_0') === 'string') return { text: first.arg_0 as string, path: 'arguments.gen_args_0.arg_0' };
  }
  if (Array.isArray(args) && Array.isArray(args[0]) && typeof args[0][0] === 'string') return { text: args[0][0], path: 'arguments.0.0' };
  return undefined;
}

/** A per-sample metric as correctness: 1 → correct, 0 → not. */
function lmEvalCorrect(r: Rec): boolean | undefined {
  const metrics = own(r, 'metrics');
  const names = Array.isArray(metrics) ? metrics.filter((m): m is string => typeof m === 'string') : ['exact_match', 'acc'];
  for (const name of names) {
    const key = own(r, name) !== undefined ? name : safeKeys(r).find((k) => k.startsWith(`${name},`));
    const v = key !== undefined ? own(r, key) : undefined;
    if (v === 1 || v === true) return true;
    if (v === 0 || v === false) return false;
  }
  return undefined;
}

export const lmEvalSample = recordFormat({
  id: 'lm-eval',
  label: 'lm-evaluation-harness samples_*.jsonl: arguments (prompt), resps (generations), filtered_resps, target, metrics',
  detect: (r) => Array.isArray(own(r, 'resps')) && (own(r, 'doc') !== undefined || own(r, 'arguments') !== undefined || own(r, 'doc_id') !== undefined),
  read: (r, ctx) => {
    const prompt = lmEvalPrompt(own(r, 'arguments'));
    const rawPrompt = ctx.opts.prompt ?? prompt?.text ?? '';
    const promptText = promptFromTemplate(rawPrompt);
    const resps = own(r, 'resps') as unknown[];
    const gens: Array<{ text: string; path: string }> = [];
    resps.forEach((req, i) => {
      if (typeof req === 'string') gens.push({ text: req, path: `resps.${i}` });
      else if (Array.isArray(req)) req.forEach((g, j) => typeof g === 'string' && gens.push({ text: g, path: `resps.${i}.${j}` }));
    });
    if (!gens.length) return { traces: [], errors: [{ message: 'lm-eval sample without text generations (a log-likelihood task?)', source: ctx.source, field: 'resps' }] };
    const target = own(r, 'target');
    const correct = gens.length === 1 ? lmEvalCorrect(r) : undefined;
    const id = own(r, 'doc_id');
    const meta = copyMetadata(r, ['resps', 'arguments', 'doc']);
    const traces = gens.map((g, i) => {
      const split = splitAsReasoning(g.text, ctx.opts, rawPrompt);
      return makeTrace(ctx, {
        ...(id !== undefined ? { idSuffix: gens.length > 1 ? `doc${String(id)}/${i}` : `doc${String(id)}`, idIsFull: true } : gens.length > 1 ? { idSuffix: `/resps[${i}]` } : {}),
        prompt: promptText,
        reasoning: split.reasoning,
        truncated: split.truncated,
        answer: split.answer,
        fields: { ...(prompt && !ctx.opts.prompt ? { prompt: prompt.path } : {}), reasoning: g.path, ...(split.tags ? { answer: g.path } : {}), ...(id !== undefined ? { id: 'doc_id' } : {}) },
        metadata: meta,
        warnings: [...split.warnings],
        reference: { ...(typeof target === 'string' || typeof target === 'number' ? { answer: String(target) } : {}), ...(correct !== undefined ? { correct } : {}) },
      });
    });
    return { traces, errors: [] };
  },
});
