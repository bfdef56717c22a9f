import elementwiseWgsl from '../../shaders/elementwise.wgsl?raw';
import softmaxWgsl from '../../shaders/softmax.wgsl?raw';
import { FieldWriter, type Program } from './program.js';
import type { StridedView } from './matmul.js';

export type ElementwiseOp = 'copy' | 'sum' | 'mul' | 'ave';
const OP_ID: Record<ElementwiseOp, number> = { copy: 0, sum: 1, mul: 2, ave: 3 };
const WG = 64;
/** Workgroups per row of the 2D dispatch grid (under the 65535 per-dimension limit). */
const GRID_X = 4096;

/** Copy or merge over strided views; `srcInY` reads the source from the output buffer itself. */
export function elementwiseProgram(op: ElementwiseOp, srcInY: boolean): Program {
  return {
    name: `elementwise ${op}${srcInY ? ' in-buffer' : ''}`,
    cacheKey: `elementwise:${OP_ID[op]}:${srcInY ? 1 : 0}`,
    code: elementwiseWgsl,
    constants: { OP: OP_ID[op], SRC_IN_Y: srcInY ? 1 : 0 },
    bindings: ['read', 'read', 'read_write', 'uniform'],
    uniformSize: 64,
  };
}

export interface ElementwiseParams {
  T: number;
  B: number;
  F: number;
  a: StridedView;
  c: StridedView;
  y: StridedView;
}

export function writeElementwiseParams(view: DataView, p: ElementwiseParams): void {
  const w = new FieldWriter(view).u32(p.T, p.B, p.F, 0);
  for (const v of [p.a, p.c, p.y]) w.u32(v.base, v.sT, v.sB, 0);
}

export function elementwiseDispatch(p: ElementwiseParams): [number, number, number] {
  const groups = Math.ceil((p.T * p.B * p.F) / WG);
  return groups <= GRID_X ? [groups, 1, 1] : [GRID_X, Math.ceil(groups / GRID_X), 1];
}

export const softmaxProgram: Program = {
  name: 'softmax',
  cacheKey: 'softmax',
  code: softmaxWgsl,
  constants: {},
  bindings: ['read_write', 'uniform'],
  uniformSize: 32,
};

export interface SoftmaxParams {
  T: number;
  B: number;
  F: number;
  y: StridedView;
}

export function writeSoftmaxParams(view: DataView, p: SoftmaxParams): void {
  new FieldWriter(view).u32(p.T, p.B, p.F, p.y.base, p.y.sT, p.y.sB, 0, 0);
}

export function softmaxDispatch(p: SoftmaxParams): [number, number, number] {
  return [Math.ceil((p.T * p.B) / WG), 1, 1];
}
