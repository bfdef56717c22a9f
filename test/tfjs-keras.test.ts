/**
 * Keras files the tfjs comparisons can not cover, because tfjs-layers refuses or never writes them:
 *  - GRU reset_after=True (Keras 2+'s default): hand-written model.json files in the Keras 2 converter
 *    and Keras 3 formats (test/fixtures/tfjs), whose weights scripts/make-tfjs-fixtures.mjs took from
 *    PyTorch's GRU fixtures (a PyTorch GRU is a Keras reset_after GRU with gates reordered); our WebGPU
 *    output is compared with PyTorch's own output and with the float64 reference;
 *  - Keras 3's hard_sigmoid (slope 1/6) against Keras 2's / tfjs' (0.2), computed by hand;
 *  - a Keras 2 functional graph (list inbound_nodes, initial states as extra inputs and as kwargs,
 *    Masking, TimeDistributed, Bidirectional, ':0' weight names) against the same graph built with
 *    the public API;
 *  - zero_output_for_mask (masked steps output zeros);
 *  - weights matched by order when the manifest names no layer, defaults per file flavour, and the
 *    converter's float16 / uint8 / uint16 quantization against tfjs' own decodeWeights.
 * Every GPU check runs on both recurrent kernels ('step', 'sequence'); tolerance atol 2e-5, rtol 1e-4
 * (PyTorch and we both compute in float32).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Bidirectional, type Model, RecurrentLayer, type Runtime, type Tensor, createRuntime, input, layers, loadLayersModel,
  loadLayersModelFromFiles, model, runReference,
} from '../src/index.js';
import { expectClose, expectOutputsClose } from './support/compare.js';
import { Rng } from './support/random.js';
import { failOnGpuErrors } from './support/error-scopes.js';

const DIR = join(import.meta.dirname, 'fixtures');
const GPU_TOL = { atol: 2e-5, rtol: 1e-4 };
const TIMEOUT_MS = 120_000;

let rt: Runtime;
beforeAll(async () => {
  await tf.setBackend('cpu');
  rt = await createRuntime();
}, TIMEOUT_MS);
afterAll(() => rt?.dispose());

failOnGpuErrors(() => rt?.device);

const KERNELS = ['step', 'sequence'] as const;

/** Runs `check` on the model's WebGPU outputs from each recurrent kernel variant. */
async function onGpu(net: Model, xs: Tensor | Tensor[], check: (ys: Tensor[]) => void): Promise<void> {
  expect(rt.backend, `createRuntime() fell back to '${rt.backend}'; these tests need WebGPU`).toBe('webgpu');
  for (const kernel of KERNELS) {
    const run = await rt.compile(net, { kernel });
    try {
      const y = await run.predict(xs);
      check(Array.isArray(y) ? y : [y]);
    } catch (e) {
      throw new Error(`kernel '${kernel}': ${(e as Error).message}`);
    } finally {
      run.dispose();
    }
  }
}

interface JsonTensor { shape: number[]; data: number[] }
const pytorch = (name: string) => JSON.parse(readFileSync(join(DIR, 'pytorch', `${name}.json`), 'utf8')) as {
  options: { batch_first?: boolean }; input: JsonTensor; output: JsonTensor; h_n: JsonTensor;
};

/** [T, B, F] -> [B, T, F]. */
function batchFirst(t: JsonTensor): Tensor {
  const [T, B, F] = t.shape as [number, number, number];
  const out = new Float32Array(T * B * F);
  for (let s = 0; s < T; s++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) out[(b * T + s) * F + f] = t.data[(s * B + b) * F + f]!;
  return { data: out, shape: [B, T, F] };
}

