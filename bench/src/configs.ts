/**
 * The named benchmark configs (issue 4): a-d, the H100 per layer-step configs e and f, and an f16
 * variant of each. Add a config with `registerConfig` (e.g. from a bench/stream* module): every runner,
 * the CLI's --configs, the tables, the chart and the GPU script pick it up.
 */
import type { ModelSpec, Precision } from './spec.js';

/** What the issue asks a config to show; the report prints each as met or not. */
export interface Targets {
  /** webgpu-rnn at least this many times faster than tfjs webgpu on the same adapter (Node). */
  vsTfjsWebgpu?: number;
  /** The same in headless Chromium. */
  browserVsTfjsWebgpu?: number;
  /** Whole forward pass on the GPU machine, ms. */
  gpuMs?: number;
  /** Per layer-step on the GPU machine, µs. */
  gpuUsPerLayerStep?: number;
}

export interface BenchConfig {
  name: string;
  title: string;
  spec: ModelSpec;
  precision: Precision;
  /**
   * Sequence length used on a software adapter (lavapipe, SwiftShader, llvmpipe) and with --quick, where the
   * full length takes minutes per pass; the results then say which length ran.
   */
  softwareSeq?: number;
  /**
   * Longest sequence the float64 reference check runs at: past it, each runner is checked on the same
   * model at this length (its own compile and pass), then timed at the full length unchecked. The
   * reference costs about a second per GFLOP: config f at full length would take ten minutes.
   */
  checkSeq?: number;
  /** The same model for .gpu-kit/cudnn_rnn.py (CELL:LAYERS:INPUT:HIDDEN:BATCH:SEQ); `repeat` independent copies of it. */
  cudnn?: { spec: string; repeat?: number };
  targets?: Targets;
  /** Max abs error against the float64 reference above which a runner is flagged as disagreeing. */
  tolerance: number;
}

const F32_TOLERANCE = 1e-3;
const F16_TOLERANCE = 5e-2;

const registry: BenchConfig[] = [];

/** Adds a config (its name must be new). Returns it. */
export function registerConfig(config: BenchConfig): BenchConfig {
  if (registry.some((c) => c.name === config.name)) throw new Error(`bench: config '${config.name}' is registered twice`);
  registry.push(config);
  return config;
}

export function allConfigs(): readonly BenchConfig[] {
  return registry;
}

export function findConfig(name: string): BenchConfig | undefined {
  return registry.find((c) => c.name === name);
}

/** The config with every branch's sequence length set to `seq`. */
export function withSeq(config: BenchConfig, seq: number): BenchConfig {
  return { ...config, spec: { ...config.spec, branches: config.spec.branches.map((b) => ({ ...b, seq })) } };
}

/** The f16 twin of a config: same model, `precision: 'f16'`, looser tolerance, cuDNN in fp16. */
function f16(config: BenchConfig): BenchConfig {
  return { ...config, name: `${config.name}-f16`, title: `${config.title}, f16`, precision: 'f16', tolerance: F16_TOLERANCE, targets: undefined };
}

const lstm = (units: number, returnSequences = false) => ({ cell: 'lstm' as const, units, returnSequences });

