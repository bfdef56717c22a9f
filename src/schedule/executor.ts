/**
 * Runs plans: allocates a plan's buffers and bind groups once, then each predict() uploads the inputs,
 * encodes every dispatch of the plan into one command encoder and compute pass, submits once, and
 * reads back only the model's outputs.
 */
import { ConfigError, DisposedError, RnnError, UnsupportedError } from '../errors.js';
import { resolveGpuInputs } from '../graph/inputs.js';
import { Bidirectional, Dense } from '../graph/layers.js';
import type { Layer } from '../graph/layer.js';
import type { Model } from '../graph/model.js';
import { RecurrentLayer } from '../graph/recurrent.js';
import { type Input, type Tensor, isGpuTensor } from '../graph/tensor.js';
import type { AcquiredDevice } from '../gpu/device.js';
import { HostPacer, hostPolls } from '../gpu/pacer.js';
import { type CompiledProgram, Usage, createStorage, getPipeline } from '../gpu/pipelines.js';
import { subgroupWidthFor } from '../kernels/broadcast.js';
import { recurrentWeightStride } from '../kernels/recurrent.js';
import type { CompileOptions, CompiledModel, PredictOptions } from '../runtime.js';
import { checkLengths } from '../runtime.js';
import { type StreamOptions, type StreamSession, checkStreamOptions } from '../session.js';
import { KERNEL_CHOICES, type KernelChoice, wavefrontPairsFor } from './choice.js';
import { type BufferRef, type Home, type Plan, type PlanOptions, buildPlan, planKey } from './plan.js';
import { GpuStream, type StreamHost, canChunk, runChunked } from './stream.js';
import { type PackedWeights, packDense, packRecurrent, packWavefront, toHalf } from './weights.js';

/** Plans kept per compiled model (one per batch size / length set); the oldest is evicted beyond this. */
const MAX_PLANS = 8;

/** Sequences longer than this run in chunks of this many steps, one submit each (see stream.ts). */
export const DEFAULT_MAX_STEPS_PER_SUBMIT = 4096;

export interface LivePlan {
  plan: Plan;
  buffers: GPUBuffer[];
  /** Buffers owned by someone else (a stream session's states): not destroyed with the plan. */
  shared: ReadonlySet<GPUBuffer>;
  uniform: GPUBuffer;
  staging: GPUBuffer[];
  /** Per output: the copied region [start, end) of its home buffer, in floats. */
  regions: { start: number; end: number }[];
  encoded: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; offset: number; workgroups: [number, number, number] }[];
  busy: boolean;
}

export class GpuCompiledModel implements CompiledModel {
  readonly backend = 'webgpu' as const;
  private readonly weights = new Map<Layer, { w: GPUBuffer; u: GPUBuffer | null }>();
  /** Recurrent weights of packed layers (plan.ts packPartner), one after the other, by layer list. */
  private readonly packed = new Map<string, GPUBuffer>();
  /** Weights of the stacked pairs the wavefront kernel runs (packWavefront), by their two layers. */
  private readonly wavefront = new Map<RecurrentLayer, Map<RecurrentLayer, GPUBuffer>>();
  private readonly plans = new Map<string, LivePlan>();
  private readonly pipelines = new Map<string, CompiledProgram>();
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sessions = new Set<GpuStream>();
  /** predict()'s internal sessions for long inputs, by batch size. */
  private readonly longSessions = new Map<number, GpuStream>();
  private maxSteps = DEFAULT_MAX_STEPS_PER_SUBMIT;
  /**
   * Paces predict()'s wait for a pass submitted at once (pacer.ts); active on CPU-emulated adapters
   * under Node. Inputs longer than maxSteps run through a session (stream.ts), unpaced.
   */
  private pacer = new HostPacer(false);

  /** Kernel choice and device limits every plan of this model is built with. */
  planOptions: PlanOptions = {};

  private constructor(
    private readonly acquired: AcquiredDevice,
    readonly model: Model,
    private readonly onDispose: () => void,
  ) {}

