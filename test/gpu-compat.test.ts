/**
 * The runtime at WebGPU's `compatibility` feature level (issue 2: "The code must work at both WebGPU
 * feature levels"). Two devices:
 *  - Dawn's OpenGL ES backend (EGL surfaceless; Mesa's llvmpipe here), which is how some GPU machines
 *    expose WebGPU, passed in with createRuntime({ device }) at its default (compatibility) limits;
 *  - createRuntime({ featureLevel: 'compatibility' }) on Dawn's default backend, which gives a device
 *    restricted to compatibility validation and limits.
 * Each runs a subset of the seeded cases against the float64 reference. Neither may fall back to the
 * CPU: that fails the test.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { create } from 'webgpu';
import { type Runtime, createRuntime } from '../src/index.js';
import { type GpuCase, allCases, browserCases, wavefrontCases } from './support/cases.js';
import { assertCasePassed, runCase } from './support/run-case.js';
import { runsTiled, runsWavefront, runsWavefrontSteps } from './support/variants.js';

const TIMEOUT_MS = 120_000;

/** A compact subset: every cell, both GRU variants, bidirectional, branches, states, several outputs. */
function compatCases(): GpuCase[] {
  const wanted = [
    'lstm H=5 T=7 B=3', 'gruV1 H=63 T=7 B=3', 'simpleRNN H=300 T=7 B=3', 'gru H=1 T=64 B=16',
    'lstm initialState returnState', 'bidirectional gru sum returnState returnSequences',
  ];
  return allCases().filter((c) => wanted.some((w) => c.name.startsWith(w)));
}

/**
 * Dawn instances (what `create()` returns) are kept here for the whole file: if one is garbage
 * collected while its device is in use, the OpenGL ES backend aborts the process
 * (pthread_mutex_lock assertion) on the next GPU call.
 */
const instances: GPU[] = [];

describe('Dawn OpenGL ES backend (compatibility), device passed to createRuntime', () => {
  let device: GPUDevice | undefined;
  let rt: Runtime | undefined;
  let where = '';

  beforeAll(async () => {
    // EGL without a window system; Dawn reads it when the GL backend starts.
    process.env.EGL_PLATFORM ||= 'surfaceless';
    const gles = create(['backend=opengles']);
    instances.push(gles);
    let adapter = await gles.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    where = 'Dawn OpenGL ES';
    if (!adapter) {
      // No GL ES driver: a compatibility device on the default backend still checks the code against
      // compatibility validation (said in the log, never skipped).
      const fallback = create([]);
      instances.push(fallback);
      adapter = await fallback.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
      where = 'Dawn default backend (no OpenGL ES adapter found)';
    }
    if (!adapter) throw new Error('no compatibility adapter at all');
    device = await adapter.requestDevice({ label: 'compat test device' });
    rt = await createRuntime({ device });
    console.log(`compatibility device: ${where}; ${adapter.info.description || adapter.info.vendor}; ` +
      `core-features-and-limits: ${device.features.has('core-features-and-limits' as GPUFeatureName)}; ` +
      `maxComputeInvocationsPerWorkgroup ${device.limits.maxComputeInvocationsPerWorkgroup}, ` +
      `maxStorageBuffersPerShaderStage ${device.limits.maxStorageBuffersPerShaderStage}`);
  }, TIMEOUT_MS);

  afterAll(() => {
    rt?.dispose();
    // The runtime must not destroy a device it did not create; we created it, so we do.
    device?.destroy();
  });

  test('the device is a compatibility device and the runtime uses it', () => {
    expect(rt!.backend).toBe('webgpu');
    expect(rt!.device).toBe(device);
    expect(device!.features.has('core-features-and-limits' as GPUFeatureName)).toBe(false);
  });

  for (const c of browserCases()) {
    test(c.name, async () => {
      expect(rt!.backend).toBe('webgpu');
      assertCasePassed(await runCase(rt!, c));
    }, TIMEOUT_MS);
  }

  // The wavefront kernel, as the GPU machine runs it (OpenGL ES, GPU shape): its 12 KiB of partial
  // sums and 4 KiB of h within the compatibility limit of 16 KiB, and the limit's 128 threads.
  for (const c of wavefrontCases().filter((k) => /issue example|simpleRNN\(33|lstm\(256/.test(k.name))) {
    test(`${c.name}, kernel: 'wavefront' (GPU shape)`, async () => {
      expect(rt!.backend).toBe('webgpu');
      assertCasePassed(await runCase(rt!, c, { kernel: 'wavefront', adapterClass: 'hardware' }, runsWavefront(c)));
    }, TIMEOUT_MS);
  }

  // The wavefront step kernel, as the GPU machine runs it: 16 KiB of partial sums and 4 storage buffers.
  for (const c of wavefrontCases().filter((k) => /issue example|simpleRNN\(33|lstm\(256/.test(k.name))) {
    test(`${c.name}, kernel: 'wavefront-step' (GPU shape)`, async () => {
      expect(rt!.backend).toBe('webgpu');
      assertCasePassed(await runCase(rt!, c, { kernel: 'wavefront-step', adapterClass: 'hardware' }, runsWavefrontSteps(c)));
    }, TIMEOUT_MS);
  }

  // The tiled step kernel (GPU shape): its 16 KiB buffer of staged h and partial sums at the limit.
  for (const c of allCases().filter((k) => /^lstm H=130 T=7 B=5 F=2|^gru H=33 T=7 B=10/.test(k.name))) {
    test(`${c.name}, kernel: 'tiled' (GPU shape)`, async () => {
      expect(rt!.backend).toBe('webgpu');
      assertCasePassed(await runCase(rt!, c, { kernel: 'tiled', adapterClass: 'hardware' }, runsTiled));
    }, TIMEOUT_MS);
  }

  test('runtime.dispose() leaves a caller-provided device alive', async () => {
    const own = await createRuntime({ device });
    const c = compatCases()[0]!;
    assertCasePassed(await runCase(own, c));
    own.dispose();
    // Still usable: another runtime on the same device works.
    assertCasePassed(await runCase(rt!, c));
  }, TIMEOUT_MS);
});

describe("createRuntime({ featureLevel: 'compatibility' }) on the default backend", () => {
  let rt: Runtime;

  beforeAll(async () => {
    rt = await createRuntime({ featureLevel: 'compatibility' });
  }, TIMEOUT_MS);

  afterAll(() => {
    rt?.dispose();
  });

  test('gives a WebGPU runtime on a device without core-features-and-limits', () => {
    expect(rt.backend).toBe('webgpu');
    expect(rt.device!.features.has('core-features-and-limits' as GPUFeatureName)).toBe(false);
  });

  for (const c of compatCases()) {
    test(c.name, async () => {
      expect(rt.backend).toBe('webgpu');
      assertCasePassed(await runCase(rt, c));
    }, TIMEOUT_MS);
  }
});
