/**
 * Which kernels run a model's recurrent layers: the choice for a layer on its own
 * (chooseRecurrentKernel, stepShapeFor) and the stacked pairs that run as one (wavefrontPairs,
 * wavefrontPairsFor), from the measurements each rule names. buildPlan (plan.ts) applies them.
 */
import { Dropout } from '../graph/layers.js';
import type { Model } from '../graph/model.js';
import { type RecurrentConfig, RecurrentLayer } from '../graph/recurrent.js';
import type { Node, SymbolicTensor } from '../graph/tensor.js';
import { stepShape, type StepShape, tiledApplies, tiledShape } from '../kernels/recurrent.js';
import { residentRowsFor, sequenceShape, type SequenceShape } from '../kernels/sequence.js';
import { wavefrontFits } from '../kernels/wavefront.js';
import type { PlanOptions } from './plan.js';

/**
 * Which recurrent kernel runs a layer: one dispatch per step ('step'; 'tiled': the step kernel tiled
 * for batches, recurrent_tiled.wgsl, where it applies), or one for the whole sequence; or
 * 'wavefront': stacked pairs (wavefrontPairs) as one dispatch for both layers, other layers as with
 * 'sequence'; or 'wavefront-step': stacked pairs as one dispatch per step for both layers
 * (recurrent_wavefront_step.wgsl), other layers a dispatch per step (tiled where 'auto' would tile
 * them, stepShapeFor).
 */
