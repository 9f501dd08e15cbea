import type { ScoringBackend } from '../model/backend';
import type { TraceSession } from '../core/session';
import { answerRetention, generatePreview, type PreviewInput } from './preview';
import type { PreviewEvent } from '../shared/protocol';
import { isAbortError } from '../core/cancel';

/**
 * Runs one preview at a time (answer retention or a streamed generation) for the side panel and turns
 * its progress into `PreviewEvent`s. Starting a new run cancels the previous one. No `vscode` import:
 * the panel passes the backend in and forwards the events.
 */
export class PreviewRunner {
  private run = 0;
  private controller: AbortController | undefined;

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
      const input: PreviewInput = {
        prompt: session.trace.prompt,
        fullReasoning: session.trace.reasoning,
        prunedReasoning: session.prunedReasoning(),
        answer: session.trace.answer,
      };
      if (mode === 'retention') {
        const result = await answerRetention(model, input, signal);
        this.emit({ kind: 'retention', run, result: { ...result, perToken: result.perToken.slice(0, 200) } });
      } else {
        // Coalesce chunks so a fast model does not flood the webview with one message per token.
        let pending = '';
        let last = 0;
        let tokens = 0;
        let seconds = 0;
        const flush = () => {
          if (pending && !signal.aborted) this.emit({ kind: 'chunk', run, text: pending, tokens, seconds });
          pending = '';
        };
        const result = await generatePreview(model, input, {
          maxTokens,
          signal,
          onChunk: (text, count, elapsed) => {
            pending += text;
            tokens = count;
            seconds = elapsed;
            if (elapsed - last >= 0.05) {
              last = elapsed;
              flush();
            }
          },
        });
        flush();
        this.emit({ kind: 'generated', run, result });
      }
    } catch (error) {
      const cancelled = signal.aborted || isAbortError(error);
      this.emit({ kind: 'failed', run, message: cancelled ? 'cancelled' : error instanceof Error ? error.message : String(error), cancelled });
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }
}
