/**
 * layers.masking({ maskValue }) as in Keras: a step is valid when any feature differs from maskValue,
 * the output zeroes the others, and the mask travels through returnSequences recurrent layers,
 * Dropout, Dense on sequences and Concatenate (AND of its inputs' masks, an unmasked input counting as
 * valid) into every recurrent layer downstream, both directions of a Bidirectional included. On the
 * GPU a small kernel (shaders/mask.wgsl) writes each consuming layer's mask: nothing goes through the
 * CPU.
 *
 * Checked on WebGPU and the CPU backend against the float64 reference (DEFAULT_TOL: atol 1e-4, rtol
 * 1e-3, T <= 10; see test/support/cases.ts), and against @tensorflow/tfjs-layers (float32 both sides:
 * |ours - tfjs| <= 2e-5 + 1e-4 |tfjs|). Masks have interior, leading and trailing gaps and a fully
 * masked row. Streaming a masked model in chunks equals the whole run.
 */
import { describe, expect, test } from 'vitest';
import {
  type Model, type SymbolicTensor, type Tensor, ConfigError, ShapeError, input, layers, model, runReference, sequential,
} from '../src/index.js';
import { DEFAULT_TOL, randomizeWeights } from './support/cases.js';
import { expectClose, expectOutputsClose } from './support/compare.js';
import { Rng, randomTensor, seedOf } from './support/random.js';
import { chunkSizes, list, sliceTime, tfjsPredict, tfl, useGpu } from './support/seq.js';

const { gpu, cpu } = useGpu();
const TFJS_TOL = { atol: 2e-5, rtol: 1e-4 };
const B = 4, T = 10;
const open = (F: number) => [null, F] as unknown as number[];
const R = { recurrentInitializer: 'glorotUniform' } as const; // tfjs' orthogonal default needs chained ops
const S = { recurrentActivation: 'sigmoid' } as const;

/**
 * Sets x[b, t, :] = value on a pattern of steps: row 0 none, row 1 interior and trailing, row 2
 * leading and interior, row 3 every step.
 */
function punch(x: Tensor, value: number, shift = 0): Tensor {
  const [, TT, F] = x.shape as [number, number, number];
  const data = x.data.slice();
  const masked: Record<number, (t: number) => boolean> = {
    0: () => false,
    1: (t) => t === 3 + shift || t === 4 + shift || t >= TT - 2,
    2: (t) => t < 2 + shift || t === 6,
    3: () => true,
  };
  for (let b = 0; b < x.shape[0]!; b++) for (let t = 0; t < TT; t++) if (masked[b % 4]!(t)) data.fill(value, (b * TT + t) * F, (b * TT + t + 1) * F);
  return { data, shape: [...x.shape] };
}

interface MaskCase {
  name: string;
  make: () => Model;
  inputs: (rng: Rng) => Tensor[];
  /** The same model in tfjs-layers, when tfjs supports it. */
  tfjs?: () => { inputs: tfl.SymbolicTensor | tfl.SymbolicTensor[]; outputs: tfl.SymbolicTensor | tfl.SymbolicTensor[] };
  lengths?: number[];
}

