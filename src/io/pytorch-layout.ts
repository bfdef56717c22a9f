/**
 * PyTorch's tensor layouts <-> predict()'s: input [T, B, in] (or [B, T, in] with batch_first, or
 * unbatched [T, in]), h_0 / h_n [num_layers * D, B, H]; predict() is batch first with one state tensor
 * per layer and direction.
 */
import { ConfigError, InputError, ShapeError } from '../errors.js';
import type { Tensor } from '../graph/tensor.js';
import type { PyTorchRecurrentConfig } from './pytorch.js';

/** Options of `PyTorchRecurrent.run`. */
export interface PyTorchRunOptions {
  /** Initial hidden state [num_layers * D, B, H] ([num_layers * D, H] unbatched; H = proj_size with a projection); needs `initialState: true` at load. */
  h0?: Tensor;
  /** LSTM initial cell state, [num_layers * D, B, hidden_size] (h0's shape without proj_size). */
  c0?: Tensor;
  /**
   * Valid length of each batch row (right padding), as given to pack_padded_sequence: steps past a
   * row's length are skipped, output zeros there, and h_n / c_n are the states after its last valid step.
   */
  lengths?: readonly number[];
}

/** What the PyTorch module returns: `output`, `h_n` and, for LSTM, `c_n`. */
export interface PyTorchOutputs {
  /** [T, B, D*H], [B, T, D*H] with batch_first, or [T, D*H] unbatched (H = proj_size with a projection). */
  output: Tensor;
  /** [num_layers * D, B, H] or [num_layers * D, H] unbatched. */
  h_n: Tensor;
  /** LSTM only, like h_n but always hidden_size wide. */
  c_n?: Tensor;
}

/** Swaps the first two axes of a rank-3 row-major array [A, B, F] -> [B, A, F]. */
function swap01(data: Float32Array, A: number, B: number, F: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) out.set(data.subarray((a * B + b) * F, (a * B + b + 1) * F), (b * A + a) * F);
  return out;
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

export function fromPyTorchInputs(c: PyTorchRecurrentConfig, x: Tensor, o: PyTorchRunOptions): { inputs: Tensor[]; lengths?: readonly number[]; unbatched: boolean } {
  const where = `PyTorch ${c.module}`;
  if (!x || !(x.data instanceof Float32Array) || !Array.isArray(x.shape)) throw new InputError(`${where}: input must be { data: Float32Array, shape }`);
  const layoutName = c.batchFirst ? '[batch, T, input_size] (batch_first)' : '[T, batch, input_size]';
  if (x.shape.length !== 3 && x.shape.length !== 2) throw new ShapeError(`${where}: input must be ${layoutName} or unbatched [T, input_size], got ${shapeStr(x.shape)}`);
  const unbatched = x.shape.length === 2;
  const I = x.shape[x.shape.length - 1]!;
  if (I !== c.inputSize) throw new ShapeError(`${where}: input feature size must be input_size ${c.inputSize}, got ${I} (shape ${shapeStr(x.shape)})`);
  const [T, B] = unbatched ? [x.shape[0]!, 1] : c.batchFirst ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
  if (x.data.length !== T * B * I) throw new InputError(`${where}: input shape ${shapeStr(x.shape)} needs ${T * B * I} values, data has ${x.data.length}`);
  const data = unbatched || c.batchFirst ? x.data : swap01(x.data, T, B, I);
  const inputs: Tensor[] = [{ data, shape: [B, T, I] }];

  const D = c.bidirectional ? 2 : 1, LD = c.numLayers * D;
  if (o.c0 && c.module !== 'LSTM') throw new ConfigError(`${where}: c0 applies to LSTM only`);
  if ((o.h0 || o.c0) && !c.initialState) throw new ConfigError(`${where}: pass { initialState: true } to loadPyTorchRecurrent to give h0 / c0`);
  if (c.initialState) {
    // h0 has proj_size features with a projection; c0 always hidden_size.
    const per = (t: Tensor | undefined, label: string, H: number) => {
      const want = unbatched ? [LD, H] : [LD, B, H];
      if (t) {
        if (!(t.data instanceof Float32Array) || !Array.isArray(t.shape) || t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
          throw new ShapeError(`${where}: ${label} must have shape ${shapeStr(want)} (num_layers * num_directions, ${unbatched ? '' : 'batch, '}${label === 'h0' && c.projSize ? 'proj_size' : 'hidden_size'}), got ${t.shape ? shapeStr(t.shape) : typeof t}`);
        }
        if (t.data.length !== LD * B * H) throw new InputError(`${where}: ${label} shape ${shapeStr(want)} needs ${LD * B * H} values, data has ${t.data.length}`);
      }
      return Array.from({ length: LD }, (_, k) => ({ data: t ? t.data.slice(k * B * H, (k + 1) * B * H) : new Float32Array(B * H), shape: [B, H] }));
    };
    const hs = per(o.h0, 'h0', c.projSize || c.hiddenSize);
    const cs = c.module === 'LSTM' ? per(o.c0, 'c0', c.hiddenSize) : null;
    for (let k = 0; k < LD; k++) inputs.push(hs[k]!, ...(cs ? [cs[k]!] : []));
  }
  return { inputs, lengths: o.lengths, unbatched };
}

export function toPyTorchOutputs(c: PyTorchRecurrentConfig, out: Tensor[], unbatched: boolean): PyTorchOutputs {
  const D = c.bidirectional ? 2 : 1, LD = c.numLayers * D;
  const [B, T, F] = out[0]!.shape as [number, number, number];
  const output: Tensor = unbatched
    ? { data: out[0]!.data, shape: [T, F] }
    : c.batchFirst ? { data: out[0]!.data, shape: [B, T, F] } : { data: swap01(out[0]!.data, B, T, F), shape: [T, B, F] };
  const perDir = c.module === 'LSTM' ? 2 : 1;
  const gather = (s: number): Tensor => {
    const H = s === 0 && c.projSize ? c.projSize : c.hiddenSize;
    const data = new Float32Array(LD * B * H);
    for (let k = 0; k < LD; k++) data.set(out[1 + k * perDir + s]!.data, k * B * H);
    return { data, shape: unbatched ? [LD, H] : [LD, B, H] };
  };
  const result: PyTorchOutputs = { output, h_n: gather(0) };
  if (c.module === 'LSTM') result.c_n = gather(1);
  return result;
}
