import { InputError, ShapeError } from '../errors.js';
import type { Model } from './model.js';
import type { Tensor } from './tensor.js';
import { firstNonFinite, shapeToString } from './tensor.js';

/** What a checked set of model inputs resolved to. */
export interface ResolvedInputs {
  tensors: Tensor[];
  batch: number;
  /** Sequence length of each input (1 for rank-2 inputs). */
  timeSteps: number[];
}

/**
 * Checks predict()'s inputs against the model before any work: count, rank, sizes, a common batch,
 * data length, and that every value is finite.
 */
export function resolveInputs(model: Model, given: Tensor | Tensor[]): ResolvedInputs {
  const list = Array.isArray(given) ? given : [given];
  if (list.length !== model.inputs.length) {
    throw new ShapeError(`model '${model.name}' takes ${model.inputs.length} input(s), got ${list.length}`);
  }
  let batch = -1;
  const timeSteps: number[] = [];
  list.forEach((t, i) => {
    const sym = model.inputs[i]!;
    const where = `model '${model.name}' input ${i} ('${sym.name}')`;
    if (!t || typeof t !== 'object' || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
      throw new InputError(`${where}: expected { data: Float32Array, shape: number[] }`);
    }
    const expected = [null, ...sym.shape];
    if (t.shape.length !== expected.length) {
      throw new ShapeError(`${where}: expected rank ${expected.length} ${shapeToString(expected)} (batch first), got rank ${t.shape.length} [${t.shape.join(', ')}]`);
    }
    t.shape.forEach((d, k) => {
      if (!Number.isInteger(d) || d < 1) throw new ShapeError(`${where}: dimension ${k} must be a positive integer, got ${d}`);
      const e = expected[k];
      if (e !== null && e !== undefined && e !== d) {
        const what = k === expected.length - 1 ? 'feature size' : 'time steps';
        throw new ShapeError(`${where}: expected ${what} ${e} (shape ${shapeToString(expected)}), got ${d} (shape [${t.shape.join(', ')}])`);
      }
    });
    if (batch === -1) batch = t.shape[0]!;
    else if (t.shape[0] !== batch) {
      throw new ShapeError(`${where}: batch size ${t.shape[0]} differs from input 0's batch size ${batch}`);
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) {
      throw new InputError(`${where}: shape [${t.shape.join(', ')}] needs ${size} values, data has ${t.data.length}`);
    }
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new InputError(`${where}: value ${t.data[bad]} at flat index ${bad} is not finite`);
    timeSteps.push(t.shape.length === 3 ? t.shape[1]! : 1);
  });
  return { tensors: list, batch, timeSteps };
}
