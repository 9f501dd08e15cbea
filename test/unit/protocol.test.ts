import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseFromWebview, parseToWebview, PANEL_COMMANDS,
  type FromWebview, type PanelPlan, type PanelSettings, type PanelTrace, type PreviewEvent, type ToWebview, type WebviewRequest,
} from '../../src/shared/protocol';
import { SEGMENTATION_MODES, STEP_METRICS } from '../../src/shared/vocabulary';

const trace: PanelTrace = {
  steps: [
    { index: 0, start: 0, end: 5, tokens: 2, text: 'Hello' },
    { index: 1, start: 7, end: 33, tokens: 7, text: '<script>alert(1)</script>' },
  ],
  metrics: { firstTokenSurprisal: [1.5, null], importance: [0.1, 0.2] },
  heat: {
    firstTokenSurprisal: { buckets: [4, -1], ranges: [null, null, null, null, [1.5, 1.5]] },
    importance: { buckets: [0, 4], ranges: [[0.1, 0.1], null, null, null, [0.2, 0.2]] },
  },
  tokensEstimated: false,
  scoredBy: 'tiny (local model)',
  hasAnswer: true,
};

const plan: PanelPlan = {
  method: 'asap', label: 'asap, budget 80%', preview: true, kept: [0], pinned: [],
  dropped: [{ index: 1, rule: '1st lowest', scoreName: 'firstTokenSurprisal', scoreLabel: 'first-token surprisal', rank: 1, score: 0.4 }],
  changed: [{ index: 0, text: 'Hallo', inline: [{ op: 'replace', originalStart: 1, originalEnd: 2, prunedStart: 1, prunedEnd: 2 }] }],
  totals: { stepsBefore: 2, stepsAfter: 1, tokensBefore: 9, tokensAfter: 2, estimated: false, countedBy: null, tokenizer: null },
  budget: { target: 7, description: '80% of 9 tokens = 7', met: true },
  notes: [], undoLabel: 'original', canRedo: false,
};

const settings: PanelSettings = {
  methods: [{ id: 'asap', label: 'ASAP', live: true, usesBudget: true }],
  segmentation: 'paragraph', backendLabel: 'local · tiny', commands: ['reset', 'compare'], metric: 'meanSurprisal',
};

const side = { text: 'so \\boxed{42}', tokenCount: 5, seconds: 0.2, tokensPerSecond: 25, finishReason: 'eos', finalAnswer: '42', reused: null } as const;

const events: PreviewEvent[] = [
  { kind: 'started', run: 1, mode: 'generate', backend: 'tiny' },
  { kind: 'chunk', run: 1, side: 'full', text: 'The answer', tokens: 2, seconds: 0.1 },
  { kind: 'side', run: 1, side: 'full', result: side },
  {
    kind: 'generated', run: 1,
    result: { full: side, pruned: { ...side, finalAnswer: null, reused: 'full' }, traceAnswer: '42', verdict: 'no answer', missing: 'pruned' },
  },
  { kind: 'retention', run: 2, result: { answerTokens: 1, fullLogprob: -1, prunedLogprob: -2, delta: -1, deltaPerToken: -1, perToken: [{ token: '4', full: -1, pruned: -2 }] } },
  { kind: 'failed', run: 3, message: 'cancelled', cancelled: true },
];

/** One valid message of every `ToWebview` variant. */
const toWebview: ToWebview[] = [
  { type: 'state', trace: null },
  { type: 'state', trace: { name: 'a.md', format: 'think-text', steps: 2, characters: 33, truncated: false, finalAnswer: '42' }, detail: trace, plan },
  { type: 'state', trace: null, detail: null, plan: null },
  { type: 'plan', plan },
  { type: 'plan', plan: null },
  { type: 'settings', settings },
  { type: 'settings', settings: { ...settings, chosen: { method: 'asap', budgetRatio: 0.6 } } },
  { type: 'settings', settings: { ...settings, chosen: { method: 'entropy', budgetRatio: null } } },
  ...events.map((event): ToWebview => ({ type: 'preview', event })),
  { type: 'request', id: 3, request: { kind: 'describeView' } },
  { type: 'response', id: 4, ok: true, result: { anything: 1 } },
  { type: 'response', id: 5, ok: false, error: 'boom' },
];

/** One valid request of every `WebviewRequest` kind. */
const requests: WebviewRequest[] = [
  { kind: 'openSample' },
  { kind: 'refresh' },
  { kind: 'revealStep', index: 0 },
  { kind: 'previewBudget', method: 'asap', budget: 0.5 },
  { kind: 'applyBudget', method: 'entropy', budget: 1 },
  ...PANEL_COMMANDS.map((command): WebviewRequest => ({ kind: 'command', command })),
  ...SEGMENTATION_MODES.map((segmentation): WebviewRequest => ({ kind: 'setSegmentation', segmentation })),
  ...STEP_METRICS.map((metric): WebviewRequest => ({ kind: 'setMetric', metric })),
  { kind: 'toggleStep', index: 3 },
  { kind: 'togglePin', index: 3 },
  { kind: 'startPreview', mode: 'generate', maxTokens: 64 },
  { kind: 'startPreview', mode: 'retention', maxTokens: 1 },
  { kind: 'cancelPreview' },
];

