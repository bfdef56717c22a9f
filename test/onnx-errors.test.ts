/**
 * Malformed ONNX nodes get typed errors naming the attribute or input, before anything is compiled:
 * every call here goes to a runtime whose compile() fails the test, so nothing reaches the GPU. One
 * good call on the real WebGPU runtime shows the same node shape does run.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ConfigError, InputError, type OnnxRecurrentOp, type OnnxTensor, type RnnError, type Runtime, ShapeError, UnsupportedError,
  createRuntime, runOnnxRecurrent,
} from '../src/index.js';
import { Rng } from './support/random.js';

type ErrorClass = new (...args: never[]) => RnnError;

/** A runtime that must never be asked to compile. */
const noGpu: Runtime = {
  backend: 'webgpu',
  adapterInfo: 'must not be used',
  device: undefined,
  lost: new Promise(() => {}),
  compile: () => { throw new Error('compile() was reached: validation must fail before any GPU work'); },
  dispose: () => {},
};

const rng = new Rng(7);
const t = (shape: number[]): OnnxTensor => ({ data: rng.fill(shape.reduce((a, b) => a * b, 1)), shape });
const lens = (v: number[]): OnnxTensor => ({ data: Int32Array.from(v), shape: [v.length] });

// S = 3, N = 2, I = 4, H = 5.
const S = 3, N = 2, I = 4, H = 5;
const G: Record<OnnxRecurrentOp, number> = { LSTM: 4, GRU: 3, RNN: 1 };
function good(op: OnnxRecurrentOp, D = 1): (OnnxTensor | null)[] {
  const g = G[op];
  const list = [t([S, N, I]), t([D, g * H, I]), t([D, g * H, H]), t([D, 2 * g * H]), lens([3, 2]), t([D, N, H])];
  if (op === 'LSTM') list.push(t([D, N, H]), t([D, 3 * H]));
  return list;
}

