/**
 * Just enough of the ONNX protobuf wire format to WRITE small graphs by hand (the scoring reduction and
 * the benchmark's MatMul probe), so that no protobuf library has to ship with the extension. Field numbers
 * are those of onnx.proto3 (ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto, TensorProto).
 */

/** ONNX TensorProto.DataType values used here. */
export const enum OnnxType {
  Float = 1,
  Int64 = 7,
  Float16 = 10,
}

type Bytes = number[];

function varint(n: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: Bytes = [];
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const utf8 = (s: string): Bytes => Array.from(Buffer.from(s, 'utf8'));
/** A length-delimited field (wire type 2). */
const field = (no: number, bytes: Bytes): Bytes => [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
/** A varint field (wire type 0). */
const fieldInt = (no: number, v: number | bigint): Bytes => [...varint(no << 3), ...varint(v)];
/** A 32-bit float field (wire type 5). */
function fieldFloat(no: number, v: number): Bytes {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return [...varint((no << 3) | 5), ...b];
}

export type Attribute = { readonly name: string } & ({ readonly int: number } | { readonly float: number } | { readonly ints: readonly number[] });

/** NodeProto: inputs, outputs, op type, attributes (default domain). */
export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly Attribute[] = []): Bytes {
  const attrs = attributes.flatMap((a) => {
    let body: Bytes;
    if ('int' in a) body = [...field(1, utf8(a.name)), ...fieldInt(3, a.int), ...fieldInt(20, 2 /* INT */)];
    else if ('float' in a) body = [...field(1, utf8(a.name)), ...fieldFloat(2, a.float), ...fieldInt(20, 1 /* FLOAT */)];
    else body = [...field(1, utf8(a.name)), ...a.ints.flatMap((v) => fieldInt(8, v)), ...fieldInt(20, 7 /* INTS */)];
    return field(5, body);
  });
  return [...inputs.flatMap((i) => field(1, utf8(i))), ...outputs.flatMap((o) => field(2, utf8(o))), ...field(3, utf8(outputs[0] ?? opType)), ...field(4, utf8(opType)), ...attrs];
}

/** ValueInfoProto of a tensor; a dim is a fixed size or a symbolic name. */
export function valueInfo(name: string, type: OnnxType, dims: readonly (number | string)[]): Bytes {
  const shape = dims.flatMap((d) => field(1, typeof d === 'number' ? fieldInt(1, d) : field(2, utf8(d))));
  const tensorType = [...fieldInt(1, type), ...field(2, shape)];
  return [...field(1, utf8(name)), ...field(2, field(1, tensorType))];
}

/** An int64 initializer (TensorProto with int64_data). */
export function int64Initializer(name: string, dims: readonly number[], values: readonly number[]): Bytes {
  return [...dims.flatMap((d) => fieldInt(1, d)), ...fieldInt(2, OnnxType.Int64), ...field(7, values.flatMap((v) => varint(v))), ...field(8, utf8(name))];
}

export interface GraphParts {
  readonly name: string;
  readonly nodes: readonly Bytes[];
  readonly inputs: readonly Bytes[];
  readonly outputs: readonly Bytes[];
  readonly initializers?: readonly Bytes[];
}

/** A complete ModelProto (IR version 8) around one graph, importing the default opset `opset`. */
export function model(graph: GraphParts, opset: number): Uint8Array {
  const g = [
    ...graph.nodes.flatMap((n) => field(1, n)),
    ...field(2, utf8(graph.name)),
    ...(graph.initializers ?? []).flatMap((t) => field(5, t)),
    ...graph.inputs.flatMap((v) => field(11, v)),
    ...graph.outputs.flatMap((v) => field(12, v)),
  ];
  const opsetImport = [...field(1, []), ...fieldInt(2, opset)];
  return Uint8Array.from([...fieldInt(1, 8), ...field(2, utf8('reasoning-lens')), ...field(8, opsetImport), ...field(7, g)]);
}
