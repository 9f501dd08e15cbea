/**
 * The bounded version of `npm run bench -- fuzz`: the same generated and mutated inputs (seeded from
 * ../shared/data) for every parser that reads untrusted input, a few hundred each, no crash and no
 * input over a second. Plus a check that the harness does see crashes, prototype pollution and hangs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzTargets, loadCorpus, runCampaign, type FuzzTarget } from '../../../bench/fuzzHarness';
import { sharedData } from '../helpers';

const INPUTS = 1000;

describe('fuzz (bounded)', () => {
  const corpus = loadCorpus(sharedData());
  const targets = fuzzTargets(corpus);

  test('the corpus is the real data: every kind of seed is there', () => {
    assert.ok(corpus.all.length > 100, `${corpus.all.length} seeds`);
    assert.ok(corpus.json.length > 50);
    assert.ok(corpus.thoughtAnchors.length > 0);
    assert.deepEqual(targets.map((t) => t.name), ['parseTraceText', 'safeParseJson', 'parseTraceRecord', 'parseThoughtAnchors', 'JsonArrayScanner', 'readTraces (files)']);
  });

  for (const target of targets) {
    test(`${target.name}: ${INPUTS} inputs, no crash, none over 1 s`, async () => {
      try {
        const report = await runCampaign(target, 0, INPUTS);
        assert.equal(report.inputs, INPUTS);
        assert.deepEqual(report.crashes.slice(0, 3), [], `crashes (${report.crashes.length}); reproduce with the input index`);
        assert.deepEqual(report.hangs, []);
      } finally {
        target.dispose?.();
      }
    });
  }

  test('the harness counts crashes, prototype pollution and slow inputs', async () => {
    const bad: FuzzTarget = {
      name: 'bad',
      run: async (i) => {
        if (i === 1) throw new Error('boom');
        if (i === 2) (Object.prototype as Record<string, unknown>).polluted = true;
        if (i === 3) await new Promise((r) => setTimeout(r, 1100));
      },
      describe: String,
    };
    try {
      const report = await runCampaign(bad, 0, 4);
      assert.deepEqual(report.crashes.map((c) => c.index), [1, 2, 3], 'boom, pollution (stays until removed)');
      assert.match(report.crashes[0]!.error, /boom/);
      assert.deepEqual(report.hangs.map((h) => h.index), [3]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
});
