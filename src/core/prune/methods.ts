/**
 * The registry of pruning methods: one record per method, and the only place a method id is spelled
 * out (`scripts/lint.mjs` fails on a method-id string anywhere else in `src/` and `webview/`). Every
 * list a UI, the CLI or the export shows or checks derives from these records; the dispatch to each
 * method's implementation is the `RUNNERS` table in `run.ts`, which the compiler keeps complete.
 */
import type { StepScores } from '../types';

/** The method ids. Refer to a method as `METHOD.asap`, never by its string. */
export const METHOD = {
  asap: 'asap',
  asapIterative: 'asap-iterative',
  anchor: 'anchor',
  entropy: 'entropy',
  confidence: 'confidence',
  perplexity: 'perplexity',
  loops: 'loops',
  manual: 'manual',
} as const;

/** Id of a pruning method. */
export type PruneMethodId = (typeof METHOD)[keyof typeof METHOD];

/** What a method reads besides the step texts. */
export interface MethodNeeds {
  /** Per-step scores: the method cannot run without them, uses them when present, or never reads them. */
  readonly scores: 'required' | 'optional' | 'none';
  /** The `StepScores` fields it reads (a pipeline may skip computing the others). */
  readonly scoreFields: readonly (keyof StepScores)[];
  /** Which answer it reads: the visible one as an anchor text, the extracted final answer, or none. */
  readonly answer: 'anchor' | 'final' | 'none';
  /** Calls a model for every step (a scoring backend must be given). */
  readonly model: boolean;
}

/** One registry record. */
export interface PruneMethodInfo {
  readonly id: PruneMethodId;
  readonly label: string;
  readonly description: string;
  /** Paper or source of the definition. */
  readonly source: string;
  readonly needs: MethodNeeds;
  /** Makes model calls per step: run under progress, never on every keystroke or slider move. */
  readonly slow: boolean;
  /** Aims at the token budget (the budget slider and `--budget` change its plan). */
  readonly budgeted: boolean;
  /** Honours an `AbortSignal` part-way (the progress notification gets a Cancel button). */
  readonly cancellable: boolean;
  /** Offered in method pickers (the palette, the side panel, the CLI's `--method`). */
  readonly pickable: boolean;
  /** Its training format writes `[SKIP]` in place of each dropped step, so export offers placeholders. */
  readonly skipPlaceholders: boolean;
}

/** A record with the flags most methods share: cheap, rule-based, pickable, no placeholders. */
function method(record: Omit<PruneMethodInfo, 'slow' | 'budgeted' | 'cancellable' | 'pickable' | 'skipPlaceholders'> & Partial<PruneMethodInfo>): PruneMethodInfo {
  return { slow: false, budgeted: false, cancellable: false, pickable: true, skipPlaceholders: false, ...record };
}

/** What a method needs when it reads nothing but the step texts. */
const TEXT_ONLY: MethodNeeds = { scores: 'none', scoreFields: [], answer: 'none', model: false };

