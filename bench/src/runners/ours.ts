/**
 * webgpu-rnn itself, through its public API. The library module is passed in, so the same runner serves
 * the Node entry (src/index.ts, Dawn) and the browser entry (src/browser.ts, navigator.gpu).
 */
import type * as Lib from '../../../src/api.js';
import type { BenchConfig } from '../configs.js';
import type { ModelSpec, SpecWeights } from '../spec.js';
import { SkipError, type Prepared, type Runner } from './types.js';

export type Library = typeof Lib;

/** The spec as a webgpu-rnn model (functional API), with the spec's weights set layer by layer. */
export function buildOurModel(lib: Library, spec: ModelSpec, weights: SpecWeights): Lib.Model {
  const inputs = spec.branches.map((b, i) => lib.input({ shape: [b.seq, b.features], name: `x${i}` }));
  const set: [Lib.Layer, Float32Array[]][] = [];
  const outs = spec.branches.map((b, bi) => {
    let x: Lib.SymbolicTensor = inputs[bi]!;
    b.layers.forEach((l, li) => {
      const options = { units: l.units, returnSequences: l.returnSequences, activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
      const layer = l.cell === 'lstm' ? lib.layers.lstm(options) : lib.layers.gru({ ...options, resetAfter: l.resetAfter ?? false });
      x = layer.apply(x) as Lib.SymbolicTensor;
      set.push([layer, weights.rnn[bi]![li]!]);
    });
    return x;
  });
  let y = outs.length > 1 ? (lib.layers.concatenate().apply(outs) as Lib.SymbolicTensor) : outs[0]!;
  if (spec.dense !== undefined) {
    const dense = lib.layers.dense({ units: spec.dense });
    y = dense.apply(y) as Lib.SymbolicTensor;
    set.push([dense, weights.dense!]);
  }
  const net = lib.model({ inputs, outputs: y, name: 'bench' });
  for (const [layer, w] of set) layer.setWeights(w);
  return net;
}

/** Batch-first input tensors of a spec. */
export function ourInputs(spec: ModelSpec, inputs: Float32Array[]): Lib.Tensor[] {
  return spec.branches.map((b, i) => ({ data: inputs[i]!, shape: [spec.batch, b.seq, b.features] }));
}

/**
 * The precision a compiled model runs at: `precision` where the runtime reports it, else its plan
 * options. A runtime that reports neither predates `precision: 'f16'`: its f16 configs are skipped
 * rather than timed at f32 under an f16 label.
 */
function reportedPrecision(compiled: Lib.CompiledModel): string | undefined {
  const c = compiled as unknown as { precision?: string; planOptions?: { precision?: string } };
  return c.precision ?? c.planOptions?.precision ?? (c.planOptions ? 'f32' : undefined);
}

/**
 * Extra compile options for every webgpu-rnn run (--ours-options '{"kernel":"step"}'), recorded with the
 * results. One key is the runner's own, not compile()'s: `"gpuInput": true` uploads the inputs to GPU
 * buffers once, before timing, and passes them to predict() as GPU tensors, so a pass is timed as
 * cuDNN's is, its input already on the device (no host check or upload of it).
 */
export const oursCompileOptions: Record<string, unknown> = {};

export function oursRunner(lib: Library, runtime: () => Promise<Lib.Runtime>): Runner {
  return {
    name: 'webgpu-rnn',
    async prepare(config: BenchConfig, weights: SpecWeights, data: Float32Array[]): Promise<Prepared> {
      const rt = await runtime();
      if (rt.backend !== 'webgpu') throw new SkipError('no WebGPU adapter (the runtime fell back to the CPU reference)');
      const net = buildOurModel(lib, config.spec, weights);
      const { gpuInput, ...compileExtras } = oursCompileOptions;
      const options: Lib.CompileOptions & Record<string, unknown> = { ...compileExtras, batchSizes: [config.spec.batch] };
      if (config.precision === 'f16') options.precision = 'f16';
      let compiled: Lib.CompiledModel;
      try {
        compiled = await rt.compile(net, options);
      } catch (e) {
        if (e instanceof lib.UnsupportedError || (config.precision === 'f16' && e instanceof lib.ConfigError)) throw new SkipError(`webgpu-rnn: ${e.message}`);
        throw e;
      }
      if (config.precision === 'f16' && reportedPrecision(compiled) !== 'f16') {
        compiled.dispose();
        const got = reportedPrecision(compiled);
        throw new SkipError(got === undefined
          ? "this build of webgpu-rnn has no precision: 'f16' compile option (the compiled model reports no precision)"
          : `webgpu-rnn compiled at ${got}, not f16, on this adapter`);
      }
      let inputs: Lib.Input[] = ourInputs(config.spec, data);
      const buffers: GPUBuffer[] = [];
      if (gpuInput === true) {
        const device = rt.device!;
        inputs = (inputs as Lib.Tensor[]).map((t) => {
          const buffer = device.createBuffer({ label: 'bench input', size: t.data.byteLength, usage: 0x80 | 0x4 | 0x8 /* STORAGE | COPY_SRC | COPY_DST */ });
          device.queue.writeBuffer(buffer, 0, t.data);
          buffers.push(buffer);
          return { buffer, shape: t.shape };
        });
      }
      return {
        device: rt.adapterInfo,
        async run() {
          const y = await compiled.predict(inputs);
          return (Array.isArray(y) ? y : [y]).map((t) => t.data);
        },
        dispose() {
          compiled.dispose();
          for (const b of buffers) b.destroy();
        },
      };
    },
  };
}
