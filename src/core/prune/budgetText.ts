/**
 * Budgets as people type them, shared by the "Set Budget…" input box and the CLI's `--budget`:
 * `0.8` (ratio), `80%`, `1024 tokens` (or `1024t`, `1024 tok`), `auto` (difficulty-aware, DAP).
 */
import type { Budget } from './budget';
import { formatTokens } from '../../shared/format';

/** A parse result: the budget, or a message saying what is accepted. */
export type BudgetParse = { readonly ok: true; readonly budget: Budget } | { readonly ok: false; readonly message: string };

const ACCEPTED = 'a ratio (0.8), a percentage (80%), a token count (1024 tokens) or auto';

/** Why a zero budget is refused: it would empty every trace, and pruning never empties a reasoning. */
const ZERO = 'a budget of 0 would leave no reasoning at all: give a share above 0 (e.g. 50%) or a token count of at least 1.';

/** Parse a budget typed by a user (a zero budget is refused). */
export function parseBudget(input: string): BudgetParse {
  const s = input.trim().toLowerCase();
  if (!s) return { ok: false, message: `Enter ${ACCEPTED}.` };
  if (s === 'auto' || s === 'difficulty' || s === 'dap') return { ok: true, budget: { kind: 'difficulty' } };
  let m = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(s);
  if (m) {
    const pct = Number(m[1]);
    if (pct > 100) return { ok: false, message: `${input.trim()} is more than 100%: the kept text cannot be longer than the trace.` };
    if (pct === 0) return { ok: false, message: ZERO };
    return { ok: true, budget: { kind: 'ratio', ratio: pct / 100 } };
  }
  m = /^(\d+(?:[_,]\d{3})*)\s*(?:t|tok|toks|token|tokens)$/.exec(s);
  if (m) {
    const tokens = Number(m[1]!.replace(/[_,]/g, ''));
    if (tokens === 0) return { ok: false, message: ZERO };
    return { ok: true, budget: { kind: 'tokens', tokens } };
  }
  m = /^(\d+(?:\.\d+)?|\.\d+)$/.exec(s);
  if (m) {
    const x = Number(m[1]);
    if (x === 0) return { ok: false, message: ZERO };
    if (x <= 1) return { ok: true, budget: { kind: 'ratio', ratio: x } };
    return { ok: false, message: `${input.trim()} is ambiguous: write ${x}% for a percentage or ${x} tokens for a token count.` };
  }
  return { ok: false, message: `"${input.trim()}" is not a budget: enter ${ACCEPTED}.` };
}

/** A budget in the words `parseBudget` accepts back ("80%", "1,024 tokens", "auto"). */
export function formatBudget(budget: Budget): string {
  switch (budget.kind) {
    case 'ratio':
      return `${Math.round(budget.ratio * 1000) / 10}%`;
    case 'tokens':
      return formatTokens(budget.tokens);
    case 'difficulty':
      return 'auto';
    default: {
      const never: never = budget;
      return String(never);
    }
  }
}

/** True when `value` is a well-formed `Budget` (for values read back from storage). */
export function isBudget(value: unknown): value is Budget {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.kind === 'ratio') return typeof v.ratio === 'number' && v.ratio > 0 && v.ratio <= 1;
  if (v.kind === 'tokens') return typeof v.tokens === 'number' && v.tokens >= 1;
  return v.kind === 'difficulty';
}
