/**
 * The positional inputs of an ONNX LSTM / GRU / RNN node: checked against each other and the
 * attributes, then rearranged into our layers' Keras layout (gate order, transposes, biases).
 */
import { ConfigError, InputError, ShapeError } from '../errors.js';
import { firstNonFinite } from '../graph/tensor.js';
import type { OnnxRecurrentAttributes, OnnxRecurrentOp } from './onnx-attributes.js';

/** A tensor as an ONNX node takes it: row-major data, ONNX shape. */
export interface OnnxTensor {
  data: Float32Array | Int32Array;
  shape: readonly number[];
}

/** Input names per op, in positional order. */
export const ONNX_INPUT_NAMES: Record<OnnxRecurrentOp, string[]> = {
  LSTM: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'],
  GRU: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  RNN: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
};

const GATES: Record<OnnxRecurrentOp, number> = { LSTM: 4, GRU: 3, RNN: 1 };

/**
 * perm[k] = the ONNX gate block holding Keras gate k. LSTM: Keras i, f, c, o from ONNX i, o, f, c.
 * GRU: z, r, h in both. RNN: one block.
 */
const GATE_PERM: Record<OnnxRecurrentOp, number[]> = { LSTM: [0, 2, 3, 1], GRU: [0, 1, 2], RNN: [0] };

/** Everything the model needs, batch first, per direction. */
export interface CheckedOnnxInputs {
  S: number;
  N: number;
  I: number;
  H: number;
  /** X as [N, S, I]. */
  x: Float32Array;
  /** Per-row lengths when sequence_lens is given (each in [1, S]). */
  lengths: number[] | null;
  /** Per direction: Keras weights [kernel, recurrent_kernel, bias, (peephole)]. */
  weights: Float32Array[][];
  /** Per direction: initial states [h] or [h, c] as [N, H], or null when neither initial_h nor initial_c is given. */
  initial: Float32Array[][] | null;
  peephole: boolean;
}

const dims = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Validates the input list (count, presence, dtype, shape, data length, finite values, sequence
 * lengths) and converts it. Throws ShapeError / InputError / ConfigError naming the input.
 */
