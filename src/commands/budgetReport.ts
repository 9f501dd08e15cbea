/**
 * What to tell a user about a plan and its budget, pure (no `vscode`, unit-tested): a plan that ends
 * far from the budget the user set says why.
 */
import { pruneMethod, resolveBudget, type Budget, type PrunePlan } from '../core/prune';
import type { TraceSession } from '../core/session';
import { formatCount, formatTokens } from '../shared/format';

/** A plan far from its budget: the target it missed and why. */
export interface BudgetMiss {
  /** Tokens the budget asks for (the user's budget, resolved on this trace). */
  readonly target: number;
  readonly why: string;
}

/**
 * Why a plan's kept tokens end far from `budget` (more than a tenth of the trace away from its
 * target), or undefined when they are close. A rule-based method drops every step its rule flags and
 * does not aim at a budget (its plan reports none); a budget a method cannot meet has only protected
 * steps left; a budgeted method that undershoots had to drop a long step to get under the target.
 */
export function farFromBudget(session: TraceSession, plan: PrunePlan, budget: Budget): BudgetMiss | undefined {
  const b = plan.budget;
  if (!b || b.before <= 0) return undefined;
  const info = pruneMethod(plan.method);
  const target = info.budgeted ? b.target : resolveBudget(budget, b.before, session.steps.map((s) => s.text)).target;
  if (Math.abs(b.after - target) <= 0.1 * b.before) return undefined;
  const notes = plan.notes?.length ? ` (${plan.notes.join('; ')})` : '';
  if (!info.budgeted) {
    const what = b.after < target ? 'drops every step its rule flags' : 'found too few steps to drop';
    return { target, why: `${info.label} is rule-based: it ${what} (${info.description.replace(/\.$/, '')}) and does not aim at a budget${notes}. Use ASAP, step entropy or SPIRIT to reach a token budget.` };
  }
  if (b.after > target) return { target, why: `the budget cannot be met: the steps left are pinned or kept by hand${notes}.` };
  const last = [...plan.dropped].sort((x, y) => y.reason.rank - x.reason.rank)[0];
  const size = last ? session.stepTokens(last.index) : 0;
  return {
    target,
    why: last
      ? `to get under ${formatCount(target)} tokens it had to drop step ${last.index + 1}, which alone has ${formatTokens(size, session.tokensEstimated)}${notes}.`
      : `its plan ended there${notes}.`,
  };
}
