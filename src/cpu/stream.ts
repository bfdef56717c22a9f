/**
 * The CPU backend's streaming session: the float64 reference run chunk by chunk, each recurrent node
 * starting from the states the previous chunk left.
 */
import type { Model } from '../graph/model.js';
import type { Input, Node, Tensor } from '../graph/tensor.js';
import {
  type StateEntry, type StreamSession, checkRows, checkStates, disposedSession, resolveChunk, streamLayout,
} from '../session.js';
import { runReference, toFloat32 } from './reference.js';

export class CpuStream implements StreamSession {
  private readonly layout: StateEntry[];
  private readonly states = new Map<Node, Float64Array[]>();
  private disposed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: Model,
    readonly batch: number,
    private readonly alive: () => boolean,
  ) {
    this.layout = streamLayout(model);
    for (const e of this.layout) {
      this.states.set(e.node, e.sizes.map((n) => new Float64Array(batch * n)));
    }
  }

  step(inputs: Input | Input[]): Promise<Tensor | Tensor[]> {
    return this.enqueue(() => {
      const chunk = resolveChunk(this.model, inputs, this.batch);
      const out = runReference(this.model, chunk.tensors, { states: this.states }).map(toFloat32);
      return out.length === 1 ? out[0]! : out;
    });
  }

  reset(rows?: readonly number[]): Promise<void> {
    return this.enqueue(() => {
      const list = checkRows(rows, this.batch);
      for (const e of this.layout) {
        this.states.get(e.node)!.forEach((s, j) => {
          const n = e.sizes[j]!;
          for (const r of list) s.fill(0, r * n, (r + 1) * n);
        });
      }
    });
  }

  getState(): Promise<Tensor[]> {
    return this.enqueue(() => this.layout.flatMap((e) => this.states.get(e.node)!.map((s, j) => ({
      data: Float32Array.from(s), shape: [this.batch, e.sizes[j]!],
    }))));
  }

  setState(states: readonly Tensor[]): Promise<void> {
    return this.enqueue(() => {
      checkStates(this.layout, states, this.batch);
      let k = 0;
      for (const e of this.layout) for (const s of this.states.get(e.node)!) s.set(states[k++]!.data);
    });
  }

  dispose(): void {
    this.disposed = true;
  }

  private enqueue<R>(work: () => R): Promise<R> {
    const run = this.queue.then(() => {
      if (this.disposed || !this.alive()) throw disposedSession(this.model);
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
