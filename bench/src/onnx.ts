/**
 * Builds an ONNX model (bytes) for a spec, for onnxruntime: a tiny protobuf writer for the handful of
 * onnx.proto messages a recurrent graph needs (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto), no dependency.
 *
 * Graph per branch: x [B, T, I] -> Transpose -> LSTM/GRU (ONNX layout 0, [T, B, I]) ... -> Squeeze; then
 * Concat and MatMul + Add for the dense head. Keras weights are converted to ONNX's layout and gate
 * order (LSTM i, o, f, c; GRU z, r, h) here.
 */
import { gates, layerInput, type ModelSpec, type RnnLayerSpec, type SpecWeights } from './spec.js';

// ---- protobuf wire format --------------------------------------------------------------------------

class Pb {
  private readonly parts: number[] = [];
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private flush(): void {
    if (this.parts.length) {
      this.chunks.push(Uint8Array.from(this.parts));
      this.size += this.parts.length;
      this.parts.length = 0;
    }
  }

  private varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(BigInt(v));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.parts.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.flush();
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

// ---- onnx.proto messages (field numbers from onnx/onnx.proto) -------------------------------------------

const FLOAT = 1;
const INT64 = 7;

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, data instanceof Float32Array ? FLOAT : INT64);
  t.string(8, name);
  t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return t;
}

function valueInfo(name: string, dims: number[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.message(1, new Pb().int(1, d));
  const tensorType = new Pb().int(1, FLOAT).message(2, shape);
  return new Pb().string(1, name).message(2, new Pb().message(1, tensorType));
}

type Attr = number | number[] | string;

function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): Pb {
  const n = new Pb();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(3, `${op}_${outputs[0]}`);
  n.string(4, op);
  for (const [name, v] of Object.entries(attrs)) {
    const a = new Pb().string(1, name);
    if (typeof v === 'number') a.int(3, v).int(20, 2); // INT
    else if (typeof v === 'string') a.string(4, v).int(20, 3); // STRING
    else {
      for (const x of v) a.int(8, x);
      a.int(20, 7); // INTS
    }
    n.message(5, a);
  }
  return n;
}

// ---- Keras -> ONNX weights -------------------------------------------------------------------------------

/** ONNX gate order, as indices into Keras' order. LSTM: ONNX i, o, f, c from Keras i, f, c, o. */
function gateMap(layer: RnnLayerSpec): number[] {
  return layer.cell === 'lstm' ? [0, 3, 1, 2] : [0, 1, 2];
}

/** Keras [rows, G*H] (gate-major columns) -> ONNX [1, G*H, rows] in ONNX gate order. */
function transposeGates(k: Float32Array, rows: number, H: number, map: number[]): Float32Array {
  const G = map.length;
  const out = new Float32Array(G * H * rows);
  map.forEach((kg, og) => {
    for (let j = 0; j < H; j++) {
      for (let r = 0; r < rows; r++) out[(og * H + j) * rows + r] = k[r * G * H + kg * H + j]!;
    }
  });
  return out;
}

function reorderBias(b: Float32Array, H: number, map: number[]): Float32Array {
  const out = new Float32Array(map.length * H);
  map.forEach((kg, og) => out.set(b.subarray(kg * H, kg * H + H), og * H));
  return out;
}

