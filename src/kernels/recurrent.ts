/**
 * What the recurrent kernels share (weight precision, the cells' overrides, the weight and state
 * layouts, the per-direction uniforms) and the step kernels of one layer: recurrent_step.wgsl (split
 * over slices, meeting in subgroups where the device has them), recurrent_tiled.wgsl, the reset-before
 * GRU's gru_reset_before_step.wgsl and the LSTM projection. The whole-sequence kernels are in
 * sequence.ts, the stacked pairs' in wavefront.ts.
 */
import cellsWgsl from '../../shaders/cells.wgsl?raw';
import gruResetBeforeWgsl from '../../shaders/gru_reset_before_step.wgsl?raw';
import lstmProjectionWgsl from '../../shaders/lstm_projection.wgsl?raw';
import stepWgsl from '../../shaders/recurrent_step.wgsl?raw';
import stepFinishWgsl from '../../shaders/step_finish.wgsl?raw';
import tiledWgsl from '../../shaders/recurrent_tiled.wgsl?raw';
import stepParamsWgsl from '../../shaders/step_params.wgsl?raw';
import reduceRowsWgsl from '../../shaders/reduce_rows.wgsl?raw';
import stepReduceWgsl from '../../shaders/step_reduce.wgsl?raw';
import stepMeetPlainWgsl from '../../shaders/step_meet_plain.wgsl?raw';
import stepMeetSubgroupsWgsl from '../../shaders/step_meet_subgroups.wgsl?raw';
import stepTimesWgsl from '../../shaders/step_times.wgsl?raw';
import weightsF16Wgsl from '../../shaders/weights_f16.wgsl?raw';
import weightsF32Wgsl from '../../shaders/weights_f32.wgsl?raw';
import { ACTIVATION_ID } from '../graph/activations.js';
import type { RecurrentConfig } from '../graph/recurrent.js';
import { GATES } from '../graph/recurrent.js';
import { FieldWriter, type Program, withActivations } from './program.js';


/** Storage precision of the recurrent weights: f16 halves their memory traffic; arithmetic stays f32. */
export type Precision = 'f32' | 'f16';

const WEIGHTS_PRELUDE: Record<Precision, string> = { f32: weightsF32Wgsl, f16: weightsF16Wgsl };
/** A kernel's WGSL with each weight precision's loadU() and the activations. */
export const withWeights = (kernel: string) => ({
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
const projectionCode = withWeights(`${stepParamsWgsl}\n${stepTimesWgsl}\n${lstmProjectionWgsl}`);
const CELL_ID = { simpleRNN: 0, lstm: 1, gru: 2 } as const;

/** Whether a layer needs the two-phase GRU kernel (reset gate before the matmul). */
export function usesResetBeforeKernel(cfg: RecurrentConfig): boolean {
  return cfg.cell === 'gru' && !cfg.resetAfter;
}

/**
 * A layer's values of the cell overrides (cells.wgsl, shared by the step, sequence and resident
 * kernels), with the part of a pipeline's cache key and label they decide.
 */
export function cellSpec(cfg: RecurrentConfig): { cell: number; key: string; label: string; constants: Record<string, number> } {
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

export const pow2AtLeast = (n: number, cap: number) => {
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
export function gpuStepShape(B: number, maxThreads: number, groups: (uw: number) => number): StepShape {
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
export function writeSeqDirs(w: FieldWriter, dirs: readonly SequenceDir[]): void {
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

/** Per-direction fields of the whole-sequence kernel (`SeqDir`). */
export interface SequenceDir {
  reverse: boolean;
  aligned: boolean;
  yBase: number;
}
