/**
 * Loads a local model of either format. Imported only where models run (the model worker process, the
 * in-process backend of the CLI, benchmarks, tests): it pulls in onnxruntime-node. node-llama-cpp is
 * loaded only when a GGUF file is.
 */
import { GgufCausalLM } from './gguf/runtime';
import { localModelKind, type LocalModel, type LocalModelOptions } from './localModel';
import { OnnxCausalLM } from './onnx/runtime';

/** Loads an ONNX model folder or a GGUF file (throws `ModelFolderError` naming what is wrong). */
export function loadLocalModel(path: string, options: LocalModelOptions = {}): Promise<LocalModel> {
  return localModelKind(path) === 'gguf' ? GgufCausalLM.load(path, options) : OnnxCausalLM.load(path, options);
}
