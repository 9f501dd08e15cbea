import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseTraceText, readTraces } from '../../src/core/trace';
import { segment } from '../../src/core/steps';
import { SEPARATOR_TOKENS, TraceSession } from '../../src/core/session';
import { previewPrune } from '../../src/pipeline/pruneRunner';
import { prunedReasoningText } from '../../src/core/prune/edits';
import { formatLabel, panelMethods, panelPlan, panelSummary, panelTrace, scoreSourceLabel } from '../../src/panel/panelModel';
import { parseToWebview } from '../../src/shared/protocol';
import { chartMetric, cutLine, HEAT_COLOURS, heatLegend, indexPlan, metricValues, selectableMetrics } from '../../webview/panel/model';
import { EMPTY_PREVIEW, foldBlankLines, reducePreview, restorePreview } from '../../webview/panel/previewState';
import { HEAT_BUCKETS } from '../../src/core/metrics';
import { STEP_METRICS } from '../../src/shared/vocabulary';
import { repoPath } from './helpers';

function sampleSession(): TraceSession {
  const text = readFileSync(repoPath('media/samples/codeforces-r1-cot-174/response.md'), 'utf8');
  const trace = parseTraceText(text);
  const steps = segment(trace.reasoning, 'paragraph');
  const session = new TraceSession(trace, steps, 'paragraph');
  // Deterministic scores: surprisal varies with the step's length, one step unscored.
  session.setScores({
    totalTokens: steps.reduce((s, x) => s + Math.ceil(x.text.length / 4), 0),
    steps: steps.map((s, i) => ({
      index: i,
      tokens: Math.ceil(s.text.length / 4),
      ...(i === 3 ? {} : { firstTokenSurprisal: ((s.text.length * 7919) % 1000) / 100, meanSurprisal: 1 + (i % 5) / 10 }),
    })),
  }, 'test');
  return session;
}

