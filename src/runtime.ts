import { type DeviceLostError, DisposedError, InputError, UnsupportedError } from './errors.js';
import { resolveInputs } from './graph/inputs.js';
import { Model } from './graph/model.js';
import type { Input, Tensor } from './graph/tensor.js';
import { runReference, toFloat32 } from './cpu/reference.js';
import { acquireDevice, type AcquiredDevice } from './gpu/device.js';
import { GpuCompiledModel } from './schedule/executor.js';
import { CpuStream } from './cpu/stream.js';
import { type StreamOptions, type StreamSession, checkStreamOptions } from './session.js';
import type { KernelChoice } from './schedule/choice.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** 'webgpu' (default; falls back to 'cpu' with a warning when no adapter exists) or 'cpu' (the float64 reference). */
  backend?: 'webgpu' | 'cpu';
  /** Use this device instead of requesting one. The runtime never destroys a device it did not create. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Ask for a `compatibility` feature-level adapter (e.g. Dawn's OpenGL ES backend). */
  featureLevel?: 'core' | 'compatibility';
}

/** Options of `predict`. */
export interface PredictOptions {
  /** Per-row valid lengths for right-padded sequence inputs (every row's length in [1, T]). */
  lengths?: readonly number[];
}

/** A model compiled for one backend: weights uploaded, pipelines built. */
export interface CompiledModel {
  readonly model: Model;
  readonly backend: 'webgpu' | 'cpu';
  /**
   * Runs the model. Tensors are batch first ({ data, shape }); on the WebGPU backend an input may also
   * be a GPU buffer already holding that data ({ buffer, shape }: GpuTensor). Returns one tensor, or a
   * list when the model has several outputs.
   */
  predict(inputs: Input | Input[], options?: PredictOptions): Promise<Tensor | Tensor[]>;
  /**
   * A stateful session: recurrent states stay on the device between `step()` calls, so a sequence fed
   * in chunks gives the outputs of running it whole. Models with Bidirectional or goBackwards layers
   * cannot stream (UnsupportedError).
   * @example
   * const s = run.stream({ batch: 1 });
   * const y = await s.step({ data: frame, shape: [1, 1, features] });
   */
  stream(options: StreamOptions): StreamSession;
  /** Frees every GPU resource this compiled model created. */
  dispose(): void;
}

/** Options of `compile`. */
export interface CompileOptions {
  /** Batch sizes to plan ahead (each plan's buffers are allocated once and reused). */
  batchSizes?: number[];
  /**
   * WebGPU: sequences longer than this many steps run in chunks of at most this many steps, one
   * submit each, on the streaming path (GPU memory then does not grow with the length). Default 4096.
   */
  maxStepsPerSubmit?: number;
  /**
   * WebGPU recurrent kernel: 'auto' (default) picks per layer (on a GPU, stacked pairs with a layer of
   * 128 units or more at batches up to 16 as 'wavefront-step' does), 'step' runs one fused dispatch per time
   * step, 'tiled' the same tiled for batches (h staged in workgroup memory, four rows a thread; LSTM
   * without a projection and GRU with reset_after, other layers as 'step'), 'sequence' runs every step
   * of a layer in one dispatch where the layer fits one workgroup, 'wavefront' runs a stack of two
   * forward SimpleRNN or LSTM layers (same cell options) as one dispatch, layer 1 at step t next to
   * layer 2 at step t - 1, and other layers as 'sequence'; 'wavefront-step' runs such a stack as one
   * dispatch per step for both layers (T + 1 in all instead of 2T), and other layers a dispatch per step
   * (tiled where 'auto' would tile them).
   */
  kernel?: KernelChoice;
  /**
   * WebGPU storage precision of the recurrent weights: 'f16' halves the weight traffic of every step
   * (arithmetic and states stay f32; no shader-f16 feature needed). Where a stacked pair runs as one
   * (the wavefront kernels, and 'auto' on a GPU for wide pairs), layer 2's input kernel and bias share
   * its recurrent weights' buffer and are stored as f16 too. Default 'f32'. The CPU backend ignores it.
   */
  precision?: 'f32' | 'f16';
  /**
   * WebGPU: tune the kernels for a CPU-emulated adapter ('software': one thread per unit) or a GPU
   * ('hardware': split reductions, more threads); default: from the adapter. For tests and benchmarks.
   */
  adapterClass?: 'software' | 'hardware';
  /**
   * WebGPU: where a layer's whole sequence runs in one workgroup with its weights in private memory
   * (CPU-emulated adapters), run its input projection in the same kernel, each step's x W next to its
   * h U, instead of a matrix multiply over every step before it. Default true; false for tests and
   * benchmarks.
   */
  fuseInput?: boolean;
}

