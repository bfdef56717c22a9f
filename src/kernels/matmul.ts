import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import matmulParamsWgsl from '../../shaders/matmul_params.wgsl?raw';
import matmulRowsWgsl from '../../shaders/matmul_rows.wgsl?raw';
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
const code = withActivations(`${matmulParamsWgsl}\n${matmulWgsl}`);
const rowsCode = withActivations(`${matmulParamsWgsl}\n${matmulRowsWgsl}`);
/** matmul_rows.wgsl: columns and rows per workgroup. */
const ROWS_COLS = 256;
const ROWS_ROWS = 8;

/**
 * The matmul with an activation epilogue (softmax is applied by its own kernel): a shared-memory
 * tiled kernel on GPUs; on CPU-emulated adapters (software) matmul_rows.wgsl, which needs a quarter
 * of the loads per multiply-add there.
 */
export function matmulProgram(act: ActSpec, software = false, N = 0): Program {
  const id = act.fn === 'softmax' ? ACTIVATION_ID.linear : ACTIVATION_ID[act.fn];
  const name = act.fn === 'softmax' ? 'linear' : act.fn;
  if (software) {
    const vec = N % 4 === 0 ? 1 : 0;
    return {
      name: `matmul_rows act=${name}${vec ? '' : ' unaligned'}`,
      cacheKey: `matmul_rows:${id}:${vec}`,
      code: rowsCode,
      constants: { ACT: id, VEC_W: vec },
      bindings: ['read', 'read', 'read_write', 'uniform'],
      uniformSize: 64,
    };
  }
  return {
    name: `matmul act=${name}`,
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

export function matmulDispatch(p: MatmulParams, software = false): [number, number, number] {
  if (software) return [Math.ceil(p.N / ROWS_COLS), Math.ceil((p.T * p.B) / ROWS_ROWS), 1];
  return [Math.ceil(p.N / TILE), Math.ceil((p.T * p.B) / TILE), 1];
}
