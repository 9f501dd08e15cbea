/**
 * The editor's heat colours as style classes for the webview's shadow roots: `.heat0 … .heat4` paint
 * `fill` (SVG) and `background` (swatches) with the theme colour of each bucket (see `heatColour`).
 */
import { unsafeCSS, type CSSResult } from 'lit';
import { HEAT_COLOURS, heatColour } from './model';

export const heatStyles: CSSResult = unsafeCSS(
  Array.from({ length: HEAT_COLOURS }, (_, b) => `.heat${b} { fill: ${heatColour(b)}; background: ${heatColour(b)}; }`).join('\n'),
);
