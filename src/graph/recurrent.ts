import { ConfigError, ShapeError, UnsupportedError } from '../errors.js';
import { type ActSpec, type Activation, actSpec, parseActivation } from './activations.js';
import {
  type BaseLayerOptions, Layer, type WeightSpec, checkBool, checkOptionKeys, checkPositiveInt, seededUniform,
} from './layer.js';
import { type Shape, shapeToString } from './tensor.js';

export type CellType = 'simpleRNN' | 'lstm' | 'gru';

/** Gates per cell, in Keras order: SimpleRNN [h], LSTM [i, f, c, o], GRU [z, r, h]. */
export const GATES: Record<CellType, number> = { simpleRNN: 1, lstm: 4, gru: 3 };

/** Options of SimpleRNN, LSTM and GRU layers, as in Keras / tfjs-layers. */
export interface RecurrentOptions extends BaseLayerOptions {
  units: number;
  /** Output / candidate activation (default tanh). */
  activation?: string | null;
  /** Gate activation for LSTM and GRU (default sigmoid). */
  recurrentActivation?: string | null;
  useBias?: boolean;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  /** GRU only: Keras' default true (bias [2, 3*units], reset gate applied after the matmul). */
  resetAfter?: boolean;
  /** LSTM only: initialise the forget-gate bias to one (default true). */
  unitForgetBias?: boolean;
  /** Not supported: use `compiled.stream()` for state kept between calls. */
  stateful?: boolean;
  /** Accepted for Keras compatibility; no effect at inference. */
  dropout?: number;
  recurrentDropout?: number;
}

/** The resolved configuration backends read. */
export interface RecurrentConfig {
  cell: CellType;
  units: number;
  activation: Activation;
  recurrentActivation: Activation;
  useBias: boolean;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  resetAfter: boolean;
  unitForgetBias: boolean;
  /** Gate (f), candidate (g) and output (h) activations with parameters, as ONNX names them. */
  acts: { f: ActSpec; g: ActSpec; h: ActSpec };
  /** Clamp every gate pre-activation to [-clip, clip] (ONNX `clip`); null = none. */
  clip: number | null;
  /** LSTM peepholes (ONNX `P`): an extra weight [3, units] in order i, f, o. */
  peephole: boolean;
  /** LSTM with coupled gates: f = 1 - i (ONNX `input_forget`). */
  inputForget: boolean;
  /** At masked steps output zeros (ONNX) instead of repeating the previous output (Keras). */
  padZero: boolean;
  /** A backwards layer stores step outputs at their input time index (ONNX `reverse`), not in processing order. */
  timeAligned: boolean;
  /**
   * LSTM output projection (PyTorch `proj_size`): h = (o * act(c)) W_hr, so h and the output have
   * projSize features while c keeps `units`; null = none.
   */
  projSize: number | null;
}

/** Cell options beyond Keras', used by the ONNX importer. */
export interface RecurrentExtensions {
  acts?: { f?: ActSpec; g?: ActSpec; h?: ActSpec };
  clip?: number | null;
  peephole?: boolean;
  inputForget?: boolean;
  padZero?: boolean;
  timeAligned?: boolean;
  /** LSTM only: project h to this many features (PyTorch `proj_size`; 0 < projSize < units). */
  projSize?: number | null;
}

const KNOWN: Record<CellType, string[]> = {
  simpleRNN: ['units', 'activation', 'useBias', 'returnSequences', 'returnState', 'goBackwards', 'stateful'],
  lstm: ['units', 'activation', 'recurrentActivation', 'useBias', 'returnSequences', 'returnState', 'goBackwards', 'unitForgetBias', 'stateful'],
  gru: ['units', 'activation', 'recurrentActivation', 'useBias', 'returnSequences', 'returnState', 'goBackwards', 'resetAfter', 'stateful'],
};

