/**
 * The text side of generation, shared by the local runtimes: decodes the tokens generated so far in the
 * context of the prompt's last token (so a leading space survives), cuts at the first stop string, and
 * streams only what is final: an incomplete UTF-8 character and a possible stop-string prefix are held
 * back until the next token decides them.
 */
export class GeneratedText {
  readonly ids: number[] = [];
  /** The text so far (without a matched stop string). */
  text = '';
  private emitted = 0;
  private readonly stops: readonly string[];
  private readonly holdBack: number;
  private readonly contextText: string;

  constructor(
    private readonly decode: (ids: readonly number[]) => string,
    private readonly contextId: number | undefined,
    stops: readonly string[] | undefined,
    private readonly onText: ((delta: string) => void) | undefined,
  ) {
    this.stops = (stops ?? []).filter((s) => s.length > 0);
    this.holdBack = this.stops.reduce((m, s) => Math.max(m, s.length - 1), 0);
    this.contextText = contextId === undefined ? '' : decode([contextId]);
  }

  /** Adds one generated token; returns true when a stop string has ended the text. */
  push(id: number): boolean {
    this.ids.push(id);
    if (this.contextId === undefined) {
      this.text = this.decode(this.ids);
    } else {
      const full = this.decode([this.contextId, ...this.ids]);
      this.text = full.startsWith(this.contextText) ? full.slice(this.contextText.length) : this.decode(this.ids);
    }
    const stopAt = findStop(this.text, this.stops, Math.max(0, this.emitted - this.holdBack));
    if (stopAt >= 0) {
      this.text = this.text.slice(0, stopAt);
      return true;
    }
    let safe = this.text.endsWith('\uFFFD') ? this.text.length - 1 : this.text.length;
    safe = Math.max(this.emitted, safe - this.holdBack);
    if (safe > this.emitted) {
      this.onText?.(this.text.slice(this.emitted, safe));
      this.emitted = safe;
    }
    return false;
  }

  /** Streams whatever was held back (call once, when generation ends). */
  flush(): void {
    if (this.text.length > this.emitted) this.onText?.(this.text.slice(this.emitted));
    this.emitted = this.text.length;
  }
}

function findStop(text: string, stops: readonly string[], from: number): number {
  let best = -1;
  for (const s of stops) {
    const i = text.indexOf(s, from);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}