async function expectRejects(p: () => Promise<unknown>, cls: ErrorClass, ...patterns: (string | RegExp)[]) {
  let caught: unknown;
  try {
    await p();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof cls)) {
    throw new Error(`expected a ${cls.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  }
  for (const pat of patterns) {
    if (typeof pat === 'string') expect(caught.message).toContain(pat);
    else expect(caught.message).toMatch(pat);
  }
}

const run = (op: OnnxRecurrentOp, attributes: Record<string, unknown>, inputs: unknown) =>
  () => runOnnxRecurrent(noGpu, { op, attributes: attributes as never, inputs: inputs as never });

function replace(list: readonly unknown[], i: number, v: unknown): unknown[] {
  const copy = [...list];
  copy[i] = v;
  return copy;
}

describe('attributes', () => {
  test('unknown op', async () => {
    await expectRejects(run('Conv' as never, {}, good('RNN')), UnsupportedError, "'LSTM', 'GRU' or 'RNN'", 'Conv');
  });
  test('hidden_size inconsistent with R', async () => {
    await expectRejects(run('LSTM', { hidden_size: 4 }, good('LSTM')), ConfigError, "'hidden_size' is 4", 'R', 'hidden_size 5');
    await expectRejects(run('GRU', { hidden_size: 0 }, good('GRU')), ConfigError, "'hidden_size'", 'positive');
    await expectRejects(run('RNN', { hidden_size: 2.5 }, good('RNN')), ConfigError, "'hidden_size'", 'integer');
  });
  test('bad direction', async () => {
    await expectRejects(run('LSTM', { direction: 'backward' }, good('LSTM')), ConfigError, "'direction'", 'backward', 'bidirectional');
    await expectRejects(run('GRU', { direction: 1 }, good('GRU')), ConfigError, "'direction'");
  });
  test('bad layout', async () => {
    await expectRejects(run('RNN', { layout: 2 }, good('RNN')), ConfigError, "'layout'", '0 or 1', 'got 2');
    await expectRejects(run('RNN', { layout: 'batchwise' }, good('RNN')), ConfigError, "'layout'", 'integer');
  });
  test('unknown activation', async () => {
    await expectRejects(run('RNN', { activations: ['Swish'] }, good('RNN')), ConfigError, "'activations'[0]", 'Swish', 'LeakyRelu');
    await expectRejects(run('LSTM', { activations: ['Sigmoid', 'Tanh', 'Gelu'] }, good('LSTM')), ConfigError, "'activations'[2]", 'Gelu');
    await expectRejects(run('GRU', { activations: ['Sigmoid', 3] }, good('GRU')), ConfigError, "'activations'[1]", 'string');
  });
  test('wrong number of activations', async () => {
    await expectRejects(run('LSTM', { activations: ['Sigmoid', 'Tanh'] }, good('LSTM')), ConfigError, "'activations'", 'hold 3', '[f, g, h]', 'got 2');
    await expectRejects(run('GRU', { activations: ['Sigmoid', 'Tanh'], direction: 'bidirectional' }, good('GRU', 2)), ConfigError, "'activations'", 'hold 4', '2 directions', 'got 2');
    await expectRejects(run('RNN', { activations: ['Tanh', 'Tanh', 'Tanh'] }, good('RNN')), ConfigError, "'activations'", 'hold 1', 'got 3');
    await expectRejects(run('RNN', { activations: 'Tanh' }, good('RNN')), ConfigError, "'activations'", 'list');
  });
  test('bad activation_alpha / activation_beta', async () => {
    await expectRejects(run('RNN', { activations: ['LeakyRelu'], activation_alpha: 0.1 }, good('RNN')), ConfigError, "'activation_alpha'", 'list');
    await expectRejects(run('RNN', { activations: ['Affine'], activation_beta: [Number.NaN] }, good('RNN')), ConfigError, "'activation_beta'[0]", 'finite');
  });
  test('bad clip', async () => {
    await expectRejects(run('LSTM', { clip: 0 }, good('LSTM')), ConfigError, "'clip'", 'positive');
    await expectRejects(run('LSTM', { clip: -1 }, good('LSTM')), ConfigError, "'clip'");
    await expectRejects(run('GRU', { clip: '1' }, good('GRU')), ConfigError, "'clip'");
  });
  test('attributes of another op, and unknown attributes', async () => {
    await expectRejects(run('GRU', { input_forget: 1 }, good('GRU')), ConfigError, "unknown attribute 'input_forget'", 'linear_before_reset');
    await expectRejects(run('LSTM', { linear_before_reset: 1 }, good('LSTM')), ConfigError, "unknown attribute 'linear_before_reset'");
    await expectRejects(run('RNN', { hiden_size: 5 }, good('RNN')), ConfigError, "'hiden_size'");
    await expectRejects(run('LSTM', { input_forget: 0.5 }, good('LSTM')), ConfigError, "'input_forget'", 'integer');
  });
  test('attributes not an object', async () => {
    await expectRejects(() => runOnnxRecurrent(noGpu, { op: 'RNN', attributes: [1] as never, inputs: good('RNN') }), ConfigError, 'attributes');
  });
});

describe('inputs', () => {
  test('missing required inputs, too many inputs', async () => {
    await expectRejects(run('LSTM', {}, [good('LSTM')[0]!, null, good('LSTM')[2]!]), InputError, 'input 1 (W) is required');
    await expectRejects(run('GRU', {}, [good('GRU')[0]!, good('GRU')[1]!]), InputError, 'input 2 (R) is required');
    await expectRejects(run('RNN', {}, [...good('RNN'), t([1])]), ShapeError, 'at most 6 inputs');
    await expectRejects(run('RNN', {}, 'X'), InputError, 'array');
  });
  test('X of the wrong rank or empty', async () => {
    await expectRejects(run('RNN', {}, replace(good('RNN'), 0, t([S, I]))), ShapeError, 'input 0 (X)', 'rank 3', '[seq_length, batch_size, input_size]');
    await expectRejects(run('RNN', { layout: 1 }, replace(good('RNN'), 0, t([S * N, I]))), ShapeError, 'input 0 (X)', '[batch_size, seq_length, input_size]');
    await expectRejects(run('RNN', {}, replace(good('RNN'), 0, t([0, N, I]))), ShapeError, 'input 0 (X)', 'at least 1');
  });
  test('wrong W shape', async () => {
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 1, t([1, 3 * H, I]))), ShapeError, 'input 1 (W)', `[1, ${4 * H}, ${I}]`, `[1, ${3 * H}, ${I}]`);
    await expectRejects(run('GRU', {}, replace(good('GRU'), 1, t([1, 3 * H, I + 1]))), ShapeError, 'input 1 (W)', 'input_size');
    // W with one direction for a bidirectional node.
    await expectRejects(run('RNN', { direction: 'bidirectional' }, replace(good('RNN', 2), 1, t([1, H, I]))), ShapeError, 'input 1 (W)', `[2, ${H}, ${I}]`);
  });
  test('wrong R shape', async () => {
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 2, t([1, 4 * H, H, 1]))), ShapeError, 'input 2 (R)', 'rank 3');
    await expectRejects(run('GRU', {}, replace(good('GRU'), 2, t([1, 3 * H + 3, H]))), ShapeError, 'input 2 (R)', `[1, ${3 * H}, ${H}]`);
  });
  test('wrong B and P shapes', async () => {
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 3, t([1, 4 * H]))), ShapeError, 'input 3 (B)', `[1, ${8 * H}]`);
    await expectRejects(run('GRU', {}, replace(good('GRU'), 3, t([6 * H]))), ShapeError, 'input 3 (B)');
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 7, t([1, 4 * H]))), ShapeError, 'input 7 (P)', `[1, ${3 * H}]`);
  });
  test('wrong initial state shapes (and layout 1 needs [N, D, H])', async () => {
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 5, t([1, N + 1, H]))), ShapeError, 'input 5 (initial_h)', `[1, ${N}, ${H}]`);
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 6, t([N, H]))), ShapeError, 'input 6 (initial_c)');
    // The layout 0 shape [1, N, H] given to a layout 1 node.
    const batchwise = replace(replace(good('GRU'), 0, t([N, S, I])), 5, t([1, N, H]));
    await expectRejects(run('GRU', { layout: 1 }, batchwise), ShapeError, 'input 5 (initial_h)', `[${N}, 1, ${H}]`, 'layout 1');
  });
  test('sequence_lens: wrong dtype, wrong length, values outside [1, S]', async () => {
    const withLens = (v: unknown) => replace(good('GRU'), 4, v);
    await expectRejects(run('GRU', {}, withLens({ data: Float32Array.from([3, 2]), shape: [2] })), InputError, 'input 4 (sequence_lens)', 'Int32Array', 'Float32Array');
    await expectRejects(run('GRU', {}, withLens({ data: BigInt64Array.from([3n, 2n]), shape: [2] })), InputError, 'input 4 (sequence_lens)', 'Int32Array');
    await expectRejects(run('GRU', {}, withLens(lens([3, 2, 1]))), ShapeError, 'input 4 (sequence_lens)', `[${N}]`, '[3]');
    await expectRejects(run('GRU', {}, withLens(lens([3, 4]))), InputError, 'sequence_lens[1] is 4', `[1, seq_length = ${S}]`);
    await expectRejects(run('GRU', {}, withLens(lens([0, 2]))), InputError, 'sequence_lens[0] is 0', 'onnxruntime also accepts 0');
    await expectRejects(run('GRU', {}, withLens(lens([-1, 2]))), InputError, 'sequence_lens[0] is -1');
  });
  test('float inputs: wrong dtype, data length, non-finite values', async () => {
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 0, { data: new Float64Array(S * N * I), shape: [S, N, I] })), InputError, 'input 0 (X)', 'Float32Array', 'Float64Array');
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 1, { data: new Float32Array(3), shape: [1, 4 * H, I] })), InputError, 'input 1 (W)', `needs ${4 * H * I} values`, 'has 3');
    const x = t([S, N, I]);
    (x.data as Float32Array)[5] = Number.NaN;
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 0, x)), InputError, 'input 0 (X)', 'flat index 5', 'not finite');
    const r = t([1, 4 * H, H]);
    (r.data as Float32Array)[2] = Infinity;
    await expectRejects(run('LSTM', {}, replace(good('LSTM'), 2, r)), InputError, 'input 2 (R)', 'Infinity');
    await expectRejects(run('RNN', {}, replace(good('RNN'), 3, { data: new Float32Array(2 * H), shape: [1, 2 * H, -1] })), ShapeError, 'input 3 (B)', 'non-negative');
    await expectRejects(run('RNN', {}, replace(good('RNN'), 3, [1, 2])), InputError, 'input 3 (B)', '{ data, shape }');
  });
});

describe('the good node runs on WebGPU', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await createRuntime(); }, 120_000);
  afterAll(() => rt?.dispose());
  test.each(['LSTM', 'GRU', 'RNN'] as const)('%s with every input', async (op) => {
    expect(rt.backend).toBe('webgpu');
    const outs = await runOnnxRecurrent(rt, { op, inputs: good(op) });
    expect(outs.map((o) => o.shape)).toEqual(op === 'LSTM' ? [[S, 1, N, H], [1, N, H], [1, N, H]] : [[S, 1, N, H], [1, N, H]]);
    expect(outs.every((o) => o.data.every(Number.isFinite))).toBe(true);
  });
});
