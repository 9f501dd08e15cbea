/**
 * Public API of the trace model: detect a format, parse text or records into {@link Trace}s, read
 * files and folders, index large JSONL files. Pure parsers and file readers live in separate modules
 * (`records.ts`, `text.ts`… vs `read.ts`, `jsonlIndex.ts`).
 */
export type * from './types';
export { extractFinalAnswer } from './answer';
export { detectFormat, parseTraceText, parseTraceRecord, parseThoughtAnchors, locateChunks, TRACE_FORMATS } from './records';
export type { ThoughtAnchorsParts } from './records';
export { splitReasoning, parseChatTemplate, KNOWN_REASONING_TAGS } from './text';
export type { TagPair } from './text';
export { alignTokens } from './logprobs';
export { safeParseJson, MAX_JSON_DEPTH } from './safeJson';
export { JsonArrayScanner } from './jsonArrayScanner';
export { indexJsonl, JsonlIndex, CancelledError, TraceFileError, DEFAULT_MAX_RECORD_BYTES } from './jsonlIndex';
export type { IndexOptions, IndexProgress, CancellationLike } from './jsonlIndex';
export { readTraces } from './read';
export type { ReadOptions, ReadResult } from './read';
