/**
 * Pure parsers for text traces: reasoning delimiters (`<think>…</think>` and friends) and raw
 * chat-template dumps (DeepSeek, ChatML / Qwen / Phi-4, Llama-3, Gemma, Phi-3, Mistral `[INST]`). No I/O.
 */
import { warning, type TraceWarning } from './warnings';

/** A pair of reasoning delimiters. */
export type TagPair = readonly [open: string, close: string];

/** Reasoning delimiters recognised without configuration, in priority order. */
export const KNOWN_REASONING_TAGS: readonly TagPair[] = [
  ['<think>', '</think>'],
  ['<thinking>', '</thinking>'],
  ['<thought>', '</thought>'],
  ['<reasoning>', '</reasoning>'],
  ['<scratchpad>', '</scratchpad>'],
  ['<reflection>', '</reflection>'],
  ['<|begin_of_thought|>', '<|end_of_thought|>'],
  // Magistral, Seed-OSS and Kimi write their own.
  ['[THINK]', '[/THINK]'],
  ['<seed:think>', '</seed:think>'],
  ['◁think▷', '◁/think▷'],
];

const SOLUTION_TAGS: TagPair = ['<|begin_of_solution|>', '<|end_of_solution|>'];

/** Tagged answer sections: when the text after the reasoning opens with one, its content is the answer. */
export const ANSWER_TAGS: readonly TagPair[] = [
  ['<answer>', '</answer>'],
  ['<code>', '</code>'],
  ['<output>', '</output>'],
  ['<solution>', '</solution>'],
];

/** The reasoning delimiter a prompt ends with (R1-style templates open `<think>` in the prompt), if any. */
export function openTagAtEnd(prompt: string, tags?: TagPair): TagPair | undefined {
  const end = prompt.replace(/\s+$/, '');
  const candidates = tags ? [tags, ...KNOWN_REASONING_TAGS] : KNOWN_REASONING_TAGS;
  return candidates.find((pair) => end.endsWith(pair[0]));
}

/** Where the reasoning sits inside a response string. */
export interface SplitResponse {
  /** Text before the opening tag (the prompt, in a plain text trace). */
  readonly before: string;
  readonly reasoning: string;
  /** Offset of `reasoning` in the input string. */
  readonly reasoningStart: number;
  /** Text after the closing tag (solution tags removed), or the whole text when no tags. */
  readonly answer: string;
  /** Offset of `answer` in the input string (-1 when empty because truncated). */
  readonly answerStart: number;
  readonly truncated: boolean;
  /** Which delimiters matched; `undefined` when none did. */
  readonly tags?: TagPair;
  /** The answer came from a `<code>` section: it is code, and its final answer is the code itself. */
  readonly answerIsCode?: boolean;
  readonly warnings: TraceWarning[];
}

/**
 * Splits `text` at its reasoning delimiters. Custom `tags` are tried first, then the known ones; the
 * earliest opening tag wins. A closing tag with no opening tag (R1 templates put `<think>` in the
 * prompt) means the reasoning starts at 0. A missing closing tag means truncated: reasoning to the end.
 * With `openedInPrompt` (the prompt ends with an opening tag), a text with no delimiter at all is a
 * reasoning cut off before its closing tag.
 */
