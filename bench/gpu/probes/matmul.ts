// A probe: the input-projection matmul alone, as predict() dispatches it on a GPU (matmul.wgsl through
// src/kernels/matmul.ts), at the shapes of configs e and f and their 4-wide twins. Each shape: one submit
// of N back-to-back dispatches and one of a single dispatch, both awaited; (N - 1) dispatches' worth of the
// difference is the kernel's own time, without predict()'s input check, upload or read back. One
// result row is checked against a float64 product. The H200 left the matmul's share of e and f open
// (docs/BENCHMARKS-H100-KERNELS.md, "H200, later calls"): this measures it.
// Built with the harness (npm run bench -- --build-only -> bench/dist/probes/matmul.js); bench/gpu/run.sh
// runs it there. Here: node bench/dist/probes/matmul.js
// Env: N (dispatches per timed submit, 20), SHAPES ('M,K,N;...', default e, e-x4, f, f-x4).
import { create, globals } from 'webgpu';
import { actSpec } from '../../../src/graph/activations.js';
import { matmulDispatch, matmulProgram, writeMatmulParams, type MatmulParams } from '../../../src/kernels/matmul.js';

Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ||= '/tmp';
// Held in a global: Dawn tears the instance down once its object is collected (a bundler inlines a local).
const gpu = create([]);
(globalThis as Record<string, unknown>).webgpuInstance = gpu;
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no adapter');
const device = await adapter.requestDevice({
  requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
});
console.log(JSON.stringify(adapter.info));
const N = Number(process.env.N ?? 20);
const shapes = (process.env.SHAPES ?? '512,1024,4096;512,4,4096;16384,512,2048;16384,4,2048')
  .split(';').map((s) => s.split(',').map(Number) as [number, number, number]);
const STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC
const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;

for (const [M, K, Ncols] of shapes) {
  const p: MatmulParams = {
    T: M, B: 1, K, N: Ncols, x: { base: 0, sT: K, sB: K }, y: { base: 0, sT: Ncols, sB: Ncols },
    hasBias: true, act: actSpec('linear'),
  };
  const target = { software: false, subgroupWidth: 0 };
  const program = matmulProgram(p.act, p, target);
  const x = new Float32Array(M * K).map((_, i) => Math.sin(i * 0.37));
  const w = new Float32Array(K * Ncols + Ncols).map((_, i) => Math.cos(i * 0.11) * 0.05);
  const buf = (data: Float32Array | number) => {
    const size = Math.ceil((typeof data === 'number' ? data : data.byteLength) / 16) * 16;
    const b = device.createBuffer({ size, usage: STORAGE });
    if (typeof data !== 'number') device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const X = buf(x), W = buf(w), Y = buf(M * Ncols * 4);
  const U = device.createBuffer({ size: 256, usage: 0x40 | 0x08 }); // UNIFORM | COPY_DST
  const u = new DataView(new ArrayBuffer(256));
  writeMatmulParams(u, p, target);
  device.queue.writeBuffer(U, 0, u.buffer);
  const layout = device.createBindGroupLayout({
    entries: program.bindings.map((kind, binding) => ({
      binding, visibility: 4,
      buffer: kind === 'uniform' ? { type: 'uniform' as const } : { type: kind === 'read' ? 'read-only-storage' as const : 'storage' as const },
    })),
  });
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module: device.createShaderModule({ code: program.code }), entryPoint: 'main', constants: program.constants },
  });
  const group = device.createBindGroup({ layout, entries: [X, W, Y, U].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const wg = matmulDispatch(p, target);
  const run = async (n: number) => {
    const e = device.createCommandEncoder();
    const pass = e.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    for (let i = 0; i < n; i++) pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
    pass.end();
    device.queue.submit([e.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await run(2);
  const many: number[] = [], one: number[] = [];
  for (let r = 0; r < 5; r++) {
    let t = performance.now(); await run(N); many.push(performance.now() - t);
    t = performance.now(); await run(1); one.push(performance.now() - t);
  }
  const ms = (med(many) - med(one)) / (N - 1);
  // Check row M - 1 (the last tile's edge) against float64.
  const read = device.createBuffer({ size: Ncols * 4, usage: 0x01 | 0x08 });
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(Y, (M - 1) * Ncols * 4, read, 0, Ncols * 4);
  device.queue.submit([e.finish()]);
  await read.mapAsync(1);
  const got = new Float32Array(read.getMappedRange().slice(0));
  let err = 0;
  for (let c = 0; c < Ncols; c++) {
    let s = w[K * Ncols + c]!;
    for (let k = 0; k < K; k++) s += x[(M - 1) * K + k]! * w[k * Ncols + c]!;
    err = Math.max(err, Math.abs(s - got[c]!));
  }
  const gmacs = (M * K * Ncols) / (ms * 1e6);
  console.log(`${program.name} M=${M} K=${K} N=${Ncols} workgroups ${wg.join('x')}: ${ms.toFixed(3)} ms a dispatch (${gmacs.toFixed(1)} GMAC/s; ${N} in ${med(many).toFixed(2)} ms, 1 in ${med(one).toFixed(2)} ms), max err ${err.toExponential(1)}`);
  for (const b of [X, W, Y, U, read]) b.destroy();
}
process.exit(0);
