/**
 * Streaming on the GPU. A session owns one state buffer per recurrent node; its plans (one per chunk
 * length, built in stream mode and reused) bind those buffers, so h and c stay on the GPU between
 * calls and a one-step call is a handful of dispatches (per layer: projection and step, or the two
 * fused in the resident kernel; the step kernels also copy h back into slot 0 after an odd chunk,
 * while the sequence kernels leave it there) plus one readback.
 *
 * Long sequences reuse it: predict() on an input longer than `maxStepsPerSubmit` runs an internal
 * session over chunks of at most that many steps, one submit each, so memory (projections, uniforms)
 * does not grow with the length and a browser tab gets the event loop back between submits.
 */
import type { Model } from '../graph/model.js';
import type { Input, Node, Tensor } from '../graph/tensor.js';
import { Usage, createStorage } from '../gpu/pipelines.js';
import {
  type StateEntry, type StreamSession, checkRows, checkStates, disposedSession, resolveGpuChunk, streamLayout,
} from '../session.js';
import type { LivePlan } from './executor.js';
import { type Plan, type PlanOptions, buildPlan } from './plan.js';

/** Plans a session keeps (one per chunk length); the oldest is released beyond this. */
const MAX_STREAM_PLANS = 4;

/** What a session needs from its compiled model (GpuCompiledModel provides it). */
export interface StreamHost {
  readonly model: Model;
  /** The compiled model's kernel choice and device limits. */
  readonly planOptions: PlanOptions;
  readonly device: GPUDevice;
  checkAlive(): void;
  /** Creates a plan's GPU objects, using `shared` for the given plan buffers (not cached by the model). */
  instantiate(plan: Plan, shared: ReadonlyMap<number, GPUBuffer>): Promise<LivePlan>;
  /** Uploads inputs (and lengths masks), encodes and submits; reads the outputs back when `readback`. */
  execute(live: LivePlan, inputs: Input[], lengths: number[] | undefined, readback: boolean): Promise<Tensor[]>;
  /** Destroys what `instantiate` created (not the shared buffers). */
  release(live: LivePlan): void;
  /** Called once when the session is disposed. */
  forget(session: GpuStream): void;
}

