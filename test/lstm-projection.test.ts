/**
 * LSTM with an output projection (PyTorch's proj_size, `RecurrentExtensions.projSize`): h = (o *
 * act(c)) W_hr has projSize features, c keeps `units`. The GPU runs it as the step kernel plus a
 * projection dispatch per step; every case runs with the step kernel, a forced 'sequence' (which falls
 * back to the step kernel for projections) and f16 weights, against the float64 reference: single,
 * stacked and bidirectional layers, returnSequences / returnState, initial states, lengths (both
 * masking conventions), several workgroups (H and P > 64, batch > 8 rows), peepholes. Streaming
 * (GPU and CPU) equals the whole run; long predict() runs in chunks. Tolerances as
 * test/gpu-vs-cpu.test.ts: DEFAULT_TOL for f32, looser for f16 weights.
 */
import { describe, expect, test } from 'vitest';
import {
  Bidirectional, type CompileOptions, ConfigError, type Model, RecurrentLayer, type RecurrentOptions, type SymbolicTensor, type Tensor,
  ShapeError, input, layers, model, runReference,
} from '../src/index.js';
import { buildPlan } from '../src/schedule/plan.js';
import { DEFAULT_TOL, type GpuCase, randomizeWeights } from './support/cases.js';
import { expectClose } from './support/compare.js';
import { Rng, randomTensor, seedOf } from './support/random.js';
import { assertCasePassed, runCase } from './support/run-case.js';
import { joinTime, list, sliceTime, useGpu } from './support/seq.js';

const { gpu, cpu } = useGpu();
const F16_TOL = { atol: 3e-3, rtol: 1e-2 };
const CPU_TOL = { atol: 1e-6, rtol: 1e-6 };

/** An LSTM layer with projSize (the core's extension; the PyTorch loader builds the same). */
function projLstm(units: number, projSize: number, options: Omit<RecurrentOptions, 'units'> = {}, ext: { padZero?: boolean; peephole?: boolean } = {}): RecurrentLayer {
  return new RecurrentLayer('lstm', { units, ...options }, { projSize, ...ext });
}

interface ProjCase {
  name: string;
  make: () => Model;
  batch: number;
  T: number;
  lengths?: number[];
}

const one = (F: number, layer: () => RecurrentLayer) => () => {
  const x = input({ shape: [null, F] });
  return model({ inputs: x, outputs: layer().apply(x) as SymbolicTensor | SymbolicTensor[] });
};

const CASES: ProjCase[] = [
  { name: 'returnSequences H=10 P=4 B=3 T=7', make: one(5, () => projLstm(10, 4, { returnSequences: true })), batch: 3, T: 7 },
  { name: 'last output + returnState (h [P], c [H]) H=9 P=3 B=2 T=6', make: one(4, () => projLstm(9, 3, { returnState: true })), batch: 2, T: 6 },
  { name: 'one step, batch 1 H=6 P=5', make: one(3, () => projLstm(6, 5, { returnSequences: true, returnState: true })), batch: 1, T: 1 },
  {
    name: 'several workgroups: H=130 P=70 B=9 T=5 returnState',
    make: one(6, () => projLstm(130, 70, { returnSequences: true, returnState: true })), batch: 9, T: 5,
  },
  { name: 'peepholes + projection H=7 P=3', make: one(4, () => projLstm(7, 3, { returnSequences: true, returnState: true }, { peephole: true })), batch: 2, T: 6 },
  {
    name: 'stacked: proj LSTM -> proj LSTM -> dense',
    make: () => {
      const x = input({ shape: [null, 3] });
      const a = projLstm(8, 5, { returnSequences: true }).apply(x) as SymbolicTensor;
      const b = projLstm(6, 2, { returnSequences: true }).apply(a) as SymbolicTensor;
      return model({ inputs: x, outputs: layers.dense({ units: 3 }).apply(b) as SymbolicTensor });
    },
    batch: 3, T: 6,
  },
  {
    name: 'stacked: proj LSTM -> plain LSTM (input size P) and plain -> proj',
    make: () => {
      const x = input({ shape: [null, 3] });
      const a = projLstm(9, 4, { returnSequences: true }).apply(x) as SymbolicTensor;
      const b = layers.lstm({ units: 5, returnSequences: true }).apply(a) as SymbolicTensor;
      return model({ inputs: x, outputs: projLstm(6, 3).apply(b) as SymbolicTensor });
    },
    batch: 2, T: 5,
  },
  {
    name: 'bidirectional concat, returnSequences + returnState H=6 P=4',
    make: () => {
      const x = input({ shape: [null, 3] });
      const bi = new Bidirectional({ layer: projLstm(6, 4, { returnSequences: true, returnState: true }) });
      return model({ inputs: x, outputs: bi.apply(x) as SymbolicTensor[] });
    },
    batch: 3, T: 6,
  },
  {
    name: 'bidirectional sum, last output H=5 P=2',
    make: () => {
      const x = input({ shape: [null, 3] });
      const bi = new Bidirectional({ layer: projLstm(5, 2), mergeMode: 'sum' });
      return model({ inputs: x, outputs: bi.apply(x) as SymbolicTensor });
    },
    batch: 2, T: 5,
  },
  {
    name: 'stacked bidirectional (PyTorch style, padZero) with lengths',
    make: () => {
      const x = input({ shape: [null, 3] });
      const a = new Bidirectional({ layer: projLstm(6, 3, { returnSequences: true }, { padZero: true }) }).apply(x) as SymbolicTensor;
      const b = new Bidirectional({ layer: projLstm(5, 2, { returnSequences: true, returnState: true }, { padZero: true }) }).apply(a);
      return model({ inputs: x, outputs: b as SymbolicTensor[] });
    },
    batch: 3, T: 7, lengths: [7, 4, 1],
  },
  { name: 'lengths, Keras masking (carry) returnSequences', make: one(4, () => projLstm(8, 3, { returnSequences: true, returnState: true })), batch: 3, T: 6, lengths: [6, 2, 1] },
  { name: 'lengths, Keras masking, last output', make: one(4, () => projLstm(8, 3)), batch: 3, T: 6, lengths: [3, 6, 1] },
  { name: 'lengths, padZero (ONNX / PyTorch) returnSequences', make: one(4, () => projLstm(8, 3, { returnSequences: true, returnState: true }, { padZero: true })), batch: 3, T: 6, lengths: [1, 6, 4] },
  {
    name: 'initial states h0 [P], c0 [H] as inputs',
    make: () => {
      const x = input({ shape: [null, 3] }), h0 = input({ shape: [3] }), c0 = input({ shape: [7] });
      const y = projLstm(7, 3, { returnSequences: true, returnState: true }).apply(x, { initialState: [h0, c0] });
      return model({ inputs: [x, h0, c0], outputs: y as SymbolicTensor[] });
    },
    batch: 2, T: 5,
  },
];

