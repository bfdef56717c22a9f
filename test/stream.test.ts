/**
 * Stateful streaming sessions (`compiled.stream({ batch })`) on WebGPU and on the CPU backend: a
 * sequence fed in chunks of any sizes gives what running it whole gives, for every cell, stacked and
 * connected (concatenated) models and several chunkings; reset / getState / setState; typed errors;
 * a one-step call is a handful of dispatches.
 *
 * Expected values come from the float64 reference run on the whole sequence (sequence outputs) or on
 * the prefix that ends with the chunk (outputs after the chunk). Tolerance: DEFAULT_TOL (atol 1e-4,
 * rtol 1e-3; see test/support/cases.ts) for float32 GPU against float64, with T <= 13 steps. The CPU
 * backend's stream is the reference itself with float32 outputs: 1e-6.
 */
import { describe, expect, test } from 'vitest';
import {
  type Model, type Runtime, type SymbolicTensor, type Tensor, ConfigError, DisposedError, InputError, ShapeError, UnsupportedError,
  input, layers, model, runReference, sequential,
} from '../src/index.js';
import { type PlanOptions, buildPlan } from '../src/schedule/plan.js';
import { type Cell, CELLS, DEFAULT_TOL, randomizeWeights, rnn } from './support/cases.js';
import { expectClose } from './support/compare.js';
import { Rng, randomTensor, seedOf } from './support/random.js';
import { chunkSizes, joinTime, list, row, sliceTime, useGpu } from './support/seq.js';

const { gpu, cpu } = useGpu();
const CPU_TOL = { atol: 1e-6, rtol: 1e-6 };

/** Per-step outputs: rnn(rs) -> rnn(rs) -> time-distributed dense, open length. */
function stacked(cell: Cell): Model {
  return sequential([
    rnn(cell, 6, { returnSequences: true, inputShape: [null as unknown as number, 3] }),
    rnn(cell, 5, { returnSequences: true }),
    layers.dense({ units: 2 }),
  ]);
}

/** Output after the chunk: rnn(rs) -> rnn -> dense. */
function lastOutput(cell: Cell): Model {
  return sequential([
    rnn(cell, 7, { returnSequences: true, inputShape: [null as unknown as number, 2] }),
    rnn(cell, 4),
    layers.dense({ units: 3 }),
  ]);
}

/** Two inputs, a branch each (LSTM; GRU -> GRU v1), concatenated per step -> SimpleRNN; outputs the joined sequence too. */
function connected(): Model {
  const a = input({ shape: [null, 2] }), b = input({ shape: [null, 3] });
  const ya = layers.lstm({ units: 5, returnSequences: true }).apply(a);
  const yb = layers.gru({ units: 3, returnSequences: true, resetAfter: false }).apply(layers.gru({ units: 4, returnSequences: true }).apply(b));
  const joined = layers.concatenate().apply([ya, yb]) as SymbolicTensor;
  const last = layers.simpleRNN({ units: 6 }).apply(joined);
  return model({ inputs: [a, b], outputs: [layers.dense({ units: 2 }).apply(last), layers.dense({ units: 3, activation: 'tanh' }).apply(joined)] });
}

function seeded(name: string, make: () => Model, B: number, T: number): { m: Model; xs: Tensor[] } {
  const rng = new Rng(seedOf(name));
  const m = make();
  randomizeWeights(m, rng);
  const xs = m.inputs.map((t) => randomTensor(rng, [B, ...t.shape.map((d) => d ?? T)] as number[]));
  return { m, xs };
}

/**
 * Streams `xs` through `rt` in chunks of `pattern` sizes; checks each chunk's vector outputs against
 * the reference on the prefix so far, and the joined sequence outputs against the whole run.
 */
async function checkChunked(rt: Runtime, m: Model, xs: Tensor[], pattern: number[], tol: { atol: number; rtol: number }, kernel?: 'step' | 'sequence'): Promise<void> {
  const B = xs[0]!.shape[0]!, T = xs[0]!.shape[1]!;
  const run = await rt.compile(m, kernel ? { kernel } : {});
  try {
    const s = run.stream({ batch: B });
    const parts: Tensor[][] = [];
    let t0 = 0;
    for (const C of chunkSizes(T, pattern)) {
      const out = list(await s.step(xs.map((x) => sliceTime(x, t0, C))));
      t0 += C;
      const prefix = runReference(m, xs.map((x) => sliceTime(x, 0, t0)));
      out.forEach((o, i) => {
        if (o.shape.length === 3) expect(o.shape).toEqual([B, C, prefix[i]!.shape[2]]);
        else expectClose(o, prefix[i]!, tol);
      });
      parts.push(out);
    }
    const whole = runReference(m, xs);
    whole.forEach((w, i) => {
      if (w.shape.length !== 3) return;
      const joined = joinTime(parts.map((p) => p[i]!));
      expectClose(joined, w, tol);
    });
    s.dispose();
  } finally {
    run.dispose();
  }
}

