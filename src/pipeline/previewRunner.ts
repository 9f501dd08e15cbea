import type { ScoringBackend } from '../model/backend';
import type { TraceSession } from '../core/session';
import { answerRetention, generateComparison, previewContext, type GenerationSide, type GenerationSideName, type PreviewInput } from './preview';
import type { PreviewEvent } from '../shared/protocol';
import { isAbortError } from '../core/cancel';

/** How often streamed text is sent on (a fast model must not flood the webview with one message per token). */
const CHUNK_INTERVAL_S = 0.05;

/**
 * Runs one preview at a time (answer retention, or the full- and pruned-reasoning generations side by
 * side) for the side panel and turns its progress into `PreviewEvent`s. Starting a new run cancels the
 * previous one. The full-reasoning generation does not depend on the plan: it is kept and reused while
 * the trace, the backend and the token limit stay the same (greedy decoding writes the same text).
 * No `vscode` import: the panel passes the backend in and forwards the events.
 */
export class PreviewRunner {
  private run = 0;
  private controller: AbortController | undefined;
  private lastFull: { readonly key: string; readonly side: GenerationSide } | undefined;

  constructor(private readonly emit: (event: PreviewEvent) => void) {}

  /** Cancels the running preview, if any. */
  cancel(): void {
    this.controller?.abort();
    this.controller = undefined;
  }

  /** Starts a preview; resolves when it ended (success, failure or cancellation are all emitted). */
  async start(
    session: TraceSession,
    mode: 'generate' | 'retention',
    maxTokens: number,
    backend: () => Promise<ScoringBackend>,
  ): Promise<void> {
    this.cancel();
    const run = ++this.run;
    const controller = new AbortController();
    this.controller = controller;
    const signal = controller.signal;
    try {
      const model = await backend();
      this.emit({ kind: 'started', run, mode, backend: model.describe().name });
      // The pruned reasoning as export writes it: with every step kept, the full reasoning as written.
      const input: PreviewInput = {
        prompt: session.trace.prompt,
        fullReasoning: session.trace.reasoning,
        prunedReasoning: session.prunedReasoning(),
        answer: session.trace.answer,
      };
      if (mode === 'retention') {
        const result = await answerRetention(model, input, signal);
        this.emit({ kind: 'retention', run, result: { ...result, perToken: result.perToken.slice(0, 200) } });
        return;
      }
      const key = JSON.stringify([model.describe().id, maxTokens, previewContext(input.prompt, input.fullReasoning)]);
      const reuse = this.lastFull?.key === key ? this.lastFull.side : undefined;
      const streams = new Map<GenerationSideName, ChunkBuffer>();
      const stream = (side: GenerationSideName): ChunkBuffer => {
        let buffer = streams.get(side);
        if (!buffer) {
          buffer = new ChunkBuffer((text, tokens, seconds) => { if (!signal.aborted) this.emit({ kind: 'chunk', run, side, text, tokens, seconds }); });
          streams.set(side, buffer);
        }
        return buffer;
      };
      const result = await generateComparison(model, input, {
        maxTokens,
        signal,
        ...(reuse ? { reuseFull: reuse } : {}),
        onChunk: (side, text, tokens, seconds) => stream(side).add(text, tokens, seconds),
        onSide: (side, sideResult) => {
          streams.get(side)?.flush();
          if (side === 'full' && sideResult.reused === null) this.lastFull = { key, side: sideResult };
          this.emit({ kind: 'side', run, side, result: sideResult });
        },
      });
      this.emit({ kind: 'generated', run, result });
    } catch (error) {
      const cancelled = signal.aborted || isAbortError(error);
      this.emit({ kind: 'failed', run, message: cancelled ? 'cancelled' : error instanceof Error ? error.message : String(error), cancelled });
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }
}

/** Coalesces streamed pieces into one message per `CHUNK_INTERVAL_S`. */
class ChunkBuffer {
  private pending = '';
  private tokens = 0;
  private seconds = 0;
  private last = 0;

  constructor(private readonly send: (text: string, tokens: number, seconds: number) => void) {}

  add(text: string, tokens: number, seconds: number): void {
    this.pending += text;
    this.tokens = tokens;
    this.seconds = seconds;
    if (seconds - this.last >= CHUNK_INTERVAL_S) {
      this.last = seconds;
      this.flush();
    }
  }

  flush(): void {
    if (this.pending) this.send(this.pending, this.tokens, this.seconds);
    this.pending = '';
  }
}
