/**
 * The one list of trace formats. Each record says its id, a label, how it is detected and how it is
 * read; the `TraceFormat` type, format detection, `--format` choices and the README's table all derive
 * from it. Adding a format = one module under `formats/` and one line here. Order = detection order.
 */
import { anthropicMessage, anthropicStream, geminiCliRecording, geminiResponse, geminiStream, ollamaResponse, ollamaStream } from './formats/providers';
import { conversations, gsm8k, gsm8kModelSolution, lmEvalSample, messages, openR1, questionSolution, s1k } from './formats/datasets';
import { openAiBatch, openAiChat, openAiChatStream, openAiCompletion, openAiResponses, openAiResponsesStream, vllmPromptLogprobs } from './formats/openai';
import { llamaCppResponse, llamaCppStream, sglangResponse, tgiResponse, tgiStream, vllmOffline } from './formats/servers';
import { generalFormat, type FormatSpec, type RecordFormat, type StreamFormat, type TextFormat } from './formats/spec';
import { chatTemplate, thinkText } from './formats/text';
import { thoughtAnchors } from './formats/thoughtAnchors';

/** The general pass (`finder.ts`): any record, its fields found by name and content or set by the user. */
export const mappedFormat = generalFormat({
  id: 'mapped',
  label: 'any other record: prompt / reasoning / answer / id found by field name and content (delimiters, chat-template markers, JSON inside strings, nested responses), or set with --field / reasoningLens.fieldMapping',
});

/** Every format, in detection order within its kind. */
export const TRACE_FORMAT_REGISTRY = [
  // One JSON record. Wrappers first, then responses, then dataset rows.
  openAiBatch,
  vllmPromptLogprobs,
  openAiChat,
  openAiCompletion,
  openAiResponses,
  anthropicMessage,
  geminiCliRecording,
  geminiResponse,
  ollamaResponse,
  tgiResponse,
  llamaCppResponse,
  vllmOffline,
  lmEvalSample,
  thoughtAnchors,
  openR1,
  s1k,
  conversations,
  gsm8kModelSolution,
  gsm8k,
  questionSolution,
  messages,
  // Streams: one event per record; a file or array of events is one trace per stream.
  openAiChatStream,
  openAiResponsesStream,
  anthropicStream,
  geminiStream,
  ollamaStream,
  tgiStream,
  llamaCppStream,
  sglangResponse,
  // Text.
  chatTemplate,
  thinkText,
  // Anything else.
  mappedFormat,
] as const;

/** A trace format id, or `unrecognised` for input no reader understood. */
export type TraceFormat = (typeof TRACE_FORMAT_REGISTRY)[number]['id'] | 'unrecognised';

/** Every concrete format id, for argument validation and UIs. */
export const TRACE_FORMATS: readonly TraceFormat[] = TRACE_FORMAT_REGISTRY.map((f) => f.id);

const ALL: readonly FormatSpec[] = TRACE_FORMAT_REGISTRY;

/** Record formats, in detection order. */
export const RECORD_FORMATS: readonly RecordFormat[] = ALL.filter((f): f is RecordFormat => f.kind === 'record');
/** Stream formats, in detection order. */
export const STREAM_FORMATS: readonly StreamFormat[] = ALL.filter((f): f is StreamFormat => f.kind === 'stream');
/** Text formats, in detection order (the last accepts any text). */
export const TEXT_FORMATS: readonly TextFormat[] = ALL.filter((f): f is TextFormat => f.kind === 'text');

/** The registry record of `id`. */
export function formatSpec(id: string): FormatSpec | undefined {
  return ALL.find((f) => f.id === id);
}

/** The stream format whose events `record` is, if any. */
export function streamOf(record: Record<string, unknown>): StreamFormat | undefined {
  return STREAM_FORMATS.find((f) => f.isEvent(record));
}
