/**
 * PyTorch `nn.RNN`, `nn.LSTM` and `nn.GRU` from a state_dict (safetensors or named tensors) as a
 * model of our layers, plus the conversions between PyTorch's tensor layouts and predict()'s.
 *
 * Mapping: weight_ih_l{k}[_reverse] [G*H, in] and weight_hh [G*H, H] are transposed to Keras' kernel
 * [in, G*H] and recurrent kernel [H, G*H]. LSTM proj_size P: weight_hh is [4H, P] and weight_hr
 * [P, H] becomes the layer's projection [H, P] (h, the output and the next layer's input have P features). LSTM gates i, f, g, o are Keras' i, f, c, o; GRU r, z, n
 * become Keras z, r, h, and PyTorch's GRU is Keras' reset_after GRU with bias [2, 3H] = [b_ih; b_hh];
 * RNN and LSTM biases are b_ih + b_hh. Stacked layers chain, bidirectional layers are a Bidirectional
 * layer (concat). Masked steps (predict lengths) output zeros and keep the state, which is what
 * PyTorch computes for a packed sequence (pack_padded_sequence / pad_packed_sequence).
 */
import { ConfigError, WeightError } from '../errors.js';
import { Bidirectional } from '../graph/layers.js';
import { Model, input } from '../graph/model.js';
import { type CellType, RecurrentLayer } from '../graph/recurrent.js';
import { firstNonFinite, type SymbolicTensor, type Tensor } from '../graph/tensor.js';
import type { CompiledModel } from '../runtime.js';
import { type SafetensorsFile, parseSafetensors } from './safetensors.js';
import { type PyTorchOutputs, type PyTorchRunOptions, fromPyTorchInputs, toPyTorchOutputs } from './pytorch-layout.js';

export type { PyTorchOutputs, PyTorchRunOptions } from './pytorch-layout.js';

export type PyTorchModule = 'RNN' | 'LSTM' | 'GRU';

/** Constructor arguments of the PyTorch module (snake_case there). Sizes and flags not given are read from the tensors. */
export interface PyTorchRecurrentOptions {
  module: PyTorchModule;
  inputSize?: number;
  hiddenSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  bias?: boolean;
  /** Only changes the layouts `run` takes and returns (predict() is always batch first). */
  batchFirst?: boolean;
  /** RNN only: 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /** LSTM proj_size (0 = none; default: read from weight_hr_l0 when present). */
  projSize?: number;
  /** The model input's time steps (default null: any length). */
  timeSteps?: number | null;
  /** Add inputs for h_0 (and c_0), as the module's `hx` argument (default false: zeros). */
  initialState?: boolean;
  /** Key prefix of the module inside a bigger state_dict, e.g. 'encoder.rnn.' (default: found from the keys). */
  prefix?: string;
  /** Model name (default 'pytorch_lstm' etc.). */
  name?: string;
}

/** The options resolved against the tensors. */
export interface PyTorchRecurrentConfig {
  module: PyTorchModule;
  inputSize: number;
  hiddenSize: number;
  /** LSTM proj_size: h and the output have this many features (0 = none: hiddenSize). */
  projSize: number;
  numLayers: number;
  bidirectional: boolean;
  bias: boolean;
  batchFirst: boolean;
  nonlinearity: 'tanh' | 'relu';
  timeSteps: number | null;
  initialState: boolean;
  prefix: string;
}

/** A loaded module: the model plus PyTorch-layout helpers. */
export interface PyTorchRecurrent {
  /**
   * Inputs: x [batch, T, inputSize], then with `initialState` for each layer l and direction d (PyTorch's
   * index l*D + d) h0 [batch, H] (and c0). Outputs: the last layer's output [batch, T, D*H], then for each
   * l*D + d: h_n [batch, H] (and c_n).
   */
  readonly model: Model;
  readonly config: PyTorchRecurrentConfig;
  /**
   * Runs a compiled `model` with PyTorch-layout tensors: input [T, B, in] ([B, T, in] with batchFirst,
   * or unbatched [T, in]); h0 / c0 [num_layers*D, B, H]. Returns output, h_n and (LSTM) c_n as PyTorch does.
   */
  run(compiled: CompiledModel, x: Tensor, options?: PyTorchRunOptions): Promise<PyTorchOutputs>;
}

