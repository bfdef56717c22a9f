// A probe: what one dispatch costs the host, by how it is bound. 1000 small dispatches in one pass, each
// mode timed as (1000 dispatches - 1) / 999: one bind group of 4 storage buffers and a uniform with a
// dynamic offset that changes every dispatch (what the executor does per step now); the same offset
// every time; storage in group 0 set once and the uniform alone in group 1, set every dispatch; one
// setBindGroup for the whole pass; and two pipelines alternating.
// Run: bash .gpu-kit/run.sh node bench/gpu/probes/bind.mjs (the kit's Dawn runs OpenGL ES there);
// here, GL=1 EGL_PLATFORM=surfaceless node bench/gpu/probes/bind.mjs for the same backend on Mesa.
import { create, globals } from 'webgpu'; Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ||= '/tmp';
const gl = process.env.GL === '1';
const gpu = create(gl ? ['backend=opengles'] : []);
const adapter = await gpu.requestAdapter(gl ? { featureLevel: 'compatibility' } : {});
const d = await adapter.requestDevice();
console.log(JSON.stringify(adapter.info ?? {}));
const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
const bufs = [0, 1, 2, 3].map(() => d.createBuffer({ size: 1 << 16, usage: S }));
const N = 1000;
const U = d.createBuffer({ size: 256 * N, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
const u = new Uint32Array(64 * N); for (let i = 0; i < N; i++) u[i * 64] = i % 64; d.queue.writeBuffer(U, 0, u);
const body = `@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { Y[g.x] = A[g.x] + B[g.x] + C[g.x] + f32(p.k); }`;
const decl = (ug, ub) => `struct P { k: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> C: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(${ug}) @binding(${ub}) var<uniform> p: P;
`;
const sl = (b, t) => ({ binding: b, visibility: 4, buffer: { type: t } });
const storageEntries = [sl(0, 'read-only-storage'), sl(1, 'read-only-storage'), sl(2, 'read-only-storage'), sl(3, 'storage')];
const uni = (b) => ({ binding: b, visibility: 4, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 } });
// one group
const l1 = d.createBindGroupLayout({ entries: [...storageEntries, uni(4)] });
const p1 = d.createComputePipeline({ layout: d.createPipelineLayout({ bindGroupLayouts: [l1] }), compute: { module: d.createShaderModule({ code: decl(0, 4) + body }), entryPoint: 'main' } });
const g1 = d.createBindGroup({ layout: l1, entries: [...bufs.map((buffer, i) => ({ binding: i, resource: { buffer } })), { binding: 4, resource: { buffer: U, size: 16 } }] });
const pAlt = d.createComputePipeline({ layout: d.createPipelineLayout({ bindGroupLayouts: [l1] }), compute: { module: d.createShaderModule({ code: decl(0, 4) + body.replace('+ f32', '- f32') }), entryPoint: 'main' } });
// split
const l2a = d.createBindGroupLayout({ entries: storageEntries });
const l2b = d.createBindGroupLayout({ entries: [uni(0)] });
const p2 = d.createComputePipeline({ layout: d.createPipelineLayout({ bindGroupLayouts: [l2a, l2b] }), compute: { module: d.createShaderModule({ code: decl(1, 0) + body }), entryPoint: 'main' } });
const g2a = d.createBindGroup({ layout: l2a, entries: bufs.map((buffer, i) => ({ binding: i, resource: { buffer } })) });
const g2b = d.createBindGroup({ layout: l2b, entries: [{ binding: 0, resource: { buffer: U, size: 16 } }] });
const modes = {
  'one group, offset changes': (p, i) => { p.setBindGroup(0, g1, [i * 256]); },
  'one group, same offset': (p, i) => { p.setBindGroup(0, g1, [0]); },
  'split, uniform group each': (p, i) => { p.setBindGroup(1, g2b, [i * 256]); },
  'one group, set once': (p, i) => { if (i === 0) p.setBindGroup(0, g1, [0]); },
  'two pipelines alternating': (p, i) => { p.setPipeline(i & 1 ? p1 : pAlt); p.setBindGroup(0, g1, [i * 256]); },
};
const run = async (mode, n) => {
  const e = d.createCommandEncoder(); const p = e.beginComputePass();
  const split = mode.startsWith('split');
  p.setPipeline(split ? p2 : p1); if (split) p.setBindGroup(0, g2a);
  for (let i = 0; i < n; i++) { modes[mode](p, i); p.dispatchWorkgroups(4); }
  p.end(); d.queue.submit([e.finish()]); await d.queue.onSubmittedWorkDone();
};
for (const m of Object.keys(modes)) await run(m, 10);
for (let round = 0; round < 3; round++) for (const m of Object.keys(modes)) {
  let best = 1e9; for (let i = 0; i < 5; i++) { const t = performance.now(); await run(m, N); best = Math.min(best, performance.now() - t); }
  let b1 = 1e9; for (let i = 0; i < 5; i++) { const t = performance.now(); await run(m, 1); b1 = Math.min(b1, performance.now() - t); }
  console.log(`round ${round} ${m}: ${((best - b1) / (N - 1) * 1000).toFixed(2)} us per dispatch (1000 in ${best.toFixed(2)} ms, 1 in ${b1.toFixed(2)} ms)`);
}
process.exit(0);
