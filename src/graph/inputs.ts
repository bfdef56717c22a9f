import { InputError, ShapeError, UnsupportedError } from '../errors.js';
import type { Model } from './model.js';
import type { GpuTensor, Input, Tensor } from './tensor.js';
import { firstNonFinite, isGpuTensor, shapeToString } from './tensor.js';

/** What a checked set of model inputs resolved to. */
export interface ResolvedInputs<T extends Input = Tensor> {
  tensors: T[];
  batch: number;
  /** Sequence length of each input (1 for rank-2 inputs). */
  timeSteps: number[];
}

/** GPUBufferUsage.COPY_SRC (the constant is not defined where WebGPU is not). */
const COPY_SRC = 0x4;

/**
 * Checks predict()'s inputs against the model before any work: count, rank, sizes, a common batch,
 * data length, and that every value is finite. GPU tensors are for the WebGPU backend
 * (resolveGpuInputs): here they are an UnsupportedError.
 */
export function resolveInputs(model: Model, given: Input | Input[]): ResolvedInputs {
  return resolve(model, given, false) as ResolvedInputs;
}

/**
 * resolveInputs for the WebGPU backend, which also takes GPU tensors: their buffer's size and usage
 * are checked, their values are not (GpuTensor).
 */
export function resolveGpuInputs(model: Model, given: Input | Input[]): ResolvedInputs<Input> {
  return resolve(model, given, true);
}

function resolve(model: Model, given: Input | Input[], gpu: boolean): ResolvedInputs<Input> {
  const list = Array.isArray(given) ? given : [given];
  if (list.length !== model.inputs.length) {
    throw new ShapeError(`model '${model.name}' takes ${model.inputs.length} input(s), got ${list.length}`);
  }
  let batch = -1;
  const timeSteps: number[] = [];
  list.forEach((t, i) => {
    const sym = model.inputs[i]!;
    const where = `model '${model.name}' input ${i} ('${sym.name}')`;
    checkInputForm(t, where, gpu, "the WebGPU backend's predict()");
    const expected = [null, ...sym.shape];
    if (t.shape.length !== expected.length) {
      throw new ShapeError(`${where}: expected rank ${expected.length} ${shapeToString(expected)} (batch first), got rank ${t.shape.length} [${t.shape.join(', ')}]`);
    }
    t.shape.forEach((d, k) => {
      if (!Number.isInteger(d) || d < 1) throw new ShapeError(`${where}: dimension ${k} must be a positive integer, got ${d}`);
      const e = expected[k];
      if (e !== null && e !== undefined && e !== d) {
        const what = k === expected.length - 1 ? 'feature size' : 'time steps';
        throw new ShapeError(`${where}: expected ${what} ${e} (shape ${shapeToString(expected)}), got ${d} (shape [${t.shape.join(', ')}])`);
      }
    });
    if (batch === -1) batch = t.shape[0]!;
    else if (t.shape[0] !== batch) {
      throw new ShapeError(`${where}: batch size ${t.shape[0]} differs from input 0's batch size ${batch}`);
    }
    checkInputContents(t, where);
    timeSteps.push(t.shape.length === 3 ? t.shape[1]! : 1);
  });
  return { tensors: list, batch, timeSteps };
}

/**
 * That `t` is an input object, for predict() and a stream's step(): { data: Float32Array, shape }, or
 * where `gpu` a GPU tensor ({ buffer, shape }); a GPU tensor elsewhere is an UnsupportedError saying
 * what takes one (`takes`).
 */
export function checkInputForm(t: unknown, where: string, gpu: boolean, takes: string): asserts t is Input {
  const onGpu = isGpuTensor(t);
  if (onGpu && !gpu) throw new UnsupportedError(`${where}: a GPU tensor ({ buffer, shape }) needs ${takes}; pass { data: Float32Array, shape }`);
  const o = t as Partial<Tensor> | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.shape) || (!onGpu && !(o.data instanceof Float32Array))) {
    throw new InputError(`${where}: expected { data: Float32Array, shape: number[] }${gpu ? ' or { buffer: GPUBuffer, shape: number[] }' : ''}`);
  }
}

/**
 * An input's contents, once its shape is checked: host data's length and that every value is finite,
 * or a GPU tensor's buffer (checkGpuBuffer; its values are not read).
 */
export function checkInputContents(t: Input, where: string): void {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (isGpuTensor(t)) {
    checkGpuBuffer(t, size, where);
    return;
  }
  if (t.data.length !== size) {
    throw new InputError(`${where}: shape [${t.shape.join(', ')}] needs ${size} values, data has ${t.data.length}`);
  }
  const bad = firstNonFinite(t.data);
  if (bad >= 0) throw new InputError(`${where}: value ${t.data[bad]} at flat index ${bad} is not finite`);
}

/** A GPU tensor's buffer: a GPUBuffer-like object, large enough, COPY_SRC usage, not mapped. */
function checkGpuBuffer(t: GpuTensor, size: number, where: string): void {
  const b = t.buffer as Partial<GPUBuffer> | null;
  if (!b || typeof b !== 'object' || typeof b.size !== 'number' || typeof b.usage !== 'number') {
    throw new InputError(`${where}: 'buffer' must be a GPUBuffer`);
  }
  if (b.size < 4 * size) {
    throw new InputError(`${where}: shape [${t.shape.join(', ')}] needs ${4 * size} bytes of f32 values, the buffer has ${b.size}`);
  }
  if ((b.usage & COPY_SRC) === 0) throw new InputError(`${where}: the buffer needs GPUBufferUsage.COPY_SRC usage`);
  if (b.mapState !== undefined && b.mapState !== 'unmapped') throw new InputError(`${where}: the buffer is ${b.mapState}; unmap it first`);
}