const PATTERNS: number[][] = [[13], [1], [3, 5], [4], [2, 7, 1]];

/** Both recurrent kernels on WebGPU, and the CPU backend. */
describe.each(['webgpu step', 'webgpu sequence', 'cpu'] as const)('stream on %s: chunks of any sizes equal the whole run', (backend) => {
  const rt = () => (backend === 'cpu' ? cpu() : gpu());
  const tol = backend === 'cpu' ? CPU_TOL : DEFAULT_TOL;
  const kernel = backend === 'cpu' ? undefined : backend === 'webgpu step' ? 'step' : 'sequence';

  test.each(CELLS)('%s stacked, per-step outputs', async (cell) => {
    const { m, xs } = seeded(`stream stacked ${cell}`, () => stacked(cell), 3, 13);
    for (const p of PATTERNS) await checkChunked(rt(), m, xs, p, tol, kernel);
  });

  test.each(CELLS)('%s stacked, output after each chunk', async (cell) => {
    const { m, xs } = seeded(`stream last ${cell}`, () => lastOutput(cell), 2, 13);
    for (const p of [[1], [5, 2], [13]]) await checkChunked(rt(), m, xs, p, tol, kernel);
  });

  test('connected: two inputs, branches of different cells and depths, concatenated; two outputs', async () => {
    const { m, xs } = seeded('stream connected', connected, 3, 13);
    for (const p of [[1], [3, 5], [13], [6, 1]]) await checkChunked(rt(), m, xs, p, tol, kernel);
  });

  test('reset(rows) starts those rows afresh; the others continue', async () => {
    const { m, xs } = seeded('stream reset', () => lastOutput('lstm'), 2, 11);
    const run = await rt().compile(m, kernel ? { kernel } : {});
    const s = run.stream({ batch: 2 });
    await s.step(sliceTime(xs[0]!, 0, 5));
    await s.reset([1]);
    const y = (await s.step(sliceTime(xs[0]!, 5, 6))) as Tensor;
    const row0 = runReference(m, [row(xs[0]!, 0)])[0]!;
    const row1 = runReference(m, [sliceTime(row(xs[0]!, 1), 5, 6)])[0]!;
    expectClose(row(y, 0), row0, tol);
    expectClose(row(y, 1), row1, tol);
    // reset() of every row: the stream starts over.
    await s.reset();
    expect((await s.getState()).every((st) => st.data.every((v) => v === 0))).toBe(true);
    const again = (await s.step(sliceTime(xs[0]!, 0, 11))) as Tensor;
    expectClose(again, runReference(m, xs)[0]!, tol);
    run.dispose();
  });

  test('getState / setState: a second session set to the first one\'s state continues identically', async () => {
    const { m, xs } = seeded('stream state', connected, 2, 9);
    const run = await rt().compile(m, kernel ? { kernel } : {});
    const a = run.stream({ batch: 2 });
    await a.step(xs.map((x) => sliceTime(x, 0, 4)));
    const state = await a.getState();
    // LSTM h, c; GRU h; GRU h; SimpleRNN h, in model order, each [batch, units].
    expect(state.map((t) => t.shape)).toEqual([[2, 5], [2, 5], [2, 4], [2, 3], [2, 6]]);
    const b = run.stream({ batch: 2 });
    await b.setState(state);
    const ya = list(await a.step(xs.map((x) => sliceTime(x, 4, 5))));
    const yb = list(await b.step(xs.map((x) => sliceTime(x, 4, 5))));
    ya.forEach((t, i) => expectClose(yb[i]!, t, { atol: 1e-6, rtol: 1e-6 }));
    const whole = runReference(m, xs);
    expectClose(ya[0]!, whole[0]!, tol);
    run.dispose();
  });
});

