/**
 * The per-row reduction of scoring (log-softmax → chosen-token logprob, full-vocabulary entropy, top-k)
 * as a small ONNX graph run by onnxruntime's vectorised, multi-threaded kernels instead of a JavaScript
 * loop. The model's session writes each chunk's logits straight into a buffer we own (a pre-allocated
 * output), and this session reads that buffer in place, so the T × V logits are neither copied nor walked
 * by JavaScript; only T + 2·T·k numbers come back.
 *
 *   x = Cast(logits) (fp16 exports) · lsm = LogSoftmax(x) · logprob = GatherElements(lsm, targets)
 *   entropy = −ReduceSum(Exp(lsm) · lsm) · top = TopK(lsm, k)
 *   above = ReduceSum(Cast(Greater(lsm, logprob))): the observed token's rank − 1 (GLTR), fetched only when asked
 */
import { OnnxType, int64Initializer, model, node, valueInfo } from './onnxProto';

/** Names of the reduction graph's inputs and outputs. */
export const Reduction = {
  logits: 'logits',
  targets: 'targets',
  k: 'k',
  logprob: 'logprob',
  entropy: 'entropy',
  topValues: 'top_values',
  topIndices: 'top_indices',
  above: 'above',
} as const;

/** The reduction model for logits rows of `vocab` columns (`float16` logits are cast first). */
export function reductionModel(logitsType: 'float32' | 'float16', vocab: number): Uint8Array {
  const R = Reduction;
  const x = logitsType === 'float16' ? 'x' : R.logits;
  const nodes = [
    ...(logitsType === 'float16' ? [node('Cast', [R.logits], [x], [{ name: 'to', int: OnnxType.Float }])] : []),
    node('LogSoftmax', [x], ['lsm'], [{ name: 'axis', int: -1 }]),
    node('Unsqueeze', [R.targets, 'last_axis'], ['targets_2d']),
    node('GatherElements', ['lsm', 'targets_2d'], ['chosen'], [{ name: 'axis', int: 1 }]),
    node('Squeeze', ['chosen', 'last_axis'], [R.logprob]),
    node('Exp', ['lsm'], ['p']),
    node('Mul', ['p', 'lsm'], ['p_log_p']),
    node('ReduceSum', ['p_log_p', 'last_axis'], ['neg_entropy'], [{ name: 'keepdims', int: 0 }]),
    node('Neg', ['neg_entropy'], [R.entropy]),
    node('TopK', ['lsm', R.k], [R.topValues, R.topIndices], [{ name: 'axis', int: -1 }, { name: 'largest', int: 1 }, { name: 'sorted', int: 1 }]),
    node('Greater', ['lsm', 'chosen'], ['is_above']),
    node('Cast', ['is_above'], ['above_f'], [{ name: 'to', int: OnnxType.Float }]),
    node('ReduceSum', ['above_f', 'last_axis'], [R.above], [{ name: 'keepdims', int: 0 }]),
  ];
  return model(
    {
      name: 'reasoning-lens-scoring-reduction',
      nodes,
      initializers: [int64Initializer('last_axis', [1], [-1])],
      inputs: [
        valueInfo(R.logits, logitsType === 'float16' ? OnnxType.Float16 : OnnxType.Float, ['rows', vocab]),
        valueInfo(R.targets, OnnxType.Int64, ['rows']),
        valueInfo(R.k, OnnxType.Int64, [1]),
      ],
      outputs: [
        valueInfo(R.logprob, OnnxType.Float, ['rows']),
        valueInfo(R.entropy, OnnxType.Float, ['rows']),
        valueInfo(R.topValues, OnnxType.Float, ['rows', 'k']),
        valueInfo(R.topIndices, OnnxType.Int64, ['rows', 'k']),
        valueInfo(R.above, OnnxType.Float, ['rows']),
      ],
    },
    13,
  );
}