  /** Uploads the weights (a snapshot: later setWeights() calls need a new compile) and plans ahead. */
  static async create(acquired: AcquiredDevice, model: Model, options: CompileOptions, onDispose: () => void): Promise<GpuCompiledModel> {
    const compiled = new GpuCompiledModel(acquired, model, onDispose);
    compiled.maxSteps = checkMaxSteps(options.maxStepsPerSubmit);
    compiled.pacer = new HostPacer(acquired.software && hostPolls());
    compiled.planOptions = {
      kernel: checkKernelChoice(options.kernel),
      precision: checkPrecision(options.precision),
      softwareAdapter: checkAdapterClass(options.adapterClass, acquired.software),
      maxThreads: acquired.device.limits.maxComputeInvocationsPerWorkgroup,
      subgroupWidth: subgroupWidthFor(acquired.features.subgroups, acquired.subgroupMinSize),
      subgroupMinSize: acquired.features.subgroups ? acquired.subgroupMinSize : 0,
      fuseInput: checkFuseInput(options.fuseInput),
      workgroupBytes: acquired.device.limits.maxComputeWorkgroupStorageSize,
      storageBuffers: acquired.device.limits.maxStorageBuffersPerShaderStage,
    };
    const device = acquired.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    try {
      for (const node of model.nodes) {
        const layer = node.layer;
        if (compiled.weights.has(layer)) continue;
        let packed: PackedWeights | null = null;
        if (layer instanceof RecurrentLayer || layer instanceof Bidirectional) packed = packRecurrent(layer);
        else if (layer instanceof Dense) packed = packDense(layer);
        if (!packed) continue;
        const limit = device.limits.maxStorageBufferBindingSize;
        for (const part of [packed.w, packed.u]) {
          if (part && part.byteLength > limit) {
            throw new UnsupportedError(`layer '${layer.name}': its weights need ${part.byteLength} bytes in one buffer, over this device's maxStorageBufferBindingSize (${limit})`);
          }
        }
        compiled.weights.set(layer, {
          w: compiled.upload(packed.w, `${layer.name} weights`),
          u: packed.u ? compiled.uploadRecurrent(packed.u, `${layer.name} recurrent weights`) : null,
        });
      }
      compiled.uploadWavefrontPairs();
      const steps = model.inputs.map((t) => (t.shape.length === 2 ? t.shape[0] : 1));
      const fixed = steps.every((s) => typeof s === 'number');
      for (const b of options.batchSizes ?? (fixed ? [1] : [])) {
        if (fixed) await compiled.livePlan(buildPlan(model, b, steps as number[], false, compiled.planOptions));
      }
    } catch (e) {
      compiled.dispose();
      throw e;
    } finally {
      const oom = await device.popErrorScope();
      const invalid = await device.popErrorScope();
      const error = oom ?? invalid;
      if (error) {
        compiled.dispose();
        throw new RnnError('GPU', `compile of model '${model.name}' failed on the GPU: ${error.message}`);
      }
    }
    return compiled;
  }

  /**
   * The recurrent weights of layers that run packed, as one buffer with a direction's stride between
   * them (what the kernels read for a bidirectional layer), copied on the GPU from the layers' own
   * uploads, so they are the same snapshot.
   */
  private packedWeights(layers: RecurrentLayer[]): GPUBuffer {
    const order = [...this.weights.keys()];
    const key = layers.map((l) => order.indexOf(l)).join(',');
    let buffer = this.packed.get(key);
    if (!buffer) {
      const device = this.acquired.device;
      const bytes = (this.planOptions.precision === 'f16' ? 8 : 16) * recurrentWeightStride(layers[0]!.config);
      buffer = createStorage(device, (bytes * layers.length) / 4, `${layers.map((l) => l.name).join('+')} recurrent weights`);
      const encoder = device.createCommandEncoder();
      layers.forEach((l, d) => encoder.copyBufferToBuffer(this.weights.get(l)!.u!, 0, buffer!, d * bytes, bytes));
      device.queue.submit([encoder.finish()]);
      this.packed.set(key, buffer);
    }
    return buffer;
  }