describe('GRU reset_after=True (tfjs refuses it) vs PyTorch fixtures', () => {
  test('Keras 2 converter file (Sequential, model_config, gru/gru_cell/* names) from disk == PyTorch nn.GRU', async () => {
    const net = await loadLayersModelFromFiles(join(DIR, 'tfjs', 'keras2-gru'));
    const gru = net.layers.find((l) => l instanceof RecurrentLayer) as RecurrentLayer;
    expect(gru.config.resetAfter).toBe(true);
    expect(gru.config.recurrentActivation).toBe('sigmoid');
    const f = pytorch('gru');
    const x = batchFirst(f.input);
    const reference = runReference(net, [x])[0]!;
    await onGpu(net, x, ([y]) => {
      expectClose(y!, batchFirst(f.output), GPU_TOL);
      // The last step of the sequence is h_n.
      const [B, T, H] = y!.shape as [number, number, number];
      const last = { data: new Float32Array(B * H), shape: [B, H] };
      for (let b = 0; b < B; b++) last.data.set(y!.data.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
      expectClose(last, { data: f.h_n.data, shape: [B, H] }, GPU_TOL);
      expectClose(y!, reference, GPU_TOL);
    });
  }, TIMEOUT_MS);

  test('Keras 3 file (Functional, args/keras_history nodes, batch_shape, DTypePolicy) with Bidirectional(GRU) == bidirectional PyTorch nn.GRU', async () => {
    const net = await loadLayersModelFromFiles(join(DIR, 'tfjs', 'keras3-bigru', 'model.json'));
    const bidi = net.layers.find((l) => l instanceof Bidirectional) as Bidirectional;
    expect(bidi.forward.config.resetAfter).toBe(true);
    const f = pytorch('gru_bidirectional_batch_first');
    expect(f.options.batch_first).toBe(true);
    const x = { data: Float32Array.from(f.input.data), shape: f.input.shape };
    const reference = runReference(net, [x])[0]!;
    await onGpu(net, x, ([y]) => {
      expectClose(y!, f.output, GPU_TOL);
      expectClose(y!, reference, GPU_TOL);
    });
  }, TIMEOUT_MS);
});

/** A one-unit GRU(reset_after) model.json with the given flavour markers; weights named gru/gru_cell/*. */
function tinyGru(keras: string, gate: string | undefined): { modelJson: object; weights: ArrayBuffer } {
  const config: Record<string, unknown> = { name: 'gru', units: 1, activation: 'tanh', use_bias: true, reset_after: true, return_sequences: true };
  if (gate !== undefined) config.recurrent_activation = gate;
  const modelJson = {
    modelTopology: {
      keras_version: keras, backend: 'tensorflow',
      model_config: { class_name: 'Sequential', config: { name: 'seq', layers: [
        { class_name: 'InputLayer', config: { batch_shape: [null, 2, 1], name: 'x' } },
        { class_name: 'GRU', config },
      ] } },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: [
      { name: 'gru/gru_cell/kernel', shape: [1, 3], dtype: 'float32' },
      { name: 'gru/gru_cell/recurrent_kernel', shape: [1, 3], dtype: 'float32' },
      { name: 'gru/gru_cell/bias', shape: [2, 3], dtype: 'float32' },
    ] }],
  };
  const w = Float32Array.of(...TINY.kernel, ...TINY.recurrent, ...TINY.bias[0], ...TINY.bias[1]);
  return { modelJson, weights: w.buffer };
}
const TINY: { kernel: number[]; recurrent: number[]; bias: [number[], number[]] } = {
  kernel: [0.9, -1.4, 0.8], recurrent: [0.7, 1.1, -0.9], bias: [[0.3, -0.2, 0.1], [-0.4, 0.5, 0.2]],
};

/** Keras' GRU (reset_after) by hand: z, r = gate(x k + b_in + h u + b_rec), h~ = tanh(x kh + bh + r (h uh + rbh)). */
function tinyGruByHand(xs: number[], gate: (v: number) => number): number[] {
  const { kernel: k, recurrent: u, bias: [bi, br] } = TINY;
  let h = 0;
  return xs.map((x) => {
    const z = gate(x * k[0]! + bi![0]! + h * u[0]! + br![0]!);
    const r = gate(x * k[1]! + bi![1]! + h * u[1]! + br![1]!);
    const cand = Math.tanh(x * k[2]! + bi![2]! + r * (h * u[2]! + br![2]!));
    h = z * h + (1 - z) * cand;
    return h;
  });
}

describe('hard_sigmoid and defaults per file flavour', () => {
  const xs = [1.7, -2.3, 0.4, 2.9]; // batch 2, T 2
  const keras2 = (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5));
  const keras3 = (v: number) => Math.min(1, Math.max(0, v / 6 + 0.5));
  const byHand = (gate: (v: number) => number) => ({ data: Float32Array.from([...tinyGruByHand(xs.slice(0, 2), gate), ...tinyGruByHand(xs.slice(2), gate)]), shape: [2, 2, 1] });
  const x = { data: Float32Array.from(xs), shape: [2, 2, 1] };

  test("Keras 3's hard_sigmoid is relu6(x + 3) / 6, Keras 2's clip(0.2 x + 0.5): both on WebGPU", async () => {
    await onGpu(await loadLayersModel(tinyGru('3.6.0', 'hard_sigmoid')), x, ([y]) => expectClose(y!, byHand(keras3), GPU_TOL));
    await onGpu(await loadLayersModel(tinyGru('2.15.0', 'hard_sigmoid')), x, ([y]) => expectClose(y!, byHand(keras2), GPU_TOL));
    // The slopes differ enough for the check to tell them apart.
    const a = byHand(keras3).data, b = byHand(keras2).data;
    for (let i = 0; i < 4; i++) expect(Math.abs(a[i]! - b[i]!)).toBeGreaterThan(1e-3);
  }, TIMEOUT_MS);

  test('a missing recurrent_activation is sigmoid for Keras and hard_sigmoid for tfjs; reset_after defaults to true for Keras', async () => {
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    await onGpu(await loadLayersModel(tinyGru('2.15.0', undefined)), x, ([y]) => expectClose(y!, byHand(sigmoid), GPU_TOL));
    await onGpu(await loadLayersModel(tinyGru('tfjs-layers 4.22.0', undefined)), x, ([y]) => expectClose(y!, byHand(keras2), GPU_TOL));
  }, TIMEOUT_MS);
});

