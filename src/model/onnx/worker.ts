/**
 * Entry point of the model worker process (bundled separately; forked by `OnnxBackend`). It loads the
 * model on request (an ONNX folder with onnxruntime-node, a `.gguf` file with llama.cpp), runs one request
 * at a time, and cancels the running one between chunks / decode steps when asked (a queued one at once).
 * It reports progress after every chunk, decode step and, while a model loads, every second: the
 * client's watchdog takes silence for a hang. Set `ORT_DISABLE_TELEMETRY=1` in its environment.
 */
import { AbortError } from '../backend';
import type { LocalModel } from '../localModel';
import { loadLocalModel } from '../loadLocalModel';
import { isToWorker, type FromWorker, type LoadedModelInfo, type ToWorker } from './protocol';

process.env.ORT_DISABLE_TELEMETRY = '1';

let model: LocalModel | undefined;
const controllers = new Map<number, AbortController>();
/** The request being worked on (others wait in `queue`). */
let running: number | undefined;
let queue: Promise<void> = Promise.resolve();

function send(message: FromWorker): void {
  process.send?.(message);
}

async function handle(message: Exclude<ToWorker, { type: 'cancel' } | { type: 'shutdown' }>, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) throw new AbortError();
  switch (message.type) {
    case 'load': {
      if (model) await model.dispose();
      model = undefined;
      // Loading is one long native call with no chunks to report: a heartbeat says the process is alive.
      const heartbeat = setInterval(() => send({ type: 'progress', id: message.id, done: 0, total: 0 }), 250);
      try {
        model = await loadLocalModel(message.modelDir, message.options);
      } finally {
        clearInterval(heartbeat);
      }
      const info: LoadedModelInfo = { id: model.id, name: model.name, vocab: model.vocab, kind: model.kind, path: message.modelDir };
      return info;
    }
    case 'tokenize':
      return requireModel().tokenize(message.text);
    case 'score':
      return requireModel().score(message.text, {
        ...message.options,
        signal,
        onProgress: (done, total) => send({ type: 'progress', id: message.id, done, total }),
      });
    case 'generate': {
      const g = await requireModel().generate(message.prompt, {
        ...message.options,
        signal,
        onToken: (text) => send({ type: 'token', id: message.id, text }),
        onProgress: (done, total) => send({ type: 'progress', id: message.id, done, total }),
      });
      return { text: g.text, finishReason: g.finishReason, tokenCount: g.tokenCount };
    }
    default: {
      const never: never = message;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

function requireModel(): LocalModel {
  if (!model) throw new Error('no model loaded');
  return model;
}

process.on('message', (raw: unknown) => {
  if (!isToWorker(raw)) return;
  const message = raw;
  if (message.type === 'shutdown') {
    void (model?.dispose() ?? Promise.resolve()).finally(() => process.exit(0));
    return;
  }
  if (message.type === 'cancel') {
    const controller = controllers.get(message.id);
    if (!controller) return;
    controller.abort();
    // A request still waiting its turn is answered now (the one running answers at its next chunk).
    if (message.id !== running) {
      controllers.delete(message.id);
      send({ type: 'error', id: message.id, name: 'AbortError', message: 'cancelled before it started' });
    }
    return;
  }
  const controller = new AbortController();
  controllers.set(message.id, controller);
  // One request at a time: the session is not re-entrant and cores are shared anyway.
  queue = queue.then(async () => {
    if (!controllers.has(message.id)) return; // cancelled while it waited, and answered then
    running = message.id;
    try {
      const value = await handle(message, controller.signal);
      send({ type: 'result', id: message.id, value: value as never });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      send({ type: 'error', id: message.id, name: err.name, message: err.message });
    } finally {
      running = undefined;
      controllers.delete(message.id);
    }
  });
});

// The parent went away: nothing left to serve.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal reaches the whole process group: the parent decides (it cancels, or shuts this down).
process.on('SIGINT', () => undefined);
