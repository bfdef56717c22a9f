/**
 * The wavefront kernel (recurrent_wavefront.wgsl, kernel: 'wavefront'): two stacked layers in one
 * dispatch, layer 1 at step t next to layer 2 at step t - 1. Which pairs a plan runs so
 * (wavefrontPairs and buildPlan), then its results against the float64 reference with the shapes it
 * takes on CI's CPU-emulated adapter (one slice a unit) and on a GPU (reductions split over up to 4
 * slices), and with f16 weights.
 */
import { describe, expect, test } from 'vitest';
import { type CompileOptions, type Model, type SymbolicTensor, input, layers, model, runReference, sequential } from '../src/index.js';
import { RecurrentLayer } from '../src/graph/recurrent.js';
import { wavefrontShape, wavefrontStepDispatch, wavefrontStepShape } from '../src/kernels/wavefront.js';
import { wavefrontPairs } from '../src/schedule/choice.js';
import { type PlanOptions, buildPlan } from '../src/schedule/plan.js';
import { wavefrontCases } from './support/cases.js';
import { compareOutputs } from './support/compare.js';
import { describeCases, runsWavefront, runsWavefrontSteps, useWebGpuRuntime, wavefrontDispatches, withF16Tolerance } from './support/variants.js';

const software: PlanOptions = { kernel: 'wavefront', softwareAdapter: true, maxThreads: 256 };
const hardware: PlanOptions = { kernel: 'wavefront', softwareAdapter: false, maxThreads: 1024 };

/** The wavefront dispatches of a plan of `m` at batch B (every input T steps). */
function plannedWavefronts(m: Model, B: number, options: PlanOptions, T = 7, masked = false): string[] {
  return wavefrontDispatches(buildPlan(m, B, m.inputs.map(() => T), masked, options));
}

const stack = (first: object, second: object, F = 3) => sequential([
  layers.lstm({ units: 16, returnSequences: true, inputShape: [7, F], ...first }),
  layers.lstm({ units: 16, ...second }),
]);

