/**
 * Pruned traces written back: in the source's own format (the reasoning replaced where it came from,
 * everything else byte-for-byte the same JSON values) or as SFT-ready chat rows. Pure: no I/O.
 */
import { renderWithPlaceholders, SKIP_PLACEHOLDER } from '../prune/entropy';
import { joinKept, type PrunePlan } from '../prune/plan';
import { splitReasoning } from '../trace/text';
import type { Trace } from '../trace/types';
import { STEP_SEPARATOR } from '../../shared/vocabulary';

/** `same`: the source's format; `sft`: `{"messages":[user, assistant with <think>…</think>]}` rows. */
export type ExportFormat = 'same' | 'sft';

/** One trace's pruning result, ready to serialize. */
export interface PrunedReasoning {
  readonly trace: Trace;
  /** The pruned reasoning (see `prunedReasoningText`). */
  readonly reasoning: string;
}

/**
 * The pruned reasoning: kept steps joined with a blank line, or with `placeholder` (`[SKIP]`, step
 * entropy's training format) standing in for each dropped step. The original's leading and trailing
 * whitespace is kept, so `<think>\n…\n</think>` stays laid out as it was.
 */
export function prunedReasoningText(
  originalReasoning: string,
  steps: readonly string[],
  plan: PrunePlan,
  options: { readonly placeholder?: string | boolean } = {},
): string {
  const placeholder = options.placeholder === true ? SKIP_PLACEHOLDER : options.placeholder || undefined;
  const body = placeholder !== undefined ? renderWithPlaceholders(steps, plan, placeholder, STEP_SEPARATOR) : joinKept(steps, plan.kept, STEP_SEPARATOR);
  const lead = /^\s*/.exec(originalReasoning)![0];
  const trail = originalReasoning.trim() ? /\s*$/.exec(originalReasoning)![0] : '';
  return `${lead}${body}${trail}`;
}

/** Where a text holds `reasoning`: inside its reasoning delimiters when they split it so, else the first verbatim occurrence. */
function locate(text: string, reasoning: string, hint?: number): number {
  if (hint !== undefined && hint >= 0 && text.startsWith(reasoning, hint)) return hint;
  const split = splitReasoning(text);
  if (split.tags && split.reasoning === reasoning) return split.reasoningStart;
  return text.indexOf(reasoning);
}

/**
 * A think-text or chat-template file with its reasoning replaced (the delimiters, prompt and answer
 * stay as they were). Throws when the file does not contain the trace's reasoning verbatim.
 */
export function replaceReasoningInText(text: string, trace: Trace, pruned: string): string {
  const hint = typeof trace.metadata.reasoningOffset === 'number' ? trace.metadata.reasoningOffset : undefined;
  // parseTraceText drops a BOM before computing offsets.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const at = locate(text.slice(bom), trace.reasoning, hint);
  if (at < 0) throw new Error(`the reasoning of trace ${trace.id} is not in the file verbatim; export as SFT instead`);
  return text.slice(0, bom + at) + pruned + text.slice(bom + at + trace.reasoning.length);
}

/** Keys whose string values are inputs, never the reasoning (a short reasoning could occur in a prompt). */
const INPUT_KEYS = new Set(['prompt', 'question', 'problem', 'input', 'system', 'instruction']);
/** Token-level data that no longer matches once the text changed. */
const STALE_KEYS = ['logprobs'];

/** Result of `replaceReasoningInRecord`. */
export interface RecordReplacement {
  /** A new record (the input is not modified). */
  readonly record: unknown;
  /** Ids of traces whose reasoning was found and replaced. */
  readonly replaced: readonly string[];
  /** Ids of traces whose reasoning was not found in any field. */
  readonly missing: readonly string[];
  /** E.g. "dropped stale logprobs of choices[0]". */
  readonly notes: readonly string[];
}

/**
 * A JSON record with each trace's reasoning replaced in the field it came from: a separate reasoning
 * field (`reasoning_content`, `reasoning`, `deepseek_reasoning`…) is replaced whole, a text field with
 * `<think>` delimiters (`content`, `solution`, `value`, `text`…) has the part between the tags replaced.
 * Every string field that holds the reasoning is updated (Thought-Anchors repeats it in `solution` and
 * `full_cot`). An object whose text changed loses its token-level `logprobs` (set to null: they would
 * describe text that is no longer there).
 */
export function replaceReasoningInRecord(record: unknown, pruned: readonly PrunedReasoning[]): RecordReplacement {
  const found = new Set<string>();
  const notes: string[] = [];
  const walk = (value: unknown, key: string | undefined, path: string): { value: unknown; changed: boolean } => {
    if (typeof value === 'string') {
      if (key !== undefined && INPUT_KEYS.has(key)) return { value, changed: false };
      let s = value;
      let changed = false;
      for (const p of pruned) {
        if (!p.trace.reasoning) continue;
        const at = locate(s, p.trace.reasoning);
        if (at < 0) continue;
        s = s.slice(0, at) + p.reasoning + s.slice(at + p.trace.reasoning.length);
        found.add(p.trace.id);
        changed = true;
      }
      return { value: s, changed };
    }
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((v, i) => {
        const r = walk(v, undefined, `${path}[${i}]`);
        changed ||= r.changed;
        return r.value;
      });
      return { value: changed ? out : value, changed };
    }
    if (value !== null && typeof value === 'object') {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (STALE_KEYS.includes(k)) {
          out[k] = v;
          continue;
        }
        const r = walk(v, k, path ? `${path}.${k}` : k);
        changed ||= r.changed;
        out[k] = r.value;
      }
      if (!changed) return { value, changed: false };
      for (const k of STALE_KEYS) {
        if (out[k] !== undefined && out[k] !== null) {
          out[k] = null;
          notes.push(`dropped stale ${k} of ${path || 'the record'}`);
        }
      }
      return { value: out, changed: true };
    }
    return { value, changed: false };
  };
  const { value } = walk(record, undefined, '');
  const ids = pruned.filter((p) => p.trace.reasoning).map((p) => p.trace.id);
  return { record: value, replaced: ids.filter((id) => found.has(id)), missing: ids.filter((id) => !found.has(id)), notes };
}

/** An SFT chat row: the prompt as the user turn, `<think>\n` + pruned + `\n</think>\n` + answer as the assistant's. */
export function sftRecord(trace: Trace, prunedReasoning: string): { messages: { role: 'user' | 'assistant'; content: string }[] } {
  return {
    messages: [
      { role: 'user', content: trace.prompt },
      { role: 'assistant', content: `<think>\n${prunedReasoning.trim()}\n</think>\n${trace.answer.replace(/^\s+/, '')}` },
    ],
  };
}
