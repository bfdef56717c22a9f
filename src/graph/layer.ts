import { ConfigError, ShapeError, WeightError } from '../errors.js';
import { firstNonFinite, type Node, type Shape, SymbolicTensor, shapeToString } from './tensor.js';

/** Name and shape of one weight array, in Keras order and layout. */
export interface WeightSpec {
  name: string;
  shape: number[];
}

/** Options every layer takes. */
export interface BaseLayerOptions {
  name?: string;
  /** Shape of one sample, without the batch dimension (first layer of a sequential model). */
  inputShape?: (number | null)[];
  /** Keras' batch_input_shape: the batch dimension is dropped. */
  batchInputShape?: (number | null)[];
}

export interface ApplyOptions {
  /** Initial recurrent states ([h] or [h, c]; twice that for bidirectional). */
  initialState?: SymbolicTensor | SymbolicTensor[];
}

const nameCounters = new Map<string, number>();

/** Keras-style unique names: lstm, lstm_1, lstm_2, ... */
export function uniqueName(prefix: string): string {
  const n = nameCounters.get(prefix) ?? 0;
  nameCounters.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

/** Option keys accepted for Keras compatibility that have no effect at inference. */
const IGNORED_KEYS = new Set([
  'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'kernelRegularizer', 'recurrentRegularizer',
  'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'recurrentConstraint', 'biasConstraint',
  'dropout', 'recurrentDropout', 'unroll', 'implementation', 'trainable', 'dtype', 'seed', 'noiseShape',
]);

/** Throws a ConfigError for option keys a layer does not know (catches typos such as `unit`). */
export function checkOptionKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && !IGNORED_KEYS.has(key) && key !== 'name' && key !== 'inputShape' && key !== 'batchInputShape') {
      throw new ConfigError(`${where}: unknown option '${key}'; known options are ${[...known].sort().join(', ')}`);
    }
  }
}