export class GpuStream implements StreamSession {
  private readonly layout: StateEntry[];
  /**
   * Per recurrent node (recurrentStateLayout with one direction): h [2][B][K] (slot 0 is read and left
   * by every chunk; K = the size of h), c [B][H] at 2*B*K, scratch [2][B][H].
   */
  private readonly stateBuffers = new Map<Node, GPUBuffer>();
  private readonly plans = new Map<string, LivePlan>();
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: StreamHost, readonly batch: number) {
    this.layout = streamLayout(host.model);
    for (const e of this.layout) {
      this.stateBuffers.set(e.node, createStorage(host.device, 2 * batch * e.sizes[0]! + 3 * batch * e.units, `${e.node.layer.name} stream state`));
    }
  }

  step(inputs: Input | Input[]): Promise<Tensor | Tensor[]> {
    return this.enqueue(async () => {
      const chunk = resolveGpuChunk(this.host.model, inputs, this.batch);
      const out = await this.runChunk(chunk.tensors, chunk.steps, undefined, true);
      return out.length === 1 ? out[0]! : out;
    });
  }

  reset(rows?: readonly number[]): Promise<void> {
    return this.enqueue(async () => this.zeroRows(checkRows(rows, this.batch)));
  }

  getState(): Promise<Tensor[]> {
    return this.enqueue(async () => {
      const device = this.host.device;
      const B = this.batch;
      const total = this.layout.reduce((n, e) => n + B * e.sizes.reduce((a, b) => a + b, 0), 0);
      const staging = device.createBuffer({ label: 'stream getState readback', size: Math.max(16, total * 4), usage: Usage.MAP_READ | Usage.COPY_DST });
      try {
        const encoder = device.createCommandEncoder({ label: 'stream getState' });
        let at = 0;
        for (const e of this.layout) {
          const buf = this.stateBuffers.get(e.node)!;
          const BK = B * e.sizes[0]!, BH = B * e.units;
          encoder.copyBufferToBuffer(buf, 0, staging, at * 4, BK * 4);
          at += BK;
          if (e.count === 2) {
            encoder.copyBufferToBuffer(buf, 2 * BK * 4, staging, at * 4, BH * 4);
            at += BH;
          }
        }
        device.queue.submit([encoder.finish()]);
        await staging.mapAsync(1 /* GPUMapMode.READ */);
        const all = new Float32Array(staging.getMappedRange().slice(0));
        staging.unmap();
        const out: Tensor[] = [];
        at = 0;
        for (const e of this.layout) {
          for (const n of e.sizes) {
            out.push({ data: all.slice(at, at + B * n), shape: [B, n] });
            at += B * n;
          }
        }
        return out;
      } finally {
        staging.destroy();
      }
    });
  }

  setState(states: readonly Tensor[]): Promise<void> {
    return this.enqueue(async () => {
      checkStates(this.layout, states, this.batch);
      let k = 0;
      for (const e of this.layout) {
        const buf = this.stateBuffers.get(e.node)!;
        const BK = this.batch * e.sizes[0]!;
        for (let j = 0; j < e.count; j++) {
          const data = states[k++]!.data;
          this.host.device.queue.writeBuffer(buf, j === 0 ? 0 : 2 * BK * 4, data.buffer, data.byteOffset, data.byteLength);
        }
      }
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const live of this.plans.values()) this.host.release(live);
    this.plans.clear();
    for (const b of this.stateBuffers.values()) b.destroy();
    this.stateBuffers.clear();
    this.host.forget(this);
  }

  /** Zeroes the state (h slot 0 and c) of the given rows. Queue-ordered before any later submit. */
  zeroRows(rows: readonly number[]): void {
    for (const e of this.layout) {
      const buf = this.stateBuffers.get(e.node)!;
      const K = e.sizes[0]!, H = e.units, BK = this.batch * K;
      if (rows.length === this.batch) {
        this.host.device.queue.writeBuffer(buf, 0, new Float32Array(2 * BK + this.batch * H));
        continue;
      }
      for (const r of rows) {
        this.host.device.queue.writeBuffer(buf, r * K * 4, new Float32Array(K));
        if (e.count === 2) this.host.device.queue.writeBuffer(buf, (2 * BK + r * H) * 4, new Float32Array(H));
      }
    }
  }

  /**
   * Runs one chunk on the stream's states. `steps`: time steps of each model input (1 for vector
   * inputs); `lengths`: per-row valid steps of this chunk (0 = all masked), or undefined.
   */
  async runChunk(tensors: Input[], steps: number[], lengths: number[] | undefined, readback: boolean): Promise<Tensor[]> {
    this.host.checkAlive();
    if (this.disposed) throw disposedSession(this.host.model);
    const key = `${steps.join(',')}|${lengths ? 'm' : ''}`;
    let live = this.plans.get(key);
    if (!live) {
      const plan = buildPlan(this.host.model, this.batch, steps, lengths !== undefined, { ...this.host.planOptions, stream: true });
      const shared = new Map(plan.states.map((s) => [s.buf, this.stateBuffers.get(s.node)!] as const));
      live = await this.host.instantiate(plan, shared);
      if (this.plans.size >= MAX_STREAM_PLANS) {
        const [oldKey, old] = this.plans.entries().next().value as [string, LivePlan];
        this.plans.delete(oldKey);
        this.host.release(old);
      }
      this.plans.set(key, live);
    }
    return this.host.execute(live, tensors, lengths, readback);
  }

  private enqueue<R>(work: () => Promise<R>): Promise<R> {
    const run = this.queue.then(() => {
      this.host.checkAlive();
      if (this.disposed) throw disposedSession(this.host.model);
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Whether predict() can run a model chunk by chunk (no Bidirectional / goBackwards / initial-state inputs). */
export function canChunk(model: Model): boolean {
  try {
    streamLayout(model);
    return true;
  } catch {
    return false;
  }
}

/**
 * predict() over a long sequence: chunks of at most `maxSteps` steps through `session` (whose state
 * is zeroed first), one submit each, waiting for chunk k-1 to finish after submitting chunk k.
 * Sequence outputs are read back per chunk and joined; the others come from the last chunk.
 */
export async function runChunked(
  session: GpuStream, device: GPUDevice, tensors: Tensor[], T: number, lengths: number[] | undefined, maxSteps: number, seqOutputs: boolean[],
): Promise<Tensor[]> {
  session.zeroRows(Array.from({ length: session.batch }, (_, i) => i));
  const parts: Tensor[][] = [];
  let pending: Promise<unknown> | null = null;
  let last: Tensor[] = [];
  const anySeq = seqOutputs.some((s) => s);
  for (let t0 = 0; t0 < T; t0 += maxSteps) {
    const C = Math.min(maxSteps, T - t0);
    const isLast = t0 + C >= T;
    const slices = tensors.map((t) => (t.shape.length === 3 ? sliceTime(t, t0, C) : t));
    const steps = tensors.map((t) => (t.shape.length === 3 ? C : 1));
    const rel = lengths?.map((l) => Math.max(0, Math.min(C, l - t0)));
    const readback = isLast || anySeq;
    const out = await session.runChunk(slices, steps, rel, readback);
    if (readback) {
      if (anySeq) parts.push(out);
      last = out;
    } else {
      // Keep one chunk in flight: wait for the previous one while this one runs.
      const done = device.queue.onSubmittedWorkDone();
      if (pending) await pending;
      pending = done;
    }
  }
  if (pending) await pending;
  return last.map((t, i) => (seqOutputs[i] ? joinTime(parts.map((p) => p[i]!)) : t));
}

/** Steps [t0, t0 + C) of a batch-first sequence tensor. */
function sliceTime(t: Tensor, t0: number, C: number): Tensor {
  const [B, T, F] = t.shape as [number, number, number];
  const data = new Float32Array(B * C * F);
  for (let b = 0; b < B; b++) data.set(t.data.subarray((b * T + t0) * F, (b * T + t0 + C) * F), b * C * F);
  return { data, shape: [B, C, F] };
}

/** Concatenates batch-first sequence tensors along time. */
function joinTime(parts: Tensor[]): Tensor {
  const [B, , F] = parts[0]!.shape as [number, number, number];
  const T = parts.reduce((n, p) => n + p.shape[1]!, 0);
  const data = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) {
    let t = 0;
    for (const p of parts) {
      const C = p.shape[1]!;
      data.set(p.data.subarray(b * C * F, (b + 1) * C * F), (b * T + t) * F);
      t += C;
    }
  }
  return { data, shape: [B, T, F] };
}
