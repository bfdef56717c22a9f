/**
 * A benchmark model described once, independently of any library: every runner (webgpu-rnn, tfjs,
 * onnxruntime, cuDNN) builds its own model from this description and the same seeded weights.
 */

export type Cell = 'lstm' | 'gru';

/** One recurrent layer. Activations are the Keras defaults (tanh, sigmoid), spelled out for every peer. */
export interface RnnLayerSpec {
  cell: Cell;
  units: number;
  returnSequences: boolean;
  /** GRU only. tfjs-layers runs only the reset-before GRU (resetAfter false), so the configs use that; c-ra does not (cuDNN's GRU). */
  resetAfter?: boolean;
}

/** One input and the stack of recurrent layers that reads it. */
export interface BranchSpec {
  seq: number;
  features: number;
  layers: RnnLayerSpec[];
}

/** One branch, or several whose last outputs are concatenated, optionally followed by a dense layer. */
export interface ModelSpec {
  batch: number;
  branches: BranchSpec[];
  /** Units of a linear dense layer on the (concatenated) output. */
  dense?: number;
}

export type Precision = 'f32' | 'f16';

/** The weights of one spec, per layer in Keras layout: branch by branch, layer by layer, then the dense layer. */
export interface SpecWeights {
  /** rnn[b][l] = [kernel [in, G*units], recurrent_kernel [units, G*units], bias [G*units]] */
  rnn: Float32Array[][][];
  /** [kernel [in, units], bias [units]] */
  dense?: Float32Array[];
}

/** Gate count of a cell (Keras order: LSTM i, f, c, o; GRU z, r, h). */
export function gates(cell: Cell): number {
  return cell === 'lstm' ? 4 : 3;
}

/** Input width of layer l of a branch. */
export function layerInput(branch: BranchSpec, l: number): number {
  return l === 0 ? branch.features : branch.layers[l - 1]!.units;
}

/** Output shape(s) (batch first) of a spec, in the order every runner returns them. */
export function outputShapes(spec: ModelSpec): number[][] {
  if (spec.branches.length === 1 && spec.dense === undefined) {
    const b = spec.branches[0]!;
    const last = b.layers[b.layers.length - 1]!;
    return [last.returnSequences ? [spec.batch, b.seq, last.units] : [spec.batch, last.units]];
  }
  return [[spec.batch, spec.dense ?? spec.branches.reduce((s, b) => s + b.layers[b.layers.length - 1]!.units, 0)]];
}

/** Total recurrent layer-steps of one forward pass (the unit of the per layer-step figure). */
export function layerSteps(spec: ModelSpec): number {
  return spec.branches.reduce((s, b) => s + b.seq * b.layers.length, 0);
}

/** Floating-point operations of the recurrent and input matmuls of one pass (2 per multiply-add). */
export function flops(spec: ModelSpec): number {
  let f = 0;
  for (const b of spec.branches) {
    b.layers.forEach((l, i) => { f += 2 * gates(l.cell) * l.units * (l.units + layerInput(b, i)) * spec.batch * b.seq; });
  }
  return f;
}
