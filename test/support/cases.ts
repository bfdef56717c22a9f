/**
 * Seeded model cases that the GPU runs and the float64 CPU reference checks, element by element.
 *
 * Coverage, not the cross product: every cell (SimpleRNN, LSTM, GRU with resetAfter true and false),
 * every option, every activation in both slots, batch 1 / 3 / 16 (and 5 / 6 / 9 / 10, which leave a
 * resident workgroup of several batch rows part full), sequence length 1 / 7 / 64 and hidden
 * sizes 1, 5, 17, 33, 50, 63, 65, 130, 257, 300 (most not a multiple of any workgroup size) each appear
 * several times, in single layers, stacks of 1 to 4 layers, 2 and 3 concatenated branches, and
 * bidirectional layers inside stacks. T * B * H stays modest so the Node suite runs in a few minutes on
 * lavapipe; large sizes belong in the benchmarks.
 *
 * Tolerance (GPU float32 vs reference float64). Weights are drawn ~ U(±1/sqrt(fan-in)) for kernels and
 * U(±0.6/sqrt(units)) for recurrent kernels, so pre-activations stay O(1) and the recurrence is
 * contracting (spectral radius ~0.35): rounding errors do not grow with T. A float32 dot product of
 * length K <= ~600 is off by ~sqrt(K) * 6e-8 * |terms| ~ 1e-6, the GPU's exp / tanh are allowed a few
 * ULP (WGSL), and T <= 64 steps add at most a few times that. So DEFAULT_TOL = atol 1e-4 plus rtol 1e-3
 * leaves ~50x head room over the expected error while still catching any real mistake (a wrong gate,
 * index or step shows up as an error of 1e-2 or more). Cases whose activations are unbounded (relu or
 * linear in a recurrence, or as gate activations) can reach values of a few units and use LOOSE_TOL.
 */
import {
  type Layer, type Model, type SymbolicTensor, type Tensor, input, layers, model, sequential,
} from '../../src/api.js';
import { actSpec } from '../../src/graph/activations.js';
import { RecurrentLayer, type RecurrentExtensions } from '../../src/graph/recurrent.js';
import { Rng, randomTensor, seedOf } from './random.js';

export interface GpuCase {
  name: string;
  build(): { model: Model; inputs: Tensor[]; lengths?: number[] };
  atol: number;
  rtol: number;
}

/** f32 GPU vs f64 reference, bounded activations, T <= 64 (see the file comment). */
export const DEFAULT_TOL = { atol: 1e-4, rtol: 1e-3 } as const;
/** Unbounded activations (relu, linear) in a recurrence: values of a few units. */
export const LOOSE_TOL = { atol: 3e-4, rtol: 2e-3 } as const;

/** The activations a Keras user can give a recurrent layer. */
export const ACTIVATIONS = ['sigmoid', 'hardSigmoid', 'tanh', 'relu', 'linear'] as const;
type Act = (typeof ACTIVATIONS)[number];

/** A cell variant: GRU comes in Keras 2's resetAfter=true (default) and the v1 resetAfter=false. */
export type Cell = 'simpleRNN' | 'lstm' | 'gru' | 'gruV1';
export const CELLS: readonly Cell[] = ['simpleRNN', 'lstm', 'gru', 'gruV1'];

interface RnnOpts {
  activation?: Act;
  recurrentActivation?: Act;
  useBias?: boolean;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  unitForgetBias?: boolean;
  inputShape?: number[];
  name?: string;
}

/** A recurrent layer of the given variant. */
export function rnn(cell: Cell, units: number, opts: RnnOpts = {}): ReturnType<typeof layers.lstm> {
  switch (cell) {
    case 'simpleRNN': return layers.simpleRNN({ units, ...opts });
    case 'lstm': return layers.lstm({ units, ...opts });
    case 'gru': return layers.gru({ units, ...opts });
    case 'gruV1': return layers.gru({ units, ...opts, resetAfter: false });
  }
}

/** Number of state tensors of a cell (LSTM: h and c). */
const nStates = (cell: Cell) => (cell === 'lstm' ? 2 : 1);

/** Sets every weight of the model from `rng`, scaled so activations are not saturated. */
export function randomizeWeights(m: Model, rng: Rng, scale = 1): void {
  const specs = m.layers.flatMap((l: Layer) => (l.built ? l.weightSpecs() : []));
  const weights = specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const leaf = spec.name.slice(spec.name.lastIndexOf('/') + 1);
    let limit: number;
    if (leaf === 'bias') limit = 0.25;
    else if (leaf === 'recurrent_kernel') limit = 0.6 / Math.sqrt(spec.shape[0]!);
    else limit = 1 / Math.sqrt(spec.shape[0]!);
    return rng.fill(size, -limit * scale, limit * scale);
  });
  m.setWeights(weights);
}

interface CaseOptions {
  batch: number;
  /** Time steps for inputs whose shape leaves them open (null). */
  time?: number;
  tol?: { atol: number; rtol: number };
  /** Keep the layers' default (Glorot / unit-forget-bias) weights instead of random ones. */
  defaultWeights?: boolean;
  weightScale?: number;
  lengths?: number[];
  /** Part of the browser subset. */
  browser?: boolean;
}

interface TaggedCase extends GpuCase {
  browser: boolean;
}

/** A case whose model comes from `make`; inputs (and initial states) are uniform in ±1. */
function makeCase(name: string, make: () => Model, o: CaseOptions): TaggedCase {
  const tol = o.tol ?? DEFAULT_TOL;
  return {
    name,
    atol: tol.atol,
    rtol: tol.rtol,
    browser: o.browser ?? false,
    build() {
      const rng = new Rng(seedOf(name));
      const m = make();
      if (!o.defaultWeights) randomizeWeights(m, rng, o.weightScale);
      const inputs = m.inputs.map((sym: SymbolicTensor) => randomTensor(rng, [o.batch, ...sym.shape.map((d) => d ?? o.time ?? 7)]));
      return o.lengths ? { model: m, inputs, lengths: [...o.lengths] } : { model: m, inputs };
    },
  };
}

