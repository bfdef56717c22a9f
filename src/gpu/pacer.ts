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
 * only for the rest. The expectation follows a faster run at once and a slower one halfway (one slow
 * run, a page fault or another process, should not make the next runs oversleep). A measured run
 * includes its sleep, so a plan that got much faster is found out within a few runs (the sleep
 * shrinks by SLEEP_SHARE each time).
 */

/** Share of the last duration slept before awaiting. */
export const SLEEP_SHARE = 0.85;
/** Below this many milliseconds the timer's own slack would cost more than the polling. */
export const MIN_SLEEP_MS = 4;

export class HostPacer {
  private readonly expected = new WeakMap<object, number>();

  /** enabled: the host polls the adapter from the JS thread and the adapter runs on the same cores. */
  constructor(readonly enabled: boolean) {}

  /** Milliseconds to sleep after submitting `plan`'s work, before awaiting it. */
  sleepFor(plan: object): number {
    if (!this.enabled) return 0;
    const ms = SLEEP_SHARE * (this.expected.get(plan) ?? 0);
    return ms >= MIN_SLEEP_MS ? ms : 0;
  }

  /** Sleeps sleepFor(plan). */
  async pause(plan: object): Promise<void> {
    const ms = this.sleepFor(plan);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Records how long `plan`'s pass took, from submit to its results in hand. */
  record(plan: object, ms: number): void {
    if (!this.enabled) return;
    const before = this.expected.get(plan);
    this.expected.set(plan, before === undefined || ms < before ? ms : (before + ms) / 2);
  }
}

/** Whether this host settles WebGPU promises by polling from the JS thread: Dawn's Node binding does. */
export function hostPolls(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}
