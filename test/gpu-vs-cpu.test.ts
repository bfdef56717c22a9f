/**
 * The GPU engine against the float64 CPU reference on seeded random models and inputs (issue 2, "What
 * it must show" 1). Every element of every output is compared with the tolerance each case states
 * (test/support/cases.ts explains the defaults). There is no CPU fallback here: a runtime that is not
 * on WebGPU fails every test (CI has a software adapter, lavapipe).
 */
import { describe, expect, test } from 'vitest';
import { DisposedError, type Runtime, type Tensor, createRuntime, runReference } from '../src/index.js';
import { type GpuCase, allCases } from './support/cases.js';
import { compareOutputs } from './support/compare.js';
import { Rng, randomTensor } from './support/random.js';
import { assertCasePassed, runCase } from './support/run-case.js';
import {
  CASE_TIMEOUT_MS, coreCases, describeCases, describeVariant, runsStepMeet, runsTiled, useWebGpuRuntime, withF16Tolerance, withPlanOptions,
} from './support/variants.js';

/** Every GPU test starts here. */
const gpu = useWebGpuRuntime();

test('createRuntime() gives a WebGPU runtime with a device', () => {
  const r = gpu();
  expect(r.device).toBeDefined();
  console.log(`adapter: ${r.adapterInfo}`);
});

// f16 weight storage, at its tolerance (withF16Tolerance). CORE_CASES: f16 changes how each kernel
// loads its weights, which every cell and kernel (step past 256 units) there reads.
describeCases('f16 weights', coreCases().map(withF16Tolerance), { precision: 'f16' }, gpu);
describeCases('tiled step kernel, f16 weights', coreCases().map(withF16Tolerance), { precision: 'f16', kernel: 'tiled', adapterClass: 'hardware' }, gpu, () => runsTiled);

// Every case runs under each recurrent kernel variant (test/support/variants.ts): here one fused
// dispatch per time step, and both kernels with the shapes they take on a GPU (the step kernel with
// 16-32 units and up to 4 rows per workgroup, both with reductions split over several threads per
// unit; the sequence kernel is recurrent_sequence.wgsl there), forced since CI's adapter is
// CPU-emulated; and the tiled step kernel (recurrent_tiled.wgsl, forced for every batch). The resident sequence kernel's suites are in gpu-vs-cpu-sequence.test.ts (a file of
// their own, so that the two run on separate cores: compiling pipelines takes most of their time).
describeVariant('step kernel', { kernel: 'step' }, gpu);
describeVariant('step kernel, GPU shape', { kernel: 'step', adapterClass: 'hardware' }, gpu, runsStepMeet('subgroup+workgroup'));
describeVariant('sequence kernel, GPU shape', { kernel: 'sequence', adapterClass: 'hardware' }, gpu);
describeVariant('tiled step kernel, GPU shape', { kernel: 'tiled', adapterClass: 'hardware' }, gpu, runsTiled);

