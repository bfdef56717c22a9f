import type { Layer } from './layer.js';

/** A shape without the batch dimension: [features] or [timeSteps, features]; null = open length. */
export type Shape = readonly (number | null)[];

/** A concrete tensor: row-major data, batch first. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/**
 * A model input already on the GPU (WebGPU backend: predict() and a stream's step()), as
 * onnxruntime-web's Tensor.fromGpuBuffer: f32 values laid out as a Tensor's data (row-major, batch
 * first) from byte 0 of `buffer`, a buffer of the runtime's device with COPY_SRC usage. It is copied
 * into the pass on the GPU, so nothing crosses to the host; its values are not checked for NaN or
 * Infinity (that would read them back), and a buffer of another device fails the pass with a GPU
 * validation error.
 */
export interface GpuTensor {
  buffer: GPUBuffer;
  shape: number[];
}

/** A model input: host data, or (WebGPU) a GPU buffer. */
export type Input = Tensor | GpuTensor;

/** Whether an input is a GpuTensor: an object with a buffer and a shape, and no data (not a typed array, whose buffer is its ArrayBuffer). */
export function isGpuTensor(t: unknown): t is GpuTensor {
  return typeof t === 'object' && t !== null && !ArrayBuffer.isView(t) && 'buffer' in t && 'shape' in t && !('data' in t);
}

/** One application of a layer to symbolic inputs. */
export interface Node {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  /** Initial recurrent states passed with `apply(x, { initialState })`. */
  readonly initialState: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
}

let nextTensorId = 0;

/** A placeholder for a tensor in a model graph (Keras' KerasTensor, tfjs' SymbolicTensor). */
export class SymbolicTensor {
  readonly id = nextTensorId++;
  /** The node that produces it; undefined for model inputs. */
  node: Node | undefined;
  constructor(
    readonly shape: Shape,
    readonly name: string,
    readonly outputIndex = 0,
  ) {}
}

export function shapeToString(shape: Shape): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/**
 * The index of the first NaN or infinite value in `data`, or -1 when every value is finite.
 * predict() checks every input value before any GPU work, so this runs over whole inputs (8.4 M values
 * for a batch of 64 sequences of 256 steps of 512 features). It first sums v * 0 in four independent
 * accumulators: 0 for every finite v, NaN once any v is NaN or ±Infinity. That pass took 10-14 ms on the
 * 2-core machine, against 25 for Number.isFinite on every value; only data that fails it is scanned
 * again for the index.
 */
export function firstNonFinite(data: Float32Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n = data.length - (data.length % 4);
  let k = 0;
  for (; k < n; k += 4) {
    s0 += data[k]! * 0;
    s1 += data[k + 1]! * 0;
    s2 += data[k + 2]! * 0;
    s3 += data[k + 3]! * 0;
  }
  for (; k < data.length; k++) s0 += data[k]! * 0;
  if (s0 + s1 + s2 + s3 === 0) return -1;
  return data.findIndex((v) => !Number.isFinite(v));
}