type TensorSource = Uint8Array | ArrayBuffer | SafetensorsFile | Record<string, { data: Float32Array; shape: readonly number[] }>;

const GATES: Record<PyTorchModule, number> = { RNN: 1, LSTM: 4, GRU: 3 };
const CELL: Record<PyTorchModule, CellType> = { RNN: 'simpleRNN', LSTM: 'lstm', GRU: 'gru' };
/** perm[k] = the PyTorch gate block holding Keras gate k (GRU: Keras z, r, h from PyTorch r, z, n). */
const GATE_PERM: Record<PyTorchModule, number[]> = { RNN: [0], LSTM: [0, 1, 2, 3], GRU: [1, 0, 2] };

interface NamedTensors {
  keys: string[];
  get(name: string): { data: Float32Array; shape: number[] } | undefined;
}

function namedTensors(src: TensorSource): NamedTensors {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) src = parseSafetensors(src);
  if (typeof (src as SafetensorsFile).tensor === 'function' && Array.isArray((src as SafetensorsFile).names)) {
    const st = src as SafetensorsFile;
    return { keys: [...st.names], get: (n) => (st.entry(n) ? st.tensor(n) : undefined) };
  }
  if (typeof src !== 'object' || src === null) throw new ConfigError('loadPyTorchRecurrent: expected safetensors bytes, a parsed file or { name: { data, shape } }');
  const rec = src as Record<string, { data: Float32Array; shape: readonly number[] }>;
  return {
    keys: Object.keys(rec),
    get(n) {
      const t = rec[n];
      if (!t) return undefined;
      if (!(t.data instanceof Float32Array) || !Array.isArray(t.shape)) throw new WeightError(`tensor '${n}': expected { data: Float32Array, shape: number[] }`);
      return { data: t.data, shape: [...t.shape] };
    },
  };
}

