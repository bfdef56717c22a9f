import { ConfigError, ShapeError, UnsupportedError } from '../errors.js';
import { type Activation, parseActivation } from './activations.js';
import { type BaseLayerOptions, Layer, type WeightSpec, checkBool, checkOptionKeys, checkPositiveInt } from './layer.js';
import { RecurrentLayer } from './recurrent.js';
import { type Shape, SymbolicTensor, shapeToString } from './tensor.js';

export interface DenseOptions extends BaseLayerOptions {
  units: number;
  activation?: string | null;
  useBias?: boolean;
}

/** Fully connected layer on the last axis: [features] -> [units], or [T, features] -> [T, units]. */
export class Dense extends Layer<false> {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  private inputFeatures = 0;

  constructor(options: DenseOptions) {
    if (typeof options !== 'object' || options === null) throw new ConfigError('Dense: options must be an object with at least { units }');
    super('dense', options);
    const where = `layer '${this.name}' (Dense)`;
    checkOptionKeys(where, options, ['units', 'activation', 'useBias']);
    this.units = checkPositiveInt(where, 'units', options.units);
    this.activation = parseActivation(options.activation, 'linear', where, true);
    this.useBias = checkBool(where, 'useBias', options.useBias, true);
  }

  get inputSize(): number {
    return this.inputFeatures;
  }

  weightSpecs(): WeightSpec[] {
    const specs = [{ name: `${this.name}/kernel`, shape: [this.inputFeatures, this.units] }];
    if (this.useBias) specs.push({ name: `${this.name}/bias`, shape: [this.units] });
    return specs;
  }

  protected computeOutputShapes(inputs: Shape[]): Shape[] {
    const shape = inputs[0]!;
    if (shape.length < 1 || shape.length > 2) {
      throw new ShapeError(`layer '${this.name}' (Dense): expected input of rank 2 or 3 (with batch), got rank ${shape.length + 1}`);
    }
    const f = shape[shape.length - 1];
    if (typeof f !== 'number') throw new ShapeError(`layer '${this.name}' (Dense): the last dimension of the input must be known, got ${shapeToString(shape)}`);
    if (this.inputFeatures === 0) this.inputFeatures = f;
    return [[...shape.slice(0, -1), this.units]];
  }
}

export interface ConcatenateOptions extends BaseLayerOptions {
  /** Only the last (feature) axis is supported: -1, or the rank of the inputs including batch minus one. */
  axis?: number;
}

/** Joins tensors along the feature axis. On the GPU the producers write straight into their slice. */
export class Concatenate extends Layer<false> {
  readonly className = 'Concatenate';
  protected override readonly takesList = true;
  readonly axis: number;

  constructor(options: ConcatenateOptions = {}) {
    super('concatenate', options);
    checkOptionKeys(`layer '${this.name}' (Concatenate)`, options, ['axis']);
    this.axis = options.axis ?? -1;
  }

  weightSpecs(): WeightSpec[] {
    return [];
  }

  protected computeOutputShapes(inputs: Shape[]): Shape[] {
    const where = `layer '${this.name}' (Concatenate)`;
    if (inputs.length < 2) throw new ShapeError(`${where}: takes at least 2 inputs, got ${inputs.length}`);
    const rank = inputs[0]!.length;
    if (this.axis !== -1 && this.axis !== rank) {
      throw new UnsupportedError(`${where}: only concatenation along the last axis (-1) is supported, got axis ${this.axis}`);
    }
    let features = 0;
    inputs.forEach((s, i) => {
      if (s.length !== rank) {
        throw new ShapeError(`${where}: all inputs must have the same rank; input 0 is ${shapeToString(inputs[0]!)}, input ${i} is ${shapeToString(s)}`);
      }
      for (let d = 0; d < rank - 1; d++) {
        if (s[d] !== inputs[0]![d]) {
          throw new ShapeError(`${where}: inputs must match on every axis but the last; input 0 is ${shapeToString(inputs[0]!)}, input ${i} is ${shapeToString(s)}`);
        }
      }
      const f = s[rank - 1];
      if (typeof f !== 'number') throw new ShapeError(`${where}: input ${i} has an unknown feature size`);
      features += f;
    });
    return [[...inputs[0]!.slice(0, -1), features]];
  }
}

export interface DropoutOptions extends BaseLayerOptions {
  rate: number;
}

/** Dropout: the identity at inference. */
export class Dropout extends Layer<false> {
  readonly className = 'Dropout';
  readonly rate: number;

  constructor(options: DropoutOptions) {
    super('dropout', options ?? {});
    checkOptionKeys(`layer '${this.name}' (Dropout)`, options ?? {}, ['rate']);
    const rate = options?.rate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new ConfigError(`layer '${this.name}' (Dropout): 'rate' must be a number in [0, 1), got ${JSON.stringify(rate)}`);
    }
    this.rate = rate;
  }

  weightSpecs(): WeightSpec[] {
    return [];
  }

  protected computeOutputShapes(inputs: Shape[]): Shape[] {
    return [inputs[0]!];
  }
}

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalOptions<Multi extends boolean = boolean> extends BaseLayerOptions {
  layer: RecurrentLayer<Multi>;
  mergeMode?: MergeMode;
}

/**
 * Runs a recurrent layer forwards and a copy of it backwards over the sequence, and merges the two
 * outputs. Weights: the forward layer's, then the backward layer's.
 */
export class Bidirectional<Multi extends boolean = boolean> extends Layer<Multi> {
  readonly className = 'Bidirectional';
  readonly forward: RecurrentLayer;
  readonly backward: RecurrentLayer;
  readonly mergeMode: MergeMode;

