// Splits predict() at sequence length 1 into host+driver floor and GPU work, needing no library changes:
// 'real' vs 'zeroWG' (every dispatchWorkgroups patched to 0 workgroups: same API calls, no GPU work) vs
// 'noDispatch' (dispatch calls dropped) vs an empty writeBuffer+copy+submit+mapAsync round trip, alternated.
// Run (project root, dist/ built): bash .gpu-kit/run.sh node probe/h200-floor.mjs [configs] ; here: EGL_PLATFORM=surfaceless node probe/h200-floor.mjs d gl
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ||= '/tmp';
const cfgs = (process.argv[2] ?? 'd,a,b').split(','); const gl = process.argv[3] === 'gl';
const gpu = create(gl ? ['backend=opengles'] : []);
globalThis.navigator = { gpu }; globalThis.__gpuHold = gpu;
const lib = await import(new URL(process.env.LIB ?? '../dist/index.js', import.meta.url).href);
const { buildModel } = await import('./model.mjs');
const rt = await lib.createRuntime(gl ? { featureLevel: 'compatibility' } : {});
console.log(rt.adapterInfo);
const d = rt.device;
const orig = GPUComputePassEncoder.prototype.dispatchWorkgroups;
const modes = { real: orig, zeroWG: function () { return orig.call(this, 0, 0, 0); }, noDispatch: function () {} };
const med = (v) => { const s = [...v].sort((p, q) => p - q); return s[s.length >> 1]; };
const src = d.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
const st = d.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
async function empty() {
  d.queue.writeBuffer(src, 0, new Float32Array(4));
  const e = d.createCommandEncoder(); e.copyBufferToBuffer(src, 0, st, 0, 256); d.queue.submit([e.finish()]);
  await st.mapAsync(GPUMapMode.READ); new Float32Array(st.getMappedRange()); st.unmap();
}
const N = +(process.env.N ?? 30), ROUNDS = +(process.env.ROUNDS ?? 20);
for (const cfg of cfgs) for (const T of [1, 8]) {
  const { net, x, batch } = buildModel(lib, cfg, T);
  const run = await rt.compile(net, { batchSizes: [batch] });
  for (let i = 0; i < 20; i++) await run.predict(x);
  const res = { empty: [], real: [], zeroWG: [], noDispatch: [] };
  for (let r = 0; r < ROUNDS; r++) for (const k of Object.keys(res).sort(() => Math.random() - 0.5)) {
    if (k !== 'empty') GPUComputePassEncoder.prototype.dispatchWorkgroups = modes[k];
    for (let i = 0; i < N; i++) { const t = performance.now(); if (k === 'empty') await empty(); else await run.predict(x); res[k].push((performance.now() - t) * 1000); }
    GPUComputePassEncoder.prototype.dispatchWorkgroups = orig;
  }
  console.log(`${cfg} T=${T}: ` + Object.entries(res).map(([k, v]) => `${k} ${med(v).toFixed(0)}`).join(', ') + ' us (medians)');
  run.dispose();
}
process.exit(0);
