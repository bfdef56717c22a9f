import cellsWgsl from '../../shaders/cells.wgsl?raw';
import gruResetBeforeWgsl from '../../shaders/gru_reset_before_step.wgsl?raw';
import lstmProjectionWgsl from '../../shaders/lstm_projection.wgsl?raw';
import residentWgsl from '../../shaders/recurrent_resident.wgsl?raw';
import sequenceWgsl from '../../shaders/recurrent_sequence.wgsl?raw';
import stepWgsl from '../../shaders/recurrent_step.wgsl?raw';
import stepFinishWgsl from '../../shaders/step_finish.wgsl?raw';
import tiledWgsl from '../../shaders/recurrent_tiled.wgsl?raw';
import sequenceParamsWgsl from '../../shaders/sequence_params.wgsl?raw';
import stepParamsWgsl from '../../shaders/step_params.wgsl?raw';
import reduceRowsWgsl from '../../shaders/reduce_rows.wgsl?raw';
import stepReduceWgsl from '../../shaders/step_reduce.wgsl?raw';
import stepMeetPlainWgsl from '../../shaders/step_meet_plain.wgsl?raw';
import stepMeetSubgroupsWgsl from '../../shaders/step_meet_subgroups.wgsl?raw';
import stepTimesWgsl from '../../shaders/step_times.wgsl?raw';
import wavefrontWgsl from '../../shaders/recurrent_wavefront.wgsl?raw';
import wavefrontStepWgsl from '../../shaders/recurrent_wavefront_step.wgsl?raw';
import wavefrontPairWgsl from '../../shaders/wavefront_pair.wgsl?raw';
import weightsF16Wgsl from '../../shaders/weights_f16.wgsl?raw';
import weightsF32Wgsl from '../../shaders/weights_f32.wgsl?raw';
import { ACTIVATION_ID } from '../graph/activations.js';
import type { RecurrentConfig } from '../graph/recurrent.js';
import { GATES } from '../graph/recurrent.js';
import { coveredQuads, residentModule } from './broadcast.js';
import { FieldWriter, type Program, withActivations } from './program.js';


/** Storage precision of the recurrent weights: f16 halves their memory traffic; arithmetic stays f32. */
export type Precision = 'f32' | 'f16';

const WEIGHTS_PRELUDE: Record<Precision, string> = { f32: weightsF32Wgsl, f16: weightsF16Wgsl };
const withWeights = (kernel: string) => ({
  f32: withActivations(`${WEIGHTS_PRELUDE.f32}\n${kernel}`),
  f16: withActivations(`${WEIGHTS_PRELUDE.f16}\n${kernel}`),
});
const stepKernel = `${stepParamsWgsl}\n${stepTimesWgsl}\n${cellsWgsl}\n${stepWgsl}${stepFinishWgsl}\n${reduceRowsWgsl}\n${stepReduceWgsl}`;
const stepCode = withWeights(`${stepKernel}\n${stepMeetPlainWgsl}`);
// `enable subgroups;` must come before every declaration of the module.
const stepSubgroupsKernel = withWeights(`${stepKernel}\n${stepMeetSubgroupsWgsl}`);
const stepSubgroupsCode = { f32: `enable subgroups;\n${stepSubgroupsKernel.f32}`, f16: `enable subgroups;\n${stepSubgroupsKernel.f16}` };
const tiledCode = withWeights(`${stepParamsWgsl}\n${stepTimesWgsl}\n${cellsWgsl}\n${tiledWgsl}\n${stepFinishWgsl}`);
const gruResetBeforeCode = withWeights(`${stepParamsWgsl}\n${stepTimesWgsl}\n${gruResetBeforeWgsl}`);
const sequenceCode = withWeights(`${sequenceParamsWgsl}\n${stepTimesWgsl}\n${cellsWgsl}\n${sequenceWgsl}`);
const residentCode = withWeights(`${sequenceParamsWgsl}\n${stepTimesWgsl}\n${cellsWgsl}\n${residentWgsl}`);
const projectionCode = withWeights(`${stepParamsWgsl}\n${stepTimesWgsl}\n${lstmProjectionWgsl}`);
const wavefrontCode = withWeights(`${cellsWgsl}\n${wavefrontPairWgsl}\n${wavefrontWgsl}\n${reduceRowsWgsl}`);
const wavefrontStepCode = withWeights(`${cellsWgsl}\n${wavefrontPairWgsl}\n${wavefrontStepWgsl}\n${reduceRowsWgsl}\n${stepReduceWgsl}`);
const CELL_ID = { simpleRNN: 0, lstm: 1, gru: 2 } as const;

