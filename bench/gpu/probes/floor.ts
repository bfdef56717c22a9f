// A probe, not a benchmark: what a pass at a short sequence costs beyond the GPU's work. Per config and
// length, alternated in random order: an empty round trip (writeBuffer, one copy, submit, mapAsync:
// the least a pass can cost), predict() itself ('real'), predict() with every dispatch given zero
// workgroups (the same API calls, no GPU work: 'zeroWG'), with its dispatches left out ('noDispatch'),
// and with its state clears left out ('noClear'; its results are then wrong, only its time counts).
// Written from a helper session's probe (2026-11-27); on the H200's GL ES backend it put d at sequence
// length 1 at 133 µs empty, 235 without dispatches, 298 with empty ones, 382 real.
// Built with the harness (npm run bench -- --build-only -> bench/dist/probes/floor.js); bench/gpu/run.sh
// runs it there. Here: node bench/dist/probes/floor.js (GL=1 EGL_PLATFORM=surfaceless: Dawn's GL ES
// backend, as there).
// Env: CFG (default d,a,b: the bench configs' shapes), T (sequence lengths, default 1,8), N (passes
// a mode each round, 30), ROUNDS (10).
import { create, globals } from 'webgpu';
import { type Model, type SymbolicTensor, createRuntime, input, layers, model, sequential } from '../../../src/index.js';

Object.assign(globalThis, globals);
const gl = process.env.GL === '1';
if (gl) {
  // Here only: the GPU kit's shim already puts Dawn on GL ES there.
  const gpu = create(['backend=opengles']);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
}
const rt = await createRuntime(gl ? { featureLevel: 'compatibility' } : {});
console.log(rt.adapterInfo);
if (!rt.device) throw new Error('floor.ts: no WebGPU device (the runtime fell back to the CPU)');
const device = rt.device;

function rand(seed: number) { let a = seed; return () => { a = (a * 1103515245 + 12345) & 0x7fffffff; return a / 0x7fffffff * 2 - 1; }; }
const r = rand(1);
const fill = (n: number, s = 1) => Float32Array.from({ length: n }, () => r() * s);
const lstm = (units: number, rs = false) => layers.lstm({ units, returnSequences: rs });
/** The bench configs' shapes at T steps: [model, batch]. */
const cfgs: Record<string, (T: number) => [Model, number]> = {
  a: (T) => [sequential([layers.lstm({ units: 128, returnSequences: true, inputShape: [T, 32] }), lstm(128, true)]), 1],
  b: (T) => [sequential([layers.lstm({ units: 256, returnSequences: true, inputShape: [T, 64] }), lstm(256)]), 16],
  d: (T) => {
    const xs = [input({ shape: [T, 16] }), input({ shape: [T, 16] })];
    const hs = xs.map((x) => lstm(64).apply(x) as SymbolicTensor);
    const y = layers.dense({ units: 1 }).apply(layers.concatenate().apply(hs) as SymbolicTensor) as SymbolicTensor;
    return [model({ inputs: xs, outputs: y }), 32];
  },
};

const Pass = (globals as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
const Enc = (globals as unknown as { GPUCommandEncoder: { prototype: GPUCommandEncoder } }).GPUCommandEncoder.prototype;
const dispatch = Pass.dispatchWorkgroups, clear = Enc.clearBuffer;
const modes: Record<string, () => void> = {
  real: () => {},
  zeroWG: () => { Pass.dispatchWorkgroups = function (this: GPUComputePassEncoder) { dispatch.call(this, 0, 0, 0); }; },
  noDispatch: () => { Pass.dispatchWorkgroups = () => {}; },
  noClear: () => { Enc.clearBuffer = () => {}; },
};
const restore = () => { Pass.dispatchWorkgroups = dispatch; Enc.clearBuffer = clear; };

const src = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
const staging = device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
async function empty() {
  device.queue.writeBuffer(src, 0, new Float32Array(4));
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(src, 0, staging, 0, 256);
  device.queue.submit([e.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  staging.getMappedRange();
  staging.unmap();
}

const med = (v: number[]) => { const s = [...v].sort((p, q) => p - q); return s[s.length >> 1]!; };
const N = Number(process.env.N ?? 30), ROUNDS = Number(process.env.ROUNDS ?? 10);
/** The modes in a random order each round (Fisher-Yates with the probe's generator). */
function shuffled<V>(items: V[]): V[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(((r() + 1) / 2) * (i + 1)) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

for (const name of (process.env.CFG ?? 'd,a,b').split(',')) {
  const build = cfgs[name];
  if (!build) throw new Error(`floor.ts: CFG takes ${Object.keys(cfgs).join(', ')}, got '${name}'`);
  for (const T of (process.env.T ?? '1,8').split(',').map(Number)) {
    const [net, B] = build(T);
    net.setWeights(net.getWeights().map((w) => fill(w.length, 0.1)));
    const xs = net.inputs.map((t) => ({ data: fill(B * t.shape[0]! * t.shape[1]!), shape: [B, ...t.shape] as number[] }));
    const run = await rt.compile(net, { batchSizes: [B] });
    for (let i = 0; i < 20; i++) await run.predict(xs);
    const times: Record<string, number[]> = { empty: [], real: [], zeroWG: [], noDispatch: [], noClear: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const k of shuffled(Object.keys(times))) {
        modes[k]?.();
        for (let i = 0; i < N; i++) {
          const t0 = performance.now();
          if (k === 'empty') await empty(); else await run.predict(xs);
          times[k]!.push((performance.now() - t0) * 1000);
        }
        restore();
      }
    }
    console.log(`${name} T=${T}: ${Object.entries(times).map(([k, v]) => `${k} ${med(v).toFixed(0)}`).join(', ')} µs (medians of ${N * ROUNDS})`);
    run.dispose();
  }
}
process.exit(0);
