/**
 * Inputs already on the GPU (GpuTensor, `{ buffer, shape }`, as onnxruntime-web's
 * Tensor.fromGpuBuffer): predict() with them gives what it gives with the same values as host data
 * (the same kernels, so the same bits) and matches the float64 reference, with one or two inputs,
 * mixed with host data, with per-row lengths, and as a stream's frames. A bad buffer is a typed error
 * before any GPU work; the CPU backend and inputs long enough to run in chunks refuse GPU tensors.
 */
import { describe, expect, test } from 'vitest';
import {
  type GpuTensor, InputError, type Model, ShapeError, type SymbolicTensor, type Tensor, UnsupportedError, createRuntime, input, layers, model,
  runReference, sequential,
} from '../src/index.js';
import { DEFAULT_TOL, randomizeWeights } from './support/cases.js';
import { expectClose } from './support/compare.js';
import { Rng, randomTensor, seedOf } from './support/random.js';
import { CASE_TIMEOUT_MS, useWebGpuRuntime } from './support/variants.js';

const gpu = useWebGpuRuntime();

/** GPUBufferUsage's flags (not defined in Node's global scope). */
const STORAGE = 0x80, COPY_SRC = 0x4, COPY_DST = 0x8;

/** `t`'s values in a new buffer of the runtime's device. */
function onGpu(t: Tensor, usage = STORAGE | COPY_SRC | COPY_DST): GpuTensor {
  const device = gpu().device!;
  const buffer = device.createBuffer({ size: t.data.byteLength, usage });
  device.queue.writeBuffer(buffer, 0, t.data);
  return { buffer, shape: [...t.shape] };
}

function stacked(seed: string): { m: Model; x: Tensor } {
  const m = sequential([
    layers.lstm({ units: 20, returnSequences: true, inputShape: [9, 5] }),
    layers.gru({ units: 12 }),
    layers.dense({ units: 3 }),
  ]);
  const rng = new Rng(seedOf(seed));
  randomizeWeights(m, rng);
  return { m, x: randomTensor(rng, [3, 9, 5]) };
}

function twoInputs(seed: string): { m: Model; xs: Tensor[] } {
  const a = input({ shape: [7, 4] }), b = input({ shape: [6] });
  const h = layers.lstm({ units: 10 }).apply(a) as SymbolicTensor;
  const y = layers.dense({ units: 2 }).apply(layers.concatenate().apply([h, b]) as SymbolicTensor) as SymbolicTensor;
  const m = model({ inputs: [a, b], outputs: y });
  const rng = new Rng(seedOf(seed));
  randomizeWeights(m, rng);
  return { m, xs: [randomTensor(rng, [2, 7, 4]), randomTensor(rng, [2, 6])] };
}

describe('GPU tensors as predict() inputs', () => {
  test('a stack: the same result as host data, and the float64 reference', async () => {
    const { m, x } = stacked('gpu input stack');
    const run = await gpu().compile(m);
    const g = onGpu(x);
    // The GPU pass first: the plan's input buffer has held nothing else yet.
    const fromGpu = await run.predict(g) as Tensor;
    const fromHost = await run.predict(x) as Tensor;
    expect(fromGpu.shape).toEqual([3, 3]);
    expect(Array.from(fromGpu.data)).toEqual(Array.from(fromHost.data));
    expectClose(fromGpu, runReference(m, [x])[0]!, DEFAULT_TOL);
    // The buffer is the caller's and stays usable: the same again after the host pass.
    expect(Array.from((await run.predict(g) as Tensor).data)).toEqual(Array.from(fromHost.data));
    g.buffer.destroy();
    run.dispose();
  }, CASE_TIMEOUT_MS);

  test('two inputs, one on the GPU and one host data, and both on the GPU', async () => {
    const { m, xs } = twoInputs('gpu input two');
    const run = await gpu().compile(m);
    const ref = runReference(m, xs)[0]!;
    const gs = xs.map((t) => onGpu(t));
    // Both on the GPU first (the plan's input buffers have held nothing else yet), then each mixed with
    // host data after a pass on zeros, so that a value left in an input buffer cannot pass for a copy.
    const both = await run.predict(gs) as Tensor;
    expectClose(both, ref, DEFAULT_TOL);
    const zeros = xs.map((t) => ({ data: new Float32Array(t.data.length), shape: t.shape }));
    for (const given of [[gs[0]!, xs[1]!], [xs[0]!, gs[1]!]]) {
      await run.predict(zeros);
      const y = await run.predict(given) as Tensor;
      expect(Array.from(y.data)).toEqual(Array.from(both.data));
      expectClose(y, ref, DEFAULT_TOL);
    }
    expect(Array.from((await run.predict(xs) as Tensor).data)).toEqual(Array.from(both.data));
    for (const g of gs) g.buffer.destroy();
    run.dispose();
  }, CASE_TIMEOUT_MS);

  test('with per-row lengths', async () => {
    const { m, x } = stacked('gpu input lengths');
    const run = await gpu().compile(m);
    const lengths = [9, 4, 1];
    const y = await run.predict(onGpu(x), { lengths }) as Tensor;
    expectClose(y, runReference(m, [x], { lengths })[0]!, DEFAULT_TOL);
    run.dispose();
  }, CASE_TIMEOUT_MS);

  test('a larger buffer than the shape needs: its first values are the input', async () => {
    const { m, x } = stacked('gpu input larger');
    const run = await gpu().compile(m);
    const padded = { data: new Float32Array(x.data.length + 64).fill(7), shape: x.shape };
    padded.data.set(x.data);
    const g = onGpu(padded);
    expectClose(await run.predict(g) as Tensor, runReference(m, [x])[0]!, DEFAULT_TOL);
    run.dispose();
  }, CASE_TIMEOUT_MS);
});

