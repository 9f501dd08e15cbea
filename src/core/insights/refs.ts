/** Where a trace (and a step of it) sits in a file or folder, precise enough for a UI to open it. */

/** One trace of a scanned file or folder. */
export interface TraceRef {
  /** Index into the scan's `files`. */
  readonly file: number;
  /** Record of the file, 0-based (a JSONL line, a JSON array element; 0 for a single document). */
  readonly record: number;
  /** Which trace of the record, 0-based (OpenR1 rows hold several generations). */
  readonly trace: number;
  /** 1-based line of the record, when the file has lines. */
  readonly line?: number;
  /** `Trace.id`. */
  readonly id: string;
}

/** A step of a trace. */
export interface StepRef extends TraceRef {
  /** 0-based step index under the scan's segmentation. */
  readonly step: number;
}