/** All methods, in the order a UI lists them. */
export const PRUNE_METHODS: readonly PruneMethodInfo[] = [
  method({
    id: METHOD.asap,
    label: 'ASAP (first-token surprisal)',
    description: 'Remove the steps whose first token is least surprising until the token budget is met.',
    source: 'ASAP, arXiv 2508.05988 (stage 2)',
    needs: { ...TEXT_ONLY, scores: 'required', scoreFields: ['firstTokenSurprisal'] },
    budgeted: true,
  }),
  method({
    id: METHOD.asapIterative,
    label: 'ASAP, re-scored after each removal',
    description: 'Like ASAP, but re-scores the remaining steps on the pruned context after every removal.',
    source: 'ours, after ASAP arXiv 2508.05988',
    // Initial scores save the first model call.
    needs: { scores: 'optional', scoreFields: ['firstTokenSurprisal'], answer: 'none', model: true },
    slow: true, budgeted: true, cancellable: true,
  }),
  method({
    id: METHOD.anchor,
    label: 'Anchor matching',
    description: 'Keep the steps that match a short direct solution (gestalt ratio ≥ 0.6), drop the rest.',
    source: 'ASAP, arXiv 2508.05988 (stage 1)',
    needs: { ...TEXT_ONLY, answer: 'anchor' },
  }),
  method({
    id: METHOD.entropy,
    label: 'Step entropy',
    description: 'Drop (or mark [SKIP]) the given fraction of steps with the lowest entropy.',
    source: 'Step entropy, arXiv 2508.03346',
    needs: { ...TEXT_ONLY, scores: 'required', scoreFields: ['stepEntropy', 'sampledTokenEntropy'] },
    budgeted: true, skipPlaceholders: true,
  }),
  method({
    id: METHOD.confidence,
    label: 'Redundant reflection (ConCISE-style)',
    description: 'Drop reflection after a confident final answer, and re-checks of results already stated confidently.',
    source: 'ConCISE, arXiv 2505.04881 (our rule on DeepConf confidence)',
    // Runs on the text alone when nothing can score the trace.
    needs: { scores: 'optional', scoreFields: ['confidence'], answer: 'final', model: false },
  }),
  method({
    id: METHOD.perplexity,
    label: 'Leave-one-out perplexity (SPIRIT)',
    description: 'Repeatedly remove the step whose removal raises the perplexity of the rest least.',
    source: 'SPIRIT, arXiv 2502.13260',
    needs: { ...TEXT_ONLY, model: true },
    slow: true, budgeted: true, cancellable: true,
  }),
  method({
    id: METHOD.loops,
    label: 'Loop repeats',
    description: 'Drop the repeats of every loop (a cycle of steps or a word span repeated back to back); keep each cycle\'s first occurrence.',
    source: 'ours (core/insights/loops.ts)',
    needs: TEXT_ONLY,
  }),
  method({
    id: METHOD.manual,
    label: 'Manual',
    description: 'Keep, drop and pin steps by hand.',
    source: 'ours',
    needs: TEXT_ONLY,
    pickable: false,
  }),
];

/** The method a workspace starts with: ASAP (at ASAP's default ratio, see `pruneSettings`). */
export const DEFAULT_METHOD: PruneMethodId = METHOD.asap;

/** True when `id` names a pruning method. */
export function isPruneMethodId(id: unknown): id is PruneMethodId {
  return PRUNE_METHODS.some((m) => m.id === id);
}

/** Registry record of a method id (throws on an unknown id). */
export function pruneMethod(id: PruneMethodId): PruneMethodInfo {
  const m = PRUNE_METHODS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown pruning method ${String(id)}`);
  return m;
}

/**
 * A method or a chain of methods as typed (`asap`, `loops,asap`): each id pickable, none twice. The
 * chain runs in order, each method on the steps the previous ones kept (see `PruneRequest.then`).
 */
export function parseMethodChain(text: string): { readonly ok: true; readonly method: PruneMethodId; readonly then: readonly PruneMethodId[] } | { readonly ok: false; readonly message: string } {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean);
  const pickable = PICKABLE_METHODS.map((m) => m.id);
  const bad = ids.find((id) => !(pickable as readonly string[]).includes(id));
  if (!ids.length || bad !== undefined) return { ok: false, message: `${bad === undefined ? 'no method given' : `unknown method "${bad}"`}: use one of ${pickable.join(', ')}, or a chain such as ${METHOD.loops},${METHOD.asap}` };
  if (new Set(ids).size !== ids.length) return { ok: false, message: `a method appears twice in "${text}"` };
  const [method, ...then] = ids as PruneMethodId[];
  return { ok: true, method: method!, then };
}

/** The methods a picker offers (not `manual`: pins and toggles already are manual pruning). */
export const PICKABLE_METHODS: readonly PruneMethodInfo[] = PRUNE_METHODS.filter((m) => m.pickable);

/** Methods that need no model call: cheap enough to preview on every keystroke. */
export const CHEAP_METHODS: readonly PruneMethodId[] = PRUNE_METHODS.filter((m) => !m.slow).map((m) => m.id);

/** True when `method` runs synchronously without a model (see `CHEAP_METHODS`). */
export function isCheapMethod(method: PruneMethodId): boolean {
  return !pruneMethod(method).slow;
}

/** True when the method reads no score but first-token surprisal (the per-token entropy pass can be skipped). */
export function readsOnlyFirstToken(method: PruneMethodId): boolean {
  return pruneMethod(method).needs.scoreFields.every((f) => f === 'firstTokenSurprisal');
}
