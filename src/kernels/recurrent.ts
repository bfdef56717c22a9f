import gruResetBeforeWgsl from '../../shaders/gru_reset_before_step.wgsl?raw';
import stepWgsl from '../../shaders/recurrent_step.wgsl?raw';
import { ACTIVATION_ID } from '../graph/activations.js';
import type { RecurrentConfig } from '../graph/recurrent.js';
import { GATES } from '../graph/recurrent.js';
import { FieldWriter, type Program, withActivations } from './program.js';

/** Threads per workgroup in both step kernels (WG in the shaders). */
export const STEP_WG = 64;

const stepCode = withActivations(stepWgsl);
const gruResetBeforeCode = withActivations(gruResetBeforeWgsl);
const CELL_ID = { simpleRNN: 0, lstm: 1, gru: 2 } as const;

/** Whether a layer needs the two-phase GRU kernel (reset gate before the matmul). */
export function usesResetBeforeKernel(cfg: RecurrentConfig): boolean {
  return cfg.cell === 'gru' && !cfg.resetAfter;
}

/** Batch rows per workgroup of the step kernel: every weight loaded serves this many rows. */
export function rowsPerWorkgroup(batch: number): number {
  let r = 1;
  while (r < batch && r < 8) r *= 2;
  return r;
}

/** The fused step program for a layer's cell and activations. */
export function stepProgram(cfg: RecurrentConfig, rows = 1): Program {
  const f = ACTIVATION_ID[cfg.acts.f.fn], g = ACTIVATION_ID[cfg.acts.g.fn], h = ACTIVATION_ID[cfg.acts.h.fn];
  const bindings = ['read', 'read', 'read_write', 'read_write', 'uniform'] as const;
  if (usesResetBeforeKernel(cfg)) {
    return {
      name: `gru_reset_before_step f=${cfg.acts.f.fn} g=${cfg.acts.g.fn}`,
      cacheKey: `gru_rb:${f}:${g}`,
      code: gruResetBeforeCode,
      constants: { ACT_F: f, ACT_G: g },
      bindings,
      uniformSize: STEP_UNIFORM_SIZE,
    };
  }
  const cell = CELL_ID[cfg.cell];
  const peep = cfg.peephole ? 1 : 0, coupled = cfg.inputForget ? 1 : 0;
  return {
    name: `${cfg.cell}_step R=${rows} f=${cfg.acts.f.fn} g=${cfg.acts.g.fn} h=${cfg.acts.h.fn}${peep ? ' peephole' : ''}${coupled ? ' input_forget' : ''}`,
    cacheKey: `step:${cell}:${f}:${g}:${h}:${peep}:${coupled}:${rows}`,
    code: stepCode,
    constants: { CELL: cell, G: GATES[cfg.cell], ACT_F: f, ACT_G: g, ACT_H: h, PEEPHOLE: peep, INPUT_FORGET: coupled, R: rows },
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
  slotIn: number;
  maskOn: boolean;
  maskBase: number;
  ySB: number;
  seqOut: boolean;
  cfg: RecurrentConfig;
  dirs: StepDir[];
}

const STEP_UNIFORM_SIZE = 112;

/**
 * Stride, in vec4s, of one direction's block in the U buffer. Gated cells: [H][H] vec4s (a unit's
 * gates side by side), recurrent bias [H], peepholes [H]. SimpleRNN: [ceil(H/4)][H] vec4s (four
 * consecutive inputs side by side).
 */
export function recurrentWeightStride(cfg: RecurrentConfig): number {
  const H = cfg.units;
  return GATES[cfg.cell] === 1 ? Math.ceil(H / 4) * H : H * H + 2 * H;
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
}

export function stepDispatch(cfg: RecurrentConfig, B: number, D: number, rows = 1): [number, number, number] {
  if (usesResetBeforeKernel(cfg)) return [B, D, 1];
  return [Math.ceil(cfg.units / STEP_WG), Math.ceil(B / rows), D];
}
