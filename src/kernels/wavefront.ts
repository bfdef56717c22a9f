/**
 * The stacked-pair kernels: the wavefront kernel (recurrent_wavefront.wgsl, both layers' whole
 * sequences in one workgroup) and the wavefront step kernel (recurrent_wavefront_step.wgsl, both
 * layers in one dispatch per step), their weight layout, shapes, uniforms and dispatches. The single
 * layers' kernels are in recurrent.ts.
 */
import cellsWgsl from '../../shaders/cells.wgsl?raw';
import reduceRowsWgsl from '../../shaders/reduce_rows.wgsl?raw';
import wavefrontWgsl from '../../shaders/recurrent_wavefront.wgsl?raw';
import wavefrontStepWgsl from '../../shaders/recurrent_wavefront_step.wgsl?raw';
import stepReduceWgsl from '../../shaders/step_reduce.wgsl?raw';
import wavefrontPairWgsl from '../../shaders/wavefront_pair.wgsl?raw';
import type { RecurrentConfig } from '../graph/recurrent.js';
import { GATES } from '../graph/recurrent.js';
import { FieldWriter, type Program } from './program.js';
import { cellSpec, gpuStepShape, type Precision, pow2AtLeast, recurrentWeightStride, type StepShape, withWeights } from './recurrent.js';
import { SEQ_MAX_UNITS_PER_LANE, type SequenceShape } from './sequence.js';

const wavefrontCode = withWeights(`${cellsWgsl}\n${wavefrontPairWgsl}\n${wavefrontWgsl}\n${reduceRowsWgsl}`);
const wavefrontStepCode = withWeights(`${cellsWgsl}\n${wavefrontPairWgsl}\n${wavefrontStepWgsl}\n${reduceRowsWgsl}\n${stepReduceWgsl}`);

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
