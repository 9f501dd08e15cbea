"""8-bit weights for an export of model/export_onnx.py: onnx/model.onnx -> onnx/model_quantized.onnx.

Dynamic quantisation as onnxruntime's quantize_dynamic does it (the `model_quantized.onnx` that
transformers.js loads with dtype "q8"): each MatMul on a weight initializer becomes

    DynamicQuantizeLinear(A) -> A_q (uint8), A_scale, A_zero
    MatMulInteger(A_q, W_q (int8, symmetric), A_zero, 0) -> int32 -> Cast float -> * (A_scale * W_scale)

which onnxruntime fuses into DynamicQuantizeMatMul (int8 GEMM). Weights are quantised per output column
(scale = max|w| / 127). The tied head Gemm(h, E, transB=1) gets its own int8 copy of E^T; the embedding
lookup keeps float32 E. Needs python3-onnx and numpy only (no onnxruntime Python package).

Usage: /usr/bin/python3 model/quantize_onnx.py DIR   (writes DIR/onnx/model_quantized.onnx)
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def quantize_columns(w):
    """w [K, N] float32 -> (int8 [K, N], scale float32 [N]) with symmetric per-column scales."""
    amax = np.abs(w).max(axis=0)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    folder = sys.argv[1]
    src = os.path.join(folder, "onnx", "model.onnx")
    dst = os.path.join(folder, "onnx", "model_quantized.onnx")
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    used_as_float = {}
    new_nodes = []
    new_inits = []
    quantized = 0
    for node in graph.node:
        w_name = None
        if node.op_type == "MatMul" and node.input[1] in inits:
            w_name = node.input[1]
            w = numpy_helper.to_array(inits[w_name]).astype(np.float32)
        elif node.op_type == "Gemm" and node.input[1] in inits and len(node.input) == 2:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if attrs.get("transA", 0) == 0 and attrs.get("alpha", 1.0) == 1.0:
                w_name = node.input[1]
                w = numpy_helper.to_array(inits[w_name]).astype(np.float32)
                if attrs.get("transB", 0):
                    w = w.T
        if w_name is None or w.ndim != 2:
            new_nodes.append(node)
            for x in node.input:
                used_as_float[x] = True
            continue
        q, scale = quantize_columns(w)
        base = node.output[0].replace("/", "_").strip("_")
        wq, ws, wz = f"{base}_W_q", f"{base}_W_scale", f"{base}_W_zero"
        new_inits += [numpy_helper.from_array(q, wq), numpy_helper.from_array(scale, ws),
                      numpy_helper.from_array(np.zeros((), dtype=np.int8), wz)]
        a = node.input[0]
        aq, a_s, az = f"{base}_A_q", f"{base}_A_scale", f"{base}_A_zero"
        new_nodes += [
            helper.make_node("DynamicQuantizeLinear", [a], [aq, a_s, az], name=f"{base}_quant"),
            helper.make_node("MatMulInteger", [aq, wq, az, wz], [f"{base}_int32"], name=f"{base}_matmul_integer"),
            helper.make_node("Cast", [f"{base}_int32"], [f"{base}_float"], to=TensorProto.FLOAT, name=f"{base}_cast"),
            helper.make_node("Mul", [a_s, ws], [f"{base}_scale"], name=f"{base}_scale_mul"),
            helper.make_node("Mul", [f"{base}_float", f"{base}_scale"], [node.output[0]], name=f"{base}_output_mul"),
        ]
        quantized += 1
    keep = [i for i in graph.initializer if used_as_float.get(i.name)]
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.initializer[:]
    graph.initializer.extend(keep + new_inits)
    onnx.checker.check_model(model)
    tmp = dst + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, dst)
    print(f"{dst}: {quantized} matrices in int8, {os.path.getsize(dst) / 1e6:.1f} MB (from {os.path.getsize(src) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