const tfIn = (F: number) => tfl.input({ shape: [null, F] });
const ap = (l: { apply: (x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => unknown }, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => l.apply(x) as tfl.SymbolicTensor;

const CASES: MaskCase[] = [
  {
    name: 'masking -> lstm rs -> gruV1 rs -> time-distributed dense (stacked propagation)',
    make: () => sequential([
      layers.masking({ inputShape: open(3) }), layers.lstm({ units: 6, returnSequences: true, ...S }),
      layers.gru({ units: 5, returnSequences: true, resetAfter: false, ...S }), layers.dense({ units: 2 }),
    ]),
    inputs: (rng) => [punch(randomTensor(rng, [B, T, 3]), 0)],
    tfjs: () => {
      const x = tfIn(3);
      let y = ap(tfl.layers.masking({ maskValue: 0 }), x);
      y = ap(tfl.layers.lstm({ units: 6, returnSequences: true, ...S, ...R }), y);
      y = ap(tfl.layers.gru({ units: 5, returnSequences: true, ...S, ...R }), y);
      return { inputs: x, outputs: ap(tfl.layers.dense({ units: 2 }), y) };
    },
  },
  {
    name: 'masking(-1) -> dropout -> bidirectional gruV1 rs concat -> lstm -> dense (both directions)',
    make: () => sequential([
      layers.masking({ maskValue: -1, inputShape: open(2) }), layers.dropout({ rate: 0.3 }),
      layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true, resetAfter: false, ...S }) }),
      layers.lstm({ units: 5, ...S }), layers.dense({ units: 1 }),
    ]),
    inputs: (rng) => [punch(randomTensor(rng, [B, T, 2]), -1)],
    // tfjs' Bidirectional carries outputs at masked steps where Keras writes zeros, but the LSTM after
    // it skips those steps, so the model outputs agree.
    tfjs: () => {
      const x = tfIn(2);
      let y = ap(tfl.layers.masking({ maskValue: -1 }), x);
      y = ap(tfl.layers.dropout({ rate: 0.3 }), y);
      y = ap(tfl.layers.bidirectional({ layer: tfl.layers.gru({ units: 4, returnSequences: true, ...S, ...R }) as tfl.RNN }), y);
      y = ap(tfl.layers.lstm({ units: 5, ...S, ...R }), y);
      return { inputs: x, outputs: ap(tfl.layers.dense({ units: 1 }), y) };
    },
  },
  {
    name: 'masking -> dense (sequence) -> simpleRNN rs returnState and bidirectional lstm sum last output',
    make: () => {
      const x = input({ shape: [null, 3] });
      const d = layers.dense({ units: 4, activation: 'tanh' }).apply(layers.masking().apply(x)) as SymbolicTensor;
      const [seq, h] = layers.simpleRNN({ units: 5, returnSequences: true, returnState: true }).apply(d) as SymbolicTensor[];
      const last = layers.bidirectional({ layer: layers.lstm({ units: 3 }), mergeMode: 'sum' }).apply(d) as SymbolicTensor;
      return model({ inputs: x, outputs: [seq!, h!, last] });
    },
    inputs: (rng) => [punch(randomTensor(rng, [B, T, 3]), 0, 1)],
    tfjs: () => {
      const x = tfIn(3);
      const d = ap(tfl.layers.dense({ units: 4, activation: 'tanh' }), ap(tfl.layers.masking({ maskValue: 0 }), x));
      const [seq, h] = tfl.layers.simpleRNN({ units: 5, returnSequences: true, returnState: true, ...R }).apply(d) as tfl.SymbolicTensor[];
      const last = ap(tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 3, ...S, ...R }) as tfl.RNN, mergeMode: 'sum' }), d);
      return { inputs: x, outputs: [seq!, h!, last] };
    },
  },
  {
    name: 'concatenate: masked branch AND unmasked branch -> gruV1 last output',
    make: () => {
      const a = input({ shape: [null, 2] }), b = input({ shape: [null, 3] });
      const ya = layers.lstm({ units: 4, returnSequences: true, ...S }).apply(layers.masking().apply(a));
      const yb = layers.simpleRNN({ units: 3, returnSequences: true }).apply(b);
      const joined = layers.concatenate().apply([ya, yb]) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: layers.gru({ units: 5, resetAfter: false, ...S }).apply(joined) });
    },
    inputs: (rng) => [punch(randomTensor(rng, [B, T, 2]), 0), randomTensor(rng, [B, T, 3])],
    tfjs: () => {
      const a = tfIn(2), b = tfIn(3);
      const ya = ap(tfl.layers.lstm({ units: 4, returnSequences: true, ...S, ...R }), ap(tfl.layers.masking({ maskValue: 0 }), a));
      const yb = ap(tfl.layers.simpleRNN({ units: 3, returnSequences: true, ...R }), b);
      const joined = ap(tfl.layers.concatenate(), [ya, yb]);
      return { inputs: [a, b], outputs: ap(tfl.layers.gru({ units: 5, ...S, ...R }), joined) };
    },
  },
  {
    name: 'two Masking layers (0 and 0.1) concatenated: the AND of both masks',
    make: () => {
      const a = input({ shape: [null, 2] }), b = input({ shape: [null, 2] });
      const joined = layers.concatenate().apply([layers.masking().apply(a), layers.masking({ maskValue: 0.1 }).apply(b)]) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: layers.lstm({ units: 4, returnSequences: true, ...S }).apply(joined) });
    },
    inputs: (rng) => [punch(randomTensor(rng, [B, T, 2]), 0), punch(randomTensor(rng, [B, T, 2]), 0.1, 2)],
    tfjs: () => {
      const a = tfIn(2), b = tfIn(2);
      const joined = ap(tfl.layers.concatenate(), [ap(tfl.layers.masking({ maskValue: 0 }), a), ap(tfl.layers.masking({ maskValue: 0.1 }), b)]);
      return { inputs: [a, b], outputs: ap(tfl.layers.lstm({ units: 4, returnSequences: true, ...S, ...R }), joined) };
    },
  },
  {
    name: 'a masked tensor concatenated with itself (one buffer copied into its own second slice)',
    make: () => {
      const x = input({ shape: [null, 2] });
      const d = layers.dense({ units: 3 }).apply(layers.masking().apply(x)) as SymbolicTensor;
      return model({ inputs: x, outputs: layers.lstm({ units: 4, ...S }).apply(layers.concatenate().apply([d, d])) });
    },
    inputs: (rng) => [punch(randomTensor(rng, [B, T, 2]), 0)],
    tfjs: () => {
      const x = tfIn(2);
      const d = ap(tfl.layers.dense({ units: 3 }), ap(tfl.layers.masking({ maskValue: 0 }), x));
      return { inputs: x, outputs: ap(tfl.layers.lstm({ units: 4, ...S, ...R }), ap(tfl.layers.concatenate(), [d, d])) };
    },
  },
  {
    name: 'masking output itself, and masking combined with predict lengths (AND)',
    make: () => {
      const x = input({ shape: [null, 3] });
      const m = layers.masking({ maskValue: 0.5 }).apply(x) as SymbolicTensor;
      return model({ inputs: x, outputs: [m, layers.gru({ units: 6, returnSequences: true }).apply(m), layers.lstm({ units: 3 }).apply(m)] });
    },
    inputs: (rng) => [punch(randomTensor(rng, [B, T, 3]), 0.5)],
    lengths: [10, 6, 9, 3],
  },
];