export function checkOnnxInputs(a: OnnxRecurrentAttributes, inputs: unknown): CheckedOnnxInputs {
  const { op, D, layout } = a;
  const where = `ONNX ${op}`;
  const names = ONNX_INPUT_NAMES[op];
  if (!Array.isArray(inputs)) throw new InputError(`${where}: inputs must be an array (positional, null for an omitted input), got ${typeof inputs}`);
  if (inputs.length > names.length) {
    throw new ShapeError(`${where}: takes at most ${names.length} inputs (${names.join(', ')}), got ${inputs.length}`);
  }
  const label = (i: number) => `${where} input ${i} (${names[i]})`;
  const get = (i: number, dtype: 'float32' | 'int32' = 'float32'): OnnxTensor | null => {
    const t = inputs[i] as unknown;
    if (t === null || t === undefined) return null;
    if (typeof t !== 'object' || !Array.isArray((t as OnnxTensor).shape)) {
      throw new InputError(`${label(i)}: expected { data, shape } or null, got ${typeof t}`);
    }
    const { data, shape } = t as OnnxTensor;
    const want = dtype === 'int32' ? Int32Array : Float32Array;
    if (!(data instanceof want)) {
      const got = data && typeof data === 'object' ? data.constructor.name : typeof data;
      throw new InputError(`${label(i)}: data must be ${want.name} (${dtype}), got ${got}`);
    }
    shape.forEach((d, k) => {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${label(i)}: dimension ${k} of shape ${dims(shape)} is not a non-negative integer`);
    });
    const size = shape.reduce((p, q) => p * q, 1);
    if (data.length !== size) throw new InputError(`${label(i)}: shape ${dims(shape)} needs ${size} values, data has ${data.length}`);
    const bad = dtype === 'float32' ? firstNonFinite(data as Float32Array) : -1;
    if (bad >= 0) throw new InputError(`${label(i)}: value ${data[bad]} at flat index ${bad} is not finite`);
    return { data, shape };
  };
  const required = (i: number) => {
    const t = get(i);
    if (!t) throw new InputError(`${label(i)} is required`);
    return t;
  };
  const expectShape = (i: number, t: OnnxTensor, want: number[], meaning: string) => {
    if (t.shape.length !== want.length || t.shape.some((d, k) => d !== want[k])) {
      throw new ShapeError(`${label(i)}: expected shape ${dims(want)} (${meaning}), got ${dims(t.shape)}`);
    }
  };

  const X = required(0), W = required(1), R = required(2);
  if (X.shape.length !== 3) {
    throw new ShapeError(`${label(0)}: expected rank 3 ${layout === 0 ? '[seq_length, batch_size, input_size]' : '[batch_size, seq_length, input_size]'} (layout ${layout}), got ${dims(X.shape)}`);
  }
  const [S, N] = layout === 0 ? [X.shape[0]!, X.shape[1]!] : [X.shape[1]!, X.shape[0]!];
  const I = X.shape[2]!;
  if (S < 1 || N < 1 || I < 1) throw new ShapeError(`${label(0)}: seq_length, batch_size and input_size must be at least 1, got shape ${dims(X.shape)}`);
  if (R.shape.length !== 3) throw new ShapeError(`${label(2)}: expected rank 3 [num_directions, ${GATES[op]}*hidden_size, hidden_size], got ${dims(R.shape)}`);
  const H = R.shape[2]!;
  if (a.hiddenSize !== null && a.hiddenSize !== H) {
    throw new ConfigError(`${where}: attribute 'hidden_size' is ${a.hiddenSize} but input 2 (R) has shape ${dims(R.shape)}, i.e. hidden_size ${H}`);
  }
  if (H < 1) throw new ShapeError(`${label(2)}: hidden_size (last dimension) must be at least 1, got ${dims(R.shape)}`);
  const G = GATES[op], GH = G * H;
  expectShape(1, W, [D, GH, I], `[num_directions, ${G}*hidden_size, input_size]`);
  expectShape(2, R, [D, GH, H], `[num_directions, ${G}*hidden_size, hidden_size]`);
  const B = get(3);
  if (B) expectShape(3, B, [D, 2 * GH], `[num_directions, ${2 * G}*hidden_size]`);

  const seq = get(4, 'int32');
  let lengths: number[] | null = null;
  if (seq) {
    expectShape(4, seq, [N], '[batch_size]');
    lengths = Array.from(seq.data);
    lengths.forEach((l, n) => {
      if (l < 1 || l > S) {
        throw new InputError(`${label(4)}: sequence_lens[${n}] is ${l}; every length must be in [1, seq_length = ${S}] (onnxruntime also accepts 0, which this runtime does not)`);
      }
    });
  }
  const stateShape = layout === 0 ? [D, N, H] : [N, D, H];
  const stateMeaning = layout === 0 ? '[num_directions, batch_size, hidden_size]' : '[batch_size, num_directions, hidden_size] (layout 1)';
  const h0 = get(5);
  if (h0) expectShape(5, h0, stateShape, stateMeaning);
  const c0 = op === 'LSTM' ? get(6) : null;
  if (c0) expectShape(6, c0, stateShape, stateMeaning);
  const P = op === 'LSTM' ? get(7) : null;
  if (P) expectShape(7, P, [D, 3 * H], '[num_directions, 3*hidden_size]');

  // X to batch first [N, S, I].
  const xd = X.data as Float32Array;
  let x = xd;
  if (layout === 0) {
    x = new Float32Array(xd.length);
    for (let t = 0; t < S; t++) for (let n = 0; n < N; n++) x.set(xd.subarray((t * N + n) * I, (t * N + n + 1) * I), (n * S + t) * I);
  }

  const weights = Array.from({ length: D }, (_, d) => kerasWeights(op, a.linearBeforeReset, H, I, d, W, R, B, P));
  let initial: Float32Array[][] | null = null;
  if (h0 || c0) {
    const split = (t: OnnxTensor | null, d: number) => {
      const out = new Float32Array(N * H);
      if (!t) return out;
      for (let n = 0; n < N; n++) {
        const src = layout === 0 ? (d * N + n) * H : (n * D + d) * H;
        out.set((t.data as Float32Array).subarray(src, src + H), n * H);
      }
      return out;
    };
    initial = Array.from({ length: D }, (_, d) => (op === 'LSTM' ? [split(h0, d), split(c0, d)] : [split(h0, d)]));
  }
  return { S, N, I, H, x, lengths, weights, initial, peephole: P !== null };
}

/**
 * One direction's weights in Keras layout: kernel [I, G*H] and recurrent kernel [H, G*H] (transposed,
 * gate blocks permuted to Keras order), bias ([G*H] = Wb + Rb, or [2, 3H] = [Wb; Rb] for GRU with
 * linear_before_reset, which is Keras' reset_after), and LSTM peepholes [3, H] in order i, f, o.
 */
function kerasWeights(
  op: OnnxRecurrentOp, linearBeforeReset: boolean, H: number, I: number, d: number,
  W: OnnxTensor, R: OnnxTensor, B: OnnxTensor | null, P: OnnxTensor | null,
): Float32Array[] {
  const G = GATES[op], GH = G * H, perm = GATE_PERM[op];
  const w = W.data as Float32Array, r = R.data as Float32Array;
  const kernel = new Float32Array(I * GH), rec = new Float32Array(H * GH);
  for (let k = 0; k < G; k++) {
    for (let j = 0; j < H; j++) {
      const row = perm[k]! * H + j, col = k * H + j;
      for (let i = 0; i < I; i++) kernel[i * GH + col] = w[(d * GH + row) * I + i]!;
      for (let m = 0; m < H; m++) rec[m * GH + col] = r[(d * GH + row) * H + m]!;
    }
  }
  const twoRows = op === 'GRU' && linearBeforeReset;
  const bias = new Float32Array(twoRows ? 2 * GH : GH);
  if (B) {
    const b = B.data as Float32Array;
    const base = d * 2 * GH;
    for (let k = 0; k < G; k++) {
      for (let j = 0; j < H; j++) {
        const wb = b[base + perm[k]! * H + j]!, rb = b[base + GH + perm[k]! * H + j]!;
        if (twoRows) {
          bias[k * H + j] = wb;
          bias[GH + k * H + j] = rb;
        } else {
          bias[k * H + j] = Math.fround(wb + rb);
        }
      }
    }
  }
  const out = [kernel, rec, bias];
  if (P) {
    const p = (P.data as Float32Array).subarray(d * 3 * H, (d + 1) * 3 * H);
    const peep = new Float32Array(3 * H);
    peep.set(p.subarray(0, H), 0); // i
    peep.set(p.subarray(2 * H, 3 * H), H); // f
    peep.set(p.subarray(H, 2 * H), 2 * H); // o
    out.push(peep);
  }
  return out;
}
