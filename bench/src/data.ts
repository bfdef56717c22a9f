/** Seeded weights and inputs for a spec: every runner of a config gets exactly these numbers. */
import { gates, layerInput, type ModelSpec, type SpecWeights } from './spec.js';

/** mulberry32: small, fast, and the same sequence in Node and in the browser. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(next: () => number, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * next() - 1) * scale;
  return a;
}

/**
 * Glorot-like scales (1/sqrt(fan-in)) keep the gates out of saturation at every hidden size, so the
 * max-abs-error check compares real arithmetic, not saturated ones.
 */
export function makeWeights(spec: ModelSpec, seed: number): SpecWeights {
  const next = rng(seed);
  const rnn = spec.branches.map((b) =>
    b.layers.map((l, i) => {
      const G = gates(l.cell) * l.units;
      const inp = layerInput(b, i);
      const biasLength = l.cell === 'gru' && l.resetAfter ? 2 * G : G; // Keras' reset-after GRU: input and recurrent bias rows
      return [uniform(next, inp * G, 1 / Math.sqrt(inp)), uniform(next, l.units * G, 1 / Math.sqrt(l.units)), uniform(next, biasLength, 0.1)];
    }),
  );
  if (spec.dense === undefined) return { rnn };
  const inp = spec.branches.reduce((s, b) => s + b.layers[b.layers.length - 1]!.units, 0);
  return { rnn, dense: [uniform(next, inp * spec.dense, 1 / Math.sqrt(inp)), uniform(next, spec.dense, 0.1)] };
}

/** One batch-first input [batch, seq, features] per branch, uniform in [-1, 1]. */
export function makeInputs(spec: ModelSpec, seed: number): Float32Array[] {
  const next = rng(seed ^ 0x5bd1e995);
  return spec.branches.map((b) => uniform(next, spec.batch * b.seq * b.features, 1));
}
