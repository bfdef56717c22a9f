/**
 * The whole-sequence kernels of one layer: recurrent_sequence.wgsl (a GPU: each unit's reduction split
 * over slices of threads) and recurrent_resident.wgsl (a CPU-emulated adapter: each thread's weights in
 * private memory), their shapes, uniforms and dispatch. The step kernels and what all the recurrent
 * kernels share are in recurrent.ts.
 */
import cellsWgsl from '../../shaders/cells.wgsl?raw';
import reduceRowsWgsl from '../../shaders/reduce_rows.wgsl?raw';
import residentWgsl from '../../shaders/recurrent_resident.wgsl?raw';
import sequenceWgsl from '../../shaders/recurrent_sequence.wgsl?raw';
import sequenceParamsWgsl from '../../shaders/sequence_params.wgsl?raw';
import stepTimesWgsl from '../../shaders/step_times.wgsl?raw';
import type { RecurrentConfig } from '../graph/recurrent.js';
import { GATES } from '../graph/recurrent.js';
import { coveredQuads, residentModule } from './broadcast.js';
import { FieldWriter, type Program } from './program.js';
import {
  cellSpec, type Precision, recurrentWeightStride, type SequenceDir, usesResetBeforeKernel, withWeights, writeSeqDirs,
} from './recurrent.js';

const sequenceCode = withWeights(`${sequenceParamsWgsl}\n${stepTimesWgsl}\n${cellsWgsl}\n${sequenceWgsl}\n${reduceRowsWgsl}`);
const residentCode = withWeights(`${sequenceParamsWgsl}\n${stepTimesWgsl}\n${cellsWgsl}\n${residentWgsl}`);

/** Most units one lane of the whole-sequence kernel owns (MAX_UPT in the shader). */
export const SEQ_MAX_UNITS_PER_LANE = 4;
/** Capacity, in floats, of one [R][H] workgroup buffer of the whole-sequence kernel (CAP). */
const SEQ_CAP = 512;
/** Capacity, in vec4s, of the partial sums [units per lane][R][KS][UL] (PART). */
const SEQ_PART = 512;
/** Byte size of the whole-sequence kernels' Params (sequence_params.wgsl). */
const SEQUENCE_UNIFORM_SIZE = 144;

/** How the whole-sequence kernel spreads a layer: UL unit lanes times KS reduction slices. */
export interface SequenceShape {
  lanes: number;
  slices: number;
  /**
   * recurrent_resident.wgsl (CPU-emulated adapters): one row per workgroup, one thread per unit, its
   * weights in private memory.
   */
  resident?: boolean;
  /** With resident: lanes one load of a quad serves through subgroup shuffles (4 or 8); 0 without subgroups. */
  subgroupWidth?: number;
  /**
   * With resident: the layer's input features when its input projection runs inside the kernel
   * (fusedInputFits), or 0 / absent for a projection pass before it.
   */
  fusedInputs?: number;
}

/** WGSL's limit on a shader's private memory (8 KiB): a resident unit's weights must fit in it. */
const PRIVATE_BYTES = 8192;

/** Batch rows one resident workgroup runs at most (recurrent_resident.wgsl's ROWS: 1, 2 or 4). */
const RESIDENT_MAX_ROWS = 4;

/**
 * Batch rows per resident workgroup for a batch of B: each weight a thread loads from private memory
 * then serves every row's multiply-add, and at least two workgroups remain for the cores. Measured on
 * lavapipe (2 cores), an LSTM of 256 units over 128 steps: B = 16 67 -> 51 ms with 4 rows (2 rows:
 * 59), B = 8 35 -> 29 ms with 4, B = 4 17.5 -> 15 ms with 2 (4 rows, one workgroup: 21). A GRU with
 * the reset gate before the matmul keeps one row: its step writes out two reductions, and with
 * several rows llvmpipe took up to 90 s to compile one (H = 130, 4 rows). 8 rows (one workgroup per
 * core for B = 16, x and h of b's layer 2 then filling all 32 KiB of lavapipe's workgroup memory)
 * measured no faster than 4 on config b, in alternated runs over two sessions.
 */
export function residentRowsFor(cfg: RecurrentConfig, B: number): number {
  if (usesResetBeforeKernel(cfg)) return 1;
  return B >= 8 ? 4 : B >= 4 ? 2 : 1;
}

/**
 * Quads of inputs the resident kernel's reductions read (recurrent_resident.wgsl's XQ and HQ): of x
 * when it runs the input projection of `inputs` features (else 0), and of h; each rounded up by
 * coveredQuads.
 */
function residentQuads(cfg: RecurrentConfig, inputs = 0): { xq: number; hq: number } {
  return { xq: inputs > 0 ? coveredQuads(Math.ceil(inputs / 4)) : 0, hq: coveredQuads(Math.ceil(cfg.units / 4)) };
}

