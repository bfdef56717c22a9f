/**
 * TensorFlow.js (tfjs-layers) on one of its backends. The tfjs modules are passed in: Node loads the
 * installed packages (bench/node_modules), the GPU CLI and the browser page bundle them. Only the small
 * part of the tfjs API the harness uses is typed here, so the root type-check needs no bench packages.
 */
import type { BenchConfig } from '../configs.js';
import type { ModelSpec, SpecWeights } from '../spec.js';
import { SkipError, type Prepared, type Runner } from './types.js';

export interface TfTensor {
  readonly shape: number[];
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
}
interface TfSymbolic { readonly shape: (number | null)[] }
interface TfLayer {
  apply(x: TfSymbolic | TfSymbolic[]): TfSymbolic;
  setWeights(w: TfTensor[]): void;
}
interface TfModel {
  predict(x: TfTensor | TfTensor[], config?: { batchSize?: number }): TfTensor | TfTensor[];
  dispose(): unknown;
}
export interface TfCore {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  backend(): unknown;
  tensor(values: Float32Array, shape: number[], dtype?: 'float32'): TfTensor;
  memory(): { numTensors: number };
  version_core?: string;
  version?: Record<string, string>;
}
export interface TfLayers {
  input(config: { shape: number[]; name?: string }): TfSymbolic;
  model(config: { inputs: TfSymbolic[]; outputs: TfSymbolic; name?: string }): TfModel;
  layers: {
    lstm(config: object): TfLayer;
    gru(config: object): TfLayer;
    dense(config: object): TfLayer;
    concatenate(config?: object): TfLayer;
  };
}
export interface Tfjs {
  core: TfCore;
  layers: TfLayers;
}

/** The adapter tfjs' webgpu backend runs on, in words (its GPUDevice's adapterInfo where the runtime has it). */
export function tfjsWebgpuAdapter(tf: Tfjs): string {
  type Info = { vendor?: string; architecture?: string; device?: string; description?: string };
  const backend = tf.core.backend() as { device?: { adapterInfo?: Info }; adapterInfo?: Info };
  const info = backend.device?.adapterInfo ?? backend.adapterInfo;
  return [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s && s.length > 0).join(' / ') || 'adapter';
}

/** A module's namespace, or its CommonJS default export when Node loaded a CJS build. */
export function cjs<T>(m: unknown): T {
  const d = (m as { default?: unknown }).default;
  return (d && typeof d === 'object' && Object.keys(d).length > Object.keys(m as object).length ? d : m) as T;
}

function buildTfModel(tf: Tfjs, spec: ModelSpec, weights: SpecWeights): { model: TfModel; tensors: TfTensor[] } {
  const tensors: TfTensor[] = [];
  const t = (w: Float32Array, shape: number[]) => {
    const x = tf.core.tensor(w, shape, 'float32');
    tensors.push(x);
    return x;
  };
  const set: [TfLayer, TfTensor[]][] = [];
  const inputs = spec.branches.map((b, i) => tf.layers.input({ shape: [b.seq, b.features], name: `x${i}` }));
  const outs = spec.branches.map((b, bi) => {
    let x = inputs[bi]!;
    let width = b.features;
    b.layers.forEach((l, li) => {
      if (l.cell === 'gru' && l.resetAfter) throw new SkipError('tfjs-layers has no reset-after GRU');
      // tfjs-layers defaults recurrentActivation to hardSigmoid (Keras 1): spell out Keras 2's sigmoid.
      // Zero initialisers: the weights are set right after, and tfjs' default orthogonal one takes seconds at H=1024.
      const config = {
        units: l.units, returnSequences: l.returnSequences, activation: 'tanh', recurrentActivation: 'sigmoid',
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros',
      };
      const layer = l.cell === 'lstm' ? tf.layers.layers.lstm(config) : tf.layers.layers.gru(config);
      x = layer.apply(x);
      const G = (l.cell === 'lstm' ? 4 : 3) * l.units;
      const [k, r, bias] = weights.rnn[bi]![li]!;
      set.push([layer, [t(k!, [width, G]), t(r!, [l.units, G]), t(bias!, [G])]]);
      width = l.units;
    });
    return x;
  });
  let y = outs.length > 1 ? tf.layers.layers.concatenate().apply(outs) : outs[0]!;
  if (spec.dense !== undefined) {
    const inp = spec.branches.reduce((s, b) => s + b.layers[b.layers.length - 1]!.units, 0);
    const dense = tf.layers.layers.dense({ units: spec.dense, kernelInitializer: 'zeros' });
    y = dense.apply(y);
    set.push([dense, [t(weights.dense![0]!, [inp, spec.dense]), t(weights.dense![1]!, [spec.dense])]]);
  }
  const model = tf.layers.model({ inputs, outputs: y, name: 'bench' });
  for (const [layer, w] of set) layer.setWeights(w);
  return { model, tensors };
}

/**
 * A tfjs runner. `load` brings in tfjs with the backend registered (and returns undefined, or throws,
 * when that is impossible here); `describe` names the device.
 */
export function tfjsRunner(name: string, backend: string, load: () => Promise<Tfjs>, describe: (tf: Tfjs) => string): Runner {
  return {
    name,
    async prepare(config: BenchConfig, weights: SpecWeights, data: Float32Array[]): Promise<Prepared> {
      if (config.precision !== 'f32') throw new SkipError('tfjs-layers runs recurrent layers in float32 only');
      let tf: Tfjs;
      try {
        tf = await load();
      } catch (e) {
        throw new SkipError(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!(await tf.core.setBackend(backend))) throw new SkipError(`tfjs backend '${backend}' did not initialise here`);
      await tf.core.ready();
      const { model, tensors } = buildTfModel(tf, config.spec, weights);
      const spec = config.spec;
      return {
        device: describe(tf),
        async run() {
          const xs = spec.branches.map((b, i) => tf.core.tensor(data[i]!, [spec.batch, b.seq, b.features], 'float32'));
          const y = model.predict(xs.length === 1 ? xs[0]! : xs, { batchSize: spec.batch });
          const ys = Array.isArray(y) ? y : [y];
          try {
            return await Promise.all(ys.map(async (t) => (await t.data()) as Float32Array));
          } finally {
            for (const t of [...xs, ...ys]) t.dispose();
          }
        },
        dispose() {
          model.dispose();
          for (const t of tensors) t.dispose();
        },
      };
    },
  };
}
