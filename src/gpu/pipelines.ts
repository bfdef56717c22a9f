import type { BindingKind, Program } from '../kernels/program.js';

/** A compiled kernel: its pipeline and the explicit layout its bind groups use. */
export interface CompiledProgram {
  program: Program;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

// Per-device caches die with their device (webgpu-utils, TypeGPU do the same).
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<CompiledProgram>>>();
const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

const BUFFER_TYPE: Record<BindingKind, GPUBufferBindingType> = {
  read: 'read-only-storage',
  read_write: 'storage',
  uniform: 'uniform',
};

/** The pipeline for a program on a device, created once (asynchronously) and then shared. */
export function getPipeline(device: GPUDevice, program: Program): Promise<CompiledProgram> {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  let entry = cache.get(program.cacheKey);
  if (!entry) {
    entry = build(device, program);
    cache.set(program.cacheKey, entry);
    entry.catch(() => cache!.delete(program.cacheKey));
  }
  return entry;
}

async function build(device: GPUDevice, program: Program): Promise<CompiledProgram> {
  let modules = moduleCache.get(device);
  if (!modules) moduleCache.set(device, (modules = new Map()));
  let module = modules.get(program.code);
  if (!module) {
    module = device.createShaderModule({ code: program.code, label: program.name });
    modules.set(program.code, module);
  }
  const layout = device.createBindGroupLayout({
    label: program.name,
    entries: program.bindings.map((kind, binding) => ({
      binding,
      visibility: 4, // GPUShaderStage.COMPUTE (numeric: Node has no GPUShaderStage global)
      buffer: kind === 'uniform'
        ? { type: 'uniform', hasDynamicOffset: true, minBindingSize: program.uniformSize }
        : { type: BUFFER_TYPE[kind] },
    })),
  });
  const pipeline = await device.createComputePipelineAsync({
    label: program.name,
    layout: device.createPipelineLayout({ label: program.name, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main', constants: program.constants },
  });
  return { program, pipeline, layout };
}

/** GPUBufferUsage values (Node's Dawn has no GPUBufferUsage global unless the caller installs it). */
export const Usage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** A storage buffer of at least `floats` f32 elements (never zero-sized). */
export function createStorage(device: GPUDevice, floats: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil((floats * 4) / 16) * 16),
    usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST,
  });
}
