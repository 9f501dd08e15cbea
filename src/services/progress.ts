import * as vscode from 'vscode';
import { formatCount, formatDuration, remainingMs } from '../shared/format';

/** Reports `done` of `total` units of work, with an optional note ("3 steps removed"). */
export type ReportProgress = (done: number, total: number, note?: string) => void;

/** Options of {@link withCancellableProgress}. */
export interface CancellableProgressOptions {
  readonly title: string;
  /** The message beside the bar for `done` of `total` (default `1,234 / 5,000`, then the note). */
  readonly message?: ((done: number, total: number, note?: string) => string) | undefined;
  /** A caller's own cancellation (e.g. a command's), honoured like the notification's Cancel button. */
  readonly token?: vscode.CancellationToken | undefined;
}

/** `message · about 1 min 10 s left` once a rate is known (after a second of work). */
export function withEta(message: string, startedAt: number, done: number, total: number): string {
  const left = remainingMs(Date.now() - startedAt, done, total);
  return left === undefined || left <= 0 ? message : `${message} · about ${formatDuration(left)} left`;
}

/**
 * The one bridge from VS Code's progress UI to the core's cancellation: runs `work` under a
 * cancellable notification, with an `AbortSignal` that the Cancel button (or `options.token`) aborts.
 * The message ends with the time left at the rate so far (`· about 40 s left`).
 * Resolves `undefined` when the work was cancelled: a cancel is the user's choice, not an error, so no
 * caller shows it as one. Any other failure rejects.
 */
export async function withCancellableProgress<T>(
  options: CancellableProgressOptions,
  work: (report: ReportProgress, signal: AbortSignal) => Promise<T>,
): Promise<T | undefined> {
  const message = options.message ?? ((done, total, note) => `${formatCount(done)} / ${formatCount(total)}${note ? ` · ${note}` : ''}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: options.title, cancellable: true },
    async (progress, cancel) => {
      const controller = new AbortController();
      const subscriptions = [cancel, options.token]
        .filter((t): t is vscode.CancellationToken => t !== undefined)
        .map((t) => t.onCancellationRequested(() => controller.abort()));
      let shown = 0;
      const startedAt = Date.now();
      const report: ReportProgress = (done, total, note) => {
        const percent = total > 0 ? Math.min(100, (done / total) * 100) : 0;
        progress.report({ increment: Math.max(0, percent - shown), message: withEta(message(done, total, note), startedAt, done, total) });
        shown = Math.max(shown, percent);
      };
      try {
        return await work(report, controller.signal);
      } catch (error) {
        // Only our own signal makes a cancel: an AbortError from elsewhere (a backend disposed under
        // the work) is a failure the user must see.
        if (controller.signal.aborted) return undefined;
        throw error;
      } finally {
        for (const s of subscriptions) s.dispose();
      }
    },
  );
}
