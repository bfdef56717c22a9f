import { Bidirectional, Dense } from '../graph/layers.js';
import { GATES, RecurrentLayer } from '../graph/recurrent.js';
import { recurrentWeightStride } from '../kernels/recurrent.js';

/** Weights of one layer, rearranged for the kernels (f32, uploaded once at compile). */
export interface PackedWeights {
  /** Projection / dense matrix [K][N] followed by its bias [N]. */
  w: Float32Array;
  /** Recurrent layers: per direction, recurrent kernel, recurrent bias, peepholes (see recurrent_step.wgsl). */
  u: Float32Array | null;
}

/** The directions (1 or 2) a recurrent node runs. */
export function directionsOf(layer: RecurrentLayer | Bidirectional): RecurrentLayer[] {
  return layer instanceof Bidirectional ? [layer.forward, layer.backward] : [layer];
}

/**
 * Packs a recurrent layer's (or a bidirectional pair's) Keras weights: the input kernels side by side
 * as one [F][D*G*H] matrix so one matmul projects every step of both directions, input biases after it,
 * and each direction's recurrent kernel with its recurrent bias and peepholes.
 */
export function packRecurrent(layer: RecurrentLayer | Bidirectional): PackedWeights {
  const dirs = directionsOf(layer);
  const cfg = dirs[0]!.config;
  const H = cfg.units;
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
    // Keras recurrent kernel [H][G*H] -> the interleaved vec4 layout of recurrent_step.wgsl.
    for (let k = 0; k < H; k++) {
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
        for (let j = 0; j < H; j++) for (let g = 0; g < 3; g++) u[base + (H * H + j) * 4 + g] = bias[GH + g * H + j]!;
      }
    }
    if (cfg.peephole) {
      const p = ws[next]!;
      for (let j = 0; j < H; j++) for (let g = 0; g < 3; g++) u[base + (H * H + H + j) * 4 + g] = p[g * H + j]!;
    }
  });
  return { w, u };
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
