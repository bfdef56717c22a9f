/**
 * The float64 CPU reference is what every GPU result is checked against, so it is checked itself:
 *  1. against TensorFlow.js' own layers (golden outputs in test/support/golden-tfjs.ts), which fixes
 *     Keras' weight layout, gate order, goBackwards, Bidirectional merges and returned states;
 *  2. against the Keras equations written out step by step below, on models small enough to follow
 *     by hand (H = 1 or 2, T = 2 or 3), including what tfjs lacks: GRU resetAfter=true.
 * Imports go straight to src/graph and src/cpu: these tests do not depend on the GPU code.
 */
import { describe, expect, test } from 'vitest';
import { runReference } from '../src/cpu/reference.js';
import {
  type Model, type SymbolicTensor, type Tensor, input, layers, model, sequential,
} from '../src/graph/index.js';
import { expectClose, expectOutputsClose } from './support/compare.js';
import { TFJS_GOLDEN } from './support/golden-tfjs.js';

// ---------------------------------------------------------------------------------------------------
// Scalar math written from the definitions (not imported from src/cpu/math.ts).
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const hardSigmoid = (x: number) => Math.max(0, Math.min(1, 0.2 * x + 0.5)); // Keras 2 / tfjs
const relu = (x: number) => Math.max(0, x);
const { tanh } = Math;

/** Float64 values stored in float32 weights: compare hand results with what the model really holds. */
const f32 = (v: number) => Math.fround(v);

function tensor(data: number[], shape: number[]): Tensor {
  return { data: Float32Array.from(data), shape };
}

/** The reference's single output, checked for shape. */
function ref1(m: Model, inputs: Tensor[]): number[] {
  const out = runReference(m, inputs);
  expect(out).toHaveLength(1);
  return Array.from(out[0]!.data);
}

const HAND_TOL = { atol: 1e-12, rtol: 1e-12 };