// The GPU-shape step kernel's slices meet in subgroups where the device has them: on CI's lavapipe
// (8-lane subgroups, 256 threads a workgroup) 4 of a unit's 16 slices meet in a subgroup, then 4
// partial sums in workgroup memory (the variant above; without subgroups: gpu-vs-cpu-sequence.test.ts).
// At 64 threads a workgroup, as on a device with that limit, all 4 slices meet in the subgroup: no
// workgroup memory, no barrier, each of a unit's lanes finishing every 4th row. CORE_CASES, with f16
// weights too.
const subgroupOnly = () => withPlanOptions({ maxThreads: 64 }, runsStepMeet('subgroup'));
describeCases('step kernel, GPU shape at 64 threads', coreCases(), { kernel: 'step', adapterClass: 'hardware', batchSizes: [] }, gpu, subgroupOnly);
describeCases(
  'step kernel, GPU shape at 64 threads, f16 weights', coreCases().filter((c) => /^(lstm|gru) H=/.test(c.name)).map(withF16Tolerance),
  { kernel: 'step', adapterClass: 'hardware', batchSizes: [], precision: 'f16' }, gpu, subgroupOnly,
);
// Groups of 4 lanes (a device whose smallest subgroup is 4; each group still lies in one of lavapipe's
// 8-lane subgroups): 2 slices of 2 units a group, fewer than the rows, so each lane writes (and, when
// all slices meet in the subgroup, finishes) every 2nd row. At 256 threads 2 of 16 slices meet in the
// subgroup; at 32 threads both of 2. CORE_CASES' single layers.
const SINGLE_LAYERS = /^(simpleRNN|lstm|gru) H=/;
describeCases(
  'step kernel, GPU shape, subgroup groups of 4', coreCases().filter((c) => SINGLE_LAYERS.test(c.name)),
  { kernel: 'step', adapterClass: 'hardware', batchSizes: [] }, gpu,
  () => withPlanOptions({ subgroupMinSize: 4 }, runsStepMeet('subgroup+workgroup')),
);
describeCases(
  'step kernel, GPU shape at 32 threads, subgroup groups of 4', coreCases().filter((c) => SINGLE_LAYERS.test(c.name)),
  { kernel: 'step', adapterClass: 'hardware', batchSizes: [] }, gpu,
  () => withPlanOptions({ maxThreads: 32, subgroupMinSize: 4 }, runsStepMeet('subgroup')),
);
// The reset-before GRU's sequence kernel reads a compact copy of its weights (packRecurrent): in f16
// too, on every case with such a GRU (the variant above covers f32).
describeCases(
  'sequence kernel, GPU shape, f16 weights, reset-before GRU', allCases().filter((c) => /gruV1/.test(c.name)).map(withF16Tolerance),
  { kernel: 'sequence', adapterClass: 'hardware', precision: 'f16' }, gpu,
);

/** Inputs of batch `B` for a model built by `c`, from their own seed. */
function inputsFor(m: { inputs: readonly { shape: readonly (number | null)[] }[] }, B: number, seed: number): Tensor[] {
  const rng = new Rng(seed);
  return m.inputs.map((s) => randomTensor(rng, [B, ...s.shape.map((d) => d ?? 7)]));
}

/** Allocates enough short-lived objects to force full garbage collections. */
function churnGarbage(): void {
  let junk: object[] = [];
  for (let i = 0; i < 2_000_000; i++) junk.push({ i });
  junk = [];
  void junk;
}

function tolOf(c: GpuCase) {
  return { atol: c.atol, rtol: c.rtol };
}

function expectMatchesReference(actual: Tensor | Tensor[], expected: ReturnType<typeof runReference>, c: GpuCase, what: string): void {
  const report = compareOutputs(actual, expected, tolOf(c));
  if (report) throw new Error(`${what}:\n${report}`);
}

function pick(name: string): GpuCase {
  const c = allCases().find((k) => k.name.startsWith(name));
  if (!c) throw new Error(`no case named '${name}...'`);
  return c;
}

