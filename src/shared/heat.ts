/**
 * The heat palette: five steps from cool to hot, what every view colours by (the editor's step and
 * token backgrounds, the status-bar legend, the side panel's chart legend). The colours are theme
 * colours (`contributes.colors`, overridable in `workbench.colorCustomizations`); this module holds
 * their ids, the CSS variables a webview or a hover reads them through, and the defaults that
 * package.json declares (a unit test checks that both agree, and measures the palette: text contrast
 * over every step, and how far apart neighbouring steps are for normal vision and for protanopia,
 * deuteranopia and tritanopia).
 *
 * The palette is sequential: lightness rises from cool to hot on dark backgrounds and falls on light
 * ones, with the hue turning from blue through violet and magenta to red-orange (the order of
 * magma/inferno), so the order survives colour-vision deficiencies and greyscale. Each default is
 * 80% opaque, so a selection or a find match under a step still shows through.
 * No `vscode`, no Node: the webviews import it.
 */

/** Number of heat steps (quintiles of a metric within a trace, or fixed token buckets). */
export const HEAT_BUCKETS = 5;

/** Theme colour id of each heat step, coolest first. */
export const HEAT_COLOR_IDS = [
  'reasoningLens.heat0Background',
  'reasoningLens.heat1Background',
  'reasoningLens.heat2Background',
  'reasoningLens.heat3Background',
  'reasoningLens.heat4Background',
] as const;

/** One word per heat step, coolest first (legends, screen readers). */
export const HEAT_STEP_NAMES = ['coolest', 'cool', 'middle', 'warm', 'hottest'] as const;

/** The theme kinds VS Code colour defaults distinguish (keys of `contributes.colors[].defaults`). */
export type ThemeKind = 'dark' | 'light' | 'highContrast' | 'highContrastLight';
export const THEME_KINDS: readonly ThemeKind[] = ['dark', 'light', 'highContrast', 'highContrastLight'];

/** Default colour of each heat step per theme kind (`#rrggbbaa`), as package.json declares them. */
export const HEAT_PALETTE: Readonly<Record<ThemeKind, readonly string[]>> = {
  dark: ['#102959cc', '#4b1483cc', '#791e5fcc', '#972c42cc', '#c22c07cc'],
  light: ['#cbecffcc', '#c9cbffcc', '#cea4ffcc', '#e582b8cc', '#e27444cc'],
  highContrast: ['#003767cc', '#581e90cc', '#822c6dcc', '#b41941cc', '#a85900cc'],
  highContrastLight: ['#dbeeffcc', '#dbd0ffcc', '#ffaec1cc', '#ff9a8bcc', '#ff8622cc'],
};

/**
 * The editor background and text colours of VS Code's default theme of each kind (Dark Modern,
 * Light Modern, Dark and Light High Contrast), plus the older defaults (Dark+, Light+): what the
 * palette is measured against.
 */
export const DEFAULT_EDITOR_COLOURS: Readonly<Record<ThemeKind, { readonly background: string; readonly foregrounds: readonly string[] }>> = {
  dark: { background: '#1f1f1f', foregrounds: ['#cccccc', '#d4d4d4'] },
  light: { background: '#ffffff', foregrounds: ['#3b3b3b', '#000000'] },
  highContrast: { background: '#000000', foregrounds: ['#ffffff'] },
  highContrastLight: { background: '#ffffff', foregrounds: ['#292929'] },
};

/** The CSS variable of a theme colour id, as VS Code defines it in webviews and hovers. */
export function themeColourVariable(id: string): string {
  return `--vscode-${id.replace(/\./g, '-')}`;
}

/** `var(--vscode-reasoningLens-heatNBackground)` for heat step `bucket` (0 = coolest). */
export function heatColourCss(bucket: number): string {
  const id = HEAT_COLOR_IDS[Math.max(0, Math.min(HEAT_BUCKETS - 1, Math.trunc(bucket)))]!;
  return `var(${themeColourVariable(id)})`;
}
