/**
 * Worker-thread entry of the CLI (bundled to `out/cliWorker.js`): builds the task from `workerData`
 * and answers each batch message with its result. Errors are reported per batch so the main thread
 * can name the records and stop cleanly.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeTask, type TaskBatch, type TaskConfig } from './workerTask';

if (parentPort) {
  const port = parentPort;
  const task = makeTask(workerData as TaskConfig);
  port.on('message', (batch: TaskBatch) => {
    try {
      port.postMessage({ ok: true, result: task(batch) });
    } catch (error) {
      port.postMessage({ ok: false, seq: batch.seq, message: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  });
}