function gpuCase(c: ProjCase, tol: { atol: number; rtol: number }): GpuCase {
  return {
    name: c.name, ...tol,
    build() {
      const rng = new Rng(seedOf(c.name));
      const m = c.make();
      randomizeWeights(m, rng);
      const inputs = m.inputs.map((sym) => randomTensor(rng, [c.batch, ...sym.shape.map((d) => d ?? c.T)] as number[]));
      return c.lengths ? { model: m, inputs, lengths: [...c.lengths] } : { model: m, inputs };
    },
  };
}

const VARIANTS: [string, CompileOptions, { atol: number; rtol: number }][] = [
  ['step kernel', { kernel: 'step' }, DEFAULT_TOL],
  ['sequence requested (falls back to step)', { kernel: 'sequence' }, DEFAULT_TOL],
  ['f16 weights', { precision: 'f16' }, F16_TOL],
];

for (const [variant, options, tol] of VARIANTS) {
  describe(`projected LSTM on WebGPU vs the float64 reference, ${variant}`, () => {
    for (const c of CASES) {
      test(c.name, async () => {
        assertCasePassed(await runCase(gpu(), gpuCase(c, tol), options));
      }, 120_000);
    }
  });
}

describe('the projection in the graph and the plan', () => {
  test('weights, output and state shapes', () => {
    const x = input({ shape: [4, 3] });
    const l = projLstm(6, 2, { returnSequences: true, returnState: true });
    const [y, h, c] = l.apply(x) as SymbolicTensor[];
    expect([y!.shape, h!.shape, c!.shape]).toEqual([[4, 2], [2], [6]]);
    expect(l.weightSpecs().map((s) => [s.name.split('/')[1], s.shape])).toEqual([
      ['kernel', [3, 24]], ['recurrent_kernel', [2, 24]], ['bias', [24]], ['projection', [6, 2]],
    ]);
    const bi = new Bidirectional({ layer: projLstm(6, 2, { returnSequences: true, returnState: true }) });
    expect((bi.apply(input({ shape: [4, 3] })) as SymbolicTensor[]).map((t) => t.shape)).toEqual([[4, 4], [2], [6], [2], [6]]);
  });

  test('a step is two dispatches (gates, then projection); other layers are unchanged', () => {
    const m = one(3, () => projLstm(6, 2, { returnSequences: true }))();
    const names = buildPlan(m, 2, [3], false, { kernel: 'sequence' }).dispatches.map((d) => d.program.name.split(' ')[0]);
    expect(names).toEqual(['matmul', 'lstm_step', 'lstm_projection', 'lstm_step', 'lstm_projection', 'lstm_step', 'lstm_projection']);
    const plain = one(3, () => new RecurrentLayer('lstm', { units: 6, returnSequences: true }))();
    expect(buildPlan(plain, 2, [3], false, { kernel: 'sequence' }).dispatches.map((d) => d.program.name.split(' ')[0])).toEqual(['matmul', 'lstm_sequence']);
  });

  test('typed errors: projSize on other cells, projSize >= units, initial-state shapes', () => {
    expect(() => new RecurrentLayer('gru', { units: 4 }, { projSize: 2 })).toThrow(ConfigError);
    expect(() => new RecurrentLayer('simpleRNN', { units: 4 }, { projSize: 2 })).toThrow(/LSTM only/);
    expect(() => projLstm(4, 4)).toThrow(/projSize must be an integer in .*\[1, 3\]/);
    expect(() => projLstm(4, 0)).toThrow(ConfigError);
    expect(() => projLstm(4, 1.5)).toThrow(ConfigError);
    const x = input({ shape: [3, 2] });
    expect(() => projLstm(5, 2).apply(x, { initialState: [input({ shape: [5] }), input({ shape: [5] })] })).toThrow(ShapeError);
    expect(() => projLstm(5, 2).apply(x, { initialState: [input({ shape: [2] }), input({ shape: [2] })] })).toThrow(/initialState 1 must have shape \[batch, 5\]/);
  });
});