export function splitReasoning(text: string, tags?: TagPair, openedInPrompt?: TagPair): SplitResponse {
  const candidates = tags ? [tags, ...KNOWN_REASONING_TAGS] : KNOWN_REASONING_TAGS;
  let best: { pair: TagPair; at: number } | undefined;
  for (const pair of candidates) {
    const at = findDelimiter(text, pair[0]);
    if (at >= 0 && (!best || at < best.at)) best = { pair, at };
  }
  const warnings: TraceWarning[] = [];
  if (!best) {
    // Only a closing tag: the opening one was in the prompt.
    for (const pair of candidates) {
      const close = findDelimiter(text, pair[1]);
      if (close >= 0) {
        const rest = afterReasoning(text, close + pair[1].length);
        return { before: '', reasoning: text.slice(0, close), reasoningStart: 0, ...rest, truncated: false, tags: pair, warnings };
      }
    }
    if (openedInPrompt) {
      warnings.push(warning('truncated', `the prompt opens ${openedInPrompt[0]} and the text has no ${openedInPrompt[1]}; treated as truncated`));
      return { before: '', reasoning: text, reasoningStart: 0, answer: '', answerStart: -1, truncated: true, tags: openedInPrompt, warnings };
    }
    return { before: text, reasoning: '', reasoningStart: 0, answer: text, answerStart: 0, truncated: false, warnings: [warning('no-delimiters', 'no reasoning delimiters found')] };
  }
  const [open, close] = best.pair;
  const reasoningStart = best.at + open.length;
  const closeAt = findDelimiter(text, close, reasoningStart);
  const before = text.slice(0, best.at);
  if (closeAt < 0) {
    warnings.push(warning('truncated', `no closing ${close}; treated as truncated`));
    return { before, reasoning: text.slice(reasoningStart), reasoningStart, answer: '', answerStart: -1, truncated: true, tags: best.pair, warnings };
  }
  return { before, reasoning: text.slice(reasoningStart, closeAt), reasoningStart, ...afterReasoning(text, closeAt + close.length), truncated: false, tags: best.pair, warnings };
}

/**
 * First occurrence of a delimiter at or after `from` that is not written as inline code: a tag
 * right after a backtick (`` `<think>` `` in documentation) mentions the delimiter, it does not open one.
 */
function findDelimiter(text: string, tag: string, from = 0): number {
  let at = text.indexOf(tag, from);
  while (at > 0 && text.charCodeAt(at - 1) === 0x60 /* ` */) at = text.indexOf(tag, at + tag.length);
  return at;
}

/**
 * The answer after the reasoning: inside `<|begin_of_solution|>` tags when present; the content of a
 * tagged answer section (`<answer>`, `<code>`, `<output>`, `<solution>`) that opens the rest; else the rest.
 */
function afterReasoning(text: string, from: number): { answer: string; answerStart: number; answerIsCode?: boolean } {
  const open = text.indexOf(SOLUTION_TAGS[0], from);
  if (open >= 0) {
    const start = open + SOLUTION_TAGS[0].length;
    const end = text.indexOf(SOLUTION_TAGS[1], start);
    return { answer: text.slice(start, end < 0 ? text.length : end), answerStart: start };
  }
  const lead = /^\s*/.exec(text.slice(from))![0].length;
  for (const [openTag, closeTag] of ANSWER_TAGS) {
    if (!text.startsWith(openTag, from + lead)) continue;
    const start = from + lead + openTag.length;
    const end = text.lastIndexOf(closeTag);
    return { answer: text.slice(start, end < start ? text.length : end), answerStart: start, ...(openTag === '<code>' ? { answerIsCode: true } : {}) };
  }
  return { answer: text.slice(from), answerStart: from };
}

/** One message of a chat-template dump. */
export interface TemplateMessage {
  readonly role: string;
  readonly content: string;
  /** Offset of `content` in the dump. */
  readonly start: number;
  /** False when the end-of-turn token is missing (generation cut off). */
  readonly closed: boolean;
}

/** A chat-template dump split into messages. */
export interface TemplateDump {
  readonly template: 'deepseek' | 'chatml' | 'llama3' | 'gemma' | 'phi' | 'mistral';
  readonly messages: TemplateMessage[];
}

const DEEPSEEK_ROLE = /<[｜|](User|Assistant|System)[｜|]>/g;
const DEEPSEEK_SPECIAL = /<[｜|](?:begin▁of▁sentence|end▁of▁sentence)[｜|]>/g;

/** Role names of the templates, normalised (Gemma says `model`). */
function normaliseRole(role: string): string {
  const r = role.trim().toLowerCase();
  return r === 'model' ? 'assistant' : r;
}

