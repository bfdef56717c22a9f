/**
 * ONNX LSTM / GRU / RNN node attributes: parsed, defaulted and checked before anything is built.
 * Semantics follow the operator spec (opset 14-22) and, where it is vague, onnxruntime (see
 * README "Interop: ONNX").
 */
import { ConfigError, UnsupportedError } from '../errors.js';
import { type ActSpec, type Activation, actSpec } from '../graph/activations.js';

export type OnnxRecurrentOp = 'LSTM' | 'GRU' | 'RNN';
export type OnnxDirection = 'forward' | 'reverse' | 'bidirectional';

/** An attribute value as an ONNX reader gives it: numbers (or bigints) for INT/FLOAT, strings (or UTF-8 bytes), lists of those. */
export type OnnxAttributeValue = number | bigint | string | Uint8Array | readonly (number | bigint | string | Uint8Array)[];

/** The node's attributes, validated and with their defaults filled in. */
export interface OnnxRecurrentAttributes {
  op: OnnxRecurrentOp;
  direction: OnnxDirection;
  /** Number of directions: 2 for bidirectional, else 1. */
  D: number;
  layout: 0 | 1;
  /** hidden_size when given (the tensors' shapes are checked against it). */
  hiddenSize: number | null;
  clip: number | null;
  inputForget: boolean;
  linearBeforeReset: boolean;
  /** Per direction, the activations in the operator's order: LSTM [f, g, h], GRU [f, g], RNN [f]. */
  acts: ActSpec[][];
}

/** Activations per direction, and their schema defaults. */
export const ACTS_PER_DIRECTION: Record<OnnxRecurrentOp, number> = { LSTM: 3, GRU: 2, RNN: 1 };
const DEFAULT_ACTS: Record<OnnxRecurrentOp, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };

const KNOWN_ATTRIBUTES: Record<OnnxRecurrentOp, string[]> = {
  LSTM: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout'],
  GRU: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout', 'linear_before_reset'],
  RNN: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout'],
};

/** ONNX activation names (matched case-insensitively, as onnxruntime does) -> ours, and whether they take alpha / beta. */
const ONNX_ACTIVATIONS: Record<string, { fn: Activation; alpha: boolean; beta: boolean }> = {
  relu: { fn: 'relu', alpha: false, beta: false },
  tanh: { fn: 'tanh', alpha: false, beta: false },
  sigmoid: { fn: 'sigmoid', alpha: false, beta: false },
  affine: { fn: 'affine', alpha: true, beta: true },
  leakyrelu: { fn: 'leakyRelu', alpha: true, beta: false },
  thresholdedrelu: { fn: 'thresholdedRelu', alpha: true, beta: false },
  scaledtanh: { fn: 'scaledTanh', alpha: true, beta: true },
  hardsigmoid: { fn: 'hardSigmoid', alpha: true, beta: true },
  elu: { fn: 'elu', alpha: true, beta: false },
  softsign: { fn: 'softsign', alpha: false, beta: false },
  softplus: { fn: 'softplus', alpha: false, beta: false },
};

/**
 * onnxruntime's defaults when activation_alpha / activation_beta run out: LeakyRelu 0.01, HardSigmoid
 * 0.2 / 0.5, Elu 1.0, and 0 for everything else (so Affine, ScaledTanh and ThresholdedRelu default to 0,
 * unlike the standalone ONNX operators).
 */
const ORT_DEFAULTS: Record<string, [number, number]> = { leakyrelu: [0.01, 0], hardsigmoid: [0.2, 0.5], elu: [1, 0] };

const ONNX_NAMES = 'Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus';

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return undefined;
}

function intAttr(where: string, name: string, value: unknown): number {
  const v = typeof value === 'bigint' ? Number(value) : value;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ConfigError(`${where}: attribute '${name}' must be an integer, got ${describe(value)}`);
  }
  return v;
}

function floatList(where: string, name: string, value: unknown): number[] {
  if (!Array.isArray(value)) throw new ConfigError(`${where}: attribute '${name}' must be a list of floats, got ${describe(value)}`);
  return value.map((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ConfigError(`${where}: attribute '${name}'[${i}] must be a finite float, got ${describe(v)}`);
    }
    return v;
  });
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return 'bytes';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Resolves the `activations` list with `activation_alpha` / `activation_beta` the way onnxruntime
 * does: one alpha for each function that takes one (and one beta likewise), consumed in order across
 * the whole list (forward then reverse); values left over are ignored, missing ones take ORT_DEFAULTS.
 */
