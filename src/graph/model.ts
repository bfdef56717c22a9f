import { ConfigError, ShapeError, WeightError } from '../errors.js';
import { InputLayer, checkInputShape } from './layers.js';
import { Layer } from './layer.js';
import { type Node, SymbolicTensor, shapeToString } from './tensor.js';

export interface InputOptions {
  /** Sample shape without batch: [timeSteps, features] (timeSteps may be null) or [features]. */
  shape: (number | null)[];
  name?: string;
}

/**
 * A model input placeholder (Keras' `Input`).
 * @example
 * const x = input({ shape: [10, 1] });
 */
export function input(options: InputOptions): SymbolicTensor {
  if (typeof options !== 'object' || options === null) throw new ShapeError('input(): expected { shape }');
  const layer = new InputLayer({ name: options.name });
  const shape = checkInputShape(`input '${layer.name}'`, options.shape);
  const t = new SymbolicTensor(shape, layer.name);
  // Input tensors have no producing node: backends read them from predict()'s arguments.
  return t;
}

/**
 * A directed acyclic graph of layers from `inputs` to `outputs` (Keras' functional Model).
 * `nodes` are in execution order; `layers` in Keras order (the order of getWeights()).
 */
export class Model {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  readonly nodes: readonly Node[];
  readonly layers: readonly Layer[];
  readonly name: string;

  constructor(inputs: SymbolicTensor[], outputs: SymbolicTensor[], name = 'model') {
    this.name = name;
    if (inputs.length === 0) throw new ConfigError(`model '${name}': needs at least one input`);
    if (outputs.length === 0) throw new ConfigError(`model '${name}': needs at least one output`);
    inputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor) || t.node) {
        throw new ConfigError(`model '${name}': input ${i} must be a tensor made by input({ shape })`);
      }
    });
    outputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw new ConfigError(`model '${name}': output ${i} is not a symbolic tensor`);
    });
    this.inputs = inputs;
    this.outputs = outputs;
    const inputIds = new Set(inputs.map((t) => t.id));
    const order: Node[] = [];
    const state = new Map<Node, 'visiting' | 'done'>();
    const visit = (t: SymbolicTensor, consumer: string) => {
      if (inputIds.has(t.id)) return;
      const node = t.node;
      if (!node) {
        throw new ConfigError(`model '${name}': tensor '${t.name}' used by ${consumer} is not computed from the model's inputs (the graph is disconnected)`);
      }
      const s = state.get(node);
      if (s === 'done') return;
      if (s === 'visiting') throw new ConfigError(`model '${name}': the graph has a cycle at layer '${node.layer.name}'`);
      state.set(node, 'visiting');
      for (const x of [...node.inputs, ...node.initialState]) visit(x, `layer '${node.layer.name}'`);
      state.set(node, 'done');
      order.push(node);
    };
    outputs.forEach((t, i) => visit(t, `output ${i}`));
    this.nodes = order;
    this.layers = kerasLayerOrder(order, outputs);
  }

  /** All weights in Keras order and layout (layer by layer: kernel, recurrent_kernel, bias). */
  getWeights(): Float32Array[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Sets all weights from a flat list in the order getWeights() returns. Validates everything before changing anything. */
  setWeights(weights: readonly Float32Array[]): void {
    if (!Array.isArray(weights)) throw new WeightError(`model '${this.name}': setWeights takes an array of Float32Array`);
    const expected = this.layers.reduce((n, l) => n + l.weightCount, 0);
    if (weights.length !== expected) {
      const detail = this.layers.filter((l) => l.weightCount > 0).map((l) => `${l.name}: ${l.weightCount}`).join(', ');
      throw new WeightError(`model '${this.name}': expected ${expected} weight arrays (${detail}), got ${weights.length}`);
    }
    const backup = this.layers.map((l) => (l.weightCount > 0 ? l.getWeights() : []));
    let k = 0;
    try {
      for (const l of this.layers) {
        const n = l.weightCount;
        if (n > 0) l.setWeights(weights.slice(k, k + n));
        k += n;
      }
    } catch (e) {
      this.layers.forEach((l, i) => { if (l.weightCount > 0) l.setWeights(backup[i]!); });
      throw e;
    }
  }

  /** One line per layer: name, class, output shapes, weight count. */
  summary(): string {
    const lines = this.nodes.map((n) => {
      const outs = n.outputs.map((o) => shapeToString([null, ...o.shape])).join(' ');
      const params = n.layer.weightCount > 0 ? n.layer.getWeights().reduce((a, w) => a + w.length, 0) : 0;
      return `${n.layer.name.padEnd(28)} ${n.layer.className.padEnd(14)} ${outs.padEnd(24)} ${params}`;
    });
    return lines.join('\n');
  }
}

