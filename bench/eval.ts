/**
 * `npm run eval`: how much of the Thought-Anchors counterfactual importance each pruning method keeps.
 *
 * Data: /work/shared/data/thought-anchors (20 traces of DeepSeek-R1-Distill-Llama-8B on MATH problems,
 * correct and incorrect base solutions). Steps are the file's own sentence chunks (`file` mode), so each
 * step has the dataset's importance value.
 *
 * Importance: |counterfactual_importance_accuracy| (override with RL_EVAL_IMPORTANCE). Thought Anchors
 * (Bogdan et al. 2025) define counterfactual importance as the change in answer accuracy when the
 * sentence is resampled into a semantically *different* one; it is the paper's headline measure and
 * what the side panel shows. It is signed: a negative value means the sentence lowers accuracy, but it
 * still steers the outcome, and a pruner that drops it changes the answer just as much, so we take the
 * absolute value. (`counterfactual_importance_kl` is non-negative already; set RL_EVAL_IMPORTANCE to
 * compare.)
 *
 * Metric: per trace, share of the total |importance| carried by the kept steps; averaged over traces.
 * Budgets: 50% and 80% of the reasoning's tokens (the model's tokenizer, summed per step). Baselines:
 * random pruning (the same removal loop with random scores, mean of 100 seeds), three position rules
 * (keep the earliest steps; the earliest plus the last 3; the latest) and the oracle (the same loop
 * dropping the least important step first: "keep by importance until the budget").
 * "Answer kept": among traces whose full reasoning states the final answer, the share whose kept steps
 * still state it (the pruned trace still reaches the answer it had).
 *
 * Scores: the embedded model `media/models/reasoning-lens-tiny` (ASAP first-token surprisal, step
 * entropy, DeepConf confidence). Until it exists, a random-weight tiny model from
 * `model/make_random.py --tiny` stands in and the table is marked as such.
 * SPIRIT perplexity is left out: leave-one-out needs one forward pass per remaining step per removal
 * (~150 chunks → ~10^4 passes of ~4k tokens per trace), hours on 2 CPU cores.
 */
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraces } from '../src/core/trace';
import { segment } from '../src/core/steps';
import { greedyBudgetPrune, runCheapPrune, stepSumCounter } from '../src/core/prune/run';
import { estimateTokens } from '../src/core/session';
import type { Budget, PruneMethodId, PrunePlan } from '../src/core/prune';
import type { Trace } from '../src/core/trace/types';
import type { StepScores } from '../src/core/types';
import { InProcessOnnxBackend } from '../src/model/onnx/local';
import { scoreTraceTokens } from '../src/pipeline/scoreTrace';
import { stepScoresFromTable } from '../src/core/tokenTable';
import { rng } from './pruneFixture';

const repo = process.env.RL_REPO_ROOT ?? process.cwd();
const DATA = process.env.RL_EVAL_DATA ?? join(repo, '..', 'shared', 'data', 'thought-anchors');
const FIELD = process.env.RL_EVAL_IMPORTANCE ?? 'counterfactual_importance_accuracy';
const SEEDS = 100;
const BUDGETS = [0.5, 0.8] as const;

/** `npm run eval -- --model DIR` evaluates with any model folder; default: the embedded model. */
function modelDir(): { dir: string; random: boolean } {
  const flag = process.argv.indexOf('--model');
  const given = flag >= 0 ? process.argv[flag + 1] : undefined;
  if (given) {
    if (!existsSync(join(given, 'config.json'))) throw new Error(`--model ${given}: no config.json there (expected a Hugging Face / Optimum ONNX folder)`);
    return { dir: given, random: false };
  }
  const embedded = join(repo, 'media', 'models', 'reasoning-lens-tiny');
  if (existsSync(join(embedded, 'onnx'))) return { dir: embedded, random: false };
  const dir = join(tmpdir(), 'rl-eval-random-tiny');
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    const r = spawnSync('/usr/bin/python3', [join(repo, 'model', 'make_random.py'), '--tiny', '--out', dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
    if (r.status !== 0) throw new Error(`no embedded model and model/make_random.py --tiny failed: ${r.stderr || r.stdout}`);
  }
  return { dir, random: true };
}

function problemFolders(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    const names = readdirSync(d, { withFileTypes: true });
    if (names.some((n) => n.name === 'base_solution.json')) {
      out.push(d);
      return;
    }
    for (const n of names) if (n.isDirectory()) walk(join(d, n.name));
  };
  walk(root);
  return out.sort();
}

