/**
 * The float64 reference interpreter. Written from the layer equations (Keras / ONNX docs) and shares no
 * code with src/gpu, src/kernels or src/schedule: it is what every GPU result is checked against.
 * Tensors are batch first: sequences [B, T, F], vectors [B, F].
 */
import { ShapeError } from '../errors.js';
import { actSpec } from '../graph/activations.js';
import { Bidirectional, Concatenate, Dense, Dropout } from '../graph/layers.js';
import { Masking } from '../graph/masking.js';
import type { Model } from '../graph/model.js';
import { RecurrentLayer } from '../graph/recurrent.js';
import type { Node, Tensor } from '../graph/tensor.js';
import { activate, softmaxRow } from './math.js';

/** A float64 tensor, batch first. */
export interface F64Tensor {
  data: Float64Array;
  shape: number[];
}

/** Options of the reference run. */
export interface ReferenceOptions {
  /** Per-row valid lengths of the sequence inputs (right padding): steps t >= length are masked. */
  lengths?: readonly number[];
  /**
   * Streaming: each recurrent node starts from these states ([h] or [h, c], each [B * H]) instead of
   * zeros / its initial-state inputs, a masked step before the node's first valid step carries h (the
   * output the stream had when the chunk began), and the final states are written back.
   */
  states?: Map<Node, Float64Array[]>;
}

/** Runs the model on the CPU in float64; returns one tensor per model output. */
export function runReference(model: Model, inputs: readonly Tensor[], options: ReferenceOptions = {}): F64Tensor[] {
  const values = new Map<number, F64Tensor>();
  model.inputs.forEach((sym, i) => {
    const t = inputs[i]!;
    values.set(sym.id, { data: Float64Array.from(t.data), shape: [...t.shape] });
  });
  const get = (id: number): F64Tensor => {
    const v = values.get(id);
    if (!v) throw new Error(`reference: tensor ${id} not computed`);
    return v;
  };
  // Time-step masks (Keras' compute_mask): lengths mask the sequence inputs; Masking adds its own;
  // Dropout, Dense and returnSequences recurrent layers pass them on; Concatenate ANDs them.
  const masks = new Map<number, Uint8Array>();
  model.inputs.forEach((sym, i) => {
    const t = inputs[i]!;
    const m = t.shape.length === 3 ? lengthMask(options.lengths, t.shape[0]!, t.shape[1]!) : undefined;
    if (m) masks.set(sym.id, m);
  });
  for (const node of model.nodes) {
    const layer = node.layer;
    const xs = node.inputs.map((t) => get(t.id));
    const init = node.initialState.map((t) => get(t.id));
    const mask = masks.get(node.inputs[0]!.id);
    let outs: F64Tensor[];
    let outMask: Uint8Array | undefined;
    if (layer instanceof RecurrentLayer) {
      outs = recurrentOutputs(layer, xs[0]!, init, mask, options.states?.get(node));
      outMask = layer.config.returnSequences ? mask : undefined;
    } else if (layer instanceof Bidirectional) {
      outs = bidirectional(layer, xs[0]!, init, mask);
      outMask = layer.forward.config.returnSequences ? mask : undefined;
    } else if (layer instanceof Dense) {
      outs = [dense(layer, xs[0]!)];
      outMask = mask;
    } else if (layer instanceof Concatenate) {
      outs = [concatenate(xs, layer.name)];
      outMask = andMasks(node.inputs.map((t) => masks.get(t.id)), outs[0]!);
    } else if (layer instanceof Dropout) {
      outs = [xs[0]!];
      outMask = mask;
    } else if (layer instanceof Masking) {
      const own = valueMask(xs[0]!, layer.maskValue);
      outs = [zeroMasked(xs[0]!, own)];
      outMask = mask ? own.map((v, i) => v & mask[i]!) : own;
    } else {
      throw new Error(`reference: no rule for layer class ${layer.className}`);
    }
    if (outMask && node.outputs[0]!.shape.length === 2) masks.set(node.outputs[0]!.id, outMask);
    node.outputs.forEach((o, i) => values.set(o.id, outs[i]!));
  }
  return model.outputs.map((o) => get(o.id));
}

