/**
 * The tfjs / Keras importer against TensorFlow.js itself (issue 3, part 3): each model is built in
 * @tensorflow/tfjs-layers (cpu backend), given seeded random weights, saved through
 * `tf.io.withSaveHandler` (the same model.json + weight bytes `model.save()` writes), loaded with
 * `loadLayersModel`, compiled on WebGPU and run on the same inputs as `tfModel.predict`. Every element
 * of every output is compared, on both recurrent kernels ('step' and 'sequence'). There is no CPU
 * fallback: a runtime that is not WebGPU fails.
 *
 * Tolerance: both sides compute in float32 but in different orders (tiled GPU sums vs tfjs' matMul)
 * and with different exp/tanh. On lavapipe the largest difference seen is 2.4e-7; the bound
 * |ours - tfjs| <= 2e-5 + 1e-4 |tfjs| leaves room for other adapters' transcendental functions.
 *
 * tfjs' GRU is always reset_after=false (it refuses true and writes "reset_after": false), and its LSTM
 * and GRU default to hard_sigmoid gates: both are part of what the loader must read right.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Model, type Runtime, type Tensor, createRuntime, loadLayersModel, loadLayersModelFromFiles, loadLayersModelFromUrl,
} from '../src/index.js';
import { expectOutputsClose, maxAbsError } from './support/compare.js';
import { Rng, seedOf } from './support/random.js';
import { failOnGpuErrors } from './support/error-scopes.js';

const TOL = { atol: 2e-5, rtol: 1e-4 };
const TIMEOUT_MS = 120_000;

let rt: Runtime;

beforeAll(async () => {
  await tf.setBackend('cpu');
  rt = await createRuntime();
}, TIMEOUT_MS);

afterAll(() => rt?.dispose());

failOnGpuErrors(() => rt?.device);

function gpu(): Runtime {
  expect(rt.backend, `createRuntime() fell back to '${rt.backend}' (${rt.adapterInfo}); these tests need WebGPU`).toBe('webgpu');
  return rt;
}

/** model.json + weight bytes, exactly what tfjs' file and http handlers would write. */
interface Artifacts {
  modelJson: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  weights: ArrayBuffer;
}

async function save(m: tfl.LayersModel): Promise<Artifacts> {
  let out: Artifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => {
    const data = a.weightData!;
    const weights = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
    out = { modelJson: { modelTopology: a.modelTopology as object, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs! }] }, weights };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return out!;
}

// tfjs' default orthogonal initializer needs chained ops that tfjs-core alone does not register; the
// weights are replaced below anyway.
const R = { recurrentInitializer: 'glorotUniform' } as const;

/** Seeded random weights for every variable of the tfjs model (biases too, so they are exercised). */
function randomize(m: tfl.LayersModel, rng: Rng): void {
  m.setWeights(m.weights.map((w) => tf.tensor(rng.fill(w.shape.reduce((a, b) => a! * b!, 1)!, -0.7, 0.7), w.shape as number[])));
}

interface Case {
  name: string;
  build: () => tfl.LayersModel;
  /** Input shapes with batch. */
  inputs: number[][];
  /** Edits the random inputs (e.g. writes mask values into some steps). */
  prepare?: (xs: Tensor[], rng: Rng) => void;
}

