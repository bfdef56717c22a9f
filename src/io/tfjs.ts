/**
 * TensorFlow.js LayersModel importer: model.json (Keras topology + weightsManifest) and its weight
 * shards -> a Model with its weights set. Everything is checked before the model exists, so nothing
 * malformed reaches a backend.
 */
import { FormatError, WeightError } from '../errors.js';
import type { Layer } from '../graph/layer.js';
import { Bidirectional, Concatenate } from '../graph/layers.js';
import { type Model, input, model } from '../graph/model.js';
import type { SymbolicTensor } from '../graph/tensor.js';
import { buildLayer, type Built } from './tfjs-layers.js';
import { type TensorRef, type Topology, parseModelJson, readTopology } from './tfjs-topology.js';
import { type ManifestEntry, type WeightData, concatWeights, decodeEntry, layoutWeights, readManifest } from './tfjs-weights.js';

/** What `loadLayersModel` reads: model.json (object or text) and the weight shards' bytes. */
export interface LayersModelSource {
  /** The parsed model.json, or its text: `{ modelTopology, weightsManifest }`. */
  modelJson: object | string;
  /** The shards named by weightsManifest[*].paths, concatenated in that order, or one buffer per path. */
  weights: WeightData;
}

/**
 * Loads a TensorFlow.js LayersModel (what `model.save()` and `tensorflowjs_converter` write) into a
 * Model, weights set. Sequential and functional models of InputLayer, SimpleRNN, LSTM, GRU (both
 * reset_after), Bidirectional, Dense, Dropout, Concatenate, TimeDistributed(Dense) and Masking.
 * Throws FormatError (malformed file), UnsupportedError (layer, option or dtype this runtime lacks),
 * WeightError (missing or mis-shaped weights) or ShapeError, each naming the layer or tensor.
 * @example
 * const net = await loadLayersModel({ modelJson: JSON.parse(modelJsonText), weights: shardBytes });
 * const run = await (await createRuntime()).compile(net);
 * const y = await run.predict({ data: new Float32Array(10), shape: [1, 10, 1] });
 */
export async function loadLayersModel(source: LayersModelSource): Promise<Model> {
  if (typeof source !== 'object' || source === null) {
    throw new FormatError('loadLayersModel: expected { modelJson, weights }');
  }
  const json = parseModelJson(source.modelJson);
  const topology = readTopology(json);
  const { entries } = readManifest(json);
  if (source.weights === undefined || source.weights === null) {
    throw new FormatError("loadLayersModel: 'weights' is missing (the concatenated weight shards, or one ArrayBuffer per shard)");
  }
  const data = concatWeights(source.weights);
  layoutWeights(entries, data);
  const { net, byName } = assemble(topology);
  assignWeights(topology, byName, entries, data);
  return net;
}

/**
 * Fetches model.json from `url` and its shards from the paths it names (relative to the URL), then
 * loads it as `loadLayersModel` does. Works wherever `fetch` exists (browsers, Node 18+).
 * @example
 * const net = await loadLayersModelFromUrl('https://example.com/model/model.json');
 */
