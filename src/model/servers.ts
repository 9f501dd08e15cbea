/**
 * Recognising the local servers people run behind an OpenAI-compatible base URL, so that what they
 * cannot do is said plainly:
 * - llama.cpp's `llama-server`: `GET /props` (build_info, model_path, default_generation_settings).
 *   Its `/v1/completions` refuses `echo` ("Only no echo is supported"): logprobs come for generated
 *   tokens only, never for the prompt, so it cannot score a trace; it generates previews fine.
 * - Ollama: `GET /api/version`; `POST /api/show` names the GGUF blob (`FROM /…/blobs/sha256-…` in the
 *   modelfile). Its OpenAI-compatible `/v1/completions` ignores `echo`: no prompt logprobs either.
 * - vLLM (`GET /v1/models` entries owned by "vllm") and `reasoning-lens serve` return prompt logprobs.
 * Where the server's model file is on this machine, the message points at it: the GGUF backend can
 * score the very same weights locally ("Select Model…").
 */
import { existsSync } from 'node:fs';

export type ServerKind = 'llama.cpp' | 'ollama' | 'vllm' | 'reasoning-lens' | 'openai-compatible';

export interface ServerInfo {
  readonly kind: ServerKind;
  /** Server version or build, when it says. */
  readonly version?: string | undefined;
  /** The model file the server runs, when it says (llama.cpp `/props`, Ollama `/api/show`). */
  readonly modelPath?: string | undefined;
  /** Whether `/v1/completions` can return the prompt's own logprobs (what scoring needs). */
  readonly promptLogprobs: boolean;
}

const KIND_NAMES: Record<ServerKind, string> = {
  'llama.cpp': 'llama.cpp server',
  ollama: 'Ollama',
  vllm: 'vLLM',
  'reasoning-lens': 'reasoning-lens serve',
  'openai-compatible': 'OpenAI-compatible server',
};

/** `http://host:8080/v1` → `http://host:8080` (where llama.cpp and Ollama keep their own APIs). */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v\d+$/, '');
}

async function getJson(fetchFn: typeof fetch, url: string, signal: AbortSignal, init?: RequestInit): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetchFn(url, { ...init, signal, headers: { accept: 'application/json', ...(init?.body ? { 'content-type': 'application/json' } : {}) } });
    if (!res.ok) return undefined;
    const json = (await res.json()) as unknown;
    return json && typeof json === 'object' ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the server at `baseUrl` what it is (a few GETs; ~1 s at most). */
export async function probeServer(baseUrl: string, model: string, fetchFn: typeof fetch = fetch, timeoutMs = 3000): Promise<ServerInfo> {
  const root = serverRoot(baseUrl);
  const signal = AbortSignal.timeout(timeoutMs);
  const props = await getJson(fetchFn, `${root}/props`, signal);
  if (props && ('default_generation_settings' in props || 'build_info' in props || 'model_path' in props)) {
    return {
      kind: 'llama.cpp',
      version: typeof props.build_info === 'string' ? props.build_info : undefined,
      modelPath: typeof props.model_path === 'string' ? props.model_path : undefined,
      promptLogprobs: false,
    };
  }
  const version = await getJson(fetchFn, `${root}/api/version`, signal);
  if (version && typeof version.version === 'string') {
    const show = model ? await getJson(fetchFn, `${root}/api/show`, signal, { method: 'POST', body: JSON.stringify({ model }) }) : undefined;
    const modelfile = typeof show?.modelfile === 'string' ? show.modelfile : '';
    const from = /^FROM\s+(\S.*\.gguf|\S*blobs[/\\]sha256[-:][0-9a-f]+)\s*$/im.exec(modelfile)?.[1];
    return { kind: 'ollama', version: version.version, modelPath: from, promptLogprobs: false };
  }
  const models = await getJson(fetchFn, `${baseUrl.replace(/\/+$/, '')}/models`, signal);
  const owners = Array.isArray(models?.data) ? (models.data as { owned_by?: unknown }[]).map((m) => m.owned_by) : [];
  if (owners.includes('vllm')) return { kind: 'vllm', promptLogprobs: true };
  if (owners.includes('reasoning-lens')) return { kind: 'reasoning-lens', promptLogprobs: true };
  return { kind: 'openai-compatible', promptLogprobs: true };
}

/** Human name of a server kind, with its version. */
export function serverName(info: ServerInfo): string {
  return `${KIND_NAMES[info.kind]}${info.version ? ` (${info.version})` : ''}`;
}

/**
 * The message for a server that gave no prompt logprobs: what it is, why it cannot score, that previews
 * still work, and the way forward (its model file, when that is on this machine).
 */
export function noPromptLogprobsMessage(baseUrl: string, info: ServerInfo): string {
  const why = info.kind === 'llama.cpp'
    ? 'its /v1/completions refuses "echo", so it returns logprobs for generated tokens only, never for the prompt'
    : info.kind === 'ollama'
      ? 'its OpenAI-compatible /v1/completions ignores "echo", so it returns no logprobs for the prompt'
      : 'it returned no logprobs for the prompt (it does not support "echo" with "logprobs")';
  const local = info.modelPath && existsSync(info.modelPath)
    ? ` Its model file is on this machine: run "Reasoning Lens: Select Model…" (or pass --model ${info.modelPath}) to score with the same weights locally.`
    : info.kind === 'ollama'
      ? ' Ollama\'s models are GGUF files: "Reasoning Lens: Select Model…" lists them to score locally.'
      : ' Score with a local model ("Reasoning Lens: Select Model…") or a server that returns prompt logprobs (vLLM, reasoning-lens serve).';
  return `${serverName(info)} at ${baseUrl} cannot score traces: ${why}. Previews still generate with it.${local}`;
}
