// A probe: what one time step costs, by kernel, hidden size and batch, on the GPU machine. The H200 left
// the whole-sequence kernel at 8-20 µs a step for configs c and d (docs/BENCHMARKS-H100-KERNELS.md),
// far above what streaming their weights from one SM would take; whether that cost grows with the
// hidden size (weight traffic) or stays flat (a latency floor: barriers, loads of P, stores of y) decides
// what to build next. The step kernel's slope is its per-dispatch cost, now with counted steps (one
// setBindGroup a layer).
// Each case: one compiled model (a single layer, 16 inputs, last output only), predict() at T0 and at
// T1 steps, the median of N passes each; (T1 time - T0 time) / (T1 - T0) is one step's cost without the
// pass's fixed part (input check, upload, read back, submit). The T0 output is checked against the
// float64 reference.
// Built with the harness (npm run bench -- --build-only -> bench/dist/probes/steps.js); bench/gpu/run.sh
// runs it there. Here (lavapipe, GPU-shaped kernels): HW=1 CASES=lstm:16:1 N=3 node bench/dist/probes/steps.js
// Env: N (passes, 9), WARM_MS (0), T ('8,136'), CASES ('cell:H:B,...'; cell lstm, gru or gruv1), KERNELS ('sequence,step'), HW=1 (GPU-shaped
// kernels on a CPU-emulated adapter), SUBGROUPS=0 (a device without the `subgroups` feature, so that
// the step kernel's slices meet in workgroup memory only).
import { create } from 'webgpu';
import { createRuntime, layers, runReference, sequential, type Tensor } from '../../../src/index.js';
import { buildPlan, type PlanOptions } from '../../../src/schedule/plan.js';

process.env.XDG_RUNTIME_DIR ||= '/tmp';
const N = Number(process.env.N ?? 9);
const [T0, T1] = (process.env.T ?? '8,136').split(',').map(Number) as [number, number];
const cases = (process.env.CASES ?? 'lstm:16:1,lstm:64:1,lstm:128:1,lstm:256:1,lstm:64:32,gru:128:1,lstm:256:16')
  .split(',').map((c) => c.split(':')) as [string, string, string][];
const kernels = (process.env.KERNELS ?? 'sequence,step').split(',') as ('sequence' | 'step')[];
const F = 16;

/** Dawn frees an instance whose JS object is collected (and its device then fails): kept to the end. */
let plainInstance: GPU | undefined;
/** Without subgroups: a device of the default adapter with the limits the runtime raises, but not the feature. */
async function plainDevice(): Promise<GPUDevice> {
  plainInstance = create([]);
  const adapter = (await plainInstance.requestAdapter())!;
  const limits = adapter.limits as unknown as Record<string, number>;
  const requiredLimits = Object.fromEntries(['maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxStorageBufferBindingSize', 'maxBufferSize']
    .map((k) => [k, limits[k]!]));
  return adapter.requestDevice({ requiredLimits, label: 'no subgroups' });
}
const rt = await createRuntime(process.env.SUBGROUPS === '0' ? { device: await plainDevice() } : {});
const lim = (rt as unknown as { device?: GPUDevice }).device?.limits;
console.log(rt.adapterInfo, lim ? `maxComputeInvocationsPerWorkgroup ${lim.maxComputeInvocationsPerWorkgroup}, maxComputeWorkgroupStorageSize ${lim.maxComputeWorkgroupStorageSize}` : '');
// WARM_MS: passes at the longer length before each case's timing, so that a GPU's clock, which falls
// within a second of idling (H200: 1980 -> 345 MHz), is up when timing starts.
const WARM_MS = Number(process.env.WARM_MS ?? 0);
const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;
let seed = 1;
const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff * 2 - 1; };
const fill = (n: number, s: number) => Float32Array.from({ length: n }, () => rand() * s);

for (const [cell, hs, bs] of cases) {
  const H = Number(hs), B = Number(bs);
  // 'gru' is Keras 2's GRU (reset gate after the matmul), 'gruv1' the reset-before GRU of config c.
  const make = () => (cell === 'gru' || cell === 'gruv1'
    ? layers.gru({ units: H, inputShape: [null, F], resetAfter: cell === 'gru' })
    : layers.lstm({ units: H, inputShape: [null, F] }));
  const net = sequential([make()]);
  net.setWeights(net.getWeights().map((w: Float32Array) => fill(w.length, 0.3 / Math.sqrt(H))));
  const xs = [T0, T1].map((T): Tensor => ({ data: fill(B * T * F, 1), shape: [B, T, F] }));
  for (const kernel of kernels) {
    const run = await rt.compile(net, { batchSizes: [B], kernel, ...(process.env.HW ? { adapterClass: 'hardware' as const } : {}) });
    // The recurrent program the plan runs (a forced 'sequence' falls back to the step kernel where the
    // layer does not fit one workgroup).
    const options = (run as unknown as { planOptions?: PlanOptions }).planOptions;
    const programs = options ? [...new Set(buildPlan(net, B, [T0], false, options).dispatches.map((d) => d.program.name))] : [];
    const recurrent = programs.find((p) => p.startsWith(cell.slice(0, 3))) ?? '?';
    const times: number[][] = [[], []];
    let y0: Tensor | undefined;
    for (const [i, x] of xs.entries()) {
      const out = await run.predict(x) as Tensor;
      if (i === 0) y0 = out;
      await run.predict(x);
    }
    for (const until = performance.now() + WARM_MS; performance.now() < until;) await run.predict(xs[1]!);
    // Alternated, so that a drift of the machine's clocks falls on both lengths.
    for (let k = 0; k < N; k++) {
      for (const [i, x] of xs.entries()) {
        const t = performance.now();
        await run.predict(x);
        times[i]!.push(performance.now() - t);
      }
    }
    const ref = runReference(net, [xs[0]!])[0]!;
    let err = 0;
    for (let k = 0; k < ref.data.length; k++) err = Math.max(err, Math.abs(y0!.data[k]! - ref.data[k]!));
    const [m0, m1] = times.map(med) as [number, number];
    console.log(`steps: ${cell} H=${H} B=${B} ${kernel}: T=${T0} ${m0.toFixed(3)} ms, T=${T1} ${m1.toFixed(3)} ms -> ${((m1 - m0) / (T1 - T0) * 1000).toFixed(2)} µs/step; max err ${err.toExponential(1)}; ${recurrent}`);
    run.dispose();
  }
}
rt.dispose();
process.exit(0);