describe('GPU tensors as stream inputs', () => {
  test('frames on the GPU, in chunks of 1-3 steps: the same as host frames, and the whole sequence through the reference', async () => {
    const { m, x } = stacked('gpu input stream');
    const open = sequential([
      layers.lstm({ units: 20, returnSequences: true, inputShape: [null, 5] }),
      layers.gru({ units: 12 }),
      layers.dense({ units: 3 }),
    ]);
    open.setWeights(m.getWeights());
    const run = await gpu().compile(open);
    const fromGpu = run.stream({ batch: 3 }), fromHost = run.stream({ batch: 3 });
    const [B, T, F] = x.shape as [number, number, number];
    let last: Tensor | undefined;
    for (const [t0, C] of [[0, 1], [1, 3], [4, 2], [6, 1], [7, 2]] as const) {
      const chunk = { data: new Float32Array(B * C * F), shape: [B, C, F] };
      for (let b = 0; b < B; b++) chunk.data.set(x.data.subarray((b * T + t0) * F, (b * T + t0 + C) * F), b * C * F);
      const g = onGpu(chunk);
      last = await fromGpu.step(g) as Tensor;
      expect(Array.from(last.data)).toEqual(Array.from((await fromHost.step(chunk) as Tensor).data));
      g.buffer.destroy();
    }
    expectClose(last!, runReference(m, [x])[0]!, DEFAULT_TOL);
    run.dispose();
  }, CASE_TIMEOUT_MS);
});

describe('GPU tensors: what is refused, before any GPU work', () => {
  const rejects = async (p: Promise<unknown>, cls: typeof InputError | typeof ShapeError | typeof UnsupportedError, ...parts: string[]) => {
    const e = await p.then(() => null, (err: unknown) => err);
    expect(e, 'expected a rejection').toBeInstanceOf(cls);
    for (const part of parts) expect((e as Error).message).toContain(part);
  };

  test('a buffer too small, without COPY_SRC, mapped, or not a buffer; a wrong shape', async () => {
    const { m, x } = stacked('gpu input errors');
    const run = await gpu().compile(m);
    const device = gpu().device!;
    const small = device.createBuffer({ size: x.data.byteLength - 4, usage: STORAGE | COPY_SRC });
    await rejects(run.predict({ buffer: small, shape: x.shape }), InputError, `needs ${x.data.byteLength} bytes`, `has ${x.data.byteLength - 4}`);
    const noCopy = device.createBuffer({ size: x.data.byteLength, usage: STORAGE });
    await rejects(run.predict({ buffer: noCopy, shape: x.shape }), InputError, 'COPY_SRC');
    const mapped = device.createBuffer({ size: x.data.byteLength, usage: COPY_SRC | 0x2 /* MAP_WRITE */, mappedAtCreation: true });
    await rejects(run.predict({ buffer: mapped, shape: x.shape }), InputError, 'mapped');
    await rejects(run.predict({ buffer: {} as GPUBuffer, shape: x.shape }), InputError, 'must be a GPUBuffer');
    const g = onGpu(x);
    await rejects(run.predict({ buffer: g.buffer, shape: [3, 9, 4] }), ShapeError, 'feature size 5');
    // None of that left the model unusable.
    expectClose(await run.predict(g) as Tensor, runReference(m, [x])[0]!, DEFAULT_TOL);
    for (const b of [small, noCopy, mapped, g.buffer]) b.destroy();
    run.dispose();
  }, CASE_TIMEOUT_MS);

  test('a bare Float32Array (its buffer an ArrayBuffer) is bad host data, not a GPU tensor', async () => {
    const { m } = stacked('gpu input bare array');
    const bare = new Float32Array(3 * 9 * 5) as unknown as Tensor;
    const cpu = await createRuntime({ backend: 'cpu' });
    await rejects((await cpu.compile(m)).predict(bare), InputError, 'expected { data: Float32Array');
    cpu.dispose();
    const run = await gpu().compile(m);
    await rejects(run.predict(bare), InputError, 'expected { data: Float32Array');
    run.dispose();
  }, CASE_TIMEOUT_MS);

  test('the CPU backend (predict and streams), and an input long enough to run in chunks', async () => {
    const { m, x } = stacked('gpu input refused');
    const g = onGpu(x);
    const cpu = await createRuntime({ backend: 'cpu' });
    const onCpu = await cpu.compile(m);
    await rejects(onCpu.predict(g), UnsupportedError, 'WebGPU');
    await rejects(onCpu.stream({ batch: 3 }).step(g), UnsupportedError, 'WebGPU stream');
    cpu.dispose();
    const open = sequential([layers.lstm({ units: 4, inputShape: [null, 5] })]);
    randomizeWeights(open, new Rng(1));
    const run = await gpu().compile(open, { maxStepsPerSubmit: 4 });
    await rejects(run.predict(g), UnsupportedError, 'maxStepsPerSubmit (4)');
    // Within the limit the same model takes it.
    const short = onGpu(randomTensor(new Rng(2), [3, 4, 5]));
    expect((await run.predict(short) as Tensor).shape).toEqual([3, 4]);
    g.buffer.destroy();
    short.buffer.destroy();
    run.dispose();
  }, CASE_TIMEOUT_MS);
});