interface Case {
  readonly id: string;
  readonly steps: string[];
  /** |importance| per step (0 where the chunk has none). */
  readonly importance: number[];
  readonly scores: readonly StepScores[];
  readonly countTokens: (text: string) => number;
  readonly trace: Trace;
  readonly unplaced: number;
}

function kept(plan: PrunePlan, c: Case): number {
  const total = c.importance.reduce((a, b) => a + b, 0);
  if (total === 0) return 1;
  return plan.kept.reduce((a, i) => a + c.importance[i]!, 0) / total;
}

function tokenShare(plan: PrunePlan, c: Case): number {
  const all = c.countTokens(c.steps.join('\n\n'));
  return c.countTokens(plan.kept.map((i) => c.steps[i]!).join('\n\n')) / all;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

async function main(): Promise<void> {
  const { dir, random } = modelDir();
  const backend = new InProcessOnnxBackend(dir);
  const cases: Case[] = [];
  const started = Date.now();
  for (const folder of problemFolders(DATA)) {
    const [trace] = (await readTraces(folder)).traces;
    if (!trace?.chunks) continue;
    const steps = segment(trace.reasoning, 'file', trace.chunks);
    // A step is the placed chunk that ends where it ends (chunkRanges keeps placed chunks in order).
    const byEnd = new Map(trace.chunks.filter((ch) => ch.start >= 0).map((ch) => [ch.end, ch] as const));
    const importance = steps.map((s) => Math.abs(byEnd.get(s.end)?.importance?.[FIELD] ?? 0));
    const unplaced = trace.chunks.filter((ch) => ch.start < 0).length;
    const table = await scoreTraceTokens(trace, backend);
    const scores = stepScoresFromTable(table, steps).scores.steps;
    const texts = steps.map((s) => s.text);
    const countTokens = stepSumCounter(texts, scores.map((s) => s.tokens), estimateTokens);
    cases.push({ id: folder.split('/').slice(-2).join('/'), steps: texts, importance, scores, countTokens, trace, unplaced });
  }
  await backend.dispose();
  const scoredIn = (Date.now() - started) / 1000;

  // Every row is a way to choose the kept steps at a token budget; all of them go through the same
  // removal loop (greedyBudgetPrune: drop the lowest-scored step until the kept text fits).
  const rowsSpec: { name: string; plan: (c: Case, ratio: number) => PrunePlan | PrunePlan[] }[] = [
    { name: 'ASAP (first-token surprisal)', plan: (c, b) => runCheapPrune({ method: 'asap', budget: { kind: 'ratio', ratio: b }, steps: c.steps, scores: c.scores, countTokens: c.countTokens }) },
    { name: 'step entropy (lowest first)', plan: (c, b) => runCheapPrune({ method: 'entropy', budget: { kind: 'ratio', ratio: b }, steps: c.steps, scores: c.scores, countTokens: c.countTokens }) },
    // Confidence as a budgeted ranking: drop the least confident steps first (DeepConf's signal).
    { name: 'lowest DeepConf confidence first', plan: (c, b) => greedy(c, c.scores.map((s) => s.confidence), b, 'confidence') },
    // High first-token surprisal first: the opposite ordering, to show whether the signal carries information.
    { name: 'ASAP order reversed (control)', plan: (c, b) => greedy(c, c.scores.map((s) => (s.firstTokenSurprisal === undefined ? undefined : -s.firstTokenSurprisal)), b, 'asap') },
    // Position baselines: no model at all, only where a step stands.
    { name: 'keep the earliest steps (position)', plan: (c, b) => greedy(c, c.steps.map((_, i) => -i), b, 'manual') },
    { name: 'keep the earliest steps + the last 3 (position)', plan: (c, b) => greedy(c, c.steps.map((_, i) => (i >= c.steps.length - 3 ? Number.MAX_VALUE : -i)), b, 'manual') },
    { name: 'keep the latest steps (position)', plan: (c, b) => greedy(c, c.steps.map((_, i) => i), b, 'manual') },
    { name: `random (mean of ${SEEDS} seeds)`, plan: (c, b) => Array.from({ length: SEEDS }, (_, seed) => {
      const r = rng(seed + 1);
      return greedy(c, c.steps.map(() => r()), b, 'manual');
    }) },
    { name: 'oracle (least important dropped first)', plan: (c, b) => greedy(c, c.importance, b, 'manual') },
  ];
  const answerCases = cases.filter((c) => statesAnswer(c.steps, allSteps(c), c.trace.finalAnswer));
  const rows = rowsSpec.map((spec) => [spec.name, ...BUDGETS.flatMap((b) => {
    const plans = cases.map((c) => [spec.plan(c, b)].flat());
    const importance = mean(cases.map((c, i) => mean(plans[i]!.map((p) => kept(p, c)))));
    const answer = mean(answerCases.map((c) => mean([spec.plan(c, b)].flat().map((p) => (statesAnswer(c.steps, p.kept, c.trace.finalAnswer) ? 1 : 0)))));
    return [pct(importance), pct(answer)];
  })]);
  const budgetCols = BUDGETS.flatMap((b) => [`importance kept at ${Math.round(b * 100)}% tokens`, `answer kept at ${Math.round(b * 100)}%`]);

  // Rule-based methods do not aim at a budget: report what they kept.
  const withAnswer = cases.filter((c) => c.trace.finalAnswer);
  const confidenceRule = withAnswer.map((c) => {
    const plan = runCheapPrune({ method: 'confidence', budget: { kind: 'ratio', ratio: 1 }, steps: c.steps, scores: c.scores, countTokens: c.countTokens, finalAnswer: c.trace.finalAnswer! });
    return { share: kept(plan, c), tokens: tokenShare(plan, c) };
  });

  const totalSteps = cases.reduce((a, c) => a + c.steps.length, 0);
  console.log(`# Pruning vs Thought-Anchors importance\n`);
  console.log(`${cases.length} traces, ${totalSteps.toLocaleString('en-US')} chunk steps (${cases.reduce((a, c) => a + c.unplaced, 0)} chunks could not be placed and are left out); importance = |${FIELD}|; share of total importance kept, mean over traces.`);
  console.log(`Scores: ${random ? `**RANDOM-WEIGHT tiny model** (${dir}); media/models/reasoning-lens-tiny is not there yet, so method rows measure noise, not the methods` : `embedded model ${dir}`} (scored in ${scoredIn.toFixed(1)} s).\n`);
  console.log(`"answer kept": of the ${answerCases.length} traces whose full reasoning states the final answer, the share whose kept steps still state it.\n`);
  console.log(`| method | ${budgetCols.join(' | ')} |`);
  console.log(`|---|${budgetCols.map(() => '---:').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nRule-based (no budget): ConCISE-style redundant reflection (${withAnswer.length} traces with a final answer) kept ${pct(mean(confidenceRule.map((x) => x.share)))} of importance with ${pct(mean(confidenceRule.map((x) => x.tokens)))} of tokens.`);
  console.log('SPIRIT perplexity: not run (leave-one-out needs ~10^4 forward passes per trace here).');
}

function allSteps(c: Case): number[] {
  return c.steps.map((_, i) => i);
}

/** Normalised for matching a stated answer: no spaces, `$`, `\\left`/`\\right`, `\\dfrac` → `\\frac`. */
function normaliseAnswer(text: string): string {
  return text.replace(/\\(?:left|right)/g, '').replace(/\\dfrac/g, '\\frac').replace(/[\s$]/g, '');
}

/**
 * True when the kept steps still state the final answer: its normalised text appears in the kept
 * reasoning, not as part of a longer number (an answer "5" is not found in "15" or "5.2").
 */
function statesAnswer(steps: readonly string[], keptSteps: readonly number[], finalAnswer: string | undefined): boolean {
  if (!finalAnswer) return false;
  const needle = normaliseAnswer(finalAnswer);
  if (!needle) return false;
  const hay = normaliseAnswer(keptSteps.map((i) => steps[i]!).join(' '));
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    const before = hay[at - 1] ?? '';
    const after = hay[at + needle.length] ?? '';
    const digitEdge = (ch: string): boolean => /[0-9]/.test(ch);
    if (/^[0-9]/.test(needle) && (digitEdge(before) || before === '.')) continue;
    if (/[0-9]$/.test(needle) && (digitEdge(after) || (after === '.' && digitEdge(hay[at + needle.length + 1] ?? '')))) continue;
    return true;
  }
  return false;
}

function greedy(c: Case, scores: readonly (number | undefined)[], ratio: number, method: PruneMethodId): PrunePlan {
  const budget: Budget = { kind: 'ratio', ratio };
  return greedyBudgetPrune({ method, scoreName: 'eval', scores, steps: c.steps, countTokens: c.countTokens, budget, pinned: [], separator: '\n\n', rule: () => 'eval' });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