// ---- A Keras 2 functional graph vs the same graph built with the public API ----

const ref = (layer: string, kwargs?: object) => (kwargs ? [layer, 0, 0, kwargs] : [layer, 0, 0, {}]);
const k2 = (class_name: string, name: string, config: object, inbound: unknown[][] = []) => ({ class_name, name, config: { name, ...config }, inbound_nodes: inbound });

function kerasFunctionalJson(): object {
  const rnn = { recurrent_activation: 'sigmoid', activation: 'tanh', use_bias: true };
  return {
    keras_version: '2.15.0', backend: 'tensorflow',
    model_config: { class_name: 'Functional', config: {
      name: 'model', layers: [
        k2('InputLayer', 'seq', { batch_input_shape: [null, 6, 3], dtype: 'float32' }),
        k2('InputLayer', 'h0', { batch_input_shape: [null, 4] }),
        k2('InputLayer', 'c0', { batch_input_shape: [null, 4] }),
        k2('InputLayer', 'g0', { batch_input_shape: [null, 3] }),
        k2('Masking', 'masking', { mask_value: 0 }, [[ref('seq')]]),
        k2('LSTM', 'lstm', { ...rnn, units: 4, return_sequences: true, unit_forget_bias: true }, [[ref('masking'), ref('h0'), ref('c0')]]),
        k2('GRU', 'gru', { ...rnn, units: 3, return_sequences: true, reset_after: true }, [[ref('seq', { initial_state: [['g0', 0, 0]] })]]),
        k2('TimeDistributed', 'time_distributed', { layer: { class_name: 'Dense', config: { name: 'dense_1', units: 2, activation: 'relu' } } }, [[ref('lstm')]]),
        k2('Concatenate', 'concatenate', { axis: -1 }, [[ref('time_distributed'), ref('gru')]]),
        k2('Bidirectional', 'bidirectional', { merge_mode: 'sum', layer: { class_name: 'SimpleRNN', config: { name: 'simple_rnn', units: 2, activation: 'tanh' } } }, [[ref('concatenate')]]),
        k2('Dense', 'dense', { units: 1, activation: 'sigmoid' }, [[ref('bidirectional')]]),
      ],
      input_layers: [['seq', 0, 0], ['h0', 0, 0], ['c0', 0, 0], ['g0', 0, 0]],
      output_layers: [['dense', 0, 0], ['gru', 0, 0]],
    } },
  };
}

/** Keras 2 weight names (with TensorFlow's ':0'), in Keras' model.weights order. */
const FUNCTIONAL_WEIGHTS: [string, number[]][] = [
  ['lstm/lstm_cell/kernel:0', [3, 16]], ['lstm/lstm_cell/recurrent_kernel:0', [4, 16]], ['lstm/lstm_cell/bias:0', [16]],
  ['gru/gru_cell/kernel:0', [3, 9]], ['gru/gru_cell/recurrent_kernel:0', [3, 9]], ['gru/gru_cell/bias:0', [2, 9]],
  ['time_distributed/kernel:0', [4, 2]], ['time_distributed/bias:0', [2]],
  ['bidirectional/forward_simple_rnn/simple_rnn_cell/kernel:0', [5, 2]], ['bidirectional/forward_simple_rnn/simple_rnn_cell/recurrent_kernel:0', [2, 2]],
  ['bidirectional/forward_simple_rnn/simple_rnn_cell/bias:0', [2]],
  ['bidirectional/backward_simple_rnn/simple_rnn_cell/kernel:0', [5, 2]], ['bidirectional/backward_simple_rnn/simple_rnn_cell/recurrent_kernel:0', [2, 2]],
  ['bidirectional/backward_simple_rnn/simple_rnn_cell/bias:0', [2]],
  ['dense/kernel:0', [2, 1]], ['dense/bias:0', [1]],
];

