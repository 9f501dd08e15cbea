/**
 * The shape of a format's registry record: its id, a label for people, what it detects and how it
 * reads. Each format module exports its records; `registry.ts` lists them once, in detection order.
 */
import type { ReadContext, Rec } from '../build';
import type { ParseResult } from '../types';

interface FormatBase<Id extends string> {
  readonly id: Id;
  /** What it reads, for people (`inspect --help`, the README's table). */
  readonly label: string;
}

/** A format of one JSON record (a response object, a dataset row). */
export interface RecordFormat<Id extends string = string> extends FormatBase<Id> {
  readonly kind: 'record';
  readonly detect: (record: Rec) => boolean;
  readonly read: (record: Rec, ctx: ReadContext) => ParseResult;
  /** A response object that may sit nested in a wrapper (batch output, cassette); false for dataset rows. */
  readonly nestable?: boolean;
}

/** A stream: one event per record (SSE captures, chunk lists); a file or array of events is one trace per stream. */
export interface StreamFormat<Id extends string = string> extends FormatBase<Id> {
  readonly kind: 'stream';
  /** True for an event of this stream. */
  readonly isEvent: (record: Rec) => boolean;
  /** Cuts a run of events into streams (default: one stream). */
  readonly split?: (events: readonly Rec[]) => Rec[][];
  readonly read: (events: readonly Rec[], ctx: ReadContext) => ParseResult;
}

/** A format of plain text (markdown with delimiters, chat-template dumps). */
export interface TextFormat<Id extends string = string> extends FormatBase<Id> {
  readonly kind: 'text';
  readonly detect: (text: string) => boolean;
  readonly read: (text: string, ctx: ReadContext) => ParseResult;
}

/** The general pass: any record, fields found by name and content or set by the user. */
export interface GeneralFormat<Id extends string = string> extends FormatBase<Id> {
  readonly kind: 'general';
}

/** Any registry record. */
export type FormatSpec<Id extends string = string> = RecordFormat<Id> | StreamFormat<Id> | TextFormat<Id> | GeneralFormat<Id>;

/** Declares a record format (keeps its id a literal type). */
export function recordFormat<const Id extends string>(spec: Omit<RecordFormat<Id>, 'kind'>): RecordFormat<Id> {
  return { kind: 'record', ...spec };
}

/** Declares a stream format. */
export function streamFormat<const Id extends string>(spec: Omit<StreamFormat<Id>, 'kind'>): StreamFormat<Id> {
  return { kind: 'stream', ...spec };
}

/** Declares a text format. */
export function textFormat<const Id extends string>(spec: Omit<TextFormat<Id>, 'kind'>): TextFormat<Id> {
  return { kind: 'text', ...spec };
}

/** Declares the general pass. */
export function generalFormat<const Id extends string>(spec: Omit<GeneralFormat<Id>, 'kind'>): GeneralFormat<Id> {
  return { kind: 'general', ...spec };
}

/** Splits events where `starts(event, previous)` says a new stream begins. */
export function splitWhere(events: readonly Rec[], starts: (event: Rec, previous: Rec | undefined) => boolean): Rec[][] {
  const out: Rec[][] = [];
  let prev: Rec | undefined;
  for (const e of events) {
    if (!out.length || starts(e, prev)) out.push([]);
    out[out.length - 1]!.push(e);
    prev = e;
  }
  return out;
}
