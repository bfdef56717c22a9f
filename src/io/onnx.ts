/**
 * ONNX LSTM / GRU / RNN operator semantics on our layers: the node's attributes and inputs become a
 * one-layer model (a Bidirectional layer for direction="bidirectional", so both directions run in the
 * same GPU dispatches), which is compiled, run once and disposed; the outputs come back in ONNX layouts.
 */
import { ConfigError } from '../errors.js';
import type { ActSpec } from '../graph/activations.js';
import { Bidirectional, Concatenate } from '../graph/layers.js';
import { Model, input } from '../graph/model.js';
import { type CellType, RecurrentLayer, type RecurrentExtensions, type RecurrentOptions } from '../graph/recurrent.js';
import type { SymbolicTensor, Tensor } from '../graph/tensor.js';
import type { CompileOptions, Runtime } from '../runtime.js';
import { type OnnxAttributeValue, type OnnxRecurrentAttributes, type OnnxRecurrentOp, parseOnnxAttributes } from './onnx-attributes.js';
import { type CheckedOnnxInputs, type OnnxTensor, checkOnnxInputs } from './onnx-inputs.js';

export type { OnnxAttributeValue, OnnxRecurrentOp } from './onnx-attributes.js';
export type { OnnxTensor } from './onnx-inputs.js';

/** One ONNX recurrent node: its op type, attributes and positional inputs (null = omitted). */
export interface OnnxRecurrentNode {
  op: OnnxRecurrentOp;
  attributes?: Record<string, OnnxAttributeValue | undefined>;
  inputs: readonly (OnnxTensor | null | undefined)[];
}

const CELL: Record<OnnxRecurrentOp, CellType> = { LSTM: 'lstm', GRU: 'gru', RNN: 'simpleRNN' };

/** ONNX [f, g, h] / [f, g] / [f] -> our gate (f), candidate (g) and output (h) activations. */
function cellActs(op: OnnxRecurrentOp, acts: ActSpec[]): { f: ActSpec; g: ActSpec; h: ActSpec } {
  if (op === 'LSTM') return { f: acts[0]!, g: acts[1]!, h: acts[2]! };
  if (op === 'GRU') return { f: acts[0]!, g: acts[1]!, h: acts[1]! };
  // A SimpleRNN applies its one activation as the candidate activation g.
  return { f: acts[0]!, g: acts[0]!, h: acts[0]! };
}

const sameAct = (p: ActSpec, q: ActSpec) => p.fn === q.fn && p.alpha === q.alpha && p.beta === q.beta;

/** The model for a checked node: inputs [X, (per direction: h0, (c0))], outputs [Y as [N, S, D*H], per direction: h, (c)]. */
export function buildOnnxModel(a: OnnxRecurrentAttributes, c: CheckedOnnxInputs): Model {
  const cell = CELL[a.op];
  const x = input({ shape: [c.S, c.I], name: 'X' });
  const perDir = a.op === 'LSTM' ? 2 : 1;
  const stateInputs = c.initial
    ? Array.from({ length: a.D }, (_, d) => Array.from({ length: perDir }, (_, k) => input({ shape: [c.H], name: `${k === 0 ? 'initial_h' : 'initial_c'}_${d}` })))
    : null;
  const options = (name: string, goBackwards: boolean): RecurrentOptions => ({
    name, units: c.H, returnSequences: true, returnState: true, goBackwards,
    ...(cell === 'gru' ? { resetAfter: a.linearBeforeReset } : {}),
  });
  const ext = (d: number): RecurrentExtensions => ({
    acts: cellActs(a.op, a.acts[d]!), clip: a.clip, peephole: c.peephole, inputForget: a.inputForget, padZero: true,
  });
  const acts = a.acts.map((list) => cellActs(a.op, list));
  const sameActs = a.D === 1 || (['f', 'g', 'h'] as const).every((k) => sameAct(acts[0]![k], acts[1]![k]));

  let outputs: SymbolicTensor[];
  if (a.direction !== 'bidirectional') {
    const reverse = a.direction === 'reverse';
    const layer = new RecurrentLayer(cell, options(a.op, reverse), { ...ext(0), timeAligned: reverse });
    outputs = layer.apply(x, { initialState: stateInputs?.[0] ?? [] }) as SymbolicTensor[];
    layer.setWeights(c.weights[0]!);
  } else if (sameActs) {
    const bi = new Bidirectional({ name: a.op, layer: new RecurrentLayer(cell, options(`${a.op}_cell`, false), ext(0)), mergeMode: 'concat' });
    outputs = bi.apply(x, { initialState: stateInputs?.flat() ?? [] }) as SymbolicTensor[];
    bi.setWeights([...c.weights[0]!, ...c.weights[1]!]);
  } else {
    // The directions' activations differ and one dispatch runs one activation set: two layers, whose
    // sequence outputs are concatenated (in place on the GPU).
    const fwd = new RecurrentLayer(cell, options(`${a.op}_forward`, false), ext(0));
    const bwd = new RecurrentLayer(cell, options(`${a.op}_reverse`, true), { ...ext(1), timeAligned: true });
    const f = fwd.apply(x, { initialState: stateInputs?.[0] ?? [] }) as SymbolicTensor[];
    const b = bwd.apply(x, { initialState: stateInputs?.[1] ?? [] }) as SymbolicTensor[];
    fwd.setWeights(c.weights[0]!);
    bwd.setWeights(c.weights[1]!);
    const y = new Concatenate({ name: `${a.op}_Y` }).apply([f[0]!, b[0]!]) as SymbolicTensor;
    outputs = [y, ...f.slice(1), ...b.slice(1)];
  }
  return new Model([x, ...(stateInputs?.flat() ?? [])], outputs, `onnx_${a.op}`);
}

