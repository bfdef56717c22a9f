/** The parts of a benchmark run shared by the Node CLI and the browser page. */
import type { BenchConfig } from './configs.js';
import { withSeq } from './configs.js';
import { makeInputs, makeWeights } from './data.js';
import { buildOurModel, ourInputs, type Library } from './runners/ours.js';
import type { SpecWeights } from './spec.js';

/** Adapters that run WebGPU on the CPU: the big configs run at their short `softwareSeq` there. */
export function isSoftwareAdapter(info: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|softpipe|software/i.test(info);
}

export interface SeqChoice {
  /** Use the short sequence (a software adapter, or --quick). */
  short: boolean;
  /** --full: the full sequence even so. */
  full: boolean;
  /** --seq N: this sequence length for every config. */
  seq?: number;
}

/** The config as it will run: --seq, else its short length on a software adapter, else as registered. */
export function effectiveConfig(config: BenchConfig, choice: SeqChoice): BenchConfig {
  if (choice.seq !== undefined) return withSeq(config, choice.seq);
  if (choice.short && !choice.full && config.softwareSeq !== undefined) return withSeq(config, config.softwareSeq);
  return config;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export interface ConfigData {
  weights: SpecWeights;
  inputs: Float32Array[];
}

/** Seeded by the config's name without its -f16 suffix: a config and its f16 twin get the same numbers. */
export function configData(config: BenchConfig): ConfigData {
  const seed = hash(config.name.replace(/-f16$/, ''));
  return { weights: makeWeights(config.spec, seed), inputs: makeInputs(config.spec, seed) };
}

/** The float64 CPU reference's outputs for the config (webgpu-rnn's independent interpreter). */
export function referenceOutputs(lib: Library, config: BenchConfig, data: ConfigData): Float64Array[] {
  const net = buildOurModel(lib, config.spec, data.weights);
  return lib.runReference(net, ourInputs(config.spec, data.inputs)).map((t) => t.data);
}

/** What a runner's output is checked against: the config itself, or its short twin (`checkSeq`). */
export interface CheckPlan {
  config: BenchConfig;
  data: ConfigData;
  reference: Float64Array[];
  /** Seconds the reference took (0 when it came from the cache). */
  seconds: number;
}

const references = new Map<string, Float64Array[]>();

/**
 * The check for a config as it runs: at its own length, or at `checkSeq` when it is longer. References
 * are cached by model and length, so an f16 twin reuses its f32 config's.
 */
export function checkPlan(lib: Library, config: BenchConfig): CheckPlan {
  const seq = config.spec.branches[0]!.seq;
  const checked = config.checkSeq !== undefined && seq > config.checkSeq ? withSeq(config, config.checkSeq) : config;
  const data = configData(checked);
  const key = `${checked.name.replace(/-f16$/, '')}@${checked.spec.branches[0]!.seq}`;
  let reference = references.get(key);
  let seconds = 0;
  if (!reference) {
    const t0 = performance.now();
    reference = referenceOutputs(lib, checked, data);
    references.set(key, reference);
    seconds = (performance.now() - t0) / 1000;
  }
  return { config: checked, data, reference, seconds };
}
