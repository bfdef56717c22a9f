/**
 * The resident whole-sequence kernel (recurrent_resident.wgsl, what `kernel: 'sequence'` runs on CI's
 * CPU-emulated adapter, with the layer's input projection inside it where it fits) against the float64
 * CPU reference, and both it and the GPU-shape step kernel on a device without the `subgroups` feature.
 * The other variants and the rest of the GPU-vs-reference checks are in
 * gpu-vs-cpu.test.ts; a file of its own so that the two run on separate cores, compiling pipelines
 * being most of their time on lavapipe.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { create } from 'webgpu';
import { type Runtime, createRuntime } from '../src/index.js';
import { allCases, lengthCases } from './support/cases.js';
import {
  CASE_TIMEOUT_MS, coreCases, describeCases, describeVariant, onWebGpu, runsStepMeet, useWebGpuRuntime,
} from './support/variants.js';

const gpu = useWebGpuRuntime();
/**
 * A second runtime on a device of the same adapter created without the `subgroups` feature (as a
 * caller's device may be): the resident kernels then take their path without subgroup shuffles.
 */
let plainRt: Runtime;
/** Dawn frees an instance whose JS object is collected: kept for the whole file. */
let plainInstance: GPU;

beforeAll(async () => {
  plainInstance = create([]);
  const adapter = await plainInstance.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter for the device without subgroups');
  plainRt = await createRuntime({ device: await adapter.requestDevice({ label: 'no subgroups' }) });
}, CASE_TIMEOUT_MS);

afterAll(() => {
  plainRt?.dispose();
  plainRt?.device?.destroy();
});

// Layers too large for one workgroup fall back to the step kernel.
describeVariant('sequence kernel', { kernel: 'sequence' }, gpu);

// On CI's CPU-emulated adapter the sequence variant runs the resident kernels with subgroup
// shuffles; this device has no subgroups, so they run their plain path (CORE_CASES).
describe('GPU vs float64 reference, sequence kernel on a device without subgroups', () => {
  test('the device really lacks the feature', () => {
    expect(onWebGpu(plainRt).device!.features.has('subgroups' as GPUFeatureName)).toBe(false);
  });
});
describeCases('sequence kernel on a device without subgroups', coreCases(), { kernel: 'sequence' }, () => plainRt);
// So does the GPU-shape step kernel: its slices all meet in workgroup memory (recurrent_step.wgsl).
describeCases(
  'step kernel, GPU shape, on a device without subgroups', coreCases(), { kernel: 'step', adapterClass: 'hardware' }, () => plainRt,
  () => runsStepMeet('workgroup'),
);

// The resident kernel runs a layer's input projection itself where it fits (fuseInput, the default:
// the resident layers above but packed branches and inputs wider than h). With the projection as a
// matmul pass before it instead: every cell at 1, 2 (part full) and 4 rows a workgroup, reversed,
// bidirectional, and the masked cases.
const UNFUSED_CASES = /^(simpleRNN|lstm|gru|gruV1) H=(5|65|130|33) T=|^bidirectional lstm concat rs -> lstm/;
describeCases(
  'sequence kernel with the input projection as its own pass',
  [...allCases().filter((k) => UNFUSED_CASES.test(k.name)), ...lengthCases()],
  { kernel: 'sequence', fuseInput: false },
  gpu,
);