/**
 * Rows of weights (vec4s) a resident unit keeps in private memory (RES_K): those of W for a fused input,
 * then those of U; one per input, or per four inputs for a SimpleRNN, as many as the reductions read.
 */
function residentRows(cfg: RecurrentConfig, inputs = 0): number {
  const { xq, hq } = residentQuads(cfg, inputs);
  return GATES[cfg.cell] === 1 ? xq + hq : 4 * (xq + hq);
}

/**
 * Bytes of workgroup memory the resident kernel declares for `rows` rows (and a fused input): hq's
 * [rows][NB][XQ + HQ] vec4s plus its 8 spare quads, and the 256 thread indices.
 */
function residentWorkgroupBytes(cfg: RecurrentConfig, rows: number, inputs = 0): number {
  const { xq, hq } = residentQuads(cfg, inputs);
  const buffers = usesResetBeforeKernel(cfg) ? 3 : 2;
  return (rows * buffers * (xq + hq) + 8) * 16 + 256 * 4;
}

/** Storage buffers the fused resident kernel binds: U, P (the mask), S, Y, X and W. */
const FUSED_STORAGE_BUFFERS = 6;

/** The device limits fusedInputFits checks. */
export interface FuseLimits {
  /** maxComputeWorkgroupStorageSize */
  workgroupBytes: number;
  /** maxStorageBuffersPerShaderStage */
  storageBuffers: number;
}

/**
 * Whether the resident kernel can also run the layer's input projection (F input features, `rows` rows
 * a workgroup): an input no wider than h (both rounded by coveredQuads), so that it at most doubles
 * each step's reduction (a much wider one is better spread over every core by the matmul pass, and
 * its longer reduction, written out in full, takes llvmpipe far longer to compile: 15-20 s for the
 * 257- and 300-wide inputs of the tests); its unit's columns of W in private memory next to U, x next
 * to h in the device's workgroup memory, and its six storage buffers within the device's limit.
 */
export function fusedInputFits(cfg: RecurrentConfig, F: number, rows: number, limits: FuseLimits): boolean {
  const { xq, hq } = residentQuads(cfg, F);
  if (cfg.projSize !== null || xq > hq || limits.storageBuffers < FUSED_STORAGE_BUFFERS) return false;
  return residentRows(cfg, F) * 16 <= PRIVATE_BYTES && residentWorkgroupBytes(cfg, rows, F) <= limits.workgroupBytes;
}

/**
 * Fewest inputs of a unit's reduction each slice of the whole-sequence kernel takes on a GPU. On the
 * H200 (call 14, docs/BENCHMARKS-H100-KERNELS.md) fewer, longer slices ran faster than the most the
 * thread limit allows: an LSTM step at hidden 64 took 1.70-1.76 µs with 4 slices against 2.31-2.43 with
 * 8 (3.2-3.7 against 4.1-4.3 at batch 32, config d 0.85-0.89 ms against 1.06 and 1.40), and at hidden
 * 16 0.98 with 1 against 1.12-1.16 with 8. Hidden 128 keeps 4 slices, for the 512-thread cap (8, with
 * 1024 threads, measured slower in call 13).
 */
const SEQ_MIN_SLICE_INPUTS = 16;

/**
 * The whole-sequence kernel's shape, or null when the layer does not fit one workgroup. A CPU-emulated
 * adapter runs one row per workgroup and one thread per unit (up to 256 units) with the weights
 * resident; a GPU gets as many reduction slices as workgroup memory and the device's thread limit
 * allow (up to 512 threads) while each takes at least SEQ_MIN_SLICE_INPUTS inputs.
 */
export function sequenceShape(
  cfg: RecurrentConfig, rows: number, maxThreads: number, software: boolean, subgroupWidth = 0,
): SequenceShape | null {
  const H = cfg.units;
  const limit = Math.min(software ? 256 : 512, maxThreads);
  let lanes = 64;
  while (lanes < H && lanes * 2 <= Math.min(256, limit)) lanes *= 2;
  if (software && rows <= RESIDENT_MAX_ROWS && lanes >= H && residentRows(cfg) * 16 <= PRIVATE_BYTES) {
    return { lanes, slices: 1, resident: true, subgroupWidth };
  }
  const perLane = Math.ceil(H / lanes);
  if (perLane > SEQ_MAX_UNITS_PER_LANE || H * rows > SEQ_CAP || perLane * rows * lanes > SEQ_PART) return null;
  let slices = 1;
  while (!software && lanes * slices * 2 <= limit && perLane * rows * slices * 2 * lanes <= SEQ_PART
    && H >= SEQ_MIN_SLICE_INPUTS * slices * 2) slices *= 2;
  return { lanes, slices };
}

