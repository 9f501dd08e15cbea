import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gestaltRatio, matchingBlocks, gestaltAtLeast, SequenceMatcher, codePoints } from '../../../src/core/gestalt';

// Deterministic generators, mirrored in the Python that produced the expected values below.
function lcg(seed: number, n: number, alphabet: string): string {
  const chars = Array.from(alphabet);
  let x = BigInt(seed);
  let s = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245n + 12345n) % 2147483648n;
    s += chars[Number((x >> 16n) % BigInt(chars.length))];
  }
  return s;
}
function mutate(s: string, seed: number): string {
  const chars = Array.from(s);
  const ops = Array.from(lcg(seed, chars.length, 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkdi'));
  let out = '';
  chars.forEach((ch, i) => {
    if (ops[i] === 'd') return;
    if (ops[i] === 'i') out += '#';
    out += ch;
  });
  return out;
}
const ALPHA = 'ab c\n';
const BIG = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:=+-*/()éü😀日';
const LOREM =
  'Okay, so I need to find p(5) for a cubic polynomial p(x) that satisfies p(n) = 1/n^2 for n = 1, 2, 3, and 4. Let me think about Lagrange interpolation and finite differences here. ';
const LOREM2 = LOREM.replace('cubic', 'quartic').replace('Lagrange', 'Newton') + 'Then p(5) = -5/12.';

// Expected ratio() and get_matching_blocks() computed with CPython 3.11.7 difflib:
//   difflib.SequenceMatcher(None, a, b).ratio() / .get_matching_blocks()
// (strings >= 200 code points exercise the autojunk "popular" heuristic).
const CASES: [string, string, number, number[][]][] = [
  ["", "", 1.0, [[0, 0, 0]]],
  ["", "abc", 0.0, [[0, 3, 0]]],
  ["abc", "", 0.0, [[3, 0, 0]]],
  ["abc", "abc", 1.0, [[0, 0, 3], [3, 3, 0]]],
  ["abcd", "bcde", 0.75, [[1, 0, 3], [4, 4, 0]]],
  ["kitten", "sitting", 0.6153846153846154, [[1, 1, 3], [5, 5, 1], [6, 7, 0]]],
  ["The quick brown fox", "The quick brown dog", 0.8947368421052632, [[0, 0, 16], [17, 17, 1], [19, 19, 0]]],
  ["abxcd", "abcd", 0.8888888888888888, [[0, 0, 2], [3, 2, 2], [5, 4, 0]]],
  ["qabxcd", "abycdf", 0.6666666666666666, [[1, 0, 2], [4, 3, 2], [6, 6, 0]]],
  ["private Thread currentThread;", "private volatile Thread currentThread;", 0.8656716417910447, [[0, 0, 6], [6, 15, 23], [29, 38, 0]]],
  ["So x = 42.", "So x equals 42.", 0.72, [[0, 0, 5], [6, 11, 4], [10, 15, 0]]],
  ["Let me check: 6*7 = 42", "Check 6 * 7 = 42", 0.6842105263157895, [[8, 1, 4], [13, 5, 2], [15, 8, 1], [16, 10, 6], [22, 16, 0]]],
  ["café naïve", "cafe naive", 0.8, [[0, 0, 3], [4, 4, 3], [8, 8, 2], [10, 10, 0]]],
  ["日本語のテキスト", "日本のテキスト", 0.9333333333333333, [[0, 0, 2], [3, 2, 5], [8, 7, 0]]],
  ["emoji 😀 here", "emoji 😃 here", 0.9166666666666666, [[0, 0, 6], [7, 7, 5], [12, 12, 0]]],
  ["𝔘𝔫𝔦𝔠𝔬𝔡𝔢 abc", "𝔘𝔫𝔦 abc", 0.7777777777777778, [[0, 0, 3], [7, 3, 4], [11, 7, 0]]],
  ['a'.repeat(250), 'a'.repeat(250), 1.0, [[0, 0, 250], [250, 250, 0]]],
  ['a'.repeat(250), 'a'.repeat(240) + 'b'.repeat(10), 0.96, [[0, 0, 240], [250, 250, 0]]],
  ['ab'.repeat(120), 'ba'.repeat(120), 0.0, [[240, 240, 0]]],
  [Array(60).fill('word').join(' '), Array(59).fill('word').join(' ') + ' end', 0.9882747068676717, [[0, 0, 295], [299, 298, 0]]],
  ["Wait", "wait", 0.75, [[1, 1, 3], [4, 4, 0]]],
  ["1/4", "0.25", 0.0, [[3, 4, 0]]],
  ["aaaa", "aa", 0.6666666666666666, [[0, 0, 2], [4, 2, 0]]],
  [LOREM, LOREM2, 0.9047619047619048, [[0, 0, 35], [36, 36, 1], [38, 40, 90], [133, 135, 1], [136, 136, 44], [180, 198, 0]]],
  [LOREM2, LOREM, 0.9047619047619048, [[0, 0, 35], [36, 36, 1], [40, 38, 90], [131, 135, 1], [136, 136, 44], [198, 180, 0]]],
  [LOREM.repeat(2), LOREM, 0.6666666666666666, [[0, 0, 180], [360, 180, 0]]],
  [LOREM.slice(0, 150), LOREM, 0.9090909090909091, [[0, 0, 150], [150, 180, 0]]],
  [LOREM, LOREM.slice(0, 199), 1.0, [[0, 0, 180], [180, 180, 0]]],
  [LOREM.slice(0, 199), LOREM.slice(0, 200), 1.0, [[0, 0, 180], [180, 180, 0]]],
  [lcg(50, 50, BIG), mutate(lcg(50, 50, BIG), 53), 0.9615384615384616, [[0, 0, 8], [8, 9, 12], [20, 22, 14], [34, 37, 11], [45, 49, 5], [50, 54, 0]]],
  [lcg(199, 199, BIG), mutate(lcg(199, 199, BIG), 202), 0.9797979797979798, [[0, 0, 14], [15, 14, 2], [17, 17, 12], [30, 29, 42], [73, 71, 48], [122, 119, 6], [128, 126, 23], [152, 149, 17], [169, 167, 30], [199, 197, 0]]],
  [lcg(200, 200, BIG), mutate(lcg(200, 200, BIG), 203), 0.9695431472081218, [[0, 0, 39], [39, 40, 20], [60, 60, 8], [69, 68, 1], [71, 69, 7], [78, 77, 5], [84, 82, 18], [103, 100, 20], [124, 120, 5], [129, 126, 1], [131, 127, 6], [138, 133, 33], [172, 166, 28], [200, 194, 0]]],
  [lcg(201, 201, BIG), mutate(lcg(201, 201, BIG), 204), 0.9547738693467337, [[0, 0, 7], [8, 7, 14], [22, 22, 2], [24, 25, 1], [26, 26, 22], [49, 48, 7], [58, 55, 8], [66, 64, 18], [85, 82, 3], [88, 86, 29], [117, 116, 5], [123, 121, 19], [143, 140, 24], [168, 164, 2], [171, 166, 1], [173, 167, 11], [184, 179, 5], [189, 185, 12], [201, 197, 0]]],
  [lcg(300, 300, BIG), mutate(lcg(300, 300, BIG), 303), 0.9867109634551495, [[0, 0, 16], [16, 17, 6], [23, 23, 6], [29, 30, 4], [34, 34, 11], [46, 45, 134], [180, 180, 70], [250, 251, 28], [278, 280, 22], [300, 302, 0]]],
  [lcg(600, 600, BIG), mutate(lcg(600, 600, BIG), 603), 0.9498327759197325, [[0, 0, 11], [11, 12, 11], [22, 24, 12], [38, 38, 72], [110, 111, 17], [127, 129, 23], [150, 153, 6], [157, 159, 16], [176, 176, 27], [203, 204, 20], [224, 224, 4], [230, 228, 55], [286, 283, 52], [338, 336, 4], [343, 340, 15], [358, 356, 9], [367, 366, 12], [380, 379, 18], [402, 401, 22], [425, 423, 28], [455, 453, 11], [466, 465, 12], [482, 481, 17], [500, 498, 25], [525, 524, 11], [537, 535, 26], [563, 562, 3], [567, 565, 9], [577, 574, 20], [600, 596, 0]]],
  [lcg(5, 400, ALPHA), lcg(6, 400, ALPHA), 0.0, [[400, 400, 0]]],
  [LOREM.repeat(2), LOREM2.repeat(2), 0.20634920634920634, [[0, 0, 35], [35, 41, 1], [36, 127, 1], [39, 170, 1], [80, 194, 1], [180, 198, 35], [215, 239, 1], [216, 325, 1], [219, 368, 1], [260, 392, 1], [360, 396, 0]]],];

test('gestalt: ratio and matching blocks equal CPython difflib on 37 pairs', () => {
  CASES.forEach(([a, b, ratio, blocks], k) => {
    assert.equal(gestaltRatio(a, b), ratio, `ratio of case ${k}`);
    assert.deepEqual(matchingBlocks(a, b).map((m) => [m.a, m.b, m.size]), blocks, `blocks of case ${k}`);
  });
});

test('gestalt: autojunk marks characters occurring more than len/100 + 1 times as popular', () => {
  const b = 'a'.repeat(3) + 'b'.repeat(197); // n = 200, ntest = 3: 'a' (3) stays, 'b' (197) is popular
  const sm = new SequenceMatcher(codePoints('ab'), codePoints(b));
  assert.deepEqual([...sm.popular], ['b']);
  assert.deepEqual([...new SequenceMatcher(codePoints('ab'), codePoints(b.slice(1))).popular], []); // n = 199: no autojunk
  assert.deepEqual([...new SequenceMatcher(codePoints('ab'), codePoints(b), false).popular], []);
});

test('gestalt: gestaltAtLeast agrees with the ratio', () => {
  for (const [a, b, ratio] of CASES) {
    assert.equal(gestaltAtLeast(a, b, 0.6), ratio >= 0.6);
  }
});

test('gestalt: opcodes cover both sequences', () => {
  const sm = new SequenceMatcher(codePoints('qabxcd'), codePoints('abycdf'));
  // CPython: [('delete',0,1,0,0),('equal',1,3,0,2),('replace',3,4,2,3),('equal',4,6,3,5),('insert',6,6,5,6)]
  assert.deepEqual(
    sm.getOpcodes().map((o) => [o.tag, o.aStart, o.aEnd, o.bStart, o.bEnd]),
    [['delete', 0, 1, 0, 0], ['equal', 1, 3, 0, 2], ['replace', 3, 4, 2, 3], ['equal', 4, 6, 3, 5], ['insert', 6, 6, 5, 6]],
  );
});
