/**
 * Graph -> plan: which buffers (sizes), which dispatches in which order, with which uniforms. A plan
 * is made once per batch size and set of sequence lengths and replayed by every predict() of that
 * shape. It creates no GPU object itself (the executor does), so it can be inspected and tested.
 */
import { ShapeError } from '../errors.js';
import { actSpec } from '../graph/activations.js';
import { Bidirectional, Concatenate, Dense } from '../graph/layers.js';
import { maskFlow } from '../graph/mask-flow.js';
import { Masking } from '../graph/masking.js';
import type { Model } from '../graph/model.js';
import { GATES, RecurrentLayer } from '../graph/recurrent.js';
import type { Layer } from '../graph/layer.js';
import type { Node, SymbolicTensor } from '../graph/tensor.js';
import {
  type ElementwiseOp, elementwiseDispatch, elementwiseProgram, softmaxDispatch, softmaxProgram, writeElementwiseParams,
  writeSoftmaxParams,
} from '../kernels/elementwise.js';
import { maskDispatch, maskProgram, writeMaskParams } from '../kernels/mask.js';
import { type MatmulTarget, matmulDispatch, matmulProgram, writeMatmulParams } from '../kernels/matmul.js';
import { type Program, UniformArena } from '../kernels/program.js';
import {
  type StepDir, projectionDispatch, projectionProgram, recurrentStateLayout, stepDispatch, stepProgram, countedSteps, type Precision,
  writeStepParams,
} from '../kernels/recurrent.js';
import { fusedInputFits, sequenceDispatch, sequenceProgram, writeSequenceParams } from '../kernels/sequence.js';
import {
  wavefrontProgram, wavefrontShape, writeWavefrontParams, wavefrontStepDispatch, wavefrontStepProgram,
  wavefrontStepShape, wavefrontStepState, writeWavefrontStepParams,
} from '../kernels/wavefront.js';
import { type KernelChoice, canonical, chooseRecurrentKernel, gpuRowsFor, stepShapeFor, wavefrontPairsFor, wavefrontStepWinsOnGpu } from './choice.js';
import { directionsOf } from './weights.js';

/**
 * A buffer: per-plan (activations, projections, states, inputs), a layer's uploaded weights, or the
 * recurrent weights of several packed layers one after the other (see packPartner), or a stacked
 * pair's weights for the wavefront kernel (packWavefront).
 */
export type BufferRef =
  | { plan: number } | { weights: Layer; part: 'w' | 'u' } | { packed: RecurrentLayer[] }
  | { wavefront: [RecurrentLayer, RecurrentLayer] };

/** Where a tensor lives: element (t, b, f) at base + t*sT + b*sB + f of its buffer. */
export interface Home {
  buf: number;
  base: number;
  sT: number;
  sB: number;
  T: number;
  F: number;
}

export interface Dispatch {
  program: Program;
  buffers: BufferRef[];
  uniformOffset: number;
  workgroups: [number, number, number];
}

export interface PlanBuffer {
  floats: number;
  label: string;
}

/** The mask [T][B] of one recurrent node, in its P buffer's tail. */
export interface MaskSlot {
  buf: number;
  base: number;
  T: number;
  /** predict(x, { lengths }) writes it before the pass (Masking kernels then AND into it). */
  lengths: boolean;
}

/** A recurrent node's state buffer (stream plans): h in slot 0 at [B][K], c at 2 * B * K (LSTM; K = the size of h). */
export interface StateSlot {
  node: Node;
  buf: number;
  H: number;
  /** The size of h: H, or projSize for an LSTM with a projection. */
  K: number;
  /** 1 (h) or 2 (h, c). */
  count: number;
}

