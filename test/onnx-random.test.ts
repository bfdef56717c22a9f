/**
 * runOnnxRecurrent on seeded random weights for every attribute the operators define, against a
 * float64 implementation written here, in ONNX layouts, straight from the equations in
 * shared/conformance/onnx-rnn/README.md (gate orders i,o,f,c and z,r,h; peepholes i,o,f; clip on every
 * gate pre-activation; onnxruntime's sequence_lens and alpha/beta conventions). It shares nothing with
 * src/ (not the graph, not the CPU reference), so it also checks our weight mapping.
 *
 * Each case runs on the WebGPU runtime with each recurrent kernel ('step': one dispatch per time step;
 * 'sequence': one per layer) (float32: atol 2e-5, rtol 1e-4) and on the cpu runtime (the
 * float64 reference through our mapping: atol 1e-6, rtol 1e-6; only float32 rounding of the inputs and
 * outputs remains).
 *
 * Then the same attributes on ~50 nodes that real onnxruntime ran (test/fixtures/onnx/ort, made by
 * make-ort-fixtures.mjs there with onnxruntime-node 1.30 on the CPU): the implementation here and our
 * WebGPU runtime must both reproduce onnxruntime's outputs (atol 2e-5, rtol 1e-4; onnxruntime's
 * sigmoid / tanh are float32 approximations).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type OnnxRecurrentOp, type OnnxTensor, type Runtime, createRuntime, runOnnxRecurrent } from '../src/index.js';
import { compareTensors } from './support/compare.js';
import { Rng, seedOf } from './support/random.js';

const GPU_TOL = { atol: 2e-5, rtol: 1e-4 };
const CPU_TOL = { atol: 1e-6, rtol: 1e-6 };

// ---------------------------------------------------------------------------------------------------
// The independent float64 implementation (ONNX layouts throughout).

type Attrs = Record<string, number | string | number[] | string[]>;
type Fn = (x: number) => number;

/** Parameter use and onnxruntime's defaults per activation (lower-case name). */
const ACT_TABLE: Record<string, { alpha?: number; beta?: number; make: (a: number, b: number) => Fn }> = {
  relu: { make: () => (x) => Math.max(0, x) },
  tanh: { make: () => Math.tanh },
  sigmoid: { make: () => (x) => 1 / (1 + Math.exp(-x)) },
  affine: { alpha: 0, beta: 0, make: (a, b) => (x) => a * x + b },
  leakyrelu: { alpha: 0.01, make: (a) => (x) => (x >= 0 ? x : a * x) },
  thresholdedrelu: { alpha: 0, make: (a) => (x) => (x > a ? x : 0) },
  scaledtanh: { alpha: 0, beta: 0, make: (a, b) => (x) => a * Math.tanh(b * x) },
  hardsigmoid: { alpha: 0.2, beta: 0.5, make: (a, b) => (x) => Math.min(1, Math.max(0, a * x + b)) },
  elu: { alpha: 1, make: (a) => (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)) },
  softsign: { make: () => (x) => x / (1 + Math.abs(x)) },
  softplus: { make: () => (x) => Math.log(1 + Math.exp(x)) },
};

/** Resolves activations with onnxruntime's convention: one alpha (beta) per function that takes one, in list order. */
function resolveActs(op: OnnxRecurrentOp, D: number, attrs: Attrs): Fn[][] {
  const per = op === 'LSTM' ? 3 : op === 'GRU' ? 2 : 1;
  const defaults = op === 'LSTM' ? ['Sigmoid', 'Tanh', 'Tanh'] : op === 'GRU' ? ['Sigmoid', 'Tanh'] : ['Tanh'];
  let names = (attrs.activations as string[] | undefined) ?? Array.from({ length: D }, () => defaults).flat();
  if (op === 'RNN' && D === 1 && names.length === 2) names = names.slice(0, 1);
  const alphas = [...((attrs.activation_alpha as number[] | undefined) ?? [])];
  const betas = [...((attrs.activation_beta as number[] | undefined) ?? [])];
  const fns = names.map((n) => {
    const e = ACT_TABLE[n.toLowerCase()]!;
    const a = e.alpha === undefined ? 0 : alphas.length ? alphas.shift()! : e.alpha;
    const b = e.beta === undefined ? 0 : betas.length ? betas.shift()! : e.beta;
    return e.make(a, b);
  });
  return Array.from({ length: D }, (_, d) => fns.slice(d * per, (d + 1) * per));
}