/** Whether a layer needs the two-phase GRU kernel (reset gate before the matmul). */
export function usesResetBeforeKernel(cfg: RecurrentConfig): boolean {
  return cfg.cell === 'gru' && !cfg.resetAfter;
}

/**
 * A layer's values of the cell overrides (cells.wgsl, shared by the step, sequence and resident
 * kernels), with the part of a pipeline's cache key and label they decide.
 */
function cellSpec(cfg: RecurrentConfig): { cell: number; key: string; label: string; constants: Record<string, number> } {
  const f = ACTIVATION_ID[cfg.acts.f.fn], g = ACTIVATION_ID[cfg.acts.g.fn], h = ACTIVATION_ID[cfg.acts.h.fn];
  const cell = usesResetBeforeKernel(cfg) ? 3 : CELL_ID[cfg.cell];
  const peep = cfg.peephole ? 1 : 0, coupled = cfg.inputForget ? 1 : 0;
  return {
    cell,
    key: `${cell}:${f}:${g}:${h}:${peep}:${coupled}`,
    label: `f=${cfg.acts.f.fn} g=${cfg.acts.g.fn} h=${cfg.acts.h.fn}${peep ? ' peephole' : ''}${coupled ? ' input_forget' : ''}`,
    constants: { CELL: cell, G: GATES[cfg.cell], ACT_F: f, ACT_G: g, ACT_H: h, PEEPHOLE: peep, INPUT_FORGET: coupled },
  };
}

/**
 * How the step kernel splits a layer: R batch rows and UW units per workgroup, each unit's recurrent
 * reduction in KS slices (UW * KS threads).
 */
export interface StepShape {
  rows: number;
  units: number;
  slices: number;
  /** Stage the rows' h in workgroup memory first (CPU-emulated adapters; needs slices = 1). */
  stage?: boolean;
  /**
   * Where the device has subgroups (stepSubgroupMeet): each subgroup group of `slices` * `units` lanes
   * holds `units` consecutive units times `slices` of their slices, which meet by subgroup shuffles
   * before the rest meet in workgroup memory (step_reduce.wgsl; the step kernel only).
   */
  subgroups?: { units: number; slices: number };
  /**
   * The tiled kernel (recurrent_tiled.wgsl): rows is 4 * RG, and each chunk of `chunk` inputs of the
   * rows' h is staged in workgroup memory.
   */
  tiled?: { chunk: number };
}

const pow2AtLeast = (n: number, cap: number) => {
  let r = 1;
  while (r < n && r < cap) r *= 2;
  return r;
};

/**
 * The step kernel's shape for a layer. A CPU-emulated adapter runs one thread per unit (64 units,
 * up to 8 rows: every weight load serves 8 rows), reading h from workgroup memory. A GPU gets up to 256 threads per workgroup, 16 or 32
 * units each split into slices, so that enough workgroups and independent loads are in flight to
 * cover memory latency even for one sequence (batch 1), and up to 4 rows share each weight load;
 * given the device's smallest subgroup size (0 without the `subgroups` feature), the slices meet in
 * subgroups where they can (stepSubgroupMeet).
 */
