import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import { ACTIVATION_ID, type ActSpec } from '../graph/activations.js';
import { FieldWriter, type Program, withActivations } from './program.js';

/** A strided view: element (t, b, f) at base + t*sT + b*sB + f (in f32 elements). */
export interface StridedView {
  base: number;
  sT: number;
  sB: number;
}

export interface MatmulParams {
  /** Rows are (t, b) pairs, r = t * B + b. */
  T: number;
  B: number;
  K: number;
  N: number;
  x: StridedView;
  y: StridedView;
  hasBias: boolean;
  act: ActSpec;
}

const TILE = 32;
const code = withActivations(matmulWgsl);

/** The tiled matmul with an activation epilogue (softmax is applied by its own kernel). */
export function matmulProgram(act: ActSpec): Program {
  const id = act.fn === 'softmax' ? ACTIVATION_ID.linear : ACTIVATION_ID[act.fn];
  return {
    name: `matmul act=${act.fn === 'softmax' ? 'linear' : act.fn}`,
    cacheKey: `matmul:${id}`,
    code,
    constants: { ACT: id },
    bindings: ['read', 'read', 'read_write', 'uniform'],
    uniformSize: 64,
  };
}

export function writeMatmulParams(view: DataView, p: MatmulParams): void {
  new FieldWriter(view)
    .u32(p.T * p.B, p.K, p.N, p.B)
    .u32(p.x.base, p.x.sT, p.x.sB, p.hasBias ? 1 : 0)
    .u32(p.y.base, p.y.sT, p.y.sB, 0)
    .f32(p.act.alpha, p.act.beta)
    .u32(0, 0);
}

export function matmulDispatch(p: MatmulParams): [number, number, number] {
  return [Math.ceil(p.N / TILE), Math.ceil((p.T * p.B) / TILE), 1];
}