/** Reads element [i, j, k] of a row-major 3-D array of dims [A, B, C]. */
const at3 = (t: OnnxTensor, i: number, j: number, k: number) => t.data[(i * t.shape[1]! + j) * t.shape[2]! + k]!;

/** ONNX LSTM / GRU / RNN in float64. Returns [Y, Y_h, (Y_c)] as { data, shape } in the node's layout. */
function onnxReference(op: OnnxRecurrentOp, attrs: Attrs, inputs: (OnnxTensor | null)[]): { data: Float64Array; shape: number[] }[] {
  const layout = (attrs.layout as number | undefined) ?? 0;
  const direction = (attrs.direction as string | undefined) ?? 'forward';
  const D = direction === 'bidirectional' ? 2 : 1;
  const [X, W, R, B, lens, h0, c0, P] = inputs;
  const S = layout === 0 ? X!.shape[0]! : X!.shape[1]!;
  const N = layout === 0 ? X!.shape[1]! : X!.shape[0]!;
  const I = X!.shape[2]!;
  const H = R!.shape[2]!;
  const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const x = (t: number, n: number, i: number) => (layout === 0 ? at3(X!, t, n, i) : at3(X!, n, t, i));
  const state0 = (s: OnnxTensor | null | undefined, d: number, n: number, j: number) =>
    !s ? 0 : layout === 0 ? at3(s, d, n, j) : at3(s, n, d, j);
  const clip = attrs.clip as number | undefined;
  const cl = (v: number) => (clip === undefined ? v : Math.min(clip, Math.max(-clip, v)));
  const acts = resolveActs(op, D, attrs);
  const inputForget = ((attrs.input_forget as number | undefined) ?? 0) !== 0;
  const lbr = ((attrs.linear_before_reset as number | undefined) ?? 0) !== 0;

  const Y = new Float64Array(S * D * N * H); // [S, D, N, H]
  const Yh = new Float64Array(D * N * H), Yc = new Float64Array(D * N * H); // [D, N, H]
  for (let d = 0; d < D; d++) {
    const reverse = direction === 'reverse' || d === 1;
    // Gate block g of W / R / Wb / Rb (ONNX order): row g*H + j.
    const Wx = (g: number, j: number, t: number, n: number) => {
      let s = 0;
      for (let i = 0; i < I; i++) s += at3(W!, d, g * H + j, i) * x(t, n, i);
      return s;
    };
    const Rh = (g: number, j: number, h: Float64Array) => {
      let s = 0;
      for (let k = 0; k < H; k++) s += at3(R!, d, g * H + j, k) * h[k]!;
      return s;
    };
    const Wb = (g: number, j: number) => (B ? B.data[d * 2 * G * H + g * H + j]! : 0);
    const Rb = (g: number, j: number) => (B ? B.data[d * 2 * G * H + G * H + g * H + j]! : 0);
    const Pv = (g: number, j: number) => (P ? P.data[d * 3 * H + g * H + j]! : 0); // g: 0 i, 1 o, 2 f
    const [f, g, hAct] = acts[d]!;
    for (let n = 0; n < N; n++) {
      const L = lens ? lens.data[n]! : S;
      let h = Float64Array.from({ length: H }, (_, j) => state0(h0, d, n, j));
      let c = Float64Array.from({ length: H }, (_, j) => state0(c0, d, n, j));
      for (let s = 0; s < L; s++) {
        const t = reverse ? L - 1 - s : s;
        const hn = new Float64Array(H), cn = new Float64Array(H);
        if (op === 'RNN') {
          for (let j = 0; j < H; j++) hn[j] = f!(cl(Wx(0, j, t, n) + Rh(0, j, h) + Wb(0, j) + Rb(0, j)));
        } else if (op === 'LSTM') {
          for (let j = 0; j < H; j++) {
            // ONNX blocks: 0 i, 1 o, 2 f, 3 c.
            const it = f!(cl(Wx(0, j, t, n) + Rh(0, j, h) + Pv(0, j) * c[j]! + Wb(0, j) + Rb(0, j)));
            const ft = inputForget ? 1 - it : f!(cl(Wx(2, j, t, n) + Rh(2, j, h) + Pv(2, j) * c[j]! + Wb(2, j) + Rb(2, j)));
            const ct = g!(cl(Wx(3, j, t, n) + Rh(3, j, h) + Wb(3, j) + Rb(3, j)));
            cn[j] = ft * c[j]! + it * ct;
            const ot = f!(cl(Wx(1, j, t, n) + Rh(1, j, h) + Pv(1, j) * cn[j]! + Wb(1, j) + Rb(1, j)));
            hn[j] = ot * hAct!(cn[j]!);
          }
        } else {
          const z = new Float64Array(H), r = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            z[j] = f!(cl(Wx(0, j, t, n) + Rh(0, j, h) + Wb(0, j) + Rb(0, j)));
            r[j] = f!(cl(Wx(1, j, t, n) + Rh(1, j, h) + Wb(1, j) + Rb(1, j)));
          }
          const rh = h.map((v, k) => r[k]! * v);
          for (let j = 0; j < H; j++) {
            const ht = lbr
              ? g!(cl(Wx(2, j, t, n) + r[j]! * (Rh(2, j, h) + Rb(2, j)) + Wb(2, j)))
              : g!(cl(Wx(2, j, t, n) + Rh(2, j, rh) + Rb(2, j) + Wb(2, j)));
            hn[j] = (1 - z[j]!) * ht + z[j]! * h[j]!;
          }
        }
        h = hn;
        if (op === 'LSTM') c = cn;
        Y.set(h, ((t * D + d) * N + n) * H);
      }
      Yh.set(h, (d * N + n) * H);
      Yc.set(c, (d * N + n) * H);
    }
  }
  const states = op === 'LSTM' ? [Yh, Yc] : [Yh];
  if (layout === 0) return [{ data: Y, shape: [S, D, N, H] }, ...states.map((data) => ({ data, shape: [D, N, H] }))];
  // layout 1: Y [N, S, D, H], states [N, D, H].
  const Y1 = new Float64Array(Y.length);
  for (let t = 0; t < S; t++) for (let d = 0; d < D; d++) for (let n = 0; n < N; n++) {
    Y1.set(Y.subarray(((t * D + d) * N + n) * H, ((t * D + d) * N + n + 1) * H), ((n * S + t) * D + d) * H);
  }
  const swap = (s: Float64Array) => {
    const o = new Float64Array(s.length);
    for (let d = 0; d < D; d++) for (let n = 0; n < N; n++) o.set(s.subarray((d * N + n) * H, (d * N + n + 1) * H), (n * D + d) * H);
    return o;
  };
  return [{ data: Y1, shape: [N, S, D, H] }, ...states.map((s) => ({ data: swap(s), shape: [N, D, H] }))];
}