/**
 * Keras orders a functional model's layers by decreasing depth from the outputs, ties broken by the
 * order a depth-first walk met them; this reproduces that so getWeights() lines up with Keras / tfjs.
 */
function kerasLayerOrder(nodes: readonly Node[], outputs: readonly SymbolicTensor[]): Layer[] {
  const depth = new Map<Node, number>();
  for (const o of outputs) if (o.node) depth.set(o.node, Math.max(depth.get(o.node) ?? 0, 0));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const d = depth.get(node) ?? 0;
    for (const x of [...node.inputs, ...node.initialState]) {
      if (x.node) depth.set(x.node, Math.max(depth.get(x.node) ?? 0, d + 1));
    }
  }
  const layerDepth = new Map<Layer, number>();
  const firstSeen = new Map<Layer, number>();
  nodes.forEach((n, i) => {
    layerDepth.set(n.layer, Math.max(layerDepth.get(n.layer) ?? 0, depth.get(n) ?? 0));
    if (!firstSeen.has(n.layer)) firstSeen.set(n.layer, i);
  });
  return [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
}

/** Options of `model()`. */
export interface ModelOptions {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/**
 * A functional model from inputs to outputs.
 * @example
 * const a = input({ shape: [10, 1] }), b = input({ shape: [10, 1] });
 * const joined = layers.concatenate().apply([layers.lstm({ units: 50 }).apply(a), layers.lstm({ units: 50 }).apply(b)]);
 * const net = model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(joined) });
 */
export function model(options: ModelOptions): Model {
  if (typeof options !== 'object' || options === null) throw new ConfigError('model(): expected { inputs, outputs }');
  const ins = Array.isArray(options.inputs) ? options.inputs : [options.inputs];
  const outs = Array.isArray(options.outputs) ? options.outputs : [options.outputs];
  return new Model(ins, outs, options.name);
}

/**
 * A linear stack of layers (Keras' Sequential). The first layer needs `inputShape`.
 * @example
 * const net = sequential([
 *   layers.lstm({ units: 50, returnSequences: true, inputShape: [10, 1] }),
 *   layers.lstm({ units: 50 }),
 *   layers.dense({ units: 1 }),
 * ]);
 */
export function sequential(list: Layer[], options: { name?: string } = {}): Model {
  const name = options.name ?? 'sequential';
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`sequential '${name}': needs a non-empty array of layers`);
  list.forEach((l, i) => {
    if (!(l instanceof Layer)) throw new ConfigError(`sequential '${name}': element ${i} is not a layer`);
  });
  const first = list[0]!;
  if (!first.inputShape) {
    throw new ConfigError(`sequential '${name}': the first layer '${first.name}' needs inputShape, e.g. { inputShape: [timeSteps, features] }`);
  }
  const x = input({ shape: [...first.inputShape], name: `${name}_input` });
  let y: SymbolicTensor = x;
  for (const l of list) {
    const out = l.apply(y);
    if (Array.isArray(out)) {
      throw new ConfigError(`sequential '${name}': layer '${l.name}' has ${out.length} outputs (returnState?); a sequential model needs one output per layer`);
    }
    y = out;
  }
  return new Model([x], [y], name);
}
