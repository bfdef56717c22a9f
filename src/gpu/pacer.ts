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
 * (submit to results): the next one expects that, but at most twice the last expectation (one stall
 * of the event loop or the machine should not make the next pass sleep through it). One whose results
 * came within OVERSLEPT_MS of waking was already done: it says only that it took less, so the next one
 * expects 3/4 of it, and a plan that got faster costs a few short oversleeps. A plan's first pass is not
 * recorded: on llvmpipe it includes compiling the pipelines, seconds.
 */

/** Share of the expected duration slept before awaiting. */
export const SLEEP_SHARE = 0.85;
/** Below this many milliseconds the timer's own slack would cost more than the polling. */
export const MIN_SLEEP_MS = 4;
/** Results within this many milliseconds of waking mean the pass ended during the sleep. */
export const OVERSLEPT_MS = 2;
/** After an oversleep the next pass expects this share of the last (a pass varies by 10-20% here). */
export const OVERSLEPT_SHRINK = 0.75;

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

  /** Sleeps sleepFor(plan). */
  async pause(plan: object): Promise<void> {
    const ms = this.sleepFor(plan);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Awaits `wait` (Dawn promises of a paced pass) with Dawn's polling spaced out (spacedPolls) when enabled. */
  settle<T>(wait: () => Promise<T>): Promise<T> {
    return this.enabled ? spacedPolls(wait) : wait();
  }

  /**
   * Records a pass of `plan` (after its pause()): `ms` from submit to its results in hand, `awake` of
   * them after pause() returned.
   */
  record(plan: object, ms: number, awake: number): void {
    if (!this.enabled) return;
    const before = this.expected.get(plan);
    if (before === undefined) this.expected.set(plan, 0);
    else if (this.sleepFor(plan) > 0 && awake <= OVERSLEPT_MS) this.expected.set(plan, OVERSLEPT_SHRINK * ms);
    else this.expected.set(plan, before > 0 ? Math.min(ms, 2 * before) : ms);
  }
}

/**
 * Microseconds Dawn's binding waits before each re-poll while a paced pass is awaited (see
 * spacedPolls), at first: 100 measured best on the 2-core machine (config b 143 -> 129 ms, a 12 ->
 * 10.5 ms; a fixed 300 or 1000 made the short passes slower).
 */
export const POLL_GAP_US = 100;
/**
 * The gap then grows to this share of the time waited so far, up to POLL_GAP_MAX_US: a pass the
 * pacer has not timed yet is awaited from its submit, and polling it 10,000 times a second still cost
 * config b's first passes about 1.3x; a late poll costs at most 2% of the wait.
 */
export const POLL_GAP_SHARE = 0.02;
export const POLL_GAP_MAX_US = 2000;

/** The re-poll gap, in microseconds, after waiting `waitedMs`. */
export function pollGapUs(waitedMs: number): number {
  return Math.min(POLL_GAP_MAX_US, Math.max(POLL_GAP_US, waitedMs * 1000 * POLL_GAP_SHARE));
}

type ImmediateFn = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;
interface ImmediateHost { setImmediate?: ImmediateFn }

/** The hosts being spaced: what they had on setImmediate, what we put there, and how many waits are inside. */
const spaced = new Map<ImmediateHost, { original: ImmediateFn; wrapper: ImmediateFn; depth: number }>();
let gapCell: Int32Array | undefined;

/** Whether `f` is a native function: Dawn's re-poll callback is one; a user's own callbacks are JS. */
export function isNative(f: unknown): boolean {
  return typeof f === 'function' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(f));
}

/**
 * Runs `wait` (awaiting Dawn promises: mapAsync, popErrorScope) with Dawn's polling spaced out.
 * While one of its promises is pending, Dawn's Node binding calls `instance.ProcessEvents()` and
 * reschedules itself with `setImmediate` right away: a spin that keeps a core busy. On a CPU-emulated
 * adapter that core is one the adapter's workers need (config b, 2 cores: the first passes, before the
 * pacer has learned their length, took twice as long). Here `setImmediate`, for native callbacks only
 * (Dawn's; an app's JS callbacks pass straight through), first sleeps with Atomics.wait (pollGapUs:
 * 100 µs, growing with the wait to 2% of it), so the JS thread polls up to 10,000 times a second and
 * sleeps in between. The host's own setImmediate is
 * put back when the last overlapping wait ends, unless something else replaced it meanwhile.
 */
export async function spacedPolls<T>(wait: () => Promise<T>, host: ImmediateHost = globalThis as unknown as ImmediateHost): Promise<T> {
  let entry = spaced.get(host);
  if (!entry && typeof host.setImmediate === 'function') {
    const original = host.setImmediate;
    gapCell ??= new Int32Array(new SharedArrayBuffer(4));
    const cell = gapCell;
    const since = performance.now();
    const wrapper: ImmediateFn = (callback, ...args) => {
      if (isNative(callback)) Atomics.wait(cell, 0, 0, pollGapUs(performance.now() - since) / 1000);
      return original.call(host, callback, ...args);
    };
    entry = { original, wrapper, depth: 0 };
    spaced.set(host, entry);
    host.setImmediate = wrapper;
  }
  if (!entry) return wait();
  entry.depth++;
  try {
    return await wait();
  } finally {
    if (--entry.depth === 0) {
      spaced.delete(host);
      if (host.setImmediate === entry.wrapper) host.setImmediate = entry.original;
    }
  }
}

/**
 * Whether this host settles WebGPU promises by polling from the JS thread: Dawn's Node binding does.
 * Node has no WebGPU of its own, so there a GPU is Dawn's, whether the runtime imports the `webgpu`
 * package or the app put its GPU on `navigator.gpu` first (as the benchmarks do, for tfjs); Electron
 * and Deno bring their own WebGPU and do not poll from JS. `host` is for tests.
 */
export function hostPolls(host: object = globalThis): boolean {
  const h = host as { process?: { versions?: Record<string, string | undefined> }; Deno?: unknown };
  const versions = h.process?.versions;
  return !!versions?.node && !versions.electron && h.Deno === undefined;
}