/** Rounds a reference result to float32 tensors (for the API's cpu backend). */
export function toFloat32(t: F64Tensor): Tensor {
  return { data: Float32Array.from(t.data), shape: [...t.shape] };
}

/** Keras Masking: mask[b * T + t] = 1 where any feature of x[b, t, :] differs from maskValue. */
export function valueMask(x: F64Tensor, maskValue: number): Uint8Array {
  const [B, T, F] = x.shape as [number, number, number];
  const m = new Uint8Array(B * T);
  const v = Math.fround(maskValue); // compared in float32, as Keras and the GPU do
  for (let i = 0; i < B * T; i++) {
    for (let f = 0; f < F; f++) {
      if (x.data[i * F + f] !== v) {
        m[i] = 1;
        break;
      }
    }
  }
  return m;
}

/** x with the masked steps zeroed (Masking's output). */
function zeroMasked(x: F64Tensor, mask: Uint8Array): F64Tensor {
  const F = x.shape[2]!;
  const data = x.data.slice();
  mask.forEach((v, i) => { if (!v) data.fill(0, i * F, (i + 1) * F); });
  return { data, shape: [...x.shape] };
}

/** Concatenate's mask: the AND of its inputs' masks (an unmasked input counts as all valid). */
function andMasks(list: (Uint8Array | undefined)[], out: F64Tensor): Uint8Array | undefined {
  const given = list.filter((m): m is Uint8Array => m !== undefined);
  if (given.length === 0 || out.shape.length !== 3) return undefined;
  return given.reduce((acc, m) => acc.map((v, i) => v & m[i]!));
}

/** mask[b * T + t] = 1 where step t of row b is valid. */
export function lengthMask(lengths: readonly number[] | undefined, B: number, T: number): Uint8Array | undefined {
  if (!lengths) return undefined;
  const m = new Uint8Array(B * T);
  for (let b = 0; b < B; b++) m.fill(1, b * T, b * T + Math.min(T, lengths[b]!));
  return m;
}

interface CellRun {
  /** Output of each processing step s: [B, T, O] (O = projSize with a projection, else H). */
  seq: Float64Array;
  h: Float64Array;
  c: Float64Array | null;
}

/**
 * One recurrent layer over x [B, T, F], step s reading time t = s (or T-1-s going backwards). A masked
 * step keeps the state and outputs the previous step's output (zeros before the first; Keras
 * masking), or zeros with padZero (ONNX). With an LSTM projection (PyTorch proj_size) h has O =
 * projSize features: h_t = W_hr (o * act(c_t)), and the recurrent kernel reads that h.
 */
