/**
 * Stateful streaming sessions (`compiled.stream({ batch })`): the public interface and the checks both
 * backends share. The recurrent states of every layer stay with the session between calls, so feeding
 * a sequence in chunks gives the outputs of running it whole.
 */
import { ConfigError, DisposedError, InputError, ShapeError, UnsupportedError } from './errors.js';
import { Bidirectional } from './graph/layers.js';
import type { Model } from './graph/model.js';
import { RecurrentLayer } from './graph/recurrent.js';
import { checkInputContents, checkInputForm } from './graph/inputs.js';
import { firstNonFinite, type Input, type Node, type Tensor } from './graph/tensor.js';

/** Options of `compiled.stream()`. */
export interface StreamOptions {
  /** Number of independent streams (batch rows) the session runs side by side. */
  batch: number;
}

/** A stateful session over a compiled model. Calls run in the order they are made. */
export interface StreamSession {
  readonly batch: number;
  /**
   * Feeds the next chunk: each sequence input [batch, chunk, features] with the same chunk >= 1 (any
   * chunk length, whatever the model's declared time steps), vector inputs [batch, features]. Returns
   * the model's outputs for the chunk: per-step outputs [batch, chunk, units] of returnSequences
   * outputs, and the output after the chunk's last step for the others. On WebGPU an input may be a
   * GPU buffer ({ buffer, shape }: GpuTensor), as in predict().
   */
  step(inputs: Input | Input[]): Promise<Tensor | Tensor[]>;
  /** Zeroes the state of the given rows (all rows when omitted): a new stream starts there. */
  reset(rows?: readonly number[]): Promise<void>;
  /** The states: per recurrent layer in model order, h (and c for LSTM), each [batch, units] (h: [batch, projSize] for an LSTM with a projection). */
  getState(): Promise<Tensor[]>;
  /** Replaces the states (same order and shapes as getState()). */
  setState(states: readonly Tensor[]): Promise<void>;
  /** Frees what the session holds (GPU buffers). */
  dispose(): void;
}

/** One recurrent node's place in getState() / setState(): `count` tensors ([h] or [h, c]) of [batch, sizes[i]]. */
export interface StateEntry {
  node: Node;
  units: number;
  count: number;
  /** Features of each state: [h] or [h, c]; h has projSize features for an LSTM with a projection. */
  sizes: number[];
}

/**
 * Throws unless every recurrent layer of the model can run chunk by chunk: no Bidirectional or
 * goBackwards layer (they need the whole sequence), no initial states fed as model inputs (use
 * setState()). Returns the state layout.
 */
export function streamLayout(model: Model): StateEntry[] {
  const entries: StateEntry[] = [];
  for (const node of model.nodes) {
    const layer = node.layer;
    const where = `model '${model.name}': layer '${layer.name}'`;
    if (layer instanceof Bidirectional) {
      throw new UnsupportedError(`${where} (Bidirectional) cannot stream: its backward direction needs the whole sequence; use predict()`);
    }
    if (!(layer instanceof RecurrentLayer)) continue;
    if (layer.config.goBackwards) {
      throw new UnsupportedError(`${where} (${layer.className}) has goBackwards and cannot stream: it needs the whole sequence; use predict()`);
    }
    if (node.initialState.length > 0) {
      throw new UnsupportedError(`${where} (${layer.className}) takes initial states as model inputs, which a stream cannot re-feed each chunk; build the model without them and use setState()`);
    }
    entries.push({ node, units: layer.config.units, count: layer.stateCount, sizes: layer.stateSizes });
  }
  return entries;
}

/** Checks stream()'s options; returns the batch size. */
export function checkStreamOptions(model: Model, options: StreamOptions): number {
  const batch = (options as StreamOptions | undefined)?.batch;
  if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1) {
    throw new ConfigError(`model '${model.name}': stream({ batch }) needs a positive integer batch, got ${JSON.stringify(batch)}`);
  }
  return batch;
}

/** A checked chunk: the tensors and the time steps of each input (1 for vector inputs). */
export interface Chunk<T extends Input = Tensor> {
  tensors: T[];
  steps: number[];
  /** Time steps of the sequence inputs (0 when the model has none). */
  chunk: number;
}

