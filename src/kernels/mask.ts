import maskWgsl from '../../shaders/mask.wgsl?raw';
import { FieldWriter, type Program } from './program.js';
import type { StridedView } from './matmul.js';

/** apply: the Masking layer's output; set / and: write (or AND into) a recurrent node's mask slot. */
export type MaskMode = 'apply' | 'set' | 'and';
const MODE_ID: Record<MaskMode, number> = { apply: 0, set: 1, and: 2 };
const WG = 64;
/** Workgroups per row of the 2D dispatch grid (under the 65535 per-dimension limit). */
const GRID_X = 4096;

/** Keras Masking, one thread per (step, row). */
export function maskProgram(mode: MaskMode): Program {
  return {
    name: `mask ${mode}`,
    cacheKey: `mask:${MODE_ID[mode]}`,
    code: maskWgsl,
    constants: { MODE: MODE_ID[mode] },
    bindings: ['read', 'read_write', 'uniform'],
    uniformSize: 64,
  };
}

export interface MaskParams {
  T: number;
  B: number;
  F: number;
  maskValue: number;
  /** The input view (features F). */
  x: StridedView;
  /** apply: the output view. */
  y?: StridedView;
  /** set / and: where the [T][B] mask starts in the output buffer. */
  mBase?: number;
}

export function writeMaskParams(view: DataView, p: MaskParams): void {
  const y = p.y ?? { base: 0, sT: 0, sB: 0 };
  new FieldWriter(view)
    .u32(p.T, p.B, p.F, p.mBase ?? 0)
    .f32(p.maskValue)
    .u32(0, 0, 0)
    .u32(p.x.base, p.x.sT, p.x.sB, 0)
    .u32(y.base, y.sT, y.sB, 0);
}

export function maskDispatch(p: MaskParams): [number, number, number] {
  const groups = Math.ceil((p.T * p.B) / WG);
  return groups <= GRID_X ? [groups, 1, 1] : [GRID_X, Math.ceil(groups / GRID_X), 1];
}