function runCell(layer: RecurrentLayer, x: F64Tensor, init: F64Tensor[], mask: Uint8Array | undefined, carryState = false): CellRun {
  const cfg = layer.config;
  const [B, T, F] = x.shape as [number, number, number];
  const H = cfg.units;
  const O = layer.outputUnits;
  const GH = layer.gates * H;
  const w = layer.weightsView();
  const kernel = w[0]!, rec = w[1]!;
  let next = 2;
  const bias = cfg.useBias ? w[next++]! : null;
  const peep = cfg.peephole ? w[next++]! : null;
  const proj = cfg.projSize !== null ? w[next++]! : null; // [H][O]
  const twoBias = cfg.cell === 'gru' && cfg.resetAfter;
  const clip = cfg.clip ?? Infinity;
  const pre = (v: number) => Math.min(clip, Math.max(-clip, v));
  const { f: fAct, g: gAct, h: hAct } = cfg.acts;

  const seq = new Float64Array(B * T * O);
  const h = new Float64Array(B * O);
  const c = cfg.cell === 'lstm' ? new Float64Array(B * H) : null;
  if (init[0]) h.set(init[0].data);
  if (c && init[1]) c.set(init[1].data);

  const xw = new Float64Array(GH); // x_t W + input bias
  const hu = new Float64Array(GH); // h_{t-1} U (+ recurrent bias for GRU resetAfter)
  for (let b = 0; b < B; b++) {
    const hb = h.subarray(b * O, (b + 1) * O);
    const cb = c ? c.subarray(b * H, (b + 1) * H) : null;
    // Keras carries zeros before the first valid step; a stream carries the output it had, i.e. h.
    let lastOut = carryState ? hb.slice() : new Float64Array(O);
    for (let s = 0; s < T; s++) {
      const t = cfg.goBackwards ? T - 1 - s : s;
      const out = seq.subarray((b * T + s) * O, (b * T + s + 1) * O);
      if (mask && !mask[b * T + t]) {
        if (!cfg.padZero) out.set(lastOut);
        continue;
      }
      const xt = x.data.subarray((b * T + t) * F, (b * T + t + 1) * F);
      for (let j = 0; j < GH; j++) {
        let acc = bias ? bias[j]! : 0;
        for (let k = 0; k < F; k++) acc += xt[k]! * kernel[k * GH + j]!;
        xw[j] = acc;
        let r = twoBias && bias ? bias[GH + j]! : 0;
        for (let k = 0; k < O; k++) r += hb[k]! * rec[k * GH + j]!;
        hu[j] = r;
      }
      let next = new Float64Array(H);
      if (cfg.cell === 'simpleRNN') {
        for (let j = 0; j < H; j++) next[j] = activate(gAct, pre(xw[j]! + hu[j]!));
      } else if (cfg.cell === 'lstm') {
        for (let j = 0; j < H; j++) {
          const cPrev = cb![j]!;
          const i = activate(fAct, pre(xw[j]! + hu[j]! + (peep ? peep[j]! * cPrev : 0)));
          const f = cfg.inputForget ? 1 - i : activate(fAct, pre(xw[H + j]! + hu[H + j]! + (peep ? peep[H + j]! * cPrev : 0)));
          const cand = activate(gAct, pre(xw[2 * H + j]! + hu[2 * H + j]!));
          const cNew = f * cPrev + i * cand;
          // The output peephole looks at the new cell state (ONNX).
          const o = activate(fAct, pre(xw[3 * H + j]! + hu[3 * H + j]! + (peep ? peep[2 * H + j]! * cNew : 0)));
          cb![j] = cNew;
          next[j] = o * activate(hAct, cNew);
        }
      } else {
        const z = new Float64Array(H), r = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          z[j] = activate(fAct, pre(xw[j]! + hu[j]!));
          r[j] = activate(fAct, pre(xw[H + j]! + hu[H + j]!));
        }
        for (let j = 0; j < H; j++) {
          let cand: number;
          if (cfg.resetAfter) {
            cand = activate(gAct, pre(xw[2 * H + j]! + r[j]! * hu[2 * H + j]!));
          } else {
            // (r * h_{t-1}) U_h: the reset gate applies before the matmul.
            let acc = 0;
            for (let k = 0; k < H; k++) acc += r[k]! * hb[k]! * rec[k * GH + 2 * H + j]!;
            cand = activate(gAct, pre(xw[2 * H + j]! + acc));
          }
          next[j] = z[j]! * hb[j]! + (1 - z[j]!) * cand;
        }
      }
      if (proj) {
        const projected = new Float64Array(O);
        for (let p = 0; p < O; p++) {
          let acc = 0;
          for (let j = 0; j < H; j++) acc += next[j]! * proj[j * O + p]!;
          projected[p] = acc;
        }
        next = projected;
      }
      hb.set(next);
      out.set(next);
      lastOut = next;
    }
  }
  return { seq, h, c };
}