describe('which stacked pairs run as a wavefront', () => {
  test('each case of the GPU suite below holds as many wavefront dispatches as it says', () => {
    for (const c of wavefrontCases()) {
      const { model: m, inputs } = c.build();
      const B = inputs[0]!.shape[0]!, T = inputs[0]!.shape[1]!;
      for (const options of [software, hardware]) expect(plannedWavefronts(m, B, options, T), c.name).toHaveLength(c.pairs);
    }
  });

  test("only under kernel: 'wavefront' (or 'auto' for wide pairs, below), and never in a stream plan or a masked one", () => {
    const m = stack({}, {});
    expect(plannedWavefronts(m, 2, { ...hardware, kernel: 'auto' })).toHaveLength(0);
    expect(plannedWavefronts(m, 2, { ...hardware, kernel: 'sequence' })).toHaveLength(0);
    expect(plannedWavefronts(m, 2, { ...hardware, stream: true })).toHaveLength(0);
    expect(plannedWavefronts(m, 2, hardware, 7, true)).toHaveLength(0);
    expect(plannedWavefronts(m, 2, hardware)).toEqual(['lstm_wavefront f32 R=1 UL=64 KS=4 f=sigmoid g=tanh h=tanh']);
  });

  test('pairs that do not qualify run layer by layer', () => {
    const none = (m: Model, why: string) => {
      expect(wavefrontPairs(m).size, why).toBe(0);
      expect(plannedWavefronts(m, 2, hardware), why).toHaveLength(0);
    };
    none(stack({}, { goBackwards: true }), 'layer 2 backwards');
    none(stack({ goBackwards: true }, {}), 'layer 1 backwards');
    const xs = input({ shape: [7, 3] });
    const hs = layers.lstm({ units: 8, returnSequences: true }).apply(xs) as SymbolicTensor;
    none(model({ inputs: xs, outputs: layers.lstm({ units: 8, returnState: true }).apply(hs) as SymbolicTensor[] }), 'layer 2 returns its state');
    none(stack({}, { activation: 'relu' }), 'different activations');
    none(stack({}, { units: 500 }), 'more units than one workgroup holds');
    none(sequential([
      layers.gru({ units: 8, returnSequences: true, inputShape: [7, 3] }),
      layers.gru({ units: 8 }),
    ]), 'GRU');
    none(sequential([
      layers.lstm({ units: 8, returnSequences: true, inputShape: [7, 3] }),
      layers.simpleRNN({ units: 8 }),
    ]), 'different cells');
    none(sequential([
      layers.lstm({ units: 8, returnSequences: true, inputShape: [7, 3] }),
      layers.masking({ maskValue: 0 }),
      layers.lstm({ units: 8 }),
    ]), 'a Masking layer between');
    none(sequential([
      layers.bidirectional({ layer: layers.lstm({ units: 8, returnSequences: true }), inputShape: [7, 3] }),
      layers.lstm({ units: 8 }),
    ]), 'a bidirectional layer');
    // Layer 1's sequence read by something else too, or returned.
    const x = input({ shape: [7, 3] });
    const h = layers.lstm({ units: 8, returnSequences: true }).apply(x) as SymbolicTensor;
    const y = layers.lstm({ units: 8 }).apply(h) as SymbolicTensor;
    none(model({ inputs: x, outputs: [y, h] }), 'layer 1 a model output');
    const z = layers.lstm({ units: 8 }).apply(h) as SymbolicTensor;
    none(model({ inputs: x, outputs: layers.concatenate().apply([y, z]) as SymbolicTensor }), 'two readers of layer 1');
    // An initial state for layer 2.
    const s = input({ shape: [8] });
    const y2 = new RecurrentLayer('lstm', { units: 8 }).apply(h, { initialState: [s, s] }) as SymbolicTensor;
    none(model({ inputs: [x, s], outputs: y2 }), 'an initial state');
  });

  test('a batch whose rows do not all fit a workgroup runs fewer rows a workgroup', () => {
    // 256 + 256 units fill one row's buffer: from batch 64 (2 rows a workgroup on a GPU) still one.
    const big = sequential([
      layers.lstm({ units: 256, returnSequences: true, inputShape: [7, 3] }),
      layers.lstm({ units: 256 }),
    ]);
    expect(wavefrontPairs(big).size).toBe(1);
    expect(plannedWavefronts(big, 64, hardware)).toEqual(['lstm_wavefront f32 R=1 UL=256 KS=2 f=sigmoid g=tanh h=tanh']);
    expect(plannedWavefronts(stack({}, {}), 256, hardware)).toEqual(['lstm_wavefront f32 R=4 UL=64 KS=2 f=sigmoid g=tanh h=tanh']);
    // Compatibility mode's 128 threads: 129 + 383 units need 5 units a lane, so the pair runs layer by layer.
    const odd = stack({ units: 129 }, { units: 383 });
    expect(wavefrontPairs(odd).size).toBe(1);
    expect(plannedWavefronts(odd, 1, { ...hardware, maxThreads: 128 })).toHaveLength(0);
    expect(plannedWavefronts(odd, 1, hardware)).toHaveLength(1);
  });

  test('the shape: a lane per unit of each layer, reduction slices within 512 threads and 12 KiB of partial sums', () => {
    // Configs a and b of the benchmarks (hidden 128 and 256, one row a workgroup).
    expect(wavefrontShape(128, 128, 1, 1024, false)).toEqual({ lanes: 128, slices: 4 });
    expect(wavefrontShape(256, 256, 1, 1024, false)).toEqual({ lanes: 256, slices: 2 });
    expect(wavefrontShape(256, 256, 1, 256, true)).toEqual({ lanes: 256, slices: 1 });
    // The compatibility-mode limit of 128 threads.
    expect(wavefrontShape(128, 128, 1, 128, false)).toEqual({ lanes: 128, slices: 1 });
    expect(wavefrontShape(64, 64, 4, 1024, false)).toEqual({ lanes: 64, slices: 2 });
    expect(wavefrontShape(256, 256, 2, 1024, false)).toBeNull();
    expect(wavefrontShape(129, 383, 1, 128, false)).toBeNull();
  });
});