/** The whole-sequence program: all T steps of R rows of one direction in one workgroup. */
export function sequenceProgram(cfg: RecurrentConfig, rows: number, shape: SequenceShape, precision: Precision = 'f32'): Program {
  if (shape.resident) return residentProgram(cfg, rows, shape, precision);
  const spec = cellSpec(cfg);
  return {
    name: `${cfg.cell}${spec.cell === 3 ? '_reset_before' : ''}_sequence ${precision} R=${rows} UL=${shape.lanes} KS=${shape.slices} ${spec.label}`,
    cacheKey: `seq:${spec.key}:${rows}:${shape.lanes}:${shape.slices}:${precision}`,
    code: sequenceCode[precision],
    constants: { ...spec.constants, R: rows, WGS: shape.lanes * shape.slices, UL: shape.lanes, KS: shape.slices },
    bindings: ['read', 'read', 'read_write', 'read_write', 'uniform'],
    uniformSize: SEQUENCE_UNIFORM_SIZE,
  };
}

/** recurrent_resident.wgsl for one layer and `rows` batch rows per workgroup: the sequence kernel's uniforms, buffers and dispatch. */
function residentProgram(cfg: RecurrentConfig, rows: number, shape: SequenceShape, precision: Precision): Program {
  const spec = cellSpec(cfg);
  const sgw = shape.subgroupWidth ?? 0;
  const F = shape.fusedInputs ?? 0;
  const { xq, hq } = residentQuads(cfg, F);
  // Fused, X and W are bindings 5 and 6; else private stand-ins the kernel never reaches (a binding it
  // names must be in the pipeline's layout).
  const io = xq > 0
    ? '@group(0) @binding(5) var<storage, read> X: array<f32>;\n@group(0) @binding(6) var<storage, read> W: array<f32>;'
    : 'var<private> X: array<f32, 1>;\nvar<private> W: array<f32, 1>;';
  const code = residentCode[precision]
    .replace('const ROWS: u32 = 1u;', `const ROWS: u32 = ${rows}u;`)
    .replace('const XQ: u32 = 0u;', `const XQ: u32 = ${xq}u;\n${io}`)
    .replace('const HQ: u32 = 64u;', `const HQ: u32 = ${hq}u;`)
    .replace('const NB: u32 = 2u;', `const NB: u32 = ${spec.cell === 3 ? 3 : 2}u;`);
  return {
    name: `${cfg.cell}${spec.cell === 3 ? '_reset_before' : ''}_resident ${precision} R=${rows} H<=${4 * hq}${xq ? ` fused F<=${4 * xq}` : ''} UL=${shape.lanes}${sgw ? ` subgroups=${sgw}` : ''} ${spec.label}`,
    cacheKey: `res:${spec.key}:${rows}:${shape.lanes}:${hq}:${xq}:${sgw}:${precision}`,
    // x W and h U as two sums (reduceX, reduce): a GRU's candidate needs them apart.
    code: residentModule(code, [{ name: 'reduceX', first: 0, quads: xq }, { name: 'reduce', first: xq, quads: hq }], sgw, residentRows(cfg, F), { rows }),
    constants: { ...spec.constants, UL: shape.lanes },
    bindings: xq > 0
      ? ['read', 'read', 'read_write', 'read_write', 'uniform', 'read', 'read']
      : ['read', 'read', 'read_write', 'read_write', 'uniform'],
    uniformSize: SEQUENCE_UNIFORM_SIZE,
  };
}

export interface SequenceParams {
  B: number;
  T: number;
  D: number;
  maskOn: boolean;
  maskBase: number;
  ySB: number;
  ysT: number;
  seqOut: boolean;
  /** Streaming: a masked first step repeats the stream's previous output (its h), not zeros. */
  carryInit: boolean;
  cfg: RecurrentConfig;
  dirs: SequenceDir[];
  /** The fused resident kernel's input: F features, x(t, b, f) at base + t*sT + b*sB + f. */
  input?: { F: number; base: number; sT: number; sB: number };
}

export function writeSequenceParams(view: DataView, p: SequenceParams): void {
  const H = p.cfg.units;
  const GH = GATES[p.cfg.cell] * H;
  const { f, g, h } = p.cfg.acts;
  const w = new FieldWriter(view)
    .u32(p.B, H, GH, p.D * GH)
    .u32(p.T, p.D * p.B * H, p.maskOn ? 1 : 0, p.cfg.padZero ? 1 : 0)
    .u32(p.maskBase, p.ySB, p.ysT, recurrentWeightStride(p.cfg))
    .u32(p.seqOut ? 1 : 0, 0).f32(p.cfg.clip ?? 3.0e38, f.alpha)
    .f32(f.beta, g.alpha, g.beta, h.alpha)
    .f32(h.beta).u32(p.carryInit ? 1 : 0, 0, 0);
  const x = p.input;
  w.u32(x?.F ?? 0, x?.base ?? 0, x?.sT ?? 0, x?.sB ?? 0);
  writeSeqDirs(w, p.dirs);
}

export function sequenceDispatch(B: number, D: number, rows: number): [number, number, number] {
  return [Math.ceil(B / rows), D, 1];
}