export function stepShape(cfg: RecurrentConfig, B: number, D: number, software: boolean, maxThreads: number, subgroupMinSize = 0): StepShape {
  if (software) return { rows: pow2AtLeast(B, 8), units: 64, slices: 1, stage: true };
  const shape = gpuStepShape(B, maxThreads, (uw) => Math.ceil(cfg.units / uw) * D);
  const subgroups = stepSubgroupMeet(shape, subgroupMinSize);
  return subgroups ? { ...shape, subgroups } : shape;
}

/**
 * Fewest units a subgroup group of the step kernel holds (stepSubgroupMeet): where the subgroup is no
 * larger than subgroupMinSize, a slice's lanes then load at least 32 bytes of consecutive f32 weights
 * together (a memory sector on NVIDIA GPUs; with f16 weights 16 bytes, half a sector). A judgement,
 * not a measurement: no GPU here has subgroups.
 */
const MEET_MIN_UNITS = 2;

/**
 * How the step kernel's slices meet in subgroups, given the device's smallest subgroup size (0: no
 * `subgroups` feature, or its size unknown): groups of SS * UPG lanes, SS slices of UPG units, powers of
 * two with SS dividing the shape's slices, UPG its units, and SS * UPG <= subgroupMinSize, so that a
 * group lies inside one subgroup whatever the actual subgroup size (step_meet_subgroups.wgsl says
 * what layout of subgroups that assumes). As many slices as leave MEET_MIN_UNITS units: SS = KS where
 * it can, so that no partial sums go through workgroup memory. Undefined where fewer than 2 slices
 * would meet (KS = 1, odd KS, or subgroups too small).
 */
export function stepSubgroupMeet(shape: StepShape, subgroupMinSize: number): StepShape['subgroups'] {
  if (subgroupMinSize < 2 * MEET_MIN_UNITS || shape.stage || shape.tiled) return undefined;
  const lanes = pow2AtMost(subgroupMinSize);
  let slices = 1;
  while (shape.slices % (slices * 2) === 0 && slices * 2 * MEET_MIN_UNITS <= lanes) slices *= 2;
  let units = 1;
  while (shape.units % (units * 2) === 0 && slices * units * 2 <= lanes) units *= 2;
  return slices > 1 ? { units, slices } : undefined;
}

/**
 * The step kernels' GPU shape at batch B: up to 4 rows a workgroup, 32 units a workgroup where that
 * still leaves 128 workgroups (`groups(uw)`: workgroups for one block of rows at uw units each), else
 * 16, and the rest of up to 256 threads as slices of each unit's reduction.
 */
function gpuStepShape(B: number, maxThreads: number, groups: (uw: number) => number): StepShape {
  const threads = Math.min(256, maxThreads);
  const rows = pow2AtLeast(B, 4);
  const units = groups(32) * Math.ceil(B / rows) >= 128 ? 32 : 16;
  return { rows, units, slices: Math.max(1, Math.floor(threads / units)) };
}

/** Whether the tiled step kernel runs a layer: an LSTM without a projection, or a GRU with the reset gate after the matmul. */
export function tiledApplies(cfg: RecurrentConfig): boolean {
  return GATES[cfg.cell] > 1 && cfg.projSize === null && !usesResetBeforeKernel(cfg);
}

/** Threads of a tiled workgroup: its partial sums, four vec4s a thread, fill the 1024-vec4 buffer. */
const TILED_MAX_THREADS = 256;

/** The largest power of two at most n (n >= 1). */
const pow2AtMost = (n: number) => 2 ** Math.floor(Math.log2(n));

/**
 * The tiled step kernel's shape (tiledApplies): 1, 2 or 4 quads of rows a workgroup (up to 16 rows),
 * 16 units, or 8 or 4 where that leaves fewer than 64 workgroups for the GPU's cores, and the rest of up
 * to 256 threads as slices of the reduction (no fewer than 4 inputs a slice). Every count is a power of
 * two, so the threads are exactly units * quads * slices and the chunk fills the buffer.
 */
