// A probe: the host's cost of *encoding* a dispatch, nothing submitted. 1000 dispatches into one compute
// pass, timed around the calls alone (median of 10), with a setBindGroup before each: a dynamic offset
// as a JS array (what the executor does), as a slice of a Uint32Array, or no setBindGroup at all.
// Next to bind.mjs (encode + run), this says how much of a dispatch's cost is the JS binding's.
// Run: bash .gpu-kit/run.sh node bench/gpu/probes/encode.mjs   (here: node bench/gpu/probes/encode.mjs)
import { create, globals } from 'webgpu'; Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ||= '/tmp';
const gpu = create([]);
globalThis.webgpuInstance = gpu; // held: Dawn tears the instance down once its object is collected
const adapter = await gpu.requestAdapter(); const d = await adapter.requestDevice();
console.log(JSON.stringify(adapter.info));
const S = GPUBufferUsage.STORAGE;
const bufs = [0, 1, 2, 3].map(() => d.createBuffer({ size: 1024, usage: S }));
const U = d.createBuffer({ size: 256 * 1000, usage: GPUBufferUsage.UNIFORM });
const sl = (b, t) => ({ binding: b, visibility: 4, buffer: { type: t } });
const l = d.createBindGroupLayout({ entries: [sl(0, 'read-only-storage'), sl(1, 'read-only-storage'), sl(2, 'read-only-storage'), sl(3, 'storage'), { binding: 4, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 } }] });
const code = `struct P { k: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>; @group(0) @binding(1) var<storage, read> B: array<f32>; @group(0) @binding(2) var<storage, read> C: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>; @group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { Y[g.x % 256u] = A[g.x % 256u] + f32(p.k); }`;
const pipe = d.createComputePipeline({ layout: d.createPipelineLayout({ bindGroupLayouts: [l] }), compute: { module: d.createShaderModule({ code }), entryPoint: 'main' } });
const g = d.createBindGroup({ layout: l, entries: [...bufs.map((buffer, i) => ({ binding: i, resource: { buffer } })), { binding: 4, resource: { buffer: U, size: 16 } }] });
const N = 1000; const offs = Uint32Array.from({ length: N }, (_, i) => i * 256);
const ways = {
  array: (p, i) => p.setBindGroup(0, g, [offs[i]]),
  typed: (p, i) => p.setBindGroup(0, g, offs, i, 1),
  'no setBindGroup': () => {},
};
for (let r = 0; r < 3; r++) for (const [k, f] of Object.entries(ways)) {
  const ts = [];
  for (let rep = 0; rep < 10; rep++) {
    const e = d.createCommandEncoder(); const p = e.beginComputePass(); p.setPipeline(pipe); p.setBindGroup(0, g, [0]);
    const t = performance.now();
    for (let i = 0; i < N; i++) { f(p, i); p.dispatchWorkgroups(1); }
    ts.push(performance.now() - t);
    p.end(); e.finish();
  }
  ts.sort((a, b) => a - b);
  console.log(`round ${r} ${k}: ${(ts[5] / N * 1000).toFixed(2)} us per (setBindGroup + dispatch) encoded`);
}
process.exit(0);
