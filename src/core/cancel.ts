/**
 * Cancellation, one vocabulary for the whole code base: an `AbortSignal` goes in (a VS Code
 * `CancellationToken` is bridged to one at the edge, `services/progress.ts`), and every cancellable
 * call (a backend, a pruning method, indexing, an export) rejects with an {@link AbortError}.
 * Callers tell a cancellation from a failure with {@link isAbortError}. Pure: no `vscode`.
 */

/** The error a cancelled call rejects with (named like the DOM's, so `fetch` aborts read the same). */
export class AbortError extends Error {
  override readonly name: string = 'AbortError';
  constructor(message = 'The operation was cancelled') {
    super(message);
  }
}

/** True for a cancellation: an {@link AbortError} (or a subclass), or any error named `AbortError`. */
export function isAbortError(error: unknown): boolean {
  return error instanceof AbortError || (error instanceof Error && error.name === 'AbortError');
}

/** Throws an `AbortError` when `signal` is aborted (keeps the signal's own reason when it is a timeout). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** The error to reject with for an aborted signal. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return reason;
  return new AbortError(reason instanceof Error ? reason.message : undefined);
}

/** Cancellation as a DOM/Node `AbortSignal`, or anything shaped like VS Code's `CancellationToken`. */
export type CancellationLike = { readonly isCancellationRequested: boolean } | { readonly aborted: boolean };

/** True when `c` asks to stop. */
export function isCancelled(c: CancellationLike | undefined): boolean {
  if (!c) return false;
  return 'aborted' in c ? c.aborted : c.isCancellationRequested;
}