// ---------------------------------------------------------------------------------------------------
// Cases.

interface CaseSpec {
  name: string;
  op: OnnxRecurrentOp;
  attrs?: Attrs;
  S?: number;
  N?: number;
  I?: number;
  H?: number;
  bias?: boolean;
  lens?: number[];
  initH?: boolean;
  initC?: boolean;
  peephole?: boolean;
  /** Scale of the random weights (larger values drive pre-activations past clip). */
  scale?: number;
  /** The outputs are all zeros (Affine / ScaledTanh with onnxruntime's alpha = 0 default). */
  zeros?: boolean;
}

function makeInputs(spec: CaseSpec): (OnnxTensor | null)[] {
  const rng = new Rng(seedOf(spec.name));
  const { op } = spec, attrs = spec.attrs ?? {};
  const S = spec.S ?? 4, N = spec.N ?? 2, I = spec.I ?? 3, H = spec.H ?? 5, scale = spec.scale ?? 0.6;
  const D = attrs.direction === 'bidirectional' ? 2 : 1;
  const layout = (attrs.layout as number | undefined) ?? 0;
  const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const rand = (shape: number[], s = 1): OnnxTensor => ({ data: rng.fill(shape.reduce((p, q) => p * q, 1), -s, s), shape });
  const state = layout === 0 ? [D, N, H] : [N, D, H];
  const inputs: (OnnxTensor | null)[] = [
    rand(layout === 0 ? [S, N, I] : [N, S, I]),
    rand([D, G * H, I], scale),
    rand([D, G * H, H], scale),
    spec.bias === false ? null : rand([D, 2 * G * H], scale),
    spec.lens ? { data: Int32Array.from(spec.lens), shape: [N] } : null,
    spec.initH ? rand(state) : null,
  ];
  if (op === 'LSTM') inputs.push(spec.initC ? rand(state) : null, spec.peephole ? rand([D, 3 * H], scale) : null);
  while (inputs.length > 3 && inputs[inputs.length - 1] === null) inputs.pop(); // trailing omitted inputs, as ONNX writes them
  return inputs;
}