/** Model outputs -> ONNX [Y, Y_h, (Y_c)] in the node's layout. */
function toOnnxOutputs(a: OnnxRecurrentAttributes, c: CheckedOnnxInputs, out: Tensor[]): Tensor[] {
  const { S, N, H } = c, D = a.D;
  const y = out[0]!.data; // [N, S, D*H]
  let Y: Tensor;
  if (a.layout === 1) {
    Y = { data: y, shape: [N, S, D, H] };
  } else {
    const data = new Float32Array(y.length);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < S; t++) {
        for (let d = 0; d < D; d++) data.set(y.subarray(((n * S + t) * D + d) * H, ((n * S + t) * D + d + 1) * H), ((t * D + d) * N + n) * H);
      }
    }
    Y = { data, shape: [S, D, N, H] };
  }
  const perDir = a.op === 'LSTM' ? 2 : 1;
  const states = Array.from({ length: perDir }, (_, k) => {
    const data = new Float32Array(D * N * H);
    for (let d = 0; d < D; d++) {
      const s = out[1 + d * perDir + k]!.data; // [N, H]
      for (let n = 0; n < N; n++) {
        const dst = a.layout === 0 ? (d * N + n) * H : (n * D + d) * H;
        data.set(s.subarray(n * H, (n + 1) * H), dst);
      }
    }
    return { data, shape: a.layout === 0 ? [D, N, H] : [N, D, H] };
  });
  return [Y, ...states];
}

/**
 * Runs one ONNX `LSTM`, `GRU` or `RNN` node (opset 14-22 semantics) on the runtime's backend.
 * `inputs` are the node's positional inputs (`null` for an omitted optional one), float32 except
 * `sequence_lens` (Int32Array). Resolves to `[Y, Y_h, Y_c]` (LSTM) or `[Y, Y_h]` in the node's
 * `layout`. Every attribute and input is validated before any GPU work: errors are ConfigError
 * (attributes), ShapeError (shapes), InputError (dtype, data, lengths) or UnsupportedError (op),
 * each naming the attribute or input. Lengths in `sequence_lens` must be in [1, seq_length].
 * `compileOptions` are passed to `runtime.compile` (e.g. `{ kernel: 'step' }`).
 * @example
 * const [Y, Y_h, Y_c] = await runOnnxRecurrent(rt, {
 *   op: 'LSTM',
 *   attributes: { hidden_size: 3, direction: 'bidirectional' },
 *   inputs: [X, W, R, B, null, initial_h, initial_c], // { data: Float32Array, shape } each
 * });
 */
export async function runOnnxRecurrent(runtime: Runtime, node: OnnxRecurrentNode, compileOptions?: CompileOptions): Promise<Tensor[]> {
  if (typeof node !== 'object' || node === null) throw new ConfigError('runOnnxRecurrent: expected a node { op, attributes, inputs }');
  const attrs = parseOnnxAttributes(node.op, node.attributes);
  const checked = checkOnnxInputs(attrs, node.inputs);
  const model = buildOnnxModel(attrs, checked);
  const { N, S, I, H } = checked;
  const feeds: Tensor[] = [{ data: checked.x, shape: [N, S, I] }];
  for (const states of checked.initial ?? []) for (const s of states) feeds.push({ data: s, shape: [N, H] });
  const lengths = checked.lengths && checked.lengths.some((l) => l !== S) ? checked.lengths : undefined;
  const compiled = await runtime.compile(model, compileOptions);
  try {
    const out = await compiled.predict(feeds, lengths ? { lengths } : undefined);
    return toOnnxOutputs(attrs, checked, out as Tensor[]);
  } finally {
    compiled.dispose();
  }
}
