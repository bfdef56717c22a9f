/**
 * predict(x, { lengths }) for right-padded batches, on WebGPU and the CPU backend, checked three ways:
 *  1. against the float64 reference, every element (DEFAULT_TOL: atol 1e-4, rtol 1e-3, T <= 9; see
 *     test/support/cases.ts);
 *  2. against Keras' semantics stated independently of the reference: row b of a padded batch gives
 *     what the model gives on that row cut to its length (final outputs and states; a backward or
 *     bidirectional layer starts at the row's own last valid step), returnSequences outputs past the
 *     length repeat the last valid output (zeros before the first valid one, i.e. the padded head of a
 *     goBackwards layer), and a Bidirectional's returned sequence is zero there in both directions
 *     (Keras forces zero_output_for_mask on both copies);
 *  3. against @tensorflow/tfjs-layers, which expresses lengths as a Masking layer over zero padding:
 *     float32 on both sides, |ours - tfjs| <= 2e-5 + 1e-4 |tfjs| (tfjs' own order of sums and exp).
 *     Where tfjs and Keras differ (tfjs' Bidirectional carries the forward output past the length)
 *     only the valid steps are compared.
 * Also: a model with an open time axis compiles once and runs any length without new pipelines.
 */
import { describe, expect, test } from 'vitest';
import {
  type Model, type SymbolicTensor, type Tensor, input, layers, model, runReference, sequential,
} from '../src/index.js';
import { type Cell, CELLS, DEFAULT_TOL, randomizeWeights, rnn } from './support/cases.js';
import { expectClose, expectOutputsClose } from './support/compare.js';
import { Rng, randomTensor, seedOf } from './support/random.js';
import { list, row, sliceTime, tf, tfjsPredict, tfl, useGpu } from './support/seq.js';

const { gpu, cpu } = useGpu();
const TFJS_TOL = { atol: 2e-5, rtol: 1e-4 };
const B = 4, T = 9, F = 3;
const LENGTHS = [9, 1, 4, 7];

type Opts = { returnSequences?: boolean; returnState?: boolean; goBackwards?: boolean };
const open = [null, F] as unknown as number[];

/** A functional model around one recurrent layer, its outputs [y, ...states]. */
function single(cell: Cell, units: number, o: Opts): Model {
  const x = input({ shape: [null, F] });
  const y = rnn(cell, units, o).apply(x);
  return model({ inputs: x, outputs: Array.isArray(y) ? y : [y] });
}

function bidi(cell: Cell, mergeMode: 'concat' | 'sum' | 'mul' | 'ave', o: Opts): Model {
  const x = input({ shape: [null, F] });
  const y = layers.bidirectional({ layer: rnn(cell, 4, o), mergeMode }).apply(x);
  return model({ inputs: x, outputs: Array.isArray(y) ? y : [y] });
}

function stack(cells: Cell[], tail: 'last' | 'seq'): () => Model {
  return () => sequential([
    ...cells.map((c, i) => rnn(c, 5 + i, { returnSequences: i < cells.length - 1 || tail === 'seq', inputShape: i === 0 ? open : undefined })),
    layers.dense({ units: 2 }),
  ]);
}

function seeded(name: string, make: () => Model): { m: Model; x: Tensor } {
  const rng = new Rng(seedOf(name));
  const m = make();
  randomizeWeights(m, rng);
  return { m, x: randomTensor(rng, [B, T, F]) };
}

interface Case { name: string; make: () => Model; opts?: Opts; bidi?: boolean }