/** Two stacked projected LSTMs, per-step output through a dense layer, open length. */
function streamModel(): Model {
  const x = input({ shape: [null, 3] });
  const a = projLstm(7, 3, { returnSequences: true }).apply(x) as SymbolicTensor;
  const b = projLstm(5, 2, { returnSequences: true }).apply(a) as SymbolicTensor;
  return model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(b) as SymbolicTensor });
}

describe('streaming a projected LSTM', () => {
  const B = 2, T = 9;
  const seeded = () => {
    const rng = new Rng(seedOf('proj stream'));
    const m = streamModel();
    randomizeWeights(m, rng);
    return { m, x: randomTensor(rng, [B, T, 3]) };
  };

  for (const backend of ['webgpu step', 'webgpu auto', 'cpu'] as const) {
    test(`${backend}: chunks of 1, 3, 2 equal the whole run; getState / setState shapes [B, P] and [B, H]`, async () => {
      const { m, x } = seeded();
      const want = runReference(m, [x])[0]!;
      const rt = backend === 'cpu' ? cpu() : gpu();
      const compiled = await rt.compile(m, backend === 'webgpu step' ? { kernel: 'step' } : {});
      const tol = backend === 'cpu' ? CPU_TOL : DEFAULT_TOL;
      try {
        const s = compiled.stream({ batch: B });
        const parts: Tensor[] = [];
        let t = 0;
        for (const c of [1, 3, 2, 3]) {
          parts.push(list(await s.step(sliceTime(x, t, c)))[0]!);
          t += c;
        }
        expectClose(joinTime(parts), want, tol);
        const states = await s.getState();
        expect(states.map((st) => st.shape)).toEqual([[B, 3], [B, 7], [B, 2], [B, 5]]);
        // Replaying the last three steps from the states after step 6 gives the same outputs.
        await s.reset();
        const early = compiled.stream({ batch: B });
        await early.step(sliceTime(x, 0, 6));
        await s.setState(await early.getState());
        expectClose(list(await s.step(sliceTime(x, 6, 3)))[0]!, { data: want.data.filter((_, i) => Math.floor(i / 2) % T >= 6), shape: [B, 3, 2] }, tol);
        await expect(s.setState(states.map((st, i) => (i === 0 ? { data: new Float32Array(B * 7), shape: [B, 7] } : st)))).rejects.toThrow(/expected shape \[2, 3\]/);
        early.dispose();
        s.dispose();
      } finally {
        compiled.dispose();
      }
    }, 120_000);
  }

  test('a long predict() runs in chunks and equals the reference, with and without lengths', async () => {
    const rng = new Rng(seedOf('proj long'));
    const m = streamModel();
    randomizeWeights(m, rng);
    const x = randomTensor(rng, [2, 40, 3]);
    const compiled = await gpu().compile(m, { maxStepsPerSubmit: 16 });
    try {
      expectClose(list(await compiled.predict(x))[0]!, runReference(m, [x])[0]!, DEFAULT_TOL);
      const lengths = [40, 23];
      expectClose(list(await compiled.predict(x, { lengths }))[0]!, runReference(m, [x], { lengths })[0]!, DEFAULT_TOL);
    } finally {
      compiled.dispose();
    }
  }, 120_000);
});
