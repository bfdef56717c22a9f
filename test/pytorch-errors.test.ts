/**
 * loadPyTorchRecurrent on malformed or mismatched state_dicts and options: typed errors naming the
 * tensor or option. The loader takes no runtime, so nothing it rejects can reach the GPU.
 */
import { describe, expect, test } from 'vitest';
import {
  ConfigError, FormatError, InputError, type RnnError, ShapeError, WeightError, createRuntime, loadPyTorchRecurrent,
  writeSafetensors,
} from '../src/index.js';
import { Rng } from './support/random.js';

type ErrorClass = new (...args: never[]) => RnnError;
type Dict = Record<string, { data: Float32Array; shape: number[] }>;

function expectThrows(fn: () => unknown, cls: ErrorClass, ...patterns: (string | RegExp)[]) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof cls)) throw new Error(`expected a ${cls.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  for (const p of patterns) {
    if (typeof p === 'string') expect(caught.message).toContain(p);
    else expect(caught.message).toMatch(p);
  }
}

/** A state_dict like PyTorch's for the module (input 3, hidden 4). */
function stateDict(module: 'RNN' | 'LSTM' | 'GRU', layers = 1, bidirectional = false, bias = true, I = 3, H = 4): Dict {
  const rng = new Rng(11);
  const G = { RNN: 1, LSTM: 4, GRU: 3 }[module];
  const t = (shape: number[]) => ({ data: rng.fill(shape.reduce((a, b) => a * b, 1), -0.5, 0.5), shape });
  const dict: Dict = {};
  for (let l = 0; l < layers; l++) {
    for (const sfx of bidirectional ? ['', '_reverse'] : ['']) {
      const inSize = l === 0 ? I : (bidirectional ? 2 : 1) * H;
      dict[`weight_ih_l${l}${sfx}`] = t([G * H, inSize]);
      dict[`weight_hh_l${l}${sfx}`] = t([G * H, H]);
      if (bias) {
        dict[`bias_ih_l${l}${sfx}`] = t([G * H]);
        dict[`bias_hh_l${l}${sfx}`] = t([G * H]);
      }
    }
  }
  return dict;
}

const without = (d: Dict, key: string): Dict => Object.fromEntries(Object.entries(d).filter(([k]) => k !== key));

describe('state_dict problems -> WeightError naming the tensor', () => {
  test('the good dicts load (bytes and objects)', () => {
    expect(loadPyTorchRecurrent(stateDict('LSTM', 2, true), { module: 'LSTM' }).config).toMatchObject({ numLayers: 2, bidirectional: true, hiddenSize: 4, inputSize: 3, bias: true });
    expect(loadPyTorchRecurrent(writeSafetensors(stateDict('GRU', 1, false, false)), { module: 'GRU' }).config).toMatchObject({ bias: false });
  });
  test('missing weights', () => {
    expectThrows(() => loadPyTorchRecurrent(without(stateDict('LSTM'), 'weight_hh_l0'), { module: 'LSTM' }), WeightError, "missing tensor 'weight_hh_l0'");
    expectThrows(() => loadPyTorchRecurrent(without(stateDict('GRU'), 'bias_hh_l0'), { module: 'GRU' }), WeightError, "missing tensor 'bias_hh_l0'", 'with bias');
    expectThrows(() => loadPyTorchRecurrent(without(stateDict('RNN', 2, true), 'weight_hh_l1_reverse'), { module: 'RNN' }), WeightError, "missing tensor 'weight_hh_l1_reverse'", 'bidirectional');
    expectThrows(() => loadPyTorchRecurrent(without(stateDict('RNN'), 'weight_ih_l0'), { module: 'RNN' }), WeightError, "'weight_ih_l0'");
    expectThrows(() => loadPyTorchRecurrent({}, { module: 'RNN' }), WeightError, "missing tensor 'weight_ih_l0'", 'no tensors');
    expectThrows(() => loadPyTorchRecurrent(stateDict('RNN'), { module: 'RNN', prefix: 'rnn.' }), WeightError, "missing tensor 'rnn.weight_ih_l0'");
  });
  test('shape mismatches', () => {
    const d = stateDict('LSTM', 2);
    d.weight_ih_l1 = { data: new Float32Array(16 * 5), shape: [16, 5] };
    expectThrows(() => loadPyTorchRecurrent(d, { module: 'LSTM' }), WeightError, "tensor 'weight_ih_l1' must have shape [16, 4], got [16, 5]");
    const g = stateDict('GRU');
    g.bias_ih_l0 = { data: new Float32Array(8), shape: [8] };
    expectThrows(() => loadPyTorchRecurrent(g, { module: 'GRU' }), WeightError, "tensor 'bias_ih_l0' must have shape [12], got [8]");
    // An LSTM state_dict loaded as a GRU: weight_hh_l0 [16, 4] is not [3*4, 4].
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), { module: 'GRU' }), WeightError, "'weight_hh_l0'", '[3*hidden_size, hidden_size]', '[16, 4]');
    const r = stateDict('RNN');
    r.weight_ih_l0_reverse = { data: new Float32Array(4 * 3), shape: [4, 3] };
    r.weight_hh_l0_reverse = { data: new Float32Array(4 * 5), shape: [4, 5] };
    r.bias_ih_l0_reverse = r.bias_ih_l0!;
    r.bias_hh_l0_reverse = r.bias_hh_l0!;
    expectThrows(() => loadPyTorchRecurrent(r, { module: 'RNN' }), WeightError, "tensor 'weight_hh_l0_reverse' must have shape [4, 4], got [4, 5]");
  });
  test('unexpected tensors (a layer the options do not have, half a bias)', () => {
    const d = stateDict('GRU', 2);
    expectThrows(() => loadPyTorchRecurrent(without(without(d, 'weight_ih_l1'), 'bias_ih_l1'), { module: 'GRU' }), WeightError, "unexpected tensor 'weight_hh_l1'", '1 layer');
    const nb = stateDict('LSTM', 1, false, false);
    nb.bias_hh_l0 = { data: new Float32Array(16), shape: [16] };
    expectThrows(() => loadPyTorchRecurrent(nb, { module: 'LSTM' }), WeightError, "unexpected tensor 'bias_hh_l0'", 'without bias');
  });
  test('options that contradict the tensors', () => {
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), { module: 'LSTM', hiddenSize: 8 }), WeightError, 'hiddenSize is 8', 'tensors say 4', 'weight_hh_l0');
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), { module: 'LSTM', inputSize: 2 }), WeightError, 'inputSize is 2', 'tensors say 3');
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM', 2), { module: 'LSTM', numLayers: 3 }), WeightError, 'numLayers is 3', 'tensors say 2');
    expectThrows(() => loadPyTorchRecurrent(stateDict('GRU'), { module: 'GRU', bidirectional: true }), WeightError, 'bidirectional is true', 'weight_ih_l0_reverse');
    expectThrows(() => loadPyTorchRecurrent(stateDict('GRU', 1, false, false), { module: 'GRU', bias: true }), WeightError, 'bias is true', 'bias_ih_l0');
  });
  test('non-finite weights', () => {
    const d = stateDict('RNN');
    d.weight_hh_l0!.data[3] = Number.NaN;
    expectThrows(() => loadPyTorchRecurrent(d, { module: 'RNN' }), WeightError, "tensor 'weight_hh_l0'", 'non-finite', 'NaN', 'index 3');
  });
  test('malformed safetensors bytes -> FormatError', () => {
    const bytes = writeSafetensors(stateDict('RNN'));
    expectThrows(() => loadPyTorchRecurrent(bytes.subarray(0, bytes.length - 10), { module: 'RNN' }), FormatError, 'outside the data area');
  });
});

describe('options', () => {
  test('proj_size: weight_hr and weight_hh shapes are checked against each other', () => {
    const d = stateDict('LSTM'); // hidden 4: weight_hh_l0 [16, 4]
    d.weight_hr_l0 = { data: new Float32Array(2 * 4), shape: [2, 4] };
    expectThrows(() => loadPyTorchRecurrent(d, { module: 'LSTM' }), WeightError, "'weight_hh_l0'", '[16, 2]', "'weight_hr_l0'");
    const ok = { ...d, weight_hh_l0: { data: new Float32Array(16 * 2), shape: [16, 2] } };
    expect(loadPyTorchRecurrent(ok, { module: 'LSTM' }).config).toMatchObject({ hiddenSize: 4, projSize: 2 });
    expectThrows(() => loadPyTorchRecurrent({ ...ok, weight_hr_l0: { data: new Float32Array(16), shape: [4, 4] } }, { module: 'LSTM' }), WeightError, "'weight_hr_l0'", 'proj_size < hidden_size');
    expectThrows(() => loadPyTorchRecurrent(ok, { module: 'LSTM', projSize: 3 }), WeightError, 'projSize is 3', 'weight_hr_l0');
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), { module: 'LSTM', projSize: 2 }), WeightError, 'projSize is 2', 'tensors say 0');
  });
  test('projSize on a GRU', () => {
    expectThrows(() => loadPyTorchRecurrent(stateDict('GRU'), { module: 'GRU', projSize: 2 }), ConfigError, "'projSize' applies to LSTM only");
  });
  test('bad module, nonlinearity, unknown option, timeSteps', () => {
    expectThrows(() => loadPyTorchRecurrent(stateDict('RNN'), { module: 'Transformer' as never }), ConfigError, "'RNN', 'LSTM' or 'GRU'", 'Transformer');
    expectThrows(() => loadPyTorchRecurrent(stateDict('RNN'), { module: 'RNN', nonlinearity: 'gelu' as never }), ConfigError, 'nonlinearity', 'gelu');
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), { module: 'LSTM', nonlinearity: 'relu' }), ConfigError, "'nonlinearity' applies to RNN only");
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), { module: 'LSTM', hidden_size: 4 } as never), ConfigError, "unknown option 'hidden_size'", 'hiddenSize');
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), { module: 'LSTM', timeSteps: 0 }), ConfigError, 'timeSteps');
    expectThrows(() => loadPyTorchRecurrent(stateDict('LSTM'), undefined as never), ConfigError, 'options');
  });
});

describe('run() inputs in PyTorch layout', () => {
  test('wrong input rank, feature size, data length, h0 shape', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const lstm = loadPyTorchRecurrent(stateDict('LSTM', 2), { module: 'LSTM', initialState: true });
    const compiled = await rt.compile(lstm.model);
    const x = { data: new Float32Array(5 * 2 * 3), shape: [5, 2, 3] };
    const out = await lstm.run(compiled, x);
    expect(out.output.shape).toEqual([5, 2, 4]);
    expect(out.h_n.shape).toEqual([2, 2, 4]);
    expect(out.c_n!.shape).toEqual([2, 2, 4]);
    await expect(lstm.run(compiled, { data: new Float32Array(3), shape: [3] })).rejects.toThrow(ShapeError);
    await expect(lstm.run(compiled, { data: new Float32Array(5 * 2 * 2), shape: [5, 2, 2] })).rejects.toThrow(/input_size 3, got 2/);
    await expect(lstm.run(compiled, { data: new Float32Array(7), shape: [5, 2, 3] })).rejects.toThrow(InputError);
    const badH = { data: new Float32Array(2 * 4), shape: [2, 4] };
    await expect(lstm.run(compiled, x, { h0: badH })).rejects.toThrow(/h0 must have shape \[2, 2, 4\]/);
    compiled.dispose();
    rt.dispose();
  });
});
