/**
 * How numbers read, everywhere: hovers, the status bar, "Why was this step dropped?", the CLI and both
 * webviews print a score, a count or a size the same way. No `vscode`, no Node.
 */

// One formatter: `toLocaleString` builds a new Intl.NumberFormat per call, which showed up in profiles.
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `2103` → `2,103` (rounded to a whole number). */
export function formatCount(n: number): string {
  return INTEGER.format(Math.round(n));
}

/** `1234, true` → `~1,234 tokens` (`~` marks an estimate). */
export function formatTokens(n: number, estimated = false): string {
  return `${estimated ? '~' : ''}${formatCount(n)} tokens`;
}

/**
 * A score with three significant digits (`0.412`, `12.3`, `123`), whole and grouped from a thousand
 * (`1,234`); `–` when there is none.
 */
export function formatScore(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '\u2013';
  if (Math.abs(v) >= 999.5) return formatCount(v);
  return v.toPrecision(3);
}

/** Ordinal: 1st, 2nd, 3rd, 4th, 11th, 21st… */
export function ordinal(n: number): string {
  const mod100 = n % 100;
  const suffix = mod100 >= 11 && mod100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** A byte size: `512 bytes`, `3.5 kB`, `64 MB`, `1.03 GB` (powers of 1,024). */
export function formatBytes(n: number): string {
  const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  if (n >= 1024 ** 3) return `${round(n / 1024 ** 3, 2)} GB`;
  if (n >= 1024 ** 2) return `${round(n / 1024 ** 2, 1)} MB`;
  if (n >= 1024) return `${round(n / 1024, 1)} kB`;
  return `${n} bytes`;
}

/** `4,812 → 2,103 tokens (−56%)`, with `~` before estimated counts. */
export function formatTotals(before: number, after: number, estimated: boolean): string {
  const t = estimated ? '~' : '';
  const change = before > 0 ? Math.round(((after - before) / before) * 100) : 0;
  const sign = change < 0 ? '\u2212' : change > 0 ? '+' : '\u00b1';
  return `${t}${formatCount(before)} \u2192 ${t}${formatCount(after)} tokens (${sign}${Math.abs(change)}%)`;
}

/** First letter upper case, for a label used as a title (`First-token surprisal`). */
export function sentenceCase(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** `850` → `1 s`, `75_000` → `1 min 15 s`, `7_200_000` → `2 h 0 min` (rounded up to whole seconds). */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Time left for `total` units when `done` took `elapsedMs`, at the same rate; undefined until there is
 * a rate to go by (nothing done yet, or under a second of work: early rates mislead).
 */
export function remainingMs(elapsedMs: number, done: number, total: number): number | undefined {
  if (done <= 0 || elapsedMs < 1000 || total <= done) return total <= done && done > 0 ? 0 : undefined;
  return (elapsedMs / done) * (total - done);
}