/** One recurrent layer on input [T, F] (sequential). */
function single(cell: Cell, units: number, T: number, F: number, opts: RnnOpts = {}): () => Model {
  return () => sequential([rnn(cell, units, { ...opts, inputShape: [T, F] })]);
}

const unbounded = (...acts: (Act | undefined)[]) => acts.some((a) => a === 'relu' || a === 'linear');

function singleLayerCases(): TaggedCase[] {
  const out: TaggedCase[] = [];
  const bigH: Record<Cell, number> = { simpleRNN: 300, lstm: 257, gru: 300, gruV1: 257 };
  CELLS.forEach((cell, k) => {
    out.push(makeCase(`${cell} H=5 T=7 B=3 F=4 last output`, single(cell, 5, 7, 4), { batch: 3, browser: true }));
    out.push(makeCase(`${cell} H=63 T=7 B=3 F=3 returnSequences`, single(cell, 63, 7, 3, { returnSequences: true }), { batch: 3, browser: cell === 'lstm' }));
    out.push(makeCase(`${cell} H=65 T=64 B=1 F=2 returnSequences goBackwards`, single(cell, 65, 64, 2, { returnSequences: true, goBackwards: true }), { batch: 1, browser: cell === 'gru' }));
    out.push(makeCase(`${cell} H=1 T=64 B=16 F=3 useBias=false`, single(cell, 1, 64, 3, { useBias: false }), { batch: 16 }));
    out.push(makeCase(`${cell} H=130 T=1 B=16 F=8 returnSequences`, single(cell, 130, 1, 8, { returnSequences: true }), { batch: 16 }));
    out.push(makeCase(`${cell} H=${bigH[cell]} T=7 B=3 F=16 last output`, single(cell, bigH[cell], 7, 16), { batch: 3 }));
    out.push(makeCase(`${cell} H=50 T=10 B=16 F=1 goBackwards last output`, single(cell, 50, 10, 1, { goBackwards: true }), { batch: 16 }));
    out.push(makeCase(`${cell} H=17 T=1 B=1 F=1 goBackwards useBias=false returnSequences`,
      single(cell, 17, 1, 1, { goBackwards: true, useBias: false, returnSequences: true }), { batch: 1 }));
  });
  return out;
}

/**
 * Sizes at and around the kernels' tiling: exact powers of two (no partial tile), the largest hidden
 * sizes with batch 16 and 64 steps, wide inputs (the all-steps input projection with K > 256), inputs
 * the CPU-emulated matmul stages (128 < K <= 256) and wide dense / softmax rows.
 */
function sizeCases(): TaggedCase[] {
  const exact: Record<Cell, number> = { simpleRNN: 256, lstm: 64, gru: 128, gruV1: 32 };
  const big: Record<Cell, number> = { simpleRNN: 300, lstm: 257, gru: 257, gruV1: 300 };
  const out: TaggedCase[] = [];
  for (const cell of CELLS) {
    out.push(makeCase(`${cell} H=${exact[cell]} (power of two) T=7 B=16 F=5 returnSequences`,
      single(cell, exact[cell], 7, 5, { returnSequences: true }), { batch: 16 }));
    out.push(makeCase(`${cell} H=${big[cell]} T=64 B=16 F=3 last output`, single(cell, big[cell], 64, 3), { batch: 16 }));
  }
  out.push(makeCase('lstm H=17 T=7 B=3 wide input F=257', single('lstm', 17, 7, 257), { batch: 3 }));
  out.push(makeCase('gruV1 H=63 T=7 B=16 wide input F=300 returnSequences', single('gruV1', 63, 7, 300, { returnSequences: true }), { batch: 16 }));
  out.push(makeCase('wide heads: gru(130) -> dense(300, relu) -> dense(257, softmax) B=16', () => sequential([
    layers.gru({ units: 130, inputShape: [7, 4] }),
    layers.dense({ units: 300, activation: 'relu' }),
    layers.dense({ units: 257, activation: 'softmax' }),
  ]), { batch: 16 }));
  // matmul_resident.wgsl stages rows of X for 128 < K <= 256: K at the top of that range, and several
  // workgroups of rows (640 and 1024 rows here), aligned and unaligned output widths.
  out.push(makeCase('time-distributed dense K=256 -> 64 tanh T=40 B=16', () => sequential([
    layers.dense({ units: 64, activation: 'tanh', inputShape: [40, 256] }),
  ]), { batch: 16 }));
  out.push(makeCase('lstm(200, rs) -> gru(19) T=64 B=16 F=3', () => sequential([
    layers.lstm({ units: 200, returnSequences: true, inputShape: [64, 3] }),
    layers.gru({ units: 19 }),
  ]), { batch: 16 }));
  out.push(makeCase('bidirectional lstm concat rs H=130 T=64 B=16 -> time-distributed dense softmax', () => sequential([
    layers.bidirectional({ layer: layers.lstm({ units: 130, returnSequences: true }), inputShape: [64, 3] }),
    layers.dense({ units: 5, activation: 'softmax' }),
  ]), { batch: 16 }));
  return out;
}

function activationCases(): TaggedCase[] {
  const out: TaggedCase[] = [];
  const sizes = [5, 17, 33, 63, 65];
  ACTIVATIONS.forEach((activation, i) => {
    const T = i === 3 ? 64 : 7;
    out.push(makeCase(`simpleRNN activation=${activation} H=${sizes[i]} T=${T} B=3`,
      single('simpleRNN', sizes[i]!, T, 3, { activation, returnSequences: i % 2 === 0 }),
      { batch: 3, tol: unbounded(activation) ? LOOSE_TOL : DEFAULT_TOL, browser: activation === 'relu' }));
  });
  (['lstm', 'gru', 'gruV1'] as const).forEach((cell, k) => {
    ACTIVATIONS.forEach((activation, i) => {
      // Pair each activation with a different gate activation per cell, so every activation appears in
      // both slots of every gated cell.
      const recurrentActivation = ACTIVATIONS[(i + k + 1) % ACTIVATIONS.length]!;
      const H = sizes[(i + k) % sizes.length]!;
      const T = (i + k) % 4 === 0 ? 64 : 7;
      out.push(makeCase(`${cell} activation=${activation} recurrentActivation=${recurrentActivation} H=${H} T=${T} B=3`,
        single(cell, H, T, 4, { activation, recurrentActivation, returnSequences: (i + k) % 2 === 1 }),
        { batch: 3, tol: unbounded(activation, recurrentActivation) ? LOOSE_TOL : DEFAULT_TOL, browser: i === k }));
    });
  });
  return out;
}