const CLASS_NAMES: Record<CellType, string> = { simpleRNN: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' };
const PREFIX: Record<CellType, string> = { simpleRNN: 'simple_rnn', lstm: 'lstm', gru: 'gru' };

/** A SimpleRNN, LSTM or GRU layer. Input [timeSteps, features]; output [units] or [timeSteps, units]. */
export class RecurrentLayer<Multi extends boolean = boolean> extends Layer<Multi> {
  readonly className: string;
  readonly config: RecurrentConfig;
  private inputFeatures = 0;

  constructor(cell: CellType, options: RecurrentOptions, ext: RecurrentExtensions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigError(`${CLASS_NAMES[cell]}: options must be an object with at least { units }`);
    }
    super(PREFIX[cell], options);
    this.className = CLASS_NAMES[cell];
    const where = `layer '${this.name}' (${this.className})`;
    if (cell !== 'lstm' && options.unitForgetBias !== undefined) {
      throw new ConfigError(`${where}: 'unitForgetBias' applies to LSTM only`);
    }
    if (cell !== 'gru' && options.resetAfter !== undefined) {
      throw new ConfigError(`${where}: 'resetAfter' applies to GRU only`);
    }
    if (cell === 'simpleRNN' && options.recurrentActivation !== undefined) {
      throw new ConfigError(`${where}: SimpleRNN has no gates, so 'recurrentActivation' does not apply`);
    }
    checkOptionKeys(where, options, KNOWN[cell]);
    if (options.stateful) {
      throw new UnsupportedError(`${where}: 'stateful' layers are not supported; compile the model and use its stream() session to keep state between calls`);
    }
    const activation = parseActivation(options.activation, 'tanh', where);
    const recurrentActivation = cell === 'simpleRNN' ? 'sigmoid' : parseActivation(options.recurrentActivation, 'sigmoid', where);
    if (cell !== 'lstm' && (ext.peephole || ext.inputForget)) {
      throw new ConfigError(`${where}: peepholes and input_forget apply to LSTM only`);
    }
    if (ext.clip !== undefined && ext.clip !== null && !(ext.clip > 0)) {
      throw new ConfigError(`${where}: clip must be a positive number, got ${ext.clip}`);
    }
    const units = checkPositiveInt(where, 'units', options.units);
    const projSize = ext.projSize ?? null;
    if (projSize !== null) {
      if (cell !== 'lstm') throw new ConfigError(`${where}: projSize applies to LSTM only`);
      if (!Number.isInteger(projSize) || projSize < 1 || projSize >= units) {
        throw new ConfigError(`${where}: projSize must be an integer in [1, units - 1] = [1, ${units - 1}] (as PyTorch's proj_size < hidden_size), got ${projSize}`);
      }
    }
    this.config = {
      cell,
      units,
      activation,
      recurrentActivation,
      useBias: checkBool(where, 'useBias', options.useBias, true),
      returnSequences: checkBool(where, 'returnSequences', options.returnSequences, false),
      returnState: checkBool(where, 'returnState', options.returnState, false),
      goBackwards: checkBool(where, 'goBackwards', options.goBackwards, false),
      resetAfter: cell === 'gru' ? checkBool(where, 'resetAfter', options.resetAfter, true) : false,
      unitForgetBias: cell === 'lstm' ? checkBool(where, 'unitForgetBias', options.unitForgetBias, true) : false,
      acts: {
        f: ext.acts?.f ?? actSpec(recurrentActivation),
        g: ext.acts?.g ?? actSpec(activation),
        h: ext.acts?.h ?? actSpec(activation),
      },
      clip: ext.clip ?? null,
      peephole: ext.peephole ?? false,
      inputForget: ext.inputForget ?? false,
      padZero: ext.padZero ?? false,
      timeAligned: ext.timeAligned ?? false,
      projSize,
    };
  }

  protected override get multiOutput(): boolean {
    return this.config.returnState;
  }

  /** Number of recurrent states: LSTM has [h, c], the others [h]. */
  get stateCount(): number {
    return this.config.cell === 'lstm' ? 2 : 1;
  }

  /** Features of h and of the output: projSize with a projection, else units (c always has units). */
  get outputUnits(): number {
    return this.config.projSize ?? this.config.units;
  }

  /** Feature size of each state, [h] or [h, c]. */
  get stateSizes(): number[] {
    return this.stateCount === 2 ? [this.outputUnits, this.config.units] : [this.outputUnits];
  }

  get gates(): number {
    return GATES[this.config.cell];
  }

  /** Feature size of the input this layer was built for. */
  get inputSize(): number {
    return this.inputFeatures;
  }

  weightSpecs(): WeightSpec[] {
    const { units, useBias, cell, resetAfter } = this.config;
    const gh = GATES[cell] * units;
    const specs: WeightSpec[] = [
      { name: `${this.name}/kernel`, shape: [this.inputFeatures, gh] },
      { name: `${this.name}/recurrent_kernel`, shape: [this.outputUnits, gh] },
    ];
    if (useBias) specs.push({ name: `${this.name}/bias`, shape: cell === 'gru' && resetAfter ? [2, gh] : [gh] });
    if (this.config.peephole) specs.push({ name: `${this.name}/peephole`, shape: [3, units] });
    // PyTorch's weight_hr [projSize, units], transposed to Keras' [in, out] layout.
    if (this.config.projSize !== null) specs.push({ name: `${this.name}/projection`, shape: [units, this.config.projSize] });
    return specs;
  }

  protected computeOutputShapes(inputs: Shape[], initialState: Shape[]): Shape[] {
    const where = `layer '${this.name}' (${this.className})`;
    const shape = inputs[0]!;
    if (shape.length !== 2) {
      throw new ShapeError(`${where}: expected input of rank 3 [batch, timeSteps, features], got rank ${shape.length + 1} [batch, ${shape.join(', ')}]`);
    }
    const features = shape[1];
    if (typeof features !== 'number' || features < 1) {
      throw new ShapeError(`${where}: the feature size of the input must be known, got ${shapeToString(shape)}`);
    }
    if (this.inputFeatures === 0) this.inputFeatures = features;
    const sizes = this.stateSizes;
    if (initialState.length > 0) {
      if (initialState.length !== this.stateCount) {
        throw new ShapeError(`${where}: initialState takes ${this.stateCount} tensor(s) (${this.stateCount === 2 ? '[h, c]' : '[h]'}), got ${initialState.length}`);
      }
      initialState.forEach((s, i) => {
        if (s.length !== 1 || s[0] !== sizes[i]) {
          throw new ShapeError(`${where}: initialState ${i} must have shape [batch, ${sizes[i]}], got [batch, ${s.join(', ')}]`);
        }
      });
    }
    const O = this.outputUnits;
    const out: Shape = this.config.returnSequences ? [shape[0]!, O] : [O];
    const states: Shape[] = this.config.returnState ? sizes.map((n) => [n]) : [];
    return [out, ...states];
  }

  protected override initialWeights(): Float32Array[] {
    const weights = super.initialWeights();
    const { units, cell, useBias, unitForgetBias } = this.config;
    const rand = seededUniform(weights[0]!.length * 7919 + units);
    // Keras initialises the recurrent kernel orthogonally; a scaled random matrix keeps the default
    // model stable enough for demos without a QR decomposition.
    const rk = weights[1]!;
    const scale = 1 / Math.sqrt(this.outputUnits);
    for (let i = 0; i < rk.length; i++) rk[i] = (rand() * 2 - 1) * scale;
    if (useBias && cell === 'lstm' && unitForgetBias) weights[2]!.fill(1, units, 2 * units);
    return weights;
  }
}