// ---------------------------------------------------------------------------------------------------
describe('against TensorFlow.js layers (golden outputs)', () => {
  // The same formulas generated the goldens (test/support/make-golden-tfjs.cjs).
  const wave = (n: number, seed: number, scale: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * scale);
  const inputsOf = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.61 + seed) * 0.9);
  const scaleOf = (name: string) => (/bias/.test(name) ? 0.3 : /recurrent_kernel/.test(name) ? 0.4 : 0.6);

  /** tfjs' float32 arithmetic against our float64: a few float32 ULPs on values below 1. */
  const GOLDEN_TOL = { atol: 2e-6, rtol: 1e-5 };

  function check(name: string, m: Model, xShape: number[], seed: number, extra: number[][] = []): void {
    const specs = m.layers.flatMap((l) => l.weightSpecs());
    m.setWeights(specs.map((s, k) => wave(s.shape.reduce((a, b) => a * b, 1), seed + k, scaleOf(s.name))));
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const xs: Tensor[] = [
      { data: inputsOf(size(xShape), seed), shape: xShape },
      ...extra.map((s, j) => ({ data: inputsOf(size(s), seed + 100 + j), shape: s })),
    ];
    const golden = TFJS_GOLDEN[name];
    if (!golden) throw new Error(`no golden '${name}'`);
    expectOutputsClose(runReference(m, xs), golden, GOLDEN_TOL);
  }

  const seqIn = (shape: number[]) => input({ shape });

  test('SimpleRNN, returnSequences', () => {
    check('simpleRNN rs', sequential([layers.simpleRNN({ units: 2, returnSequences: true, inputShape: [3, 3] })]), [2, 3, 3], 1);
  });

  test('LSTM (gates i, f, c, o), returnSequences and returnState [output, h, c]', () => {
    const x = seqIn([3, 3]);
    const outs = layers.lstm({ units: 2, returnSequences: true, returnState: true }).apply(x) as SymbolicTensor[];
    check('lstm rs state', model({ inputs: x, outputs: outs }), [2, 3, 3], 2);
  });

  test('LSTM hardSigmoid gates, relu activation, goBackwards', () => {
    check('lstm hardSigmoid relu goBackwards', sequential([layers.lstm({
      units: 3, returnSequences: true, goBackwards: true, recurrentActivation: 'hardSigmoid', activation: 'relu', inputShape: [4, 2],
    })]), [2, 4, 2], 3);
  });

  test('GRU resetAfter=false (gates z, r, h), returnSequences and returnState', () => {
    const x = seqIn([3, 3]);
    const outs = layers.gru({ units: 2, returnSequences: true, returnState: true, resetAfter: false }).apply(x) as SymbolicTensor[];
    check('gruV1 rs state', model({ inputs: x, outputs: outs }), [2, 3, 3], 4);
  });

  test('GRU resetAfter=false, goBackwards, hardSigmoid, no bias', () => {
    check('gruV1 goBackwards hardSigmoid nobias', sequential([layers.gru({
      units: 3, goBackwards: true, recurrentActivation: 'hardSigmoid', useBias: false, resetAfter: false, inputShape: [4, 2],
    })]), [2, 4, 2], 5);
  });

  for (const mode of ['concat', 'sum', 'mul', 'ave'] as const) {
    test(`Bidirectional LSTM, mergeMode ${mode}, returnSequences`, () => {
      check(`bidi lstm ${mode}`, sequential([layers.bidirectional({
        layer: layers.lstm({ units: 2, returnSequences: true }), mergeMode: mode, inputShape: [3, 2],
      })]), [2, 3, 2], 6);
    });
  }

  test('Bidirectional GRU concat with returnState [merged, h forward, h backward]', () => {
    const x = seqIn([3, 2]);
    const outs = layers.bidirectional({ layer: layers.gru({ units: 2, returnState: true, resetAfter: false }), mergeMode: 'concat' }).apply(x) as SymbolicTensor[];
    check('bidi gruV1 concat state last', model({ inputs: x, outputs: outs }), [2, 3, 2], 7);
  });

  test('LSTM with initial states [h0, c0] as model inputs', () => {
    const x = seqIn([3, 2]), h = input({ shape: [2] }), c = input({ shape: [2] });
    const y = layers.lstm({ units: 2 }).apply(x, { initialState: [h, c] }) as SymbolicTensor;
    check('lstm initialState', model({ inputs: [x, h, c], outputs: y }), [2, 3, 2], 8, [[2, 2], [2, 2]]);
  });

  test('stack SimpleRNN(relu) -> LSTM -> Dense(softmax)', () => {
    check('stack dense softmax', sequential([
      layers.simpleRNN({ units: 3, returnSequences: true, activation: 'relu', inputShape: [3, 2] }),
      layers.lstm({ units: 2 }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ]), [2, 3, 2], 9);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('against the equations, step by step', () => {
  test('SimpleRNN H=1: h_t = tanh(x_t w + h_{t-1} u + b); the last output and the sequence', () => {
    const [w, u, b] = [0.7, -0.4, 0.1];
    const xs = [0.5, -1.2, 0.9];
    const last = sequential([layers.simpleRNN({ units: 1, inputShape: [3, 1] })]);
    const seq = sequential([layers.simpleRNN({ units: 1, returnSequences: true, inputShape: [3, 1] })]);
    for (const m of [last, seq]) m.setWeights([new Float32Array([w]), new Float32Array([u]), new Float32Array([b])]);
    const h: number[] = [];
    let prev = 0;
    for (const x of xs) {
      prev = tanh(f32(x) * f32(w) + prev * f32(u) + f32(b));
      h.push(prev);
    }
    const x = tensor(xs, [1, 3, 1]);
    expectClose({ data: ref1(seq, [x]), shape: [1, 3, 1] }, { data: h, shape: [1, 3, 1] }, HAND_TOL);
    expectClose({ data: ref1(last, [x]), shape: [1, 1] }, { data: [h[2]!], shape: [1, 1] }, HAND_TOL);
  });

  test('SimpleRNN goBackwards reads the sequence from the end; returnSequences keeps processing order', () => {
    const [w, u, b] = [0.7, -0.4, 0.1];
    const xs = [0.5, -1.2, 0.9];
    const m = sequential([layers.simpleRNN({ units: 1, returnSequences: true, goBackwards: true, inputShape: [3, 1] })]);
    m.setWeights([new Float32Array([w]), new Float32Array([u]), new Float32Array([b])]);
    const h: number[] = [];
    let prev = 0;
    for (const x of [...xs].reverse()) {
      prev = tanh(f32(x) * f32(w) + prev * f32(u) + f32(b));
      h.push(prev);
    }
    expectClose({ data: ref1(m, [tensor(xs, [1, 3, 1])]), shape: [3] }, { data: h, shape: [3] }, HAND_TOL);
  });

  test('SimpleRNN activations: relu, linear, sigmoid, hardSigmoid (0.2 x + 0.5, clipped), tanh', () => {
    const acts = { relu, linear: (v: number) => v, sigmoid, hardSigmoid, tanh } as const;
    // Pre-activations of up to ±4.5 reach both clipping points of hardSigmoid (±2.5).
    const [w, u, b] = [3, 0.5, -0.5];
    const xs = [1.5, -1.0, 0.25, -1.5];
    for (const [name, fn] of Object.entries(acts)) {
      const m = sequential([layers.simpleRNN({ units: 1, activation: name, returnSequences: true, inputShape: [4, 1] })]);
      m.setWeights([new Float32Array([w]), new Float32Array([u]), new Float32Array([b])]);
      const h: number[] = [];
      let prev = 0;
      for (const x of xs) {
        prev = fn(x * w + prev * u + b);
        h.push(prev);
      }
      const got = ref1(m, [tensor(xs, [1, 4, 1])]);
      const report = `activation ${name}`;
      expect(got.length, report).toBe(4);
      got.forEach((v, i) => expect(v, `${report} step ${i}`).toBeCloseTo(h[i]!, 12));
    }
    // The clipping is really reached: hardSigmoid(1.5 * 3 - 0.5 = 4) = 1.
    expect(hardSigmoid(4)).toBe(1);
  });

  test('LSTM H=2 with initial state: Keras layout kernel [F, 4H], gate blocks i, f, c, o; returnState', () => {
    const F = 2, H = 2, G = 4;
    // Distinct values everywhere so any transposition or gate swap changes the result.
    const K = Float32Array.from({ length: F * G * H }, (_, i) => Math.sin(1 + i * 0.9) * 0.8);
    const U = Float32Array.from({ length: H * G * H }, (_, i) => Math.cos(2 + i * 1.3) * 0.6);
    const B = Float32Array.from({ length: G * H }, (_, i) => 0.1 * (i - 3));
    const xs = [[0.3, -0.8], [1.1, 0.4]].map((r) => r.map(f32));
    const h0 = [0.2, -0.5].map(f32), c0 = [-0.3, 0.6].map(f32);
    const x = input({ shape: [2, F] }), hIn = input({ shape: [H] }), cIn = input({ shape: [H] });
    const outs = layers.lstm({ units: H, returnSequences: true, returnState: true }).apply(x, { initialState: [hIn, cIn] }) as SymbolicTensor[];
    const m = model({ inputs: [x, hIn, cIn], outputs: outs });
    m.setWeights([K, U, B]);

    // pre(g, j) = sum_k x_k K[k, g*H + j] + sum_m h_m U[m, g*H + j] + b[g*H + j]
    let h = [...h0], c = [...c0];
    const seq: number[] = [];
    for (const xt of xs) {
      const pre = (g: number, j: number) => {
        let s = B[g * H + j]!;
        for (let k = 0; k < F; k++) s += xt[k]! * K[k * G * H + g * H + j]!;
        for (let q = 0; q < H; q++) s += h[q]! * U[q * G * H + g * H + j]!;
        return s;
      };
      const i = [0, 1].map((j) => sigmoid(pre(0, j)));
      const f = [0, 1].map((j) => sigmoid(pre(1, j)));
      const cc = [0, 1].map((j) => tanh(pre(2, j)));
      const o = [0, 1].map((j) => sigmoid(pre(3, j)));
      c = [0, 1].map((j) => f[j]! * c[j]! + i[j]! * cc[j]!);
      h = [0, 1].map((j) => o[j]! * tanh(c[j]!));
      seq.push(...h);
    }
    const out = runReference(m, [tensor(xs.flat(), [1, 2, F]), tensor(h0, [1, H]), tensor(c0, [1, H])]);
    expect(out.map((t) => t.shape)).toEqual([[1, 2, H], [1, H], [1, H]]);
    expectClose(out[0]!, { data: seq, shape: [1, 2, H] }, HAND_TOL);
    expectClose(out[1]!, { data: h, shape: [1, H] }, HAND_TOL);
    expectClose(out[2]!, { data: c, shape: [1, H] }, HAND_TOL);
  });

  test('LSTM gate order by construction: one non-zero kernel entry feeds exactly one gate', () => {
    // Only K[x_1 -> candidate of unit 1] = 1, everything else zero: i = f = o = 1/2, c = tanh(x_1) / 2 on
    // unit 1 and 0 on unit 0.
    const m = sequential([layers.lstm({ units: 2, inputShape: [1, 2] })]);
    const K = new Float32Array(2 * 8);
    K[1 * 8 + 2 * 2 + 1] = 1;
    m.setWeights([K, new Float32Array(2 * 8), new Float32Array(8)]);
    const x1 = 0.9;
    const c1 = 0.5 * tanh(f32(x1));
    expectClose({ data: ref1(m, [tensor([0.4, x1], [1, 1, 2])]), shape: [2] }, { data: [0, 0.5 * tanh(c1)], shape: [2] }, HAND_TOL);
  });

  /** Keras GRU, both variants, written out for H units. */
  function gruByHand(
    xs: number[][], h0: number[], K: Float32Array, U: Float32Array, bIn: number[], bRec: number[], resetAfter: boolean,
  ): number[][] {
    const H = h0.length, F = xs[0]!.length, G = 3;
    let h = [...h0];
    const seq: number[][] = [];
    for (const xt of xs) {
      const xPart = (g: number, j: number) => {
        let s = bIn[g * H + j]!;
        for (let k = 0; k < F; k++) s += xt[k]! * K[k * G * H + g * H + j]!;
        return s;
      };
      const hPart = (v: number[], g: number, j: number) => {
        let s = 0;
        for (let q = 0; q < H; q++) s += v[q]! * U[q * G * H + g * H + j]!;
        return s;
      };
      const js = Array.from({ length: H }, (_, j) => j);
      const z = js.map((j) => sigmoid(xPart(0, j) + hPart(h, 0, j) + bRec[j]!));
      const r = js.map((j) => sigmoid(xPart(1, j) + hPart(h, 1, j) + bRec[H + j]!));
      let hh: number[];
      if (resetAfter) {
        // h~ = tanh(x W_h + b_h + r * (h U_h + b_rh))
        hh = js.map((j) => tanh(xPart(2, j) + r[j]! * (hPart(h, 2, j) + bRec[2 * H + j]!)));
      } else {
        // h~ = tanh(x W_h + b_h + (r * h) U_h)
        const rh = js.map((j) => r[j]! * h[j]!);
        hh = js.map((j) => tanh(xPart(2, j) + hPart(rh, 2, j)));
      }
      h = js.map((j) => z[j]! * h[j]! + (1 - z[j]!) * hh[j]!);
      seq.push(h);
    }
    return seq;
  }

  const gruK = Float32Array.from({ length: 2 * 6 }, (_, i) => Math.sin(0.5 + i * 1.1) * 0.9);
  const gruU = Float32Array.from({ length: 2 * 6 }, (_, i) => Math.cos(0.2 + i * 0.7) * 0.8);
  const gruX = [[0.6, -0.9], [-0.3, 1.2], [0.8, 0.1]].map((r) => r.map(f32));
  const gruH0 = [0.4, -0.7].map(f32);

  function gruModel(resetAfter: boolean): Model {
    const x = input({ shape: [3, 2] }), h0 = input({ shape: [2] });
    const y = layers.gru({ units: 2, returnSequences: true, resetAfter }).apply(x, { initialState: h0 }) as SymbolicTensor;
    return model({ inputs: [x, h0], outputs: y });
  }
  const gruInputs = () => [tensor(gruX.flat(), [1, 3, 2]), tensor(gruH0, [1, 2])];

  test('GRU resetAfter=true (Keras 2 default): bias [2, 3H] = [input bias; recurrent bias], reset after the matmul', () => {
    const bIn = [0.1, -0.2, 0.3, 0.05, -0.15, 0.25], bRec = [-0.3, 0.2, 0.1, 0.4, -0.1, 0.35];
    const m = gruModel(true);
    expect(m.layers[0]!.weightSpecs().map((s) => s.shape)).toEqual([[2, 6], [2, 6], [2, 6]]);
    m.setWeights([gruK, gruU, Float32Array.from([...bIn, ...bRec])]);
    const expected = gruByHand(gruX, gruH0, gruK, gruU, bIn.map(f32), bRec.map(f32), true);
    expectClose(runReference(m, gruInputs())[0]!, { data: expected.flat(), shape: [1, 3, 2] }, HAND_TOL);
  });

  test('GRU resetAfter=false: bias [3H], reset applied to h before the matmul', () => {
    const b = [0.1, -0.2, 0.3, 0.05, -0.15, 0.25];
    const m = gruModel(false);
    expect(m.layers[0]!.weightSpecs().map((s) => s.shape)).toEqual([[2, 6], [2, 6], [6]]);
    m.setWeights([gruK, gruU, Float32Array.from(b)]);
    const expected = gruByHand(gruX, gruH0, gruK, gruU, b.map(f32), [0, 0, 0, 0, 0, 0], false);
    expectClose(runReference(m, gruInputs())[0]!, { data: expected.flat(), shape: [1, 3, 2] }, HAND_TOL);
  });

  test('the two GRU variants really differ on the same weights (zero recurrent bias)', () => {
    const b = Float32Array.from([0.1, -0.2, 0.3, 0.05, -0.15, 0.25]);
    const after = gruModel(true), before = gruModel(false);
    after.setWeights([gruK, gruU, Float32Array.from([...b, 0, 0, 0, 0, 0, 0])]);
    before.setWeights([gruK, gruU, b]);
    const a = ref1(after, gruInputs()), c = ref1(before, gruInputs());
    expect(Math.max(...a.map((v, i) => Math.abs(v - c[i]!)))).toBeGreaterThan(1e-3);
  });

  test('GRU gate order z, r, h: a bias on the z block alone sets h = z h0 + (1 - z) tanh(0)', () => {
    const m = gruModel(false);
    const b = new Float32Array(6);
    b[0] = 1.5; // z of unit 0
    m.setWeights([new Float32Array(12), new Float32Array(12), b]);
    const z0 = sigmoid(1.5), z1 = 0.5;
    // All three steps see zero input, so h_t = z^t h0.
    const expected = [1, 2, 3].flatMap((t) => [z0 ** t * f32(gruH0[0]!), z1 ** t * f32(gruH0[1]!)]);
    expectClose(runReference(m, gruInputs())[0]!, { data: expected, shape: [1, 3, 2] }, HAND_TOL);
  });

  test('LSTM default weights: unitForgetBias puts ones on the forget block of the bias, Glorot-bounded kernel', () => {
    const H = 3, F = 2;
    const on = sequential([layers.lstm({ units: H, inputShape: [4, F] })]).getWeights();
    const off = sequential([layers.lstm({ units: H, unitForgetBias: false, inputShape: [4, F] })]).getWeights();
    expect(Array.from(on[2]!)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(off[2]!)).toEqual(new Array(12).fill(0));
    const limit = Math.sqrt(6 / (F + 4 * H));
    expect(on[0]!.every((v) => Math.abs(v) <= limit)).toBe(true);
    expect(on[0]!.some((v) => v !== 0)).toBe(true);
    expect(on[1]!.some((v) => v !== 0)).toBe(true);
  });

  test('LSTM default weights with unitForgetBias: the reference uses f = sigmoid(x W_f + h U_f + 1)', () => {
    const m = sequential([layers.lstm({ units: 1, inputShape: [2, 1] })]);
    const [K, U, B] = m.getWeights() as [Float32Array, Float32Array, Float32Array];
    expect(Array.from(B)).toEqual([0, 1, 0, 0]);
    const xs = [0.7, -0.4].map(f32);
    let h = 0, c = 0;
    for (const x of xs) {
      const pre = (g: number) => x * K[g]! + h * U[g]! + B[g]!;
      const i = sigmoid(pre(0)), f = sigmoid(pre(1)), g = tanh(pre(2)), o = sigmoid(pre(3));
      c = f * c + i * g;
      h = o * tanh(c);
    }
    expectClose({ data: ref1(m, [tensor(xs, [1, 2, 1])]), shape: [1] }, { data: [h], shape: [1] }, HAND_TOL);
  });

  test('Bidirectional SimpleRNN H=1: backward outputs are put back in time order; every merge mode', () => {
    const wf = [0.8, 0.3, -0.1], wb = [-0.6, 0.5, 0.2]; // kernel, recurrent, bias of each direction
    const xs = [0.5, -1.0, 0.7];
    const run = (w: number[], order: number[]) => {
      const out = new Array<number>(xs.length);
      let h = 0;
      for (const t of order) {
        h = tanh(f32(xs[t]!) * f32(w[0]!) + h * f32(w[1]!) + f32(w[2]!));
        out[t] = h;
      }
      return out;
    };
    const fwd = run(wf, [0, 1, 2]);
    const bwd = run(wb, [2, 1, 0]); // bwd[t]: the backward layer's output after reading x_t (time order)
    const expected = {
      concat: fwd.flatMap((v, t) => [v, bwd[t]!]),
      sum: fwd.map((v, t) => v + bwd[t]!),
      mul: fwd.map((v, t) => v * bwd[t]!),
      ave: fwd.map((v, t) => (v + bwd[t]!) / 2),
    };
    for (const mode of ['concat', 'sum', 'mul', 'ave'] as const) {
      const m = sequential([layers.bidirectional({ layer: layers.simpleRNN({ units: 1, returnSequences: true }), mergeMode: mode, inputShape: [3, 1] })]);
      m.setWeights([...wf, ...wb].map((v) => new Float32Array([v])));
      const width = mode === 'concat' ? 2 : 1;
      expectClose({ data: ref1(m, [tensor(xs, [1, 3, 1])]), shape: [1, 3, width] }, { data: expected[mode], shape: [1, 3, width] }, HAND_TOL);
    }
    // Without returnSequences: the forward layer's last output and the backward layer's last (= time 0).
    const last = sequential([layers.bidirectional({ layer: layers.simpleRNN({ units: 1 }), inputShape: [3, 1] })]);
    last.setWeights([...wf, ...wb].map((v) => new Float32Array([v])));
    expectClose({ data: ref1(last, [tensor(xs, [1, 3, 1])]), shape: [2] }, { data: [fwd[2]!, bwd[0]!], shape: [2] }, HAND_TOL);
  });

  test('Bidirectional LSTM returnState: [merged, h_fwd, c_fwd, h_bwd, c_bwd]', () => {
    const x = input({ shape: [2, 1] });
    const outs = layers.bidirectional({ layer: layers.lstm({ units: 1, returnState: true }), mergeMode: 'sum' }).apply(x) as SymbolicTensor[];
    const m = model({ inputs: x, outputs: outs });
    const wf = [[0.5, -0.3, 0.9, 0.2], [0.1, 0.4, -0.2, 0.3], [0.0, 1.0, 0.1, -0.1]];
    const wb = [[-0.4, 0.6, 0.3, -0.5], [0.2, -0.1, 0.5, 0.1], [0.2, 0.5, -0.3, 0.0]];
    m.setWeights([...wf, ...wb].map((a) => Float32Array.from(a)));
    const xs = [0.8, -0.6];
    const lstm1 = (w: number[][], order: number[]) => {
      let h = 0, c = 0;
      for (const t of order) {
        const pre = (g: number) => f32(xs[t]!) * f32(w[0]![g]!) + h * f32(w[1]![g]!) + f32(w[2]![g]!);
        const i = sigmoid(pre(0)), f = sigmoid(pre(1)), g = tanh(pre(2)), o = sigmoid(pre(3));
        c = f * c + i * g;
        h = o * tanh(c);
      }
      return [h, c] as const;
    };
    const [hf, cf] = lstm1(wf, [0, 1]);
    const [hb, cb] = lstm1(wb, [1, 0]);
    const out = runReference(m, [tensor(xs, [1, 2, 1])]);
    expect(out.map((t) => Array.from(t.data))).toHaveLength(5);
    const expected = [hf + hb, hf, cf, hb, cb];
    out.forEach((t, k) => expectClose(t, { data: [expected[k]!], shape: [1, 1] }, HAND_TOL));
  });

  test('Dense on vectors and on sequences (per time step); softmax rows sum to one', () => {
    const x = input({ shape: [2, 3] });
    const d = layers.dense({ units: 2, activation: 'softmax' });
    const m = model({ inputs: x, outputs: d.apply(x) as SymbolicTensor });
    const K = [0.5, -1, 0.25, 2, -0.75, 0.1]; // [3, 2]
    const b = [0.2, -0.3];
    m.setWeights([Float32Array.from(K), Float32Array.from(b)]);
    const xs = [[1, 2, 3], [-1, 0.5, 0]];
    const expected = xs.flatMap((row) => {
      const z = [0, 1].map((j) => f32(b[j]!) + row.reduce((s, v, k) => s + v * f32(K[k * 2 + j]!), 0));
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const sum = e[0]! + e[1]!;
      return e.map((v) => v / sum);
    });
    expectClose(runReference(m, [tensor(xs.flat(), [1, 2, 3])])[0]!, { data: expected, shape: [1, 2, 2] }, HAND_TOL);
  });

  test('Concatenate joins along features, 2D and 3D; Dropout is the identity', () => {
    const a = input({ shape: [2, 2] }), b = input({ shape: [2, 1] });
    const seq = layers.concatenate().apply([a, layers.dropout({ rate: 0.5 }).apply(b) as SymbolicTensor]) as SymbolicTensor;
    const p = input({ shape: [1] }), q = input({ shape: [3] });
    const flat = layers.concatenate().apply([p, q]) as SymbolicTensor;
    const m = model({ inputs: [a, b, p, q], outputs: [seq, flat] });
    const out = runReference(m, [
      tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), tensor([9, 10, 11, 12], [2, 2, 1]), tensor([13, 14], [2, 1]), tensor([15, 16, 17, 18, 19, 20], [2, 3]),
    ]);
    expectClose(out[0]!, { data: [1, 2, 9, 3, 4, 10, 5, 6, 11, 7, 8, 12], shape: [2, 2, 3] }, HAND_TOL);
    expectClose(out[1]!, { data: [13, 15, 16, 17, 14, 18, 19, 20], shape: [2, 4] }, HAND_TOL);
  });

  test('a shared layer applied twice uses the same weights on both inputs', () => {
    const a = input({ shape: [2, 1] }), b = input({ shape: [2, 1] });
    const shared = layers.simpleRNN({ units: 1 });
    const m = model({ inputs: [a, b], outputs: [shared.apply(a) as SymbolicTensor, shared.apply(b) as SymbolicTensor] });
    expect(m.getWeights()).toHaveLength(3);
    m.setWeights([new Float32Array([0.9]), new Float32Array([0.5]), new Float32Array([0])]);
    const f = (x0: number, x1: number) => tanh(x1 * f32(0.9) + tanh(x0 * f32(0.9)) * 0.5);
    const out = runReference(m, [tensor([0.5, -0.5], [1, 2, 1]), tensor([1, 0.25], [1, 2, 1])]);
    expectClose(out[0]!, { data: [f(0.5, -0.5)], shape: [1, 1] }, HAND_TOL);
    expectClose(out[1]!, { data: [f(1, 0.25)], shape: [1, 1] }, HAND_TOL);
  });

  test('batch rows are independent: row b of a batch equals the model run on row b alone', () => {
    const m = sequential([layers.gru({ units: 3, returnSequences: true, inputShape: [4, 2] })]);
    const xs = Array.from({ length: 3 * 4 * 2 }, (_, i) => Math.sin(i));
    const all = ref1(m, [tensor(xs, [3, 4, 2])]);
    for (let b = 0; b < 3; b++) {
      const one = ref1(m, [tensor(xs.slice(b * 8, (b + 1) * 8), [1, 4, 2])]);
      expect(all.slice(b * 12, (b + 1) * 12)).toEqual(one);
    }
  });

  test('masking by lengths (Keras): masked steps keep the state and repeat the last valid output', () => {
    const [w, u, b] = [0.7, -0.4, 0.1];
    const xs = [0.5, -1.2, 0.9, 0.3];
    const cell = (x: number, h: number) => tanh(f32(x) * f32(w) + h * f32(u) + f32(b));
    const mk = (goBackwards: boolean) => {
      const m = sequential([layers.simpleRNN({ units: 1, returnSequences: true, goBackwards, inputShape: [4, 1] })]);
      m.setWeights([new Float32Array([w]), new Float32Array([u]), new Float32Array([b])]);
      return m;
    };
    // Forwards, length 2: steps 0, 1 run; steps 2, 3 repeat step 1's output.
    const h0 = cell(xs[0]!, 0), h1 = cell(xs[1]!, h0);
    const fwd = runReference(mk(false), [tensor(xs, [1, 4, 1])], { lengths: [2] })[0]!;
    expectClose(fwd, { data: [h0, h1, h1, h1], shape: [1, 4, 1] }, HAND_TOL);
    // Backwards, length 2: the padded steps 3, 2 come first and are skipped (zeros), then x_1, x_0.
    const g1 = cell(xs[1]!, 0), g0 = cell(xs[0]!, g1);
    const bwd = runReference(mk(true), [tensor(xs, [1, 4, 1])], { lengths: [2] })[0]!;
    expectClose(bwd, { data: [0, 0, g1, g0], shape: [1, 4, 1] }, HAND_TOL);
  });
});