describe('one compiled model, many calls', () => {
  // A model with two inputs, a concatenation, a bidirectional layer and two outputs exercises most of
  // the plan's buffers.
  const caseName = 'bidirectional branch + gru branch';

  test('predict with batch 3, 16, 1 and 3 again on one compiled model', async () => {
    const c = pick(caseName);
    const { model } = c.build();
    const run = await gpu().compile(model);
    try {
      for (const [B, seed] of [[3, 1], [16, 2], [1, 3], [3, 4]] as const) {
        const x = inputsFor(model, B, seed);
        const y = await run.predict(x);
        expectMatchesReference(y, runReference(model, x), c, `batch ${B}`);
      }
    } finally {
      run.dispose();
    }
  }, CASE_TIMEOUT_MS);

  // The GPU-shape step and tiled kernels count their steps per workgroup in the state buffer
  // (step_params.wgsl): every call, plan and sequence length must start from step 0 again.
  for (const kernel of ['step', 'tiled'] as const) {
    test(`counted ${kernel} kernel: batch 3, 16, 3 again, then T = 12, 3, 12 on one compiled model`, async () => {
      const c = pick(caseName);
      const run = await gpu().compile(c.build().model, { kernel, adapterClass: 'hardware' });
      const open = pick('open-length input');
      const runOpen = await gpu().compile(open.build().model, { kernel, adapterClass: 'hardware' });
      try {
        for (const [B, seed] of [[3, 1], [16, 2], [3, 1]] as const) {
          const x = inputsFor(run.model, B, seed);
          expectMatchesReference(await run.predict(x), runReference(run.model, x), c, `batch ${B}`);
        }
        for (const T of [12, 3, 12]) {
          const x = [randomTensor(new Rng(T), [3, T, 3])];
          expectMatchesReference(await runOpen.predict(x), runReference(runOpen.model, x), open, `T ${T}`);
        }
      } finally {
        run.dispose();
        runOpen.dispose();
      }
    }, CASE_TIMEOUT_MS);
  }

  test('batch sizes planned at compile (batchSizes) and one that was not', async () => {
    const c = pick('issue example stacked');
    const { model } = c.build();
    const run = await gpu().compile(model, { batchSizes: [1, 16] });
    try {
      for (const B of [16, 1, 5]) {
        const x = inputsFor(model, B, 10 + B);
        expectMatchesReference(await run.predict(x), runReference(model, x), c, `batch ${B}`);
      }
    } finally {
      run.dispose();
    }
  }, CASE_TIMEOUT_MS);

  test('open-length input: T = 12, then 3, then 40 on one compiled model', async () => {
    const c = pick('open-length input');
    const { model } = c.build();
    const run = await gpu().compile(model);
    try {
      for (const T of [12, 3, 40]) {
        const rng = new Rng(T);
        const x = [randomTensor(rng, [3, T, 3])];
        expectMatchesReference(await run.predict(x), runReference(model, x), c, `T ${T}`);
      }
    } finally {
      run.dispose();
    }
  }, CASE_TIMEOUT_MS);

  test('repeated calls give bit-identical results, also after a call with another batch size', async () => {
    const c = pick('3 branches, depths 1/2/3');
    const { model, inputs } = c.build();
    const run = await gpu().compile(model);
    try {
      const first = (await run.predict(inputs)) as Tensor;
      const second = (await run.predict(inputs)) as Tensor;
      await run.predict(inputsFor(model, 16, 99));
      const third = (await run.predict(inputs)) as Tensor;
      expect(second.shape).toEqual(first.shape);
      expect(Array.from(second.data)).toEqual(Array.from(first.data));
      expect(Array.from(third.data)).toEqual(Array.from(first.data));
      expectMatchesReference(first, runReference(model, inputs), c, 'first call');
    } finally {
      run.dispose();
    }
  }, CASE_TIMEOUT_MS);

  test('concurrent predict calls (not awaited in between) each get their own result', async () => {
    const c = pick('lstm returnState returnSequences');
    const { model } = c.build();
    const run = await gpu().compile(model);
    try {
      const xs = [inputsFor(model, 3, 21), inputsFor(model, 3, 22), inputsFor(model, 16, 23)];
      const ys = await Promise.all(xs.map((x) => run.predict(x)));
      ys.forEach((y, i) => expectMatchesReference(y, runReference(model, xs[i]!), c, `concurrent call ${i}`));
    } finally {
      run.dispose();
    }
  }, CASE_TIMEOUT_MS);

  test('the returned data is the caller\'s: a later call does not overwrite it', async () => {
    const c = pick('gru H=5 T=7 B=3');
    const { model, inputs } = c.build();
    const run = await gpu().compile(model);
    try {
      const y1 = (await run.predict(inputs)) as Tensor;
      const copy = Float32Array.from(y1.data);
      await run.predict(inputsFor(model, 3, 5));
      expect(Array.from(y1.data)).toEqual(Array.from(copy));
    } finally {
      run.dispose();
    }
  }, CASE_TIMEOUT_MS);

  test('two compiled models live side by side; disposing one leaves the other working', async () => {
    const c = pick('lstm H=5 T=7 B=3');
    const a = c.build(), b = pick('gruV1 H=5 T=7 B=3').build();
    const runA = await gpu().compile(a.model);
    const runB = await gpu().compile(b.model);
    try {
      const [ya, yb] = await Promise.all([runA.predict(a.inputs), runB.predict(b.inputs)]);
      expectMatchesReference(ya!, runReference(a.model, a.inputs), c, 'model A');
      expectMatchesReference(yb!, runReference(b.model, b.inputs), c, 'model B');
      runA.dispose();
      expectMatchesReference(await runB.predict(b.inputs), runReference(b.model, b.inputs), c, 'model B after A.dispose()');
    } finally {
      runB.dispose();
    }
  }, CASE_TIMEOUT_MS);

  test('a runtime and its compiled model survive garbage collection between calls', async () => {
    // Dawn tears down an instance (what the 'webgpu' package's create() returns) that is collected while
    // its device lives; with the OpenGL ES backend the next GPU call then aborts the process. The
    // runtime must keep what it needs reachable.
    const r = await createRuntime();
    try {
      expect(r.backend).toBe('webgpu');
      const c = pick('gru H=5 T=7 B=3');
      const { model, inputs } = c.build();
      const run = await r.compile(model);
      for (let round = 0; round < 3; round++) {
        churnGarbage();
        await new Promise((resolve) => setTimeout(resolve, 20));
        expectMatchesReference(await run.predict(inputs), runReference(model, inputs), c, `after GC round ${round}`);
      }
      run.dispose();
    } finally {
      r.dispose();
    }
  }, CASE_TIMEOUT_MS);

  test('weights changed with setWeights after compile need a new compile; the old one keeps its weights', async () => {
    const c = pick('simpleRNN H=5 T=7 B=3');
    const { model, inputs } = c.build();
    const before = runReference(model, inputs);
    const run = await gpu().compile(model);
    try {
      model.setWeights(model.getWeights().map((w) => w.map((v) => v * 0.5)));
      // The compiled model uploaded its weights at compile time.
      expectMatchesReference(await run.predict(inputs), before, c, 'after setWeights, old compile');
      const run2 = await gpu().compile(model);
      try {
        expectMatchesReference(await run2.predict(inputs), runReference(model, inputs), c, 'recompiled');
      } finally {
        run2.dispose();
      }
    } finally {
      run.dispose();
    }
  }, CASE_TIMEOUT_MS);
});

describe('dispose', () => {
  test('predict after run.dispose() rejects with DisposedError; dispose twice is harmless', async () => {
    const { model, inputs } = pick('lstm H=5 T=7 B=3').build();
    const run = await gpu().compile(model);
    await run.predict(inputs);
    run.dispose();
    await expect(run.predict(inputs)).rejects.toBeInstanceOf(DisposedError);
    await expect(run.predict(inputs)).rejects.toThrow(/dispos/i);
    expect(() => run.dispose()).not.toThrow();
  }, CASE_TIMEOUT_MS);

  test('compiling and disposing many models raises no GPU error and leaves the device usable', async () => {
    const r = gpu();
    const device = r.device!;
    device.pushErrorScope('validation');
    const c = pick('gru H=63 T=7 B=3');
    for (let i = 0; i < 10; i++) {
      const { model, inputs } = c.build();
      const run = await r.compile(model);
      await run.predict(inputs);
      run.dispose();
    }
    expect(await device.popErrorScope()).toBeNull();
    assertCasePassed(await runCase(r, c));
  }, CASE_TIMEOUT_MS);
});