describe('stream on webgpu: state, cost and errors', () => {
  test('GPU getState equals the CPU stream\'s (float64) state after the same chunks', async () => {
    const { m, xs } = seeded('stream state vs cpu', connected, 3, 10);
    const [g, c] = await Promise.all([gpu().compile(m), cpu().compile(m)]);
    const sg = g.stream({ batch: 3 }), sc = c.stream({ batch: 3 });
    for (const [t0, C] of [[0, 3], [3, 1], [4, 6]] as const) {
      const chunk = xs.map((x) => sliceTime(x, t0, C));
      await sg.step(chunk);
      await sc.step(chunk);
    }
    const [stg, stc] = await Promise.all([sg.getState(), sc.getState()]);
    stc.forEach((t, i) => expectClose(stg[i]!, t, DEFAULT_TOL));
    g.dispose();
    c.dispose();
  });

  test('a one-step call is a handful of dispatches: per recurrent layer a projection, a step and a state copy', () => {
    const m = sequential([
      layers.lstm({ units: 8, returnSequences: true, inputShape: [null, 4] }),
      layers.gru({ units: 8 }),
      layers.dense({ units: 1 }),
    ]);
    const plan = buildPlan(m, 1, [1], false, { stream: true });
    expect(plan.dispatches.length).toBeLessThanOrEqual(2 * 3 + 1);
    expect(plan.clears).toEqual([]);
    expect(plan.states.map((s) => s.count)).toEqual([2, 1]);
    expect(plan.outputs).toHaveLength(1);
  });

  test('the sequence kernels leave h in slot 0, so only the step kernels copy it back after an odd chunk', () => {
    const m = sequential([
      layers.lstm({ units: 8, returnSequences: true, inputShape: [null, 4] }),
      layers.gru({ units: 8 }),
      layers.dense({ units: 1 }),
    ]);
    const copies = (T: number, options: PlanOptions) => buildPlan(m, 1, [T], false, { stream: true, ...options })
      .dispatches.filter((d) => d.program.name.startsWith('elementwise copy')).length;
    const resident: PlanOptions = { softwareAdapter: true, maxThreads: 256 };
    const sequence: PlanOptions = { kernel: 'sequence', maxThreads: 1024 };
    const step: PlanOptions = { kernel: 'step', maxThreads: 1024 };
    for (const T of [1, 2, 3]) {
      expect(copies(T, resident), `resident, T=${T}`).toBe(0);
      expect(copies(T, sequence), `sequence, T=${T}`).toBe(0);
      expect(copies(T, step), `step, T=${T}`).toBe(T % 2 === 1 ? 2 : 0);
    }
  });

  test('streams of different chunk lengths reuse their plans (no growth across calls)', async () => {
    const { m, xs } = seeded('stream reuse', () => lastOutput('gru'), 1, 12);
    const run = await gpu().compile(m);
    const device = gpu().device!;
    const s = run.stream({ batch: 1 });
    await s.step(sliceTime(xs[0]!, 0, 1));
    await s.step(sliceTime(xs[0]!, 1, 2));
    const created: number[] = [];
    const orig = device.createBuffer.bind(device);
    device.createBuffer = ((d: GPUBufferDescriptor) => {
      created.push(d.size);
      return orig(d);
    }) as typeof device.createBuffer;
    try {
      for (let t = 3; t < 12; t += 3) {
        await s.step(sliceTime(xs[0]!, t, 1));
        await s.step(sliceTime(xs[0]!, t + 1, 2));
      }
    } finally {
      device.createBuffer = orig;
    }
    expect(created, 'buffers created by steps of already-seen chunk lengths').toEqual([]);
    run.dispose();
  });

  test('typed errors', async () => {
    const bidi = sequential([layers.bidirectional({ layer: layers.lstm({ units: 3 }), inputShape: [null, 2] })]);
    const back = sequential([layers.gru({ units: 3, goBackwards: true, inputShape: [null, 2] })]);
    const x = input({ shape: [null, 2] }), h = input({ shape: [3] });
    const init = model({ inputs: [x, h], outputs: layers.gru({ units: 3 }).apply(x, { initialState: h }) });
    for (const rt of [gpu(), cpu()]) {
      for (const [m, what] of [[bidi, 'Bidirectional'], [back, 'goBackwards'], [init, 'setState']] as const) {
        const run = await rt.compile(m);
        expect(() => run.stream({ batch: 1 })).toThrow(UnsupportedError);
        expect(() => run.stream({ batch: 1 })).toThrow(what);
        run.dispose();
      }
      const { m, xs } = seeded('stream errors', connected, 2, 4);
      const run = await rt.compile(m);
      expect(() => run.stream({ batch: 0 })).toThrow(ConfigError);
      const s = run.stream({ batch: 2 });
      await expect(s.step(xs[0]!)).rejects.toThrow(ShapeError); // one input of two
      await expect(s.step([sliceTime(xs[0]!, 0, 2), sliceTime(xs[1]!, 0, 3)])).rejects.toThrow(/chunk of 3 steps/);
      await expect(s.step([row(xs[0]!, 0), row(xs[1]!, 0)])).rejects.toThrow(/expected shape \[2, chunk, 2\]/);
      await expect(s.reset([2])).rejects.toThrow(InputError);
      await expect(s.setState([])).rejects.toThrow(/expected 5 state tensor/);
      const bad = (await s.getState()).map((t) => ({ ...t, shape: [2, 99] }));
      await expect(s.setState(bad)).rejects.toThrow(ShapeError);
      const nan = await s.getState();
      nan[0]!.data[0] = NaN;
      await expect(s.setState(nan)).rejects.toThrow(InputError);
      // Still usable after rejected calls.
      await s.step(xs.map((t) => sliceTime(t, 0, 1)));
      s.dispose();
      await expect(s.step(xs)).rejects.toThrow(DisposedError);
      const s2 = run.stream({ batch: 2 });
      run.dispose();
      await expect(s2.step(xs)).rejects.toThrow(DisposedError);
      expect(() => run.stream({ batch: 2 })).toThrow(DisposedError);
    }
  });
});
