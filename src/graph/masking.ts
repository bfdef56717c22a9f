import { ConfigError, ShapeError } from '../errors.js';
import { type BaseLayerOptions, Layer, type WeightSpec, checkOptionKeys } from './layer.js';
import { type Shape, shapeToString } from './tensor.js';

export interface MaskingOptions extends BaseLayerOptions {
  /** A time step whose features all equal this value is skipped by the recurrent layers downstream (default 0). */
  maskValue?: number;
}

/**
 * Keras' Masking layer: step t of row b is valid when any feature differs from `maskValue`; the
 * output is the input with invalid steps zeroed, and the mask travels with it to the recurrent
 * layers downstream (through returnSequences recurrent layers, Dropout, Dense and Concatenate, and
 * into both directions of a Bidirectional), which skip the invalid steps.
 */
export class Masking extends Layer<false> {
  readonly className = 'Masking';
  readonly maskValue: number;

  constructor(options: MaskingOptions = {}) {
    super('masking', options ?? {});
    const where = `layer '${this.name}' (Masking)`;
    checkOptionKeys(where, options ?? {}, ['maskValue']);
    const v = options?.maskValue ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ConfigError(`${where}: 'maskValue' must be a finite number, got ${JSON.stringify(v)}`);
    }
    this.maskValue = v;
  }

  weightSpecs(): WeightSpec[] {
    return [];
  }

  protected computeOutputShapes(inputs: Shape[]): Shape[] {
    const shape = inputs[0]!;
    if (shape.length !== 2 || typeof shape[1] !== 'number') {
      throw new ShapeError(`layer '${this.name}' (Masking): expected a sequence input [batch, timeSteps, features] with known features, got [batch, ${shape.map((d) => (d === null ? 'null' : d)).join(', ')}] (${shapeToString(shape)} without batch)`);
    }
    return [shape];
  }
}