/** Functional model: one recurrent layer with returnState, outputs [output, ...states]. */
function withState(cell: Cell, units: number, T: number, F: number, opts: RnnOpts): () => Model {
  return () => {
    const x = input({ shape: [T, F] });
    const outs = rnn(cell, units, { ...opts, returnState: true }).apply(x) as SymbolicTensor[];
    return model({ inputs: x, outputs: outs });
  };
}

/** Functional model: initial states as extra model inputs. */
function withInitialState(cell: Cell, units: number, T: number, F: number, opts: RnnOpts): () => Model {
  return () => {
    const x = input({ shape: [T, F] });
    const states = Array.from({ length: nStates(cell) }, () => input({ shape: [units] }));
    const y = rnn(cell, units, opts).apply(x, { initialState: states }) as SymbolicTensor;
    return model({ inputs: [x, ...states], outputs: y });
  };
}

function stateCases(): TaggedCase[] {
  return [
    makeCase('simpleRNN returnState H=5 T=7 B=3', withState('simpleRNN', 5, 7, 3, {}), { batch: 3, browser: true }),
    makeCase('lstm returnState returnSequences H=63 T=7 B=3', withState('lstm', 63, 7, 3, { returnSequences: true }), { batch: 3 }),
    makeCase('gru returnState goBackwards H=65 T=7 B=1', withState('gru', 65, 7, 2, { goBackwards: true }), { batch: 1 }),
    makeCase('gruV1 returnState returnSequences goBackwards H=5 T=64 B=16', withState('gruV1', 5, 64, 3, { returnSequences: true, goBackwards: true }), { batch: 16 }),
    makeCase('lstm returnState H=1 T=1 B=16 useBias=false', withState('lstm', 1, 1, 2, { useBias: false }), { batch: 16 }),
    makeCase('simpleRNN initialState H=5 T=7 B=3', withInitialState('simpleRNN', 5, 7, 3, {}), { batch: 3 }),
    makeCase('lstm initialState [h0, c0] returnSequences H=63 T=7 B=16', withInitialState('lstm', 63, 7, 3, { returnSequences: true }), { batch: 16, browser: true }),
    makeCase('gru initialState goBackwards H=65 T=7 B=1', withInitialState('gru', 65, 7, 4, { goBackwards: true }), { batch: 1 }),
    makeCase('gruV1 initialState H=130 T=7 B=3', withInitialState('gruV1', 130, 7, 4, { returnSequences: true }), { batch: 3 }),
    makeCase('lstm initialState returnState H=17 T=64 B=3', () => {
      const x = input({ shape: [64, 2] }), h0 = input({ shape: [17] }), c0 = input({ shape: [17] });
      const outs = layers.lstm({ units: 17, returnState: true }).apply(x, { initialState: [h0, c0] }) as SymbolicTensor[];
      return model({ inputs: [x, h0, c0], outputs: outs });
    }, { batch: 3 }),
    // States computed by one layer feed another layer's initial state (encoder-decoder).
    makeCase('encoder-decoder: lstm states -> lstm initialState, dense head H=33 B=3', () => {
      const enc = input({ shape: [7, 4] }), dec = input({ shape: [5, 3] });
      const [, h, c] = layers.lstm({ units: 33, returnState: true }).apply(enc) as SymbolicTensor[];
      const y = layers.lstm({ units: 33, returnSequences: true }).apply(dec, { initialState: [h!, c!] }) as SymbolicTensor;
      return model({ inputs: [enc, dec], outputs: layers.dense({ units: 6, activation: 'softmax' }).apply(y) as SymbolicTensor });
    }, { batch: 3, browser: true }),
    makeCase('encoder-decoder: gru state -> gruV1 initialState, state also an output H=65 B=16', () => {
      const enc = input({ shape: [7, 2] }), dec = input({ shape: [7, 2] });
      const [, h] = layers.gru({ units: 65, returnState: true, goBackwards: true }).apply(enc) as SymbolicTensor[];
      const y = layers.gru({ units: 65, resetAfter: false }).apply(dec, { initialState: h! }) as SymbolicTensor;
      return model({ inputs: [enc, dec], outputs: [y, h!] });
    }, { batch: 16 }),
    // returnState outputs consumed downstream: concatenate [h, c] -> dense.
    makeCase('lstm returnState [h, c] concatenated into a dense head H=5 B=3', () => {
      const x = input({ shape: [7, 3] });
      const [o, h, c] = layers.lstm({ units: 5, returnState: true }).apply(x) as SymbolicTensor[];
      const hc = layers.concatenate().apply([h!, c!]) as SymbolicTensor;
      return model({ inputs: x, outputs: [o!, layers.dense({ units: 2 }).apply(hc) as SymbolicTensor] });
    }, { batch: 3 }),
    // Default weights: Glorot kernels and LSTM forget-gate bias one (unitForgetBias) or zero.
    makeCase('lstm default weights unitForgetBias=true H=17 T=7 B=3', single('lstm', 17, 7, 3, { unitForgetBias: true, returnSequences: true }), { batch: 3, defaultWeights: true, browser: true }),
    makeCase('lstm default weights unitForgetBias=false H=17 T=7 B=3', single('lstm', 17, 7, 3, { unitForgetBias: false, returnSequences: true }), { batch: 3, defaultWeights: true }),
    makeCase('lstm random weights unitForgetBias=false H=63 T=64 B=1', single('lstm', 63, 64, 3, { unitForgetBias: false }), { batch: 1 }),
    makeCase('stack gru -> gruV1 -> dense, default weights H=33 B=3', () => sequential([
      layers.gru({ units: 33, returnSequences: true, inputShape: [7, 5] }),
      layers.gru({ units: 33, resetAfter: false }),
      layers.dense({ units: 2 }),
    ]), { batch: 3, defaultWeights: true }),
  ];
}