const bi = { direction: 'bidirectional' } as const;
const rev = { direction: 'reverse' } as const;

const CASES: CaseSpec[] = [
  // LSTM
  { name: 'lstm forward', op: 'LSTM' },
  { name: 'lstm forward, no B, batch 1, S 1', op: 'LSTM', bias: false, N: 1, S: 1 },
  { name: 'lstm reverse', op: 'LSTM', attrs: rev, initH: true, initC: true },
  { name: 'lstm bidirectional with initial states', op: 'LSTM', attrs: bi, N: 3, initH: true, initC: true },
  { name: 'lstm initial_c only', op: 'LSTM', initC: true },
  { name: 'lstm layout 1 bidirectional', op: 'LSTM', attrs: { ...bi, layout: 1 }, initH: true, initC: true },
  { name: 'lstm peepholes', op: 'LSTM', peephole: true, initC: true, scale: 0.8 },
  { name: 'lstm peepholes bidirectional', op: 'LSTM', attrs: bi, peephole: true, initH: true, initC: true },
  { name: 'lstm sequence_lens forward', op: 'LSTM', N: 3, S: 5, lens: [5, 2, 1], initH: true, initC: true },
  { name: 'lstm sequence_lens reverse', op: 'LSTM', attrs: rev, N: 3, S: 5, lens: [3, 5, 1], initH: true, initC: true },
  { name: 'lstm sequence_lens bidirectional', op: 'LSTM', attrs: bi, N: 3, S: 5, lens: [2, 5, 4], initH: true, initC: true, peephole: true },
  { name: 'lstm sequence_lens bidirectional layout 1', op: 'LSTM', attrs: { ...bi, layout: 1 }, N: 3, S: 4, lens: [4, 1, 3], initH: true },
  { name: 'lstm sequence_lens without B (omitted input in the middle)', op: 'LSTM', bias: false, N: 2, lens: [2, 4] },
  { name: 'lstm clip', op: 'LSTM', attrs: { clip: 0.7 }, scale: 2.5, peephole: true, initC: true },
  { name: 'lstm clip bidirectional', op: 'LSTM', attrs: { ...bi, clip: 1.1 }, scale: 2.5 },
  { name: 'lstm input_forget', op: 'LSTM', attrs: { input_forget: 1 }, initC: true },
  { name: 'lstm input_forget with peepholes, reverse', op: 'LSTM', attrs: { ...rev, input_forget: 1 }, peephole: true, initC: true },
  {
    name: 'lstm activations with explicit alpha/beta', op: 'LSTM',
    attrs: { activations: ['HardSigmoid', 'ScaledTanh', 'Affine'], activation_alpha: [0.3, 1.5, 0.8], activation_beta: [0.45, 0.7, 0.1] },
  },
  {
    // onnxruntime's consumption: HardSigmoid takes alpha 0.25 and beta 0.6; LeakyRelu, finding no alpha left, its default 0.01.
    name: 'lstm activations consume alpha/beta in order, defaults after', op: 'LSTM',
    attrs: { activations: ['HardSigmoid', 'Softsign', 'LeakyRelu'], activation_alpha: [0.25], activation_beta: [0.6] },
  },
  {
    name: 'lstm bidirectional, same activations per direction (one Bidirectional layer)', op: 'LSTM',
    attrs: { ...bi, activations: ['Sigmoid', 'Softsign', 'Elu', 'Sigmoid', 'Softsign', 'Elu'], activation_alpha: [0.7, 0.7] },
  },
  {
    name: 'lstm bidirectional, different activations per direction', op: 'LSTM', lens: [3, 4], initH: true, initC: true,
    attrs: { ...bi, activations: ['Sigmoid', 'Tanh', 'Tanh', 'HardSigmoid', 'Softsign', 'Relu'], activation_alpha: [0.3], activation_beta: [0.4] },
  },
  { name: 'lstm lower-case activation names', op: 'LSTM', attrs: { activations: ['sigmoid', 'TANH', 'softplus'] } },
  { name: 'lstm larger: H 33, I 7, S 6, batch 4', op: 'LSTM', H: 33, I: 7, S: 6, N: 4, attrs: bi, scale: 0.3, lens: [6, 3, 1, 5] },
  { name: 'lstm hidden_size attribute given', op: 'LSTM', attrs: { hidden_size: 5 } },

  // GRU
  { name: 'gru forward linear_before_reset 0', op: 'GRU' },
  { name: 'gru forward linear_before_reset 1', op: 'GRU', attrs: { linear_before_reset: 1 } },
  { name: 'gru reverse lbr 0', op: 'GRU', attrs: rev, initH: true },
  { name: 'gru reverse lbr 1', op: 'GRU', attrs: { ...rev, linear_before_reset: 1 }, initH: true },
  { name: 'gru bidirectional lbr 0', op: 'GRU', attrs: bi, initH: true, N: 3 },
  { name: 'gru bidirectional lbr 1', op: 'GRU', attrs: { ...bi, linear_before_reset: 1 }, initH: true, N: 3 },
  { name: 'gru layout 1', op: 'GRU', attrs: { layout: 1, linear_before_reset: 1 }, initH: true },
  { name: 'gru layout 1 bidirectional lbr 0', op: 'GRU', attrs: { layout: 1, ...bi }, initH: true },
  { name: 'gru sequence_lens forward lbr 0', op: 'GRU', N: 3, S: 5, lens: [1, 5, 3], initH: true },
  { name: 'gru sequence_lens reverse lbr 1', op: 'GRU', attrs: { ...rev, linear_before_reset: 1 }, N: 3, S: 5, lens: [4, 2, 5], initH: true },
  { name: 'gru sequence_lens bidirectional lbr 1 layout 1', op: 'GRU', attrs: { ...bi, layout: 1, linear_before_reset: 1 }, N: 3, lens: [4, 1, 2], initH: true },
  { name: 'gru sequence_lens bidirectional lbr 0', op: 'GRU', attrs: bi, N: 2, lens: [3, 1] },
  { name: 'gru clip lbr 0', op: 'GRU', attrs: { clip: 0.6 }, scale: 2.5 },
  { name: 'gru clip lbr 1', op: 'GRU', attrs: { clip: 0.6, linear_before_reset: 1 }, scale: 2.5 },
  { name: 'gru activations lbr 0', op: 'GRU', attrs: { activations: ['HardSigmoid', 'LeakyRelu'], activation_alpha: [0.35, 0.2], activation_beta: [0.55] } },
  { name: 'gru activations lbr 1', op: 'GRU', attrs: { activations: ['Sigmoid', 'Softsign'], linear_before_reset: 1 } },
  {
    name: 'gru bidirectional, different activations per direction', op: 'GRU',
    attrs: { ...bi, activations: ['Sigmoid', 'Tanh', 'HardSigmoid', 'Elu'], activation_alpha: [0.3, 0.5], linear_before_reset: 1 },
  },
  { name: 'gru no B', op: 'GRU', bias: false, attrs: { linear_before_reset: 1 } },

  // RNN
  { name: 'rnn forward', op: 'RNN' },
  { name: 'rnn reverse', op: 'RNN', attrs: rev, initH: true },
  { name: 'rnn bidirectional', op: 'RNN', attrs: bi, initH: true, N: 3 },
  { name: 'rnn layout 1 bidirectional', op: 'RNN', attrs: { ...bi, layout: 1 }, initH: true },
  { name: 'rnn sequence_lens forward', op: 'RNN', N: 3, S: 5, lens: [2, 5, 1], initH: true },
  { name: 'rnn sequence_lens reverse', op: 'RNN', attrs: rev, N: 3, S: 5, lens: [2, 5, 1], initH: true },
  { name: 'rnn sequence_lens bidirectional layout 1', op: 'RNN', attrs: { ...bi, layout: 1 }, N: 3, S: 5, lens: [5, 3, 2], initH: true },
  { name: 'rnn clip', op: 'RNN', attrs: { clip: 0.5 }, scale: 2 },
  { name: 'rnn activations ["Tanh", "Tanh"] with one direction (schema default form)', op: 'RNN', attrs: { activations: ['Tanh', 'Tanh'] } },
  { name: 'rnn bidirectional different activations', op: 'RNN', attrs: { ...bi, activations: ['Relu', 'Softsign'] }, initH: true },
  { name: 'rnn no B', op: 'RNN', bias: false },
];