/** Builds in tfjs, saves, loads with ours; compares GPU predict with tfjs predict element by element. */
async function check(c: Case, load: (a: Artifacts) => Promise<Model> = (a) => loadLayersModel(a)): Promise<void> {
  const rng = new Rng(seedOf(c.name));
  const tfModel = c.build();
  randomize(tfModel, rng);
  const xs: Tensor[] = c.inputs.map((shape) => ({ data: rng.fill(shape.reduce((a, b) => a * b, 1)), shape }));
  c.prepare?.(xs, rng);
  const txs = xs.map((x) => tf.tensor(x.data, x.shape));
  const yt = tfModel.predict(txs.length === 1 ? txs[0]! : txs);
  const expected = (Array.isArray(yt) ? yt : [yt]).map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape as number[] }));
  try {
    const net = await load(await save(tfModel));
    // Both recurrent kernel variants: one dispatch per step, and whole sequences per dispatch.
    for (const kernel of KERNELS) {
      const run = await gpu().compile(net, { kernel });
      try {
        const y = await run.predict(xs.length === 1 ? xs[0]! : xs);
        try {
          expectOutputsClose(y, expected, TOL);
        } catch (e) {
          throw new Error(`kernel '${kernel}': ${(e as Error).message}`);
        }
        if (process.env.TFJS_LOG_ERRORS) console.log(`${c.name} [${kernel}]: max |ours - tfjs| = ${maxAbsError(y, expected).toExponential(2)}`);
      } finally {
        run.dispose();
      }
    }
  } finally {
    tf.dispose([...txs, ...(Array.isArray(yt) ? yt : [yt])]);
    tfModel.dispose();
  }
}

const KERNELS = ['step', 'sequence'] as const;

const I = (shape: number[]) => tfl.input({ shape });
const fn = (inputs: tfl.SymbolicTensor | tfl.SymbolicTensor[], outputs: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => tfl.model({ inputs, outputs });
const st = (x: unknown) => x as tfl.SymbolicTensor;
const sts = (x: unknown) => x as tfl.SymbolicTensor[];

const CASES: Case[] = [
  {
    name: 'sequential LSTM(rs) -> LSTM -> Dense (issue 2 stack, hard_sigmoid gates by tfjs default)',
    build: () => tfl.sequential({ layers: [
      tfl.layers.lstm({ ...R, units: 12, returnSequences: true, inputShape: [7, 1] }), tfl.layers.lstm({ ...R, units: 12 }), tfl.layers.dense({ units: 1 }),
    ] }),
    inputs: [[3, 7, 1]],
  },
  {
    name: 'sequential SimpleRNN(relu, rs) -> GRU(rs) -> TimeDistributed(Dense softmax)',
    build: () => tfl.sequential({ layers: [
      tfl.layers.simpleRNN({ ...R, units: 5, activation: 'relu', returnSequences: true, inputShape: [6, 3] }),
      tfl.layers.gru({ ...R, units: 33, recurrentActivation: 'sigmoid', returnSequences: true }),
      tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 4, activation: 'softmax' }) }),
    ] }),
    inputs: [[2, 6, 3]],
  },
  {
    name: 'sequential with InputLayer, Dropout, Dense on sequences, useBias false',
    build: () => tfl.sequential({ layers: [
      tfl.layers.inputLayer({ inputShape: [5, 2] }),
      tfl.layers.gru({ ...R, units: 4, useBias: false, returnSequences: true }),
      tfl.layers.dropout({ rate: 0.3 }),
      tfl.layers.dense({ units: 3, activation: 'tanh', useBias: false }),
    ] }),
    inputs: [[2, 5, 2]],
  },
  {
    name: 'functional: two inputs, LSTM each, Concatenate, Dropout, Dense (issue 2 connected)',
    build: () => {
      const a = I([8, 1]), b = I([8, 1]);
      const j = tfl.layers.concatenate().apply([st(tfl.layers.lstm({ ...R, units: 10 }).apply(a)), st(tfl.layers.lstm({ ...R, units: 10 }).apply(b))]);
      return fn([a, b], st(tfl.layers.dense({ units: 1 }).apply(st(tfl.layers.dropout({ rate: 0.5 }).apply(st(j))))));
    },
    inputs: [[3, 8, 1], [3, 8, 1]],
  },
  {
    name: 'functional: three branches of different cells and depths, sequences concatenated (axis 2), then GRU',
    build: () => {
      const a = I([6, 2]), b = I([6, 3]), c = I([6, 1]);
      const ba = tfl.layers.lstm({ ...R, units: 3, returnSequences: true }).apply(tfl.layers.simpleRNN({ ...R, units: 4, returnSequences: true }).apply(a));
      const bb = tfl.layers.gru({ ...R, units: 5, returnSequences: true }).apply(b);
      const bc = tfl.layers.simpleRNN({ ...R, units: 2, returnSequences: true, goBackwards: true }).apply(c);
      const j = tfl.layers.concatenate({ axis: 2 }).apply(sts([ba, bb, bc]));
      return fn([a, b, c], st(tfl.layers.dense({ units: 2, activation: 'sigmoid' }).apply(st(tfl.layers.gru({ ...R, units: 6 }).apply(st(j))))));
    },
    inputs: [[2, 6, 2], [2, 6, 3], [2, 6, 1]],
  },
  {
    name: 'functional: returnState outputs [y, h, c] and a shared layer applied twice (node index 1)',
    build: () => {
      const a = I([5, 2]), b = I([5, 2]);
      const shared = tfl.layers.lstm({ ...R, units: 4, returnState: true, recurrentActivation: 'sigmoid' });
      const [ya, ha, ca] = sts(shared.apply(a));
      const [yb] = sts(shared.apply(b));
      const j = tfl.layers.concatenate().apply([ya!, yb!]);
      return fn([a, b], [st(tfl.layers.dense({ units: 2 }).apply(st(j))), ha!, ca!]);
    },
    inputs: [[3, 5, 2], [3, 5, 2]],
  },
  {
    name: 'functional: LSTM and GRU initial states from extra inputs',
    build: () => {
      const x = I([4, 3]), h = I([5]), c = I([5]), g = I([2]);
      const y = tfl.layers.lstm({ ...R, units: 5, returnSequences: true }).apply(x, { initialState: [h, c] });
      const z = tfl.layers.gru({ ...R, units: 2 }).apply(st(y), { initialState: [g] });
      return fn([x, h, c, g], st(z));
    },
    inputs: [[2, 4, 3], [2, 5], [2, 5], [2, 2]],
  },
];

