/**
 * nn.RNN / nn.LSTM / nn.GRU state_dicts saved by real PyTorch (test/fixtures/pytorch, made by
 * scripts/make-pytorch-fixtures.py) loaded with loadPyTorchRecurrent, run on the WebGPU runtime (with
 * each recurrent kernel: one dispatch per step, and one per layer) and
 * compared element by element with PyTorch's own output, h_n and c_n (atol 2e-5, rtol 1e-4: PyTorch
 * computed in float32 on the CPU, we in float32 on the GPU). The same fixtures also run on the cpu
 * runtime (float64 reference) at atol 1e-5.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ConfigError, type PyTorchModule, type PyTorchRecurrentOptions, type Runtime, type Tensor, UnsupportedError, createRuntime,
  layers, loadPyTorchRecurrent, parseSafetensors,
} from '../src/index.js';
import { compareTensors } from './support/compare.js';

const DIR = join(import.meta.dirname, 'fixtures', 'pytorch');
const GPU_TOL = { atol: 2e-5, rtol: 1e-4 };
const CPU_TOL = { atol: 1e-5, rtol: 1e-5 };

interface JsonTensor { shape: number[]; data: number[] }
interface Fixture {
  name: string;
  dtype: string;
  options: {
    module: PyTorchModule; input_size: number; hidden_size: number; num_layers?: number; bidirectional?: boolean; bias?: boolean;
    batch_first?: boolean; nonlinearity?: 'tanh' | 'relu'; proj_size?: number;
  };
  input: JsonTensor;
  output: JsonTensor;
  h_n: JsonTensor;
  c_n?: JsonTensor;
  h0?: JsonTensor;
  c0?: JsonTensor;
  lengths?: number[];
}

/** Whether the core has LSTM output projections (PyTorch proj_size); without them the loader throws UnsupportedError. */
const coreHasProjection = 'projSize' in layers.lstm({ units: 2 }).config;

const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture);
const bytesOf = (f: Fixture) => new Uint8Array(readFileSync(join(DIR, `${f.name}.safetensors`)));
const tensor = (t: JsonTensor): Tensor => ({ data: Float32Array.from(t.data), shape: t.shape });

/** Loader options from the fixture: every other fixture spells out all sizes, the rest lets the loader read them from the tensors. */
function optionsOf(f: Fixture, index: number): PyTorchRecurrentOptions {
  const o = f.options;
  const base: PyTorchRecurrentOptions = {
    module: o.module, batchFirst: o.batch_first ?? false, initialState: f.h0 !== undefined || f.c0 !== undefined,
    ...(o.nonlinearity ? { nonlinearity: o.nonlinearity } : {}),
  };
  if (index % 2 === 1) return base;
  return {
    ...base, inputSize: o.input_size, hiddenSize: o.hidden_size, numLayers: o.num_layers ?? 1, bidirectional: o.bidirectional ?? false,
    bias: o.bias ?? true, ...(o.proj_size ? { projSize: o.proj_size } : {}),
  };
}

let gpu: Runtime, cpu: Runtime;
beforeAll(async () => {
  gpu = await createRuntime();
  cpu = await createRuntime({ backend: 'cpu' });
}, 120_000);
afterAll(() => {
  gpu?.dispose();
  cpu?.dispose();
});

test('the fixtures cover every module and option', () => {
  const has = (p: (f: Fixture) => boolean) => fixtures.some(p);
  for (const m of ['RNN', 'LSTM', 'GRU'] as const) {
    expect(has((f) => f.options.module === m), m).toBe(true);
    expect(has((f) => f.options.module === m && (f.options.num_layers ?? 1) === 2), `${m} num_layers 2`).toBe(true);
    expect(has((f) => f.options.module === m && f.options.bidirectional === true), `${m} bidirectional`).toBe(true);
    expect(has((f) => f.options.module === m && f.options.bias === false), `${m} bias=False`).toBe(true);
  }
  expect(has((f) => f.options.nonlinearity === 'relu')).toBe(true);
  expect(has((f) => f.options.module === 'RNN' && (f.options.nonlinearity ?? 'tanh') === 'tanh')).toBe(true);
  expect(has((f) => f.options.batch_first === true && f.options.module === 'LSTM')).toBe(true);
  expect(has((f) => f.options.batch_first === true && f.options.module === 'GRU')).toBe(true);
  expect(has((f) => (f.options.proj_size ?? 0) > 0)).toBe(true);
  expect(has((f) => (f.options.proj_size ?? 0) > 0 && f.options.bidirectional === true && (f.options.num_layers ?? 1) === 2 && f.lengths !== undefined && f.h0 !== undefined)).toBe(true);
  expect(has((f) => f.lengths !== undefined && f.options.bidirectional === true)).toBe(true);
  expect(new Set(fixtures.map((f) => f.dtype))).toEqual(new Set(['F32', 'F16', 'BF16', 'F64']));
});