// Every activation function the spec names, on an RNN (one activation: the result is that function's
// recurrence), each with explicit alpha / beta where it takes them, and once with onnxruntime's defaults.
const EVERY_ACT: [string, number[], number[]][] = [
  ['Relu', [], []], ['Tanh', [], []], ['Sigmoid', [], []], ['Affine', [0.7], [0.1]], ['LeakyRelu', [0.2], []],
  ['ThresholdedRelu', [0.1], []], ['ScaledTanh', [1.3], [0.6]], ['HardSigmoid', [0.3], [0.45]], ['Elu', [0.6], []],
  ['Softsign', [], []], ['Softplus', [], []],
];
for (const [fn, alpha, beta] of EVERY_ACT) {
  const attrs: Attrs = { activations: [fn] };
  if (alpha.length) attrs.activation_alpha = alpha;
  if (beta.length) attrs.activation_beta = beta;
  CASES.push({ name: `rnn activation ${fn}${alpha.length ? ` alpha ${alpha}` : ''}${beta.length ? ` beta ${beta}` : ''}`, op: 'RNN', attrs, scale: 0.5 });
  if (alpha.length || beta.length) {
    // onnxruntime's default alpha is 0 for Affine and ScaledTanh (not the ONNX operators' 1): all-zero outputs.
    const zeros = fn === 'Affine' || fn === 'ScaledTanh';
    CASES.push({ name: `rnn activation ${fn} with onnxruntime's default alpha/beta`, op: 'RNN', attrs: { activations: [fn] }, scale: 0.5, zeros });
  }
}

