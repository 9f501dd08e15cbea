/**
 * `reasoningLens.model.variant` (and `--variant`) names a file in the model's onnx/ folder and
 * nothing else: it was joined into a path, so `../../…/payload` loaded an ONNX file from anywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { locateOnnx, ModelFolderError } from '../../../src/model/onnx/modelFolder';
import { InProcessOnnxBackend } from '../../../src/model/onnx/local';
import { runServe } from '../../../src/cli/serve';
import { modelUnavailable, tinyModelDir } from '../model/fixtures';

test('a variant with folders or .. is refused; a plain name is found', { skip: modelUnavailable() }, async () => {
  const model = tinyModelDir();
  // A real ONNX file outside the model folder, reachable by a relative path from its onnx/ folder.
  const elsewhere = mkdtempSync(join(tmpdir(), 'rl-payload-'));
  copyFileSync(join(model, 'onnx', 'model.onnx'), join(elsewhere, 'payload.onnx'));
  const traversal = relative(join(model, 'onnx'), join(elsewhere, 'payload'));
  assert.match(traversal, /^\.\.\//);
  for (const variant of [traversal, `${traversal}.onnx`, join(elsewhere, 'payload'), 'sub/model', 'sub\\model', '..', '.', 'C:model']) {
    assert.throws(() => locateOnnx(model, variant), (e: Error) => e instanceof ModelFolderError && /not a plain file name/.test(e.message), variant);
  }
  await assert.rejects(new InProcessOnnxBackend(model, { variant: traversal }).load(), /not a plain file name/);
  let err = '';
  assert.equal(await runServe(['--model', model, '--variant', traversal, '--port', '0'], { stdout: () => undefined, stderr: (s) => void (err += s) }), 1);
  assert.match(err, /not a plain file name/);

  assert.equal(locateOnnx(model, 'model').onnxPath, join(model, 'onnx', 'model.onnx'));
  assert.equal(locateOnnx(model, 'model.onnx').onnxPath, join(model, 'onnx', 'model.onnx'));
  const copy = mkdtempSync(join(tmpdir(), 'rl-variant-'));
  mkdirSync(join(copy, 'onnx'));
  copyFileSync(join(model, 'onnx', 'model.onnx'), join(copy, 'onnx', '..hidden.onnx'));
  assert.equal(locateOnnx(copy, '..hidden').onnxPath, join(copy, 'onnx', '..hidden.onnx'), 'a name that merely starts with dots is a file name');
});
