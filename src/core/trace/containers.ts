/**
 * Files that wrap API bodies: VCR cassettes (YAML, `interactions[*].{request, response}.parsed_body`
 * or `body.string`), langchaingo `.httprr` HTTP recordings, and raw SSE captures (`event:` / `data:`
 * lines). Each becomes a JSON value the record parsers read: a cassette or recording becomes
 * `{interactions: [{request, response}]}` (the general pass pairs them), an SSE capture a list of
 * events. Pure (text in, values out).
 */
import { load } from 'js-yaml';
import { decodeJsonString } from './fields';
import { isRecord, own, safeParseJson } from './safeJson';

/** A parsed container, or the reason it could not be read. */
export type ContainerResult = { ok: true; value: unknown } | { ok: false; message: string };

/** True when `text` is an SSE capture: its first non-blank line is an SSE field (`data:`, `event:`, `id:`, `:` comment). */
export function looksLikeSse(text: string): boolean {
  const first = text.split('\n').find((l) => l.trim());
  return first !== undefined && /^(data|event|id|retry):|^:/.test(first) && /^data:/m.test(text);
}

/** The events of an SSE capture: each `data:` payload (JSON decoded; `[DONE]` dropped). */
export function parseSse(text: string): unknown[] {
  const events: unknown[] = [];
  let data: string[] = [];
  const flush = (): void => {
    if (!data.length) return;
    const payload = data.join('\n');
    data = [];
    if (payload.trim() === '[DONE]') return;
    const r = safeParseJson(payload);
    events.push(r.ok ? r.value : payload);
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) {
      flush();
      continue;
    }
    if (line.startsWith('data:')) {
      const value = line.slice(5).replace(/^ /, '');
      // One JSON event per line even without blank lines between them.
      if (data.length && safeParseJson(data.join('\n')).ok) flush();
      data.push(value);
    }
  }
  flush();
  return events;
}

/** An HTTP body as a value: JSON decoded, an SSE stream as its events, else the text. */
function bodyValue(body: string): unknown {
  const t = body.trim();
  if (!t) return undefined;
  const json = decodeJsonString(t);
  if (json !== undefined) return json;
  if (looksLikeSse(t)) return parseSse(t);
  return t;
}

/** Headers and body of one HTTP message (`\r\n` or `\n` line ends). */
function splitHttp(message: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(message);
  if (!m) return { head: message, body: '' };
  return { head: message.slice(0, m.index), body: message.slice(m.index + m[0].length) };
}

/**
 * A langchaingo `httprr trace v1` recording: after the header line, each exchange is a line
 * `<request bytes> <response bytes>` followed by the raw request and response (headers and body).
 */
export function parseHttprr(bytes: Uint8Array): ContainerResult {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = buf.indexOf(0x0a);
  if (header < 0 || !buf.subarray(0, header).toString('utf8').startsWith('httprr trace')) return { ok: false, message: 'not an httprr recording (no "httprr trace" header)' };
  const interactions: unknown[] = [];
  let pos = header + 1;
  while (pos < buf.length) {
    const eol = buf.indexOf(0x0a, pos);
    if (eol < 0) break;
    const sizes = /^(\d+) (\d+)\s*$/.exec(buf.subarray(pos, eol).toString('utf8'));
    if (!sizes) return { ok: false, message: `httprr: expected "<request bytes> <response bytes>" at byte ${pos}` };
    const reqLen = Number(sizes[1]);
    const resLen = Number(sizes[2]);
    const reqStart = eol + 1;
    if (reqStart + reqLen + resLen > buf.length) return { ok: false, message: `httprr: exchange ${interactions.length + 1} runs past the end of the file` };
    const request = splitHttp(buf.subarray(reqStart, reqStart + reqLen).toString('utf8'));
    const response = splitHttp(buf.subarray(reqStart + reqLen, reqStart + reqLen + resLen).toString('utf8'));
    const status = /^HTTP\/[\d.]+ (\d+)/.exec(response.head)?.[1];
    interactions.push({
      request: { line: request.head.split(/\r?\n/)[0], body: bodyValue(request.body) },
      response: { ...(status ? { status: Number(status) } : {}), body: bodyValue(response.body) },
    });
    pos = reqStart + reqLen + resLen;
  }
  return { ok: true, value: { interactions } };
}

/**
 * A YAML document (a VCR cassette). Bodies recorded as text (`body: {string: '…'}`) are decoded like
 * HTTP bodies, so the record parsers see JSON objects and stream events.
 */
export function parseYaml(text: string): ContainerResult {
  let value: unknown;
  try {
    value = load(text, { json: true });
  } catch (e) {
    return { ok: false, message: `invalid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  return { ok: true, value: decodeBodies(value, 0) };
}

function decodeBodies(value: unknown, depth: number): unknown {
  if (depth > 12) return value;
  if (Array.isArray(value)) return value.map((v) => decodeBodies(v, depth + 1));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = value[k];
    // vcrpy: `body: {string: '<raw body>'}`; pydantic-ai: `parsed_body` (already a value).
    const raw = k === 'body' && isRecord(v) && typeof own(v, 'string') === 'string' ? (v.string as string) : undefined;
    Object.defineProperty(out, k, { value: raw !== undefined ? bodyValue(raw) ?? v : decodeBodies(v, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