function functionalArtifacts(names: (n: string) => string = (n) => n): { modelJson: object; weights: ArrayBuffer; values: Map<string, Float32Array> } {
  const rng = new Rng(77);
  const values = new Map(FUNCTIONAL_WEIGHTS.map(([n, s]) => [n, rng.fill(s.reduce((a, b) => a * b, 1), -0.8, 0.8)]));
  const all = new Float32Array([...values.values()].reduce((n, v) => n + v.length, 0));
  let off = 0;
  for (const v of values.values()) { all.set(v, off); off += v.length; }
  const modelJson = {
    format: 'layers-model', generatedBy: 'keras v2.15.0', modelTopology: kerasFunctionalJson(),
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: FUNCTIONAL_WEIGHTS.map(([n, shape]) => ({ name: names(n), shape, dtype: 'float32' })) }],
  };
  return { modelJson, weights: all.buffer, values };
}

/** The same graph with the public API, weights set layer by layer from the named arrays. */
function functionalByApi(values: Map<string, Float32Array>): Model {
  const v = (prefix: string) => [...values].filter(([n]) => n.startsWith(`${prefix}/`)).map(([, w]) => w);
  const seq = input({ shape: [6, 3] }), h0 = input({ shape: [4] }), c0 = input({ shape: [4] }), g0 = input({ shape: [3] });
  const lstm = layers.lstm({ units: 4, returnSequences: true });
  const gru = layers.gru({ units: 3, returnSequences: true, resetAfter: true });
  const td = layers.dense({ units: 2, activation: 'relu' });
  const bidi = layers.bidirectional({ layer: layers.simpleRNN({ units: 2 }), mergeMode: 'sum' });
  const head = layers.dense({ units: 1, activation: 'sigmoid' });
  const l = lstm.apply(layers.masking({ maskValue: 0 }).apply(seq), { initialState: [h0, c0] });
  const g = gru.apply(seq, { initialState: g0 });
  const j = layers.concatenate().apply([td.apply(l as never) as never, g as never]);
  const out = head.apply(bidi.apply(j as never) as never);
  lstm.setWeights(v('lstm'));
  gru.setWeights(v('gru'));
  td.setWeights(v('time_distributed'));
  bidi.setWeights(v('bidirectional'));
  head.setWeights(v('dense'));
  return model({ inputs: [seq, h0, c0, g0], outputs: [out as never, g as never] });
}

function functionalInputs(): Tensor[] {
  const rng = new Rng(5);
  const seq = rng.fill(3 * 6 * 3);
  seq.fill(0, (0 * 6 + 4) * 3, 6 * 3); // row 0: last two steps masked
  seq.fill(0, (1 * 6 + 1) * 3, (1 * 6 + 2) * 3); // row 1: step 1 masked
  return [{ data: seq, shape: [3, 6, 3] }, { data: rng.fill(12), shape: [3, 4] }, { data: rng.fill(12), shape: [3, 4] }, { data: rng.fill(9), shape: [3, 3] }];
}

describe('Keras 2 functional graph', () => {
  test('list inbound_nodes, initial states as extra inputs and as kwargs, Masking, TimeDistributed, Bidirectional, :0 names == the same graph built with the API', async () => {
    const a = functionalArtifacts();
    const net = await loadLayersModel(a);
    const expected = runReference(functionalByApi(a.values), functionalInputs());
    await onGpu(net, functionalInputs(), (ys) => expectOutputsClose(ys, expected, GPU_TOL));
  }, TIMEOUT_MS);

  test('a manifest that names no layer (bare kernel / recurrent_kernel / bias) is matched by order', async () => {
    const named = await loadLayersModel(functionalArtifacts());
    const bare = await loadLayersModel(functionalArtifacts((n) => n.split('/').pop()!));
    const a = named.getWeights(), b = bare.getWeights();
    expect(b.length).toBe(a.length);
    a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));
  });
});

