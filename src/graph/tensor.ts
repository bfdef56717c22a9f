import type { Layer } from './layer.js';

/** A shape without the batch dimension: [features] or [timeSteps, features]; null = open length. */
export type Shape = readonly (number | null)[];

/** A concrete tensor: row-major data, batch first. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
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