/** Finds the module's key prefix: the one in front of 'weight_ih_l0'. */
function findPrefix(keys: string[], given: string | undefined): string {
  if (given !== undefined) {
    if (!keys.includes(`${given}weight_ih_l0`)) throw new WeightError(`missing tensor '${given}weight_ih_l0' (prefix '${given}'); the state_dict has ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}`);
    return given;
  }
  const found = keys.filter((k) => k.endsWith('weight_ih_l0')).map((k) => k.slice(0, -'weight_ih_l0'.length));
  if (found.length === 0) throw new WeightError(`missing tensor 'weight_ih_l0': no key ends with it (the state_dict has ${keys.slice(0, 8).join(', ') || 'no tensors'}${keys.length > 8 ? ', ...' : ''})`);
  if (found.length > 1) throw new ConfigError(`the state_dict holds several recurrent modules (prefixes ${found.map((p) => `'${p}'`).join(', ')}); pass { prefix } to choose one`);
  return found[0]!;
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Loads an `nn.RNN`, `nn.LSTM` or `nn.GRU` state_dict (safetensors bytes, a parsed file, or
 * `{ name: { data, shape } }`) as a model that compiles and predicts like any other, plus `run()`
 * for PyTorch layouts. Sizes, layer count, direction and bias are read from the tensors; options that
 * are given must agree with them. Errors: WeightError (missing / unexpected tensor, wrong shape),
 * ConfigError (contradicting options), FormatError (bad safetensors).
 * @example
 * const lstm = loadPyTorchRecurrent(bytes, { module: 'LSTM', batchFirst: true });
 * const run = await rt.compile(lstm.model);
 * const { output, h_n, c_n } = await lstm.run(run, { data: x, shape: [batch, T, inputSize] });
 */
export function loadPyTorchRecurrent(source: TensorSource, options: PyTorchRecurrentOptions): PyTorchRecurrent {
  if (typeof options !== 'object' || options === null) throw new ConfigError("loadPyTorchRecurrent: options { module: 'RNN' | 'LSTM' | 'GRU', ... } are required");
  const mod = options.module;
  if (mod !== 'RNN' && mod !== 'LSTM' && mod !== 'GRU') throw new ConfigError(`loadPyTorchRecurrent: module must be 'RNN', 'LSTM' or 'GRU', got ${JSON.stringify(mod)}`);
  const where = `PyTorch ${mod}`;
  const known = ['module', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'bias', 'batchFirst', 'nonlinearity', 'projSize', 'timeSteps', 'initialState', 'prefix', 'name'];
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new ConfigError(`${where}: unknown option '${k}'; known options are ${known.join(', ')}`);
  if (mod !== 'RNN' && options.nonlinearity !== undefined) throw new ConfigError(`${where}: 'nonlinearity' applies to RNN only`);
  const nonlinearity = options.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new ConfigError(`${where}: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nonlinearity)}`);
  if (mod !== 'LSTM' && options.projSize) throw new ConfigError(`${where}: 'projSize' applies to LSTM only`);

  const tensors = namedTensors(source);
  const prefix = findPrefix(tensors.keys, options.prefix);
  const key = (what: string, l: number, rev: boolean) => `${prefix}${what}_l${l}${rev ? '_reverse' : ''}`;
  const has = (name: string) => tensors.get(name) !== undefined;

  // What the tensors say.
  const ih0 = tensors.get(key('weight_ih', 0, false))!;
  const hh0 = tensors.get(key('weight_hh', 0, false));
  if (!hh0) throw new WeightError(`${where}: missing tensor '${key('weight_hh', 0, false)}'`);
  const G = GATES[mod];
  // LSTM proj_size: weight_hr_l0 [proj_size, hidden_size], and weight_hh [4*hidden_size, proj_size].
  const hr0 = mod === 'LSTM' ? tensors.get(key('weight_hr', 0, false)) : undefined;
  if (hr0) {
    const [P, H] = hr0.shape;
    if (hr0.shape.length !== 2 || !(P! >= 1 && P! < H!)) {
      throw new WeightError(`${where}: tensor '${key('weight_hr', 0, false)}' must have shape [proj_size, hidden_size] with 0 < proj_size < hidden_size, got ${shapeStr(hr0.shape)}`);
    }
    if (hh0.shape.length !== 2 || hh0.shape[0] !== G * H! || hh0.shape[1] !== P) {
      throw new WeightError(`${where}: tensor '${key('weight_hh', 0, false)}' must have shape [${G}*hidden_size, proj_size] = ${shapeStr([G * H!, P!])} (from '${key('weight_hr', 0, false)}' ${shapeStr(hr0.shape)}), got ${shapeStr(hh0.shape)}`);
    }
  } else if (hh0.shape.length !== 2 || hh0.shape[0] !== G * hh0.shape[1]!) {
    throw new WeightError(`${where}: tensor '${key('weight_hh', 0, false)}' must have shape [${G}*hidden_size, hidden_size], got ${shapeStr(hh0.shape)}`);
  }
  if (ih0.shape.length !== 2) throw new WeightError(`${where}: tensor '${key('weight_ih', 0, false)}' must have shape [${G}*hidden_size, input_size], got ${shapeStr(ih0.shape)}`);
  const found = {
    hiddenSize: hr0 ? hr0.shape[1]! : hh0.shape[1]!,
    projSize: hr0 ? hr0.shape[0]! : 0,
    inputSize: ih0.shape[1]!,
    numLayers: (() => { let n = 0; while (has(key('weight_ih', n, false))) n++; return n; })(),
    bidirectional: has(key('weight_ih', 0, true)),
    bias: has(key('bias_ih', 0, false)),
  };
  for (const k of ['hiddenSize', 'projSize', 'inputSize', 'numLayers', 'bidirectional', 'bias'] as const) {
    const v = options[k];
    if (v !== undefined && v !== found[k]) {
      const t = k === 'bias' ? key('bias_ih', 0, false) : k === 'bidirectional' ? key('weight_ih', 0, true) : k === 'numLayers' ? `${prefix}weight_ih_l*`
        : k === 'inputSize' ? key('weight_ih', 0, false) : k === 'projSize' ? key('weight_hr', 0, false) : hr0 ? key('weight_hr', 0, false) : key('weight_hh', 0, false);
      throw new WeightError(`${where}: option ${k} is ${JSON.stringify(v)} but the tensors say ${JSON.stringify(found[k])} (from '${t}'${k === 'numLayers' || k === 'bias' || k === 'bidirectional' || k === 'projSize' ? ' present / absent' : ''})`);
    }
  }
  const timeSteps = options.timeSteps ?? null;
  if (timeSteps !== null && !(Number.isInteger(timeSteps) && timeSteps >= 1)) throw new ConfigError(`${where}: timeSteps must be a positive integer or null, got ${JSON.stringify(timeSteps)}`);
  const config: PyTorchRecurrentConfig = {
    module: mod, ...found, batchFirst: options.batchFirst ?? false, nonlinearity, timeSteps, initialState: options.initialState ?? false, prefix,
  };
  const D = config.bidirectional ? 2 : 1, H = config.hiddenSize, P = config.projSize, Hout = P || H;

  // Every expected tensor, checked; then nothing else under the prefix.
  const expected = new Set<string>();
  const weightsOf = (l: number, rev: boolean): Float32Array[] => {
    const inSize = l === 0 ? config.inputSize : D * Hout;
    const take = (what: string, shape: number[]) => {
      const name = key(what, l, rev);
      expected.add(name);
      const t = tensors.get(name);
      if (!t) throw new WeightError(`${where}: missing tensor '${name}' (expected shape ${shapeStr(shape)} for ${config.numLayers} layer(s)${config.bidirectional ? ', bidirectional' : ''}${config.bias ? ', with bias' : ''}${P ? `, proj_size ${P}` : ''})`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new WeightError(`${where}: tensor '${name}' must have shape ${shapeStr(shape)}, got ${shapeStr(t.shape)}`);
      }
      const bad = firstNonFinite(t.data);
      if (bad >= 0) throw new WeightError(`${where}: tensor '${name}' has a non-finite value (${t.data[bad]}) at flat index ${bad}`);
      return t.data;
    };
    const wih = take('weight_ih', [G * H, inSize]);
    const whh = take('weight_hh', [G * H, Hout]);
    const bih = config.bias ? take('bias_ih', [G * H]) : null;
    const bhh = config.bias ? take('bias_hh', [G * H]) : null;
    const weights = kerasWeights(mod, H, Hout, inSize, wih, whh, bih, bhh);
    if (P) {
      // weight_hr [P, H] -> the layer's projection [H, P].
      const whr = take('weight_hr', [P, H]);
      const projection = new Float32Array(H * P);
      for (let p = 0; p < P; p++) for (let j = 0; j < H; j++) projection[j * P + p] = whr[p * H + j]!;
      weights.push(projection);
    }
    return weights;
  };
  const layerWeights = Array.from({ length: config.numLayers }, (_, l) => Array.from({ length: D }, (_, d) => weightsOf(l, d === 1)));
  for (const k of tensors.keys) {
    if (k.startsWith(prefix) && !expected.has(k) && /^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/.test(k.slice(prefix.length))) {
      throw new WeightError(`${where}: unexpected tensor '${k}' for ${config.numLayers} layer(s)${config.bidirectional ? ', bidirectional' : ', one direction'}${config.bias ? ', with bias' : ', without bias'}${P ? `, proj_size ${P}` : ', without proj_size'}`);
    }
  }

  const model = buildModel(config, layerWeights, options.name ?? `pytorch_${mod.toLowerCase()}`);
  return {
    model,
    config,
    async run(compiled, x, runOptions = {}) {
      if (compiled.model !== model) throw new ConfigError(`${where}: run() takes the compiled form of this loader's model (rt.compile(loaded.model))`);
      const feed = fromPyTorchInputs(config, x, runOptions);
      const out = await compiled.predict(feed.inputs, feed.lengths ? { lengths: feed.lengths } : undefined);
      return toPyTorchOutputs(config, out as Tensor[], feed.unbatched);
    },
  };
}

/**
 * One direction's weights in Keras layout: [kernel [in, G*H], recurrent [R, G*H], bias ([G*H], or GRU
 * [2, 3H])], where R (the recurrent input size) is H, or proj_size for a projected LSTM.
 */
function kerasWeights(
  mod: PyTorchModule, H: number, R: number, I: number, wih: Float32Array, whh: Float32Array, bih: Float32Array | null, bhh: Float32Array | null,
): Float32Array[] {
  const G = GATES[mod], GH = G * H, perm = GATE_PERM[mod];
  const kernel = new Float32Array(I * GH), rec = new Float32Array(R * GH);
  for (let k = 0; k < G; k++) {
    for (let j = 0; j < H; j++) {
      const row = perm[k]! * H + j, col = k * H + j;
      for (let i = 0; i < I; i++) kernel[i * GH + col] = wih[row * I + i]!;
      for (let m = 0; m < R; m++) rec[m * GH + col] = whh[row * R + m]!;
    }
  }
  if (!bih || !bhh) return [kernel, rec];
  const gru = mod === 'GRU';
  const bias = new Float32Array(gru ? 2 * GH : GH);
  for (let k = 0; k < G; k++) {
    for (let j = 0; j < H; j++) {
      const src = perm[k]! * H + j, dst = k * H + j;
      if (gru) {
        bias[dst] = bih[src]!;
        bias[GH + dst] = bhh[src]!;
      } else {
        bias[dst] = bih[src]! + bhh[src]!;
      }
    }
  }
  return [kernel, rec, bias];
}

function buildModel(c: PyTorchRecurrentConfig, weights: Float32Array[][][], name: string): Model {
  const D = c.bidirectional ? 2 : 1, H = c.hiddenSize;
  const cell = CELL[c.module];
  const perDir = c.module === 'LSTM' ? 2 : 1;
  const x = input({ shape: [c.timeSteps, c.inputSize], name: `${name}_input` });
  const stateInputs = c.initialState
    ? Array.from({ length: c.numLayers * D }, (_, k) => Array.from({ length: perDir }, (_, s) => input({ shape: [s === 0 && c.projSize ? c.projSize : H], name: `${name}_${s === 0 ? 'h0' : 'c0'}_${k}` })))
    : null;
  let y: SymbolicTensor = x;
  const states: SymbolicTensor[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const options = {
      name: `${name}_l${l}`, units: H, returnSequences: true, returnState: true, useBias: c.bias,
      ...(cell === 'simpleRNN' ? { activation: c.nonlinearity } : {}),
      ...(cell === 'gru' ? { resetAfter: true } : {}),
    };
    const layer = new RecurrentLayer(cell, options, { padZero: true, ...(c.projSize ? { projSize: c.projSize } : {}) });
    const init = stateInputs ? stateInputs.slice(l * D, (l + 1) * D).flat() : [];
    let outs: SymbolicTensor[];
    if (D === 2) {
      const bi = new Bidirectional({ name: `${name}_l${l}_bidirectional`, layer, mergeMode: 'concat' });
      outs = bi.apply(y, { initialState: init }) as SymbolicTensor[];
      bi.setWeights([...weights[l]![0]!, ...weights[l]![1]!]);
    } else {
      outs = layer.apply(y, { initialState: init }) as SymbolicTensor[];
      layer.setWeights(weights[l]![0]!);
    }
    y = outs[0]!;
    states.push(...outs.slice(1));
  }
  return new Model([x, ...(stateInputs?.flat() ?? [])], [y, ...states], name);
}

