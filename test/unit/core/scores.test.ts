import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StepTokenRange } from '../../../src/core/align';
import { lowestGroupConfidence, scoreSteps, tailConfidence, tokenConfidence, topKEntropy } from '../../../src/core/scores';

const close = (a: number | undefined, b: number, eps = 1e-9): void => {
  assert.ok(a !== undefined && Math.abs(a - b) < eps, `${a} ≈ ${b}`);
};
const range = (stepIndex: number, firstToken: number, endToken: number): StepTokenRange => ({
  stepIndex, firstToken, endToken, tokenCount: endToken - firstToken, firstTokenStraddles: false, firstTokenHasLeadingGap: false,
});

test('scores: topKEntropy renormalises over the k candidates', () => {
  close(topKEntropy([Math.log(0.25), Math.log(0.25)]), Math.log(2)); // renormalised to 1/2, 1/2
  close(topKEntropy([Math.log(0.5), Math.log(0.25), Math.log(0.25)]), 1.5 * Math.log(2));
  close(topKEntropy([{ logprob: -3 }]), 0);
  assert.ok(Number.isNaN(topKEntropy([])));
});

test('scores: DeepConf token confidence is minus the mean top-k logprob', () => {
  close(tokenConfidence([-1, -2, -3]), 2);
  close(tokenConfidence(new Float32Array([-0.5, -1.5])), 1);
});

test('scores: per-step figures by hand', () => {
  const lp = [Math.log(0.5), Math.log(0.25), Math.log(1), Math.log(0.1)];
  const tokens = {
    logprob: lp,
    entropy: [0.1, 0.2, 0.3, 0.4],
    topK: [[-1, -3], [-2, -2], undefined, [-4, -6]],
  };
  const s = scoreSteps(tokens, [range(0, 0, 2), range(1, 2, 4)]);
  const [a, b] = s.steps;
  close(a!.firstTokenSurprisal, Math.log(2));
  close(a!.meanSurprisal, (Math.log(2) + Math.log(4)) / 2);
  close(a!.perplexity, Math.exp((Math.log(2) + Math.log(4)) / 2));
  close(a!.stepEntropy, 0.3); // SUM (paper)
  assert.equal(a!.entropyIsTopK, false);
  close(a!.sampledTokenEntropy, (0.5 * Math.log(2) + 0.25 * Math.log(4)) / 2); // mean of -p log p (their code)
  close(a!.meanTokenProbability, 0.375);
  close(a!.confidence, (2 + 2) / 2);
  close(b!.firstTokenSurprisal, 0);
  close(b!.confidence, 5); // token 2 has no top-k
  assert.equal(s.totalTokens, 4);
  close(s.tailConfidence, (2 + 2 + 5) / 3);
  close(s.lowestGroupConfidence, 3); // shorter than 2,048: one window
});

test('scores: top-k entropy is flagged when no full entropy is given', () => {
  const s = scoreSteps({ logprob: [-0.1, -0.2], topK: [[Math.log(0.5), Math.log(0.5)], [0]] }, [range(0, 0, 2)]);
  assert.equal(s.steps[0]!.entropyIsTopK, true);
  close(s.steps[0]!.stepEntropy, Math.log(2));
});

test('scores: tail and lowest-group confidence over windows', () => {
  const c = [5, 5, 1, 1, 5, 5];
  close(tailConfidence(c, 2), 5);
  close(lowestGroupConfidence(c, 2), 1);
  close(lowestGroupConfidence(c, 3), (5 + 1 + 1) / 3);
  close(lowestGroupConfidence(c, 10), 22 / 6);
  assert.equal(lowestGroupConfidence([], 2), undefined);
  const long = Array.from({ length: 5000 }, (_, i) => (i >= 1000 && i < 1100 ? 0 : 1));
  close(lowestGroupConfidence(long), (2048 - 100) / 2048);
  close(tailConfidence(long), 1);
});

test('scores: a step without tokens keeps only its count', () => {
  const s = scoreSteps({ logprob: [-1] }, [range(0, 0, 1), { ...range(1, -1, 1), tokenCount: 0 }]);
  assert.deepEqual(s.steps[1], { index: 1, tokens: 0, firstTokenStraddles: false });
  assert.equal(s.steps[0]!.confidence, undefined);
});
