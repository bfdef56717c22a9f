/**
 * Malformed and unsupported tfjs / Keras files: each gives a typed error naming the layer or tensor,
 * thrown by the loader itself, before a model exists (so nothing reaches a backend). Every case starts
 * from a valid file (checked to load) and breaks one thing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  FormatError, ShapeError, UnsupportedError, WeightError, loadLayersModel, loadLayersModelFromFiles,
} from '../src/index.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Weight entries of the base models, in file order. */
const ENTRIES: [string, number[]][] = [
  ['lstm/kernel', [2, 12]], ['lstm/recurrent_kernel', [3, 12]], ['lstm/bias', [12]], ['dense/kernel', [3, 1]], ['dense/bias', [1]],
];

function data(entries: [string, number[]][] = ENTRIES): ArrayBuffer {
  const n = entries.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5).buffer;
}

function manifest(entries: [string, number[]][] = ENTRIES, dtype = 'float32'): J[] {
  return [{ paths: ['group1-shard1of1.bin'], weights: entries.map(([name, shape]) => ({ name, shape, dtype })) }];
}

/** tfjs-style Sequential: LSTM(3) on [4, 2] -> Dense(1). */
function sequentialJson(): J {
  return {
    modelTopology: {
      class_name: 'Sequential', keras_version: 'tfjs-layers 4.22.0',
      config: { name: 'seq', layers: [
        { class_name: 'LSTM', config: { name: 'lstm', units: 3, batch_input_shape: [null, 4, 2], return_sequences: false, stateful: false } },
        { class_name: 'Dense', config: { name: 'dense', units: 1, activation: 'linear' } },
      ] },
    },
    weightsManifest: manifest(),
  };
}

/** Keras 2 functional: two inputs -> LSTM(3) and Dense over a concatenation. */
function functionalJson(): J {
  const node = (...names: string[]) => [names.map((n) => [n, 0, 0, {}])];
  return {
    modelTopology: {
      keras_version: '2.15.0',
      model_config: { class_name: 'Functional', config: {
        name: 'fn',
        layers: [
          { class_name: 'InputLayer', name: 'a', config: { name: 'a', batch_input_shape: [null, 4, 2] }, inbound_nodes: [] },
          { class_name: 'InputLayer', name: 'b', config: { name: 'b', batch_input_shape: [null, 4, 1] }, inbound_nodes: [] },
          { class_name: 'LSTM', name: 'lstm', config: { name: 'lstm', units: 3, return_sequences: true }, inbound_nodes: node('a') },
          { class_name: 'Concatenate', name: 'concatenate', config: { name: 'concatenate', axis: -1 }, inbound_nodes: node('lstm', 'b') },
          { class_name: 'Dense', name: 'dense', config: { name: 'dense', units: 1 }, inbound_nodes: node('concatenate') },
        ],
        input_layers: [['a', 0, 0], ['b', 0, 0]],
        output_layers: [['dense', 0, 0]],
      } },
    },
    weightsManifest: manifest([...ENTRIES.slice(0, 3), ['dense/kernel', [4, 1]], ['dense/bias', [1]]]),
  };
}

const seqLayers = (j: J): J[] => j.modelTopology.config.layers;
const fnLayers = (j: J): J[] => j.modelTopology.model_config.config.layers;
const fnWeights = () => data([...ENTRIES.slice(0, 3), ['dense/kernel', [4, 1]], ['dense/bias', [1]]]);

async function rejects(p: Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e, `expected ${type.name} matching ${message}, but the model loaded`).not.toBeNull();
  expect(e).toBeInstanceOf(type);
  expect((e as Error).message).toMatch(message);
}

describe('the base files load', () => {
  test('sequential and functional', async () => {
    expect((await loadLayersModel({ modelJson: sequentialJson(), weights: data() })).layers.length).toBe(2);
    expect((await loadLayersModel({ modelJson: functionalJson(), weights: fnWeights() })).layers.length).toBe(3);
  });
});

