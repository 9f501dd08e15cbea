/**
 * Public API of the trace model: detect a format, parse text or records into {@link Trace}s, read
 * files and folders, index large JSONL files. Formats are listed once, in `registry.ts`; pure readers
 * live in `formats/` and `finder.ts` (the general pass), file readers in `read.ts` and `jsonlIndex.ts`.
 */
export type * from './types';
export { extractFinalAnswer } from './answer';
export { detectFormat, parseTraceText, parseTraceRecord, parseThoughtAnchors, locateChunks, parseEvents, isEventStream, unwrapEvent, TRACE_FORMATS, TRACE_FORMAT_REGISTRY } from './records';
export type { ThoughtAnchorsParts } from './records';
export { splitReasoning, parseChatTemplate, KNOWN_REASONING_TAGS, ANSWER_TAGS } from './text';
export type { TagPair } from './text';
export { alignTokens } from './logprobs';
export { safeParseJson, MAX_JSON_DEPTH } from './safeJson';
export { JsonArrayScanner } from './jsonArrayScanner';
export { indexJsonl, JsonlIndex, CancelledError, TraceFileError, DEFAULT_MAX_RECORD_BYTES } from './jsonlIndex';
export type { IndexOptions, IndexProgress, CancellationLike } from './jsonlIndex';
export { readTraces } from './read';
export type { ReadOptions, ReadResult } from './read';
export { findTraces, MAX_FIND_DEPTH, MAX_FIND_NODES } from './finder';
export { parseFieldMapping, parsePath, getPath, FIELD_ROLES } from './fields';
export type { FieldRole } from './fields';
export { hasWarning, warning, TRACE_WARNING_CODES } from './warnings';
