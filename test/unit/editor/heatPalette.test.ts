/**
 * The heat palette is measured, not eyeballed: over the editor background of VS Code's default theme
 * of each kind, every heat step keeps the text readable (WCAG contrast ≥ 4.5:1, ≥ 7:1 in the
 * high-contrast themes), lightness moves one way from cool to hot (a sequential palette), and
 * neighbouring steps stay apart (OKLab distance ≥ 0.05, about 2.5 just-noticeable differences) for
 * normal vision and under simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009,
 * severity 1). package.json declares exactly the palette of src/shared/heat.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_EDITOR_COLOURS, HEAT_BUCKETS, HEAT_COLOR_IDS, HEAT_PALETTE, THEME_KINDS, heatColourCss, type ThemeKind } from '../../../src/shared/heat';
import { repoPath } from '../helpers';

type Rgb = readonly [number, number, number];
const VISIONS = ['normal', 'protanopia', 'deuteranopia', 'tritanopia'] as const;
type Vision = (typeof VISIONS)[number];

function parse(hex: string): { rgb: Rgb; alpha: number } {
  const m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(hex);
  assert.ok(m, `not a #rrggbb[aa] colour: ${hex}`);
  const v = (i: number) => parseInt(m[1]!.slice(2 * i, 2 * i + 2), 16) / 255;
  return { rgb: [v(0), v(1), v(2)], alpha: m[2] ? parseInt(m[2], 16) / 255 : 1 };
}
const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const toGamma = (c: number) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);

/** What the eye sees: `colour` painted over `background`. */
function over(colour: string, background: string): Rgb {
  const { rgb, alpha } = parse(colour);
  const bg = parse(background).rgb;
  return [0, 1, 2].map((i) => rgb[i]! * alpha + bg[i]! * (1 - alpha)) as unknown as Rgb;
}
function luminance(c: Rgb): number {
  const [r, g, b] = c.map(toLinear) as unknown as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: Rgb, b: Rgb): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}
function oklab(c: Rgb): Rgb {
  const [r, g, b] = c.map(toLinear) as unknown as Rgb;
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s, 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s, 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s];
}
const MACHADO: Record<Exclude<Vision, 'normal'>, readonly Rgb[]> = {
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};
function seenWith(c: Rgb, vision: Vision): Rgb {
  if (vision === 'normal') return c;
  const lin = c.map(toLinear);
  return MACHADO[vision].map((row) => toGamma(Math.min(1, Math.max(0, row[0] * lin[0]! + row[1] * lin[1]! + row[2] * lin[2]!)))) as unknown as Rgb;
}
function distance(a: Rgb, b: Rgb): number {
  const [x, y] = [oklab(a), oklab(b)];
  return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
}

/** The five steps as seen over the default editor background of `kind`. */
function painted(kind: ThemeKind): Rgb[] {
  return HEAT_PALETTE[kind].map((c) => over(c, DEFAULT_EDITOR_COLOURS[kind].background));
}

test('heat palette: text over every step stays readable (4.5:1, 7:1 in high contrast)', () => {
  for (const kind of THEME_KINDS) {
    const minimum = kind.startsWith('highContrast') ? 7 : 4.5;
    painted(kind).forEach((c, step) => {
      for (const fg of DEFAULT_EDITOR_COLOURS[kind].foregrounds) {
        const ratio = contrast(parse(fg).rgb, c);
        assert.ok(ratio >= minimum, `${kind} step ${step}: text ${fg} has contrast ${ratio.toFixed(2)}, below ${minimum}`);
      }
    });
  }
});

test('heat palette: sequential, lightness moves one way from cool to hot', () => {
  for (const kind of THEME_KINDS) {
    const lightness = painted(kind).map((c) => oklab(c)[0]);
    const dark = kind === 'dark' || kind === 'highContrast';
    for (let i = 1; i < HEAT_BUCKETS; i++) {
      const rises = lightness[i]! > lightness[i - 1]!;
      assert.equal(rises, dark, `${kind}: lightness of step ${i} (${lightness[i]!.toFixed(3)}) does not ${dark ? 'rise' : 'fall'} from step ${i - 1} (${lightness[i - 1]!.toFixed(3)})`);
    }
  }
});

test('heat palette: neighbouring steps stay apart for normal vision and the three dichromacies', () => {
  const rows: string[] = [];
  for (const kind of THEME_KINDS) {
    const background = parse(DEFAULT_EDITOR_COLOURS[kind].background).rgb;
    const steps = painted(kind);
    for (const vision of VISIONS) {
      // The coolest step against the plain background: visible, if quietly.
      const first = distance(seenWith(steps[0]!, vision), seenWith(background, vision));
      assert.ok(first >= 0.04, `${kind}, ${vision}: the coolest step is ${first.toFixed(3)} from the background`);
      const gaps = [first];
      for (let i = 1; i < HEAT_BUCKETS; i++) {
        const d = distance(seenWith(steps[i]!, vision), seenWith(steps[i - 1]!, vision));
        gaps.push(d);
        assert.ok(d >= 0.05, `${kind}, ${vision}: steps ${i - 1} and ${i} are only ${d.toFixed(3)} apart (OKLab)`);
      }
      rows.push(`${kind.padEnd(18)} ${vision.padEnd(13)} ${gaps.map((g) => g.toFixed(3)).join('  ')}`);
    }
  }
  console.log(`OKLab distance: background→step 0, then step i-1→i\n${rows.join('\n')}`);
});

test('heat palette: package.json declares the palette of src/shared/heat.ts under the same ids', () => {
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { contributes: { colors: { id: string; defaults: Record<string, string> }[] } };
  HEAT_COLOR_IDS.forEach((id, step) => {
    const entry = pkg.contributes.colors.find((c) => c.id === id);
    assert.ok(entry, `package.json has no colour ${id}`);
    for (const kind of THEME_KINDS) assert.equal(entry.defaults[kind]?.toLowerCase(), HEAT_PALETTE[kind][step], `${id} ${kind}`);
  });
  assert.equal(heatColourCss(4), 'var(--vscode-reasoningLens-heat4Background)');
});
