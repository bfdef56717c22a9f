import {
  Bidirectional, type BidirectionalOptions, Concatenate, type ConcatenateOptions, Dense, type DenseOptions, Dropout,
  type DropoutOptions,
} from './layers.js';
import type { MultiOutput } from './layer.js';
import { RecurrentLayer, type RecurrentOptions } from './recurrent.js';
import { Masking, type MaskingOptions } from './masking.js';

export { Model, input, model, sequential, type InputOptions, type ModelOptions } from './model.js';
export { Layer, type ApplyOptions, type ApplyResult, type MultiOutput, type WeightSpec } from './layer.js';
export { RecurrentLayer, GATES, type CellType, type RecurrentConfig, type RecurrentExtensions, type RecurrentOptions } from './recurrent.js';
export { Bidirectional, Concatenate, Dense, Dropout, InputLayer, type MergeMode } from './layers.js';
export { Masking, type MaskingOptions } from './masking.js';
export { SymbolicTensor, type GpuTensor, type Input, type Node, type Shape, type Tensor } from './tensor.js';
export { ACTIVATION_ID, actSpec, type ActSpec, type Activation } from './activations.js';

/**
 * Layer factories, named as in tfjs-layers (`tf.layers.lstm`).
 * @example
 * const l = layers.gru({ units: 32, returnSequences: true, resetAfter: false });
 */
export const layers = {
  /** Fully connected recurrent layer: h = act(x W + h U + b). */
  simpleRNN: <const O extends RecurrentOptions>(options: O) => new RecurrentLayer<MultiOutput<O>>('simpleRNN', options),
  /** Long short-term memory layer (gates i, f, c, o). */
  lstm: <const O extends RecurrentOptions>(options: O) => new RecurrentLayer<MultiOutput<O>>('lstm', options),
  /** Gated recurrent unit (gates z, r, h); resetAfter defaults to true as in Keras 2+. */
  gru: <const O extends RecurrentOptions>(options: O) => new RecurrentLayer<MultiOutput<O>>('gru', options),
  /** Densely connected layer on the last axis. */
  dense: (options: DenseOptions) => new Dense(options),
  /** Concatenation along the feature axis. */
  concatenate: (options?: ConcatenateOptions) => new Concatenate(options),
  /** Dropout (the identity at inference). */
  dropout: (options: DropoutOptions) => new Dropout(options),
  /** Keras' Masking: steps whose features all equal maskValue are zeroed and skipped by recurrent layers downstream. */
  masking: (options?: MaskingOptions) => new Masking(options),
  /** Runs a recurrent layer in both directions and merges the outputs. */
  bidirectional: <Multi extends boolean>(options: BidirectionalOptions<Multi>) => new Bidirectional<Multi>(options),
};