// ---------------------------------------------------------------------------------------------------

let gpu: Runtime, cpu: Runtime;
beforeAll(async () => {
  gpu = await createRuntime();
  cpu = await createRuntime({ backend: 'cpu' });
}, 120_000);
afterAll(() => {
  gpu?.dispose();
  cpu?.dispose();
});

type Kernel = 'step' | 'sequence';
const KERNELS: Kernel[] = ['step', 'sequence'];

async function check(rt: Runtime, spec: CaseSpec, tol: { atol: number; rtol: number }, kernel?: Kernel) {
  const inputs = makeInputs(spec);
  const expected = onnxReference(spec.op, spec.attrs ?? {}, inputs);
  const device = rt.device;
  device?.pushErrorScope('validation');
  const outs = await runOnnxRecurrent(rt, { op: spec.op, attributes: spec.attrs ?? {}, inputs }, kernel ? { kernel } : undefined);
  const gpuError = await device?.popErrorScope();
  expect(gpuError?.message ?? null).toBeNull();
  expect(outs.length).toBe(expected.length);
  const names = ['Y', 'Y_h', 'Y_c'];
  outs.forEach((o, i) => {
    const report = compareTensors(o, expected[i]!, tol);
    if (report) throw new Error(`${rt.backend}${kernel ? ` ${kernel} kernel` : ''}: output ${names[i]}:\n${report}`);
  });
  // A case that only ever sees zeros or constants would check nothing (unless zeros are the point).
  if (spec.zeros) expect(outs[0]!.data.every((v) => v === 0)).toBe(true);
  else expect(new Set(outs[0]!.data).size).toBeGreaterThan(2);
}

describe('ONNX semantics on random weights vs an independent float64 implementation', () => {
  for (const spec of CASES) {
    test(spec.name, async () => {
      expect(gpu.backend, `createRuntime() fell back to '${gpu.backend}'; these tests need WebGPU`).toBe('webgpu');
      await check(cpu, spec, CPU_TOL);
      for (const kernel of KERNELS) await check(gpu, spec, GPU_TOL, kernel);
    });
  }
});

