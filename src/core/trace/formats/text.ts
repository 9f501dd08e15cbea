/**
 * Text traces: markdown / plain text with reasoning delimiters (`<think>`, `<thinking>`, `<reasoning>`,
 * `<|begin_of_thought|>`…, or custom ones) and raw chat-template dumps (DeepSeek, ChatML, Llama-3,
 * Gemma, Phi, Mistral `[INST]`). Metadata holds `reasoningOffset` / `answerOffset` into the text. Pure.
 */
import { makeTrace, one, splitAsReasoning, tagsOf, type ReadContext } from '../build';
import { lineAt, parseChatTemplate, splitReasoning } from '../text';
import type { ParseResult } from '../types';
import { warning, type TraceWarning } from '../warnings';
import { textFormat } from './spec';

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A raw chat-template dump: the last assistant turn, with the last user turn before it as prompt. */
function readTemplate(text: string, ctx: ReadContext): ParseResult {
  const clean = stripBom(text);
  const dump = parseChatTemplate(clean);
  if (!dump) return readThinkText(text, ctx);
  const assistantIdx = dump.messages.map((m) => m.role).lastIndexOf('assistant');
  const warnings: TraceWarning[] = [];
  if (assistantIdx < 0) warnings.push(warning('no-assistant-turn', 'chat template without an assistant turn'));
  const assistant = assistantIdx >= 0 ? dump.messages[assistantIdx] : undefined;
  const before = assistantIdx >= 0 ? dump.messages.slice(0, assistantIdx) : dump.messages;
  const user = [...before].reverse().find((m) => m.role === 'user');
  const system = before.find((m) => m.role === 'system');
  const response = assistant?.content ?? '';
  // A template that ends its prompt with `<think>` leaves only the closing tag in the response.
  const split = splitReasoning(response, tagsOf(ctx.opts));
  warnings.push(...split.warnings);
  const offset = assistant?.start ?? 0;
  return one(
    makeTrace(ctx, {
      prompt: ctx.opts.prompt ?? user?.content.trim() ?? '',
      reasoning: split.tags ? split.reasoning : '',
      truncated: split.truncated,
      answer: split.answer,
      ...(split.answerIsCode ? { answerIsCode: true } : {}),
      line: lineAt(clean, offset + split.reasoningStart),
      metadata: {
        template: dump.template,
        ...(system ? { system: system.content.trim() } : {}),
        reasoningOffset: offset + split.reasoningStart,
        ...(split.answerStart >= 0 ? { answerOffset: offset + split.answerStart } : {}),
      },
      warnings,
    }),
  );
}

/** Text with delimiters: the prompt is the text before the opening tag, unless `opts.prompt` gives it. */
function readThinkText(text: string, ctx: ReadContext): ParseResult {
  const clean = stripBom(text);
  const split = splitAsReasoning(clean, ctx.opts);
  return one(
    makeTrace(ctx, {
      prompt: ctx.opts.prompt ?? split.before.trim(),
      reasoning: split.reasoning,
      truncated: split.truncated,
      answer: split.answer,
      ...(split.answerIsCode ? { answerIsCode: true } : {}),
      line: lineAt(clean, split.reasoningStart),
      metadata: { reasoningOffset: split.reasoningStart, ...(split.answerStart >= 0 ? { answerOffset: split.answerStart } : {}) },
      warnings: [...split.warnings],
    }),
  );
}

export const chatTemplate = textFormat({
  id: 'chat-template',
  label: 'raw chat-template dumps: DeepSeek <｜User｜>…<｜Assistant｜>, ChatML / Qwen <|im_start|>, Llama-3 headers, Gemma <start_of_turn>, Phi <|user|>, Mistral [INST]',
  detect: (text) => parseChatTemplate(stripBom(text)) !== undefined,
  read: readTemplate,
});

export const thinkText = textFormat({
  id: 'think-text',
  label: 'text / markdown with <think>, <thinking>, <thought>, <reasoning>, <scratchpad>, <reflection>, <|begin_of_thought|>, [THINK] or custom delimiters; a tagged <answer> / <code> / <output> / <solution> section after them is the answer',
  detect: () => true,
  read: readThinkText,
});
