/** What every runner (webgpu-rnn, a tfjs backend, onnxruntime, ...) provides to the harness. */
import type { BenchConfig } from '../configs.js';
import type { SpecWeights } from '../spec.js';

/** A model built and loaded by one runner, ready to run forward passes. */
export interface Prepared {
  /** The device or adapter it runs on, in words. */
  device: string;
  /**
   * One whole forward pass: upload the inputs, run, read the outputs back (batch first, in the order of
   * `outputShapes(spec)`).
   */
  run(): Promise<Float32Array[]>;
  dispose(): void | Promise<void>;
}

export interface Runner {
  /** Stable id, used by --runners and in the JSON lines. */
  name: string;
  /** Builds the config's model with these weights and binds these inputs. Throws SkipError when it can not. */
  prepare(config: BenchConfig, weights: SpecWeights, inputs: Float32Array[]): Promise<Prepared>;
}

/** Thrown by `prepare` when a runner does not support a config (f16 on a float32-only peer, a missing package): recorded as skipped, with the message. */
export class SkipError extends Error {
  override name = 'SkipError';
}
