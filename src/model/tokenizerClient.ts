/**
 * Counts tokens with a named tokenizer in a worker thread (tokenizerWorker.ts): the thread starts on
 * the first request, keeps the tokenizers it loaded, and ends on `dispose`.
 */
import { Worker } from 'node:worker_threads';
import type { NamedTokenizerId } from './tokenizers';

export interface TokenizerRequest {
  readonly id: number;
  readonly tokenizer: string;
  readonly texts: readonly string[];
}

export type TokenizerResponse = { readonly id: number; readonly counts: number[] } | { readonly id: number; readonly error: string };

export class TokenizerClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (counts: number[]) => void; reject: (e: Error) => void }>();

  /** `workerPath`: the bundled tokenizerWorker.js. Nothing starts here. */
  constructor(private readonly workerPath: string) {}

  /** Token counts of each text (no special tokens added). */
  count(tokenizer: NamedTokenizerId, texts: readonly string[]): Promise<number[]> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    worker.ref(); // keep the process alive while a count is pending
    return new Promise<number[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, tokenizer, texts } satisfies TokenizerRequest);
    });
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the tokenizer thread was stopped'));
    await w?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerPath);
    worker.unref();
    worker.on('message', (m: TokenizerResponse) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.counts);
    });
    const fail = (e: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(e);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the tokenizer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private failAll(e: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(e);
    }
  }
}