describe('malformed model.json -> FormatError', () => {
  test('text that is not JSON', () => rejects(loadLayersModel({ modelJson: '{"modelTopology": {', weights: data() }), FormatError, /not valid JSON/));
  test('not an object', () => rejects(loadLayersModel({ modelJson: '[1, 2]', weights: data() }), FormatError, /must be a JSON object/));
  test('no modelTopology', () => rejects(loadLayersModel({ modelJson: { weightsManifest: manifest() }, weights: data() }), FormatError, /'modelTopology' must be an object/));
  test('no weightsManifest', () => {
    const j = sequentialJson();
    delete j.weightsManifest;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), FormatError, /'weightsManifest' must be an array/);
  });
  test('a manifest entry without a shape', () => {
    const j = sequentialJson();
    delete j.weightsManifest[0].weights[1].shape;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), FormatError, /'lstm\/recurrent_kernel'.*'shape'/);
  });
  test('a layer without class_name', () => {
    const j = sequentialJson();
    delete seqLayers(j)[1]!.class_name;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), FormatError, /layers\[1\]\.class_name/);
  });
  test('a non-integer units', () => {
    const j = sequentialJson();
    seqLayers(j)[0]!.config.units = 'three';
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), FormatError, /layer 'lstm' \(LSTM\).*'units'/);
  });
  test('a sequential model with no input shape', () => {
    const j = sequentialJson();
    delete seqLayers(j)[0]!.config.batch_input_shape;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), FormatError, /'lstm'.*batch_input_shape/);
  });
  test('an inbound node naming a layer that does not exist', () => {
    const j = functionalJson();
    fnLayers(j)[4]!.inbound_nodes = [[['nope', 0, 0, {}]]];
    return rejects(loadLayersModel({ modelJson: j, weights: fnWeights() }), FormatError, /layer 'dense'.*'nope'/);
  });
  test('an inbound node reading a node that is never computed', () => {
    const j = functionalJson();
    fnLayers(j)[4]!.inbound_nodes = [[['concatenate', 1, 0, {}]]];
    return rejects(loadLayersModel({ modelJson: j, weights: fnWeights() }), FormatError, /layer 'dense'.*node 1 of layer 'concatenate'/);
  });
  test('an output index beyond the layer outputs', () => {
    const j = functionalJson();
    j.modelTopology.model_config.config.output_layers = [['dense', 0, 3]];
    return rejects(loadLayersModel({ modelJson: j, weights: fnWeights() }), FormatError, /output 3 of layer 'dense'/);
  });
  test('no weights given', () => rejects(loadLayersModel({ modelJson: sequentialJson(), weights: undefined as never }), FormatError, /'weights' is missing/));
});

describe('unsupported layers and options -> UnsupportedError naming the layer', () => {
  test('an unknown layer class', () => {
    const j = sequentialJson();
    seqLayers(j).splice(1, 0, { class_name: 'Conv1D', config: { name: 'conv1d', filters: 2, kernel_size: 3 } });
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'conv1d' \(Conv1D\).*'Conv1D' is not supported/);
  });
  test('an unknown model class', () => {
    const j = sequentialJson();
    j.modelTopology.class_name = 'Subclassed';
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /'Subclassed'/);
  });
  test('stateful', () => {
    const j = sequentialJson();
    seqLayers(j)[0]!.config.stateful = true;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'lstm' \(LSTM\).*'stateful'/);
  });
  test('time_major', () => {
    const j = sequentialJson();
    seqLayers(j)[0]!.config.time_major = true;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'lstm' \(LSTM\).*'time_major'/);
  });
  test('concatenation along a non-last axis', () => {
    const j = functionalJson();
    fnLayers(j)[3]!.config.axis = 1;
    return rejects(loadLayersModel({ modelJson: j, weights: fnWeights() }), UnsupportedError, /layer 'concatenate' \(Concatenate\).*axis 1/);
  });
  test('an unknown activation', () => {
    const j = sequentialJson();
    seqLayers(j)[1]!.config.activation = 'gelu';
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'dense' \(Dense\).*"gelu"/);
  });
  test('an unknown recurrent_activation', () => {
    const j = sequentialJson();
    seqLayers(j)[0]!.config.recurrent_activation = 'swish';
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'lstm' \(LSTM\).*"swish"/);
  });
  test('an option that would change the result', () => {
    const j = sequentialJson();
    seqLayers(j)[1]!.config.lora_rank = 4;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'dense' \(Dense\).*'lora_rank' = 4/);
  });
  test('Bidirectional merge_mode null', () => {
    const j = sequentialJson();
    const l = seqLayers(j)[0]!;
    seqLayers(j)[0] = { class_name: 'Bidirectional', config: { name: 'bidirectional', merge_mode: null, layer: l, batch_input_shape: [null, 4, 2] } };
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'bidirectional' \(Bidirectional\).*merge_mode null/);
  });
  test('TimeDistributed around a recurrent layer', () => {
    const j = sequentialJson();
    seqLayers(j).splice(1, 0, { class_name: 'TimeDistributed', config: { name: 'time_distributed', layer: { class_name: 'LSTM', config: { units: 2 } } } });
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'time_distributed' \(TimeDistributed\).*"LSTM"/);
  });
  test('an int32 weight', () => {
    const j = sequentialJson();
    j.weightsManifest[0].weights[0].dtype = 'int32';
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /layer 'lstm' \(LSTM\).*'lstm\/kernel' has dtype 'int32'/);
  });
  test('a dtype tfjs does not have', () => {
    const j = sequentialJson();
    j.weightsManifest[0].weights[2].dtype = 'float64';
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /'lstm\/bias'.*dtype 'float64'/);
  });
  test('an unknown quantization', () => {
    const j = sequentialJson();
    j.weightsManifest[0].weights[3].quantization = { dtype: 'int4', scale: 1, min: 0 };
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), UnsupportedError, /'dense\/kernel'.*quantization dtype "int4"/);
  });
  test('a non-float input', () => {
    const j = functionalJson();
    fnLayers(j)[1]!.config.dtype = 'int32';
    return rejects(loadLayersModel({ modelJson: j, weights: fnWeights() }), UnsupportedError, /layer 'b' \(InputLayer\).*"int32"/);
  });
});

