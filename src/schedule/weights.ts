import { Bidirectional, Dense } from '../graph/layers.js';
import { GATES, RecurrentLayer } from '../graph/recurrent.js';
import { hiddenOutSize, recurrentWeightStride, usesResetBeforeKernel } from '../kernels/recurrent.js';
import { wavefrontLayout } from '../kernels/wavefront.js';

/** Weights of one layer, rearranged for the kernels (f32, uploaded once at compile). */
export interface PackedWeights {
  /** Projection / dense matrix [K][N] followed by its bias [N]. */
  w: Float32Array;
  /** Recurrent layers: per direction, recurrent kernel, recurrent bias, peepholes, projection (see recurrent_step.wgsl). */
  u: Float32Array | null;
}

/** The directions (1 or 2) a recurrent node runs. */
export function directionsOf(layer: RecurrentLayer | Bidirectional): RecurrentLayer[] {
  return layer instanceof Bidirectional ? [layer.forward, layer.backward] : [layer];
}

/**
 * Packs a recurrent layer's (or a bidirectional pair's) Keras weights: the input kernels side by side
 * as one [F][D*G*H] matrix so one matmul projects every step of both directions, input biases after it,
 * and each direction's recurrent kernel with its recurrent bias, peepholes and (LSTM proj_size) output
 * projection.
 */
export function packRecurrent(layer: RecurrentLayer | Bidirectional): PackedWeights {
  const dirs = directionsOf(layer);
  const cfg = dirs[0]!.config;
  const H = cfg.units;
  const K = hiddenOutSize(cfg); // size of h: the recurrent kernel's inputs
  const GH = GATES[cfg.cell] * H;
  const F = dirs[0]!.inputSize;
  const D = dirs.length;
  const N = D * GH;
  const w = new Float32Array(F * N + N);
  const uStride = 4 * recurrentWeightStride(cfg); // in floats
  const u = new Float32Array(D * uStride);
  const G = GATES[cfg.cell];
  dirs.forEach((l, d) => {
    const ws = l.weightsView();
    const kernel = ws[0]!, rec = ws[1]!;
    for (let k = 0; k < F; k++) w.set(kernel.subarray(k * GH, (k + 1) * GH), k * N + d * GH);
    const base = d * uStride;
    // Keras recurrent kernel [K][G*H] -> the interleaved vec4 layout of recurrent_step.wgsl.
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < H; j++) {
        if (G === 1) u[base + ((k >> 2) * H + j) * 4 + (k & 3)] = rec[k * GH + j]!;
        else for (let g = 0; g < G; g++) u[base + (k * H + j) * 4 + g] = rec[k * GH + g * H + j]!;
      }
    }
    let next = 2;
    if (cfg.useBias) {
      const bias = ws[next++]!;
      w.set(bias.subarray(0, GH), F * N + d * GH);
      // GRU reset-after keeps its recurrent bias inside the step (r * (h U + b_r)).
      if (cfg.cell === 'gru' && cfg.resetAfter) {
        for (let j = 0; j < H; j++) for (let g = 0; g < 3; g++) u[base + (K * H + j) * 4 + g] = bias[GH + g * H + j]!;
      }
    }
    if (cfg.peephole) {
      const p = ws[next++]!;
      for (let j = 0; j < H; j++) for (let g = 0; g < 3; g++) u[base + (K * H + H + j) * 4 + g] = p[g * H + j]!;
    }
    if (cfg.projSize !== null) {
      // Projection [H][K] -> [ceil(H/4)][K] vec4s, four consecutive inputs side by side (lstm_projection.wgsl).
      const proj = ws[next]!;
      const pBase = base + (K * H + 2 * H) * 4;
      for (let j = 0; j < H; j++) for (let p = 0; p < K; p++) u[pBase + ((j >> 2) * K + p) * 4 + (j & 3)] = proj[j * K + p]!;
    }
    if (usesResetBeforeKernel(cfg)) {
      // The compact copy (resetBeforeCompactSize; a GRU's h has H inputs, K = H): (z, r) of inputs 2i
      // and 2i + 1 at [i][j], then the candidate's weights of inputs 4i .. 4i + 3 at [i][j]; zeros past
      // the last input.
      const zr = base + (H * H + 2 * H) * 4;
      const cand = zr + Math.ceil(H / 2) * H * 4;
      for (let k = 0; k < H; k++) {
        for (let j = 0; j < H; j++) {
          const at = zr + ((k >> 1) * H + j) * 4 + 2 * (k & 1);
          u[at] = rec[k * GH + j]!;
          u[at + 1] = rec[k * GH + H + j]!;
          u[cand + ((k >> 2) * H + j) * 4 + (k & 3)] = rec[k * GH + 2 * H + j]!;
        }
      }
    }
  });
  return { w, u };
}

/**
 * The weights of a stacked pair for the wavefront kernel (wavefrontLayout): layer 1's recurrent block
 * as packRecurrent lays it out, then layer 2's input kernel [H1][G*H2] and recurrent kernel
 * [H2][G*H2] as one [H1 + H2][H2] matrix of vec4s (a unit's gates side by side; SimpleRNN: four
 * consecutive inputs side by side), its bias and its peepholes. Layer 1's input kernel stays with its
 * own upload (a matmul pass before the kernel).
 */
export function packWavefront(first: RecurrentLayer, second: RecurrentLayer): Float32Array {
  const at = wavefrontLayout(first.config, second.config);
  const u = new Float32Array(4 * at.vec4s);
  u.set(packRecurrent(first).u!.subarray(0, 4 * at.u2));
  const cfg = second.config;
  const H1 = first.config.units, H2 = cfg.units, G = GATES[cfg.cell], GH = G * H2;
  const ws = second.weightsView();
  const kernel = ws[0]!, rec = ws[1]!;
  for (let k = 0; k < H1 + H2; k++) {
    const src = k < H1 ? kernel.subarray(k * GH, (k + 1) * GH) : rec.subarray((k - H1) * GH, (k - H1 + 1) * GH);
    for (let j = 0; j < H2; j++) {
      if (G === 1) u[(at.u2 + (k >> 2) * H2 + j) * 4 + (k & 3)] = src[j]!;
      else for (let g = 0; g < G; g++) u[(at.u2 + k * H2 + j) * 4 + g] = src[g * H2 + j]!;
    }
  }
  let next = 2;
  if (cfg.useBias) {
    const bias = ws[next++]!;
    for (let j = 0; j < H2; j++) for (let g = 0; g < G; g++) u[(at.bias2 + j) * 4 + g] = bias[g * H2 + j]!;
  }
  if (cfg.peephole) {
    const p = ws[next]!;
    for (let j = 0; j < H2; j++) for (let g = 0; g < 3; g++) u[(at.peep2 + j) * 4 + g] = p[g * H2 + j]!;
  }
  return u;
}

/** Dense kernel [K][N] then bias [N]. */
export function packDense(layer: Dense): PackedWeights {
  const [kernel, bias] = layer.weightsView();
  const K = layer.inputSize, N = layer.units;
  const w = new Float32Array(K * N + N);
  w.set(kernel!);
  if (layer.useBias) w.set(bias!, K * N);
  return { w, u: null };
}

/** IEEE half-precision bits of a float (round to nearest even; overflow to infinity). */
export function toHalfBits(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** The recurrent weights in f16, in the same order (two halves per u32, as weights_f16.wgsl reads them). */
export function toHalf(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = toHalfBits(data[i]!);
  return out;
}