function stackCases(): TaggedCase[] {
  return [
    makeCase('issue example stacked: lstm(50, rs) -> lstm(50) -> dense(1) on [10, 1] B=16', () => sequential([
      layers.lstm({ units: 50, returnSequences: true, inputShape: [10, 1] }),
      layers.lstm({ units: 50 }),
      layers.dense({ units: 1 }),
    ]), { batch: 16, browser: true }),
    makeCase('stack 2: gru(65, rs) -> simpleRNN(5) T=64 B=3', () => sequential([
      layers.gru({ units: 65, returnSequences: true, inputShape: [64, 3] }),
      layers.simpleRNN({ units: 5 }),
    ]), { batch: 3 }),
    makeCase('stack 3: simpleRNN(33) -> dropout -> lstm(63, goBackwards) -> gruV1(17) -> dense softmax T=7 B=16', () => sequential([
      layers.simpleRNN({ units: 33, returnSequences: true, inputShape: [7, 4] }),
      layers.dropout({ rate: 0.3 }),
      layers.lstm({ units: 63, returnSequences: true, goBackwards: true }),
      layers.gru({ units: 17, resetAfter: false }),
      layers.dense({ units: 4, activation: 'softmax' }),
    ]), { batch: 16, browser: true }),
    makeCase('stack 4: lstm(130) -> gru(65) -> lstm(1) -> simpleRNN(5, rs) -> time-distributed dense T=7 B=3', () => sequential([
      layers.lstm({ units: 130, returnSequences: true, inputShape: [7, 6] }),
      layers.gru({ units: 65, returnSequences: true }),
      layers.lstm({ units: 1, returnSequences: true }),
      layers.simpleRNN({ units: 5, returnSequences: true }),
      layers.dense({ units: 3 }),
    ]), { batch: 3 }),
    makeCase('stack 4 mixed cells: gruV1(257) -> lstm(63) -> gru(5) -> lstm(300) T=7 B=3', () => sequential([
      layers.gru({ units: 257, returnSequences: true, resetAfter: false, inputShape: [7, 8] }),
      layers.lstm({ units: 63, returnSequences: true }),
      layers.gru({ units: 5, returnSequences: true }),
      layers.lstm({ units: 300 }),
    ]), { batch: 3 }),
    makeCase('stack 2 lstm(32, rs) -> lstm(32, rs) T=64 B=16', () => sequential([
      layers.lstm({ units: 32, returnSequences: true, inputShape: [64, 4] }),
      layers.lstm({ units: 32, returnSequences: true }),
    ]), { batch: 16 }),
    makeCase('stack 4 mixed cells: simpleRNN -> lstm -> gru -> gruV1 -> dense T=7 B=1', () => sequential([
      layers.simpleRNN({ units: 17, returnSequences: true, inputShape: [7, 3] }),
      layers.lstm({ units: 5, returnSequences: true, goBackwards: true }),
      layers.gru({ units: 33, returnSequences: true }),
      layers.gru({ units: 1, resetAfter: false }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ]), { batch: 1, browser: true }),
    makeCase('stack 3 with activations: lstm(hardSigmoid/relu) -> gru(tanh/linear) -> simpleRNN(relu) T=7 B=3', () => sequential([
      layers.lstm({ units: 33, returnSequences: true, recurrentActivation: 'hardSigmoid', activation: 'relu', inputShape: [7, 2] }),
      layers.gru({ units: 17, returnSequences: true, recurrentActivation: 'tanh', activation: 'linear' }),
      layers.simpleRNN({ units: 65, activation: 'relu' }),
    ]), { batch: 3, tol: LOOSE_TOL }),
    makeCase('open-length input [null, 3], stack gru -> lstm, run at T=12 B=3', () => sequential([
      layers.gru({ units: 17, returnSequences: true, inputShape: [null, 3] }),
      layers.lstm({ units: 5 }),
    ]), { batch: 3, time: 12 }),
    makeCase('same layer applied twice in a chain: gru(5, rs) on [7, 5] then on its own output B=3', () => {
      const x = input({ shape: [7, 5] });
      const g = layers.gru({ units: 5, returnSequences: true });
      const y = g.apply(g.apply(x) as SymbolicTensor) as SymbolicTensor;
      return model({ inputs: x, outputs: y });
    }, { batch: 3 }),
  ];
}

function bidirectionalCases(): TaggedCase[] {
  const bi = (cell: Cell, units: number, mergeMode: 'concat' | 'sum' | 'mul' | 'ave', opts: RnnOpts = {}) =>
    layers.bidirectional({ layer: rnn(cell, units, opts), mergeMode, ...(opts.inputShape ? { inputShape: opts.inputShape } : {}) });
  return [
    makeCase('bidirectional lstm concat rs -> lstm -> dense T=7 B=3', () => sequential([
      layers.bidirectional({ layer: layers.lstm({ units: 33, returnSequences: true }), mergeMode: 'concat', inputShape: [7, 3] }),
      layers.lstm({ units: 17 }),
      layers.dense({ units: 2 }),
    ]), { batch: 3, browser: true }),
    makeCase('lstm rs -> bidirectional gru sum (last) -> dense H=65 T=7 B=16', () => sequential([
      layers.lstm({ units: 17, returnSequences: true, inputShape: [7, 2] }),
      bi('gru', 65, 'sum'),
      layers.dense({ units: 1 }),
    ]), { batch: 16 }),
    makeCase('bidirectional simpleRNN mul rs -> bidirectional gruV1 ave -> dense softmax T=64 B=3', () => sequential([
      bi('simpleRNN', 5, 'mul', { returnSequences: true, inputShape: [64, 3] }),
      bi('gruV1', 17, 'ave'),
      layers.dense({ units: 2, activation: 'softmax' }),
    ]), { batch: 3, browser: true }),
    makeCase('bidirectional gruV1 ave rs H=1 T=1 B=1', () => sequential([bi('gruV1', 1, 'ave', { returnSequences: true, inputShape: [1, 1] })]), { batch: 1 }),
    // 64 rows or more: a GPU's sequence kernel takes 2 rows a workgroup (gpuRowsFor), the last one 1.
    makeCase('bidirectional gruV1 concat rs H=33 T=5 B=69', () => sequential([bi('gruV1', 33, 'concat', { returnSequences: true, inputShape: [5, 3] })]), { batch: 69 }),
    makeCase('bidirectional lstm concat returnState H=63 T=7 B=3', () => {
      const x = input({ shape: [7, 3] });
      const outs = bi('lstm', 63, 'concat', { returnState: true }).apply(x) as SymbolicTensor[];
      return model({ inputs: x, outputs: outs });
    }, { batch: 3, browser: true }),
    makeCase('bidirectional gru sum returnState returnSequences H=5 T=7 B=16', () => {
      const x = input({ shape: [7, 2] });
      const outs = bi('gru', 5, 'sum', { returnState: true, returnSequences: true }).apply(x) as SymbolicTensor[];
      return model({ inputs: x, outputs: outs });
    }, { batch: 16 }),
    makeCase('bidirectional lstm mul with initialState [hf, cf, hb, cb] H=5 T=7 B=3', () => {
      const x = input({ shape: [7, 2] });
      const states = [0, 1, 2, 3].map(() => input({ shape: [5] }));
      const y = bi('lstm', 5, 'mul').apply(x, { initialState: states }) as SymbolicTensor;
      return model({ inputs: [x, ...states], outputs: y });
    }, { batch: 3 }),
    makeCase('bidirectional simpleRNN concat H=130 T=7 B=16 -> dense', () => sequential([
      bi('simpleRNN', 130, 'concat', { inputShape: [7, 5] }),
      layers.dense({ units: 3, activation: 'tanh' }),
    ]), { batch: 16 }),
    makeCase('bidirectional gruV1 concat returnState H=65 T=64 B=1', () => {
      const x = input({ shape: [64, 2] });
      const outs = bi('gruV1', 65, 'concat', { returnState: true, returnSequences: true }).apply(x) as SymbolicTensor[];
      return model({ inputs: x, outputs: outs });
    }, { batch: 1 }),
    makeCase('bidirectional lstm ave (hardSigmoid, relu) rs in a 3-layer stack T=7 B=3', () => sequential([
      layers.gru({ units: 5, returnSequences: true, inputShape: [7, 4] }),
      bi('lstm', 17, 'ave', { returnSequences: true, recurrentActivation: 'hardSigmoid', activation: 'relu' }),
      layers.simpleRNN({ units: 33 }),
    ]), { batch: 3, tol: LOOSE_TOL }),
    makeCase('bidirectional simpleRNN sum returnState (2 states) relu H=33 T=7 B=3', () => {
      const x = input({ shape: [7, 3] });
      const outs = bi('simpleRNN', 33, 'sum', { returnState: true, activation: 'relu' }).apply(x) as SymbolicTensor[];
      return model({ inputs: x, outputs: outs });
    }, { batch: 3, tol: LOOSE_TOL }),
  ];
}

function branchCases(): TaggedCase[] {
  return [
    makeCase('issue example connected: two [10, 1] -> lstm(50) each -> concatenate -> dense(1) B=16', () => {
      const a = input({ shape: [10, 1] }), b = input({ shape: [10, 1] });
      const joined = layers.concatenate().apply([layers.lstm({ units: 50 }).apply(a) as SymbolicTensor, layers.lstm({ units: 50 }).apply(b) as SymbolicTensor]) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(joined) as SymbolicTensor });
    }, { batch: 16, browser: true }),
    makeCase('3 branches, depths 1/2/3, different cells -> concatenate -> dense relu -> dense softmax B=3', () => {
      const a = input({ shape: [7, 3] }), b = input({ shape: [7, 5] }), c = input({ shape: [7, 2] });
      const ya = layers.lstm({ units: 17 }).apply(a) as SymbolicTensor;
      const yb = layers.gru({ units: 63 }).apply(layers.gru({ units: 5, returnSequences: true }).apply(b) as SymbolicTensor) as SymbolicTensor;
      let yc = layers.simpleRNN({ units: 1, returnSequences: true }).apply(c) as SymbolicTensor;
      yc = layers.gru({ units: 33, returnSequences: true, resetAfter: false }).apply(yc) as SymbolicTensor;
      yc = layers.simpleRNN({ units: 65 }).apply(yc) as SymbolicTensor;
      const j = layers.concatenate().apply([ya, yb, yc]) as SymbolicTensor;
      const h = layers.dense({ units: 8, activation: 'relu' }).apply(j) as SymbolicTensor;
      return model({ inputs: [a, b, c], outputs: layers.dense({ units: 3, activation: 'softmax' }).apply(h) as SymbolicTensor });
    }, { batch: 3, browser: true }),
    makeCase('2 returnSequences branches concatenated along features -> lstm -> dense T=7 B=3', () => {
      const a = input({ shape: [7, 3] }), b = input({ shape: [7, 4] });
      const ya = layers.lstm({ units: 33, returnSequences: true }).apply(a) as SymbolicTensor;
      const yb = layers.gru({ units: 63, returnSequences: true, resetAfter: false }).apply(b) as SymbolicTensor;
      const j = layers.concatenate().apply([ya, yb]) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(layers.lstm({ units: 17 }).apply(j) as SymbolicTensor) as SymbolicTensor });
    }, { batch: 3, browser: true }),
    makeCase('3 returnSequences branches concatenated as the model output T=64 B=1', () => {
      const a = input({ shape: [64, 2] }), b = input({ shape: [64, 3] }), c = input({ shape: [64, 1] });
      const ys = [
        layers.simpleRNN({ units: 5, returnSequences: true }).apply(a),
        layers.lstm({ units: 65, returnSequences: true, goBackwards: true }).apply(b),
        layers.gru({ units: 17, returnSequences: true }).apply(c),
      ] as SymbolicTensor[];
      return model({ inputs: [a, b, c], outputs: layers.concatenate().apply(ys) as SymbolicTensor });
    }, { batch: 1 }),
    makeCase('one input fanned out to lstm and gru(goBackwards) -> concatenate -> dense H=5/65 B=16', () => {
      const x = input({ shape: [7, 3] });
      const j = layers.concatenate().apply([
        layers.lstm({ units: 5 }).apply(x) as SymbolicTensor,
        layers.gru({ units: 65, goBackwards: true }).apply(x) as SymbolicTensor,
      ]) as SymbolicTensor;
      return model({ inputs: x, outputs: layers.dense({ units: 2, activation: 'sigmoid' }).apply(j) as SymbolicTensor });
    }, { batch: 16 }),
    makeCase('branches of different lengths T=7 and T=64 -> concatenate 2D -> dense B=3', () => {
      const a = input({ shape: [7, 2] }), b = input({ shape: [64, 1] });
      const j = layers.concatenate().apply([
        layers.gru({ units: 17, resetAfter: false }).apply(a) as SymbolicTensor,
        layers.lstm({ units: 33 }).apply(b) as SymbolicTensor,
      ]) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: layers.dense({ units: 4 }).apply(j) as SymbolicTensor });
    }, { batch: 3 }),
    makeCase('sequence branch + static feature input through dense -> concatenate -> dense B=3', () => {
      const seq = input({ shape: [7, 3] }), feat = input({ shape: [4] });
      const j = layers.concatenate().apply([
        layers.lstm({ units: 63 }).apply(seq) as SymbolicTensor,
        layers.dense({ units: 8, activation: 'relu' }).apply(feat) as SymbolicTensor,
      ]) as SymbolicTensor;
      return model({ inputs: [seq, feat], outputs: layers.dense({ units: 1, useBias: false }).apply(j) as SymbolicTensor });
    }, { batch: 3 }),
    makeCase('bidirectional branch + gru branch -> concatenate -> concatenate with a third -> dense B=3', () => {
      const a = input({ shape: [7, 2] }), b = input({ shape: [7, 3] }), c = input({ shape: [7, 1] });
      const ya = layers.bidirectional({ layer: layers.lstm({ units: 17 }), mergeMode: 'concat' }).apply(a) as SymbolicTensor;
      const yb = layers.gru({ units: 5 }).apply(b) as SymbolicTensor;
      const inner = layers.concatenate().apply([ya, yb]) as SymbolicTensor;
      const yc = layers.simpleRNN({ units: 130 }).apply(c) as SymbolicTensor;
      const outer = layers.concatenate().apply([inner, yc]) as SymbolicTensor;
      return model({ inputs: [a, b, c], outputs: layers.dense({ units: 2 }).apply(outer) as SymbolicTensor });
    }, { batch: 3 }),
    makeCase('shared lstm applied to two inputs -> concatenate -> dense B=3', () => {
      const a = input({ shape: [7, 3] }), b = input({ shape: [7, 3] });
      const shared = layers.lstm({ units: 33 });
      const j = layers.concatenate().apply([shared.apply(a) as SymbolicTensor, shared.apply(b) as SymbolicTensor]) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(j) as SymbolicTensor });
    }, { batch: 3, browser: true }),
    // Branches of one configuration run packed (plan.ts packPartner): one dispatch for both.
    makeCase('packed branches: two gru(resetAfter: false, returnSequences) on inputs 3 and 11 wide -> concatenate -> dense T=9 B=2', () => {
      const a = input({ shape: [9, 3] }), b = input({ shape: [9, 11] });
      const ys = [a, b].map((x) => layers.gru({ units: 21, returnSequences: true, resetAfter: false }).apply(x)) as SymbolicTensor[];
      return model({ inputs: [a, b], outputs: layers.dense({ units: 2 }).apply(layers.concatenate().apply(ys) as SymbolicTensor) as SymbolicTensor });
    }, { batch: 2, browser: true }),
    makeCase('packed branches: three simpleRNN(relu, goBackwards) -> concatenate -> dense B=5', () => {
      const xs = [input({ shape: [7, 2] }), input({ shape: [7, 4] }), input({ shape: [7, 1] })];
      const ys = xs.map((x) => layers.simpleRNN({ units: 6, activation: 'relu', goBackwards: true }).apply(x)) as SymbolicTensor[];
      return model({ inputs: xs, outputs: layers.dense({ units: 1 }).apply(layers.concatenate().apply(ys) as SymbolicTensor) as SymbolicTensor });
    }, { batch: 5, tol: LOOSE_TOL }),
    makeCase('packed branches: two gru (reset after) and two lstm of one input -> concatenate B=3', () => {
      const x = input({ shape: [7, 5] });
      const ys = [
        layers.gru({ units: 66 }).apply(x), layers.lstm({ units: 9, returnSequences: true }).apply(x),
        layers.gru({ units: 66 }).apply(x), layers.lstm({ units: 9, returnSequences: true }).apply(x),
      ] as SymbolicTensor[];
      const seq = layers.concatenate().apply([ys[1]!, ys[3]!]) as SymbolicTensor;
      return model({ inputs: x, outputs: [layers.concatenate().apply([ys[0]!, ys[2]!]) as SymbolicTensor, seq] });
    }, { batch: 3 }),
    makeCase('shared gruV1 (rs) and shared dense on two branches, two outputs B=16', () => {
      const a = input({ shape: [7, 2] }), b = input({ shape: [7, 2] });
      const g = layers.gru({ units: 5, returnSequences: true, resetAfter: false });
      const d = layers.dense({ units: 3, activation: 'softmax' });
      return model({ inputs: [a, b], outputs: [d.apply(g.apply(a) as SymbolicTensor) as SymbolicTensor, d.apply(g.apply(b) as SymbolicTensor) as SymbolicTensor] });
    }, { batch: 16 }),
  ];
}

