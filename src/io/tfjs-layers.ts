/**
 * Keras layer configs (snake_case, as model.json stores them) -> this library's layers. One function
 * per class; each reads the keys it understands, refuses what would change the result and it can not
 * do (stateful, time_major, an unknown activation), and ignores training-only keys (initializers,
 * regularizers, dropout rates).
 */
import { FormatError, ShapeError, UnsupportedError } from '../errors.js';
import { type ActSpec, actSpec } from '../graph/activations.js';
import { Bidirectional, Concatenate, Dense, Dropout, type MergeMode } from '../graph/layers.js';
import type { Layer } from '../graph/layer.js';
import { Masking } from '../graph/masking.js';
import { type CellType, RecurrentLayer, type RecurrentExtensions, type RecurrentOptions } from '../graph/recurrent.js';
import { type Flavor, type Json, type LayerSpec, isObject, show } from './tfjs-topology.js';

export type Built =
  | { kind: 'input'; shape: (number | null)[] }
  | { kind: 'layer'; layer: Layer; /** RNNs: node inputs after the first are initial states. */ takesState: boolean };

/** Keys that only matter for training or for Keras' own bookkeeping. */
const IGNORED = new Set([
  'name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'input_shape', 'kernel_initializer', 'recurrent_initializer',
  'bias_initializer', 'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint',
  'recurrent_constraint', 'bias_constraint', 'dropout', 'recurrent_dropout', 'implementation', 'unroll', 'seed', 'use_cudnn',
  'noise_shape', 'unit_forget_bias',
]);

/** The Keras / tfjs activation names this runtime computes. */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', elu: 'elu', softsign: 'softsign',
  softplus: 'softplus', hard_sigmoid: 'hardSigmoid', hardsigmoid: 'hardSigmoid',
};

class Reader {
  private readonly used = new Set<string>();
  constructor(readonly where: string, readonly config: Json) {}

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  raw(key: string): unknown {
    this.used.add(key);
    return this.config[key];
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new FormatError(`${this.where}: '${key}' must be true or false, got ${show(v)}`);
    return v;
  }

  positiveInt(key: string): number {
    const v = this.raw(key);
    if (!Number.isInteger(v) || (v as number) < 1) throw new FormatError(`${this.where}: '${key}' must be a positive integer, got ${show(v)}`);
    return v as number;
  }

  /** An activation name (or a Keras 3 serialized function), normalised; null means linear. */
  activation(key: string, fallback: string): string {
    let v = this.raw(key);
    if (isObject(v) && typeof v.config === 'string') v = v.config;
    if (v === undefined) v = fallback;
    if (v === null) return 'linear';
    const name = typeof v === 'string' ? ACTIVATIONS[v] ?? ACTIVATIONS[v.toLowerCase()] : undefined;
    if (!name) throw new UnsupportedError(`${this.where}: activation ${show(v)} ('${key}') is not supported; supported: ${Object.keys(ACTIVATIONS).join(', ')}`);
    return name;
  }

  /** Refuses keys this reader did not consume whose value would change the result. */
  finish(): void {
    for (const [key, v] of Object.entries(this.config)) {
      if (this.used.has(key) || IGNORED.has(key) || v === null || v === false) continue;
      throw new UnsupportedError(`${this.where}: option '${key}' = ${show(v)} is not supported`);
    }
    const ufb = this.config.unit_forget_bias;
    if (ufb !== undefined && ufb !== null && typeof ufb !== 'boolean') {
      throw new FormatError(`${this.where}: 'unit_forget_bias' must be true or false, got ${show(ufb)}`);
    }
  }
}

const CELLS: Record<string, CellType> = { SimpleRNN: 'simpleRNN', LSTM: 'lstm', GRU: 'gru' };

/** Keras 3's hard_sigmoid is relu6(x + 3) / 6; Keras 2's and tfjs' is clip(0.2 x + 0.5, 0, 1). */
function actFor(name: string, flavor: Flavor): ActSpec {
  return name === 'hardSigmoid' && flavor === 'keras3' ? actSpec('hardSigmoid', 1 / 6, 0.5) : actSpec(name as ActSpec['fn']);
}

