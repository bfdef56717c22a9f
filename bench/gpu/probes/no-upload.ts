// A probe, not a benchmark: where a pass's time goes on the host side. Per config, the whole predict()
// (input check, upload, passes, read back), the same with queue.writeBuffer skipped (after warm-up the
// input buffer already holds these inputs, so the results stay right), and the upload alone (the same
// bytes written to a buffer of the same size, then onSubmittedWorkDone).
// Built with the harness (npm run bench -- --build-only -> bench/dist/probes/no-upload.js); bench/gpu/run.sh
// runs it there. Here: node bench/dist/probes/no-upload.js
// Env: CFG (default b,e,e-x4,f,f-x4: the bench configs), N (runs, 15), NOREF=1 skips the float64
// reference check (minutes for f).
import { globals } from 'webgpu';
import { createRuntime, sequential, layers, runReference } from '../../../src/index.js';
function rand(seed: number) { let a = seed; return () => { a = (a * 1103515245 + 12345) & 0x7fffffff; return a / 0x7fffffff * 2 - 1; }; }
function fill(n: number, r: () => number, s = 1) { const x = new Float32Array(n); for (let i = 0; i < n; i++) x[i] = r() * s; return x; }
const Q = (globals as any).GPUQueue.prototype;
const orig = Q.writeBuffer;
let skip = false;
Q.writeBuffer = function (...a: any[]) { if (skip) return; return orig.apply(this, a); };
const rt = await createRuntime();
console.log(JSON.stringify(rt.adapterInfo));
const r = rand(1);
const lstm = (units: number, T: number, F: number, rs = false) => layers.lstm({ units, returnSequences: rs, inputShape: [T, F] });
const cfgs: Record<string, () => [any, number]> = {
  b: () => [sequential([lstm(256, 128, 64, true), layers.lstm({ units: 256 })]), 16],
  e: () => [sequential([lstm(1024, 512, 1024)]), 1],
  'e-x4': () => [sequential([lstm(1024, 512, 4)]), 1],
  f: () => [sequential([lstm(512, 256, 512)]), 64],
  'f-x4': () => [sequential([lstm(512, 256, 4)]), 64],
};
const med = (v: number[]) => { const s = [...v].sort((p, q) => p - q); return s[s.length >> 1]!; };
const N = Number(process.env.N ?? 15);
for (const name of (process.env.CFG ?? 'b,e,e-x4,f,f-x4').split(',')) {
  const [net, B] = cfgs[name]!();
  net.setWeights(net.getWeights().map((w: Float32Array) => fill(w.length, r, 0.1)));
  const xs = net.inputs.map((t: any) => ({ data: fill(B * t.shape[0] * t.shape[1], r), shape: [B, ...t.shape] }));
  const run = await rt.compile(net, { batchSizes: [B] } as any);
  let y: any = await run.predict(xs); y = await run.predict(xs);
  const whole: number[] = [], noup: number[] = [];
  for (let i = 0; i < N; i++) {
    let t0 = performance.now(); await run.predict(xs); whole.push(performance.now() - t0);
    skip = true; t0 = performance.now(); y = await run.predict(xs); noup.push(performance.now() - t0); skip = false;
  }
  let max = 0; const ref = process.env.NOREF ? null : runReference(net, xs); const ys = Array.isArray(y) ? y : [y];
  if (ref) ys.forEach((t: any, i: number) => { for (let k = 0; k < t.data.length; k++) max = Math.max(max, Math.abs(t.data[k] - ref[i]!.data[k]!)); });
  // The upload alone: the same bytes into a buffer of the same size, then wait for the queue.
  const dev = (rt as any).device as GPUDevice;
  const bytes = xs[0]!.data.byteLength;
  const buf = dev.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage: 0x80 | 0x08 });
  const up: number[] = [];
  for (let i = 0; i < N; i++) { const t0 = performance.now(); orig.call(dev.queue, buf, 0, xs[0]!.data.buffer, 0, bytes); await dev.queue.onSubmittedWorkDone(); up.push(performance.now() - t0); }
  buf.destroy();
  console.log(`${name}: whole ${med(whole).toFixed(3)} ms (min ${Math.min(...whole).toFixed(3)}), no upload ${med(noup).toFixed(3)} ms (min ${Math.min(...noup).toFixed(3)}), upload alone ${med(up).toFixed(3)} ms of ${(bytes / 1048576).toFixed(2)} MiB; ${ref ? `max err ${max.toExponential(2)}` : 'not checked (NOREF)'}`);
  run.dispose();
}
rt.dispose();
process.exit(0);