export function tiledShape(cfg: RecurrentConfig, B: number, D: number, maxThreads: number): StepShape {
  const quads = pow2AtLeast(Math.ceil(B / 4), 4);
  const workgroups = (uw: number) => Math.ceil(cfg.units / uw) * Math.ceil(B / (4 * quads)) * D;
  const units = [16, 8].find((uw) => workgroups(uw) >= 64) ?? 4;
  const K = cfg.units;
  let slices = pow2AtMost(Math.max(1, Math.min(TILED_MAX_THREADS, maxThreads) / (units * quads)));
  while (slices > 1 && slices * 4 > K) slices /= 2;
  return { rows: 4 * quads, units, slices, tiled: { chunk: Math.min(1024 / quads, pow2AtLeast(K, 1024)) } };
}

/** The fused step program for a layer's cell and activations. */
export function stepProgram(cfg: RecurrentConfig, shape: StepShape = { rows: 1, units: 64, slices: 1 }, precision: Precision = 'f32'): Program {
  const bindings = ['read', 'read', 'read_write', 'read_write', 'uniform'] as const;
  if (usesResetBeforeKernel(cfg)) {
    const f = ACTIVATION_ID[cfg.acts.f.fn], g = ACTIVATION_ID[cfg.acts.g.fn];
    return {
      name: `gru_reset_before_step ${precision} f=${cfg.acts.f.fn} g=${cfg.acts.g.fn}`,
      cacheKey: `gru_rb:${f}:${g}:${precision}`,
      code: gruResetBeforeCode[precision],
      constants: { ACT_F: f, ACT_G: g },
      bindings,
      uniformSize: STEP_UNIFORM_SIZE,
    };
  }
  const spec = cellSpec(cfg);
  if (shape.tiled) {
    const quads = shape.rows / 4;
    return {
      name: `${cfg.cell}_tiled_step ${precision} R=${shape.rows} UW=${shape.units} KS=${shape.slices} BK=${shape.tiled.chunk} ${spec.label}`,
      cacheKey: `tiled:${spec.key}:${quads}:${shape.units}:${shape.slices}:${shape.tiled.chunk}:${precision}`,
      code: tiledCode[precision],
      constants: { ...spec.constants, UW: shape.units, RG: quads, KS: shape.slices, WGT: shape.units * quads * shape.slices, BK: shape.tiled.chunk },
      bindings,
      uniformSize: STEP_UNIFORM_SIZE,
    };
  }
  const proj = cfg.projSize !== null ? 1 : 0;
  const rows = shape.rows;
  const stage = shape.stage === true && shape.slices === 1;
  const sg = stage ? undefined : shape.subgroups;
  // With subgroups, `part` holds the KS / SS partial sums of each unit's R rows (none when SS = KS).
  const meet: Record<string, number> = sg
    ? { SS: sg.slices, UPG: sg.units, PART: sg.slices < shape.slices ? rows * (shape.slices / sg.slices) * shape.units : 1 }
    : {};
  return {
    name: `${cfg.cell}_step ${precision} R=${rows} UW=${shape.units} KS=${shape.slices}${stage ? ' staged' : ''}${sg ? ` subgroups SS=${sg.slices} UPG=${sg.units}` : ''} ${spec.label}${proj ? ' proj' : ''}`,
    cacheKey: `step:${spec.key}:${proj}:${rows}:${shape.units}:${shape.slices}:${stage ? 1 : 0}:${sg ? `${sg.slices}:${sg.units}` : 0}:${precision}`,
    code: (sg ? stepSubgroupsCode : stepCode)[precision],
    constants: { ...spec.constants, PROJ: proj, R: rows, UW: shape.units, KS: shape.slices, WGT: shape.units * shape.slices, STAGE: stage ? 1 : 0, ...meet },
    bindings,
    uniformSize: STEP_UNIFORM_SIZE,
  };
}

