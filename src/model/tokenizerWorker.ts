/**
 * Worker thread that loads the named tokenizers (tokenizers.ts) and counts tokens, so that parsing a
 * 10 MB tokenizer.json and encoding long traces never blocks the extension host. Bundled separately
 * (out/tokenizerWorker.js) and started by `TokenizerClient` on first use.
 */
import { parentPort } from 'node:worker_threads';
import { isNamedTokenizer, loadTokenizer } from './tokenizers';
import type { TokenizerRequest, TokenizerResponse } from './tokenizerClient';

parentPort?.on('message', (request: TokenizerRequest) => {
  let response: TokenizerResponse;
  try {
    if (!isNamedTokenizer(request.tokenizer)) throw new Error(`unknown tokenizer ${request.tokenizer}`);
    const tokenizer = loadTokenizer(request.tokenizer);
    response = { id: request.id, counts: request.texts.map((t) => tokenizer.count(t)) };
  } catch (e) {
    response = { id: request.id, error: (e as Error).message };
  }
  parentPort?.postMessage(response);
});
