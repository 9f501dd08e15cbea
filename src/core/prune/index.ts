/**
 * Registry of pruning methods, so the UI and the CLI can list them, plus the module's public surface.
 */
import type { PruneMethodId } from './plan';

/** What a method needs before it can run. */
export type MethodNeed = 'scores' | 'model' | 'anchor' | 'finalAnswer';

/** One registry entry. */
export interface PruneMethodInfo {
  readonly id: PruneMethodId;
  readonly label: string;
  readonly description: string;
  readonly needs: readonly MethodNeed[];
  /** Makes model calls per step (slow, cancellable). */
  readonly slow: boolean;
  /** Paper or source of the definition. */
  readonly source: string;
}

/** All methods, in the order a UI should list them. */
export const PRUNE_METHODS: readonly PruneMethodInfo[] = [
  {
    id: 'asap',
    label: 'ASAP (first-token surprisal)',
    description: 'Remove the steps whose first token is least surprising until the token budget is met.',
    needs: ['scores'],
    slow: false,
    source: 'ASAP, arXiv 2508.05988 (stage 2)',
  },
  {
    id: 'asap-iterative',
    label: 'ASAP, re-scored after each removal',
    description: 'Like ASAP, but re-scores the remaining steps on the pruned context after every removal.',
    needs: ['model'],
    slow: true,
    source: 'ours, after ASAP arXiv 2508.05988',
  },
  {
    id: 'anchor',
    label: 'Anchor matching',
    description: 'Keep the steps that match a short direct solution (gestalt ratio ≥ 0.6), drop the rest.',
    needs: ['anchor'],
    slow: false,
    source: 'ASAP, arXiv 2508.05988 (stage 1)',
  },
  {
    id: 'entropy',
    label: 'Step entropy',
    description: 'Drop (or mark [SKIP]) the given fraction of steps with the lowest entropy.',
    needs: ['scores'],
    slow: false,
    source: 'Step entropy, arXiv 2508.03346',
  },
  {
    id: 'confidence',
    label: 'Redundant reflection (ConCISE-style)',
    description: 'Drop reflection after a confident final answer, and re-checks of results already stated confidently.',
    needs: ['finalAnswer', 'scores'],
    slow: false,
    source: 'ConCISE, arXiv 2505.04881 (our rule on DeepConf confidence)',
  },
  {
    id: 'perplexity',
    label: 'Leave-one-out perplexity (SPIRIT)',
    description: 'Repeatedly remove the step whose removal raises the perplexity of the rest least.',
    needs: ['model'],
    slow: true,
    source: 'SPIRIT, arXiv 2502.13260',
  },
  {
    id: 'manual',
    label: 'Manual',
    description: 'Keep, drop and pin steps by hand.',
    needs: [],
    slow: false,
    source: 'ours',
  },
];

/** Registry entry of a method id (throws on an unknown id). */
export function pruneMethod(id: PruneMethodId): PruneMethodInfo {
  const m = PRUNE_METHODS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown pruning method ${id}`);
  return m;
}

export * from './plan';
export * from './budget';
export * from './reflection';
export * from './asap';
export * from './asapIterative';
export * from './anchor';
export * from './entropy';
export * from './confidence';
export * from './perplexity';
export * from './dangling';