  constructor(options: BidirectionalOptions<Multi>) {
    if (typeof options !== 'object' || options === null || !(options.layer instanceof RecurrentLayer)) {
      throw new ConfigError('Bidirectional: { layer } must be a simpleRNN, lstm or gru layer');
    }
    const inner = options.layer;
    super('bidirectional', { ...options, inputShape: options.inputShape ?? (inner.inputShape as (number | null)[] | undefined) });
    const where = `layer '${this.name}' (Bidirectional)`;
    checkOptionKeys(where, options, ['layer', 'mergeMode']);
    if (inner.built) throw new ConfigError(`${where}: the wrapped layer '${inner.name}' was already applied; pass a fresh layer`);
    const mode = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    if (mode === null) throw new UnsupportedError(`${where}: mergeMode null (separate outputs) is not supported; use concat, sum, mul or ave`);
    if (!['concat', 'sum', 'mul', 'ave'].includes(mode)) {
      throw new ConfigError(`${where}: unknown mergeMode ${JSON.stringify(mode)}; expected concat, sum, mul or ave`);
    }
    this.mergeMode = mode;
    const c = inner.config;
    const opts = {
      units: c.units, activation: c.activation, useBias: c.useBias, returnSequences: c.returnSequences, returnState: c.returnState,
      ...(c.cell !== 'simpleRNN' ? { recurrentActivation: c.recurrentActivation } : {}),
      ...(c.cell === 'gru' ? { resetAfter: c.resetAfter } : {}),
      ...(c.cell === 'lstm' ? { unitForgetBias: c.unitForgetBias } : {}),
    };
    if (c.goBackwards) throw new UnsupportedError(`${where}: the wrapped layer must not set goBackwards (the backward copy is made here)`);
    // Keras' Bidirectional sets zero_output_for_mask = return_sequences on both copies: masked steps
    // of a returned sequence are zeros in both directions (tfjs-layers carries the previous output).
    const ext = { acts: c.acts, clip: c.clip, peephole: c.peephole, inputForget: c.inputForget, padZero: c.padZero || c.returnSequences, projSize: c.projSize };
    this.forward = new RecurrentLayer(c.cell, { ...opts, name: `${this.name}/forward_${inner.name}` }, ext);
    // Keras reverses the backward layer's sequence output back into time order.
    this.backward = new RecurrentLayer(c.cell, { ...opts, name: `${this.name}/backward_${inner.name}`, goBackwards: true }, { ...ext, timeAligned: true });
  }

  protected override get multiOutput(): boolean {
    return this.forward.config.returnState;
  }

  weightSpecs(): WeightSpec[] {
    return [...this.forward.weightSpecs(), ...this.backward.weightSpecs()];
  }

  protected computeOutputShapes(inputs: Shape[], initialState: Shape[]): Shape[] {
    const n = this.forward.stateCount;
    if (initialState.length !== 0 && initialState.length !== 2 * n) {
      throw new ShapeError(`layer '${this.name}' (Bidirectional): initialState takes ${2 * n} tensors (forward states then backward states), got ${initialState.length}`);
    }
    const fwdInit = initialState.slice(0, n).map((s) => new SymbolicTensor(s, 'init'));
    const bwdInit = initialState.slice(n).map((s) => new SymbolicTensor(s, 'init'));
    // Build the two inner layers through their own shape checks (they are never part of the graph).
    const input = new SymbolicTensor(inputs[0]!, 'x');
    if (!this.forward.built) {
      this.forward.apply(input, { initialState: fwdInit });
      this.backward.apply(input, { initialState: bwdInit });
      this.forward.nodes.length = 0;
      this.backward.nodes.length = 0;
    }
    const units = this.forward.outputUnits;
    const c = this.forward.config;
    const merged = this.mergeMode === 'concat' ? 2 * units : units;
    const out: Shape = c.returnSequences ? [inputs[0]![0]!, merged] : [merged];
    const states: Shape[] = c.returnState ? [...this.forward.stateSizes, ...this.backward.stateSizes].map((s) => [s]) : [];
    return [out, ...states];
  }

  protected override initialWeights(): Float32Array[] {
    return [...this.forward.weightsView(), ...this.backward.weightsView()].map((w) => w.slice());
  }

  override setWeights(weights: readonly Float32Array[]): void {
    super.setWeights(weights);
    const n = this.forward.weightSpecs().length;
    this.forward.setWeights(this.weightValues!.slice(0, n));
    this.backward.setWeights(this.weightValues!.slice(n));
  }
}

/** The model input layer (created by `input()`). */
export class InputLayer extends Layer<false> {
  readonly className = 'InputLayer';
  constructor(options: BaseLayerOptions) {
    super('input', options);
  }
  weightSpecs(): WeightSpec[] {
    return [];
  }
  protected computeOutputShapes(): Shape[] {
    return [];
  }
}

/** Validates a user-given sample shape for `input()`. */
export function checkInputShape(where: string, shape: unknown): (number | null)[] {
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 2) {
    throw new ShapeError(`${where}: shape must be [features] or [timeSteps, features] (without batch), got ${JSON.stringify(shape)}`);
  }
  shape.forEach((d, i) => {
    const last = i === shape.length - 1;
    if (!((d === null && !last) || (Number.isInteger(d) && d >= 1))) {
      throw new ShapeError(`${where}: dimension ${i} of shape ${JSON.stringify(shape)} must be a positive integer${last ? '' : ' or null'}`);
    }
  });
  return shape as (number | null)[];
}
