/**
 * A plan that ends far from its budget says why: rule-based methods do not aim at budgets (anchor
 * kept 166 of 6,862 tokens under 80% on a real trace); a budget only protected steps stop; a
 * budgeted method that undershoots had to drop a long step. Close plans say nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTraces } from '../../../src/core/trace';
import { segment } from '../../../src/core/steps';
import { TraceSession } from '../../../src/core/session';
import { previewPrune } from '../../../src/pipeline/pruneRunner';
import { makePlan } from '../../../src/core/prune/plan';
import { METHOD } from '../../../src/core/prune';
import { farFromBudget } from '../../../src/commands/budgetReport';
import { repoPath } from '../helpers';

async function codeforces(): Promise<TraceSession> {
  const trace = (await readTraces(repoPath('media/samples/codeforces-r1-cot-174/response.md'))).traces[0]!;
  return new TraceSession(trace, segment(trace.reasoning, 'auto'), 'auto');
}

test('budget report: a rule-based method far from the budget says it does not aim at one, either way', async () => {
  const session = await codeforces();
  const twenty = { kind: 'ratio', ratio: 0.2 } as const;
  const loops = previewPrune(session, METHOD.loops, twenty);
  const few = farFromBudget(session, loops, twenty);
  assert.ok(few, `loops kept ${loops.budget?.after} of ${loops.budget?.before} under a 20% budget without a word`);
  assert.equal(few.target, Math.floor(0.2 * loops.budget!.before), 'the user\'s budget, not the plan\'s "no budget"');
  assert.match(few.why, /rule-based: it found too few steps to drop.*does not aim at a budget/);
  // Anchor on a real R1 trace under 80%: the "6,862 → 166 tokens" case.
  const eighty = { kind: 'ratio', ratio: 0.8 } as const;
  const anchor = previewPrune(session, METHOD.anchor, eighty);
  assert.ok(anchor.budget!.after < 0.5 * anchor.budget!.before, `anchor kept ${anchor.budget!.after} of ${anchor.budget!.before}`);
  assert.match(farFromBudget(session, anchor, eighty)?.why ?? '', /rule-based: it drops every step its rule flags/);
});

test('budget report: an unmet budget names the protected steps; an undershoot names the long step; close is quiet', async () => {
  const session = await codeforces();
  const n = session.steps.length;
  const reasons = (indices: number[]) => new Map(indices.map((i, k) => [i, { method: METHOD.asap, scoreName: 'firstTokenSurprisal', rank: k + 1, rule: 'r' }] as const));
  const budget = { kind: 'ratio', ratio: 0.8 } as const;
  const unmet = makePlan(METHOD.asap, n, reasons([1]), [], { budget: { target: 100, before: 1000, after: 900, met: false, description: '' } });
  assert.match(farFromBudget(session, unmet, budget)?.why ?? '', /cannot be met: the steps left are pinned or kept by hand/);
  const under = makePlan(METHOD.asap, n, reasons([1, 5]), [], { budget: { target: 800, before: 1000, after: 500, met: true, description: '' } });
  assert.match(farFromBudget(session, under, budget)?.why ?? '', /had to drop step 6, which alone has/);
  const close = makePlan(METHOD.asap, n, reasons([1]), [], { budget: { target: 800, before: 1000, after: 790, met: true, description: '' } });
  assert.equal(farFromBudget(session, close, budget), undefined);
});