const CASES: Case[] = [
  ...CELLS.flatMap((cell): Case[] => [
    { name: `${cell} returnSequences returnState`, make: () => single(cell, 5, { returnSequences: true, returnState: true }), opts: { returnSequences: true } },
    { name: `${cell} last output returnState`, make: () => single(cell, 6, { returnState: true }), opts: {} },
    { name: `${cell} goBackwards returnSequences returnState`, make: () => single(cell, 5, { returnSequences: true, returnState: true, goBackwards: true }), opts: { returnSequences: true, goBackwards: true } },
    { name: `${cell} goBackwards last output`, make: () => single(cell, 3, { goBackwards: true }), opts: { goBackwards: true } },
    { name: `${cell} bidirectional concat returnSequences returnState`, make: () => bidi(cell, 'concat', { returnSequences: true, returnState: true }), opts: { returnSequences: true }, bidi: true },
    { name: `${cell} bidirectional ave last output returnState`, make: () => bidi(cell, 'ave', { returnState: true }), opts: {}, bidi: true },
  ]),
  { name: 'bidirectional lstm sum returnSequences', make: () => bidi('lstm', 'sum', { returnSequences: true }), opts: { returnSequences: true }, bidi: true },
  { name: 'bidirectional gru mul returnSequences', make: () => bidi('gru', 'mul', { returnSequences: true }), opts: { returnSequences: true }, bidi: true },
  { name: 'stack lstm -> gruV1 -> simpleRNN -> dense', make: stack(['lstm', 'gruV1', 'simpleRNN'], 'last') },
  { name: 'stack gru -> lstm returnSequences -> time-distributed dense', make: stack(['gru', 'lstm'], 'seq') },
  {
    name: 'bidirectional lstm returnSequences -> gru -> dense',
    make: () => sequential([
      layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }), inputShape: open }),
      layers.gru({ units: 5 }), layers.dense({ units: 2 }),
    ]),
  },
];

describe.each(['webgpu', 'cpu'] as const)('predict lengths on %s', (backend) => {
  const rt = () => (backend === 'webgpu' ? gpu() : cpu());

  test.each(CASES)('$name: reference and Keras semantics', async ({ name, make, opts, bidi: isBidi }) => {
    const { m, x } = seeded(`lengths ${name}`, make);
    const run = await rt().compile(m);
    try {
      const got = list(await run.predict(x, { lengths: LENGTHS }));
      expectOutputsClose(got, runReference(m, [x], { lengths: LENGTHS }), DEFAULT_TOL);
      // Keras semantics, from the model run on each row cut to its length.
      for (let b = 0; b < B; b++) {
        const L = LENGTHS[b]!;
        const cut = list(await run.predict(sliceTime(row(x, b), 0, L)));
        got.forEach((y, i) => {
          const mine = row(y, b);
          if (y.shape.length === 2 || !opts) {
            if (y.shape.length === 2) expectClose(mine, cut[i]!, DEFAULT_TOL);
            return;
          }
          // A returned sequence: valid steps as in the cut run (a goBackwards layer's come after its
          // T - L padded steps), the rest carried or zero.
          const H = y.shape[2]!;
          const back = opts.goBackwards === true;
          const validAt = (t: number) => (back ? t - (T - L) : t);
          for (let t = 0; t < T; t++) {
            const k = validAt(t);
            const at = mine.data.subarray(t * H, (t + 1) * H);
            let want: Float32Array;
            if (k >= 0 && k < L) want = cut[i]!.data.subarray(k * H, (k + 1) * H);
            else if (back || isBidi) want = new Float32Array(H); // before the first valid step / Bidirectional
            else want = cut[i]!.data.subarray((L - 1) * H, L * H); // carried from the last valid step
            expectClose({ data: at, shape: [H] }, { data: want, shape: [H] }, DEFAULT_TOL);
          }
        });
      }
    } finally {
      run.dispose();
    }
  });
});