describe('zero_output_for_mask', () => {
  /** Keras 2 Sequential: Masking -> LSTM(return_sequences) with the given zero_output_for_mask. */
  function masked(zero: boolean): { modelJson: object; weights: ArrayBuffer } {
    const rng = new Rng(9);
    return {
      modelJson: {
        modelTopology: { keras_version: '2.15.0', model_config: { class_name: 'Sequential', config: { name: 's', layers: [
          { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 5, 2] } },
          { class_name: 'Masking', config: { name: 'masking', mask_value: 0 } },
          { class_name: 'LSTM', config: { name: 'lstm', units: 3, return_sequences: true, zero_output_for_mask: zero } },
        ] } } },
        weightsManifest: [{ paths: ['w.bin'], weights: [
          { name: 'lstm/lstm_cell/kernel', shape: [2, 12], dtype: 'float32' },
          { name: 'lstm/lstm_cell/recurrent_kernel', shape: [3, 12], dtype: 'float32' },
          { name: 'lstm/lstm_cell/bias', shape: [12], dtype: 'float32' },
        ] }],
      },
      weights: rng.fill(24 + 36 + 12).buffer as ArrayBuffer,
    };
  }

  test('true: masked steps of the returned sequence are zeros, valid steps as with false (Keras 2 RNN semantics)', async () => {
    const x = { data: new Rng(3).fill(2 * 5 * 2), shape: [2, 5, 2] };
    const isMasked = (b: number, t: number) => (b === 0 && t >= 3) || (b === 1 && t === 1);
    for (let b = 0; b < 2; b++) for (let t = 0; t < 5; t++) if (isMasked(b, t)) x.data.fill(0, (b * 5 + t) * 2, (b * 5 + t + 1) * 2);
    const carried = runReference(await loadLayersModel(masked(false)), [x])[0]!;
    await onGpu(await loadLayersModel(masked(true)), x, ([y]) => {
      const expected = Float32Array.from(carried.data);
      for (let b = 0; b < 2; b++) for (let t = 0; t < 5; t++) if (isMasked(b, t)) expected.fill(0, (b * 5 + t) * 3, (b * 5 + t + 1) * 3);
      expectClose(y!, { data: expected, shape: [2, 5, 3] }, GPU_TOL);
      // Without it the masked steps repeat the previous output, so the two really differ.
      expect(carried.data[(0 * 5 + 4) * 3]).not.toBe(0);
    });
  }, TIMEOUT_MS);
});

describe('quantized weights (tensorflowjs_converter --quantize_*)', () => {
  test('float16, uint8 and uint16 entries decode as tfjs decodeWeights does', async () => {
    const a = functionalArtifacts();
    const kinds = ['float16', 'uint8', 'uint16'] as const;
    const specs: tf.io.WeightsManifestEntry[] = [];
    const parts: Uint8Array[] = [];
    FUNCTIONAL_WEIGHTS.forEach(([name, shape], i) => {
      const v = a.values.get(name)!;
      const dtype = kinds[i % 3]!;
      if (dtype === 'float16') {
        specs.push({ name, shape, dtype: 'float32', quantization: { dtype } });
        parts.push(new Uint8Array(Uint16Array.from(v, toHalf).buffer));
      } else {
        const min = Math.min(...v), max = Math.max(...v);
        const levels = dtype === 'uint8' ? 255 : 65535;
        const scale = (max - min) / levels || 1;
        specs.push({ name, shape, dtype: 'float32', quantization: { dtype, scale, min } });
        const q = Array.from(v, (x) => Math.round((x - min) / scale));
        parts.push(dtype === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer));
      }
    });
    const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) { data.set(p, off); off += p.length; }
    const modelJson = { ...(a.modelJson as object), weightsManifest: [{ paths: ['q.bin'], weights: specs }] };
    const net = await loadLayersModel({ modelJson, weights: data.buffer });
    // tfjs dequantizes the same bytes; its float32 values, loaded as a plain float32 file, must give the same weights.
    const theirs = tf.io.decodeWeights(data.buffer, specs);
    const plain = Float32Array.from(FUNCTIONAL_WEIGHTS.flatMap(([name]) => Array.from(theirs[name]!.dataSync())));
    tf.dispose(Object.values(theirs));
    const reference = await loadLayersModel({ ...a, weights: plain.buffer });
    const ours = net.getWeights(), expected = reference.getWeights();
    expect(ours.length).toBe(FUNCTIONAL_WEIGHTS.length);
    ours.forEach((w, i) => expectClose({ data: w, shape: [w.length] }, { data: expected[i]!, shape: [expected[i]!.length] }, { atol: 1e-7, rtol: 1e-6 }));
    // and quantization error stays small against the original float32 values
    const original = await loadLayersModel(a);
    original.getWeights().forEach((w, i) => expectClose({ data: ours[i]!, shape: [w.length] }, { data: w, shape: [w.length] }, { atol: 4e-3, rtol: 0 }));
  });
});

/** float32 -> IEEE half (round to nearest even), enough for values in (-1, 1). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    return sign | (rem > mid || (rem === mid && half & 1) ? half + 1 : half);
  }
  const half = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  return sign | (rem > 0x1000 || (rem === 0x1000 && half & 1) ? half + 1 : half);
}
