/**
 * A metric the trace has no values for falls back to one it has (and says so through `fallback`);
 * while the trace is being scored the choice stands; repetition stands in only where something repeats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricToShow, rankMetric, type MetricColumn } from '../../../src/core/metrics';
import type { StepMetric } from '../../../src/shared/vocabulary';
import { formatDuration, remainingMs } from '../../../src/shared/format';

function columns(values: Partial<Record<StepMetric, (number | undefined)[]>>): (m: StepMetric) => MetricColumn {
  return (m) => rankMetric(m, values[m] ?? [undefined, undefined]);
}

test('metric shown: the chosen one when the trace has it, else the first the trace has', () => {
  const scored = columns({ firstTokenSurprisal: [1, 2], meanSurprisal: [1, 1], repetition: [0, 0] });
  assert.deepEqual(metricToShow('firstTokenSurprisal', scored), { metric: 'firstTokenSurprisal', chosen: 'firstTokenSurprisal', fallback: false });
  // After a Thought-Anchors trace the choice is importance: a trace without it is coloured anyway.
  assert.deepEqual(metricToShow('importance', scored), { metric: 'firstTokenSurprisal', chosen: 'importance', fallback: true });
  assert.deepEqual(metricToShow('importance', scored, true), { metric: 'importance', chosen: 'importance', fallback: false }, 'scores on the way: wait for them');
  // Nothing scored: repetition stands in only when some step repeats.
  assert.equal(metricToShow('firstTokenSurprisal', columns({ repetition: [0, 0] })).fallback, false);
  assert.deepEqual(metricToShow('firstTokenSurprisal', columns({ repetition: [0, 0.6] })), { metric: 'repetition', chosen: 'firstTokenSurprisal', fallback: true });
});

test('format: durations and the time left at the rate so far', () => {
  assert.deepEqual([850, 1000, 59_400, 75_000, 7_200_000].map(formatDuration), ['1 s', '1 s', '1 min 0 s', '1 min 15 s', '2 h 0 min']);
  assert.equal(remainingMs(500, 1, 10), undefined, 'under a second: no estimate yet');
  assert.equal(remainingMs(2000, 0, 10), undefined);
  assert.equal(remainingMs(2000, 5, 10), 2000);
  assert.equal(remainingMs(2000, 10, 10), 0);
});