function parseActivations(where: string, op: OnnxRecurrentOp, D: number, attrs: Record<string, unknown>): ActSpec[][] {
  const k = ACTS_PER_DIRECTION[op];
  let names: string[];
  if (attrs.activations === undefined) {
    names = Array.from({ length: D }, () => DEFAULT_ACTS[op]).flat();
  } else {
    const list = attrs.activations;
    if (!Array.isArray(list)) throw new ConfigError(`${where}: attribute 'activations' must be a list of strings, got ${describe(list)}`);
    names = list.map((v, i) => {
      const s = text(v);
      if (s === undefined) throw new ConfigError(`${where}: attribute 'activations'[${i}] must be a string, got ${describe(v)}`);
      return s;
    });
    // RNN's schema default is ["Tanh", "Tanh"]; onnxruntime takes the first when there is one direction.
    if (op === 'RNN' && D === 1 && names.length === 2) names = names.slice(0, 1);
    if (names.length !== D * k) {
      const per = op === 'LSTM' ? '[f, g, h]' : op === 'GRU' ? '[f, g]' : '[f]';
      throw new ConfigError(`${where}: attribute 'activations' must hold ${D * k} names (${per} per direction, ${D} direction${D > 1 ? 's' : ''}), got ${names.length}`);
    }
  }
  const alphas = attrs.activation_alpha === undefined ? [] : floatList(where, 'activation_alpha', attrs.activation_alpha);
  const betas = attrs.activation_beta === undefined ? [] : floatList(where, 'activation_beta', attrs.activation_beta);
  let ai = 0, bi = 0;
  const specs = names.map((name, i) => {
    const key = name.toLowerCase();
    const entry = ONNX_ACTIVATIONS[key];
    if (!entry) {
      throw new ConfigError(`${where}: attribute 'activations'[${i}] is ${JSON.stringify(name)}, not an activation the operator defines; expected one of ${ONNX_NAMES}`);
    }
    const [da, db] = ORT_DEFAULTS[key] ?? [0, 0];
    const alpha = entry.alpha ? (ai < alphas.length ? alphas[ai++]! : da) : undefined;
    const beta = entry.beta ? (bi < betas.length ? betas[bi++]! : db) : undefined;
    return actSpec(entry.fn, alpha, beta);
  });
  return Array.from({ length: D }, (_, d) => specs.slice(d * k, (d + 1) * k));
}

/** Parses and validates a node's attributes; throws ConfigError naming the attribute. */
export function parseOnnxAttributes(op: unknown, attributes: unknown): OnnxRecurrentAttributes {
  if (op !== 'LSTM' && op !== 'GRU' && op !== 'RNN') {
    throw new UnsupportedError(`runOnnxRecurrent: op must be 'LSTM', 'GRU' or 'RNN', got ${describe(op)}`);
  }
  const where = `ONNX ${op}`;
  if (attributes !== undefined && (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))) {
    throw new ConfigError(`${where}: attributes must be an object { name: value }, got ${describe(attributes)}`);
  }
  const attrs = (attributes ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(attrs)) {
    if (attrs[key] === undefined) continue;
    if (!KNOWN_ATTRIBUTES[op].includes(key)) {
      throw new ConfigError(`${where}: unknown attribute '${key}'; ${op} takes ${KNOWN_ATTRIBUTES[op].join(', ')}`);
    }
  }

  const dirText = attrs.direction === undefined ? 'forward' : text(attrs.direction);
  if (dirText !== 'forward' && dirText !== 'reverse' && dirText !== 'bidirectional') {
    throw new ConfigError(`${where}: attribute 'direction' must be "forward", "reverse" or "bidirectional", got ${describe(attrs.direction)}`);
  }
  const D = dirText === 'bidirectional' ? 2 : 1;

  const layout = attrs.layout === undefined ? 0 : intAttr(where, 'layout', attrs.layout);
  if (layout !== 0 && layout !== 1) throw new ConfigError(`${where}: attribute 'layout' must be 0 or 1, got ${layout}`);

  let hiddenSize: number | null = null;
  if (attrs.hidden_size !== undefined) {
    hiddenSize = intAttr(where, 'hidden_size', attrs.hidden_size);
    if (hiddenSize < 1) throw new ConfigError(`${where}: attribute 'hidden_size' must be a positive integer, got ${hiddenSize}`);
  }

  let clip: number | null = null;
  if (attrs.clip !== undefined) {
    const c = attrs.clip;
    if (typeof c !== 'number' || !(c > 0) || Number.isNaN(c)) {
      throw new ConfigError(`${where}: attribute 'clip' must be a positive float, got ${describe(c)}`);
    }
    clip = Number.isFinite(c) ? c : null;
  }

  const inputForget = attrs.input_forget === undefined ? false : intAttr(where, 'input_forget', attrs.input_forget) !== 0;
  const linearBeforeReset = attrs.linear_before_reset === undefined ? false : intAttr(where, 'linear_before_reset', attrs.linear_before_reset) !== 0;
  const acts = parseActivations(where, op, D, attrs);
  return { op, direction: dirText, D, layout, hiddenSize, clip, inputForget, linearBeforeReset, acts };
}