/** The ONNX model for a spec, as bytes (opset 17). Inputs x0, x1, ... [B, T, I]; output y. */
export function buildOnnxModel(spec: ModelSpec, weights: SpecWeights): Uint8Array {
  const graph = new Pb().string(2, 'webgpu_rnn_bench');
  const nodes: Pb[] = [];
  const inits: Pb[] = [];
  const B = spec.batch;
  const axesMade = new Set<string>();
  /** The name of an int64 axes initializer (Squeeze takes its axes as an input since opset 13), made on first use. */
  const axes = (axis: number) => {
    const name = `axes${axis}`;
    if (!axesMade.has(name)) inits.push(tensor(name, [1], BigInt64Array.of(BigInt(axis))));
    axesMade.add(name);
    return name;
  };

  const branchOuts: string[] = [];
  spec.branches.forEach((br, bi) => {
    let x = `x${bi}_tbi`;
    nodes.push(node('Transpose', [`x${bi}`], [x], { perm: [1, 0, 2] }));
    br.layers.forEach((layer, li) => {
      const p = `b${bi}l${li}`;
      const H = layer.units;
      const I = layerInput(br, li);
      const G = gates(layer.cell);
      const map = gateMap(layer);
      const [kernel, recurrent, bias] = weights.rnn[bi]![li]!;
      const Bfull = new Float32Array(2 * G * H);
      if (layer.cell === 'gru' && layer.resetAfter) {
        Bfull.set(reorderBias(bias!.subarray(0, G * H), H, map), 0);
        Bfull.set(reorderBias(bias!.subarray(G * H), H, map), G * H);
      } else {
        Bfull.set(reorderBias(bias!, H, map), 0); // Keras has one bias: the input side; recurrent bias 0
      }
      inits.push(tensor(`${p}_W`, [1, G * H, I], transposeGates(kernel!, I, H, map)));
      inits.push(tensor(`${p}_R`, [1, G * H, H], transposeGates(recurrent!, H, H, map)));
      inits.push(tensor(`${p}_B`, [1, 2 * G * H], Bfull));
      const attrs: Record<string, Attr> = { hidden_size: H };
      if (layer.cell === 'gru') attrs.linear_before_reset = layer.resetAfter ? 1 : 0;
      nodes.push(node(layer.cell === 'lstm' ? 'LSTM' : 'GRU', [x, `${p}_W`, `${p}_R`, `${p}_B`], [`${p}_Y`, `${p}_Yh`], attrs));
      const last = li === br.layers.length - 1;
      if (!last || layer.returnSequences) {
        nodes.push(node('Squeeze', [`${p}_Y`, axes(1)], [`${p}_seq`])); // [T, B, H]
        x = `${p}_seq`;
        if (last) {
          nodes.push(node('Transpose', [x], [`${p}_bth`], { perm: [1, 0, 2] }));
          x = `${p}_bth`;
        }
      } else {
        nodes.push(node('Squeeze', [`${p}_Yh`, axes(0)], [`${p}_last`])); // [B, H]
        x = `${p}_last`;
      }
    });
    branchOuts.push(x);
  });

  let y = branchOuts[0]!;
  if (branchOuts.length > 1) {
    nodes.push(node('Concat', branchOuts, ['concat'], { axis: 1 }));
    y = 'concat';
  }
  if (spec.dense !== undefined) {
    const inp = spec.branches.reduce((s, b) => s + b.layers[b.layers.length - 1]!.units, 0);
    inits.push(tensor('dense_K', [inp, spec.dense], weights.dense![0]!));
    inits.push(tensor('dense_b', [spec.dense], weights.dense![1]!));
    nodes.push(node('MatMul', [y, 'dense_K'], ['dense_mm']));
    nodes.push(node('Add', ['dense_mm', 'dense_b'], ['dense_out']));
    y = 'dense_out';
  }
  nodes.push(node('Identity', [y], ['y']));

  for (const n of nodes) graph.message(1, n);
  for (const t of inits) graph.message(5, t);
  spec.branches.forEach((br, bi) => graph.message(11, valueInfo(`x${bi}`, [B, br.seq, br.features])));
  const outShape = (() => {
    if (spec.dense !== undefined) return [B, spec.dense];
    if (spec.branches.length > 1) return [B, spec.branches.reduce((s, b) => s + b.layers[b.layers.length - 1]!.units, 0)];
    const br = spec.branches[0]!;
    const last = br.layers[br.layers.length - 1]!;
    return last.returnSequences ? [B, br.seq, last.units] : [B, last.units];
  })();
  graph.message(12, valueInfo('y', outShape));

  return new Pb()
    .int(1, 8) // ir_version 8 (opset 17)
    .string(2, 'webgpu-rnn-bench')
    .message(7, graph)
    .message(8, new Pb().string(1, '').int(2, 17))
    .finish();
}