const fromWebview: FromWebview[] = [
  { type: 'ready' },
  ...requests.map((request, i): FromWebview => ({ type: 'request', id: i + 1, request })),
  { type: 'response', id: 9, ok: true, result: { title: 't', steps: null } },
  { type: 'response', id: 9, ok: true, result: { title: 't', steps: 4, kept: 3, tokensBefore: 10, tokensAfter: 8, bars: 4, lastUpdateMs: 3.5, updateMs: [1, 2.5] } },
  { type: 'response', id: 9, ok: true, result: { title: 't', steps: 4, metric: 'meanSurprisal', legend: ['3.1–4.0 nats', '—'] } },
  { type: 'response', id: 10, ok: false, error: 'nope' },
];

/** Through JSON, as postMessage would carry it. */
const wire = <T>(m: T): unknown => JSON.parse(JSON.stringify(m));

describe('protocol: every message type round-trips through its validator', () => {
  test('ToWebview', () => {
    const kinds = new Set<string>();
    for (const m of toWebview) {
      assert.deepEqual(parseToWebview(wire(m)), wire(m), JSON.stringify(m).slice(0, 120));
      kinds.add(m.type === 'preview' ? `preview:${m.event.kind}` : m.type);
    }
    // A new variant added to the union without a case here would leave this list short.
    assert.deepEqual([...kinds].sort(), ['plan', 'preview:chunk', 'preview:failed', 'preview:generated', 'preview:retention', 'preview:side', 'preview:started', 'request', 'response', 'settings', 'state']);
  });

  test('FromWebview', () => {
    for (const m of fromWebview) assert.deepEqual(parseFromWebview(wire(m)), wire(m), JSON.stringify(m));
    assert.equal(new Set(requests.map((r) => r.kind)).size, 12, 'one case per request kind');
  });
});