describe('predict lengths against tfjs-layers (Masking over zero padding)', () => {
  /** Our input with padded steps zeroed, for tfjs' Masking(0). */
  function zeroPadded(x: Tensor): Tensor {
    const data = x.data.slice();
    LENGTHS.forEach((L, b) => data.fill(0, (b * T + L) * F, (b + 1) * T * F));
    return { data, shape: [...x.shape] };
  }
  const tfIn = () => tfl.input({ shape: [null, F] });
  const withMask = (x: tfl.SymbolicTensor) => tfl.layers.masking({ maskValue: 0 }).apply(x) as tfl.SymbolicTensor;
  type TfOpts = { units: number; returnSequences?: boolean; returnState?: boolean; goBackwards?: boolean };
  // tfjs' default orthogonal initializer needs chained ops that tfjs-core alone does not register;
  // the weights are replaced anyway. tfjs' GRU is always resetAfter: false.
  const R = { recurrentInitializer: 'glorotUniform' } as const;
  const tfCell = (cell: 'simpleRNN' | 'lstm' | 'gruV1', o: TfOpts) =>
    cell === 'simpleRNN' ? tfl.layers.simpleRNN({ ...o, ...R }) : cell === 'lstm' ? tfl.layers.lstm({ ...o, ...R, recurrentActivation: 'sigmoid' }) : tfl.layers.gru({ ...o, ...R, recurrentActivation: 'sigmoid' });

  const cases: { name: string; cell: 'simpleRNN' | 'lstm' | 'gruV1'; o: TfOpts; bidi?: boolean }[] = [
    { name: 'lstm returnSequences returnState', cell: 'lstm', o: { units: 5, returnSequences: true, returnState: true } },
    { name: 'lstm goBackwards last output', cell: 'lstm', o: { units: 4, goBackwards: true } },
    { name: 'gruV1 returnSequences goBackwards', cell: 'gruV1', o: { units: 5, returnSequences: true, goBackwards: true } },
    { name: 'gruV1 last output returnState', cell: 'gruV1', o: { units: 3, returnState: true } },
    { name: 'simpleRNN returnSequences returnState', cell: 'simpleRNN', o: { units: 6, returnSequences: true, returnState: true } },
    { name: 'bidirectional lstm last output', cell: 'lstm', o: { units: 4 }, bidi: true },
    { name: 'bidirectional gruV1 returnSequences (valid steps)', cell: 'gruV1', o: { units: 3, returnSequences: true }, bidi: true },
  ];

  test.each(cases)('$name', async ({ name, cell, o, bidi: isBidi }) => {
    const make = (): Model => {
      const x = input({ shape: [null, F] });
      const l = rnn(cell, o.units, { ...o, ...(cell === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' as const }) });
      const y = isBidi ? layers.bidirectional({ layer: l }).apply(x) : l.apply(x);
      return model({ inputs: x, outputs: Array.isArray(y) ? y : [y] });
    };
    const { m, x } = seeded(`lengths tfjs ${name}`, make);
    const run = await gpu().compile(m);
    const ours = list(await run.predict(x, { lengths: LENGTHS }));
    run.dispose();
    const theirs = tfjsPredict(() => {
      const i = tfIn();
      const l = tfCell(cell, o);
      const y = (isBidi ? tfl.layers.bidirectional({ layer: l as tfl.RNN }) : l).apply(withMask(i)) as tfl.SymbolicTensor | tfl.SymbolicTensor[];
      return { inputs: i, outputs: y };
    }, m, [zeroPadded(x)]);
    expect(theirs.length).toBe(ours.length);
    if (isBidi && o.returnSequences) {
      const H = ours[0]!.shape[2]!;
      for (let b = 0; b < B; b++) {
        const L = LENGTHS[b]!;
        const valid = (t: Tensor) => ({ data: t.data.slice(b * T * H, (b * T + L) * H), shape: [L, H] });
        expectClose(valid(ours[0]!), valid(theirs[0]!), TFJS_TOL);
        expect(Array.from(ours[0]!.data.slice((b * T + L) * H, (b + 1) * T * H)).every((v) => v === 0)).toBe(true);
      }
    } else {
      ours.forEach((t, i) => expectClose(t, theirs[i]!, TFJS_TOL));
    }
  });
});

describe('open time axis', () => {
  test('input({ shape: [null, F] }) compiles once and runs any length without building pipelines again', async () => {
    const rt = gpu();
    const device = rt.device!;
    const m = sequential([
      layers.lstm({ units: 6, returnSequences: true, inputShape: open }), layers.gru({ units: 4 }), layers.dense({ units: 1 }),
    ]);
    randomizeWeights(m, new Rng(5));
    const run = await rt.compile(m);
    const rng = new Rng(6);
    await run.predict(randomTensor(rng, [2, 5, F]));
    let pipelines = 0, modules = 0;
    const origP = device.createComputePipelineAsync.bind(device), origM = device.createShaderModule.bind(device);
    device.createComputePipelineAsync = ((d: GPUComputePipelineDescriptor) => { pipelines++; return origP(d); }) as typeof device.createComputePipelineAsync;
    device.createShaderModule = ((d: GPUShaderModuleDescriptor) => { modules++; return origM(d); }) as typeof device.createShaderModule;
    try {
      for (const len of [1, 17, 64, 5, 2]) {
        const x = randomTensor(rng, [2, len, F]);
        expectOutputsClose(list(await run.predict(x)), runReference(m, [x]), DEFAULT_TOL);
      }
    } finally {
      device.createComputePipelineAsync = origP;
      device.createShaderModule = origM;
    }
    expect({ pipelines, modules }).toEqual({ pipelines: 0, modules: 0 });
    run.dispose();
  });
});

void tf;