const base: BenchConfig[] = [
  {
    name: 'a',
    title: 'LSTM 2 layers, in 32, hidden 128, batch 1, seq 256, full sequence out',
    spec: { batch: 1, branches: [{ seq: 256, features: 32, layers: [lstm(128, true), lstm(128, true)] }] },
    precision: 'f32',
    cudnn: { spec: 'lstm:2:32:128:1:256' },
    targets: { vsTfjsWebgpu: 30, browserVsTfjsWebgpu: 30, gpuMs: 0.5 },
    tolerance: F32_TOLERANCE,
  },
  {
    name: 'b',
    title: 'LSTM 2 layers, in 64, hidden 256, batch 16, seq 128',
    spec: { batch: 16, branches: [{ seq: 128, features: 64, layers: [lstm(256, true), lstm(256)] }] },
    precision: 'f32',
    checkSeq: 32, // the full-length reference takes about a minute here
    cudnn: { spec: 'lstm:2:64:256:16:128' },
    targets: { vsTfjsWebgpu: 30, gpuMs: 2 },
    tolerance: F32_TOLERANCE,
  },
  {
    name: 'c',
    title: 'GRU 1 layer, in 32, hidden 128, batch 1, seq 256 (reset before, as tfjs-layers)',
    spec: { batch: 1, branches: [{ seq: 256, features: 32, layers: [{ cell: 'gru', units: 128, returnSequences: false, resetAfter: false }] }] },
    precision: 'f32',
    cudnn: { spec: 'gru:1:32:128:1:256' },
    targets: { vsTfjsWebgpu: 30, gpuMs: 0.2 },
    tolerance: F32_TOLERANCE,
  },
  {
    name: 'd',
    title: '2 inputs (in 16, seq 128) -> LSTM(64) each -> concat -> Dense(1), batch 32',
    spec: {
      batch: 32,
      branches: [{ seq: 128, features: 16, layers: [lstm(64)] }, { seq: 128, features: 16, layers: [lstm(64)] }],
      dense: 1,
    },
    precision: 'f32',
    cudnn: { spec: 'lstm:1:16:64:32:128', repeat: 2 },
    targets: { vsTfjsWebgpu: 30, gpuMs: 0.3 },
    tolerance: F32_TOLERANCE,
  },
  {
    name: 'e',
    title: 'LSTM 1 layer, in 1024, hidden 1024, batch 1, seq 512 (per layer-step)',
    spec: { batch: 1, branches: [{ seq: 512, features: 1024, layers: [lstm(1024)] }] },
    precision: 'f32',
    softwareSeq: 16,
    checkSeq: 16,
    cudnn: { spec: 'lstm:1:1024:1024:1:512' },
    targets: { gpuUsPerLayerStep: 6 },
    tolerance: F32_TOLERANCE,
  },
  {
    name: 'f',
    title: 'LSTM 1 layer, in 512, hidden 512, batch 64, seq 256 (per layer-step)',
    spec: { batch: 64, branches: [{ seq: 256, features: 512, layers: [lstm(512)] }] },
    precision: 'f32',
    softwareSeq: 8,
    checkSeq: 4,
    cudnn: { spec: 'lstm:1:512:512:64:256' },
    targets: { gpuUsPerLayerStep: 18 },
    tolerance: F32_TOLERANCE,
  },
];

for (const c of base) registerConfig(c);
for (const c of base) registerConfig(f16(c));

// e and f with a 4-wide input: the same recurrences, with input projections 256x (e) and 128x (f)
// smaller. Timed next to e and f (on the GPU machine, with cuDNN), the difference is what the
// projection of every step's input, one matmul before the recurrence, costs there.
for (const c of base.filter((b) => b.name === 'e' || b.name === 'f')) {
  registerConfig({
    ...c,
    name: `${c.name}-x4`,
    title: `${c.title.replace(/, in \d+,/, ', in 4,')}: ${c.name} with a 4-wide input`,
    spec: { ...c.spec, branches: c.spec.branches.map((b) => ({ ...b, features: 4 })) },
    cudnn: { spec: c.cudnn!.spec.replace(/^lstm:1:\d+:/, 'lstm:1:4:') },
    targets: undefined,
  });
}

// c with the reset gate after the matmul (Keras resetAfter: true, ONNX linear_before_reset = 1): the
// GRU cuDNN runs (PyTorch's), so its cuDNN row compares like with like, and one recurrent reduction a
// step where c's reset-before GRU needs two, one after the other. tfjs-layers has no such GRU (its
// runner skips it).
for (const c of base.filter((b) => b.name === 'c')) {
  registerConfig({
    ...c,
    name: 'c-ra',
    title: c.title.replace('(reset before, as tfjs-layers)', '(reset after, as cuDNN)'),
    spec: { ...c.spec, branches: c.spec.branches.map((b) => ({ ...b, layers: b.layers.map((l) => ({ ...l, resetAfter: true })) })) },
    targets: undefined,
  });
}
