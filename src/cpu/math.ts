import type { ActSpec } from '../graph/activations.js';

/** Scalar activation in float64, written from the definitions (Keras, ONNX operator docs). */
export function activate(spec: ActSpec, x: number): number {
  const { alpha, beta } = spec;
  switch (spec.fn) {
    case 'linear': return x;
    case 'relu': return x > 0 ? x : 0;
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'hardSigmoid': return Math.min(1, Math.max(0, alpha * x + beta));
    case 'tanh': return Math.tanh(x);
    case 'affine': return alpha * x + beta;
    case 'leakyRelu': return x >= 0 ? x : alpha * x;
    case 'thresholdedRelu': return x > alpha ? x : 0;
    case 'scaledTanh': return alpha * Math.tanh(beta * x);
    case 'elu': return x >= 0 ? x : alpha * (Math.exp(x) - 1);
    case 'softsign': return x / (1 + Math.abs(x));
    case 'softplus': return Math.log1p(Math.exp(x));
    case 'softmax': throw new Error('softmax is a row function');
  }
}

/** Softmax of row `data[off .. off+n)` in place. */
export function softmaxRow(data: Float64Array, off: number, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, data[off + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(data[off + i]! - max);
    data[off + i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) data[off + i]! /= sum;
}
