/** The preview pane's state and how host events change it (no DOM, so unit tests import it). */
import type { PanelGeneration, PanelGenerationSide, PanelRetention, PreviewEvent, PreviewSide } from '../../src/shared/protocol';

/** One generation as it streams in, then its result. */
export interface SideState {
  readonly text: string;
  readonly tokens: number;
  readonly seconds: number;
  readonly result: PanelGenerationSide | null;
}

/**
 * What the preview pane shows; persisted with the panel's state so it survives hiding. The generations
 * and the retention are kept apart: running one leaves the other's last result on screen.
 */
export interface PreviewState {
  readonly run: number;
  /** The mode of the latest run. */
  readonly mode: 'generate' | 'retention' | null;
  readonly backend: string;
  readonly running: boolean;
  /** The full-reasoning and pruned-reasoning generations, side by side. */
  readonly sides: Readonly<Record<PreviewSide, SideState>>;
  readonly generation: PanelGeneration | null;
  readonly retention: PanelRetention | null;
  readonly error: string | null;
}

const EMPTY_SIDE: SideState = { text: '', tokens: 0, seconds: 0, result: null };

/** Nothing run yet. */
export const EMPTY_PREVIEW: PreviewState = {
  run: 0, mode: null, backend: '', running: false, sides: { full: EMPTY_SIDE, pruned: EMPTY_SIDE }, generation: null, retention: null, error: null,
};

/** Folds a host event into the preview state (events of an older run are ignored). */
export function reducePreview(state: PreviewState, event: PreviewEvent): PreviewState {
  if (event.kind !== 'started' && event.run !== state.run) return state;
  switch (event.kind) {
    case 'started': {
      const next = { ...state, run: event.run, mode: event.mode, backend: event.backend, running: true, error: null };
      return event.mode === 'generate' ? { ...next, sides: EMPTY_PREVIEW.sides, generation: null } : { ...next, retention: null };
    }
    case 'chunk': {
      const side = state.sides[event.side];
      return { ...state, sides: { ...state.sides, [event.side]: { ...side, text: side.text + event.text, tokens: event.tokens, seconds: event.seconds } } };
    }
    case 'side': {
      const r = event.result;
      return { ...state, sides: { ...state.sides, [event.side]: { text: r.text, tokens: r.tokenCount, seconds: r.seconds, result: r } } };
    }
    case 'generated': {
      const g = event.result;
      const done = (r: PanelGenerationSide): SideState => ({ text: r.text, tokens: r.tokenCount, seconds: r.seconds, result: r });
      return { ...state, running: false, sides: { full: done(g.full), pruned: done(g.pruned) }, generation: g };
    }
    case 'retention':
      return { ...state, running: false, retention: event.result };
    case 'failed':
      return { ...state, running: false, error: event.message };
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** Restores a saved state (an older panel saved another shape): anything unusable becomes empty. */
export function restorePreview(saved: unknown): PreviewState {
  const s = saved as Partial<PreviewState> | undefined;
  if (!s || typeof s !== 'object' || !s.sides?.full || !s.sides.pruned) return EMPTY_PREVIEW;
  return { ...EMPTY_PREVIEW, ...s, running: false };
}

/** A piece of generated text: text as written, or a run of empty lines folded to its number of line breaks. */
export type TextPiece = { readonly text: string } | { readonly lineBreaks: number };

/**
 * Generated text with each run of four or more line breaks (three or more empty lines) folded into one
 * piece (small models often write dozens of newlines): the words stay in view, and the fold says how
 * many line breaks it holds.
 */
export function foldBlankLines(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let last = 0;
  for (const m of text.matchAll(/\n(?:[^\S\n]*\n){3,}/g)) {
    if (m.index > last) pieces.push({ text: text.slice(last, m.index) });
    pieces.push({ lineBreaks: m[0].split('\n').length - 1 });
    last = m.index + m[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}
