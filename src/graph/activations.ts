import { ConfigError } from '../errors.js';

/**
 * Activation functions. Keras / tfjs names plus the parameterised ONNX ones. `hardSigmoid` is
 * clip(alpha*x + beta, 0, 1) with alpha 0.2, beta 0.5 by default, as in tfjs and Keras 2.
 */
export type Activation =
  | 'linear' | 'relu' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'softmax'
  | 'affine' | 'leakyRelu' | 'thresholdedRelu' | 'scaledTanh' | 'elu' | 'softsign' | 'softplus';

/** An activation with its parameters (alpha, beta mean what the ONNX operator of that name says). */
export interface ActSpec {
  fn: Activation;
  alpha: number;
  beta: number;
}

/** Numeric ids shared with the WGSL kernels (shaders/common.wgsl `activate()`). */
export const ACTIVATION_ID: Record<Activation, number> = {
  linear: 0, relu: 1, sigmoid: 2, hardSigmoid: 3, tanh: 4, softmax: 5, affine: 6, leakyRelu: 7,
  thresholdedRelu: 8, scaledTanh: 9, elu: 10, softsign: 11, softplus: 12,
};

/** Default (alpha, beta) per activation. */
export const DEFAULT_PARAMS: Record<Activation, [number, number]> = {
  linear: [1, 0], relu: [0, 0], sigmoid: [0, 0], hardSigmoid: [0.2, 0.5], tanh: [0, 0], softmax: [0, 0],
  affine: [1, 0], leakyRelu: [0.01, 0], thresholdedRelu: [1, 0], scaledTanh: [1, 1], elu: [1, 0],
  softsign: [0, 0], softplus: [0, 0],
};

/** Names a Keras / tfjs user can give (the parameterised ONNX ones come through the ONNX importer). */
const KERAS_NAMES: Record<string, Activation> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', elu: 'elu',
  softsign: 'softsign', softplus: 'softplus', hardsigmoid: 'hardSigmoid', hard_sigmoid: 'hardSigmoid',
};

export function actSpec(fn: Activation, alpha?: number, beta?: number): ActSpec {
  const [a, b] = DEFAULT_PARAMS[fn];
  return { fn, alpha: alpha ?? a, beta: beta ?? b };
}

/**
 * Normalises a Keras / tfjs activation name ('hard_sigmoid', 'hardSigmoid', null = linear).
 * @param allowSoftmax softmax is a row-wise function: only dense layers take it.
 */
export function parseActivation(
  value: string | null | undefined, fallback: Activation, where: string, allowSoftmax = false,
): Activation {
  if (value === undefined) return fallback;
  if (value === null) return 'linear';
  const found = typeof value === 'string' ? KERAS_NAMES[value] ?? KERAS_NAMES[value.toLowerCase()] : undefined;
  if (!found || (found === 'softmax' && !allowSoftmax)) {
    const allowed = [...new Set(Object.values(KERAS_NAMES))].filter((a) => allowSoftmax || a !== 'softmax');
    throw new ConfigError(`${where}: unknown activation ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}`);
  }
  return found;
}
