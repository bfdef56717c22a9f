/**
 * Runs one GpuCase on a runtime and checks it against the float64 reference. No test-framework
 * import: the Node suite and the browser page both call it.
 */
import { type CompileOptions, type CompiledModel, type Runtime, type Tensor, runReference } from '../../src/api.js';
import type { GpuCase } from './cases.js';
import { compareOutputs, maxAbsError } from './compare.js';

export interface CaseResult {
  name: string;
  /** null when every element of every output is within tolerance. */
  report: string | null;
  /** Largest absolute error over all outputs. */
  maxError: number;
  /** Messages of validation / out-of-memory / internal errors the case raised on the device. */
  gpuErrors: string[];
  ms: number;
}

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/** A check of the compiled model before it runs (e.g. which kernels its plan holds); throws to fail. */
export type CompiledCheck = (run: CompiledModel, built: ReturnType<GpuCase['build']>) => void;

/**
 * Compiles the case's model, predicts once, compares every output element with runReference and
 * disposes the compiled model. On WebGPU it all runs inside error scopes, whose errors are returned.
 */
export async function runCase(rt: Runtime, c: GpuCase, options: CompileOptions = {}, check?: CompiledCheck): Promise<CaseResult> {
  const t0 = performance.now();
  const built = c.build();
  const { model, inputs, lengths } = built;
  const expected = runReference(model, inputs, lengths ? { lengths } : {});
  const device = rt.device;
  if (device) for (const f of SCOPES) device.pushErrorScope(f);
  let actual: Tensor | Tensor[] | undefined;
  const gpuErrors: string[] = [];
  try {
    const run = await rt.compile(model, options);
    try {
      check?.(run, built);
      actual = await run.predict(inputs, lengths ? { lengths } : undefined);
    } finally {
      run.dispose();
    }
  } finally {
    if (device) {
      for (let i = SCOPES.length - 1; i >= 0; i--) {
        const e = await device.popErrorScope();
        if (e) gpuErrors.push(`${SCOPES[i]} error: ${e.message}`);
      }
    }
  }
  const report = compareOutputs(actual!, expected, c);
  return { name: c.name, report, maxError: maxAbsError(actual!, expected), gpuErrors, ms: performance.now() - t0 };
}

/** Throws with everything a failing case reports (mismatches and GPU errors). */
export function assertCasePassed(r: CaseResult): void {
  const parts: string[] = [];
  if (r.gpuErrors.length) parts.push(...r.gpuErrors);
  if (r.report) parts.push(r.report);
  if (parts.length) throw new Error(`case '${r.name}' failed:\n${parts.join('\n')}`);
}
