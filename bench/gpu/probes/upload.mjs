// A probe: three ways to upload 32 MiB (config f's input) and 2 MiB (e's) to a storage buffer, each
// followed by onSubmittedWorkDone: queue.writeBuffer (what predict() does); a MAP_WRITE staging buffer
// (mapAsync, set, unmap, copyBufferToBuffer); a new mappedAtCreation buffer each time.
// Run: bash .gpu-kit/run.sh node bench/gpu/probes/upload.mjs   (here: node bench/gpu/probes/upload.mjs)
import { create, globals } from 'webgpu'; Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ||= '/tmp';
const gpu = create([]); const adapter = await gpu.requestAdapter(); const d = await adapter.requestDevice();
const med = (v) => { const s = [...v].sort((p, q) => p - q); return s[s.length >> 1]; };
for (const mib of [32, 2]) {
  const bytes = mib << 20; const data = new Float32Array(bytes / 4).map((_, i) => i);
  const dst = d.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const stage = d.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC });
  const ways = {
    writeBuffer: async () => { d.queue.writeBuffer(dst, 0, data); await d.queue.onSubmittedWorkDone(); },
    staging: async () => { await stage.mapAsync(GPUMapMode.WRITE); new Float32Array(stage.getMappedRange()).set(data); stage.unmap(); const e = d.createCommandEncoder(); e.copyBufferToBuffer(stage, 0, dst, 0, bytes); d.queue.submit([e.finish()]); await d.queue.onSubmittedWorkDone(); },
    mappedAtCreation: async () => { const s = d.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true }); new Float32Array(s.getMappedRange()).set(data); s.unmap(); const e = d.createCommandEncoder(); e.copyBufferToBuffer(s, 0, dst, 0, bytes); d.queue.submit([e.finish()]); await d.queue.onSubmittedWorkDone(); s.destroy(); },
  };
  for (let round = 0; round < 2; round++) for (const [k, f] of Object.entries(ways)) {
    await f(); const ts = []; for (let i = 0; i < 9; i++) { const t = performance.now(); await f(); ts.push(performance.now() - t); }
    console.log(`${mib} MiB ${k}: median ${med(ts).toFixed(3)} ms, min ${Math.min(...ts).toFixed(3)} ms`);
  }
}
process.exit(0);