/** Per-direction step fields (see `Dir` in the shaders). */
export interface StepDir {
  tIn: number;
  yOff: number;
  prevYOff: number;
  hasPrev: boolean;
}

/** Everything one step dispatch needs (see `Params` in the shaders). */
export interface StepParams {
  B: number;
  H: number;
  D: number;
  /** Where the state buffer keeps c, and (projected LSTM) m = o * act(c): see `recurrentStateLayout`. */
  state: RecurrentStateLayout;
  slotIn: number;
  maskOn: boolean;
  maskBase: number;
  ySB: number;
  seqOut: boolean;
  cfg: RecurrentConfig;
  dirs: StepDir[];
  /** Counted steps (countedSteps): the layer's every step from this one block; see step_params.wgsl. */
  counted?: CountedSteps;
}

/** What a counted step derives its step's fields from (step_params.wgsl's stepNow). */
export interface CountedSteps {
  T: number;
  /** The output's time stride (0 for a last-output-only layer). */
  ysT: number;
  /** The workgroups' step counts in the state buffer: at ctrBase, gx * gy per direction. */
  ctrBase: number;
  gx: number;
  gy: number;
  dirs: SequenceDir[];
}

/**
 * Whether a step program counts its own steps (recurrent_step.wgsl, recurrent_tiled.wgsl): not the GRU
 * with the reset gate before the matmul (its own kernel), nor a projected LSTM, whose projection
 * kernel runs between the steps and so needs a bind group per step anyway.
 */
export function countedSteps(cfg: RecurrentConfig): boolean {
  return !usesResetBeforeKernel(cfg) && cfg.projSize === null;
}

const STEP_UNIFORM_SIZE = 192;

/** Size of h (and of the output): projSize for a projected LSTM, else units. */
export function hiddenOutSize(cfg: RecurrentConfig): number {
  return cfg.projSize ?? cfg.units;
}

/**
 * Stride, in vec4s, of one direction's block in the U buffer. Gated cells: [K][H] vec4s (a unit's
 * gates side by side, K = the size of h), recurrent bias [H], peepholes [H], then with a projection
 * W_hr as [ceil(H/4)][K] vec4s (four consecutive inputs side by side). SimpleRNN: [ceil(H/4)][H]
 * vec4s (four consecutive inputs side by side). A GRU with the reset gate before the matmul also
 * keeps its kernel compact for the sequence kernel (resetBeforeCompactSize).
 */
export function recurrentWeightStride(cfg: RecurrentConfig): number {
  const H = cfg.units, K = hiddenOutSize(cfg);
  if (GATES[cfg.cell] === 1) return Math.ceil(H / 4) * H;
  const compact = usesResetBeforeKernel(cfg) ? resetBeforeCompactSize(H) : 0;
  return K * H + 2 * H + (cfg.projSize !== null ? Math.ceil(H / 4) * K : 0) + compact;
}

/**
 * vec4s of the compact copy of a reset-before GRU's recurrent kernel (H units), after the direction's
 * usual block (at H * H + 2 * H), for recurrent_sequence.wgsl: the z and r gates of two consecutive
 * inputs in each vec4 ([ceil(H/2)][H]), then the candidate's weights of four consecutive inputs
 * ([ceil(H/4)][H]). The usual layout pads a unit's three gates to a vec4, and each of the step's two
 * reductions reads all of it: 256 KiB twice a step at H = 128, against 128 and 64 KiB this way.
 */
export function resetBeforeCompactSize(H: number): number {
  return Math.ceil(H / 2) * H + Math.ceil(H / 4) * H;
}

/**
 * A recurrent node's state buffer, in floats (D directions, B rows): h in two ping-pong slots
 * [2][D][B][K] (K = the size of h), c [D][B][H] at cBase, then scratch [2][D][B][H] (GRU reset-before
 * rh and z; a projected LSTM's m = o * act(c) at mBase). Without a projection K = H and this is
 * [5][D][B][H].
 */