/** A backend plus, for WebGPU, its device. */
export interface Runtime {
  readonly backend: 'webgpu' | 'cpu';
  /** A human-readable description of the adapter (vendor, architecture, backend), or 'cpu (float64 reference)'. */
  readonly adapterInfo: string;
  /** The WebGPU device, when backend is 'webgpu'. */
  readonly device: GPUDevice | undefined;
  /**
   * Resolves with a DeviceLostError when the GPU device is lost (a driver reset, or the caller
   * destroying a device it passed in); never for the cpu backend. Calls made after that reject with
   * the same error: create a new runtime and compile again.
   */
  readonly lost: Promise<DeviceLostError>;
  /** Uploads weights, builds pipelines and the execution plan. */
  compile(model: Model, options?: CompileOptions): Promise<CompiledModel>;
  /** Disposes every compiled model and destroys the device if the runtime created it. */
  dispose(): void;
}

let warnedFallback = false;

/**
 * Creates a runtime on the default WebGPU adapter (browser `navigator.gpu`, or Dawn through the
 * `webgpu` package in Node), or the float64 CPU reference.
 * @example
 * const rt = await createRuntime();
 * const run = await rt.compile(net);
 * const y = await run.predict({ data: new Float32Array(10), shape: [1, 10, 1] });
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const backend = options.backend ?? 'webgpu';
  if (backend !== 'webgpu' && backend !== 'cpu') {
    throw new UnsupportedError(`createRuntime: unknown backend ${JSON.stringify(backend)}; expected 'webgpu' or 'cpu'`);
  }
  if (backend === 'cpu') return new CpuRuntime();
  const acquired = await acquireDevice(options);
  if (!acquired) {
    if (!warnedFallback) {
      warnedFallback = true;
      console.warn('webgpu-rnn: no WebGPU adapter found; using the float64 CPU reference backend (slow).');
    }
    return new CpuRuntime();
  }
  return new GpuRuntime(acquired);
}

class CpuRuntime implements Runtime {
  readonly backend = 'cpu' as const;
  readonly adapterInfo = 'cpu (float64 reference)';
  readonly device = undefined;
  readonly lost = new Promise<DeviceLostError>(() => {});
  private disposed = false;

  async compile(model: Model): Promise<CompiledModel> {
    if (this.disposed) throw new DisposedError('runtime was disposed; create a new one');
    if (!(model instanceof Model)) throw new UnsupportedError('compile: expected a model made by sequential() or model()');
    let alive = true;
    const runtime = this;
    return {
      model,
      backend: 'cpu',
      async predict(inputs, options = {}) {
        if (!alive || runtime.disposed) throw new DisposedError(`model '${model.name}' was disposed (or its runtime was); compile it again`);
        const resolved = resolveInputs(model, inputs);
        const out = runReference(model, resolved.tensors, { lengths: checkLengths(options.lengths, resolved.batch, resolved.timeSteps) }).map(toFloat32);
        return out.length === 1 ? out[0]! : out;
      },
      stream(options: StreamOptions) {
        if (!alive || runtime.disposed) throw new DisposedError(`model '${model.name}' was disposed (or its runtime was); compile it again`);
        return new CpuStream(model, checkStreamOptions(model, options), () => alive && !runtime.disposed);
      },
      dispose() { alive = false; },
    };
  }

  dispose(): void {
    this.disposed = true;
  }
}

class GpuRuntime implements Runtime {
  readonly backend = 'webgpu' as const;
  private readonly compiled = new Set<GpuCompiledModel>();
  private disposed = false;

  constructor(private readonly acquired: AcquiredDevice) {}

  get device(): GPUDevice {
    return this.acquired.device;
  }

  get adapterInfo(): string {
    return this.acquired.description;
  }

  get lost(): Promise<DeviceLostError> {
    return this.acquired.lostEvent!;
  }

  async compile(model: Model, options: CompileOptions = {}): Promise<CompiledModel> {
    if (this.disposed) throw new DisposedError('runtime was disposed; create a new one');
    if (!(model instanceof Model)) throw new UnsupportedError('compile: expected a model made by sequential() or model()');
    // The dispose callback may run inside create() (a failed compile disposes itself), before
    // `compiled` is assigned; deleting an absent entry is then a no-op.
    let compiled: GpuCompiledModel | undefined;
    compiled = await GpuCompiledModel.create(this.acquired, model, options, () => { if (compiled) this.compiled.delete(compiled); });
    this.compiled.add(compiled);
    return compiled;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of [...this.compiled]) c.dispose();
    if (this.acquired.owned) this.acquired.device.destroy();
  }
}

/** Validates predict()'s `lengths` option: one integer in [1, T] per row. */
export function checkLengths(lengths: readonly number[] | undefined, batch: number, timeSteps: number[]): number[] | undefined {
  if (lengths === undefined) return undefined;
  const T = Math.max(...timeSteps);
  if (!Array.isArray(lengths) || lengths.length !== batch) {
    throw new InputError(`predict: 'lengths' must have one entry per batch row (${batch}), got ${Array.isArray(lengths) ? lengths.length : typeof lengths}`);
  }
  lengths.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 1 || l > T) throw new InputError(`predict: lengths[${i}] must be an integer in [1, ${T}], got ${l}`);
  });
  return [...lengths];
}