  /** Packs and uploads the weights of every stacked pair the wavefront kernels may run (wavefrontPairsFor). */
  private uploadWavefrontPairs(): void {
    // wavefrontFits keeps a pair to 512 units in all: a few MiB, within any binding limit.
    for (const [a, b] of wavefrontPairsFor(this.model, this.planOptions)) {
      const first = a.layer as RecurrentLayer, second = b.layer as RecurrentLayer;
      if (this.wavefront.get(first)?.has(second)) continue;
      const u = packWavefront(first, second);
      const buffer = this.uploadRecurrent(u, `${first.name}+${second.name} wavefront weights`);
      if (!this.wavefront.has(first)) this.wavefront.set(first, new Map());
      this.wavefront.get(first)!.set(second, buffer);
    }
  }

  /** Recurrent weights, in the plan's storage precision (f16: packed halves). */
  private uploadRecurrent(u: Float32Array, label: string): GPUBuffer {
    return this.upload(this.planOptions.precision === 'f16' ? toHalf(u) : u, label);
  }

  private upload(data: Float32Array | Uint16Array, label: string): GPUBuffer {
    const buffer = createStorage(this.acquired.device, data.byteLength / 4, label);
    this.acquired.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  async predict(inputs: Input | Input[], options: PredictOptions = {}): Promise<Tensor | Tensor[]> {
    this.checkAlive();
    const resolved = resolveGpuInputs(this.model, inputs);
    const lengths = checkLengths(options.lengths, resolved.batch, resolved.timeSteps);
    const key = planKey(resolved.batch, resolved.timeSteps, lengths !== undefined);
    // Calls are serialised: a plan's buffers are reused, so two calls must not interleave.
    const run = this.queue.then(async () => {
      this.checkAlive();
      const long = this.longSession(resolved.batch, resolved.timeSteps);
      if (long) {
        const host = resolved.tensors.filter((t): t is Tensor => !isGpuTensor(t));
        if (host.length < resolved.tensors.length) {
          throw new UnsupportedError(`predict on model '${this.model.name}': GPU tensor inputs longer than maxStepsPerSubmit (${this.maxSteps}) steps are not supported (such inputs run in chunks cut on the host); pass { data, shape }, or compile with a larger maxStepsPerSubmit`);
        }
        const seqOut = this.model.outputs.map((o) => o.shape.length === 2);
        return runChunked(long, this.acquired.device, host, Math.max(...resolved.timeSteps), lengths, this.maxSteps, seqOut);
      }
      let live = this.plans.get(key);
      if (!live) live = await this.livePlan(buildPlan(this.model, resolved.batch, resolved.timeSteps, lengths !== undefined, this.planOptions));
      return this.execute(live, resolved.tensors, lengths);
    });
    this.queue = run.catch(() => undefined);
    const out = await run;
    return out.length === 1 ? out[0]! : out;
  }

  private checkAlive(): void {
    // A lost device fails every call, unless this runtime destroyed it itself (then: disposed).
    if (this.acquired.lost && (!this.acquired.owned || this.acquired.lost.reason !== 'destroyed')) throw this.acquired.lost;
    if (this.disposed || this.acquired.lost) throw new DisposedError(`model '${this.model.name}' was disposed; compile it again`);
  }

  /**
   * A stateful session: recurrent states stay in GPU buffers between calls (see StreamSession).
   * @example
   * const s = run.stream({ batch: 1 });
   * for (const frame of frames) y = await s.step({ data: frame, shape: [1, 1, 40] });
   */
  stream(options: StreamOptions): StreamSession {
    this.checkAlive();
    const session = new GpuStream(this.streamHost(), checkStreamOptions(this.model, options));
    this.sessions.add(session);
    return session;
  }

  /** An internal session when the inputs are longer than maxStepsPerSubmit and the model can run in chunks. */
  private longSession(batch: number, timeSteps: number[]): GpuStream | null {
    const seqSteps = timeSteps.filter((_, i) => this.model.inputs[i]!.shape.length === 2);
    if (seqSteps.length === 0 || Math.max(...seqSteps) <= this.maxSteps) return null;
    if (seqSteps.some((t) => t !== seqSteps[0]) || !canChunk(this.model)) return null;
    let s = this.longSessions.get(batch);
    if (!s) {
      for (const [b, old] of this.longSessions) {
        this.longSessions.delete(b);
        old.dispose();
      }
      s = new GpuStream(this.streamHost(), batch);
      this.longSessions.set(batch, s);
    }
    return s;
  }

  private streamHost(): StreamHost {
    return {
      model: this.model,
      planOptions: this.planOptions,
      device: this.acquired.device,
      checkAlive: () => this.checkAlive(),
      instantiate: (plan, shared) => this.livePlan(plan, shared),
      execute: (live, inputs, lengths, readback) => this.execute(live, inputs, lengths, readback),
      release: destroyPlan,
      forget: (session) => this.sessions.delete(session),
    };
  }

  /**
   * Creates a plan's buffers, uniforms, bind groups and staging buffers. With `shared` (a stream
   * session's state buffers) the plan belongs to the caller and is not cached here.
   */
  private async livePlan(plan: Plan, shared?: ReadonlyMap<number, GPUBuffer>): Promise<LivePlan> {
    const device = this.acquired.device;
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    for (const b of plan.buffers) {
      if (b.floats * 4 > maxBinding) {
        throw new UnsupportedError(`model '${this.model.name}': buffer '${b.label}' needs ${b.floats * 4} bytes, over this device's maxStorageBufferBindingSize (${maxBinding}); use a smaller batch or sequence`);
      }
    }
    const buffers = plan.buffers.map((b, i) => shared?.get(i) ?? createStorage(device, b.floats, b.label));
    const uniform = device.createBuffer({ label: `${this.model.name} uniforms`, size: plan.uniforms.byteLength, usage: Usage.UNIFORM | Usage.COPY_DST });
    device.queue.writeBuffer(uniform, 0, plan.uniforms);
    const resolve = (ref: BufferRef): GPUBuffer => {
      if ('plan' in ref) return buffers[ref.plan]!;
      if ('packed' in ref) return this.packedWeights(ref.packed);
      if ('wavefront' in ref) return this.wavefront.get(ref.wavefront[0])!.get(ref.wavefront[1])!;
      const w = this.weights.get(ref.weights)!;
      return ref.part === 'w' ? w.w : w.u!;
    };
    const bindGroups = new Map<string, GPUBindGroup>();
    const ids = new Map<GPUBuffer, number>();
    const idOf = (b: GPUBuffer) => {
      if (!ids.has(b)) ids.set(b, ids.size);
      return ids.get(b)!;
    };
    const encoded = [];
    for (const d of plan.dispatches) {
      let compiled = this.pipelines.get(d.program.cacheKey);
      if (!compiled) {
        compiled = await getPipeline(device, d.program);
        this.pipelines.set(d.program.cacheKey, compiled);
      }
      const refs = d.buffers.map(resolve);
      const uniformAt = d.program.bindings.indexOf('uniform');
      const key = `${d.program.cacheKey}|${refs.map(idOf).join(',')}`;
      let bindGroup = bindGroups.get(key);
      if (!bindGroup) {
        bindGroup = device.createBindGroup({
          label: d.program.name,
          layout: compiled.layout,
          // The buffers in binding order, around the uniforms' binding (last, or where the program puts it).
          entries: [
            ...refs.map((buffer, i) => ({ binding: i < uniformAt ? i : i + 1, resource: { buffer } })),
            { binding: uniformAt, resource: { buffer: uniform, size: d.program.uniformSize } },
          ],
        });
        bindGroups.set(key, bindGroup);
      }
      encoded.push({ pipeline: compiled.pipeline, bindGroup, offset: d.uniformOffset, workgroups: d.workgroups });
    }
    const regions = plan.outputs.map(({ home, shape }) => outputRegion(home, shape));
    const staging = regions.map((r, i) => device.createBuffer({
      label: `${this.model.name} output ${i} readback`, size: Math.max(16, Math.ceil(((r.end - r.start) * 4) / 16) * 16), usage: Usage.MAP_READ | Usage.COPY_DST,
    }));
    const live: LivePlan = { plan, buffers, shared: new Set(shared?.values()), uniform, staging, regions, encoded, busy: false };
    if (shared) return live;
    if (this.plans.size >= MAX_PLANS) {
      const [oldKey, old] = this.plans.entries().next().value as [string, LivePlan];
      this.plans.delete(oldKey);
      destroyPlan(old);
    }
    this.plans.set(plan.key, live);
    return live;
  }

  private async execute(live: LivePlan, inputs: Input[], lengths: number[] | undefined, readback = true): Promise<Tensor[]> {
    const device = this.acquired.device;
    const { plan } = live;
    for (const m of plan.masks) {
      if (!lengths || !m.lengths) continue; // Masking layers' kernels fill it
      const mask = new Float32Array(m.T * plan.batch);
      for (let t = 0; t < m.T; t++) for (let b = 0; b < plan.batch; b++) mask[t * plan.batch + b] = t < lengths![b]! ? 1 : 0;
      device.queue.writeBuffer(live.buffers[m.buf]!, m.base * 4, mask);
    }
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder({ label: `${this.model.name} forward` });
    // Host data is written through the queue; a GPU tensor is copied at the start of the pass's encoder.
    inputs.forEach((t, i) => {
      const dst = live.buffers[plan.inputs[i]!.buf]!;
      if (isGpuTensor(t)) encoder.copyBufferToBuffer(t.buffer, 0, dst, 0, 4 * t.shape.reduce((a, b) => a * b, 1));
      else device.queue.writeBuffer(dst, 0, t.data.buffer, t.data.byteOffset, t.data.byteLength);
    });
    for (const c of plan.clears) encoder.clearBuffer(live.buffers[c]!);
    const pass = encoder.beginComputePass({ label: `${this.model.name} forward` });
    let current: GPUComputePipeline | null = null;
    let bound: { bindGroup: GPUBindGroup; offset: number } | null = null;
    for (const e of live.encoded) {
      if (e.pipeline !== current) {
        pass.setPipeline(e.pipeline);
        current = e.pipeline;
        bound = null;
      }
      // Consecutive dispatches with the same bind group and uniform block (a layer's counted steps)
      // set it once: each setBindGroup costs the host a few microseconds (bench/gpu/probes/encode.mjs).
      if (bound === null || bound.bindGroup !== e.bindGroup || bound.offset !== e.offset) {
        pass.setBindGroup(0, e.bindGroup, [e.offset]);
        bound = e;
      }
      pass.dispatchWorkgroups(e.workgroups[0], e.workgroups[1], e.workgroups[2]);
    }
    pass.end();
    if (readback) plan.outputs.forEach(({ home }, i) => {
      const r = live.regions[i]!;
      encoder.copyBufferToBuffer(live.buffers[home.buf]!, r.start * 4, live.staging[i]!, 0, (r.end - r.start) * 4);
    });
    const submitted = performance.now();
    device.queue.submit([encoder.finish()]);
    if (readback) await this.pacer.pause(live);
    const woke = performance.now();
    const invalid = (error: GPUError) => new RnnError('GPU', `predict on model '${this.model.name}' failed GPU validation: ${error.message}`);
    if (!readback) {
      const error = await this.pacer.settle(() => device.popErrorScope());
      if (error) throw invalid(error);
      return [];
    }
    // dispose() may have come during the pause; its staging buffers are gone then. The pass's error
    // scope is closed first: the device may be the caller's, and its scopes a stack.
    if (this.disposed || this.acquired.lost) {
      await this.pacer.settle(() => device.popErrorScope()).catch(() => null);
      this.checkAlive();
    }
    // The error scope and the readback are awaited together: Dawn's Node binding settles each pending
    // promise on a turn of its polling, so awaiting one after the other costs a turn more. A pass of a
    // tiny model (LSTM of 8 units, one step) on lavapipe: 560-590 -> 345-365 µs (medians, alternated).
    const mapped = Promise.allSettled(live.staging.map((s) => s.mapAsync(1 /* GPUMapMode.READ */)))
      .then((rs) => rs.find((r): r is PromiseRejectedResult => r.status === 'rejected') ?? null);
    const [error, mapFailed] = await this.pacer.settle(() => Promise.all([device.popErrorScope(), mapped]));
    if (error || mapFailed) {
      // Every staging buffer unmapped again (a no-op for those not mapped), so the next pass can map them.
      for (const s of live.staging) s.unmap();
      if (error) throw invalid(error);
      if (this.acquired.lost) throw this.acquired.lost;
      throw mapFailed!.reason;
    }
    const done = performance.now();
    this.pacer.record(live, done - submitted, done - woke);
    try {
      return plan.outputs.map(({ home, shape }, i) => gather(new Float32Array(live.staging[i]!.getMappedRange()), home, shape, live.regions[i]!.start));
    } finally {
      for (const s of live.staging) s.unmap();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of [...this.sessions, ...this.longSessions.values()]) s.dispose();
    this.longSessions.clear();
    for (const live of this.plans.values()) destroyPlan(live);
    this.plans.clear();
    for (const w of this.weights.values()) {
      w.w.destroy();
      w.u?.destroy();
    }
    this.weights.clear();
    for (const b of this.packed.values()) b.destroy();
    this.packed.clear();
    for (const m of this.wavefront.values()) for (const b of m.values()) b.destroy();
    this.wavefront.clear();
    this.onDispose();
  }
}

function destroyPlan(live: LivePlan): void {
  for (const b of live.buffers) if (!live.shared.has(b)) b.destroy();
  for (const s of live.staging) s.destroy();
  live.uniform.destroy();
}

function checkMaxSteps(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_STEPS_PER_SUBMIT;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`compile: 'maxStepsPerSubmit' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The span of floats a strided output view covers in its buffer. */
function outputRegion(home: Home, shape: number[]): { start: number; end: number } {
  const B = shape[0]!;
  const T = shape.length === 3 ? shape[1]! : 1;
  const last = home.base + (T - 1) * home.sT + (B - 1) * home.sB + home.F;
  return { start: home.base, end: last };
}

/** Copies a strided view out of a readback into a batch-first tensor. */
function gather(src: Float32Array, home: Home, shape: number[], start: number): Tensor {
  const B = shape[0]!;
  const T = shape.length === 3 ? shape[1]! : 1;
  const F = home.F;
  // A view already batch-first and dense (one row, one step, or a [B][F] output) is one copy.
  if ((T === 1 || home.sT === F) && (B === 1 || home.sB === T * F)) {
    const from = home.base - start;
    return { data: src.slice(from, from + B * T * F), shape };
  }
  const out = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const from = home.base - start + t * home.sT + b * home.sB;
      out.set(src.subarray(from, from + F), (b * T + t) * F);
    }
  }
  return { data: out, shape };
}

/** Validates compile()'s `kernel` option. */
function checkKernelChoice(value: unknown): KernelChoice {
  if (value === undefined) return 'auto';
  if ((KERNEL_CHOICES as readonly unknown[]).includes(value)) return value as KernelChoice;
  const names = KERNEL_CHOICES.map((c) => `'${c}'`);
  throw new ConfigError(`compile: 'kernel' must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got ${JSON.stringify(value)}`);
}

/** Validates compile()'s `fuseInput` option. */
function checkFuseInput(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  throw new ConfigError(`compile: 'fuseInput' must be true or false, got ${JSON.stringify(value)}`);
}

/** Validates compile()'s `precision` option. */
function checkPrecision(value: unknown): 'f32' | 'f16' {
  if (value === undefined || value === 'f32') return 'f32';
  if (value === 'f16') return 'f16';
  throw new ConfigError(`compile: 'precision' must be 'f32' or 'f16', got ${JSON.stringify(value)}`);
}

/** Validates compile()'s `adapterClass` option; undefined keeps what the adapter is. */
function checkAdapterClass(value: unknown, software: boolean): boolean {
  if (value === undefined) return software;
  if (value === 'software' || value === 'hardware') return value === 'software';
  throw new ConfigError(`compile: 'adapterClass' must be 'software' or 'hardware', got ${JSON.stringify(value)}`);
}