export interface PlanOptions {
  /** Recurrent kernel choice (default 'auto'; for stacked pairs see wavefrontPairsFor). */
  kernel?: KernelChoice;
  /** The device's maxComputeInvocationsPerWorkgroup (default 128, the compatibility-mode minimum). */
  maxThreads?: number;
  /** Storage precision of the recurrent weights (default 'f32'); must match the uploaded weights. */
  precision?: Precision;
  /** A CPU-emulated adapter (lavapipe, SwiftShader): kernels shaped for SIMD lanes on CPU cores. */
  softwareAdapter?: boolean;
  /**
   * Lanes one load of a quad serves through subgroup shuffles in the resident kernel
   * (subgroupWidthFor); 0 without subgroups.
   */
  subgroupWidth?: number;
  /**
   * The device's smallest subgroup size where it has the `subgroups` feature, else 0 (also when the
   * size is unknown): the step kernel's slices then meet in subgroups on a GPU (stepSubgroupMeet).
   */
  subgroupMinSize?: number;
  /**
   * Run a layer's input projection inside the resident kernel where it fits (fusedInputFits), instead
   * of a matmul pass before it (default true).
   */
  fuseInput?: boolean;
  /** The device's maxComputeWorkgroupStorageSize (default 16384, WebGPU's minimum). */
  workgroupBytes?: number;
  /** The device's maxStorageBuffersPerShaderStage (default 4, the compatibility-mode minimum). */
  storageBuffers?: number;
  /**
   * Streaming: recurrent states are not zeroed and not taken from initial-state inputs; each node
   * starts from h in slot 0 (and c) and leaves its final h there, and a masked step before the
   * chunk's first valid one carries h. The caller owns the state buffers (Plan.states).
   */
  stream?: boolean;
}

export interface Plan {
  key: string;
  batch: number;
  buffers: PlanBuffer[];
  /** Buffers zeroed at the start of each pass (recurrent states). */
  clears: number[];
  dispatches: Dispatch[];
  uniforms: Uint8Array;
  inputs: Home[];
  outputs: { home: Home; shape: number[] }[];
  masks: MaskSlot[];
  /** Recurrent state buffers, in model.nodes order (stream plans). */
  states: StateSlot[];
}

const isSeq = (t: SymbolicTensor) => t.shape.length === 2;

/** Producers that can write their main output into any strided view, e.g. a slice of a concatenation. */
function writesAnyView(t: SymbolicTensor): boolean {
  const layer = t.node?.layer;
  if (!layer) return false;
  if (layer instanceof Dense || layer instanceof Concatenate) return true;
  return (layer instanceof RecurrentLayer || layer instanceof Bidirectional) && t.outputIndex === 0;
}

/**
 * Builds the plan for a batch size and the time steps of each model input.
 * @param masked whether predict() passes per-row lengths (each recurrent node then reads a mask).
 */
