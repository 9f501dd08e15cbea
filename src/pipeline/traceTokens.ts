/**
 * Token counts of a trace's steps in the tokenizer of the model that wrote it, outside the editor (the
 * CLI's `--tokenizer`, dataset exports): the same choice as the editor's status bar and budgets
 * (`chooseTokenizerForTrace`), counted per step and summed with one token per blank line between
 * steps, like `TraceSession.totals()`. The tokenizer is loaded on the first trace that needs it, once
 * per thread (each CLI worker thread loads its own).
 */
import type { StepTokenCounts } from '../core/export/dataset';
import { estimateTokens, SEPARATOR_TOKENS } from '../core/session';
import type { Trace } from '../core/trace/types';
import { chooseTokenizerForTrace, isNamedTokenizer, loadTokenizer, NamedTokenizers, type TokenizerChoice, type TokenizerSetting } from '../model/tokenizers';

/** Step counts from a named tokenizer, with the choice (which one, and why). */
export interface NamedStepTokens extends StepTokenCounts {
  readonly choice: TokenizerChoice;
}

/** Counts a trace's steps in the named tokenizer `setting` picks for it; undefined where none applies. */
export type StepTokenCounter = (trace: Trace, steps: readonly string[]) => NamedStepTokens | undefined;

/**
 * The named-tokenizer counter for a setting (`auto`, `scoring-model` or a tokenizer id) and the
 * configured model's name (`--model` file or `--endpoint-model`), which `auto` falls back on.
 * `settingName` names an explicit setting in the reason (`--tokenizer qwen`).
 */
export function namedStepTokens(setting: TokenizerSetting, configuredModel?: string, settingName?: string): StepTokenCounter {
  return (trace, steps) => {
    const choice = chooseTokenizerForTrace(setting, trace, configuredModel, settingName);
    if (!choice) return undefined;
    const tokenizer = loadTokenizer(choice.id);
    return { choice, by: choice.id, counts: steps.map((s) => tokenizer.count(s)), count: (text) => tokenizer.count(text) };
  };
}

/** How a trace's tokens were counted, as `inspect --json` and `score --json` rows say it. */
export interface TokenCounting {
  /** A tokenizer id (`qwen`), `scoring-model` (the scoring model's tokens or the file's logprob tokens) or `estimate`. */
  readonly tokenizer: string;
  /** Why that one (`model "deepseek-reasoner" in the record`). */
  readonly tokenizerReason: string;
  /** True for the ~4-characters-a-token estimate (printed with `~`). */
  readonly tokensEstimated: boolean;
  /** Tokens of each step. */
  readonly stepTokens: readonly number[];
  /** Tokens of the steps joined by blank lines (the editor's totals). */
  readonly tokens: number;
}

/**
 * Counts a trace's steps: in the named tokenizer where `named` gives one, else with `scoring` (the
 * scoring model's per-step counts, with what they came from), else the estimate.
 */
export function countTraceTokens(
  trace: Trace,
  steps: readonly string[],
  named: StepTokenCounter,
  scoring?: { readonly counts: readonly number[]; readonly reason: string },
): TokenCounting {
  const counted = named(trace, steps);
  const counting = counted
    ? { tokenizer: counted.by, tokenizerReason: `${NamedTokenizers[counted.choice.id].label}: ${counted.choice.reason}`, tokensEstimated: false, stepTokens: counted.counts }
    : scoring
      ? { tokenizer: 'scoring-model', tokenizerReason: scoring.reason, tokensEstimated: false, stepTokens: scoring.counts }
      : { tokenizer: 'estimate', tokenizerReason: 'no tokenizer applies: ~4 characters a token', tokensEstimated: true, stepTokens: steps.map(estimateTokens) };
  const tokens = counting.stepTokens.reduce((sum, n) => sum + n, 0) + Math.max(0, steps.length - 1) * SEPARATOR_TOKENS;
  return { ...counting, tokens };
}

/** What counted, in words, for a `tokensBy` key (`qwen`, `scoring-model`, `estimate`). */
export function describeTokensBy(by: string): string {
  if (isNamedTokenizer(by)) return `the ${NamedTokenizers[by].label} tokenizer`;
  if (by === 'scoring-model') return 'the scoring model\'s tokens';
  if (by === 'estimate') return 'the ~4-characters estimate';
  return by;
}