describe('weights that do not fit -> WeightError / FormatError naming the tensor', () => {
  test('a missing weight', () => {
    const entries = ENTRIES.filter(([n]) => n !== 'lstm/recurrent_kernel');
    return rejects(loadLayersModel({ modelJson: { ...sequentialJson(), weightsManifest: manifest(entries) }, weights: data(entries) }),
      WeightError, /layer 'lstm' \(LSTM\): missing weight 'recurrent_kernel' \[3,12\]/);
  });
  test('a weight of the wrong shape', () => {
    const entries = ENTRIES.map(([n, s]): [string, number[]] => (n === 'lstm/kernel' ? [n, [2, 8]] : [n, s]));
    return rejects(loadLayersModel({ modelJson: { ...sequentialJson(), weightsManifest: manifest(entries) }, weights: data(entries) }),
      WeightError, /'lstm\/kernel' has shape \[2,8\], expected \[2,12\]/);
  });
  test('weight data shorter than the manifest says', () => rejects(loadLayersModel({ modelJson: sequentialJson(), weights: data().slice(0, 4 * 73) }),
    FormatError, /ends early: 'dense\/kernel'/));
  test('weight data longer than the manifest says', () => {
    const longer = new Uint8Array(data().byteLength + 8);
    return rejects(loadLayersModel({ modelJson: sequentialJson(), weights: longer.buffer }), FormatError, /has \d+ bytes, but the manifest describes \d+/);
  });
  test('two entries for one weight', () => {
    const entries: [string, number[]][] = [...ENTRIES, ['lstm/lstm_cell/kernel', [2, 12]]];
    return rejects(loadLayersModel({ modelJson: { ...sequentialJson(), weightsManifest: manifest(entries) }, weights: data(entries) }),
      WeightError, /'lstm\/kernel' matches several manifest entries/);
  });
  test('an entry for a layer that has no such weight', () => {
    const entries: [string, number[]][] = [...ENTRIES, ['lstm/peephole', [3, 3]]];
    return rejects(loadLayersModel({ modelJson: { ...sequentialJson(), weightsManifest: manifest(entries) }, weights: data(entries) }),
      WeightError, /'lstm\/peephole'.*matches none of the layer's weights/);
  });
  test('a bias in the file of a layer with use_bias false', () => {
    const j = sequentialJson();
    seqLayers(j)[1]!.config.use_bias = false;
    return rejects(loadLayersModel({ modelJson: j, weights: data() }), WeightError, /layer 'dense'.*'dense\/bias'/);
  });
  test('a non-finite weight value', () => {
    const w = new Float32Array(data());
    w[5] = NaN;
    return rejects(loadLayersModel({ modelJson: sequentialJson(), weights: w.buffer }), WeightError, /lstm.*non-finite/);
  });
  test('input shape of rank 4', () => {
    const j = functionalJson();
    fnLayers(j)[0]!.config.batch_input_shape = [null, 4, 2, 2];
    return rejects(loadLayersModel({ modelJson: j, weights: fnWeights() }), ShapeError, /layer 'a' \(InputLayer\)/);
  });
});

describe('loadLayersModelFromFiles', () => {
  test('a folder without model.json, and a missing shard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-rnn-tfjs-'));
    try {
      await rejects(loadLayersModelFromFiles(join(dir, 'nothing-here')), FormatError, /does not exist/);
      await rejects(loadLayersModelFromFiles(dir), FormatError, /cannot read '.*model\.json'/);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(sequentialJson()));
      await rejects(loadLayersModelFromFiles(dir), FormatError, /shard 'group1-shard1of1\.bin'/);
      writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(data()));
      expect((await loadLayersModelFromFiles(dir)).layers.length).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
