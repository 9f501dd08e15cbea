/**
 * The rows the table has fetched, in blocks of {@link BLOCK}: which blocks are loaded or in flight,
 * eviction of the farthest ones so memory stays flat at 100,000 rows, and the previous version's rows
 * kept until fresh ones arrive (no flicker while summaries stream in). Pure: no DOM.
 */
import type { DatasetRow, DatasetRowsResult } from '../../src/shared/datasetProtocol';

/** Rows fetched per request; whole blocks, so scrolling back needs no round trip. */
export const BLOCK = 100;
/** Blocks kept before the farthest ones are dropped. */
const MAX_BLOCKS = 40;

export class RowBlocks {
  /** Rows of the current view version, by view position. */
  private rows = new Map<number, DatasetRow>();
  /** Rows of the previous version, shown until fresh ones arrive. */
  private stale = new Map<number, DatasetRow>();
  private readonly loaded = new Set<number>();
  private readonly inflight = new Set<number>();

  /** The row at a view position: this version's, else the previous version's, else undefined (loading). */
  get(position: number): DatasetRow | undefined {
    return this.rows.get(position) ?? this.stale.get(position);
  }

  /** A new view version: forget what was fetched; keep showing the old rows when only data grew. */
  reset(keepShowing: boolean): void {
    this.stale = keepShowing ? this.rows : new Map();
    this.rows = new Map();
    this.loaded.clear();
    this.inflight.clear();
  }

  /** The blocks covering view positions `[from, to]` that are neither loaded nor being fetched. */
  missing(from: number, to: number): number[] {
    const out: number[] = [];
    for (let block = Math.floor(from / BLOCK); block <= Math.floor(to / BLOCK); block++) {
      if (!this.loaded.has(block) && !this.inflight.has(block)) out.push(block);
    }
    return out;
  }

  /** Marks `block` as being fetched. */
  fetching(block: number): void {
    this.inflight.add(block);
  }

  /** A fetch failed: the block may be asked for again. */
  failed(block: number): void {
    this.inflight.delete(block);
  }

  /** Stores a fetched block, then evicts the blocks farthest from `firstVisible`. */
  store(block: number, result: DatasetRowsResult, firstVisible: number): void {
    this.inflight.delete(block);
    this.loaded.add(block);
    result.rows.forEach((row, k) => this.rows.set(result.start + k, row));
    if (this.loaded.size <= MAX_BLOCKS) return;
    const here = Math.floor(firstVisible / BLOCK);
    const far = [...this.loaded].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const evicted of far.slice(0, this.loaded.size - MAX_BLOCKS)) {
      this.loaded.delete(evicted);
      for (let r = evicted * BLOCK; r < (evicted + 1) * BLOCK; r++) this.rows.delete(r);
    }
    this.stale.clear();
  }
}