export interface RecurrentStateLayout {
  K: number;
  cBase: number;
  mBase: number;
  floats: number;
}

export function recurrentStateLayout(cfg: RecurrentConfig, D: number, B: number): RecurrentStateLayout {
  const DBK = D * B * hiddenOutSize(cfg), DBH = D * B * cfg.units;
  return { K: hiddenOutSize(cfg), cBase: 2 * DBK, mBase: 2 * DBK + DBH, floats: 2 * DBK + 3 * DBH };
}

export function writeStepParams(view: DataView, p: StepParams): void {
  const GH = GATES[p.cfg.cell] * p.H;
  const { f, g, h } = p.cfg.acts;
  const w = new FieldWriter(view)
    .u32(p.B, p.H, GH, p.D * GH)
    .u32(p.slotIn, p.D * p.B * p.H, p.maskOn ? 1 : 0, p.cfg.padZero ? 1 : 0)
    .u32(p.maskBase, p.ySB, recurrentWeightStride(p.cfg), p.seqOut ? 1 : 0)
    .f32(p.cfg.clip ?? 3.0e38, f.alpha, f.beta, g.alpha)
    .f32(g.beta, h.alpha, h.beta)
    .u32(0);
  for (let d = 0; d < 2; d++) {
    const dir = p.dirs[d] ?? p.dirs[0]!;
    w.u32(dir.tIn, dir.yOff, dir.prevYOff, dir.hasPrev ? 1 : 0);
  }
  const s = p.state;
  w.u32(s.K, p.D * p.B * s.K, s.cBase, s.mBase);
  const c = p.counted;
  if (!c) return;
  writeSeqDirs(w.u32(1, c.T, c.ysT, c.ctrBase).u32(c.gx, c.gy, 0, 0), c.dirs);
}

/** step_times.wgsl's SeqDir of both directions (the first again for a one-directional layer). */
function writeSeqDirs(w: FieldWriter, dirs: readonly SequenceDir[]): void {
  for (let d = 0; d < 2; d++) {
    const dir = dirs[d] ?? dirs[0]!;
    w.u32(dir.reverse ? 1 : 0, dir.aligned ? 1 : 0, dir.yBase, 0);
  }
}

export function stepDispatch(cfg: RecurrentConfig, B: number, D: number, shape: StepShape): [number, number, number] {
  if (usesResetBeforeKernel(cfg)) return [B, D, 1];
  return [Math.ceil(cfg.units / shape.units), Math.ceil(B / shape.rows), D];
}

/** Threads per workgroup of the projection kernel (WG in lstm_projection.wgsl). */
const PROJECTION_WG = 64;

/**
 * The output projection of an LSTM with projSize, one dispatch per step after the step kernel
 * (same bindings and uniforms): h = m W_hr into the h slot and the output view.
 */
export function projectionProgram(precision: Precision = 'f32'): Program {
  return {
    name: `lstm_projection ${precision}`,
    cacheKey: `lstm_proj:${precision}`,
    code: projectionCode[precision],
    constants: {},
    bindings: ['read', 'read', 'read_write', 'read_write', 'uniform'],
    uniformSize: STEP_UNIFORM_SIZE,
  };
}

export function projectionDispatch(cfg: RecurrentConfig, B: number, D: number): [number, number, number] {
  return [Math.ceil(hiddenOutSize(cfg) / PROJECTION_WG), B, D];
}

/** Most units one lane of the whole-sequence kernel owns (MAX_UPT in the shader). */
const SEQ_MAX_UNITS_PER_LANE = 4;
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

