/**
 * The GPU-vs-reference suites every recurrent kernel variant runs (gpu-vs-cpu.test.ts,
 * gpu-vs-cpu-sequence.test.ts): every case of cases.ts, and the cases masked by predict lengths.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CompileOptions, type Runtime, createRuntime } from '../../src/index.js';
import { GpuCompiledModel } from '../../src/schedule/executor.js';
import { type Plan, type PlanOptions, buildPlan } from '../../src/schedule/plan.js';
import { type GpuCase, allCases, lengthCases } from './cases.js';
import { failOnGpuErrors } from './error-scopes.js';
import { type CompiledCheck, assertCasePassed, runCase } from './run-case.js';

/**
 * A subset for the suites that need not run every case (llvmpipe compiles each new pipeline in a second
 * or more): every cell at hidden sizes 1-300 (the resident kernel's 64, 128 and 256 lanes, and the step
 * kernel past 256), inputs up to 16 wide, 1 to 16 rows, reverse direction, initial states, packed
 * branches and a bidirectional layer in a stack.
 */
export const CORE_CASES = /^(simpleRNN|lstm|gru|gruV1) H=\d+ T=|^packed branches|initialState|^bidirectional lstm concat rs -> lstm/;

/** Per case: llvmpipe compiles each new pipeline in a second or more. */
export const CASE_TIMEOUT_MS = 120_000;

/** `rt`, after checking that it is on WebGPU: a CPU runtime must fail, never pass by comparing CPU with CPU. */
export function onWebGpu(rt: Runtime): Runtime {
  expect(rt.backend, `createRuntime() fell back to '${rt.backend}' (${rt.adapterInfo}); these tests need WebGPU`).toBe('webgpu');
  return rt;
}

/**
 * The file's WebGPU runtime, created before its tests and disposed after them, each test inside the
 * device's error scopes (failOnGpuErrors). The getter checks it is on WebGPU (onWebGpu).
 */
export function useWebGpuRuntime(): () => Runtime {
  let rt: Runtime | undefined;
  beforeAll(async () => {
    rt = await createRuntime();
  }, CASE_TIMEOUT_MS);
  afterAll(() => {
    rt?.dispose();
  });
  failOnGpuErrors(() => rt?.device);
  return () => onWebGpu(rt!);
}

/**
 * A case with the tolerance of f16 weight storage: weights rounded to half precision (about 3 decimal
 * digits) allow 1e-2 relative and 3e-3 absolute error, or the case's own looser tolerance times ten.
 */
export function withF16Tolerance<C extends GpuCase>(c: C): C {
  return { ...c, atol: Math.max(3e-3, c.atol * 10), rtol: Math.max(1e-2, c.rtol * 10) };
}

/**
 * A suite: each case against the reference, compiled with `options`, on `runtime()`; `check` (if
 * any) sees each compiled model first.
 */
export function describeCases<C extends GpuCase>(
  title: string, cases: readonly C[], options: CompileOptions, runtime: () => Runtime, check?: (c: C) => CompiledCheck,
): void {
  describe(`GPU vs float64 reference, ${title}`, () => {
    for (const c of cases) {
      test(c.name, async () => {
        assertCasePassed(await runCase(runtime(), c, options, check?.(c)));
      }, CASE_TIMEOUT_MS);
    }
  });
}

/** The cases of CORE_CASES. */
export function coreCases(): GpuCase[] {
  return allCases().filter((c) => CORE_CASES.test(c.name));
}

/**
 * Registers a variant's two suites: every case, and every masked case, compiled with `options`;
 * `check` (if any) sees each compiled model first.
 */
export function describeVariant(label: string, options: CompileOptions, runtime: () => Runtime, check?: CompiledCheck): void {
  describeCases(label, allCases(), options, runtime, check && (() => check));
  describeCases(`masked by predict lengths, ${label}`, lengthCases(), options, runtime, check && (() => check));
}

/**
 * That a compiled model really runs its stacked pairs as a wavefront (kernel: 'wavefront'): its plan,
 * built with the options and device limits it compiled with, holds the case's count of wavefront
 * dispatches.
 */