describe('the independent implementation itself', () => {
  test('a wrong LSTM gate order or peephole order would be caught (random weights break the symmetry)', async () => {
    const spec: CaseSpec = { name: 'lstm peepholes', op: 'LSTM', peephole: true, initC: true, scale: 0.8 };
    const inputs = makeInputs(spec);
    const good = onnxReference('LSTM', {}, inputs);
    // Swap the o and f blocks of W: the outputs must change by far more than the tolerance.
    const W = inputs[1]!, H = 5, I = 3;
    const swapped = Float32Array.from(W.data as Float32Array);
    swapped.set((W.data as Float32Array).subarray(2 * H * I, 3 * H * I), H * I);
    swapped.set((W.data as Float32Array).subarray(H * I, 2 * H * I), 2 * H * I);
    const bad = onnxReference('LSTM', {}, [inputs[0]!, { data: swapped, shape: W.shape }, ...inputs.slice(2)]);
    expect(compareTensors(bad[1]!, good[1]!, GPU_TOL)).not.toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------
// onnxruntime's own outputs.

interface OrtFixture {
  name: string;
  op: OnnxRecurrentOp;
  attributes: Attrs;
  inputs: ({ dims: number[]; dtype: 'float32' | 'int32'; data: number[] } | null)[];
  outputs: { name: string; dims: number[]; data: number[] }[];
}

const ORT_DIR = join(import.meta.dirname, 'fixtures', 'onnx', 'ort');
const ORT_TOL = { atol: 2e-5, rtol: 1e-4 };
const ortFixtures = readdirSync(ORT_DIR).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(join(ORT_DIR, f), 'utf8')) as OrtFixture);

describe('onnxruntime 1.30 (CPU) outputs on random weights', () => {
  test('the fixtures cover every op, direction, layout 1, sequence_lens, clip, input_forget, peepholes, lbr and activation', () => {
    expect(ortFixtures.length).toBeGreaterThanOrEqual(45);
    const has = (p: (f: OrtFixture) => boolean) => ortFixtures.some(p);
    for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
      for (const dir of ['reverse', 'bidirectional']) expect(has((f) => f.op === op && f.attributes.direction === dir), `${op} ${dir}`).toBe(true);
      expect(has((f) => f.op === op && f.attributes.layout === 1), `${op} layout 1`).toBe(true);
      expect(has((f) => f.op === op && f.inputs[4] != null), `${op} sequence_lens`).toBe(true);
      expect(has((f) => f.op === op && f.attributes.clip !== undefined), `${op} clip`).toBe(true);
    }
    expect(has((f) => f.attributes.input_forget === 1)).toBe(true);
    expect(has((f) => f.inputs[7] != null)).toBe(true);
    expect(has((f) => f.attributes.linear_before_reset === 1) && has((f) => f.op === 'GRU' && !f.attributes.linear_before_reset)).toBe(true);
    const acts = new Set(ortFixtures.flatMap((f) => (f.attributes.activations as string[] | undefined) ?? []));
    for (const a of Object.keys(ACT_TABLE)) expect([...acts].some((n) => n.toLowerCase() === a), a).toBe(true);
  });

  for (const f of ortFixtures) {
    test(f.name, async () => {
      expect(gpu.backend).toBe('webgpu');
      const inputs = f.inputs.map((t) => (t === null ? null : { data: t.dtype === 'int32' ? Int32Array.from(t.data) : Float32Array.from(t.data), shape: t.dims }));
      const expected = f.outputs.map((o) => ({ data: o.data, shape: o.dims }));
      const ours = onnxReference(f.op, f.attributes, inputs);
      expected.forEach((e, i) => {
        const r = compareTensors(ours[i]!, e, ORT_TOL);
        if (r) throw new Error(`the independent implementation vs onnxruntime, ${f.outputs[i]!.name}:\n${r}`);
      });
      for (const kernel of KERNELS) {
        const outs = await runOnnxRecurrent(gpu, { op: f.op, attributes: f.attributes, inputs }, { kernel });
        expected.forEach((e, i) => {
          const r = compareTensors(outs[i]!, e, ORT_TOL);
          if (r) throw new Error(`webgpu ${kernel} kernel vs onnxruntime, ${f.outputs[i]!.name}:\n${r}`);
        });
      }
    });
  }
});