export function buildPlan(model: Model, batch: number, inputSteps: number[], masked: boolean, options: PlanOptions = {}): Plan {
  const B = batch;
  const buffers: PlanBuffer[] = [];
  const arena = new UniformArena();
  const dispatches: Dispatch[] = [];
  const clears: number[] = [];
  const masks: MaskSlot[] = [];
  const states: StateSlot[] = [];
  const stream = options.stream ?? false;
  const mmTarget: MatmulTarget = { software: options.softwareAdapter ?? false, subgroupWidth: options.subgroupWidth ?? 0 };
  const flow = maskFlow(model, masked);
  const homes = new Map<number, Home>();
  const steps = new Map<number, number>();

  const newBuffer = (floats: number, label: string): number => {
    buffers.push({ floats, label });
    return buffers.length - 1;
  };
  /** A fresh time-major home [T][B][F] (or [B][F] for a vector). */
  const freshHome = (T: number, F: number, seq: boolean, label: string): Home => ({
    buf: newBuffer((seq ? T : 1) * B * F, label), base: 0, sT: seq ? B * F : 0, sB: F, T: seq ? T : 1, F,
  });
  const emit = (program: Program, bufs: BufferRef[], fill: (v: DataView) => void, workgroups: [number, number, number]) => {
    dispatches.push({ program, buffers: bufs, uniformOffset: arena.add(program.uniformSize, fill), workgroups });
  };
  const P = (buf: number): BufferRef => ({ plan: buf });

  // 1. Sequence lengths of every tensor.
  model.inputs.forEach((t, i) => steps.set(t.id, isSeq(t) ? inputSteps[i]! : 1));
  for (const node of model.nodes) {
    const x = node.inputs[0]!;
    let T = steps.get(x.id)!;
    if (node.layer instanceof Concatenate) {
      const ts = node.inputs.map((t) => steps.get(t.id)!);
      if (isSeq(node.outputs[0]!) && ts.some((v) => v !== ts[0])) {
        throw new ShapeError(`layer '${node.layer.name}' (Concatenate): its sequence inputs have different lengths (${ts.join(', ')})`);
      }
      T = ts[0]!;
    }
    for (const o of node.outputs) steps.set(o.id, isSeq(o) ? T : 1);
  }
  const stepsOf = (t: SymbolicTensor) => steps.get(t.id)!;

  // 2. Model inputs: uploaded as given, batch first.
  const inputHomes = model.inputs.map((t, i) => {
    const T = stepsOf(t), F = t.shape[t.shape.length - 1] as number;
    const home: Home = { buf: newBuffer(B * T * F, `input ${i}`), base: 0, sT: isSeq(t) ? F : 0, sB: T * F, T, F };
    homes.set(t.id, home);
    return home;
  });

  // 3. Concatenations first, from the outputs back: each claims its output's home (possibly a slice
  //    of a later concatenation) and hands its inputs their slices, so producers write in place.
  const pendingCopies = new Map<Node, { src: SymbolicTensor; dst: Home }[]>();
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const node = model.nodes[i]!;
    if (!(node.layer instanceof Concatenate)) continue;
    const out = canonical(node.outputs[0]!);
    const T = stepsOf(out), F = out.shape[out.shape.length - 1] as number;
    const home = homes.get(out.id) ?? freshHome(T, F, isSeq(out), `${node.layer.name} output`);
    homes.set(out.id, home);
    let offset = 0;
    const copies: { src: SymbolicTensor; dst: Home }[] = [];
    for (const input of node.inputs) {
      const src = canonical(input);
      const width = src.shape[src.shape.length - 1] as number;
      const slice: Home = { ...home, base: home.base + offset, F: width };
      if (writesAnyView(src) && !homes.has(src.id)) homes.set(src.id, slice);
      else copies.push({ src, dst: slice });
      offset += width;
    }
    pendingCopies.set(node, copies);
  }

  const homeOf = (t: SymbolicTensor): Home => {
    const h = homes.get(canonical(t).id);
    if (!h) throw new Error(`plan: no home for tensor '${t.name}'`);
    return h;
  };
  const outHome = (t: SymbolicTensor, label: string): Home => {
    const c = canonical(t);
    let h = homes.get(c.id);
    if (!h) {
      const F = c.shape[c.shape.length - 1] as number;
      h = freshHome(stepsOf(c), F, isSeq(c), label);
      homes.set(c.id, h);
    }
    return h;
  };
  const copy = (op: ElementwiseOp, a: Home, c: Home, y: Home, T: number, F: number) => {
    const inBuffer = op === 'copy' && a.buf === y.buf;
    const params = { T, B, F, a, c, y };
    // In one buffer the kernel reads Y itself; A and C get another buffer (input 0's, never written),
    // since a buffer cannot be bound read-only and writable in one dispatch.
    const src = inBuffer ? P(inputHomes[0]!.buf) : P(a.buf);
    emit(elementwiseProgram(op, inBuffer), [src, inBuffer ? src : P(c.buf), P(y.buf)], (v) => writeElementwiseParams(v, params), elementwiseDispatch(params));
  };

  // 4. Every node in order; independent recurrent layers of one shape run packed (see packPartner);
  //    stacked pairs may run as one (see wavefrontPairsFor).
  const nodeIndex = new Map(model.nodes.map((n, i) => [n, i]));
  const packedEarlier = new Set<Node>();
  const pairs = stream ? new Map<Node, Node>() : wavefrontPairsFor(model, options);
  for (const [i, node] of model.nodes.entries()) {
    const layer = node.layer;
    if (packedEarlier.has(node)) continue;
    const second = pairs.get(node);
    if (second && emitWavefront(node, second)) {
      packedEarlier.add(second);
      continue;
    }
    if (layer instanceof RecurrentLayer || layer instanceof Bidirectional) {
      const partner = packPartner(i);
      if (partner) packedEarlier.add(partner);
      emitRecurrent(partner ? [node, partner] : [node]);
    } else if (layer instanceof Dense) {
      emitDense(node, layer);
    } else if (layer instanceof Concatenate) {
      for (const { src, dst } of pendingCopies.get(node) ?? []) copy('copy', homeOf(src), homeOf(src), dst, dst.T, dst.F);
    } else if (layer instanceof Masking) {
      const x = homeOf(node.inputs[0]!), y = outHome(node.outputs[0]!, `${layer.name} output`);
      const mp = { T: x.T, B, F: x.F, maskValue: layer.maskValue, x, y };
      emit(maskProgram('apply'), [P(x.buf), P(y.buf)], (v) => writeMaskParams(v, mp), maskDispatch(mp));
    }
  }

  function emitDense(node: Node, layer: Dense) {
    const x = homeOf(node.inputs[0]!);
    const target = outHome(node.outputs[0]!, `${layer.name} output`);
    // A matmul cannot read and write one buffer: go through a temporary when they share one.
    const y = x.buf === target.buf ? freshHome(target.T, target.F, target.sT !== 0, `${layer.name} temp`) : target;
    const params = { T: x.T, B, K: layer.inputSize, N: layer.units, x, y, hasBias: layer.useBias, act: actSpec(layer.activation) };
    emit(matmulProgram(params.act, params, mmTarget), [P(x.buf), { weights: layer, part: 'w' }, P(y.buf)], (v) => writeMatmulParams(v, params, mmTarget), matmulDispatch(params, mmTarget));
    if (layer.activation === 'softmax') {
      const sp = { T: y.T, B, F: layer.units, y };
      emit(softmaxProgram, [P(y.buf)], (v) => writeSoftmaxParams(v, sp), softmaxDispatch(sp));
    }
    if (y !== target) copy('copy', y, y, target, y.T, y.F);
  }

  /**
   * A later recurrent node to run in the same dispatches as node i, as a bidirectional layer runs its
   * two directions: independent branches of a wider model (e.g. two inputs, an LSTM each, then a
   * concatenation) take one dispatch per step (or one sequence dispatch) instead of one each. The
   * partner must be a unidirectional layer with the same configuration and sequence length, whose input
   * is already computed (its producer comes before node i), whose output lands in the same buffer with
   * the same strides (slices of one concatenation), with no mask, initial state or returned state; not
   * in stream plans.
   */
  function packPartner(i: number): Node | undefined {
    const node = model.nodes[i]!;
    const simple = (n: Node) => {
      const l = n.layer;
      if (!(l instanceof RecurrentLayer) || l.config.returnState || l.config.projSize !== null) return false;
      return n.initialState.length === 0 && !flow.has(n.inputs[0]!.id) && homes.has(canonical(n.outputs[0]!).id);
    };
    if (stream || !simple(node)) return undefined;
    const cfg = (node.layer as RecurrentLayer).config;
    const signature = JSON.stringify(cfg);
    const out = homes.get(canonical(node.outputs[0]!).id)!;
    const T = stepsOf(node.inputs[0]!);
    for (let j = i + 1; j < model.nodes.length; j++) {
      const m = model.nodes[j]!;
      if (packedEarlier.has(m) || !simple(m)) continue;
      if (JSON.stringify((m.layer as RecurrentLayer).config) !== signature || stepsOf(m.inputs[0]!) !== T) continue;
      const producer = canonical(m.inputs[0]!).node;
      if (producer && nodeIndex.get(producer)! >= i) continue;
      const o = homes.get(canonical(m.outputs[0]!).id)!;
      if (o.buf === out.buf && o.sT === out.sT && o.sB === out.sB) return m;
    }
    return undefined;
  }

  /**
   * A stacked pair (wavefrontPairsFor) after a matmul pass for layer 1's input projection: as the
   * wavefront kernel, one dispatch; or (kernel 'wavefront-step', and 'auto' on a GPU) as T + 1
   * dispatches of the wavefront step kernel, which all bind the same uniform block (each workgroup
   * counts its dispatches in the pair's state buffer, never cleared: see below), so the executor sets
   * the bind group once. False, emitting nothing, where it does not apply to this plan: a mask on the input,
   * under 'auto' a batch over WAVEFRONT_STEP_MAX_BATCH, or (the wavefront kernel) a shape that does not
   * fit its workgroup even at one row a workgroup (compatibility mode's 128 threads, say).
   */
  function emitWavefront(first: Node, second: Node): boolean {
    if (flow.has(first.inputs[0]!.id) || flow.has(second.inputs[0]!.id)) return false;
    const l1 = first.layer as RecurrentLayer, l2 = second.layer as RecurrentLayer;
    const c1 = l1.config, c2 = l2.config, H1 = c1.units, H2 = c2.units;
    const auto = (options.kernel ?? 'auto') === 'auto';
    if (auto && !wavefrontStepWinsOnGpu(H1, H2, B)) return false;
    const steps = auto || options.kernel === 'wavefront-step';
    // As many rows a workgroup as the sequence kernel takes on a GPU, fewer where they do not fit.
    const shapeFor = (rows: number) => wavefrontShape(H1, H2, rows, options.maxThreads ?? 128, options.softwareAdapter ?? false);
    const rows = steps ? 0 : [4, 2, 1].find((r) => r <= gpuRowsFor(B) && shapeFor(r) !== null);
    if (rows === undefined) return false;
    const x = homeOf(first.inputs[0]!);
    const T = x.T, GH = GATES[c1.cell] * H1;
    const pBuf = newBuffer(T * B * GH, `${l1.name} projections`);
    project(l1, x, { buf: pBuf, base: 0, sT: B * GH, sB: GH, T, F: GH });
    const y = outHome(second.outputs[0]!, `${l2.name} output`);
    const wp = { B, T, first: c1, second: c2, yBase: y.base, ySB: y.sB, ysT: c2.returnSequences ? y.sT : 0 };
    if (!steps) {
      emit(wavefrontProgram(c1, rows, shapeFor(rows)!, options.precision), [{ wavefront: [l1, l2] }, P(pBuf), P(y.buf)], (v) => writeWavefrontParams(v, wp), sequenceDispatch(B, 1, rows));
      return true;
    }
    const shape = wavefrontStepShape(H1, H2, B, options.softwareAdapter ?? false, options.maxThreads ?? 128);
    const workgroups = wavefrontStepDispatch(H1, H2, B, shape);
    // Not cleared: each layer's first step starts from zero state without reading it, and the
    // workgroups' counts return to 0 at the end of every pass (recurrent_wavefront_step.wgsl).
    const sBuf = newBuffer(wavefrontStepState(H1, H2, B, workgroups).floats, `${l1.name}+${l2.name} state`);
    const program = wavefrontStepProgram(c1, shape, options.precision);
    const uniformOffset = arena.add(program.uniformSize, (v) => writeWavefrontStepParams(v, wp, shape));
    const buffersOf: BufferRef[] = [{ wavefront: [l1, l2] }, P(pBuf), P(sBuf), P(y.buf)];
    for (let s = 0; s <= T; s++) dispatches.push({ program, buffers: buffersOf, uniformOffset, workgroups });
    return true;
  }

  /**
   * The input projection x W + b of every step of a recurrent layer (both directions of a bidirectional
   * one side by side) into `p`, as one matmul.
   */
  function project(layer: RecurrentLayer | Bidirectional, x: Home, p: Home) {
    const dirs = directionsOf(layer);
    const mm = { T: x.T, B, K: dirs[0]!.inputSize, N: p.F, x, y: p, hasBias: dirs[0]!.config.useBias, act: actSpec('linear') };
    emit(matmulProgram(mm.act, mm, mmTarget), [P(x.buf), { weights: layer, part: 'w' }, P(p.buf)], (v) => writeMatmulParams(v, mm, mmTarget), matmulDispatch(mm, mmTarget));
  }

  /** One recurrent node, or several packed (packPartner) that run as the directions of one layer. */
  function emitRecurrent(group: Node[]) {
    const node = group[0]!;
    const layer = node.layer as RecurrentLayer | Bidirectional;
    const packed = group.length > 1;
    const dirs = packed ? group.map((n) => n.layer as RecurrentLayer) : directionsOf(layer);
    const D = dirs.length;
    const cfg = dirs[0]!.config;
    const H = cfg.units;
    const O = dirs[0]!.outputUnits; // the size of h and of the output: H, or projSize
    const GH = GATES[cfg.cell] * H;
    const N = D * GH;
    const x = homeOf(node.inputs[0]!);
    const T = x.T;
    const name = packed ? group.map((n) => n.layer.name).join('+') : layer.name;

    // Output: the consumer's view, or (sum / mul / ave) a [T][B][2H] buffer merged afterwards.
    const seq = cfg.returnSequences;
    const main = node.outputs[0]!;
    const merge = layer instanceof Bidirectional && layer.mergeMode !== 'concat' ? layer.mergeMode : null;
    const y = merge ? freshHome(T, 2 * O, seq, `${name} directions`) : outHome(main, `${name} output`);

    // The resident kernel runs the input projection itself where it fits (one input for every
    // direction; the kernel binds x read-only next to its writable output, so not in the same buffer).
    const kernel = chooseRecurrentKernel(cfg, B, options);
    const F = dirs[0]!.inputSize;
    const fused = kernel.kind === 'sequence' && kernel.shape.resident === true && !packed && options.fuseInput !== false
      && x.buf !== y.buf
      && fusedInputFits(cfg, F, kernel.rows, { workgroupBytes: options.workgroupBytes ?? 16384, storageBuffers: options.storageBuffers ?? 4 });

    // Projections of every step (both directions side by side), then the mask when masked:
    // predict's lengths (written by the executor) ANDed with each Masking layer upstream. Fused, only
    // the mask.
    const mf = flow.get(node.inputs[0]!.id);
    const maskOn = mf !== undefined;
    const maskBase = fused ? 0 : T * B * N;
    const pBuf = newBuffer(maskBase + (maskOn ? T * B : 0), fused ? `${name} mask` : `${name} projections`);
    if (mf) {
      masks.push({ buf: pBuf, base: maskBase, T, lengths: mf.lengths });
      mf.masking.forEach((m, k) => {
        const src = homeOf(m.inputs[0]!);
        const mp = { T, B, F: src.F, maskValue: (m.layer as Masking).maskValue, x: src, mBase: maskBase };
        emit(maskProgram(k === 0 && !mf.lengths ? 'set' : 'and'), [P(src.buf), P(pBuf)], (v) => writeMaskParams(v, mp), maskDispatch(mp));
      });
    }
    // One matmul for both directions of a layer; one per packed layer, each into its columns.
    if (!fused) group.forEach((member, d) => {
      const pHome: Home = { buf: pBuf, base: packed ? d * GH : 0, sT: B * N, sB: N, T, F: packed ? GH : N };
      project(member.layer as RecurrentLayer | Bidirectional, homeOf(member.inputs[0]!), pHome);
    });

    // States (recurrentStateLayout): h [2][D][B][O], c [D][B][H], scratch [2][D][B][H] (GRU reset-before;
    // m = o * act(c) of a projected LSTM); zeroed, then initial states copied in.
    const layout = recurrentStateLayout(cfg, D, B);
    // Step kernels that count their own steps (countedSteps; not in a stream, whose state buffers
    // outlive the plan) keep one count per workgroup after the states, cleared with them every pass.
    const layerStepShape = kernel.kind === 'sequence' ? null : stepShapeFor(cfg, B, D, options);
    const stepGroups = layerStepShape ? stepDispatch(cfg, B, D, layerStepShape) : null;
    const counted = stepGroups !== null && !stream && countedSteps(cfg);
    const sBuf = newBuffer(layout.floats + (counted ? stepGroups[0] * stepGroups[1] * stepGroups[2] : 0), `${name} state`);
    /** h slot 0 or 1 of direction d, [B][O]. */
    const hView = (slot: number, d: number): Home => ({ buf: sBuf, base: (slot * D + d) * B * O, sT: 0, sB: O, T: 1, F: O });
    const cView = (d: number): Home => ({ buf: sBuf, base: layout.cBase + d * B * H, sT: 0, sB: H, T: 1, F: H });
    const perDir = dirs[0]!.stateCount;
    if (stream) states.push({ node, buf: sBuf, H, K: O, count: perDir });
    else clears.push(sBuf);
    if (!stream) node.initialState.forEach((s, i) => {
      const d = Math.floor(i / perDir), which = i % perDir;
      const src = homeOf(s);
      if (which === 0) copy('copy', src, src, hView(0, d), 1, O);
      else copy('copy', src, src, cView(d), 1, H);
    });

    /** Where direction d's output starts: its slice of y, or a packed layer's own output. */
    const yBase = (d: number) => (packed ? homeOf(group[d]!.outputs[0]!).base : y.base + d * O);
    // A masked step leaves a last-output-only output alone, so a row masked to the end would keep what
    // the buffer held: fill it first with what Keras carries there, zeros (slot 1, zeroed and not yet
    // written) or, in a stream, h (slot 0).
    if (maskOn && !seq) {
      for (let d = 0; d < D; d++) copy('copy', hView(stream ? 0 : 1, d), hView(0, d), { ...y, base: y.base + d * O, sT: 0, T: 1, F: O }, 1, O);
    }

    const weights: BufferRef = packed ? { packed: dirs } : { weights: layer, part: 'u' };
    const buffersOf: BufferRef[] = [weights, P(pBuf), P(sBuf), P(y.buf)];
    if (fused) buffersOf.push(P(x.buf), { weights: layer, part: 'w' });
    // How each direction reads and stores its steps (the sequence kernels' SeqDir, counted steps too).
    const seqDirs = dirs.map((l, d) => ({ reverse: l.config.goBackwards, aligned: l.config.goBackwards && l.config.timeAligned, yBase: yBase(d) }));
    /** Step s of direction d: the time it reads and the time its output goes to (step_times.wgsl's stepTimes). */
    const stepTimes = (d: number, s: number) => {
      const { reverse, aligned } = seqDirs[d]!;
      const tIn = reverse ? T - 1 - s : s;
      return { tIn, tOut: aligned ? tIn : s };
    };
    // Streaming with a mask: a masked first step carries the output the stream had, which is h. It is
    // copied to step 0's output, which step 0 then reads as its "previous output".
    const carry = stream && maskOn;
    // Where the final h lands. The step kernels alternate between the two slots, so slot T % 2. A
    // sequence kernel writes it over the initial h in slot 0 (each thread the element it read at the
    // start), so that a stream's next chunk finds it there with no copy.
    const finalSlot = kernel.kind === 'sequence' ? 0 : T % 2;
    if (kernel.kind === 'sequence') {
      // Every step in one dispatch.
      const sp = {
        B, T, D, maskOn, maskBase, ySB: y.sB, ysT: seq ? y.sT : 0, seqOut: seq, carryInit: carry, cfg,
        dirs: seqDirs,
        input: fused ? { F, base: x.base, sT: x.sT, sB: x.sB } : undefined,
      };
      const shape = fused ? { ...kernel.shape, fusedInputs: F } : kernel.shape;
      emit(sequenceProgram(cfg, kernel.rows, shape, options.precision), buffersOf, (v) => writeSequenceParams(v, sp), sequenceDispatch(B, D, kernel.rows));
    } else {
      const program = stepProgram(cfg, layerStepShape!, options.precision);
      const workgroups = stepGroups!;
      // A projected LSTM's step leaves m = o * act(c); the projection then writes h and the output.
      const projection = cfg.projSize !== null ? projectionProgram(options.precision) : null;
      if (carry && seq) copy('copy', hView(0, 0), hView(0, 0), { ...y, sT: 0, T: 1, F: O }, 1, O);
      if (counted) {
        // One uniform block for every step: each workgroup derives its step from its own count.
        const params = {
          B, H, D, state: layout, slotIn: 0, maskOn, maskBase, ySB: y.sB, seqOut: seq, cfg,
          dirs: dirs.map(() => ({ tIn: 0, yOff: 0, prevYOff: 0, hasPrev: false })),
          counted: {
            T, ysT: seq ? y.sT : 0, ctrBase: layout.floats, gx: workgroups[0], gy: workgroups[1], dirs: seqDirs,
          },
        };
        const uniformOffset = arena.add(program.uniformSize, (v) => writeStepParams(v, params));
        for (let s = 0; s < T; s++) dispatches.push({ program, buffers: buffersOf, uniformOffset, workgroups });
      } else for (let s = 0; s < T; s++) {
        const dirParams: StepDir[] = dirs.map((_, d) => ({
          tIn: stepTimes(d, s).tIn,
          yOff: yBase(d) + (seq ? stepTimes(d, s).tOut * y.sT : 0),
          prevYOff: s > 0 ? yBase(d) + (seq ? stepTimes(d, s - 1).tOut * y.sT : 0) : carry ? y.base : 0,
          hasPrev: s > 0 || carry,
        }));
        const params = { B, H, D, state: layout, slotIn: s % 2, maskOn, maskBase, ySB: y.sB, seqOut: seq, cfg, dirs: dirParams };
        emit(program, buffersOf, (v) => writeStepParams(v, params), workgroups);
        if (projection) emit(projection, buffersOf, (v) => writeStepParams(v, params), projectionDispatch(cfg, B, D));
      }
    }

    if (merge) {
      const out = outHome(main, `${name} output`);
      const a: Home = { ...y, F: O }, c: Home = { ...y, base: y.base + O, F: O };
      copy(merge, a, c, out, seq ? T : 1, O);
    }
    // Streaming: the next chunk reads h from slot 0. (The copy binds the P buffer for the unused
    // source slots: a buffer cannot be bound read-only and writable in one dispatch.)
    if (stream && finalSlot === 1) {
      const cp = { T: 1, B, F: O, a: hView(1, 0), c: hView(1, 0), y: hView(0, 0) };
      emit(elementwiseProgram('copy', true), [P(pBuf), P(pBuf), P(sBuf)], (v) => writeElementwiseParams(v, cp), elementwiseDispatch(cp));
    }
    // Final states: h in slot finalSlot, c after the two h slots.
    let k = 1;
    for (let d = 0; d < D; d++) {
      if (!cfg.returnState) break;
      homes.set(node.outputs[k++]!.id, hView(finalSlot, d));
      if (perDir === 2) homes.set(node.outputs[k++]!.id, cView(d));
    }
  }

  const outputs = model.outputs.map((t) => {
    const home = homeOf(t);
    return { home, shape: isSeq(t) ? [B, home.T, home.F] : [B, home.F] };
  });
  const key = planKey(B, inputSteps, masked, stream);
  return { key, batch: B, buffers, clears, dispatches, uniforms: arena.bytes(), inputs: inputHomes, outputs, masks, states };
}

export function planKey(batch: number, inputSteps: number[], masked: boolean, stream = false): string {
  return `${batch}|${inputSteps.join(',')}|${masked ? 'm' : ''}${stream ? 's' : ''}`;
}
