/**
 * Streaming and long-sequence benchmark (Node; `npm run bench:stream`, built by bench/stream.mjs):
 *
 *  latency  per-frame cost of a stateful model (LSTM(64, returnSequences) -> LSTM(64) -> Dense(1),
 *           40 features, batch 1): webgpu-rnn's stream.step() on one frame, next to re-running a
 *           sliding window of the last 100 frames with predict(), to tfjs-layers doing the same with
 *           `stateful: true` layers (cpu, wasm and webgpu backends, whichever load), and to the CPU
 *           backend's stream (the float64 reference);
 *  memory   a 100,000-step sequence (returnSequences: false) through predict(): bytes of GPU buffers
 *           created and peak live, next to what one single-pass plan would allocate, at 10,000 and
 *           100,000 steps (it does not grow), plus the number of submits and the wall time.
 *
 * Prints a Markdown report and writes it to docs/benchmarks-streaming.md and bench/results/stream.json
 * (--no-write to skip). Flags: --frames N (latency frames, default 300), --steps N (long sequence,
 * default 100000), --check (compare the long run with the float64 reference; slow).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as lib from '../src/index.js';
import { buildPlan } from '../src/schedule/plan.js';
import { installNavigatorGpu } from './src/node-runners.js';
import { cjs } from './src/runners/tfjs.js';

process.env.XDG_RUNTIME_DIR ||= '/tmp';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const num = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const FRAMES = num('frames', 300);
const STEPS = num('steps', 100_000);
const WARMUP = 20;
const WINDOW = 100;
const F = 40, H = 64;

/** Seeded uniform values (mulberry32), so every runner gets the same weights and frames. */
function seeded(seed: number, n: number, scale: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

function makeModel(): lib.Model {
  const m = lib.sequential([
    lib.layers.lstm({ units: H, returnSequences: true, inputShape: [null, F] as unknown as number[] }),
    lib.layers.lstm({ units: H }),
    lib.layers.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  m.setWeights(m.layers.flatMap((l) => l.weightSpecs()).map((s, k) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const scale = s.name.endsWith('bias') ? 0.1 : 1 / Math.sqrt(s.shape[0]!);
    return seeded(100 + k, size, scale);
  }));
  return m;
}

/** An audio-like signal: 40 "band energies" of a slowly modulated chirp, one frame per step. */
function frames(n: number, batch = 1): Float32Array {
  const out = new Float32Array(batch * n * F);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < n; t++) {
      const f0 = 3 + 30 * (0.5 + 0.5 * Math.sin(t / 200 + b));
      for (let k = 0; k < F; k++) out[(b * n + t) * F + k] = Math.exp(-((k - f0) ** 2) / 18) * (0.6 + 0.4 * Math.sin(t / 7)) + 0.01 * Math.sin(t * 1.3 + k);
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (v: number) => (v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

interface LatencyRow { runner: string; what: string; median_ms: number; min_ms: number; frames: number; note?: string }

async function timeFrames(n: number, step: (t: number) => Promise<unknown>): Promise<{ median: number; min: number }> {
  for (let t = 0; t < WARMUP; t++) await step(t);
  const times: number[] = [];
  for (let t = WARMUP; t < WARMUP + n; t++) {
    const t0 = performance.now();
    await step(t);
    times.push(performance.now() - t0);
  }
  return { median: median(times), min: Math.min(...times) };
}

async function latency(rt: lib.Runtime, m: lib.Model): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  const total = WARMUP + FRAMES + WINDOW;
  const x = frames(total);
  const frame = (t: number): lib.Tensor => ({ data: x.slice(t * F, (t + 1) * F), shape: [1, 1, F] });

  const run = await rt.compile(m);
  const s = run.stream({ batch: 1 });
  let r = await timeFrames(FRAMES, (t) => s.step(frame(t)));
  rows.push({ runner: 'webgpu-rnn', what: 'stream.step(), 1 frame', median_ms: r.median, min_ms: r.min, frames: FRAMES });
  r = await timeFrames(Math.min(FRAMES, 100), (t) => run.predict({ data: x.slice(t * F, (t + WINDOW) * F), shape: [1, WINDOW, F] }));
  rows.push({ runner: 'webgpu-rnn', what: `predict() on the last ${WINDOW} frames`, median_ms: r.median, min_ms: r.min, frames: Math.min(FRAMES, 100) });
  s.dispose();
  run.dispose();

  const cpuRt = await lib.createRuntime({ backend: 'cpu' });
  const cs = (await cpuRt.compile(m)).stream({ batch: 1 });
  r = await timeFrames(Math.min(FRAMES, 100), (t) => cs.step(frame(t)));
  rows.push({ runner: 'webgpu-rnn cpu', what: 'stream.step(), 1 frame (float64 reference)', median_ms: r.median, min_ms: r.min, frames: Math.min(FRAMES, 100) });
  cpuRt.dispose();

  for (const backend of ['cpu', 'wasm', 'webgpu']) {
    try {
      rows.push(await tfjsStateful(backend, m, x));
    } catch (e) {
      rows.push({ runner: `tfjs-${backend}`, what: 'stateful layers, predict() on 1 frame', median_ms: NaN, min_ms: NaN, frames: 0, note: `skipped: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` });
    }
  }
  return rows;
}

interface TfLike {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor(v: Float32Array, shape: number[]): { dispose(): void; shape: number[] };
  input(c: object): unknown;
  model(c: object): { predict(x: unknown): { data(): Promise<Float32Array>; dispose(): void }; setWeights(w: unknown[]): void; getWeights(): { shape: number[] }[]; dispose(): void };
  layers: Record<string, (c: object) => { apply(x: unknown): unknown }>;
}

let tfLoaded: Promise<TfLike> | undefined;
async function loadTf(): Promise<TfLike> {
  // @ts-ignore -- bench/node_modules may be absent when the root project is type-checked
  tfLoaded ??= import('@tensorflow/tfjs').then((m) => cjs<TfLike>(m));
  return tfLoaded;
}

/** tfjs-layers with `stateful: true` LSTMs (batch input shape [1, 1, 40]) fed one frame per predict(). */
async function tfjsStateful(backend: string, m: lib.Model, x: Float32Array): Promise<LatencyRow> {
  const tf = await loadTf();
  if (backend === 'wasm') {
    // @ts-ignore -- as above
    await import('@tensorflow/tfjs-backend-wasm');
  } else if (backend === 'webgpu') {
    const why = await installNavigatorGpu();
    if (why) throw new Error(why);
    // @ts-ignore -- as above
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend '${backend}' did not initialise`);
  await tf.ready();
  const common = { units: H, stateful: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' };
  const input = tf.input({ batchShape: [1, 1, F] });
  let y = tf.layers.lstm!({ ...common, returnSequences: true }).apply(input);
  y = tf.layers.lstm!(common).apply(y);
  y = tf.layers.dense!({ units: 1, activation: 'sigmoid' }).apply(y);
  const model = tf.model({ inputs: input, outputs: y });
  model.setWeights(m.getWeights().map((w, i) => tf.tensor(w, model.getWeights()[i]!.shape)));
  const r = await timeFrames(FRAMES, async (t) => {
    const xt = tf.tensor(x.slice(t * F, (t + 1) * F), [1, 1, F]);
    const out = model.predict(xt);
    await out.data();
    out.dispose();
    xt.dispose();
  });
  model.dispose();
  return { runner: `tfjs-${backend}`, what: 'stateful layers, predict() on 1 frame', median_ms: r.median, min_ms: r.min, frames: FRAMES };
}

interface MemoryRow { steps: number; created_bytes: number; peak_live_bytes: number; single_pass_bytes: number; submits: number; seconds: number; max_err?: number }

/** Wraps createBuffer / destroy / submit to count bytes created, peak live and submits. */
function track(device: GPUDevice) {
  const live = new Map<GPUBuffer, number>();
  const stats = { created: 0, liveNow: 0, peak: 0, submits: 0 };
  const create = device.createBuffer.bind(device), submit = device.queue.submit.bind(device.queue);
  device.createBuffer = ((d: GPUBufferDescriptor) => {
    const b = create(d);
    const destroy = b.destroy.bind(b);
    live.set(b, d.size);
    stats.created += d.size;
    stats.liveNow += d.size;
    stats.peak = Math.max(stats.peak, stats.liveNow);
    b.destroy = () => {
      if (live.has(b)) {
        stats.liveNow -= live.get(b)!;
        live.delete(b);
      }
      destroy();
    };
    return b;
  }) as typeof device.createBuffer;
  device.queue.submit = ((cb: Iterable<GPUCommandBuffer>) => {
    stats.submits++;
    submit(cb);
  }) as typeof device.queue.submit;
  return { stats, restore: () => { device.createBuffer = create; device.queue.submit = submit; } };
}

/** Bytes a single-pass plan of `steps` steps would allocate (plan buffers + uniform arena), without allocating it. */
function singlePassBytes(m: lib.Model, steps: number): number {
  const plan = buildPlan(m, 1, [steps], false);
  return plan.buffers.reduce((n, b) => n + b.floats * 4, 0) + plan.uniforms.byteLength;
}

async function memory(rt: lib.Runtime, m: lib.Model): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const steps of [Math.min(10_000, STEPS), STEPS]) {
    const x = frames(steps);
    const t = track(rt.device!);
    let y: lib.Tensor;
    const t0 = performance.now();
    try {
      const run = await rt.compile(m);
      y = (await run.predict({ data: x, shape: [1, steps, F] })) as lib.Tensor;
      run.dispose();
    } finally {
      t.restore();
    }
    const seconds = (performance.now() - t0) / 1000;
    const row: MemoryRow = {
      steps, created_bytes: t.stats.created, peak_live_bytes: t.stats.peak, single_pass_bytes: singlePassBytes(m, steps), submits: t.stats.submits, seconds,
    };
    if (flag('check')) {
      const ref = lib.runReference(m, [{ data: x, shape: [1, steps, F] }])[0]!;
      row.max_err = Math.abs(ref.data[0]! - y.data[0]!);
    }
    rows.push(row);
  }
  return rows;
}

/** Diagnostics: predict() time against T, and the time between submits of one long run. */
async function scaling(rt: lib.Runtime, m: lib.Model): Promise<void> {
  const run = await rt.compile(m);
  for (const steps of [4096, 16384, 65536]) {
    const x = frames(steps);
    const stamps: number[] = [];
    const device = rt.device!, submit = device.queue.submit.bind(device.queue);
    device.queue.submit = ((cb: Iterable<GPUCommandBuffer>) => { stamps.push(performance.now()); submit(cb); }) as typeof device.queue.submit;
    const t0 = performance.now();
    await run.predict({ data: x, shape: [1, steps, F] });
    const t1 = performance.now();
    device.queue.submit = submit;
    const gaps = stamps.map((t, i) => (i === 0 ? t - t0 : t - stamps[i - 1]!).toFixed(0));
    console.error(`scaling: ${steps} steps ${(t1 - t0).toFixed(0)} ms; ms before each submit: ${gaps.join(' ')}; after last ${(t1 - stamps[stamps.length - 1]!).toFixed(0)}`);
  }
  run.dispose();
}

const kb = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

async function main(): Promise<void> {
  await installNavigatorGpu();
  const rt = await lib.createRuntime();
  if (rt.backend !== 'webgpu') throw new Error('no WebGPU adapter: this benchmark needs one');
  const m = makeModel();
  console.error(`streaming bench on ${rt.adapterInfo}`);
  if (flag('scaling')) await scaling(rt, m);
  const lat = flag('no-latency') ? [] : await latency(rt, m);
  const mem = await memory(rt, m);
  rt.dispose();
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    '# Streaming and long sequences',
    '',
    `Measured ${date} by \`npm run bench:stream\` on ${rt.adapterInfo} (CPU: ${cpus()[0]?.model.trim() ?? '?'} x${cpus().length}).`,
    ...(/llvmpipe|lavapipe|swiftshader|software/i.test(rt.adapterInfo) ? ['This is a software adapter: its GPU times are those of the CPU emulating it; rerun on real hardware for GPU figures.'] : []),
    '',
    `## Per-frame latency: LSTM(${H}, returnSequences) -> LSTM(${H}) -> Dense(1), ${F} features, batch 1`,
    '',
    '| runner | per frame | median ms | min ms | frames |',
    '| --- | --- | ---: | ---: | ---: |',
    ...lat.map((r) => `| ${r.runner} | ${r.what} | ${r.note ?? ms(r.median_ms)} | ${r.note ? '' : ms(r.min_ms)} | ${r.frames || ''} |`),
    '',
    `## A long sequence through predict() (returnSequences: false), chunks of at most 4096 steps`,
    '',
    '| steps | GPU bytes created | peak live | one single-pass plan would need | submits | seconds |' + (flag('check') ? ' max abs err |' : ''),
    '| ---: | ---: | ---: | ---: | ---: | ---: |' + (flag('check') ? ' ---: |' : ''),
    ...mem.map((r) => `| ${r.steps} | ${kb(r.created_bytes)} | ${kb(r.peak_live_bytes)} | ${kb(r.single_pass_bytes)} | ${r.submits} | ${r.seconds.toFixed(1)} |` + (r.max_err !== undefined ? ` ${r.max_err.toExponential(1)} |` : '')),
    '',
  ];
  const md = lines.join('\n');
  console.log(md);
  if (!flag('no-write')) {
    const docs = join(process.cwd(), 'docs'), results = join(process.cwd(), 'bench', 'results');
    mkdirSync(docs, { recursive: true });
    mkdirSync(results, { recursive: true });
    writeFileSync(join(docs, 'benchmarks-streaming.md'), md);
    writeFileSync(join(results, 'stream.json'), JSON.stringify({ date, adapter: rt.adapterInfo, latency: lat, memory: mem }, null, 2));
    console.error('wrote docs/benchmarks-streaming.md and bench/results/stream.json');
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