describe('PyTorch fixtures on WebGPU and cpu', () => {
  fixtures.forEach((f, index) => {
    const projected = (f.options.proj_size ?? 0) > 0;
    test(`${f.name}${projected && !coreHasProjection ? ' (proj_size: UnsupportedError until the core supports it)' : ''}`, async () => {
      const options = optionsOf(f, index);
      if (projected && !coreHasProjection) {
        expect(() => loadPyTorchRecurrent(bytesOf(f), options)).toThrow(UnsupportedError);
        expect(() => loadPyTorchRecurrent(bytesOf(f), { ...options, projSize: undefined })).toThrow(/proj_size.*weight_hr_l0/);
        return;
      }
      expect(gpu.backend, `createRuntime() fell back to '${gpu.backend}'; these tests need WebGPU`).toBe('webgpu');
      const loaded = loadPyTorchRecurrent(bytesOf(f), options);
      expect(loaded.config.numLayers).toBe(f.options.num_layers ?? 1);
      expect(loaded.config.bidirectional).toBe(f.options.bidirectional ?? false);
      expect(loaded.config.bias).toBe(f.options.bias ?? true);
      const runOptions = {
        ...(f.h0 ? { h0: tensor(f.h0) } : {}), ...(f.c0 ? { c0: tensor(f.c0) } : {}), ...(f.lengths ? { lengths: f.lengths } : {}),
      };
      const runs = [[cpu, CPU_TOL, undefined], [gpu, GPU_TOL, 'step'], [gpu, GPU_TOL, 'sequence']] as const;
      for (const [rt, tol, kernel] of runs) {
        const compiled = await rt.compile(loaded.model, kernel ? { kernel } : {});
        try {
          rt.device?.pushErrorScope('validation');
          const out = await loaded.run(compiled, tensor(f.input), runOptions);
          const gpuError = await rt.device?.popErrorScope();
          expect(gpuError?.message ?? null).toBeNull();
          const pairs: [string, Tensor | undefined, JsonTensor | undefined][] = [['output', out.output, f.output], ['h_n', out.h_n, f.h_n], ['c_n', out.c_n, f.c_n]];
          for (const [what, actual, want] of pairs) {
            if (!want) {
              expect(actual, `${what} should be absent`).toBeUndefined();
              continue;
            }
            const report = compareTensors(actual!, want, tol);
            if (report) throw new Error(`${rt.backend}${kernel ? ` ${kernel} kernel` : ''}: ${what}:\n${report}`);
          }
        } finally {
          compiled.dispose();
        }
      }
    });
  });
});

describe('the loaded model is an ordinary model', () => {
  test('compile + predict (batch first, no helper) gives PyTorch output and per-direction h_n', async () => {
    const f = fixtures.find((k) => k.name === 'gru_bidirectional_batch_first')!;
    const loaded = loadPyTorchRecurrent(parseSafetensors(bytesOf(f)), { module: 'GRU' });
    const compiled = await gpu.compile(loaded.model);
    try {
      const out = (await compiled.predict(tensor(f.input))) as Tensor[]; // batch_first input is already [B, T, in]
      expect(out.length).toBe(3);
      const report = compareTensors(out[0]!, f.output, GPU_TOL);
      if (report) throw new Error(report);
      const [B, H] = [f.input.shape[0]!, f.options.hidden_size];
      for (let d = 0; d < 2; d++) {
        const r = compareTensors(out[1 + d]!, { data: f.h_n.data.slice(d * B * H, (d + 1) * B * H), shape: [B, H] }, GPU_TOL);
        if (r) throw new Error(`h_n direction ${d}: ${r}`);
      }
    } finally {
      compiled.dispose();
    }
  });

  test('state tensors from a bigger state_dict are found by prefix', async () => {
    const f = fixtures.find((k) => k.name === 'lstm')!;
    const st = parseSafetensors(bytesOf(f));
    const nested = Object.fromEntries(st.names.map((n) => [`encoder.rnn.${n}`, st.tensor(n)]));
    nested['head.weight'] = { dtype: 'F32', shape: [1, 6], data: new Float32Array(6) };
    const loaded = loadPyTorchRecurrent(nested, { module: 'LSTM' });
    expect(loaded.config.prefix).toBe('encoder.rnn.');
    const compiled = await gpu.compile(loaded.model);
    try {
      const out = await loaded.run(compiled, tensor(f.input));
      const report = compareTensors(out.h_n, f.h_n, GPU_TOL);
      if (report) throw new Error(report);
    } finally {
      compiled.dispose();
    }
    const two = { ...nested, ...Object.fromEntries(st.names.map((n) => [`decoder.rnn.${n}`, st.tensor(n)])) };
    expect(() => loadPyTorchRecurrent(two, { module: 'LSTM' })).toThrow(/several recurrent modules.*prefix/);
    expect(loadPyTorchRecurrent(two, { module: 'LSTM', prefix: 'decoder.rnn.' }).config.prefix).toBe('decoder.rnn.');
  });

  test('h0 without initialState, c0 for a GRU: ConfigError', async () => {
    const f = fixtures.find((k) => k.name === 'gru')!;
    const loaded = loadPyTorchRecurrent(bytesOf(f), { module: 'GRU' });
    const compiled = await cpu.compile(loaded.model);
    const h0 = { data: new Float32Array(2 * 6), shape: [1, 2, 6] };
    await expect(loaded.run(compiled, tensor(f.input), { h0 })).rejects.toThrow(ConfigError);
    await expect(loaded.run(compiled, tensor(f.input), { c0: h0 })).rejects.toThrow(/c0 applies to LSTM only/);
    compiled.dispose();
  });
});