describe("the wavefront step kernel (kernel: 'wavefront-step')", () => {
  const stepHardware: PlanOptions = { ...hardware, kernel: 'wavefront-step' };

  test('a pair takes T + 1 dispatches with one uniform block and one set of buffers; other layers run as step', () => {
    const m = sequential([
      layers.lstm({ units: 16, returnSequences: true, inputShape: [7, 3] }),
      layers.lstm({ units: 16, returnSequences: true }),
      layers.lstm({ units: 8 }),
    ]);
    const plan = buildPlan(m, 2, [7], false, stepHardware);
    const steps = plan.dispatches.filter((d) => d.program.name.includes('_wavefront_step '));
    expect(steps).toHaveLength(8);
    expect(new Set(steps.map((d) => d.uniformOffset)).size).toBe(1);
    expect(new Set(steps.map((d) => d.buffers)).size).toBe(1);
    expect(steps[0]!.program.name).toBe('lstm_wavefront_step f32 R=2 UW=16 KS=16 f=sigmoid g=tanh h=tanh');
    // Layer 1's projection, the pair, then layer 3's projection and its 7 steps.
    const names = plan.dispatches.map((d) => d.program.name.split(' ')[0]);
    expect(names).toEqual(['matmul', ...Array(8).fill('lstm_wavefront_step'), 'matmul', ...Array(7).fill('lstm_step')]);
    // The pair's state (h, c and the workgroups' counts) is never cleared: each layer's first step
    // reads no state, and the counts return to 0 (the consecutive passes below check it).
    const state = steps[0]!.buffers[2] as { plan: number };
    expect(plan.clears).not.toContain(state.plan);
  });

  test('never in a stream plan or a masked one', () => {
    const m = stack({}, {});
    expect(plannedWavefronts(m, 2, { ...stepHardware, stream: true })).toHaveLength(0);
    expect(plannedWavefronts(m, 2, stepHardware, 7, true)).toHaveLength(0);
    expect(plannedWavefronts(m, 2, stepHardware)).toHaveLength(8);
  });

  test('the shape: the step kernel\'s over both layers\' units, at most 4 rows a workgroup', () => {
    // Configs b (hidden 256, batch 16) and a (hidden 128, batch 1) on a GPU.
    expect(wavefrontStepShape(256, 256, 16, false, 1024)).toEqual({ rows: 4, units: 16, slices: 16 });
    expect(wavefrontStepDispatch(256, 256, 16, { rows: 4, units: 16, slices: 16 })).toEqual([32, 4, 1]);
    expect(wavefrontStepShape(128, 128, 1, false, 1024)).toEqual({ rows: 1, units: 16, slices: 16 });
    expect(wavefrontStepShape(512, 512, 64, false, 1024)).toEqual({ rows: 4, units: 32, slices: 8 });
    // Compatibility mode's 128 threads; a CPU-emulated adapter.
    expect(wavefrontStepShape(256, 256, 16, false, 128)).toEqual({ rows: 4, units: 16, slices: 8 });
    expect(wavefrontStepShape(5, 130, 65, true, 256)).toEqual({ rows: 4, units: 64, slices: 1 });
  });
});

describe("kernel: 'auto' runs wide stacked pairs as the wavefront step kernel on a GPU", () => {
  const auto: PlanOptions = { softwareAdapter: false, maxThreads: 1024 };
  const pair = (H1: number, H2: number) => stack({ units: H1 }, { units: H2 });

  test('pairs with a layer of 128 units or more, at batches up to 16: T + 1 dispatches', () => {
    expect(plannedWavefronts(pair(128, 128), 1, auto)).toHaveLength(8);
    expect(plannedWavefronts(pair(256, 256), 16, auto)).toHaveLength(8);
    expect(plannedWavefronts(pair(128, 32), 4, auto)).toHaveLength(8);
    expect(plannedWavefronts(pair(32, 200), 4, auto)).toHaveLength(8);
    expect(plannedWavefronts(pair(128, 128), 1, auto)[0]).toBe('lstm_wavefront_step f32 R=1 UW=16 KS=16 f=sigmoid g=tanh h=tanh');
  });

  test('a narrow pair does not keep a wide one from pairing: lstm(32) -> lstm(32) -> lstm(256) pairs layers 2 and 3', () => {
    const m = sequential([
      layers.lstm({ units: 32, returnSequences: true, inputShape: [7, 3] }),
      layers.lstm({ units: 32, returnSequences: true }),
      layers.lstm({ units: 256 }),
    ]);
    const names = buildPlan(m, 2, [7], false, auto).dispatches.map((d) => d.program.name.split(' ')[0]);
    expect(names).toEqual(['matmul', 'lstm_sequence', 'matmul', ...Array(8).fill('lstm_wavefront_step')]);
  });

  test('not smaller pairs, larger batches, a CPU-emulated adapter, other forced kernels, streams or masks', () => {
    expect(plannedWavefronts(pair(64, 127), 1, auto)).toHaveLength(0);
    expect(plannedWavefronts(pair(128, 128), 17, auto)).toHaveLength(0);
    expect(plannedWavefronts(pair(128, 128), 1, { ...auto, softwareAdapter: true, maxThreads: 256 })).toHaveLength(0);
    for (const kernel of ['step', 'tiled', 'sequence'] as const) expect(plannedWavefronts(pair(128, 128), 1, { ...auto, kernel })).toHaveLength(0);
    expect(plannedWavefronts(pair(128, 128), 1, { ...auto, stream: true })).toHaveLength(0);
    expect(plannedWavefronts(pair(128, 128), 1, auto, 7, true)).toHaveLength(0);
    // Layers that do not pair keep their own kernels (the sequence kernel here).
    const names = buildPlan(pair(64, 64), 1, [7], false, auto).dispatches.map((d) => d.program.name.split(' ')[0]);
    expect(names).toEqual(['matmul', 'lstm_sequence', 'matmul', 'lstm_sequence']);
  });
});