/**
 * Checks step()'s inputs: count, rank, batch, feature sizes, one common chunk length over the
 * sequence inputs, data length, finite values; GPU tensors (WebGPU streams: resolveGpuChunk) their
 * buffer's size, usage and map state instead of data length and values.
 */
export function resolveChunk(model: Model, given: Input | Input[], batch: number): Chunk {
  return resolve(model, given, batch, false) as Chunk;
}

/** resolveChunk for a WebGPU stream, which also takes GPU tensors. */
export function resolveGpuChunk(model: Model, given: Input | Input[], batch: number): Chunk<Input> {
  return resolve(model, given, batch, true);
}

function resolve(model: Model, given: Input | Input[], batch: number, gpu: boolean): Chunk<Input> {
  const list = Array.isArray(given) ? given : [given];
  if (list.length !== model.inputs.length) {
    throw new ShapeError(`stream of model '${model.name}': step takes ${model.inputs.length} input(s), got ${list.length}`);
  }
  let chunk = 0;
  const steps = list.map((t, i) => {
    const sym = model.inputs[i]!;
    const where = `stream of model '${model.name}': input ${i} ('${sym.name}')`;
    checkInputForm(t, where, gpu, 'a WebGPU stream');
    const seq = sym.shape.length === 2;
    const F = sym.shape[sym.shape.length - 1] as number;
    const expected = seq ? `[${batch}, chunk, ${F}]` : `[${batch}, ${F}]`;
    const ok = t.shape.length === (seq ? 3 : 2) && t.shape[0] === batch && t.shape[t.shape.length - 1] === F
      && t.shape.every((d) => Number.isInteger(d) && d >= 1);
    if (!ok) throw new ShapeError(`${where}: expected shape ${expected}, got [${t.shape.join(', ')}]`);
    checkInputContents(t, where);
    if (!seq) return 1;
    const T = t.shape[1]!;
    if (chunk !== 0 && T !== chunk) throw new ShapeError(`${where}: chunk of ${T} steps, but an earlier input has ${chunk}; all sequence inputs advance together`);
    chunk = T;
    return T;
  });
  return { tensors: list, steps, chunk };
}

/** Checks reset()'s rows. */
export function checkRows(rows: readonly number[] | undefined, batch: number): number[] {
  if (rows === undefined) return Array.from({ length: batch }, (_, i) => i);
  if (!Array.isArray(rows)) throw new InputError(`stream reset: rows must be an array of row indices, got ${typeof rows}`);
  rows.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r >= batch) throw new InputError(`stream reset: rows[${i}] must be an integer in [0, ${batch - 1}], got ${r}`);
  });
  return [...rows];
}

/** Checks setState()'s tensors against the layout. */
export function checkStates(layout: readonly StateEntry[], states: readonly Tensor[], batch: number): void {
  const expected = layout.reduce((n, e) => n + e.count, 0);
  if (!Array.isArray(states) || states.length !== expected) {
    throw new ShapeError(`stream setState: expected ${expected} state tensor(s) (${layout.map((e) => `${e.node.layer.name}: ${e.count === 2 ? 'h, c' : 'h'}`).join('; ')}), got ${Array.isArray(states) ? states.length : typeof states}`);
  }
  let k = 0;
  for (const e of layout) {
    for (let j = 0; j < e.count; j++, k++) {
      const t = states[k]!;
      const n = e.sizes[j]!;
      const where = `stream setState: state ${k} (layer '${e.node.layer.name}' ${j === 0 ? 'h' : 'c'})`;
      if (!t || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) throw new InputError(`${where}: expected { data: Float32Array, shape: number[] }`);
      if (t.shape.length !== 2 || t.shape[0] !== batch || t.shape[1] !== n || t.data.length !== batch * n) {
        throw new ShapeError(`${where}: expected shape [${batch}, ${n}] with ${batch * n} values, got [${t.shape.join(', ')}] with ${t.data.length}`);
      }
      const bad = firstNonFinite(t.data);
      if (bad >= 0) throw new InputError(`${where}: value ${t.data[bad]} at index ${bad} is not finite`);
    }
  }
}

export function disposedSession(model: Model): DisposedError {
  return new DisposedError(`stream of model '${model.name}' was disposed (or its compiled model was); start a new one with stream()`);
}