/** Both recurrent kernels on WebGPU, and the CPU backend. */
const VARIANTS = ['webgpu step', 'webgpu sequence', 'cpu'] as const;
type Variant = (typeof VARIANTS)[number];
const compile = (v: Variant, m: Model) => (v === 'cpu' ? cpu().compile(m) : gpu().compile(m, { kernel: v === 'webgpu step' ? 'step' : 'sequence' }));

describe.each(VARIANTS)('masking on %s vs the reference', (backend) => {
  test.each(CASES)('$name', async (c) => {
    const rng = new Rng(seedOf(`masking ${c.name}`));
    const m = c.make();
    randomizeWeights(m, rng);
    const xs = c.inputs(rng);
    const run = await compile(backend, m);
    const opts = c.lengths ? { lengths: c.lengths } : undefined;
    const got = list(await run.predict(xs, opts));
    run.dispose();
    expectOutputsClose(got, runReference(m, xs, opts ?? {}), DEFAULT_TOL);
    // Row 3 is masked everywhere: what recurrent layers output for it is zeros.
    m.outputs.forEach((o, i) => {
      const cls = o.node?.layer.className;
      if (cls === 'Dense' || cls === 'Masking') return;
      const per = got[i]!.data.length / B;
      expect(Array.from(got[i]!.data.subarray(3 * per, 4 * per)), `output ${i} (${cls}) row 3`).toEqual(new Array(per).fill(0));
    });
  });
});

describe('masking on webgpu vs tfjs-layers', () => {
  test.each(CASES.filter((c) => c.tfjs))('$name', async (c) => {
    const rng = new Rng(seedOf(`masking ${c.name}`));
    const m = c.make();
    randomizeWeights(m, rng);
    const xs = c.inputs(rng);
    const run = await gpu().compile(m);
    const ours = list(await run.predict(xs));
    run.dispose();
    const theirs = tfjsPredict(c.tfjs!, m, xs);
    expect(theirs.length).toBe(ours.length);
    ours.forEach((t, i) => expectClose(t, theirs[i]!, TFJS_TOL));
  });
});

describe('masking: streaming and errors', () => {
  test.each(VARIANTS)('%s: a masked model streamed in chunks equals the whole run (masked steps at chunk edges)', async (backend) => {
    const c = CASES[0]!;
    const rng = new Rng(seedOf('masking stream'));
    const m = sequential([
      layers.masking({ inputShape: open(3) }), layers.gru({ units: 5, returnSequences: true }),
      layers.lstm({ units: 4, returnSequences: true }), layers.simpleRNN({ units: 3 }),
    ]);
    randomizeWeights(m, rng);
    const x = c.inputs(rng)[0]!;
    const whole = runReference(m, [x]);
    const run = await compile(backend, m);
    for (const pattern of [[1], [3], [2, 5]]) {
      const s = run.stream({ batch: B });
      let t0 = 0, last: Tensor | undefined;
      for (const C of chunkSizes(T, pattern)) {
        last = (await s.step(sliceTime(x, t0, C))) as Tensor;
        t0 += C;
        expectClose(last, runReference(m, [sliceTime(x, 0, t0)])[0]!, DEFAULT_TOL);
      }
      expectClose(last!, whole[0]!, DEFAULT_TOL);
      s.dispose();
    }
    run.dispose();
  });

  test.each(VARIANTS)('%s: a row masked to the end outputs zeros on every call, whatever the previous call left', async (v) => {
    const m = sequential([layers.masking({ inputShape: open(2) }), layers.lstm({ units: 5, returnSequences: true }), layers.gru({ units: 4 })]);
    const rng = new Rng(3);
    randomizeWeights(m, rng);
    const run = await compile(v, m);
    const x = randomTensor(rng, [2, 6, 2]);
    await run.predict(x);
    const masked = punch(x, 0); // row 1: steps 3, 4 and the last two; a copy with row 1 all masked:
    masked.data.fill(0, 12, 24);
    const y = (await run.predict(masked)) as Tensor;
    expect(Array.from(y.data.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expectClose(y, runReference(m, [masked])[0]!, DEFAULT_TOL);
    run.dispose();
  });

  test('typed errors', () => {
    expect(() => layers.masking({ maskValue: NaN })).toThrow(ConfigError);
    expect(() => layers.masking({ maskValue: '0' as unknown as number })).toThrow(ConfigError);
    expect(() => layers.masking({ mask: 0 } as never)).toThrow(/unknown option 'mask'/);
    expect(() => layers.masking().apply(input({ shape: [3] }))).toThrow(ShapeError);
  });
});
