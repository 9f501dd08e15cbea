/**
 * The token view's colouring, pure (no `vscode`): each token of a token table in one of the five
 * heat steps, by its surprisal (fixed edges in nats, so colours mean the same in every trace) or by
 * its rank under the model (GLTR, Gehrmann et al. 2019: top 1 / 10 / 100 / 1,000 / beyond), with
 * the legend rows that say what each colour means and how many tokens have it.
 */
import { HEAT_BUCKETS } from '../shared/heat';
import { formatCount } from '../shared/format';
import type { TokenTable } from '../core/tokenTable';

/** What the token view colours by. */
export type TokenColouring = 'surprisal' | 'rank';

/** Upper surprisal edge (nats) of the four coolest steps: p > 90%, > 37%, > 8%, > 0.7%. */
export const SURPRISAL_EDGES = [0.1, 1, 2.5, 5] as const;
/** Highest rank of the four coolest steps (GLTR's buckets). */
export const RANK_EDGES = [1, 10, 100, 1000] as const;

/** One row of the legend: a heat step, what it means, how many tokens are in it. */
export interface TokenLegendRow {
  readonly bucket: number;
  readonly label: string;
  readonly tokens: number;
}

/** The step of every token (-1: no value), the legend, and a note when the data limits the view. */
export interface TokenColours {
  readonly mode: TokenColouring;
  readonly buckets: Int8Array;
  readonly legend: readonly TokenLegendRow[];
  readonly note?: string;
}

const percent = (p: number) => `${Math.round(p * 1000) / 10}%`;

function surprisalLabel(b: number): string {
  const lo = b === 0 ? 0 : SURPRISAL_EDGES[b - 1]!;
  const hi = SURPRISAL_EDGES[b];
  const p = (s: number) => percent(Math.exp(-s));
  if (hi === undefined) return `≥ ${lo} nats (p < ${p(lo)})`;
  return b === 0 ? `< ${hi} nats (p > ${p(hi)})` : `${lo}–${hi} nats (p ${p(hi)}–${p(lo)})`;
}

function rankLabel(b: number): string {
  const hi = RANK_EDGES[b];
  if (hi === undefined) return `rank above ${formatCount(RANK_EDGES[RANK_EDGES.length - 1]!)}`;
  return hi === 1 ? 'top 1 (the model\'s first choice)' : `top ${formatCount(hi)}`;
}

/** The heat step of a rank (1-based). */
export function rankBucket(rank: number): number {
  for (let b = 0; b < RANK_EDGES.length; b++) if (rank <= RANK_EDGES[b]!) return b;
  return HEAT_BUCKETS - 1;
}

/** The heat step of a surprisal in nats. */
export function surprisalBucket(surprisal: number): number {
  for (let b = 0; b < SURPRISAL_EDGES.length; b++) if (surprisal < SURPRISAL_EDGES[b]!) return b;
  return HEAT_BUCKETS - 1;
}

/**
 * Colours every token of `table`. Ranks that are only known to be above k (a file or an API lists
 * the top k candidates) go to the step of rank k + 1, the best they can be, and the note says how
 * many tokens that is. Without ranks at all, rank mode colours nothing and says why.
 */
export function colourTokens(table: TokenTable, mode: TokenColouring): TokenColours {
  const n = table.starts.length;
  const buckets = new Int8Array(n).fill(-1);
  const counts = new Array<number>(HEAT_BUCKETS).fill(0);
  let note: string | undefined;
  if (mode === 'surprisal') {
    for (let i = 0; i < n; i++) {
      const s = -table.logprob[i]!;
      if (!Number.isFinite(s)) continue;
      const b = surprisalBucket(s);
      buckets[i] = b;
      counts[b]!++;
    }
  } else if (!table.rank) {
    note = 'No ranks for this trace: its logprobs list no top candidates. Colour by surprisal, or score it with a local model.';
  } else {
    let above = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const r = table.rank[i]!;
      if (r === 0) continue;
      const b = rankBucket(r > 0 ? r : -r + 1);
      if (r < 0) {
        above++;
        k = Math.max(k, -r);
      }
      buckets[i] = b;
      counts[b]!++;
    }
    if (above > 0) {
      note = `${formatCount(above)} token${above === 1 ? ' is' : 's are'} not among the ${k} candidates the scores list: shown as rank ${k + 1}, the best they can have.`;
    }
  }
  const label = mode === 'surprisal' ? surprisalLabel : rankLabel;
  const legend = counts.map((tokens, bucket) => ({ bucket, label: label(bucket), tokens }));
  return { mode, buckets, legend, ...(note ? { note } : {}) };
}