for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
  const make = (opts: Record<string, unknown>) => (cell === 'gru' ? tfl.layers.gru({ ...R, units: 3, ...opts })
    : cell === 'lstm' ? tfl.layers.lstm({ ...R, units: 3, ...opts }) : tfl.layers.simpleRNN({ ...R, units: 3, ...opts }));
  for (const mode of ['concat', 'sum', 'mul', 'ave'] as const) {
    CASES.push({
      name: `Bidirectional(${cell}) mergeMode ${mode}, returnSequences`,
      build: () => tfl.sequential({ layers: [
        tfl.layers.bidirectional({ layer: make({ returnSequences: true }) as tfl.RNN, mergeMode: mode, inputShape: [5, 2] }),
        tfl.layers.dense({ units: 2 }),
      ] }),
      inputs: [[2, 5, 2]],
    });
  }
  CASES.push({
    name: `Bidirectional(${cell}) concat, last output, in a stack`,
    build: () => tfl.sequential({ layers: [
      tfl.layers.bidirectional({ layer: make({ returnSequences: true }) as tfl.RNN, inputShape: [6, 2] }),
      tfl.layers.bidirectional({ layer: make({}) as tfl.RNN, mergeMode: 'ave' }),
    ] }),
    inputs: [[3, 6, 2]],
  });
  CASES.push({
    name: `${cell} goBackwards, returnSequences and last output`,
    build: () => {
      const x = I([6, 2]);
      const l = make({ goBackwards: true, returnSequences: true, activation: 'tanh', ...(cell === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' }) });
      const s = l.apply(x);
      return fn(x, [st(s), st(make({ goBackwards: true }).apply(x))]);
    },
    inputs: [[2, 6, 2]],
  });
}

/**
 * Sets whole time steps of sequence inputs to `value` so a Masking layer skips them: row 0 right padding,
 * row 1 interior and leading gaps, row 2 (if any) random steps, and a fully masked row when `allMaskedRow`.
 */
function maskSteps(value: number, allMaskedRow = false) {
  return (xs: Tensor[], rng: Rng) => {
    for (const x of xs) {
      if (x.shape.length !== 3) continue;
      const [B, T, F] = x.shape as [number, number, number];
      const masked = (b: number, t: number) => (b === 0 ? t >= T - 2 : b === 1 ? t === 0 || t === 2 || t === 3 : allMaskedRow && b === B - 1 ? true : rng.next() < 0.3);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (masked(b, t)) x.data.fill(value, (b * T + t) * F, (b * T + t + 1) * F);
    }
  };
}

CASES.push(
  {
    name: 'Masking(0) -> LSTM(rs) -> LSTM -> Dense (right padding, interior and leading gaps)',
    build: () => tfl.sequential({ layers: [
      tfl.layers.masking({ maskValue: 0, inputShape: [7, 2] }),
      tfl.layers.lstm({ ...R, units: 6, returnSequences: true, recurrentActivation: 'sigmoid' }),
      tfl.layers.lstm({ ...R, units: 5 }),
      tfl.layers.dense({ units: 2 }),
    ] }),
    inputs: [[4, 7, 2]],
    prepare: maskSteps(0),
  },
  {
    name: 'Masking(-1) -> SimpleRNN(rs) and GRU(goBackwards, rs) outputs at masked steps; a fully masked row',
    build: () => {
      const x = I([6, 3]);
      const m = st(tfl.layers.masking({ maskValue: -1 }).apply(x));
      return fn(x, [st(tfl.layers.simpleRNN({ ...R, units: 4, returnSequences: true }).apply(m)),
        st(tfl.layers.gru({ ...R, units: 3, goBackwards: true, returnSequences: true }).apply(m))]);
    },
    inputs: [[3, 6, 3]],
    prepare: maskSteps(-1, true),
  },
  {
    name: 'Masking -> Bidirectional(GRU, rs) for each merge mode -> TimeDistributed(Dense)',
    build: () => {
      const x = I([6, 2]);
      const m = st(tfl.layers.masking({ maskValue: 0.5 }).apply(x));
      const outs = (['concat', 'sum', 'mul', 'ave'] as const).map((mode) => st(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2 }) })
        .apply(st(tfl.layers.bidirectional({ layer: tfl.layers.gru({ ...R, units: 3, returnSequences: true }) as tfl.RNN, mergeMode: mode }).apply(m)))));
      return fn(x, outs);
    },
    inputs: [[3, 6, 2]],
    prepare: maskSteps(0.5),
  },
  {
    name: 'Masking -> Bidirectional(LSTM) last output, returnState',
    build: () => {
      const x = I([5, 2]);
      const m = st(tfl.layers.masking().apply(x));
      return fn(x, sts(tfl.layers.bidirectional({ layer: tfl.layers.lstm({ ...R, units: 3, returnState: true }) as tfl.RNN }).apply(m)));
    },
    inputs: [[3, 5, 2]],
    prepare: maskSteps(0),
  },
  {
    name: 'Masking on two inputs -> LSTM(rs) each -> Concatenate (mask AND) -> GRU -> Dense',
    build: () => {
      const a = I([6, 2]), b = I([6, 1]);
      const ya = tfl.layers.lstm({ ...R, units: 3, returnSequences: true }).apply(tfl.layers.masking().apply(a));
      const yb = tfl.layers.simpleRNN({ ...R, units: 2, returnSequences: true }).apply(tfl.layers.masking().apply(b));
      const j = st(tfl.layers.concatenate().apply(sts([ya, yb])));
      return fn([a, b], st(tfl.layers.dense({ units: 1 }).apply(st(tfl.layers.gru({ ...R, units: 4 }).apply(j)))));
    },
    inputs: [[3, 6, 2], [3, 6, 1]],
    prepare: (xs, rng) => {
      maskSteps(0)([xs[0]!], rng);
      // The second input masks other steps: the concatenation is masked where either is.
      for (let b = 0; b < 3; b++) xs[1]!.data.fill(0, b * 6 + 1 + b, b * 6 + 2 + b);
    },
  },
  {
    name: 'Masking -> Dropout -> Dense (mask passes) -> GRU with returnState',
    build: () => {
      const x = I([6, 3]);
      const d = tfl.layers.dense({ units: 4, activation: 'tanh' }).apply(tfl.layers.dropout({ rate: 0.2 }).apply(tfl.layers.masking().apply(x)));
      return fn(x, sts(tfl.layers.gru({ ...R, units: 3, returnState: true, returnSequences: true }).apply(st(d))));
    },
    inputs: [[3, 6, 3]],
    prepare: maskSteps(0),
  },
);