function recurrent(className: string, config: Json, flavor: Flavor, where: string): RecurrentLayer {
  const cell = CELLS[className]!;
  const r = new Reader(where, config);
  if (r.bool('stateful', false)) {
    throw new UnsupportedError(`${where}: 'stateful' layers are not supported; compile the model and keep state between calls with stream()`);
  }
  if (r.bool('time_major', false)) throw new UnsupportedError(`${where}: 'time_major' inputs are not supported (inputs are batch first)`);
  const activation = r.activation('activation', 'tanh');
  if (activation === 'softmax') throw new UnsupportedError(`${where}: softmax is not supported as a recurrent activation`);
  const options: RecurrentOptions = {
    name: config.name as string,
    units: r.positiveInt('units'),
    activation,
    useBias: r.bool('use_bias', true),
    returnSequences: r.bool('return_sequences', false),
    returnState: r.bool('return_state', false),
    goBackwards: r.bool('go_backwards', false),
  };
  const acts: RecurrentExtensions['acts'] = { g: actFor(activation, flavor), h: actFor(activation, flavor) };
  if (cell !== 'simpleRNN') {
    // tfjs-layers defaults to Keras 1's hard_sigmoid, Keras 2+ to sigmoid.
    const gate = r.activation('recurrent_activation', flavor === 'tfjs' ? 'hard_sigmoid' : 'sigmoid');
    if (gate === 'softmax') throw new UnsupportedError(`${where}: softmax is not supported as a recurrent activation`);
    options.recurrentActivation = gate;
    acts.f = actFor(gate, flavor);
  }
  if (cell === 'gru') options.resetAfter = r.bool('reset_after', flavor !== 'tfjs');
  const padZero = r.bool('zero_output_for_mask', false);
  r.finish();
  return new RecurrentLayer(cell, options, { acts, padZero });
}

function bidirectional(spec: LayerSpec, flavor: Flavor, where: string): Bidirectional {
  const r = new Reader(where, spec.config);
  const inner = r.raw('layer');
  if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) {
    throw new FormatError(`${where}: 'layer' must be { class_name, config } of the wrapped RNN, got ${show(inner)}`);
  }
  if (!CELLS[inner.class_name]) throw new UnsupportedError(`${where}: wraps a '${inner.class_name}'; expected SimpleRNN, LSTM or GRU`);
  const innerConfig = inner.config;
  const innerName = typeof innerConfig.name === 'string' ? innerConfig.name : inner.class_name.toLowerCase();
  const layer = recurrent(inner.class_name, { ...inner.config, name: innerName }, flavor, `${where} wrapped layer '${innerName}' (${inner.class_name})`);
  const back = r.raw('backward_layer');
  if (isObject(back)) {
    // A custom backward layer is fine only when it computes what the default one would.
    const bc = isObject(back.config) ? back.config : {};
    const same = back.class_name === inner.class_name && bc.go_backwards === true
      && ['units', 'activation', 'recurrent_activation', 'use_bias', 'reset_after', 'return_sequences', 'return_state']
        .every((k) => show(bc[k]) === show(innerConfig[k]));
    if (!same) throw new UnsupportedError(`${where}: a 'backward_layer' that differs from the forward layer is not supported`);
  }
  const mode = r.raw('merge_mode');
  if (mode === null) throw new UnsupportedError(`${where}: merge_mode null (separate outputs) is not supported; use concat, sum, mul or ave`);
  if (mode !== undefined && !['concat', 'sum', 'mul', 'ave'].includes(mode as string)) {
    throw new UnsupportedError(`${where}: merge_mode ${show(mode)} is not supported; expected concat, sum, mul or ave`);
  }
  r.raw('num_constants');
  r.finish();
  const bidi = new Bidirectional({ name: spec.name, layer, mergeMode: (mode ?? 'concat') as MergeMode });
  if (flavor === 'tfjs') {
    // Keras' Bidirectional forces zero_output_for_mask on both copies (what the core does); tfjs-layers'
    // does not: its masked steps repeat the previous output. A model saved by tfjs gets tfjs' results.
    // The core has no option for this, so the copies' resolved config is adjusted before anything is built.
    for (const copy of [bidi.forward, bidi.backward]) (copy.config as { padZero: boolean }).padZero = layer.config.padZero;
  }
  return bidi;
}

function dense(name: string, config: Json, flavor: Flavor, where: string): Dense {
  const r = new Reader(where, config);
  const units = r.positiveInt('units');
  const activation = r.activation('activation', 'linear');
  if (activation === 'hardSigmoid' && flavor === 'keras3') {
    throw new UnsupportedError(`${where}: Keras 3's hard_sigmoid (slope 1/6) is not supported on Dense layers`);
  }
  const useBias = r.bool('use_bias', true);
  r.finish();
  return new Dense({ name, units, activation, useBias });
}