/** A recurrent layer's outputs: [out, ...states]. */
function recurrentOutputs(
  layer: RecurrentLayer, x: F64Tensor, init: F64Tensor[], mask: Uint8Array | undefined, streamed?: Float64Array[],
): F64Tensor[] {
  const [B, T] = x.shape as [number, number];
  const H = layer.outputUnits;
  const sizes = layer.stateSizes;
  const start = streamed ? streamed.map((data, i) => ({ data, shape: [B, sizes[i]!] })) : init;
  const run = runCell(layer, x, start, mask, streamed !== undefined);
  if (streamed) {
    streamed[0]!.set(run.h);
    if (run.c) streamed[1]!.set(run.c);
  }
  let out: F64Tensor;
  if (layer.config.returnSequences) {
    let data = run.seq;
    if (layer.config.timeAligned && layer.config.goBackwards) {
      // Step s read time T-1-s: store it there.
      data = new Float64Array(B * T * H);
      for (let b = 0; b < B; b++) {
        for (let s = 0; s < T; s++) data.set(run.seq.subarray((b * T + s) * H, (b * T + s + 1) * H), (b * T + T - 1 - s) * H);
      }
    }
    out = { data, shape: [B, T, H] };
  } else if (layer.config.padZero) {
    out = { data: run.h.slice(), shape: [B, H] };
  } else {
    // Keras: the last step's output, which masking carries from the last valid step.
    const last = new Float64Array(B * H);
    for (let b = 0; b < B; b++) last.set(run.seq.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
    out = { data: last, shape: [B, H] };
  }
  if (!layer.config.returnState) return [out];
  const states = [{ data: run.h, shape: [B, H] }];
  if (run.c) states.push({ data: run.c, shape: [B, layer.config.units] });
  return [out, ...states];
}

function bidirectional(layer: Bidirectional, x: F64Tensor, init: F64Tensor[], mask: Uint8Array | undefined): F64Tensor[] {
  const n = layer.forward.stateCount;
  const fwd = recurrentOutputs(layer.forward, x, init.slice(0, n), mask);
  const bwd = recurrentOutputs(layer.backward, x, init.slice(n), mask);
  const a = fwd[0]!, b = bwd[0]!;
  let merged: F64Tensor;
  if (layer.mergeMode === 'concat') {
    merged = concatenate([a, b], layer.name);
  } else {
    const data = new Float64Array(a.data.length);
    for (let i = 0; i < data.length; i++) {
      const p = a.data[i]!, q = b.data[i]!;
      data[i] = layer.mergeMode === 'sum' ? p + q : layer.mergeMode === 'mul' ? p * q : (p + q) / 2;
    }
    merged = { data, shape: [...a.shape] };
  }
  return [merged, ...fwd.slice(1), ...bwd.slice(1)];
}

function dense(layer: Dense, x: F64Tensor): F64Tensor {
  const F = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / F;
  const N = layer.units;
  const w = layer.weightsView();
  const kernel = w[0]!, bias = layer.useBias ? w[1]! : null;
  const out = new Float64Array(rows * N);
  const spec = actSpec(layer.activation);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < N; j++) {
      let acc = bias ? bias[j]! : 0;
      for (let k = 0; k < F; k++) acc += x.data[r * F + k]! * kernel[k * N + j]!;
      out[r * N + j] = layer.activation === 'softmax' ? acc : activate(spec, acc);
    }
    if (layer.activation === 'softmax') softmaxRow(out, r * N, N);
  }
  return { data: out, shape: [...x.shape.slice(0, -1), N] };
}

function concatenate(xs: F64Tensor[], name: string): F64Tensor {
  const first = xs[0]!;
  const lead = first.shape.slice(0, -1);
  for (const x of xs) {
    if (x.shape.slice(0, -1).join() !== lead.join()) {
      throw new ShapeError(`layer '${name}' (Concatenate): inputs of shapes [${first.shape}] and [${x.shape}] differ before the last axis`);
    }
  }
  const rows = lead.reduce((a, b) => a * b, 1);
  const widths = xs.map((x) => x.shape[x.shape.length - 1]!);
  const W = widths.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * W);
  for (let r = 0; r < rows; r++) {
    let off = 0;
    xs.forEach((x, i) => {
      const w = widths[i]!;
      out.set(x.data.subarray(r * w, (r + 1) * w), r * W + off);
      off += w;
    });
  }
  return { data: out, shape: [...lead, W] };
}