describe('tfjs-layers models saved by tfjs, loaded and run on WebGPU, vs tfModel.predict', () => {
  for (const c of CASES) test(c.name, () => check(c), TIMEOUT_MS);
});

describe('loaders', () => {
  const seqCase: Case = {
    name: 'loader case: GRU -> Dense',
    build: () => tfl.sequential({ layers: [tfl.layers.gru({ ...R, units: 6, inputShape: [4, 2] }), tfl.layers.dense({ units: 3 })] }),
    inputs: [[2, 4, 2]],
  };

  /** Writes model.json and the weights split into two shards (a second manifest group), as the converter may. */
  function writeFiles(dir: string, a: Artifacts): void {
    const specs = a.modelJson.weightsManifest[0]!.weights;
    const half = Math.ceil(specs.length / 2);
    const bytesOf = (s: tf.io.WeightsManifestEntry) => 4 * s.shape.reduce((x, y) => x * y, 1);
    const cut = specs.slice(0, half).reduce((n, s) => n + bytesOf(s), 0);
    const json = { ...a.modelJson, weightsManifest: [
      { paths: ['group1-shard1of1.bin'], weights: specs.slice(0, half) },
      { paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: specs.slice(half) },
    ] };
    const rest = a.weights.byteLength - cut;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(a.weights, 0, cut));
    writeFileSync(join(dir, 'group2-shard1of2.bin'), new Uint8Array(a.weights, cut, Math.floor(rest / 2)));
    writeFileSync(join(dir, 'group2-shard2of2.bin'), new Uint8Array(a.weights, cut + Math.floor(rest / 2)));
  }

  test('model.json as text, weights as one ArrayBuffer per shard', () => check(seqCase, (a) => {
    const w = new Uint8Array(a.weights);
    return loadLayersModel({ modelJson: JSON.stringify(a.modelJson), weights: [w.slice(0, 10).buffer, w.slice(10).buffer] });
  }), TIMEOUT_MS);

  test('loadLayersModelFromFiles reads model.json and three shards from a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-rnn-tfjs-'));
    try {
      await check(seqCase, async (a) => {
        writeFiles(dir, a);
        return loadLayersModelFromFiles(dir);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, TIMEOUT_MS);

  test('loadLayersModelFromUrl fetches model.json and its shards over HTTP', async () => {
    const files = new Map<string, Uint8Array>();
    const server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-rnn-tfjs-'));
    try {
      await check(seqCase, async (a) => {
        writeFiles(dir, a);
        const { readdirSync, readFileSync } = await import('node:fs');
        for (const f of readdirSync(dir)) files.set(`/models/m1/${f}`, readFileSync(join(dir, f)));
        return loadLayersModelFromUrl(`http://127.0.0.1:${port}/models/m1/model.json`);
      });
      await expect(loadLayersModelFromUrl(`http://127.0.0.1:${port}/models/none/model.json`)).rejects.toThrow(/HTTP 404/);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, TIMEOUT_MS);
});
