/**
 * Long sequences: predict() on an input longer than `maxStepsPerSubmit` runs it in chunks of at most
 * that many steps, one submit each, on the streaming path, so GPU memory does not grow with the
 * length. At a reduced size (T = 3000, chunks of 512) the result equals the float64 reference; the
 * buffers allocated do not depend on T; the submits are bounded.
 *
 * Tolerance: DEFAULT_TOL (atol 1e-4, rtol 1e-3). The test weights make the recurrence contracting
 * (spectral radius ~0.35, see test/support/cases.ts), so float32 rounding does not grow with T: the
 * error after 3000 steps is that of the last few dozen.
 */
import { describe, expect, test } from 'vitest';
import { type Model, type Tensor, layers, runReference, sequential } from '../src/index.js';
import { DEFAULT_TOL, randomizeWeights } from './support/cases.js';
import { expectOutputsClose } from './support/compare.js';
import { Rng, randomTensor } from './support/random.js';
import { list, useGpu } from './support/seq.js';

const { gpu } = useGpu();
const open = (F: number) => [null, F] as unknown as number[];

function lastOutput(): Model {
  const m = sequential([
    layers.lstm({ units: 8, returnSequences: true, inputShape: open(2) }), layers.gru({ units: 6 }), layers.dense({ units: 1 }),
  ]);
  randomizeWeights(m, new Rng(11));
  return m;
}

/** Counts the bytes of buffers created and the submits made while `work` runs. */
async function measure(device: GPUDevice, work: () => Promise<unknown>): Promise<{ bytes: number; largest: number; submits: number }> {
  let bytes = 0, largest = 0, submits = 0;
  const create = device.createBuffer.bind(device), submit = device.queue.submit.bind(device.queue);
  device.createBuffer = ((d: GPUBufferDescriptor) => {
    bytes += d.size;
    largest = Math.max(largest, d.size);
    return create(d);
  }) as typeof device.createBuffer;
  device.queue.submit = ((b: Iterable<GPUCommandBuffer>) => {
    submits++;
    return submit(b);
  }) as typeof device.queue.submit;
  try {
    await work();
  } finally {
    device.createBuffer = create;
    device.queue.submit = submit;
  }
  return { bytes, largest, submits };
}

describe.each(['step', 'sequence'] as const)('long sequences, %s kernel', (kernel) => {
  test('T = 3000 in chunks of 512 equals the reference; with lengths too', async () => {
    const m = lastOutput();
    const x = randomTensor(new Rng(12), [2, 3000, 2]);
    const run = await gpu().compile(m, { maxStepsPerSubmit: 512, kernel });
    const stats = await measure(gpu().device!, async () => {
      expectOutputsClose(list(await run.predict(x)), runReference(m, [x]), DEFAULT_TOL);
    });
    expect(stats.submits).toBeGreaterThanOrEqual(6);
    // No buffer holds a whole-sequence projection (3000 steps x 2 rows x 32 gates x 4 bytes = 768 kB)
    // or uniform arena (256 bytes per step dispatch: 1.5 MB); the largest is the chunk's arena.
    expect(stats.largest).toBeLessThan(3000 * 2 * 32 * 4 / 2);
    const lengths = [3000, 1234];
    expectOutputsClose(list(await run.predict(x, { lengths })), runReference(m, [x], { lengths }), DEFAULT_TOL);
    run.dispose();
  });

  test('returnSequences outputs are joined across chunks', async () => {
    const m = sequential([layers.gru({ units: 5, returnSequences: true, inputShape: open(3) }), layers.dense({ units: 2 })]);
    randomizeWeights(m, new Rng(13));
    const x = randomTensor(new Rng(14), [2, 700, 3]);
    const run = await gpu().compile(m, { maxStepsPerSubmit: 256, kernel });
    const y = (await run.predict(x)) as Tensor;
    expect(y.shape).toEqual([2, 700, 2]);
    expectOutputsClose([y], runReference(m, [x]), DEFAULT_TOL);
    run.dispose();
  });
});

describe('long sequences: memory', () => {
  test('the buffers a chunked predict allocates do not grow with T', async () => {
    const m = lastOutput();
    const device = gpu().device!;
    const sizes: number[] = [];
    for (const T of [2 * 256 + 100, 8 * 256 + 100]) {
      const run = await gpu().compile(m, { maxStepsPerSubmit: 256 });
      const x = randomTensor(new Rng(T), [1, T, 2]);
      const stats = await measure(device, () => run.predict(x));
      sizes.push(stats.bytes);
      run.dispose();
    }
    expect(sizes[1]).toBe(sizes[0]);
  });

  test('a model that cannot run in chunks (Bidirectional) falls back to one pass', async () => {
    const m = sequential([layers.bidirectional({ layer: layers.gru({ units: 4 }), inputShape: open(2) }), layers.dense({ units: 1 })]);
    randomizeWeights(m, new Rng(15));
    const x = randomTensor(new Rng(16), [1, 600, 2]);
    const run = await gpu().compile(m, { maxStepsPerSubmit: 128 });
    expectOutputsClose(list(await run.predict(x)), runReference(m, [x]), DEFAULT_TOL);
    run.dispose();
  });
});