const gpu = useWebGpuRuntime();

describeCases('wavefront kernel', wavefrontCases(), { kernel: 'wavefront' }, gpu, runsWavefront);
describeCases('wavefront kernel, GPU shape', wavefrontCases(), { kernel: 'wavefront', adapterClass: 'hardware' }, gpu, runsWavefront);
const f16Cases = wavefrontCases().filter((c) => /issue example|simpleRNN\(33|lstm\(5,|peepholes, clip/.test(c.name)).map(withF16Tolerance);
describeCases('wavefront kernel, f16 weights', f16Cases, { kernel: 'wavefront', adapterClass: 'hardware', precision: 'f16' }, gpu, runsWavefront);

describeCases('wavefront step kernel', wavefrontCases(), { kernel: 'wavefront-step' }, gpu, runsWavefrontSteps);
describeCases('wavefront step kernel, GPU shape', wavefrontCases(), { kernel: 'wavefront-step', adapterClass: 'hardware' }, gpu, runsWavefrontSteps);
describeCases('wavefront step kernel, f16 weights', f16Cases, { kernel: 'wavefront-step', adapterClass: 'hardware', precision: 'f16' }, gpu, runsWavefrontSteps);

// The wavefront step kernel's state buffer is not cleared between passes, so a second pass on other
// inputs must not see the first's h and c (nor miscount its dispatches).
describe('the wavefront step kernel over consecutive passes', () => {
  const cases = wavefrontCases().filter((c) => /issue example|simpleRNN\(33|peepholes, clip|lstm\(128, rs\)|simpleRNN\(144/.test(c.name));
  const variants: [string, CompileOptions][] = [
    ['CPU-emulated shape', { kernel: 'wavefront-step' }],
    ['GPU shape', { kernel: 'wavefront-step', adapterClass: 'hardware' }],
    ["'auto', GPU shape", { adapterClass: 'hardware' }],
  ];
  test('the cases hold wide pairs for auto', () => expect(cases.filter((c) => /128|144/.test(c.name))).toHaveLength(2));
  for (const [label, options] of variants) {
    for (const c of cases) {
      if (!options.kernel && !/128|144/.test(c.name)) continue;
      test(`${c.name}, ${label}: three passes, each on other inputs, each against the reference`, async () => {
        const { model: m, inputs } = c.build();
        const run = await gpu().compile(m, options);
        try {
          for (const scale of [3, -0.5, 1]) {
            const xs = inputs.map((t) => ({ data: t.data.map((v, i) => v * scale + (i % 3) * 0.1), shape: t.shape }));
            const report = compareOutputs(await run.predict(xs), runReference(m, xs), c);
            expect(report, `pass with inputs x ${scale}`).toBeNull();
          }
        } finally {
          run.dispose();
        }
      });
    }
  }
});

// 'auto' with the GPU's shapes: the cases whose pairs it runs as the wavefront step kernel.
const autoCases = wavefrontCases().filter((c) => /lstm\(256, rs\) -> lstm\(256|lstm\(128, rs\) -> lstm\(128\)|simpleRNN\(144/.test(c.name));
describeCases("'auto' on a GPU's shapes, wide pairs", autoCases, { adapterClass: 'hardware' }, gpu, runsWavefrontSteps);
describeCases("'auto' on a GPU's shapes, wide pairs, f16 weights", autoCases.map(withF16Tolerance), { adapterClass: 'hardware', precision: 'f16' }, gpu, runsWavefrontSteps);
test("'auto' finds the wide pairs among the cases", () => expect(autoCases).toHaveLength(3));
