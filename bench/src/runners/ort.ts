/** onnxruntime-node, CPU execution provider, on an ONNX model built in memory from the spec (../onnx.ts). */
import { cpus } from 'node:os';
import type { BenchConfig } from '../configs.js';
import { buildOnnxModel } from '../onnx.js';
import type { SpecWeights } from '../spec.js';
import { SkipError, type Prepared, type Runner } from './types.js';

interface OrtTensor { readonly data: unknown }
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface Ort {
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  env: { versions?: { common?: string; node?: string } };
}

export function ortRunner(load: () => Promise<Ort>): Runner {
  return {
    name: 'ort-cpu',
    async prepare(config: BenchConfig, weights: SpecWeights, data: Float32Array[]): Promise<Prepared> {
      if (config.precision !== 'f32') throw new SkipError("onnxruntime's CPU LSTM / GRU kernels are float32 only");
      let ort: Ort;
      try {
        ort = await load();
      } catch (e) {
        throw new SkipError(`onnxruntime-node: ${e instanceof Error ? e.message : String(e)}`);
      }
      const session = await ort.InferenceSession.create(buildOnnxModel(config.spec, weights), {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3, // errors only
      });
      const spec = config.spec;
      const cpu = cpus();
      return {
        device: `onnxruntime-node ${ort.env.versions?.node ?? ''} CPU EP (${cpu[0]?.model.trim() ?? 'cpu'} x${cpu.length})`.replace('  ', ' '),
        async run() {
          const feeds: Record<string, OrtTensor> = {};
          spec.branches.forEach((b, i) => { feeds[`x${i}`] = new ort.Tensor('float32', data[i]!, [spec.batch, b.seq, b.features]); });
          const out = await session.run(feeds);
          return [out.y!.data as Float32Array];
        },
        async dispose() {
          await session.release();
        },
      };
    },
  };
}