export async function loadLayersModelFromUrl(url: string | URL, options: { fetch?: typeof fetch; init?: RequestInit } = {}): Promise<Model> {
  const get = options.fetch ?? globalThis.fetch;
  if (typeof get !== 'function') throw new FormatError('loadLayersModelFromUrl: no fetch() here; pass options.fetch');
  const base = new URL(String(url), typeof location === 'undefined' ? undefined : location.href);
  const load = async (u: URL) => {
    const res = await get(u.href, options.init);
    if (!res.ok) throw new FormatError(`loadLayersModelFromUrl: fetching ${u.href} failed: HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  const modelJson = parseModelJson(await (await load(base)).text());
  const { paths } = readManifest(modelJson);
  const weights = await Promise.all(paths.map(async (p) => (await load(new URL(p, base))).arrayBuffer()));
  return loadLayersModel({ modelJson, weights });
}

/** Builds the layers and connects them in the order the nodes' inputs become available (as Keras does). */
function assemble(topology: Topology): { net: Model; byName: Map<string, Built> } {
  const byName = new Map<string, Built>();
  for (const spec of topology.layers) byName.set(spec.name, buildLayer(spec, topology.flavor));
  // produced[layer][node] = that node's output tensors
  const produced = new Map<string, SymbolicTensor[][]>();
  const inputs = new Map<string, SymbolicTensor>();
  for (const spec of topology.layers) {
    const b = byName.get(spec.name)!;
    if (b.kind === 'input') {
      const t = input({ shape: b.shape, name: spec.name });
      inputs.set(spec.name, t);
      produced.set(spec.name, [[t]]);
    }
  }
  const lookup = (ref: TensorRef, where: string): SymbolicTensor | undefined => {
    if (!byName.has(ref.layer)) throw new FormatError(`${where} reads layer '${ref.layer}', which the model does not define`);
    const outs = produced.get(ref.layer)?.[ref.node];
    if (!outs) return undefined;
    const t = outs[ref.tensor];
    if (!t) throw new FormatError(`${where} reads output ${ref.tensor} of layer '${ref.layer}', which has ${outs.length} output(s)`);
    return t;
  };
  const next = new Map<string, number>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const spec of topology.layers) {
      const b = byName.get(spec.name)!;
      if (b.kind !== 'layer') continue;
      for (let k = next.get(spec.name) ?? 0; k < spec.nodes.length; k = next.get(spec.name)!) {
        const node = spec.nodes[k]!;
        const where = `layer '${spec.name}' (${spec.className}) node ${k}`;
        const xs = node.inputs.map((r) => lookup(r, where));
        const init = node.initialState.map((r) => lookup(r, where));
        if ([...xs, ...init].some((t) => t === undefined)) break;
        let args = xs as SymbolicTensor[], state = init as SymbolicTensor[];
        if (!(b.layer instanceof Concatenate) && !b.takesState && args.length !== 1) {
          throw new FormatError(`${where}: takes 1 input tensor, got ${args.length}`);
        }
        if (b.takesState) {
          state = [...args.slice(1), ...state];
          args = args.slice(0, 1);
        } else if (state.length > 0) {
          throw new FormatError(`${where}: only recurrent layers take an initial_state`);
        }
        const out = b.layer.apply(b.layer instanceof Concatenate ? args : args[0]!, state.length ? { initialState: state } : {});
        const list = produced.get(spec.name) ?? [];
        list.push(Array.isArray(out) ? out : [out]);
        produced.set(spec.name, list);
        next.set(spec.name, k + 1);
        progress = true;
      }
    }
  }
  for (const spec of topology.layers) {
    const k = next.get(spec.name) ?? 0;
    if (byName.get(spec.name)!.kind === 'layer' && k < spec.nodes.length) {
      const missing = [...spec.nodes[k]!.inputs, ...spec.nodes[k]!.initialState].find((r) => !lookup(r, `layer '${spec.name}'`))!;
      throw new FormatError(`layer '${spec.name}' (${spec.className}) node ${k} reads node ${missing.node} of layer '${missing.layer}', which is never computed (a cycle or a dangling reference)`);
    }
  }
  const resolve = (r: TensorRef, what: string) => {
    const t = lookup(r, `model ${what}`);
    if (!t) throw new FormatError(`model ${what} is node ${r.node} of layer '${r.layer}', which is never computed`);
    return t;
  };
  const ins = topology.inputs.map((r, i) => {
    const t = resolve(r, `input ${i}`);
    if (!inputs.has(r.layer)) throw new FormatError(`model input ${i} names layer '${r.layer}', which is not an InputLayer`);
    return t;
  });
  const outs = topology.outputs.map((r, i) => resolve(r, `output ${i}`));
  return { net: model({ inputs: ins, outputs: outs, name: topology.name }), byName };
}

/** What a manifest entry says about itself: which weight (kernel / recurrent_kernel / bias) and direction. */
function roleOf(path: readonly string[], from: number): { role: string; direction: 'forward' | 'backward' | null } {
  const rest = path.slice(from);
  const direction = rest.slice(0, -1).some((s) => s.startsWith('forward')) ? 'forward'
    : rest.slice(0, -1).some((s) => s.startsWith('backward')) ? 'backward' : null;
  return { role: path[path.length - 1]!, direction };
}

/** The weights a layer needs, as (role, direction, shape), from its weightSpecs. */
function needs(layer: Layer): { role: string; direction: 'forward' | 'backward' | null; shape: number[]; name: string }[] {
  return layer.weightSpecs().map((s) => {
    const parts = s.name.split('/');
    const direction = layer instanceof Bidirectional ? (parts[1]!.startsWith('forward_') ? 'forward' : 'backward') : null;
    return { role: parts[parts.length - 1]!, direction, shape: s.shape, name: s.name };
  });
}

/**
 * Matches manifest entries to layers by name: an entry belongs to the layer whose name is one of its
 * path segments (`lstm/kernel` in tfjs, `lstm/lstm_cell/kernel` in Keras 2, `bidirectional/forward_lstm/...`),
 * and to a weight by its last segment. When no entry names a layer (bare `kernel`, `bias`), entries are
 * taken in file order, which is Keras' `model.weights` order.
 */
function assignWeights(topology: Topology, byName: Map<string, Built>, entries: ManifestEntry[], data: Uint8Array): void {
  const withWeights = topology.layers
    .map((s) => ({ spec: s, b: byName.get(s.name)! }))
    .filter((x): x is { spec: typeof x.spec; b: Extract<Built, { kind: 'layer' }> } => x.b.kind === 'layer' && x.b.layer.weightCount > 0);
  const owner = (e: ManifestEntry): { layer: string; at: number } | null => {
    for (let i = 0; i < e.path.length - 1; i++) if (byName.get(e.path[i]!)?.kind === 'layer') return { layer: e.path[i]!, at: i };
    return null;
  };
  const anyNamed = entries.some((e) => owner(e) !== null);
  let cursor = 0;
  for (const { spec, b } of withWeights) {
    const where = `layer '${spec.name}' (${spec.className})`;
    const mine = anyNamed ? entries.filter((e) => owner(e)?.layer === spec.name) : null;
    const used = new Set<ManifestEntry>();
    const values = needs(b.layer).map((need) => {
      let entry: ManifestEntry | undefined;
      if (mine) {
        const found = mine.filter((e) => {
          const r = roleOf(e.path, owner(e)!.at + 1);
          return r.role === need.role && (need.direction === null || r.direction === need.direction);
        });
        if (found.length > 1) throw new WeightError(`${where}: weight '${need.name}' matches several manifest entries: ${found.map((e) => e.name).join(', ')}`);
        entry = found[0];
        if (!entry) {
          const have = mine.length ? mine.map((e) => `'${e.name}'`).join(', ') : 'none';
          throw new WeightError(`${where}: missing weight ${need.direction ? `${need.direction} ` : ''}'${need.role}' [${need.shape}] (expected as '${need.name}'); the manifest's entries for this layer: ${have}`);
        }
      } else {
        entry = entries[cursor++];
        if (!entry) throw new WeightError(`${where}: missing weight '${need.role}' [${need.shape}]: the manifest has only ${entries.length} entries`);
        if (entry.path[entry.path.length - 1] !== need.role) {
          throw new WeightError(`${where}: expected weight '${need.role}' [${need.shape}] next in the manifest, found '${entry.name}'`);
        }
      }
      used.add(entry);
      if (entry.shape.length !== need.shape.length || entry.shape.some((d, i) => d !== need.shape[i])) {
        throw new WeightError(`${where}: weight '${entry.name}' has shape [${entry.shape}], expected [${need.shape}]`);
      }
      return decodeEntry(entry, data, where);
    });
    const stray = mine?.find((e) => !used.has(e));
    if (stray) throw new WeightError(`${where}: manifest entry '${stray.name}' [${stray.shape}] matches none of the layer's weights (${needs(b.layer).map((n) => n.name).join(', ')})`);
    b.layer.setWeights(values);
  }
  if (!anyNamed && cursor < entries.length) {
    throw new WeightError(`the manifest has ${entries.length} weight entries, the model uses ${cursor}; first unused: '${entries[cursor]!.name}'`);
  }
}
