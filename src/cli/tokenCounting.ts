/**
 * `--tokenizer` of `inspect`, `score` and `prune`: token figures and budgets in the tokenizer of the
 * model that wrote each trace, chosen as the editor's `reasoningLens.tokenizer` chooses
 * (`src/pipeline/traceTokens.ts`): `auto` looks at the trace (a model name in the record, chat-template
 * markers), then at `--model` / `--endpoint-model`, else the scoring model's tokens or the estimate.
 */
import { basename } from 'node:path';
import type { ParseOptions, Trace } from '../core/trace/types';
import { traceItems } from '../core/trace/read';
import { formatCount } from '../shared/format';
import { chooseTokenizerForTrace, isNamedTokenizer, NamedTokenizers, TOKENIZER_SETTINGS, type TokenizerSetting } from '../model/tokenizers';
import { describeTokensBy, namedStepTokens, type StepTokenCounter } from '../pipeline/traceTokens';

/** The option spec. */
export const TOKENIZER_OPTION_SPEC = {
  tokenizer: {
    type: 'string',
    choices: TOKENIZER_SETTINGS,
    description: 'count tokens (budgets, totals) in this tokenizer: auto (default: the model named in the record or its chat template, else --model / --endpoint-model, else the scoring model\'s tokens), scoring-model, or a named one',
  },
} as const;

/** The setting and what counts with it, from parsed options. */
export interface TokenizerOptions {
  readonly setting: TokenizerSetting;
  /** The configured model's name `auto` falls back on (`--endpoint-model`, or the `--model` file or folder name). */
  readonly configuredModel?: string;
  readonly counter: StepTokenCounter;
}

/** `--tokenizer` (default `auto`) with the configured model's name from `--model` / `--endpoint-model`. */
export function tokenizerOptions(options: { tokenizer?: string; model?: string; 'endpoint-model'?: string }): TokenizerOptions {
  const setting = (options.tokenizer ?? 'auto') as TokenizerSetting;
  const configuredModel = options['endpoint-model'] ?? (options.model ? basename(options.model) : undefined);
  return {
    setting,
    ...(configuredModel ? { configuredModel } : {}),
    counter: namedStepTokens(setting, configuredModel, settingName(setting)),
  };
}

/** How the reason names an explicit `--tokenizer`. */
export function settingName(setting: TokenizerSetting): string {
  return `--tokenizer ${setting}`;
}

/** The first trace of an input (for the header line), or undefined. Reads no further than it. */
async function firstTrace(input: string, parse: ParseOptions): Promise<Trace | undefined> {
  for await (const item of traceItems(input, parse)) if (item.kind === 'trace') return item.trace;
  return undefined;
}

/**
 * The header line that says what counts tokens: the named tokenizer with its reason, or the scoring
 * model's tokens (`scoring`: what they are in this run), else the estimate. With `auto` the choice is
 * per trace; the line says what the first trace got.
 */
export async function tokenizerHeader(input: string, parse: ParseOptions, tokenizer: TokenizerOptions, scoring: string): Promise<string> {
  const { setting } = tokenizer;
  if (isNamedTokenizer(setting)) return `tokens: the ${NamedTokenizers[setting].label} tokenizer (${settingName(setting)})`;
  if (setting === 'scoring-model') return `tokens: ${scoring} (${settingName(setting)})`;
  const trace = await firstTrace(input, parse);
  // The choice only: the tokenizer itself loads where the counting runs (each worker thread).
  const choice = trace ? chooseTokenizerForTrace(setting, trace, tokenizer.configuredModel) : undefined;
  const first = choice
    ? `the ${choice.label} tokenizer (${choice.reason})`
    : `${scoring} (no model name or chat template in it${tokenizer.configuredModel ? ` or in "${tokenizer.configuredModel}"` : ''})`;
  return `tokens: chosen per trace (--tokenizer auto); the first trace: ${first}`;
}

/**
 * The totals' token line: `tokens: 12,345 → 9,876 (80.0% kept), counted by the Qwen… tokenizer`, with
 * `~` on figures that include estimates and the traces each tokenizer counted when several did.
 * `after` undefined: one figure (`score`).
 */
export function tokensLine(before: number, after: number | undefined, tokensBy: Readonly<Record<string, number>>): string {
  const approx = (tokensBy.estimate ?? 0) > 0 ? '~' : '';
  const figures = after === undefined
    ? `${approx}${formatCount(before)} in the reasoning`
    : `${approx}${formatCount(before)} → ${approx}${formatCount(after)} (${before ? ((after / before) * 100).toFixed(1) : '0.0'}% kept)`;
  const by = Object.entries(tokensBy).sort((a, b) => b[1] - a[1]);
  if (by.length === 0) return `tokens: ${figures}`;
  if (by.length === 1) return `tokens: ${figures}, counted by ${describeTokensBy(by[0]![0])}`;
  return `tokens: ${figures}, counted by ${by.map(([k, n]) => `${describeTokensBy(k)} (${formatCount(n)} trace${n === 1 ? '' : 's'})`).join(', ')}`;
}
