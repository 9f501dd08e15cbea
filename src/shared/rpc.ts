/**
 * Request/response bookkeeping shared by the extension host and the webview: ids, timeouts and
 * rejection on dispose (the pawDraw sample's requests never time out; ours always do).
 */

/** Result of a request, as carried in a `response` message. */
export type RpcResult<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Tracks outgoing requests until their responses arrive, time out, or the channel is disposed. */
export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs: number) {}

  /** Allocates an id, calls `send(id)`, and resolves with the matching response's result. */
  request<T>(send: (id: number) => void, label: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${label}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        send(id);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Settles the request `id`; returns false when no such request is pending (late or unknown). */
  settle(id: number, outcome: RpcResult<unknown>): boolean {
    const entry = this.pending.get(id);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    if (outcome.ok) entry.resolve(outcome.result);
    else entry.reject(new Error(outcome.error));
    return true;
  }

  /** Rejects everything still pending (the other side went away). */
  rejectAll(reason: string): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
