/** Timing (warm-up, then median and min of several whole passes) and the check against the CPU reference. */
import type { BenchConfig } from './configs.js';
import { layerSteps } from './spec.js';
import { SkipError, type Runner } from './runners/types.js';
import type { SpecWeights } from './spec.js';
import type { CheckPlan } from './core.js';

export interface MeasureOptions {
  /** Warm-up passes (pipeline compilation, first upload); fewer when one already takes a quarter of the budget. */
  warmup: number;
  /**
   * Then warm-up passes until this long has passed since the first pass and its check (0: none; slow
   * runners too): the GPU machine's SM clock falls to 345 MHz within a second of idling (the float64
   * check before each config) and rises again only under load.
   */
  warmupMs: number;
  /** At most this many timed passes... */
  runs: number;
  /** ...and at least this many, even past the budget. */
  minRuns: number;
  /** Stop timing after this much time once minRuns are done (slow peers on a software adapter). */
  budgetMs: number;
}

/** One line of output: a runner on a config. */
export interface BenchRecord {
  config: string;
  title: string;
  runner: string;
  /** 'node' (Dawn in Node), 'browser' (headless Chromium) or 'gpu' (the GPU machine, through the kit). */
  mode: string;
  device?: string;
  precision: string;
  batch: number;
  seq: number;
  layer_steps: number;
  median_ms?: number;
  min_ms?: number;
  runs?: number;
  us_per_layer_step?: number;
  /** Max abs difference from the float64 CPU reference over every output element. */
  max_err?: number;
  /** The sequence length the check ran at, when shorter than `seq` (see BenchConfig.checkSeq). */
  checked_seq?: number;
  tolerance: number;
  /** max_err within the config's tolerance. */
  ok?: boolean;
  /** Which webgpu-rnn sources were bundled: 'HEAD <sha>' or 'working tree on <sha>, N files changed'. */
  source?: string;
  /** Extra compile options webgpu-rnn ran with (--ours-options). */
  compile_options?: string;
  /** The machine's 1-minute load average when the runner finished (Node side): other work competing for the cores. */
  load?: number;
  /** CPU cores of the machine the harness ran on (Node side). */
  cores?: number;
  /** When the timed passes began and ended (ISO), for matching the GPU machine's clock samples. */
  timed_from?: string;
  timed_to?: string;
  /**
   * The GPU's SM clock (MHz, lowest and highest) sampled while the passes were timed (GPU machine:
   * bench/gpu/clocks.mjs from nvidia-smi's samples), and how many samples.
   */
  sm_mhz?: [number, number];
  sm_samples?: number;
  /** Why the runner did not run this config. */
  skipped?: string;
  /** What went wrong when it failed. */
  error?: string;
  date: string;
  command: string;
}

export interface RunContext {
  mode: string;
  command: string;
  date: string;
}

/** Max abs difference; NaN / Inf anywhere, or a size mismatch, is Infinity. */
export function maxAbsError(actual: readonly Float32Array[], expected: readonly ArrayLike<number>[]): number {
  if (actual.length !== expected.length) return Infinity;
  let max = 0;
  actual.forEach((a, k) => {
    const e = expected[k]!;
    if (a.length !== e.length) max = Infinity;
    for (let i = 0; i < a.length && max !== Infinity; i++) {
      const d = Math.abs(a[i]! - e[i]!);
      max = Number.isFinite(d) ? Math.max(max, d) : Infinity;
    }
  });
  return max;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

const round = (x: number, digits: number) => Number(x.toPrecision(digits));

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Prepares, warms up, times and checks one runner on one config; never throws (failures become records). */
export async function benchOne(
  config: BenchConfig, runner: Runner, weights: SpecWeights, inputs: Float32Array[],
  check: CheckPlan | undefined, options: MeasureOptions, ctx: RunContext,
): Promise<BenchRecord> {
  const spec = config.spec;
  const record: BenchRecord = {
    config: config.name, title: config.title, runner: runner.name, mode: ctx.mode, precision: config.precision,
    batch: spec.batch, seq: spec.branches[0]!.seq, layer_steps: layerSteps(spec), tolerance: config.tolerance,
    date: ctx.date, command: ctx.command,
  };
  const separateCheck = check && check.config !== config && check.config.spec.branches[0]!.seq !== record.seq;
  if (check && separateCheck) {
    // The same model at the check's shorter length, compiled and run once on its own.
    let short;
    try {
      short = await runner.prepare(check.config, check.data.weights, check.data.inputs);
    } catch (e) {
      if (e instanceof SkipError) return { ...record, skipped: e.message };
      return { ...record, error: `prepare (check at seq ${check.config.spec.branches[0]!.seq}): ${errorText(e)}` };
    }
    try {
      record.max_err = round(maxAbsError(await short.run(), check.reference), 3);
      record.ok = record.max_err <= config.tolerance;
      record.checked_seq = check.config.spec.branches[0]!.seq;
    } catch (e) {
      return { ...record, error: `run (check at seq ${check.config.spec.branches[0]!.seq}): ${errorText(e)}` };
    } finally {
      await Promise.resolve(short.dispose()).catch(() => {});
    }
  }
  let prepared;
  try {
    prepared = await runner.prepare(config, weights, inputs);
  } catch (e) {
    if (e instanceof SkipError) return { ...record, skipped: e.message };
    return { ...record, error: `prepare: ${errorText(e)}` };
  }
  record.device = prepared.device;
  try {
    const t0 = performance.now();
    const first = await prepared.run();
    const firstMs = performance.now() - t0;
    if (check && !separateCheck) {
      record.max_err = round(maxAbsError(first, check.reference), 3);
      record.ok = record.max_err <= config.tolerance;
    }
    const warmFrom = performance.now();
    const warmups = firstMs > options.budgetMs / 4 ? 0 : options.warmup - 1;
    for (let i = 0; i < warmups; i++) await prepared.run();
    while (performance.now() - warmFrom < options.warmupMs) await prepared.run();
    const times: number[] = [];
    record.timed_from = new Date().toISOString();
    const start = performance.now();
    while (times.length < options.runs && (times.length < options.minRuns || performance.now() - start < options.budgetMs)) {
      const s = performance.now();
      await prepared.run();
      times.push(performance.now() - s);
    }
    record.timed_to = new Date().toISOString();
    times.sort((x, y) => x - y);
    record.median_ms = round(median(times), 4);
    record.min_ms = round(times[0]!, 4);
    record.runs = times.length;
    record.us_per_layer_step = round((record.median_ms * 1000) / record.layer_steps, 4);
  } catch (e) {
    record.error = `run: ${errorText(e)}`;
  } finally {
    try {
      await prepared.dispose();
    } catch {
      // a failed dispose must not hide the measurement
    }
  }
  return record;
}
