/**
 * Helpers for the streaming, masking, lengths and long-sequence tests: time slicing and joining of
 * batch-first tensors, a shared WebGPU runtime whose every test runs inside error scopes, and a
 * bridge that builds the same layers in @tensorflow/tfjs-layers with our weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { type Model, type Runtime, type Tensor, createRuntime } from '../../src/index.js';

/** Steps [t0, t0 + C) of a batch-first sequence tensor [B, T, F]. */
export function sliceTime(t: Tensor, t0: number, C: number): Tensor {
  const [B, T, F] = t.shape as [number, number, number];
  const data = new Float32Array(B * C * F);
  for (let b = 0; b < B; b++) data.set(t.data.subarray((b * T + t0) * F, (b * T + t0 + C) * F), b * C * F);
  return { data, shape: [B, C, F] };
}

/** Joins batch-first sequence tensors along time. */
export function joinTime(parts: Tensor[]): Tensor {
  const [B, , F] = parts[0]!.shape as [number, number, number];
  const T = parts.reduce((n, p) => n + p.shape[1]!, 0);
  const data = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) {
    let t = 0;
    for (const p of parts) {
      const C = p.shape[1]!;
      data.set(p.data.subarray(b * C * F, (b + 1) * C * F), (b * T + t) * F);
      t += C;
    }
  }
  return { data, shape: [B, T, F] };
}

/** Row b of a batch-first tensor, as a batch of one. */
export function row(t: Tensor, b: number): Tensor {
  const per = t.data.length / t.shape[0]!;
  return { data: t.data.slice(b * per, (b + 1) * per), shape: [1, ...t.shape.slice(1)] };
}

/** Splits T steps into chunks of the given sizes, cycling through them. */
export function chunkSizes(T: number, pattern: readonly number[]): number[] {
  const out: number[] = [];
  let t = 0, k = 0;
  while (t < T) {
    const c = Math.min(pattern[k++ % pattern.length]!, T - t);
    out.push(c);
    t += c;
  }
  return out;
}

export const list = (y: Tensor | Tensor[]): Tensor[] => (Array.isArray(y) ? y : [y]);

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/**
 * One WebGPU runtime for the file; each test runs inside validation / out-of-memory / internal error
 * scopes and fails on any error raised. `gpu()` fails (never skips) when no adapter was found.
 */
export function useGpu(): { gpu: () => Runtime; cpu: () => Runtime } {
  let rt: Runtime | undefined;
  let cpuRt: Runtime | undefined;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    rt = await createRuntime();
    cpuRt = await createRuntime({ backend: 'cpu' });
  }, 120_000);
  afterAll(() => {
    rt?.dispose();
    cpuRt?.dispose();
  });
  beforeEach(() => {
    for (const f of SCOPES) rt?.device?.pushErrorScope(f);
  });
  afterEach(async () => {
    const device = rt?.device;
    if (!device) return;
    const errors: string[] = [];
    for (let i = SCOPES.length - 1; i >= 0; i--) {
      const e = await device.popErrorScope();
      if (e) errors.push(`${SCOPES[i]}: ${e.message}`);
    }
    expect(errors, 'GPU errors raised during the test').toEqual([]);
  });
  return {
    gpu() {
      expect(rt?.backend, `createRuntime() fell back to '${rt?.backend}' (${rt?.adapterInfo}); these tests need WebGPU`).toBe('webgpu');
      return rt!;
    },
    cpu: () => cpuRt!,
  };
}

/** Runs a tfjs-layers model built by `build` with our model's weights (Keras order) on `inputs`. */
export function tfjsPredict(build: () => { inputs: tfl.SymbolicTensor | tfl.SymbolicTensor[]; outputs: tfl.SymbolicTensor | tfl.SymbolicTensor[] }, ours: Model, inputs: Tensor[]): Tensor[] {
  const { inputs: ins, outputs } = build();
  const m = tfl.model({ inputs: ins, outputs });
  const weights = ours.getWeights();
  const tfWeights = m.getWeights();
  expect(weights.length, 'weight count (ours vs tfjs)').toBe(tfWeights.length);
  m.setWeights(weights.map((w, i) => {
    expect(w.length, `weight ${i} size`).toBe(tfWeights[i]!.size);
    return tf.tensor(w, tfWeights[i]!.shape);
  }));
  const xs = inputs.map((t) => tf.tensor(t.data, t.shape));
  let y = m.predict(xs.length === 1 ? xs[0]! : xs) as tf.Tensor | tf.Tensor[];
  if (!Array.isArray(y)) y = [y];
  const out = y.map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
  tf.dispose([...xs, ...y]);
  m.dispose?.();
  return out;
}

export { tf, tfl };
