/**
 * How the host waits for a forward pass on a CPU-emulated adapter under Node.
 *
 * Dawn's Node binding settles a pending promise (mapAsync, popErrorScope) by polling the device from
 * the JS thread, once per turn of the event loop, until it resolves. On a GPU that costs a core nobody
 * needed; on lavapipe the adapter *is* the CPU, and the polling thread takes time from its worker
 * threads. Measured on a 2-core machine: a 2048 x 256 x 1024 matmul took 152 ms awaited at once and
 * 111 ms when the JS thread slept through most of it; config b of the benchmarks 392 ms and 258 ms.
 *
 * So a plan that ran long before sleeps most of its expected duration before it awaits, and polls
 * only for the rest. A pass that was still running when the sleep ended measured its own length
 * (submit to results): the next one expects that. One that was already done when the sleep ended
 * (results within OVERSLEPT_MS of waking) says only that it took less: the next one expects half, so
 * a plan that got faster, or an outlier, costs a few short oversleeps. A plan's first pass is not
 * recorded: on llvmpipe it includes compiling the pipelines, seconds.
 */

/** Share of the expected duration slept before awaiting. */
export const SLEEP_SHARE = 0.85;
/** Below this many milliseconds the timer's own slack would cost more than the polling. */
export const MIN_SLEEP_MS = 4;
/** Results within this many milliseconds of waking mean the pass ended during the sleep. */
export const OVERSLEPT_MS = 2;

export class HostPacer {
  /** Expected milliseconds per plan; 0 after its first pass (not recorded). */
  private readonly expected = new WeakMap<object, number>();

  /** enabled: the host polls the adapter from the JS thread and the adapter runs on the same cores. */
  constructor(readonly enabled: boolean) {}

  /** Milliseconds to sleep after submitting `plan`'s work, before awaiting it. */
  sleepFor(plan: object): number {
    if (!this.enabled) return 0;
    const ms = SLEEP_SHARE * (this.expected.get(plan) ?? 0);
    return ms >= MIN_SLEEP_MS ? ms : 0;
  }

  /** Sleeps sleepFor(plan); returns how long it meant to. */
  async pause(plan: object): Promise<number> {
    const ms = this.sleepFor(plan);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }

  /** Records a pass of `plan`: `ms` from submit to its results in hand, `slept` of them in pause(). */
  record(plan: object, ms: number, slept: number): void {
    if (!this.enabled) return;
    if (!this.expected.has(plan)) this.expected.set(plan, 0);
    else this.expected.set(plan, slept > 0 && ms - slept <= OVERSLEPT_MS ? ms / 2 : ms);
  }
}

/** Whether this host settles WebGPU promises by polling from the JS thread: Dawn's Node binding does. */
export function hostPolls(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}
