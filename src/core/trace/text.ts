/**
 * Pure parsers for text traces: reasoning delimiters (`<think>…</think>` and friends) and raw
 * chat-template dumps (DeepSeek, ChatML, Llama-3). No I/O.
 */

/** A pair of reasoning delimiters. */
export type TagPair = readonly [open: string, close: string];

/** Reasoning delimiters recognised without configuration, in priority order. */
export const KNOWN_REASONING_TAGS: readonly TagPair[] = [
  ['<think>', '</think>'],
  ['<thinking>', '</thinking>'],
  ['<thought>', '</thought>'],
  ['<reasoning>', '</reasoning>'],
  ['<|begin_of_thought|>', '<|end_of_thought|>'],
];

const SOLUTION_TAGS: TagPair = ['<|begin_of_solution|>', '<|end_of_solution|>'];

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
  readonly warnings: string[];
}

/**
 * Splits `text` at its reasoning delimiters. Custom `tags` are tried first, then the known ones; the
 * earliest opening tag wins. A closing tag with no opening tag (R1 templates put `<think>` in the
 * prompt) means the reasoning starts at 0. A missing closing tag means truncated: reasoning to the end.
 */
export function splitReasoning(text: string, tags?: TagPair): SplitResponse {
  const candidates = tags ? [tags, ...KNOWN_REASONING_TAGS] : KNOWN_REASONING_TAGS;
  let best: { pair: TagPair; at: number } | undefined;
  for (const pair of candidates) {
    const at = findDelimiter(text, pair[0]);
    if (at >= 0 && (!best || at < best.at)) best = { pair, at };
  }
  const warnings: string[] = [];
  if (!best) {
    // Only a closing tag: the opening one was in the prompt.
    for (const pair of candidates) {
      const close = findDelimiter(text, pair[1]);
      if (close >= 0) {
        const rest = afterReasoning(text, close + pair[1].length);
        return { before: '', reasoning: text.slice(0, close), reasoningStart: 0, ...rest, truncated: false, tags: pair, warnings };
      }
    }
    return { before: text, reasoning: '', reasoningStart: 0, answer: text, answerStart: 0, truncated: false, warnings: ['no reasoning delimiters found'] };
  }
  const [open, close] = best.pair;
  const reasoningStart = best.at + open.length;
  const closeAt = findDelimiter(text, close, reasoningStart);
  const before = text.slice(0, best.at);
  if (closeAt < 0) {
    warnings.push(`no closing ${close}; treated as truncated`);
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

/** The answer after the reasoning: inside `<|begin_of_solution|>` tags when present. */
function afterReasoning(text: string, from: number): { answer: string; answerStart: number } {
  const open = text.indexOf(SOLUTION_TAGS[0], from);
  if (open >= 0) {
    const start = open + SOLUTION_TAGS[0].length;
    const end = text.indexOf(SOLUTION_TAGS[1], start);
    return { answer: text.slice(start, end < 0 ? text.length : end), answerStart: start };
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
  readonly template: 'deepseek' | 'chatml' | 'llama3';
  readonly messages: TemplateMessage[];
}

const DEEPSEEK_ROLE = /<[｜|](User|Assistant|System)[｜|]>/g;
const DEEPSEEK_SPECIAL = /<[｜|](?:begin▁of▁sentence|end▁of▁sentence)[｜|]>/g;

/** Recognises and splits a raw chat-template dump; `undefined` when `text` is not one. */
export function parseChatTemplate(text: string): TemplateDump | undefined {
  if (text.includes('<|im_start|>')) return splitByHeader(text, 'chatml', /<\|im_start\|>([^\n]*)\n/g, '<|im_end|>');
  if (text.includes('<|start_header_id|>')) {
    return splitByHeader(text, 'llama3', /<\|start_header_id\|>([^<]*)<\|end_header_id\|>\n*/g, '<|eot_id|>');
  }
  if (/<[｜|](?:User|Assistant)[｜|]>/.test(text)) {
    const messages: TemplateMessage[] = [];
    const marks = [...text.matchAll(DEEPSEEK_ROLE)];
    // Text before the first role marker is the system prompt (after the BOS token).
    const head = text.slice(0, marks[0].index).replace(DEEPSEEK_SPECIAL, '');
    if (head.trim()) messages.push({ role: 'system', content: head, start: text.indexOf(head), closed: true });
    marks.forEach((m, i) => {
      const start = (m.index ?? 0) + m[0].length;
      const end = i + 1 < marks.length ? marks[i + 1].index ?? text.length : text.length;
      let content = text.slice(start, end);
      const eos = content.search(DEEPSEEK_SPECIAL);
      const closed = eos >= 0 || i + 1 < marks.length;
      if (eos >= 0) content = content.slice(0, eos);
      messages.push({ role: m[1].toLowerCase(), content, start, closed });
    });
    return { template: 'deepseek', messages };
  }
  return undefined;
}

function splitByHeader(text: string, template: TemplateDump['template'], header: RegExp, endOfTurn: string): TemplateDump {
  const marks = [...text.matchAll(header)];
  const messages: TemplateMessage[] = marks.map((m, i) => {
    const start = (m.index ?? 0) + m[0].length;
    const next = i + 1 < marks.length ? marks[i + 1].index ?? text.length : text.length;
    const eot = text.indexOf(endOfTurn, start);
    const closed = eot >= 0 && eot <= next;
    return { role: m[1].trim().toLowerCase(), content: text.slice(start, closed ? eot : next), start, closed };
  });
  return { template, messages };
}

/** 1-based line number of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