describe('protocol: invalid messages are rejected', () => {
  const bad = (value: unknown) => ({ value, label: JSON.stringify(value)?.slice(0, 100) });

  test('unknown or missing type, non-objects', () => {
    for (const { value, label } of [bad(null), bad(42), bad('state'), bad([]), bad({}), bad({ type: 'nope' }), bad({ type: 'State', trace: null })]) {
      assert.equal(parseToWebview(value), undefined, label);
      assert.equal(parseFromWebview(value), undefined, label);
    }
  });

  test('requests without a valid id, or with an unknown kind or wrong field types', () => {
    const cases = [
      { type: 'request', request: { kind: 'refresh' } },
      { type: 'request', id: 0, request: { kind: 'refresh' } },
      { type: 'request', id: -1, request: { kind: 'refresh' } },
      { type: 'request', id: 1.5, request: { kind: 'refresh' } },
      { type: 'request', id: '1', request: { kind: 'refresh' } },
      { type: 'request', id: 1, request: { kind: 'rm -rf' } },
      { type: 'request', id: 1, request: null },
      { type: 'request', id: 1, request: { kind: 'revealStep' } },
      { type: 'request', id: 1, request: { kind: 'revealStep', index: -1 } },
      { type: 'request', id: 1, request: { kind: 'revealStep', index: '2' } },
      { type: 'request', id: 1, request: { kind: 'previewBudget', method: 'asap', budget: 1.5 } },
      { type: 'request', id: 1, request: { kind: 'previewBudget', method: '', budget: 0.5 } },
      { type: 'request', id: 1, request: { kind: 'applyBudget', method: 'asap' } },
      { type: 'request', id: 1, request: { kind: 'command', command: 'workbench.action.quit' } },
      { type: 'request', id: 1, request: { kind: 'setSegmentation', segmentation: 'words' } },
      { type: 'request', id: 1, request: { kind: 'setMetric', metric: 'tokens' } },
      { type: 'request', id: 1, request: { kind: 'setMetric' } },
      { type: 'request', id: 1, request: { kind: 'startPreview', mode: 'generate', maxTokens: 0 } },
      { type: 'request', id: 1, request: { kind: 'startPreview', mode: 'generate', maxTokens: 100_000 } },
      { type: 'request', id: 1, request: { kind: 'startPreview', mode: 'sample', maxTokens: 10 } },
      { type: 'response', id: 1, ok: true, result: { title: 3, steps: null } },
      { type: 'response', id: 1, ok: true, result: { title: 't', steps: null, bars: -1 } },
      { type: 'response', id: 1, ok: true, result: { title: 't', steps: null, updateMs: ['1'] } },
      { type: 'response', id: 1, ok: true },
      { type: 'response', ok: false, error: 'x' },
      { type: 'response', id: 1, ok: false },
    ];
    for (const c of cases) assert.equal(parseFromWebview(c), undefined, JSON.stringify(c));
    assert.equal(parseToWebview({ type: 'request', id: 1, request: { kind: 'revealStep', index: 0 } }), undefined, 'host requests are only describeView');
  });

  test('state, plan, settings and preview payloads with wrong types', () => {
    const mutate = <T extends object>(o: T, patch: Record<string, unknown>) => ({ ...wire(o) as object, ...patch });
    const cases: unknown[] = [
      { type: 'state', trace: { name: 'a', format: 'x', steps: -1, characters: 0, truncated: false } },
      { type: 'state', trace: null, detail: mutate(trace, { steps: [{ index: 0, start: 0, end: 1, tokens: 1, text: 5 }] }) },
      { type: 'state', trace: null, detail: mutate(trace, { metrics: { firstTokenSurprisal: [1] } }) },
      { type: 'state', trace: null, detail: mutate(trace, { metrics: { made_up: [1, 2] } }) },
      { type: 'state', trace: null, detail: mutate(trace, { hasAnswer: 'yes' }) },
      { type: 'state', trace: null, detail: mutate(trace, { heat: { firstTokenSurprisal: { buckets: [4], ranges: [null, null, null, null, null] } } }) },
      { type: 'state', trace: null, detail: mutate(trace, { heat: { firstTokenSurprisal: { buckets: [5, 0], ranges: [null, null, null, null, null] } } }) },
      { type: 'state', trace: null, detail: mutate(trace, { heat: { firstTokenSurprisal: { buckets: [0, 0], ranges: [[2, 1], null, null, null, null] } } }) },
      { type: 'state', trace: null, detail: mutate(trace, { heat: { tokens: { buckets: [0, 0], ranges: [null] } } }) },
      { type: 'state', trace: null, detail: mutate(trace, { heat: undefined }) },
      { type: 'state', trace: null, plan: mutate(plan, { kept: [-1] }) },
      { type: 'plan', plan: mutate(plan, { preview: 'no' }) },
      { type: 'plan', plan: mutate(plan, { totals: { stepsBefore: 2 } }) },
      { type: 'plan', plan: mutate(plan, { changed: [{ index: 0, text: 'x', inline: [{ op: 'move', originalStart: 0, originalEnd: 1, prunedStart: 0, prunedEnd: 1 }] }] }) },
      { type: 'plan', plan: mutate(plan, { dropped: [{ index: 1, rule: 'r', scoreName: 's', scoreLabel: 's', rank: 1, score: 'high' }] }) },
      { type: 'plan', plan: mutate(plan, { dropped: [{ index: 1, rule: 'r', scoreName: 's', rank: 1 }] }) },
      { type: 'plan' },
      { type: 'settings', settings: mutate(settings, { segmentation: 'words' }) },
      { type: 'settings', settings: mutate(settings, { commands: ['format-disk'] }) },
      { type: 'settings', settings: mutate(settings, { chosen: { method: 'asap', budgetRatio: 1.5 } }) },
      { type: 'settings', settings: mutate(settings, { chosen: { method: 7, budgetRatio: 0.5 } }) },
      { type: 'settings', settings: mutate(settings, { metric: 'tokens' }) },
      { type: 'settings', settings: mutate(settings, { metric: undefined }) },
      { type: 'preview', event: { kind: 'chunk', run: 1, side: 'full', text: 5, tokens: 1, seconds: 0 } },
      { type: 'preview', event: { kind: 'chunk', side: 'full', text: 'a', tokens: 1, seconds: 0 } },
      { type: 'preview', event: { kind: 'chunk', run: 1, text: 'a', tokens: 1, seconds: 0 } },
      { type: 'preview', event: { kind: 'chunk', run: 1, side: 'both', text: 'a', tokens: 1, seconds: 0 } },
      { type: 'preview', event: { kind: 'side', run: 1, side: 'pruned', result: { ...side, reused: 'later' } } },
      { type: 'preview', event: { kind: 'started', run: 1, mode: 'sample', backend: 'x' } },
      { type: 'preview', event: { kind: 'finished', run: 1 } },
      { type: 'preview', event: mutate(events[3]!, { result: { text: 'x' } }) },
      { type: 'preview', event: mutate(events[3]!, { result: { full: side, pruned: side, traceAnswer: null, verdict: 'match', missing: null } }) },
      { type: 'preview', event: mutate(events[3]!, { result: { full: side, pruned: side, traceAnswer: null, verdict: 'same', missing: 'neither' } }) },
      { type: 'preview', event: mutate(events[4]!, { result: { answerTokens: 1, fullLogprob: -1, prunedLogprob: -2, delta: -1, deltaPerToken: -1, perToken: [{ token: 1 }] } }) },
    ];
    for (const c of cases) assert.equal(parseToWebview(c), undefined, JSON.stringify(c).slice(0, 160));
  });
});

describe('channel envelope', () => {
  test('a discriminant naming an Object.prototype member is no message', () => {
    for (const type of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      assert.equal(parseToWebview({ type }), undefined, type);
      assert.equal(parseFromWebview({ type: 'request', id: 1, request: { kind: type } }), undefined, type);
    }
  });
});
