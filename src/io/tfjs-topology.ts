/**
 * model.json topology -> one normalised description, whatever wrote it: tfjs-layers (`model.save`),
 * `tensorflowjs_converter` from Keras 2 (`model_config` wrapper, list-style `inbound_nodes`) or Keras 3
 * (`args` / `keras_history` nodes, `batch_shape`). Sequential models become the same layer-and-node
 * form as functional ones. Everything is validated here; nothing is built yet.
 */
import { FormatError, UnsupportedError } from '../errors.js';

export type Json = Record<string, unknown>;

/** Who wrote the file: decides the defaults Keras and tfjs disagree on (recurrent_activation, reset_after, hard_sigmoid). */
export type Flavor = 'tfjs' | 'keras2' | 'keras3';

/** A reference to output `tensor` of the `node`-th application of layer `layer`. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/** One application of a layer: its input tensors and initial states passed by keyword. */
export interface NodeSpec {
  inputs: TensorRef[];
  initialState: TensorRef[];
}

export interface LayerSpec {
  name: string;
  className: string;
  config: Json;
  nodes: NodeSpec[];
}

export interface Topology {
  name: string;
  flavor: Flavor;
  /** In file order, which is Keras' `model.layers` (and so `model.weights`) order. */
  layers: LayerSpec[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short rendering of a JSON value for error messages. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Parses model.json text or passes an object through; malformed JSON is a FormatError. */
export function parseModelJson(modelJson: unknown): Json {
  let value = modelJson;
  if (typeof modelJson === 'string') {
    try {
      value = JSON.parse(modelJson);
    } catch (e) {
      throw new FormatError(`model.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(value)) throw new FormatError(`model.json must be a JSON object with 'modelTopology' and 'weightsManifest', got ${show(value)}`);
  return value;
}

function flavorOf(modelJson: Json, topology: Json): Flavor {
  const version = String(topology.keras_version ?? modelJson.keras_version ?? '');
  if (version.startsWith('tfjs')) return 'tfjs';
  if (/^3\./.test(version) || /keras v?3\./i.test(String(modelJson.generatedBy ?? ''))) return 'keras3';
  return 'keras2';
}

/** Reads `modelJson.modelTopology` (unwrapping the converter's `model_config`) into a Topology. */
export function readTopology(modelJson: Json): Topology {
  const outer = modelJson.modelTopology;
  if (!isObject(outer)) {
    throw new FormatError(`model.json: 'modelTopology' must be an object (a Keras model config), got ${show(outer)}`);
  }
  const top = isObject(outer.model_config) ? outer.model_config : outer;
  let flavor = flavorOf(modelJson, outer);
  const cls = top.class_name;
  if (typeof cls !== 'string') throw new FormatError(`modelTopology: 'class_name' must be a string, got ${show(cls)}`);
  if (cls === 'Sequential') return readSequential(top.config, flavor);
  if (cls === 'Model' || cls === 'Functional') {
    const t = readFunctional(top.config);
    // Keras 3 files sometimes carry no keras_version; their node format gives them away.
    if (t.keras3Nodes && flavor === 'keras2') flavor = 'keras3';
    return { ...t, flavor };
  }
  throw new UnsupportedError(`modelTopology: model class '${cls}' is not supported; expected Sequential, Functional or Model`);
}

function layerList(config: unknown, where: string): unknown[] {
  // Keras < 2.2 wrote a Sequential's config as the bare list of layers.
  const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(list)) throw new FormatError(`${where}: 'config.layers' must be an array of layers, got ${show(list)}`);
  return list;
}

function layerHead(raw: unknown, index: number, where: string): { name: string; className: string; config: Json } {
  if (!isObject(raw)) throw new FormatError(`${where}: layers[${index}] must be an object with 'class_name' and 'config', got ${show(raw)}`);
  const className = raw.class_name;
  if (typeof className !== 'string') throw new FormatError(`${where}: layers[${index}].class_name must be a string, got ${show(className)}`);
  const config = raw.config ?? {};
  if (!isObject(config)) throw new FormatError(`${where}: layers[${index}] (${className}).config must be an object, got ${show(config)}`);
  const name = raw.name ?? config.name;
  if (typeof name !== 'string' || name === '') throw new FormatError(`${where}: layers[${index}] (${className}) has no name`);
  return { name, className, config };
}

function readSequential(config: unknown, flavor: Flavor): Topology {
  const where = 'modelTopology (Sequential)';
  const list = layerList(config, where);
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  if (list.length === 0) throw new FormatError(`${where}: the model has no layers`);
  const heads = list.map((raw, i) => layerHead(raw, i, where));
  const layers: LayerSpec[] = [];
  let prev: TensorRef;
  const first = heads[0]!;
  if (first.className === 'InputLayer') {
    layers.push({ ...first, nodes: [] });
    heads.shift();
  } else {
    // tfjs and Keras 2 put batch_input_shape on the first layer; Keras 3 puts build_input_shape on the model.
    const inner = isObject(first.config.layer) && isObject(first.config.layer.config) ? first.config.layer.config : {};
    const shape = first.config.batch_input_shape ?? first.config.batch_shape ?? inner.batch_input_shape ?? inner.batch_shape
      ?? (isObject(config) ? config.build_input_shape : undefined)
      ?? (isObject(list[0]) && isObject(list[0].build_config) ? list[0].build_config.input_shape : undefined);
    if (shape === undefined) {
      throw new FormatError(`${where}: the first layer '${first.name}' (${first.className}) has no batch_input_shape, and there is no InputLayer`);
    }
    layers.push({ name: `${first.name}_input`, className: 'InputLayer', config: { batch_input_shape: shape }, nodes: [] });
  }
  prev = { layer: layers[0]!.name, node: 0, tensor: 0 };
  for (const h of heads) {
    if (h.className === 'InputLayer') throw new FormatError(`${where}: InputLayer '${h.name}' may only come first`);
    layers.push({ ...h, nodes: [{ inputs: [prev], initialState: [] }] });
    prev = { layer: h.name, node: 0, tensor: 0 };
  }
  return { name, flavor, layers, inputs: [{ layer: layers[0]!.name, node: 0, tensor: 0 }], outputs: [prev] };
}

function readFunctional(config: unknown): Omit<Topology, 'flavor'> & { keras3Nodes: boolean } {
  const where = 'modelTopology (Functional)';
  if (!isObject(config)) throw new FormatError(`${where}: 'config' must be an object, got ${show(config)}`);
  const list = layerList(config, where);
  const name = typeof config.name === 'string' ? config.name : 'model';
  let keras3Nodes = false;
  const seen = new Set<string>();
  const layers = list.map((raw, i): LayerSpec => {
    const head = layerHead(raw, i, where);
    if (seen.has(head.name)) throw new FormatError(`${where}: two layers are named '${head.name}'`);
    seen.add(head.name);
    const inbound = (raw as Json).inbound_nodes ?? [];
    if (!Array.isArray(inbound)) throw new FormatError(`${where}: layer '${head.name}'.inbound_nodes must be an array, got ${show(inbound)}`);
    const nodes = inbound.map((n, k) => {
      if (isObject(n)) keras3Nodes = true;
      return readNode(n, `${where}: layer '${head.name}' inbound node ${k}`);
    });
    return { ...head, nodes };
  });
  const inputs = readRefList(config.input_layers, `${where}: input_layers`);
  const outputs = readRefList(config.output_layers, `${where}: output_layers`);
  if (inputs.length === 0) throw new FormatError(`${where}: input_layers is empty`);
  if (outputs.length === 0) throw new FormatError(`${where}: output_layers is empty`);
  return { name, layers, inputs, outputs, keras3Nodes };
}

/** [name, nodeIndex, tensorIndex(, kwargs)] or a Keras 3 `__keras_tensor__` object. */
function readRef(v: unknown, where: string): TensorRef {
  const triple = isObject(v) && isObject(v.config) && Array.isArray(v.config.keras_history) ? v.config.keras_history : v;
  if (!Array.isArray(triple) || triple.length < 3) throw new FormatError(`${where}: expected a tensor reference [layerName, nodeIndex, tensorIndex], got ${show(v)}`);
  const [layer, node, tensor] = triple;
  if (typeof layer !== 'string' || !Number.isInteger(node) || (node as number) < 0 || !Number.isInteger(tensor) || (tensor as number) < 0) {
    throw new FormatError(`${where}: expected a tensor reference [layerName, nodeIndex, tensorIndex], got ${show(v)}`);
  }
  return { layer, node: node as number, tensor: tensor as number };
}

function isRef(v: unknown): boolean {
  return (Array.isArray(v) && typeof v[0] === 'string') || (isObject(v) && v.class_name === '__keras_tensor__');
}

/** input_layers / output_layers: a list of references, one bare reference, or (Keras 3) a dict of them. */
function readRefList(v: unknown, where: string): TensorRef[] {
  if (isRef(v)) return [readRef(v, where)];
  const list = Array.isArray(v) ? v : isObject(v) ? Object.values(v) : undefined;
  if (!list) throw new FormatError(`${where}: expected a list of [layerName, nodeIndex, tensorIndex], got ${show(v)}`);
  return list.map((r, i) => readRef(r, `${where}[${i}]`));
}

function refsIn(v: unknown, where: string): TensorRef[] {
  if (v === null || v === undefined) return [];
  if (isRef(v)) return [readRef(v, where)];
  if (Array.isArray(v)) return v.flatMap((x, i) => refsIn(x, `${where}[${i}]`));
  throw new FormatError(`${where}: expected tensor references, got ${show(v)}`);
}

function readKwargs(kwargs: unknown, where: string): TensorRef[] {
  if (kwargs === undefined || kwargs === null) return [];
  if (!isObject(kwargs)) throw new FormatError(`${where}: call kwargs must be an object, got ${show(kwargs)}`);
  if (kwargs.mask !== undefined && kwargs.mask !== null) {
    throw new UnsupportedError(`${where}: an explicit 'mask' tensor argument is not supported (use a Masking layer)`);
  }
  if (kwargs.constants !== undefined && kwargs.constants !== null) {
    throw new UnsupportedError(`${where}: RNN 'constants' are not supported`);
  }
  return refsIn(kwargs.initial_state, `${where}: initial_state`);
}

function readNode(n: unknown, where: string): NodeSpec {
  if (Array.isArray(n)) {
    // tfjs / Keras 2: [[name, nodeIndex, tensorIndex, kwargs], ...]; extra entries of an RNN are its initial states.
    const inputs = n.map((r, i) => readRef(r, `${where}[${i}]`));
    const initialState = n.flatMap((r, i) => (Array.isArray(r) && r.length > 3 ? readKwargs(r[3], `${where}[${i}]`) : []));
    return { inputs, initialState };
  }
  if (isObject(n)) {
    // Keras 3: { args: [x or [x1, x2]], kwargs: { initial_state, mask, training } }.
    const args = n.args ?? [];
    if (!Array.isArray(args) || args.length === 0) throw new FormatError(`${where}: 'args' must be a non-empty list, got ${show(args)}`);
    const inputs = refsIn(args[0], `${where}: args[0]`);
    if (inputs.length === 0) throw new FormatError(`${where}: args[0] holds no tensor`);
    const extra = args.slice(1).flatMap((a, i) => refsIn(a, `${where}: args[${i + 1}]`));
    return { inputs, initialState: [...extra, ...readKwargs(n.kwargs, where)] };
  }
  throw new FormatError(`${where}: expected a list of tensor references or { args, kwargs }, got ${show(n)}`);
}