export const runsWavefront = (c: { pairs: number }): CompiledCheck => (run, built) => {
  expect(wavefrontDispatches(compiledPlan(run, built))).toHaveLength(c.pairs);
};

/**
 * That a compiled model runs its stacked pairs as the wavefront step kernel (kernel: 'wavefront-step'):
 * its plan holds T + 1 of that kernel's dispatches for each of the case's pairs, and no whole-sequence
 * kernel.
 */
export const runsWavefrontSteps = (c: { pairs: number }): CompiledCheck => (run, built) => {
  const names = compiledPlan(run, built).dispatches.map((d) => d.program.name);
  const T = built.inputs[0]!.shape[1]!;
  expect(names.filter((n) => /_wavefront_step /.test(n))).toHaveLength(c.pairs * (T + 1));
  expect(names.filter((n) => /^(simpleRNN|lstm|gru)_(sequence|resident|wavefront) /.test(n))).toEqual([]);
};

/**
 * The plan a compiled model runs for a case's inputs (masked where the case has lengths), built with
 * the options and device limits it compiled with; it must be a WebGPU model.
 */
function compiledPlan(run: Parameters<CompiledCheck>[0], built: Parameters<CompiledCheck>[1]): Plan {
  expect(run).toBeInstanceOf(GpuCompiledModel);
  const steps = built.inputs.map((t) => t.shape[1]!);
  return buildPlan(built.model, built.inputs[0]!.shape[0]!, steps, built.lengths !== undefined, (run as GpuCompiledModel).planOptions);
}

/**
 * That a model compiled with kernel: 'tiled' really runs the tiled step kernel: its plan (built with
 * the options and device limits it compiled with) runs no sequence or wavefront kernel and no untiled
 * step kernel of an LSTM without a projection or a GRU with the reset gate after the matmul.
 */
export const runsTiled: CompiledCheck = (run, built) => {
  const names = compiledPlan(run, built).dispatches.map((d) => d.program.name);
  expect(names.filter((n) => /_(sequence|resident|wavefront) /.test(n) || (/^(lstm|gru)_step /.test(n) && !n.endsWith(' proj')))).toEqual([]);
};

/**
 * How a plan's split step kernels meet their slices (recurrent_step.wgsl; not the reset-before GRU's
 * kernel): 'workgroup' all in workgroup memory; 'subgroup+workgroup' SS of them in a subgroup, then the
 * rest in workgroup memory; 'subgroup' all in a subgroup (SS = KS). The check: every such step dispatch
 * of the compiled model's plan meets that way (their names give KS and SS).
 */
export const runsStepMeet = (meet: 'workgroup' | 'subgroup+workgroup' | 'subgroup'): CompiledCheck => (run, built) => {
  const names = compiledPlan(run, built).dispatches.map((d) => d.program.name).filter((n) => /^(simpleRNN|lstm|gru)_step /.test(n));
  const wrong = names.filter((n) => {
    const ks = Number(/ KS=(\d+)/.exec(n)![1]), ss = Number(/ SS=(\d+)/.exec(n)?.[1] ?? 1);
    return ks === 1 || (meet === 'workgroup' ? ss !== 1 : meet === 'subgroup' ? ss !== ks : ss === 1 || ss === ks);
  });
  expect(wrong).toEqual([]);
};

/**
 * A check that first changes what the compiled model's plans see of the device (planOptions: e.g.
 * maxThreads, as a device with a lower limit would have, or a smaller subgroupMinSize, which only
 * narrows the subgroup groups a plan uses), then runs `then`. Plans built at compile keep the options
 * they had: compile with batchSizes: [].
 */
export const withPlanOptions = (patch: Partial<PlanOptions>, then: CompiledCheck): CompiledCheck => (run, built) => {
  expect(run).toBeInstanceOf(GpuCompiledModel);
  const compiled = run as GpuCompiledModel;
  compiled.planOptions = { ...compiled.planOptions, ...patch };
  then(run, built);
};

/** The names of a plan's wavefront dispatches. */
export function wavefrontDispatches(plan: Plan): string[] {
  return plan.dispatches.map((d) => d.program.name).filter((n) => n.includes('wavefront'));
}