function headAndOutputCases(): TaggedCase[] {
  return [
    makeCase('dense heads: lstm -> dense(65, relu) -> dropout -> dense(10, softmax) B=16', () => sequential([
      layers.lstm({ units: 33, inputShape: [7, 3] }),
      layers.dense({ units: 65, activation: 'relu' }),
      layers.dropout({ rate: 0.5 }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ]), { batch: 16, browser: true }),
    makeCase('time-distributed dense softmax on gru returnSequences T=7 B=3', () => sequential([
      layers.gru({ units: 17, returnSequences: true, inputShape: [7, 4] }),
      layers.dense({ units: 5, activation: 'softmax' }),
    ]), { batch: 3 }),
    makeCase('dense activations sigmoid / tanh / linear / hardSigmoid, useBias=false B=3', () => {
      const x = input({ shape: [7, 2] });
      const h = layers.simpleRNN({ units: 17 }).apply(x) as SymbolicTensor;
      const outs = (['sigmoid', 'tanh', 'linear', 'hardSigmoid'] as const).map((activation, i) =>
        layers.dense({ units: 3, activation, useBias: i % 2 === 0 }).apply(h) as SymbolicTensor);
      return model({ inputs: x, outputs: outs });
    }, { batch: 3 }),
    makeCase('several outputs: intermediate sequence, final state output and a dense head B=3', () => {
      const x = input({ shape: [7, 3] });
      const s = layers.lstm({ units: 17, returnSequences: true }).apply(x) as SymbolicTensor;
      const d = layers.dropout({ rate: 0.2 }).apply(s) as SymbolicTensor;
      const y = layers.gru({ units: 5 }).apply(d) as SymbolicTensor;
      return model({ inputs: x, outputs: [s, y, layers.dense({ units: 2 }).apply(y) as SymbolicTensor] });
    }, { batch: 3 }),
    makeCase('two heads on one lstm: regression and classification B=1', () => {
      const x = input({ shape: [64, 2] });
      const h = layers.lstm({ units: 65 }).apply(x) as SymbolicTensor;
      return model({ inputs: x, outputs: [layers.dense({ units: 1 }).apply(h) as SymbolicTensor, layers.dense({ units: 4, activation: 'softmax' }).apply(h) as SymbolicTensor] });
    }, { batch: 1 }),
  ];
}

function maskedCases(): TaggedCase[] {
  return [
    makeCase('masked lengths: lstm returnSequences H=17 T=7 B=3', single('lstm', 17, 7, 3, { returnSequences: true }), { batch: 3, lengths: [7, 3, 1] }),
    makeCase('masked lengths: gru goBackwards last output H=5 T=7 B=3', single('gru', 5, 7, 2, { goBackwards: true }), { batch: 3, lengths: [2, 7, 5] }),
    // Several rows a resident workgroup (2 and 4 on CPU-emulated adapters), each with its own length.
    makeCase('masked lengths: gru returnSequences H=17 T=7 B=5', single('gru', 17, 7, 3, { returnSequences: true }), { batch: 5, lengths: [7, 2, 5, 1, 6] }),
    makeCase('masked lengths: lstm last output H=33 T=7 B=9', single('lstm', 33, 7, 2), { batch: 9, lengths: [3, 7, 1, 6, 2, 7, 4, 5, 1] }),
  ];
}

/**
 * Batches that leave the last resident workgroup part full (2 or 4 batch rows a workgroup on
 * CPU-emulated adapters: residentRowsFor; a GRU with the reset gate before the matmul keeps one).
 */
function residentRowCases(): TaggedCase[] {
  return [
    ...CELLS.map((cell) => makeCase(`${cell} H=33 T=7 B=10 F=3 returnSequences`, single(cell, 33, 7, 3, { returnSequences: true }), { batch: 10 })),
    makeCase('lstm H=130 T=7 B=5 F=2 last output', single('lstm', 130, 7, 2), { batch: 5 }),
    makeCase('gru H=200 T=7 B=6 F=2 goBackwards last output', single('gru', 200, 7, 2, { goBackwards: true }), { batch: 6 }),
    // Three quads of rows for the tiled step kernel (rounded up to four; with three, its slices had
    // been fractional and a 3-unit LSTM hung).
    makeCase('lstm H=3 T=5 B=11 F=2 returnSequences', single('lstm', 3, 5, 2, { returnSequences: true }), { batch: 11 }),
  ];
}

/**
 * Two stacked layers of a cell on [T, F], both with the extensions `ext` (layer 2 returning sequences
 * with `seq2`; layer 1 with a bias or not).
 */
function twoLayers(cell: 'lstm' | 'simpleRNN', F: number, T: number, H1: number, H2: number, ext: RecurrentExtensions, seq2 = false, bias1 = true): () => Model {
  return () => {
    const x = input({ shape: [T, F] });
    const h = new RecurrentLayer(cell, { units: H1, returnSequences: true, useBias: bias1 }, ext).apply(x) as SymbolicTensor;
    return model({ inputs: x, outputs: new RecurrentLayer(cell, { units: H2, returnSequences: seq2 }, ext).apply(h) as SymbolicTensor });
  };
}

/**
 * Stacked pairs the wavefront kernel runs (kernel: 'wavefront'), with `pairs` the number of its
 * dispatches each plan must hold: LSTM and SimpleRNN, equal and different units (layer 1 or layer 2
 * the larger; SimpleRNN's quads across the seam of [h1; h2]), Dropout between, layer 2 without bias,
 * other activations, 1, 2 and 4 rows a workgroup with a partial last one (B = 65, 257), the largest
 * pair (256 + 256 units), a third layer after a pair, ONNX's cell options (peepholes, coupled gates,
 * clip, activation parameters), and two branches of pairs into a concatenation.
 */
export function wavefrontCases(): (GpuCase & { pairs: number })[] {
  const pair = (c: TaggedCase, pairs = 1) => ({ ...strip(c), pairs });
  return [
    pair(makeCase('wavefront: issue example lstm(50, rs) -> lstm(50) -> dense(1) on [10, 1] B=16', () => sequential([
      layers.lstm({ units: 50, returnSequences: true, inputShape: [10, 1] }),
      layers.lstm({ units: 50 }),
      layers.dense({ units: 1 }),
    ]), { batch: 16 })),
    pair(makeCase('wavefront: simpleRNN(33, rs) -> dropout -> simpleRNN(17, rs) T=7 B=3', () => sequential([
      layers.simpleRNN({ units: 33, returnSequences: true, inputShape: [7, 4] }),
      layers.dropout({ rate: 0.3 }),
      layers.simpleRNN({ units: 17, returnSequences: true }),
    ]), { batch: 3 })),
    pair(makeCase('wavefront: lstm(5, rs) -> lstm(130) T=9 B=65', () => sequential([
      layers.lstm({ units: 5, returnSequences: true, inputShape: [9, 3] }),
      layers.lstm({ units: 130 }),
    ]), { batch: 65 })),
    pair(makeCase('wavefront: lstm(63, rs) -> lstm(1, rs) T=5 B=257', () => sequential([
      layers.lstm({ units: 63, returnSequences: true, inputShape: [5, 2] }),
      layers.lstm({ units: 1, returnSequences: true }),
    ]), { batch: 257 })),
    pair(makeCase('wavefront: lstm(hardSigmoid/relu, rs) -> lstm(hardSigmoid/relu, no bias) T=7 B=3', () => sequential([
      layers.lstm({ units: 33, returnSequences: true, recurrentActivation: 'hardSigmoid', activation: 'relu', inputShape: [7, 2] }),
      layers.lstm({ units: 20, recurrentActivation: 'hardSigmoid', activation: 'relu', useBias: false }),
    ]), { batch: 3, tol: LOOSE_TOL })),
    pair(makeCase('wavefront: simpleRNN(relu, rs) -> simpleRNN(relu) T=6 B=2', () => sequential([
      layers.simpleRNN({ units: 9, returnSequences: true, activation: 'relu', inputShape: [6, 3] }),
      layers.simpleRNN({ units: 66, activation: 'relu' }),
    ]), { batch: 2, tol: LOOSE_TOL })),
    pair(makeCase('wavefront: lstm(256, rs) -> lstm(256, rs) T=6 B=2', () => sequential([
      layers.lstm({ units: 256, returnSequences: true, inputShape: [6, 8] }),
      layers.lstm({ units: 256, returnSequences: true }),
    ]), { batch: 2 })),
    // Pairs 'auto' runs as the wavefront step kernel on a GPU (128 units or more, batch up to 16).
    pair(makeCase('wavefront: lstm(128, rs) -> lstm(128) T=5 B=16', () => sequential([
      layers.lstm({ units: 128, returnSequences: true, inputShape: [5, 6] }),
      layers.lstm({ units: 128 }),
    ]), { batch: 16 })),
    pair(makeCase('wavefront: simpleRNN(144, rs) -> simpleRNN(20, rs) T=6 B=1', () => sequential([
      layers.simpleRNN({ units: 144, returnSequences: true, inputShape: [6, 5] }),
      layers.simpleRNN({ units: 20, returnSequences: true }),
    ]), { batch: 1 })),
    pair(makeCase('wavefront: lstm(17, rs) -> lstm(17, rs) -> lstm(17) -> dense T=8 B=4', () => sequential([
      layers.lstm({ units: 17, returnSequences: true, inputShape: [8, 3] }),
      layers.lstm({ units: 17, returnSequences: true }),
      layers.lstm({ units: 17 }),
      layers.dense({ units: 2 }),
    ]), { batch: 4 })),
    // The cell options beyond Keras' (ONNX's peepholes, coupled gates, clip and activation parameters).
    pair(makeCase('wavefront: peepholes, clip 0.7: lstm(6, rs) -> lstm(10) T=5 B=3', twoLayers('lstm', 3, 5, 6, 10, { peephole: true, clip: 0.7 }), { batch: 3 })),
    pair(makeCase('wavefront: peepholes, input_forget: lstm(33, rs) -> lstm(7, rs) T=6 B=5', twoLayers('lstm', 2, 6, 33, 7, { peephole: true, inputForget: true }, true), { batch: 5 })),
    pair(makeCase('wavefront: peepholes lstm(70, rs) -> lstm(3) T=4 B=66', twoLayers('lstm', 2, 4, 70, 3, { peephole: true }), { batch: 66 })),
    pair(makeCase('wavefront: scaledTanh / hardSigmoid with alpha and beta: lstm(9, rs) -> lstm(9) T=5 B=2', twoLayers('lstm', 2, 5, 9, 9, {
      acts: { f: actSpec('hardSigmoid', 0.3, 0.4), g: actSpec('scaledTanh', 1.3, 0.6), h: actSpec('scaledTanh', 0.8, 1.2) },
    }), { batch: 2 })),
    pair(makeCase('wavefront: clip 0.3, layer 1 without bias: simpleRNN(5, rs) -> simpleRNN(3) T=4 B=1', twoLayers('simpleRNN', 2, 4, 5, 3, { clip: 0.3 }, false, false), { batch: 1 })),
    pair(makeCase('wavefront: 2 inputs -> lstm(12, rs) -> lstm(12) each -> concat -> dense T=6 B=5', () => {
      const a = input({ shape: [6, 3] }), b = input({ shape: [6, 2] });
      const branch = (x: SymbolicTensor) => {
        const h = layers.lstm({ units: 12, returnSequences: true }).apply(x) as SymbolicTensor;
        return layers.lstm({ units: 12 }).apply(h) as SymbolicTensor;
      };
      const y = layers.dense({ units: 1 }).apply(layers.concatenate().apply([branch(a), branch(b)]) as SymbolicTensor) as SymbolicTensor;
      return model({ inputs: [a, b], outputs: y });
    }, { batch: 5 }), 2),
  ];
}

function tagged(): TaggedCase[] {
  return [
    ...singleLayerCases(), ...sizeCases(), ...activationCases(), ...stateCases(), ...stackCases(), ...bidirectionalCases(),
    ...branchCases(), ...headAndOutputCases(), ...residentRowCases(),
  ];
}

const strip = ({ browser: _b, ...c }: TaggedCase): GpuCase => c;

/** Every case the Node suite runs (no masking: see lengthCases). */
export function allCases(): GpuCase[] {
  return tagged().map(strip);
}

/** A representative subset with modest sizes, for the headless-Chromium harness. */
export function browserCases(): GpuCase[] {
  return tagged().filter((c) => c.browser).map(strip);
}

/**
 * Browser cases run a second time with every input in a GPU buffer (predict's GpuTensor): a stack, two
 * inputs, and three of which two are vectors (initial states).
 */
export function browserGpuInputCases(): GpuCase[] {
  return browserCases().filter((c) => /^issue example|^lstm initialState/.test(c.name)).map((c) => ({ ...c, name: `${c.name} (inputs in GPU buffers)` }));
}

/** Cases with per-row valid lengths (predict's `lengths` option, right padding). */
export function lengthCases(): GpuCase[] {
  return maskedCases().map(strip);
}
