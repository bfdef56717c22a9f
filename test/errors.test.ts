/**
 * Bad input gets a typed error that names the layer or input and says what was expected (issue 2,
 * "What it must show" 2). Errors in predict() are checked on both backends, and on WebGPU they must
 * come before any GPU work: no buffer created, nothing submitted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ConfigError, DeviceLostError, DisposedError, InputError, type Model, RnnError, type Runtime, ShapeError, type SymbolicTensor, type Tensor,
  UnsupportedError, WeightError, createRuntime, input, layers, model, sequential,
} from '../src/index.js';
import { firstNonFinite } from '../src/graph/tensor.js';
import { Rng, randomTensor } from './support/random.js';

type ErrorClass = new (...args: never[]) => RnnError;

/** Asserts `fn` throws an instance of `cls` whose message contains every pattern. */
function expectThrows(fn: () => unknown, cls: ErrorClass, ...patterns: (string | RegExp)[]): RnnError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return checkError(caught, cls, patterns);
}

async function expectRejects(p: Promise<unknown>, cls: ErrorClass, ...patterns: (string | RegExp)[]): Promise<RnnError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  return checkError(caught, cls, patterns);
}

function checkError(caught: unknown, cls: ErrorClass, patterns: (string | RegExp)[]): RnnError {
  expect(caught, `expected a ${cls.name}, nothing was thrown`).toBeDefined();
  if (!(caught instanceof cls)) {
    throw new Error(`expected a ${cls.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  }
  expect(caught.name).toBe(cls.name);
  for (const p of patterns) {
    if (typeof p === 'string') expect(caught.message).toContain(p);
    else expect(caught.message).toMatch(p);
  }
  return caught;
}

describe('layer configuration', () => {
  test('unknown activation names the layer, the value and the allowed ones', () => {
    expectThrows(() => layers.lstm({ units: 4, activation: 'swish', name: 'enc' }), ConfigError, "'enc'", 'swish', 'tanh', /hard_?sigmoid/i);
    expectThrows(() => layers.gru({ units: 4, recurrentActivation: 'gelu', name: 'g1' }), ConfigError, "'g1'", 'gelu');
    expectThrows(() => layers.simpleRNN({ units: 4, activation: 'relu6', name: 's1' }), ConfigError, "'s1'", 'relu6');
    expectThrows(() => layers.dense({ units: 4, activation: 'sofmax', name: 'head' }), ConfigError, "'head'", 'sofmax', 'softmax');
    // softmax is a row function: dense layers only.
    expectThrows(() => layers.lstm({ units: 4, activation: 'softmax', name: 'enc2' }), ConfigError, "'enc2'", 'softmax');
  });

  test('an unknown option key (typo) names the key and the layer', () => {
    expectThrows(() => layers.lstm({ units: 4, returnSequence: true, name: 'typo' } as never), ConfigError, "'typo'", "'returnSequence'", 'returnSequences');
    expectThrows(() => layers.dense({ units: 4, activaton: 'relu', name: 'd1' } as never), ConfigError, "'d1'", "'activaton'");
    expectThrows(() => layers.concatenate({ axes: -1, name: 'cat' } as never), ConfigError, "'cat'", "'axes'");
    expectThrows(() => layers.bidirectional({ layer: layers.lstm({ units: 2 }), merge_mode: 'sum', name: 'bi' } as never), ConfigError, "'bi'", "'merge_mode'");
  });

  test('options that contradict the cell name the layer and the option', () => {
    expectThrows(() => layers.lstm({ units: 4, resetAfter: true, name: 'l1' }), ConfigError, "'l1'", 'resetAfter', 'GRU');
    expectThrows(() => layers.gru({ units: 4, unitForgetBias: true, name: 'g2' }), ConfigError, "'g2'", 'unitForgetBias', 'LSTM');
    expectThrows(() => layers.simpleRNN({ units: 4, recurrentActivation: 'sigmoid', name: 's2' }), ConfigError, "'s2'", 'recurrentActivation');
    expectThrows(() => layers.simpleRNN({ units: 4, resetAfter: false, name: 's3' }), ConfigError, "'s3'", 'resetAfter');
    expectThrows(
      () => layers.bidirectional({ layer: layers.lstm({ units: 4, goBackwards: true }), name: 'bi2' }), UnsupportedError, "'bi2'", 'goBackwards');
  });

  test('units must be a positive integer', () => {
    for (const units of [2.5, 0, -3, Number.NaN, '4', undefined]) {
      expectThrows(() => layers.lstm({ units, name: 'u' } as never), ConfigError, "'u'", "'units'", 'positive integer');
    }
    expectThrows(() => layers.dense({ units: 1.5, name: 'du' }), ConfigError, "'du'", "'units'");
  });

  test('other invalid option values', () => {
    expectThrows(() => layers.gru({ units: 3, returnSequences: 'yes', name: 'rs' } as never), ConfigError, "'rs'", 'returnSequences');
    expectThrows(() => layers.dropout({ rate: 1, name: 'dr' }), ConfigError, "'dr'", 'rate');
    expectThrows(() => layers.bidirectional({ layer: layers.gru({ units: 2 }), mergeMode: 'max' as never, name: 'bm' }), ConfigError, "'bm'", 'max', 'concat');
    expectThrows(() => layers.bidirectional({ layer: layers.dense({ units: 2 }) as never }), ConfigError, 'Bidirectional');
    expectThrows(() => layers.lstm({ units: 3, stateful: true, name: 'st' }), UnsupportedError, "'st'", 'stateful');
  });
});

describe('model construction', () => {
  test('sequential without inputShape names the first layer', () => {
    expectThrows(() => sequential([layers.lstm({ units: 3, name: 'first' }), layers.dense({ units: 1 })]), ConfigError, "'first'", 'inputShape');
  });

  test('concatenate of mismatched shapes names the layer and both shapes', () => {
    const a = input({ shape: [7, 2] }), b = input({ shape: [5, 2] });
    const ya = layers.lstm({ units: 3, returnSequences: true }).apply(a) as SymbolicTensor;
    const yb = layers.lstm({ units: 3, returnSequences: true }).apply(b) as SymbolicTensor;
    expectThrows(() => layers.concatenate({ name: 'join' }).apply([ya, yb]), ShapeError, "'join'", '[7, 3]', '[5, 3]');
    // A sequence output and a vector output have different ranks.
    const yc = layers.gru({ units: 4 }).apply(a) as SymbolicTensor;
    expectThrows(() => layers.concatenate({ name: 'join2' }).apply([ya, yc]), ShapeError, "'join2'", 'rank');
    expectThrows(() => layers.concatenate({ name: 'join3' }).apply([ya]), ShapeError, "'join3'", 'at least 2');
  });

  test('a disconnected graph names the tensor that cannot be reached', () => {
    const a = input({ shape: [7, 2] }), b = input({ shape: [7, 2] });
    const y = layers.lstm({ units: 3, name: 'from_b' }).apply(b) as SymbolicTensor;
    expectThrows(() => model({ inputs: a, outputs: y, name: 'broken' }), ConfigError, "'broken'", 'disconnected');
    // Two inputs feeding a concatenate, only one declared.
    const j = layers.concatenate().apply([layers.gru({ units: 2 }).apply(a) as SymbolicTensor, y]) as SymbolicTensor;
    expectThrows(() => model({ inputs: a, outputs: j, name: 'half' }), ConfigError, "'half'", 'disconnected');
  });

  test('a recurrent layer on a non-sequence input names the layer and the rank it expected', () => {
    const x = input({ shape: [8] });
    expectThrows(() => layers.lstm({ units: 3, name: 'needs_seq' }).apply(x), ShapeError, "'needs_seq'", 'rank 3');
  });

  test('a layer applied again to a different shape names the layer and both shapes', () => {
    const l = layers.gru({ units: 3, name: 'shared_gru' });
    l.apply(input({ shape: [7, 2] }));
    expectThrows(() => l.apply(input({ shape: [7, 5] })), ShapeError, "'shared_gru'", '[7, 2]', '[7, 5]');
  });

  test('initialState of the wrong count or size names the layer', () => {
    const x = input({ shape: [7, 2] });
    expectThrows(() => layers.lstm({ units: 4, name: 'needs_hc' }).apply(x, { initialState: [input({ shape: [4] })] }), ShapeError, "'needs_hc'", '[h, c]');
    expectThrows(() => layers.gru({ units: 4, name: 'h_size' }).apply(x, { initialState: [input({ shape: [5] })] }), ShapeError, "'h_size'", '[batch, 4]');
    expectThrows(
      () => layers.bidirectional({ layer: layers.gru({ units: 4 }), name: 'bi_init' }).apply(x, { initialState: [input({ shape: [4] })] }),
      ShapeError, "'bi_init'", '2 tensors');
  });

  test('unsupported concatenation axis', () => {
    const a = input({ shape: [7, 2] });
    const ya = layers.lstm({ units: 3, returnSequences: true }).apply(a) as SymbolicTensor;
    const yb = layers.gru({ units: 3, returnSequences: true }).apply(a) as SymbolicTensor;
    expectThrows(() => layers.concatenate({ axis: 1, name: 'time_cat' }).apply([ya, yb]), UnsupportedError, "'time_cat'", 'axis');
  });

  test('input() with a bad shape', () => {
    expectThrows(() => input({ shape: [7, 2, 3], name: 'cube' }), ShapeError, 'cube', 'shape');
    expectThrows(() => input({ shape: [7, 0], name: 'empty' }), ShapeError, 'empty');
    expectThrows(() => input({ shape: [7, null], name: 'openf' }), ShapeError, 'openf');
  });
});

/** LSTM(4) -> dense(2) on [5, 3], named so messages can be checked. */
function smallModel(): Model {
  return sequential([layers.lstm({ units: 4, inputShape: [5, 3], name: 'enc_lstm' }), layers.dense({ units: 2, name: 'head' })], { name: 'small' });
}

describe('weights', () => {
  test('the wrong number of weight arrays names every layer and its count', () => {
    const m = smallModel();
    const w = m.getWeights();
    expect(w.map((a) => a.length)).toEqual([3 * 16, 4 * 16, 16, 4 * 2, 2]);
    expectThrows(() => m.setWeights(w.slice(0, 4)), WeightError, "'small'", 'expected 5', 'enc_lstm: 3', 'head: 2', 'got 4');
    expectThrows(() => m.setWeights([...w, new Float32Array(1)]), WeightError, 'got 6');
    expectThrows(() => m.setWeights('weights' as never), WeightError, "'small'");
  });

  test('a weight of the wrong size names the layer, the weight and its shape', () => {
    const m = smallModel();
    const w = m.getWeights();
    w[1] = new Float32Array(4 * 12);
    expectThrows(() => m.setWeights(w), WeightError, "'enc_lstm'", 'recurrent_kernel', '[4,16]', '64', 'got 48');
    const w2 = m.getWeights();
    w2[4] = new Float32Array(3);
    expectThrows(() => m.setWeights(w2), WeightError, "'head'", 'bias', 'got 3');
    const w3 = m.getWeights();
    w3[0] = 5 as never;
    expectThrows(() => m.setWeights(w3), WeightError, "'enc_lstm'", 'kernel');
  });

  test('a GRU resetAfter bias must be [2, 3 * units]; resetAfter false takes [3 * units]', () => {
    const after = sequential([layers.gru({ units: 2, inputShape: [3, 1], name: 'gru_after' })]);
    const before = sequential([layers.gru({ units: 2, inputShape: [3, 1], resetAfter: false, name: 'gru_before' })]);
    expect(after.getWeights()[2]!.length).toBe(12);
    expect(before.getWeights()[2]!.length).toBe(6);
    const wa = after.getWeights();
    wa[2] = new Float32Array(6);
    expectThrows(() => after.setWeights(wa), WeightError, "'gru_after'", 'bias', '[2,6]');
  });

  test('NaN or Infinity in a weight names the layer, the weight and the index', () => {
    const m = smallModel();
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const w = m.getWeights();
      w[2]![7] = bad;
      expectThrows(() => m.setWeights(w), WeightError, "'enc_lstm'", 'bias', 'index 7', String(bad));
    }
  });

  test('a rejected setWeights changes nothing', () => {
    const m = smallModel();
    const before = m.getWeights();
    const w = m.getWeights().map((a) => a.map(() => 0.5));
    w[4] = new Float32Array([1, Number.NaN]);
    expect(() => m.setWeights(w)).toThrow(WeightError);
    expect(m.getWeights()).toEqual(before);
  });
});

/** A model with two named sequence inputs of different lengths and an initial-state input. */
function twoInputModel(): Model {
  const a = input({ shape: [7, 3], name: 'prices' });
  const b = input({ shape: [null, 2], name: 'volumes' });
  const h0 = input({ shape: [5], name: 'h0' });
  const ya = layers.gru({ units: 5 }).apply(a, { initialState: h0 }) as SymbolicTensor;
  const yb = layers.lstm({ units: 4 }).apply(b) as SymbolicTensor;
  const j = layers.concatenate().apply([ya, yb]) as SymbolicTensor;
  return model({ inputs: [a, b, h0], outputs: layers.dense({ units: 1 }).apply(j) as SymbolicTensor, name: 'two_in' });
}

function goodInputs(B = 3): Tensor[] {
  const rng = new Rng(7);
  return [randomTensor(rng, [B, 7, 3]), randomTensor(rng, [B, 9, 2]), randomTensor(rng, [B, 5])];
}

/** Counts buffer creations and submits on the device while `fn` runs. */
async function gpuWorkDuring(device: GPUDevice | undefined, fn: () => Promise<void>): Promise<{ buffers: number; submits: number }> {
  const counts = { buffers: 0, submits: 0 };
  if (!device) {
    await fn();
    return counts;
  }
  const queue = device.queue;
  const createBuffer = device.createBuffer, submit = queue.submit;
  device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
    counts.buffers++;
    return createBuffer.call(this, d);
  };
  queue.submit = function (this: GPUQueue, cbs: Iterable<GPUCommandBuffer>) {
    counts.submits++;
    return submit.call(this, cbs);
  };
  try {
    await fn();
  } finally {
    // Restore the prototype methods.
    delete (device as { createBuffer?: unknown }).createBuffer;
    delete (queue as { submit?: unknown }).submit;
  }
  return counts;
}

describe.each(['cpu', 'webgpu'] as const)('predict input checks on the %s backend', (backend) => {
  let rt: Runtime;
  let run: Awaited<ReturnType<Runtime['compile']>>;
  let m: Model;

  beforeAll(async () => {
    rt = await createRuntime({ backend });
    m = twoInputModel();
    if (rt.backend === backend) run = await rt.compile(m);
  }, 300_000);

  afterAll(() => {
    rt?.dispose();
  });

  function ready() {
    expect(rt.backend, `createRuntime({ backend: '${backend}' }) gave '${rt.backend}'`).toBe(backend);
    return run;
  }

  /** Expects predict(inputs) to reject with `cls` naming `patterns`, without touching the GPU. */
  async function expectBadInput(inputs: unknown, cls: ErrorClass, ...patterns: (string | RegExp)[]) {
    const r = ready();
    const work = await gpuWorkDuring(rt.device, async () => {
      await expectRejects(r.predict(inputs as Tensor[]), cls, ...patterns);
    });
    expect(work, 'GPU work before the input check failed').toEqual({ buffers: 0, submits: 0 });
  }

  test('the good inputs run (so the failures below are about the inputs)', async () => {
    const r = ready();
    const y = (await r.predict(goodInputs())) as Tensor;
    expect(y.shape).toEqual([3, 1]);
    expect(y.data.every(Number.isFinite)).toBe(true);
  });

  test('the GPU spy sees the work of a good call', async () => {
    const r = ready();
    const work = await gpuWorkDuring(rt.device, async () => { await r.predict(goodInputs()); });
    if (backend === 'webgpu') expect(work.submits).toBeGreaterThan(0);
  });

  test('wrong input count', async () => {
    const x = goodInputs();
    await expectBadInput(x.slice(0, 2), ShapeError, "'two_in'", 'takes 3 input(s)', 'got 2');
    await expectBadInput([...x, x[2]!], ShapeError, 'got 4');
    await expectBadInput(x[0]!, ShapeError, 'got 1');
  });

  test('wrong rank names the input', async () => {
    const x = goodInputs();
    x[0] = { data: new Float32Array(3 * 21), shape: [3, 21] };
    await expectBadInput(x, ShapeError, "'prices'", 'input 0', 'rank 3', 'got rank 2');
    const y = goodInputs();
    y[2] = { data: new Float32Array(15), shape: [3, 1, 5] };
    await expectBadInput(y, ShapeError, "'h0'", 'rank 2');
  });

  test('wrong feature size names the input and the size expected', async () => {
    const x = goodInputs();
    x[1] = { data: new Float32Array(3 * 9 * 4), shape: [3, 9, 4] };
    await expectBadInput(x, ShapeError, "'volumes'", 'feature size 2', 'got 4');
    const y = goodInputs();
    y[2] = { data: new Float32Array(3 * 6), shape: [3, 6] };
    await expectBadInput(y, ShapeError, "'h0'", 'feature size 5', 'got 6');
  });

  test('wrong time steps for a fixed-length input', async () => {
    const x = goodInputs();
    x[0] = { data: new Float32Array(3 * 8 * 3), shape: [3, 8, 3] };
    await expectBadInput(x, ShapeError, "'prices'", 'time steps 7', 'got 8');
  });

  test('mismatched batch between inputs', async () => {
    const x = goodInputs();
    x[1] = randomTensor(new Rng(1), [4, 9, 2]);
    await expectBadInput(x, ShapeError, "'volumes'", 'batch size 4', '3');
    const y = goodInputs();
    y[2] = randomTensor(new Rng(1), [2, 5]);
    await expectBadInput(y, ShapeError, "'h0'", 'batch');
  });

  test('data length not matching the shape', async () => {
    const x = goodInputs();
    x[0] = { data: new Float32Array(3 * 7 * 3 - 1), shape: [3, 7, 3] };
    await expectBadInput(x, InputError, "'prices'", `needs ${3 * 7 * 3}`, `${3 * 7 * 3 - 1}`);
  });

  test('NaN or Infinity in the inputs names the input and the index', async () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const x = goodInputs();
      x[1]!.data[11] = bad;
      await expectBadInput(x, InputError, "'volumes'", 'index 11', String(bad));
    }
    const y = goodInputs();
    y[2]!.data[0] = Number.NaN;
    await expectBadInput(y, InputError, "'h0'", 'index 0');
  });

  test('data that is not a Float32Array, or not a tensor at all', async () => {
    const x = goodInputs();
    x[0] = { data: Array.from(x[0]!.data) as never, shape: x[0]!.shape };
    await expectBadInput(x, InputError, "'prices'", 'Float32Array');
    const y = goodInputs();
    y[1] = null as never;
    await expectBadInput(y, InputError, "'volumes'");
    const z = goodInputs();
    z[0] = { data: z[0]!.data, shape: [3, 7.5, 3] };
    await expectBadInput(z, ShapeError, "'prices'", 'positive integer');
  });

  test('bad lengths option', async () => {
    const r = ready();
    await expectRejects(r.predict(goodInputs(), { lengths: [1, 2] }), InputError, 'lengths', '3');
    await expectRejects(r.predict(goodInputs(), { lengths: [1, 0, 2] }), InputError, 'lengths[1]');
    await expectRejects(r.predict(goodInputs(), { lengths: [1, 2, 10] }), InputError, 'lengths[2]', '10');
  });

  test('after a rejected call the compiled model still works', async () => {
    const r = ready();
    const x = goodInputs();
    x[0]!.data[0] = Number.NaN;
    await expect(r.predict(x)).rejects.toThrow(InputError);
    const y = (await r.predict(goodInputs())) as Tensor;
    expect(y.shape).toEqual([3, 1]);
  });
});

describe.each(['cpu', 'webgpu'] as const)('dispose on the %s backend', (backend) => {
  test('predict after run.dispose() rejects with DisposedError naming the model', async () => {
    const rt = await createRuntime({ backend });
    try {
      expect(rt.backend).toBe(backend);
      const m = smallModel();
      const run = await rt.compile(m);
      const x = randomTensor(new Rng(3), [2, 5, 3]);
      await run.predict(x);
      run.dispose();
      await expectRejects(run.predict(x), DisposedError, "'small'");
      // Even a bad input gets DisposedError: the model is gone, its inputs do not matter.
      await expectRejects(run.predict([]), DisposedError);
    } finally {
      rt.dispose();
    }
  }, 120_000);

  test('compile after runtime dispose, and predict on a model compiled before it, reject with DisposedError', async () => {
    const rt = await createRuntime({ backend });
    expect(rt.backend).toBe(backend);
    const m = smallModel();
    const run = await rt.compile(m);
    rt.dispose();
    await expectRejects(rt.compile(m), DisposedError, 'runtime');
    await expectRejects(run.predict(randomTensor(new Rng(3), [2, 5, 3])), DisposedError);
    expect(() => rt.dispose()).not.toThrow();
  }, 120_000);

  test('compile of something that is not a model', async () => {
    const rt = await createRuntime({ backend });
    try {
      await expectRejects(rt.compile({ layers: [] } as never), UnsupportedError, 'sequential() or model()');
    } finally {
      rt.dispose();
    }
  }, 120_000);
});

test('createRuntime with an unknown backend', async () => {
  await expectRejects(createRuntime({ backend: 'tpu' as never }), UnsupportedError, 'tpu', "'webgpu'", "'cpu'");
});

test('every error class carries a stable code and its own name', () => {
  const cases: [RnnError, string][] = [
    [new ShapeError('x'), 'SHAPE'], [new WeightError('x'), 'WEIGHT'], [new ConfigError('x'), 'CONFIG'],
    [new UnsupportedError('x'), 'UNSUPPORTED'], [new InputError('x'), 'INPUT'], [new DisposedError('x'), 'DISPOSED'],
  ];
  for (const [e, code] of cases) {
    expect(e).toBeInstanceOf(RnnError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(code);
    expect(e.name).toBe(e.constructor.name);
  }
});

describe('compile options and device limits on webgpu', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime();
  });
  afterAll(() => rt?.dispose());

  test('unknown kernel, precision or fuseInput options name the option', async () => {
    expect(rt.backend).toBe('webgpu');
    const net = sequential([layers.lstm({ units: 3, inputShape: [2, 1] })]);
    await expectRejects(rt.compile(net, { kernel: 'fast' as never }), ConfigError, "'kernel'", "'sequence'");
    await expectRejects(rt.compile(net, { precision: 'f64' as never }), ConfigError, "'precision'", "'f16'");
    await expectRejects(rt.compile(net, { fuseInput: 'yes' as never }), ConfigError, "'fuseInput'", 'true or false');
  });

  test("weights over the device's storage binding limit are refused before upload, naming the layer", async () => {
    expect(rt.backend).toBe('webgpu');
    const limit = rt.device!.limits.maxStorageBufferBindingSize;
    // A dense kernel just over the limit (inputs x units floats).
    const units = Math.ceil(limit / 4 / 1024) + 1;
    const net = sequential([layers.dense({ units, inputShape: [1024], name: 'too_big' })]);
    await expectRejects(rt.compile(net), UnsupportedError, "'too_big'", 'maxStorageBufferBindingSize');
  });
});

describe('device loss', () => {
  test('a lost device resolves runtime.lost and fails later calls with DeviceLostError', async () => {
    const owner = await createRuntime();
    expect(owner.backend).toBe('webgpu');
    // A device of our own, handed to a second runtime, then destroyed behind its back.
    const gpu = (await import('webgpu')).create([]);
    const gpuAdapter = await gpu.requestAdapter();
    const device = await gpuAdapter!.requestDevice();
    const rt = await createRuntime({ device });
    const net = sequential([layers.gru({ units: 4, inputShape: [3, 2] })]);
    const run = await rt.compile(net);
    const x = { data: new Float32Array(6).fill(0.5), shape: [1, 3, 2] };
    await run.predict(x);
    device.destroy();
    const lost = await rt.lost;
    expect(lost).toBeInstanceOf(DeviceLostError);
    await expectRejects(run.predict(x), DeviceLostError, 'lost');
    rt.dispose();
    owner.dispose();
    // Dawn frees an instance whose JS object is collected: keep it referenced to the end.
    expect(gpu).toBeDefined();
  });

  test('the cpu backend never reports a lost device', async () => {
    const rt = await createRuntime({ backend: 'cpu' });
    const winner = await Promise.race([rt.lost.then(() => 'lost'), new Promise((r) => setTimeout(() => r('alive'), 50))]);
    expect(winner).toBe('alive');
  });
});

describe('firstNonFinite (the finiteness check of inputs and weights)', () => {
  test('finds the first NaN or ±Infinity at every position of short arrays, and -1 for finite data', () => {
    // Finite extremes: the largest float32 both ways, the smallest denormal, -0.
    const extremes = [3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, -0];
    for (let n = 0; n <= 9; n++) {
      const finite = Float32Array.from({ length: n }, (_, i) => extremes[i % 4]! * (i < 4 ? 1 : 0.5));
      expect(firstNonFinite(finite)).toBe(-1);
      for (let at = 0; at < n; at++) {
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          const x = finite.slice();
          x[at] = bad;
          expect(firstNonFinite(x)).toBe(at); // alone, at each of the four accumulators' positions
          if (at + 2 < n) {
            x[at + 2] = Number.NaN; // a later bad value does not hide the first
            expect(firstNonFinite(x)).toBe(at);
          }
        }
      }
    }
  });
});