/** Recognises and splits a raw chat-template dump; `undefined` when `text` is not one. */
export function parseChatTemplate(text: string): TemplateDump | undefined {
  // ChatML (Qwen, OpenThoughts); Phi-4 writes `<|im_start|>user<|im_sep|>`.
  if (text.includes('<|im_start|>')) return splitByHeader(text, 'chatml', /<\|im_start\|>([^\n<]*)(?:<\|im_sep\|>|\n)/g, '<|im_end|>');
  if (text.includes('<|start_header_id|>')) {
    return splitByHeader(text, 'llama3', /<\|start_header_id\|>([^<]*)<\|end_header_id\|>\n*/g, '<|eot_id|>');
  }
  if (text.includes('<start_of_turn>')) return splitByHeader(text, 'gemma', /<start_of_turn>([^\n]*)\n/g, '<end_of_turn>');
  if (/<\|(?:user|assistant)\|>/.test(text)) return splitByHeader(text, 'phi', /<\|(system|user|assistant)\|>\n?/g, '<|end|>');
  if (/<[｜|](?:User|Assistant)[｜|]>/.test(text)) {
    const messages: TemplateMessage[] = [];
    const marks = [...text.matchAll(DEEPSEEK_ROLE)];
    // Text before the first role marker is the system prompt (after the BOS token).
    const head = text.slice(0, marks[0]!.index).replace(DEEPSEEK_SPECIAL, '');
    if (head.trim()) messages.push({ role: 'system', content: head, start: text.indexOf(head), closed: true });
    marks.forEach((m, i) => {
      const start = (m.index ?? 0) + m[0].length;
      const end = i + 1 < marks.length ? marks[i + 1]!.index ?? text.length : text.length;
      let content = text.slice(start, end);
      const eos = content.search(DEEPSEEK_SPECIAL);
      const closed = eos >= 0 || i + 1 < marks.length;
      if (eos >= 0) content = content.slice(0, eos);
      messages.push({ role: m[1]!.toLowerCase(), content, start, closed });
    });
    return { template: 'deepseek', messages };
  }
  if (/\[INST\][\s\S]*?\[\/INST\]/.test(text)) return splitMistral(text);
  return undefined;
}

/** Mistral: `[SYSTEM_PROMPT]…[/SYSTEM_PROMPT]`, then `[INST] user [/INST] assistant</s>` turns. */
function splitMistral(text: string): TemplateDump {
  const messages: TemplateMessage[] = [];
  const system = /\[SYSTEM_PROMPT\]([\s\S]*?)\[\/SYSTEM_PROMPT\]/.exec(text);
  if (system) messages.push({ role: 'system', content: system[1]!, start: system.index + '[SYSTEM_PROMPT]'.length, closed: true });
  const turn = /\[INST\]([\s\S]*?)\[\/INST\]/g;
  const marks = [...text.matchAll(turn)];
  marks.forEach((m, i) => {
    const userStart = (m.index ?? 0) + '[INST]'.length;
    messages.push({ role: 'user', content: m[1]!, start: userStart, closed: true });
    const start = (m.index ?? 0) + m[0].length;
    const next = i + 1 < marks.length ? marks[i + 1]!.index ?? text.length : text.length;
    const eos = text.indexOf('</s>', start);
    const closed = eos >= 0 && eos <= next;
    const content = text.slice(start, closed ? eos : next);
    if (content.trim() || i === marks.length - 1) messages.push({ role: 'assistant', content, start, closed });
  });
  return { template: 'mistral', messages };
}

function splitByHeader(text: string, template: TemplateDump['template'], header: RegExp, endOfTurn: string): TemplateDump {
  const marks = [...text.matchAll(header)];
  const messages: TemplateMessage[] = marks.map((m, i) => {
    const start = (m.index ?? 0) + m[0].length;
    const next = i + 1 < marks.length ? marks[i + 1]!.index ?? text.length : text.length;
    const eot = text.indexOf(endOfTurn, start);
    const closed = eot >= 0 && eot <= next;
    return { role: normaliseRole(m[1]!), content: text.slice(start, closed ? eot : next), start, closed };
  });
  return { template, messages };
}

/** 1-based line number of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