function dropout(name: string, config: Json, where: string): Dropout {
  const r = new Reader(where, config);
  const rate = r.raw('rate');
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new FormatError(`${where}: 'rate' must be a number in [0, 1), got ${show(rate)}`);
  r.finish();
  return new Dropout({ name, rate });
}

function inputShape(spec: LayerSpec, where: string): (number | null)[] {
  const r = new Reader(where, spec.config);
  const shape = r.raw('batch_input_shape') ?? r.raw('batch_shape');
  if (!Array.isArray(shape)) throw new FormatError(`${where}: needs 'batch_input_shape' (or 'batch_shape'), got ${show(shape)}`);
  if (shape.length < 2 || shape.length > 3) {
    throw new ShapeError(`${where}: inputs must be [batch, timeSteps, features] or [batch, features], got ${show(shape)}`);
  }
  const dims = shape.slice(1);
  dims.forEach((d, i) => {
    const last = i === dims.length - 1;
    if (!((d === null && !last) || (Number.isInteger(d) && d >= 1))) {
      throw new ShapeError(`${where}: dimension ${i + 1} of ${show(shape)} must be a positive integer${last ? ' (the feature size must be known)' : ' or null'}`);
    }
  });
  const dtype = r.raw('dtype');
  const dtypeName = isObject(dtype) && isObject(dtype.config) ? dtype.config.name : dtype;
  if (dtypeName !== undefined && dtypeName !== null && dtypeName !== 'float32') {
    throw new UnsupportedError(`${where}: input dtype ${show(dtypeName)} is not supported; expected float32`);
  }
  r.raw('sparse');
  r.raw('ragged');
  r.finish();
  return dims as (number | null)[];
}

/** Builds one layer from its spec. */
export function buildLayer(spec: LayerSpec, flavor: Flavor): Built {
  const where = `layer '${spec.name}' (${spec.className})`;
  const config = { ...spec.config, name: spec.name };
  switch (spec.className) {
    case 'InputLayer':
      return { kind: 'input', shape: inputShape(spec, where) };
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      return { kind: 'layer', layer: recurrent(spec.className, config, flavor, where), takesState: true };
    case 'Bidirectional':
      return { kind: 'layer', layer: bidirectional(spec, flavor, where), takesState: true };
    case 'Dense':
      return { kind: 'layer', layer: dense(spec.name, config, flavor, where), takesState: false };
    case 'Dropout':
      return { kind: 'layer', layer: dropout(spec.name, config, where), takesState: false };
    case 'Concatenate': {
      const r = new Reader(where, config);
      const axis = r.raw('axis') ?? -1;
      if (!Number.isInteger(axis)) throw new FormatError(`${where}: 'axis' must be an integer, got ${show(axis)}`);
      r.finish();
      return { kind: 'layer', layer: new Concatenate({ name: spec.name, axis: axis as number }), takesState: false };
    }
    case 'Masking': {
      const r = new Reader(where, config);
      const maskValue = r.raw('mask_value') ?? 0;
      if (typeof maskValue !== 'number' || !Number.isFinite(maskValue)) throw new FormatError(`${where}: 'mask_value' must be a finite number, got ${show(maskValue)}`);
      r.finish();
      return { kind: 'layer', layer: new Masking({ name: spec.name, maskValue }), takesState: false };
    }
    case 'TimeDistributed': {
      // Our Dense (and Dropout) already work step by step on [batch, timeSteps, features].
      const r = new Reader(where, config);
      const inner = r.raw('layer');
      r.finish();
      if (!isObject(inner) || !isObject(inner.config)) throw new FormatError(`${where}: 'layer' must be { class_name, config }, got ${show(inner)}`);
      const innerWhere = `${where} wrapped layer (${String(inner.class_name)})`;
      if (inner.class_name === 'Dense') return { kind: 'layer', layer: dense(spec.name, { ...inner.config, name: spec.name }, flavor, innerWhere), takesState: false };
      if (inner.class_name === 'Dropout') return { kind: 'layer', layer: dropout(spec.name, { ...inner.config, name: spec.name }, innerWhere), takesState: false };
      throw new UnsupportedError(`${where}: TimeDistributed(${show(inner.class_name)}) is not supported; only Dense and Dropout`);
    }
    default:
      throw new UnsupportedError(`${where}: layer class '${spec.className}' is not supported; supported: InputLayer, SimpleRNN, LSTM, GRU, Bidirectional, Dense, Dropout, Concatenate, TimeDistributed(Dense), Masking`);
  }
}