/** Per-direction fields of the whole-sequence kernel (`SeqDir`). */
export interface SequenceDir {
  reverse: boolean;
  aligned: boolean;
  yBase: number;
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

/**
 * Where the wavefront kernel (recurrent_wavefront.wgsl) finds each part of a stacked pair's weights,
 * in vec4s: layer 1's block (recurrentWeightStride; its peepholes at peep1), then layer 2's input and
 * recurrent kernels stacked as [H1 + H2] rows (SimpleRNN: quads of rows) at u2, its bias at bias2, its
 * peepholes at peep2.
 */
export interface WavefrontLayout {
  peep1: number;
  u2: number;
  bias2: number;
  peep2: number;
  vec4s: number;
}

export function wavefrontLayout(first: RecurrentConfig, second: RecurrentConfig): WavefrontLayout {
  const H1 = first.units, H2 = second.units, K = H1 + H2;
  const u2 = recurrentWeightStride(first);
  const bias2 = u2 + (GATES[second.cell] === 1 ? Math.ceil(K / 4) : K) * H2;
  return { peep1: H1 * H1 + H1, u2, bias2, peep2: bias2 + H2, vec4s: bias2 + 2 * H2 };
}

/** Most rows one wavefront workgroup runs (MAX_R), and its workgroup buffers (CAP, PART). */
const WAVE_MAX_ROWS = 4;
const WAVE_CAP = 512;
const WAVE_PART = 768;

/**
 * The wavefront kernel's shape for a stacked pair of H1 and H2 units and `rows` rows a workgroup, or
 * null when the pair does not fit one workgroup: lanes for the larger layer (each lane then owns a
 * unit of each layer when they are alike), and on a GPU as many reduction slices as the thread limit
 * and the partial sums' workgroup memory allow.
 */
export function wavefrontShape(H1: number, H2: number, rows: number, maxThreads: number, software: boolean): SequenceShape | null {
  const limit = Math.min(software ? 256 : 512, maxThreads);
  let lanes = 64;
  while (lanes < Math.max(H1, H2) && lanes * 2 <= Math.min(256, limit)) lanes *= 2;
  const perLane = Math.ceil(H1 / lanes) + Math.ceil(H2 / lanes);
  if (perLane > SEQ_MAX_UNITS_PER_LANE || rows > WAVE_MAX_ROWS || rows * (H1 + H2) > WAVE_CAP) return null;
  let slices = 1;
  while (!software && lanes * slices * 2 <= limit && perLane * rows * (slices * 2 - 1) * lanes <= WAVE_PART) slices *= 2;
  return { lanes, slices };
}

/** Whether a stacked pair of H1 and H2 units can fit the wavefront kernel's workgroup (one row, 256 lanes). */
export function wavefrontFits(H1: number, H2: number): boolean {
  return wavefrontShape(H1, H2, 1, 256, true) !== null;
}

/** Byte size of the wavefront kernels' Params (wavefront_pair.wgsl; the last 16 bytes are the step kernel's). */
const WAVEFRONT_UNIFORM_SIZE = 96;

/** The wavefront program of a stacked pair (same cell options; see wavefrontPairs in src/schedule/choice.ts). */
export function wavefrontProgram(first: RecurrentConfig, rows: number, shape: SequenceShape, precision: Precision = 'f32'): Program {
  const spec = cellSpec(first);
  return {
    name: `${first.cell}_wavefront ${precision} R=${rows} UL=${shape.lanes} KS=${shape.slices} ${spec.label}`,
    cacheKey: `wave:${spec.key}:${rows}:${shape.lanes}:${shape.slices}:${precision}`,
    code: wavefrontCode[precision],
    constants: { ...spec.constants, R: rows, WGS: shape.lanes * shape.slices, UL: shape.lanes, KS: shape.slices },
    bindings: ['read', 'read', 'read_write', 'uniform'],
    uniformSize: WAVEFRONT_UNIFORM_SIZE,
  };
}

export interface WavefrontParams {
  B: number;
  T: number;
  first: RecurrentConfig;
  second: RecurrentConfig;
  /** Layer 2's output: step s of row b at yBase + s * ysT + b * ySB (ysT = 0: the last step only). */
  yBase: number;
  ySB: number;
  ysT: number;
}

/** The wavefront kernels' Params (wavefront_pair.wgsl) up to bH; the writer it returns is where the step kernel's fields follow. */
export function writeWavefrontParams(view: DataView, p: WavefrontParams): FieldWriter {
  const H1 = p.first.units, H2 = p.second.units;
  const at = wavefrontLayout(p.first, p.second);
  const { f, g, h } = p.first.acts;
  return new FieldWriter(view)
    .u32(p.B, H1, H2, p.T)
    .u32(H1 + H2, GATES[p.first.cell] * H1, at.u2, at.bias2)
    .u32(at.peep1, at.peep2, p.yBase, p.ySB)
    .u32(p.ysT).f32(p.first.clip ?? 3.0e38, f.alpha, f.beta)
    .f32(g.alpha, g.beta, h.alpha, h.beta);
}

/**
 * The wavefront step kernel's shape (recurrent_wavefront_step.wgsl) for a stacked pair of H1 and H2
 * units at batch B: the step kernel's (gpuStepShape) with the pair's units as one layer's. A CPU-emulated adapter (where only the tests run it) takes 64 units a workgroup in one
 * slice.
 */
export function wavefrontStepShape(H1: number, H2: number, B: number, software: boolean, maxThreads: number): StepShape {
  if (software) return { rows: pow2AtLeast(B, 4), units: 64, slices: 1 };
  return gpuStepShape(B, maxThreads, (uw) => Math.ceil(H1 / uw) + Math.ceil(H2 / uw));
}

/** The wavefront step program of a stacked pair (same cell options; see wavefrontPairs in src/schedule/choice.ts). */
export function wavefrontStepProgram(first: RecurrentConfig, shape: StepShape, precision: Precision = 'f32'): Program {
  const spec = cellSpec(first);
  return {
    name: `${first.cell}_wavefront_step ${precision} R=${shape.rows} UW=${shape.units} KS=${shape.slices} ${spec.label}`,
    cacheKey: `wave_step:${spec.key}:${shape.rows}:${shape.units}:${shape.slices}:${precision}`,
    code: wavefrontStepCode[precision],
    constants: { ...spec.constants, R: shape.rows, UW: shape.units, KS: shape.slices, WGT: shape.units * shape.slices },
    bindings: ['read', 'read', 'read_write', 'read_write', 'uniform'],
    uniformSize: WAVEFRONT_UNIFORM_SIZE,
  };
}

/**
 * A stacked pair's state buffer under the wavefront step kernel, in floats: h [2][B][H1 + H2], c
 * [B][H1 + H2] at cBase, each workgroup's dispatch count at ctrBase.
 */
export function wavefrontStepState(H1: number, H2: number, B: number, workgroups: [number, number, number]): { cBase: number; ctrBase: number; floats: number } {
  const hc = B * (H1 + H2);
  return { cBase: 2 * hc, ctrBase: 3 * hc, floats: 3 * hc + workgroups[0] * workgroups[1] };
}

/** The wavefront step kernel's workgroups: layer 1's units, then layer 2's, by groups of rows. */
export function wavefrontStepDispatch(H1: number, H2: number, B: number, shape: StepShape): [number, number, number] {
  return [Math.ceil(H1 / shape.units) + Math.ceil(H2 / shape.units), Math.ceil(B / shape.rows), 1];
}

export function writeWavefrontStepParams(view: DataView, p: WavefrontParams, shape: StepShape): void {
  const H1 = p.first.units, H2 = p.second.units;
  const groups = wavefrontStepDispatch(H1, H2, p.B, shape);
  const state = wavefrontStepState(H1, H2, p.B, groups);
  writeWavefrontParams(view, p).u32(state.cBase, state.ctrBase, Math.ceil(H1 / shape.units), groups[0]);
}