describe('panel snapshots', () => {
  test('the trace snapshot carries exact step texts, token counts and metrics, and passes the protocol validator', () => {
    const session = sampleSession();
    const t = panelTrace(session);
    assert.equal(t.steps.length, session.steps.length);
    for (const s of t.steps) assert.equal(s.text, session.trace.reasoning.slice(s.start, s.end));
    assert.deepEqual(t.steps.map((s) => s.tokens), session.steps.map((_, i) => session.stepTokens(i)));
    assert.equal(t.metrics.firstTokenSurprisal?.[3], null, 'unscored step is null');
    assert.equal(t.metrics.stepEntropy, undefined, 'absent metric is absent, not an array of nulls');
    assert.equal(t.scoredBy, 'test');
    assert.equal(t.tokensEstimated, false);
    const message = { type: 'state', trace: null, detail: t, plan: panelPlan(session) };
    assert.ok(parseToWebview(JSON.parse(JSON.stringify(message))), 'host snapshot rejected by the webview validator');
  });

  test('the totals say who counted the tokens: the scoring model, then the trace model\'s tokenizer', () => {
    const session = sampleSession();
    assert.equal(panelPlan(session).totals.countedBy, 'the scoring model (test)');
    assert.equal(panelPlan(session).totals.tokenizer, null);
    session.setTokenCounts(session.steps.map(() => 7), 'Qwen2.5 / Qwen3 (R1-Distill-Qwen) tokenizer (model name in the record)', 'Qwen2.5 / Qwen3 (R1-Distill-Qwen)');
    const plan = panelPlan(session);
    assert.equal(plan.totals.countedBy, 'Qwen2.5 / Qwen3 (R1-Distill-Qwen) tokenizer (model name in the record)');
    assert.equal(plan.totals.tokenizer, 'Qwen2.5 / Qwen3 (R1-Distill-Qwen)');
    assert.equal(plan.totals.tokensBefore, session.joinedTokens(session.steps.keys()));
    assert.ok(parseToWebview(JSON.parse(JSON.stringify({ type: 'state', trace: null, detail: panelTrace(session), plan }))));
  });

  test('a live preview applies pins, leaves the session alone, and totals add up', () => {
    const session = sampleSession();
    const budget = { kind: 'ratio', ratio: 0.5 } as const;
    const plain = previewPrune(session, 'asap', budget);
    const victim = plain.dropped[0]!.index;
    session.togglePin(victim);
    const before = session.state;
    const p = panelPlan(session, { plan: plain, label: 'drag' });
    assert.equal(session.state, before, 'preview must not touch the session');
    assert.equal(p.preview, true);
    assert.ok(p.kept.includes(victim) && p.pinned.includes(victim), 'pinned step kept in the preview');
    assert.equal(p.kept.length + p.dropped.length, session.steps.length);
    // Steps joined by blank lines: the step counts plus one separator token per join (what budgets count).
    const sum = (idx: readonly number[]) => idx.reduce((s, i) => s + session.stepTokens(i), 0) + Math.max(0, idx.length - 1) * SEPARATOR_TOKENS;
    assert.equal(p.totals.tokensAfter, sum(p.kept));
    assert.equal(p.totals.tokensBefore, sum(session.steps.map((_, i) => i)));
    assert.ok(parseToWebview(JSON.parse(JSON.stringify({ type: 'plan', plan: p }))));
  });

  test('applied plan: totals, undo label, pruned text, and the chart cut line separates dropped from kept', () => {
    const session = sampleSession();
    session.applyPlan(previewPrune(session, 'asap', { kind: 'ratio', ratio: 0.6 }), 'asap 60%');
    const p = panelPlan(session);
    assert.equal(p.preview, false);
    assert.equal(p.undoLabel, 'asap 60%');
    assert.ok(p.totals.tokensAfter <= p.totals.tokensBefore * 0.6 + 1);
    // What export writes: the dropped steps cut out, the kept ones in order with their own separators.
    const pruned = session.prunedReasoning();
    assert.equal(pruned, prunedReasoningText(session.trace.reasoning, session.steps, session.plan));
    let at = 0;
    for (const i of p.kept) {
      const found = pruned.indexOf(session.steps[i]!.text, at);
      assert.ok(found >= at, `kept step ${i} in order`);
      at = found + session.steps[i]!.text.length;
    }
    const t = panelTrace(session);
    const values = metricValues(t, 'firstTokenSurprisal');
    const cut = cutLine(p, values, 'firstTokenSurprisal');
    assert.ok(cut !== null);
    const index = indexPlan(t.steps.length, p);
    for (let i = 0; i < t.steps.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      if (index.status[i] === 'dropped') assert.ok(v <= cut, `dropped step ${i} above the cut`);
      else if (index.status[i] === 'kept') assert.ok(v >= cut, `kept step ${i} (${v}) below the cut ${cut}`);
    }
    assert.equal(cutLine(p, values, 'meanSurprisal'), null, 'no line for a metric the method did not rank by');
  });

  test('rewritten steps come with a character diff that rebuilds both texts', () => {
    const session = sampleSession();
    const original = session.steps[1]!.text;
    const rewritten = original.replace(/\w+/, 'REWRITTEN');
    const p = panelPlan(session, undefined, new Map([[1, rewritten], [2, session.steps[2]!.text]]));
    assert.equal(p.changed.length, 1, 'an identical "rewrite" is not a change');
    const change = p.changed[0]!;
    const left = change.inline.filter((e) => e.op !== 'insert').map((e) => original.slice(e.originalStart, e.originalEnd)).join('');
    const right = change.inline.filter((e) => e.op !== 'delete').map((e) => rewritten.slice(e.prunedStart, e.prunedEnd)).join('');
    assert.equal(left, original);
    assert.equal(right, rewritten);
    assert.equal(indexPlan(session.steps.length, p).status[1], 'changed');
  });

  test('methods: cheap ones are live, manual is not listed', () => {
    const methods = panelMethods();
    assert.ok(methods.find((m) => m.id === 'asap')?.live);
    assert.equal(methods.find((m) => m.id === 'perplexity')?.live, false);
    assert.equal(methods.some((m) => m.id === 'manual'), false);
  });

  test('preview events fold into the pane state, each side streaming into its own text; stale runs are ignored', () => {
    let s = reducePreview(EMPTY_PREVIEW, { kind: 'started', run: 2, mode: 'generate', backend: 'tiny' });
    s = reducePreview(s, { kind: 'chunk', run: 2, side: 'full', text: 'Hel', tokens: 1, seconds: 0.1 });
    s = reducePreview(s, { kind: 'chunk', run: 1, side: 'full', text: 'STALE', tokens: 9, seconds: 9 });
    s = reducePreview(s, { kind: 'chunk', run: 2, side: 'full', text: 'lo', tokens: 2, seconds: 0.2 });
    assert.equal(s.sides.full.text, 'Hello');
    assert.equal(s.sides.pruned.text, '');
    const full = { text: 'Hello', tokenCount: 2, seconds: 0.2, tokensPerSecond: 10, finishReason: 'length', finalAnswer: null, reused: null } as const;
    s = reducePreview(s, { kind: 'side', run: 2, side: 'full', result: full });
    assert.deepEqual(s.sides.full.result, full);
    s = reducePreview(s, { kind: 'chunk', run: 2, side: 'pruned', text: 'Hi', tokens: 1, seconds: 0.1 });
    assert.equal(s.sides.pruned.text, 'Hi');
    assert.equal(s.running, true);
    s = reducePreview(s, { kind: 'failed', run: 2, message: 'cancelled', cancelled: true });
    assert.equal(s.running, false);
    assert.equal(s.error, 'cancelled');
    assert.equal(s.sides.full.text, 'Hello', 'a cancel keeps what was generated');
    // A retention run leaves the generations on screen; a new generation clears only them.
    const retention = { answerTokens: 1, fullLogprob: -1, prunedLogprob: -2, delta: -1, deltaPerToken: -1, perToken: [] };
    s = reducePreview(s, { kind: 'started', run: 3, mode: 'retention', backend: 'tiny' });
    assert.equal(s.sides.full.text, 'Hello');
    s = reducePreview(s, { kind: 'retention', run: 3, result: retention });
    s = reducePreview(s, { kind: 'started', run: 4, mode: 'generate', backend: 'tiny' });
    assert.deepEqual(s.retention, retention);
    assert.equal(s.sides.full.text, '');
    assert.equal(s.error, null);
  });

  test('generated text folds runs of three or more blank lines, keeps everything else as written', () => {
    assert.deepEqual(foldBlankLines('a\n\nb'), [{ text: 'a\n\nb' }]);
    assert.deepEqual(foldBlankLines('\n\n\n\n\nSo the code\n\n\n\n \n\nends'), [{ lineBreaks: 5 }, { text: 'So the code' }, { lineBreaks: 6 }, { text: 'ends' }]);
    assert.deepEqual(foldBlankLines(''), []);
    const text = 'x\n\n\n\ny';
    const pieces = foldBlankLines(text);
    assert.equal(pieces.map((p) => ('text' in p ? p.text : '\n'.repeat(p.lineBreaks))).join(''), text, 'the folds account for every line break');
  });

  test('a saved preview of an older shape restores as empty, a current one without its running flag', () => {
    assert.equal(restorePreview({ run: 3, text: 'old shape', generation: { match: false } }), EMPTY_PREVIEW);
    assert.equal(restorePreview(undefined), EMPTY_PREVIEW);
    const saved = { ...EMPTY_PREVIEW, run: 4, mode: 'generate' as const, running: true };
    assert.deepEqual(restorePreview(JSON.parse(JSON.stringify(saved))), { ...saved, running: false });
  });

  test('labels are words: drops name their score, the format and the score source read as words, never ids or cache keys', () => {
    const session = sampleSession();
    session.applyPlan(previewPrune(session, 'asap', { kind: 'ratio', ratio: 0.6 }), 'asap 60%');
    session.toggleStep(session.plan.kept[0]!);
    const p = panelPlan(session);
    const byHand = p.dropped.find((d) => d.rule === 'dropped by hand');
    assert.equal(byHand?.scoreLabel, 'by hand');
    const asap = p.dropped.find((d) => d.scoreName === 'firstTokenSurprisal');
    assert.equal(asap?.scoreLabel, 'first-token surprisal');
    for (const d of p.dropped) assert.doesNotMatch(d.scoreLabel, /[a-z][A-Z]/, `a camelCase id in "${d.scoreLabel}"`);

    assert.equal(scoreSourceLabel('file'), 'logprobs in the file');
    assert.equal(scoreSourceLabel('onnx:/home/u/.cache/models/reasoning-lens-tiny#model:5242880:1732900000000'), 'reasoning-lens-tiny (local model)');
    assert.equal(scoreSourceLabel('openai:Qwen3-8B@http://127.0.0.1:8000/v1'), 'Qwen3-8B (endpoint)');
    assert.equal(scoreSourceLabel('onnx:C:\\models\\qwen#model_q4:1:2'), 'qwen (local model)');

    assert.equal(formatLabel('openai-chat'), 'OpenAI-compatible chat completion');
    assert.equal(formatLabel('no-such-format'), 'no-such-format');
    const summary = { name: 'a.json', format: 'openai-chat', steps: 2, characters: 10, truncated: false };
    assert.deepEqual(panelSummary(summary), { ...summary, format: 'OpenAI-compatible chat completion' });
  });

  test('heat: the buckets and ranges the editor colours by, for every metric the trace has; the legend lists them hottest first', () => {
    const session = sampleSession();
    const t = panelTrace(session);
    assert.deepEqual(Object.keys(t.heat).sort(), Object.keys(t.metrics).sort());
    assert.equal(HEAT_COLOURS, HEAT_BUCKETS, 'the webview has one colour class per heat bucket');
    const column = session.metricColumn('firstTokenSurprisal');
    assert.deepEqual(t.heat.firstTokenSurprisal?.buckets, Array.from(column.buckets));
    assert.equal(t.heat.firstTokenSurprisal?.buckets[3], -1, 'the unscored step has no colour');
    const legend = heatLegend(t, 'firstTokenSurprisal');
    assert.deepEqual(legend.map((e) => e.bucket), [4, 3, 2, 1, 0]);
    assert.deepEqual(legend.map((e) => e.range), [...column.bucketRanges].reverse().map((r) => r ?? null));
    // Every scored step's value lies in the range of its own colour.
    const values = metricValues(t, 'firstTokenSurprisal');
    t.heat.firstTokenSurprisal!.buckets.forEach((b, i) => {
      if (b < 0) return;
      const r = t.heat.firstTokenSurprisal!.ranges[b]!;
      assert.ok(values[i]! >= r[0] && values[i]! <= r[1], `step ${i}: ${values[i]} outside ${r}`);
    });
    assert.deepEqual(heatLegend(t, 'tokens'), []);
    assert.deepEqual(heatLegend(t, 'stepEntropy'), [], 'no legend for a metric without values');
  });

  test('the metric select lists what the trace has and always the heat map\'s metric; the chart falls back to token counts', () => {
    const t = panelTrace(sampleSession());
    // Repetition needs no model: every trace has it.
    assert.deepEqual(selectableMetrics(t, 'firstTokenSurprisal'), ['firstTokenSurprisal', 'meanSurprisal', 'repetition']);
    assert.deepEqual(selectableMetrics(t, 'importance'), ['firstTokenSurprisal', 'meanSurprisal', 'importance', 'repetition']);
    assert.deepEqual(selectableMetrics(null, 'confidence'), ['confidence']);
    assert.equal(chartMetric(t, 'meanSurprisal'), 'meanSurprisal');
    assert.equal(chartMetric(t, 'importance'), 'tokens');
    for (const m of STEP_METRICS) assert.ok(selectableMetrics(t, m).includes(m));
  });
});

describe('metrics computed once, in core', () => {
  test('Thought-Anchors importance under paragraph steps: the panel charts what the editor colours', async () => {
    const { traces } = await readTraces(repoPath('media/samples/thought-anchors-problem-2189-incorrect'));
    const trace = traces[0]!;
    const steps = segment(trace.reasoning, 'paragraph');
    assert.notEqual(steps.length, trace.chunks?.length, 'paragraphs are not the file\'s chunks');
    const session = new TraceSession(trace, steps, 'paragraph');
    const column = session.metricColumn('importance');
    assert.ok(column.count > 1, 'paragraphs overlapping chunks get their importance');
    assert.equal(session.metricColumn('importance'), column, 'computed once per scores');
    assert.deepEqual(panelTrace(session).metrics.importance, column.values.map((v) => v ?? null));
    assert.ok(session.availableMetrics().includes('importance'));
  });
});
