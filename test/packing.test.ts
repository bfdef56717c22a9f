/**
 * Independent recurrent branches of one shape run packed, as the two directions of a bidirectional
 * layer do (src/schedule/plan.ts packPartner): one dispatch per step (or one sequence dispatch) for
 * both. These tests read the plan, which needs no GPU; the packed numbers are checked against the
 * float64 reference in gpu-vs-cpu.test.ts ("packed branches" cases) under every kernel variant.
 */
import { describe, expect, test } from 'vitest';
import { type Model, type SymbolicTensor, input, layers, model } from '../src/index.js';
import { type PlanOptions, buildPlan } from '../src/schedule/plan.js';

const software: PlanOptions = { softwareAdapter: true, kernel: 'step', maxThreads: 256 };
const gpu: PlanOptions = { softwareAdapter: false, kernel: 'auto', maxThreads: 1024 };

type Recurrent = ReturnType<typeof layers.lstm>;

/** Issue 4's config d, with the branches' layers made by `branch`. */
function twoBranches(branch: (i: number) => Recurrent, T = 12): Model {
  const a = input({ shape: [T, 16] }), b = input({ shape: [T, 16] });
  const j = layers.concatenate().apply([branch(0).apply(a) as SymbolicTensor, branch(1).apply(b) as SymbolicTensor]) as SymbolicTensor;
  return model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(j) as SymbolicTensor });
}

const recurrentDispatches = (m: Model, B: number, options: PlanOptions) =>
  buildPlan(m, B, m.inputs.map(() => 12), false, options).dispatches.filter((d) => /_step|sequence|gru_rb/.test(d.program.name + d.program.cacheKey));

describe('packed branches', () => {
  test('two LSTM(64) branches share one step dispatch per time step', () => {
    const steps = recurrentDispatches(twoBranches(() => layers.lstm({ units: 64 })), 32, software);
    expect(steps).toHaveLength(12);
    expect(steps[0]!.workgroups[2]).toBe(2);
    expect(steps[0]!.buffers[0]).toHaveProperty('packed');
  });
  test('and one sequence dispatch on a GPU', () => {
    const steps = recurrentDispatches(twoBranches(() => layers.lstm({ units: 64 })), 32, gpu);
    expect(steps).toHaveLength(1);
  });
  test('a GRU with the reset gate before the matmul packs too', () => {
    expect(recurrentDispatches(twoBranches(() => layers.gru({ units: 20, resetAfter: false })), 3, software)).toHaveLength(12);
  });
  test('branches of different configurations run separately', () => {
    const m = twoBranches((i) => layers.lstm({ units: i === 0 ? 64 : 32 }));
    expect(recurrentDispatches(m, 4, software)).toHaveLength(24);
    const acts = twoBranches((i) => layers.lstm({ units: 8, activation: i === 0 ? 'tanh' : 'relu' }));
    expect(recurrentDispatches(acts, 4, software)).toHaveLength(24);
  });
  test('outputs that are not slices of one buffer, returned states and stream plans are not packed', () => {
    const a = input({ shape: [12, 3] }), b = input({ shape: [12, 3] });
    const separate = model({ inputs: [a, b], outputs: [layers.gru({ units: 5 }).apply(a) as SymbolicTensor, layers.gru({ units: 5 }).apply(b) as SymbolicTensor] });
    expect(recurrentDispatches(separate, 2, software)).toHaveLength(24);
    const c = input({ shape: [12, 3] }), d = input({ shape: [12, 3] });
    const [hc] = layers.lstm({ units: 4, returnState: true }).apply(c) as SymbolicTensor[];
    const [hd] = layers.lstm({ units: 4, returnState: true }).apply(d) as SymbolicTensor[];
    const states = model({ inputs: [c, d], outputs: layers.concatenate().apply([hc!, hd!]) as SymbolicTensor });
    expect(recurrentDispatches(states, 2, software)).toHaveLength(24);
    const m = twoBranches(() => layers.lstm({ units: 8 }));
    expect(buildPlan(m, 2, [12, 12], false, { ...software, stream: true }).dispatches.filter((x) => x.program.name.includes('_step'))).toHaveLength(24);
  });
  test('a branch is never moved ahead of what computes its input', () => {
    const a = input({ shape: [12, 3] }), b = input({ shape: [12, 3] });
    const ya = layers.lstm({ units: 8 }).apply(a) as SymbolicTensor;
    const yb = layers.lstm({ units: 8 }).apply(layers.dense({ units: 3 }).apply(b) as SymbolicTensor) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: layers.concatenate().apply([ya, yb]) as SymbolicTensor });
    const plan = buildPlan(m, 2, [12, 12], false, software);
    const matmuls = plan.dispatches.map((d, i) => ({ d, i })).filter(({ d }) => d.program.name.startsWith('matmul'));
    // The dense (input b, K = 3) writes a buffer that the second LSTM's projection then reads.
    const dense = matmuls.find(({ d }) => 'plan' in d.buffers[0]! && d.buffers[0].plan === plan.inputs[1]!.buf)!;
    const denseOut = dense.d.buffers[2] as { plan: number };
    const projection = matmuls.find(({ d }) => 'plan' in d.buffers[0]! && d.buffers[0].plan === denseOut.plan)!;
    expect(dense.i).toBeLessThan(projection.i);
    const projOut = (projection.d.buffers[2] as { plan: number }).plan;
    const firstStep = plan.dispatches.findIndex((d) => d.program.name.includes('_step') && 'plan' in d.buffers[1]! && d.buffers[1].plan === projOut);
    expect(projection.i).toBeLessThan(firstStep);
  });
});