export function checkPositiveInt(where: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${where}: '${key}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkBool(where: string, key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(`${where}: '${key}' must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Deterministic uniform random numbers for default weight initialisation (mulberry32). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Base of all layers. A layer is configured once, built (weights sized) on its first `apply`,
 * and may be applied again to inputs of the same shape (shared weights).
 */
/** What `apply` returns: one tensor, or a list for layers with several outputs (returnState). */
export type ApplyResult<Multi extends boolean> = Multi extends true ? SymbolicTensor[] : SymbolicTensor;

/**
 * Whether a recurrent layer's options make it return a list (returnState: true). Literal options
 * give an exact type; a non-literal boolean gives the union.
 */
export type MultiOutput<O> =
  'returnState' extends keyof O
    ? O extends { returnState: true } ? true : NonNullable<O['returnState' & keyof O]> extends false ? false : boolean
    : false;

export abstract class Layer<Multi extends boolean = boolean> {
  abstract readonly className: string;
  readonly name: string;
  readonly inputShape: Shape | undefined;
  /** Nodes created by `apply`, in order. */
  readonly nodes: Node[] = [];
  protected weightValues: Float32Array[] | null = null;
  protected builtInputShapes: Shape[] | null = null;

  constructor(prefix: string, options: BaseLayerOptions) {
    this.name = options.name ?? uniqueName(prefix);
    if (options.inputShape) this.inputShape = [...options.inputShape];
    else if (options.batchInputShape) this.inputShape = options.batchInputShape.slice(1);
  }

  /** Weight names and shapes; valid once the layer is built. */
  abstract weightSpecs(): WeightSpec[];
  /** Output shapes for the given input shapes; throws ShapeError on a mismatch. Also fixes weight sizes. */
  protected abstract computeOutputShapes(inputs: Shape[], initialState: Shape[]): Shape[];
  /** Whether `apply` takes a list of tensors (concatenate) or exactly one. */
  protected readonly takesList: boolean = false;

  get built(): boolean {
    return this.builtInputShapes !== null;
  }

  /** Applies the layer to symbolic tensors (functional API). Returns a list when the layer has several outputs. */
  apply(inputs: SymbolicTensor | SymbolicTensor[], options: ApplyOptions = {}): ApplyResult<Multi> {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (!this.takesList && list.length !== 1) {
      throw new ShapeError(`layer '${this.name}' (${this.className}) takes 1 input tensor, got ${list.length}`);
    }
    list.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) {
        throw new ShapeError(`layer '${this.name}': input ${i} is not a symbolic tensor (use input({ shape }) or another layer's output)`);
      }
    });
    const init = options.initialState === undefined ? [] : Array.isArray(options.initialState) ? options.initialState : [options.initialState];
    const inShapes = list.map((t) => t.shape);
    if (this.builtInputShapes) {
      inShapes.forEach((s, i) => {
        const built = this.builtInputShapes![i];
        if (!built || shapeToString(built) !== shapeToString(s)) {
          throw new ShapeError(`layer '${this.name}' was built for input ${i} of shape ${built ? shapeToString(built) : 'none'}, but is applied to ${shapeToString(s)}`);
        }
      });
    }
    const outShapes = this.computeOutputShapes(inShapes, init.map((t) => t.shape));
    if (!this.builtInputShapes) {
      this.builtInputShapes = inShapes;
      this.weightValues = this.initialWeights();
    }
    const outputs = outShapes.map((s, i) => new SymbolicTensor(s, `${this.name}/out${i}`, i));
    const node: Node = { layer: this, inputs: list, initialState: init, outputs };
    for (const o of outputs) o.node = node;
    this.nodes.push(node);
    return (this.multiOutput ? outputs : outputs[0]!) as ApplyResult<Multi>;
  }

  /** Whether apply() returns a list (layers with returnState). */
  protected get multiOutput(): boolean {
    return false;
  }

  /** Default weights: Glorot-uniform matrices, zero vectors (layers may override). */
  protected initialWeights(): Float32Array[] {
    const rand = seededUniform(hashName(this.name));
    return this.weightSpecs().map((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const w = new Float32Array(size);
      if (spec.shape.length >= 2 && !spec.name.includes('bias') && !spec.name.includes('peephole')) {
        const fanIn = spec.shape[0]!, fanOut = spec.shape[spec.shape.length - 1]!;
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        for (let i = 0; i < size; i++) w[i] = (rand() * 2 - 1) * limit;
      }
      return w;
    });
  }

  /** Copies of the weights in Keras order and layout. */
  getWeights(): Float32Array[] {
    if (!this.weightValues) throw new WeightError(`layer '${this.name}' has no weights yet: apply it to an input first`);
    return this.weightValues.map((w) => w.slice());
  }

  /** Number of weight arrays this layer takes. */
  get weightCount(): number {
    return this.built ? this.weightSpecs().length : 0;
  }

  /** Replaces the weights; checks count, sizes and that every value is finite. */
  setWeights(weights: readonly Float32Array[]): void {
    const specs = this.weightSpecs();
    if (weights.length !== specs.length) {
      throw new WeightError(`layer '${this.name}' takes ${specs.length} weight arrays (${specs.map((s) => `${s.name} [${s.shape}]`).join(', ')}), got ${weights.length}`);
    }
    const next = specs.map((spec, i) => {
      const w = weights[i] as unknown as ArrayLike<number> | undefined;
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (!(w instanceof Float32Array) && !(w instanceof Float64Array) && !Array.isArray(w)) {
        throw new WeightError(`layer '${this.name}' weight ${i} (${spec.name}): expected a Float32Array of ${size} values, got ${typeof w}`);
      }
      if (w.length !== size) {
        throw new WeightError(`layer '${this.name}' weight ${i} (${spec.name}): expected shape [${spec.shape}] = ${size} values, got ${w.length}`);
      }
      const copy = Float32Array.from(w);
      const bad = firstNonFinite(copy);
      if (bad >= 0) throw new WeightError(`layer '${this.name}' weight ${i} (${spec.name}) has a non-finite value (${copy[bad]}) at index ${bad}`);
      return copy;
    });
    this.weightValues = next;
  }

  /** The weights without copying (backends read them at compile). */
  weightsView(): readonly Float32Array[] {
    if (!this.weightValues) throw new WeightError(`layer '${this.name}' has no weights yet: apply it to an input first`);
    return this.weightValues;
  }

  /** The input shapes the layer was built for. */
  get inputShapes(): readonly Shape[] {
    if (!this.builtInputShapes) throw new ShapeError(`layer '${this.name}' is not built yet`);
    return this.builtInputShapes;
  }
}