export const KERNEL_CHOICES = ['auto', 'step', 'tiled', 'sequence', 'wavefront', 'wavefront-step'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/**
 * Whether 'auto' runs a layer as one whole-sequence dispatch on a GPU. Measured on an H100 and an H200
 * (Dawn GL ES, docs/BENCHMARKS-H100-KERNELS.md): with its reduction split over threads, the sequence
 * kernel beats a dispatch per step on configs a, c and d (hidden 64-128, batch 1-32). At hidden 256
 * each of its workgroups streams 1 MiB of f32 weights a step: config b (batch 16) took 4.0-4.1 ms that
 * way (once 12.6) and 3.1-4.2 ms with a dispatch per step (H200). Larger hidden sizes keep the step kernel.
 */
function sequenceWinsOnGpu(cfg: RecurrentConfig, B: number): boolean {
  return cfg.units <= 128 || (cfg.units <= 256 && B < SEQUENCE_MAX_BATCH_256);
}

/**
 * Whether 'auto' runs a stacked pair (wavefrontPairs) as the wavefront step kernel on a GPU: T + 1
 * dispatches for the pair's 2T layer-steps. On an H200 (call 8, docs/BENCHMARKS-H100-KERNELS.md) it
 * ran config a (hidden 128, batch 1) in 2.17 and 2.31 ms against the sequence kernel's 3.12 and 2.94,
 * and config b (hidden 256, batch 16) in 2.08 and 1.89 against the step kernel's 2.99 and 3.01. Pairs
 * of smaller layers keep the sequence kernel (at hidden 64 it takes about 2.3 µs a layer-step there,
 * under a dispatch's cost), and batches over 16, not measured, their layers' own kernels.
 */
export function wavefrontStepWinsOnGpu(H1: number, H2: number, B: number): boolean {
  return Math.max(H1, H2) >= 128 && B <= WAVEFRONT_STEP_MAX_BATCH;
}

/** The largest batch 'auto' runs a stacked pair at as the wavefront step kernel (wavefrontStepWinsOnGpu). */
const WAVEFRONT_STEP_MAX_BATCH = 16;

/** The batch below which a GPU keeps the sequence kernel at hidden sizes 129-256 (sequenceWinsOnGpu). */
const SEQUENCE_MAX_BATCH_256 = 4;

/**
 * The batch from which 'auto' runs the tiled step kernel on a GPU (tiledApplies). On an H200 it ran
 * config f (hidden 512, batch 64) at 137-219 µs a step against the untiled kernel's 151-289 (three
 * calls), but config b (hidden 256, batch 16) at 4.7-15 ms against 3.1-4.2
 * (docs/BENCHMARKS-H100-KERNELS.md).
 */
const TILED_MIN_BATCH = 32;

/**
 * The step kernel's shape for a layer: tiled (tiledShape) where it applies and 'tiled' is forced, or
 * where 'auto' (and a forced 'sequence' that falls back) runs a batch of at least TILED_MIN_BATCH on a
 * GPU; else stepShape, whose slices meet in subgroups on a GPU where the device has them
 * (stepSubgroupMeet). No GPU measured that meeting: the GPU machines' Dawn OpenGL ES backend has no
 * subgroups. On lavapipe forced to GPU shapes (SS = 4 of KS = 16; bench/gpu/probes/steps.ts, T=4,20
 * N=5, three alternated runs each, SUBGROUPS=0 for the device without) an LSTM step took 316-491 µs
 * with it and 256-556 without at hidden 256, batch 1; 313-567 and 287-376 at hidden 128, batch 4; and
 * 8.9-12.1 ms against 6.7-8.7 at hidden 1024, batch 1: no gain, maybe a loss, within that 2-core
 * machine's noise. There the reduction's loads (per-lane loops) are the step, not the meeting; 'auto'
 * takes it on GPUs only, where the barrier and the partial sums' round trip are what it saves.
 */
export function stepShapeFor(cfg: RecurrentConfig, B: number, D: number, options: PlanOptions): StepShape {
  const choice = options.kernel ?? 'auto';
  const software = options.softwareAdapter ?? false;
  const maxThreads = options.maxThreads ?? 128;
  const tiled = tiledApplies(cfg) && (choice === 'tiled' || (choice !== 'step' && !software && B >= TILED_MIN_BATCH));
  return tiled ? tiledShape(cfg, B, D, maxThreads) : stepShape(cfg, B, D, software, maxThreads, options.subgroupMinSize ?? 0);
}

/**
 * Whether 'auto' runs a layer as one whole-sequence dispatch on a CPU-emulated adapter: the resident
 * kernel (recurrent_resident.wgsl), where it fits.
 */
function residentWinsOnCpu(shape: SequenceShape | null): boolean {
  return shape?.resident === true;
}

/** Batch rows a GPU workgroup of the sequence and wavefront kernels takes: very large batches share weight loads. */
export function gpuRowsFor(B: number): number {
  return B >= 256 ? 4 : B >= 64 ? 2 : 1;
}

/**
 * Picks the recurrent kernel of a layer that runs on its own (stacked pairs may run together instead:
 * wavefrontPairsFor): 'auto' follows sequenceWinsOnGpu on a GPU and residentWinsOnCpu on a
 * CPU-emulated adapter. A forced 'sequence' falls back to the step kernel where the layer does not fit
 * in one workgroup, and for an LSTM with a projection (projSize), which runs as the step kernel plus a
 * projection per step.
 */
export function chooseRecurrentKernel(
  cfg: RecurrentConfig, B: number, options: PlanOptions,
): { kind: 'step' } | { kind: 'sequence'; rows: number; shape: SequenceShape } {
  const choice = options.kernel ?? 'auto';
  const software = options.softwareAdapter ?? false;
  // One row per workgroup keeps the most workgroups busy; on a GPU very large batches share weight loads.
  const rows = software ? 1 : gpuRowsFor(B);
  const shape = cfg.projSize === null ? sequenceShape(cfg, rows, options.maxThreads ?? 128, software, options.subgroupWidth ?? 0) : null;
  const auto = software ? residentWinsOnCpu(shape) : sequenceWinsOnGpu(cfg, B);
  const wanted = choice === 'sequence' || choice === 'wavefront' || (choice === 'auto' && auto);
  // The resident kernel's workgroups share each weight load among up to 4 rows (residentRowsFor).
  return wanted && shape ? { kind: 'sequence', rows: shape.resident ? residentRowsFor(cfg, B) : rows, shape } : { kind: 'step' };
}

/** Follows dropout (the identity at inference) to the tensor that holds the data. */
export function canonical(t: SymbolicTensor): SymbolicTensor {
  while (t.node && t.node.layer instanceof Dropout) t = t.node.inputs[0]!;
  return t;
}

/**
 * Stacked pairs the wavefront kernel (recurrent_wavefront.wgsl) can run as one dispatch, each layer 1
 * node with its layer 2: unidirectional forward SimpleRNN or LSTM layers with the same cell options
 * (activations, clip, peepholes, coupled gates; units and bias may differ), no projection, initial
 * state or returned state, where layer 1 returns sequences that only layer 2 reads (through Dropout at
 * most) and that are no model output, both fit one workgroup (wavefrontFits) and `accept` takes them
 * (pairing is greedy along the model's nodes, so a pair it refuses leaves its layers free to pair with
 * their other neighbours). Whether a plan runs them so also depends on its batch (the kernel's shape),
 * on masks and on streaming: see buildPlan.
 */
export function wavefrontPairs(model: Model, accept: (first: RecurrentConfig, second: RecurrentConfig) => boolean = () => true): Map<Node, Node> {
  const pairs = new Map<Node, Node>();
  const taken = new Set<Node>();
  const outputs = new Set(model.outputs.map((t) => canonical(t).id));
  const eligible = (n: Node) => {
    const l = n.layer;
    if (!(l instanceof RecurrentLayer) || taken.has(n)) return false;
    const c = l.config;
    return (c.cell === 'simpleRNN' || c.cell === 'lstm') && !c.goBackwards && !c.returnState && c.projSize === null
      && n.initialState.length === 0;
  };
  const options = (c: RecurrentConfig) => JSON.stringify([c.cell, c.acts, c.clip, c.peephole, c.inputForget]);
  for (const first of model.nodes) {
    if (!eligible(first) || !(first.layer as RecurrentLayer).config.returnSequences) continue;
    const out = first.outputs[0]!;
    if (outputs.has(out.id)) continue;
    const readers = model.nodes.filter((n) => !(n.layer instanceof Dropout) && n.inputs.some((t) => canonical(t).id === out.id));
    const second = readers[0];
    if (readers.length !== 1 || !eligible(second!) || second!.inputs.length !== 1) continue;
    const c1 = (first.layer as RecurrentLayer).config, c2 = (second!.layer as RecurrentLayer).config;
    if (options(c1) !== options(c2) || !wavefrontFits(c1.units, c2.units) || !accept(c1, c2)) continue;
    pairs.set(first, second!);
    taken.add(first);
    taken.add(second!);
  }
  return pairs;
}

/** Whether a kernel choice forces stacked pairs to run as one (wavefrontPairs). */
export function isWavefront(kernel: KernelChoice | undefined): boolean {
  return kernel === 'wavefront' || kernel === 'wavefront-step';
}

/**
 * The stacked pairs (wavefrontPairs) a plan under these options may run as one: every pair where a
 * wavefront kernel is forced; under 'auto' on a GPU, the pairs wide enough for the wavefront step
 * kernel (wavefrontStepWinsOnGpu: the batch decides per plan); none on a CPU-emulated adapter.
 */
export function wavefrontPairsFor(model: Model, options: PlanOptions): Map<Node, Node> {
  if (isWavefront(options.kernel)) return wavefrontPairs(model);
  if ((options.kernel ?? 'auto') !== 'auto' || options.softwareAdapter) return new Map();
  return wavefrontPairs(model, (c1, c2) => wavefrontStepWinsOnGpu(c1.units, c2.units, 1));
}
