/** The preview pane's state and how host events change it (no DOM, so unit tests import it). */
import type { PanelGeneration, PanelRetention, PreviewEvent } from '../../src/shared/protocol';

/** What the preview pane shows; persisted with the panel's state so it survives hiding. */
export interface PreviewState {
  readonly run: number;
  readonly mode: 'generate' | 'retention' | null;
  readonly backend: string;
  readonly running: boolean;
  readonly text: string;
  readonly tokens: number;
  readonly seconds: number;
  readonly generation: PanelGeneration | null;
  readonly retention: PanelRetention | null;
  readonly error: string | null;
}

/** Nothing run yet. */
export const EMPTY_PREVIEW: PreviewState = {
  run: 0, mode: null, backend: '', running: false, text: '', tokens: 0, seconds: 0, generation: null, retention: null, error: null,
};

/** Folds a host event into the preview state (events of an older run are ignored). */
export function reducePreview(state: PreviewState, event: PreviewEvent): PreviewState {
  if (event.kind !== 'started' && event.run !== state.run) return state;
  switch (event.kind) {
    case 'started':
      return { ...EMPTY_PREVIEW, run: event.run, mode: event.mode, backend: event.backend, running: true };
    case 'chunk':
      return { ...state, text: state.text + event.text, tokens: event.tokens, seconds: event.seconds };
    case 'generated':
      return { ...state, running: false, text: event.result.text, tokens: event.result.tokenCount, seconds: event.result.seconds, generation: event.result };
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

