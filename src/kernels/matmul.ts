import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import matmulParamsWgsl from '../../shaders/matmul_params.wgsl?raw';
import matmulResidentWgsl from '../../shaders/matmul_resident.wgsl?raw';
import matmulRowsWgsl from '../../shaders/matmul_rows.wgsl?raw';
import matmulW4Wgsl from '../../shaders/matmul_w4.wgsl?raw';
import { ACTIVATION_ID, type ActSpec } from '../graph/activations.js';
import { coveredQuads, residentModule } from './broadcast.js';
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

/**
 * Where a matmul runs: a GPU, or a CPU-emulated adapter (software), with the lanes one subgroup
 * broadcast serves there (subgroupWidthFor; 0 without subgroups).
 */
export interface MatmulTarget {
  software: boolean;
  subgroupWidth: number;
}

const TILE = 32;
const code = withActivations(`${matmulParamsWgsl}\n${matmulWgsl}`);
const rowsCode = withActivations(`${matmulParamsWgsl}\n${matmulW4Wgsl}\n${matmulRowsWgsl}`);
const residentCode = withActivations(`${matmulParamsWgsl}\n${matmulW4Wgsl}\n${matmulResidentWgsl}`);
/** matmul_rows.wgsl: columns and rows per workgroup. */
const ROWS_COLS = 256;
const ROWS_ROWS = 8;
/** matmul_resident.wgsl: columns per workgroup, and the most inputs (K) a thread keeps in private memory. */
const RESIDENT_COLS = 256;
const RESIDENT_MAX_K = 256;
/** matmul_resident.wgsl stages X's rows in workgroup memory for more quads of inputs than this (K > 128). */
const STAGE_ABOVE_QUADS = 32;

/** matmul_resident.wgsl runs a CPU-emulated adapter's matmuls of up to RESIDENT_MAX_K inputs. */
function usesResident(p: MatmulParams, target: MatmulTarget): boolean {
  return target.software && p.K <= RESIDENT_MAX_K;
}

/**
 * Column quads per matmul_resident.wgsl thread (CPT): two where there are columns for them, so each
 * quad of x a lane loads and broadcasts feeds twice the multiply-adds (on lavapipe, 2048 rows x 1024
 * columns: K = 256 90 -> 76 ms, K = 64 52 -> 46 ms, medians of three alternated runs).
 */
function residentColumnQuads(p: MatmulParams): number {
  return p.N > RESIDENT_COLS ? 2 : 1;
}

/**
 * Rows of X one matmul_resident.wgsl workgroup runs through: enough to pay for copying its weights
 * (K vec4 loads a thread), few enough to leave several workgroups for the cores.
 */
function residentRowsPerGroup(p: MatmulParams): number {
  return Math.min(128, Math.max(32, Math.ceil((p.T * p.B) / 8)));
}

/**
 * The matmul with an activation epilogue (softmax is applied by its own kernel): a shared-memory
 * tiled kernel on GPUs; on CPU-emulated adapters matmul_resident.wgsl (weights in private memory) up
 * to 256 inputs and matmul_rows.wgsl beyond, which need a fraction of the tiled kernel's loads per
 * multiply-add there.
 */
export function matmulProgram(act: ActSpec, p: MatmulParams, target: MatmulTarget): Program {
  const id = act.fn === 'softmax' ? ACTIVATION_ID.linear : ACTIVATION_ID[act.fn];
  const name = act.fn === 'softmax' ? 'linear' : act.fn;
  const vec = p.N % 4 === 0 ? 1 : 0;
  if (usesResident(p, target)) {
    const sgw = target.subgroupWidth;
    const nq = coveredQuads(Math.ceil(p.K / 4));
    const staged = nq > STAGE_ABOVE_QUADS;
    const cpt = residentColumnQuads(p);
    return {
      name: `matmul_resident act=${name} K<=${4 * nq} CPT=${cpt}${vec ? '' : ' unaligned'}${staged ? ' staged' : ''}${sgw ? ` subgroups=${sgw}` : ''}`,
      cacheKey: `matmul_resident:${id}:${vec}:${nq}:${cpt}:${sgw}`,
      code: residentModule(residentCode.replace('const CPT: u32 = 1u;', `const CPT: u32 = ${cpt}u;`), [{ name: 'reduce', first: 0, quads: nq }], sgw, cpt * 4 * nq, { units: cpt }),
      constants: { ACT: id, VEC_W: vec, STAGED: staged ? 1 : 0 },
      bindings: ['read', 'read', 'read_write', 'uniform'],
      uniformSize: 64,
    };
  }
  if (target.software) {
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

export function writeMatmulParams(view: DataView, p: MatmulParams, target: MatmulTarget): void {
  new FieldWriter(view)
    .u32(p.T * p.B, p.K, p.N, p.B)
    .u32(p.x.base, p.x.sT, p.x.sB, p.hasBias ? 1 : 0)
    .u32(p.y.base, p.y.sT, p.y.sB, usesResident(p, target) ? residentRowsPerGroup(p) : 0)
    .f32(p.act.alpha, p.act.beta)
    .u32(0, 0);
}

export function matmulDispatch(p: MatmulParams, target: MatmulTarget): [number, number, number] {
  const M = p.T * p.B;
  if (usesResident(p, target)) return [Math.ceil(p.N / (RESIDENT_COLS * residentColumnQuads(p))), Math.ceil(M / residentRowsPerGroup(p)), 1];
  if (target.software) return [Math.ceil(p.N / ROWS_COLS), Math.ceil(M / ROWS_ROWS), 1];
  return [Math.ceil(p.N / TILE), Math.ceil(M / TILE), 1];
}
