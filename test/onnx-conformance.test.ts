/**
 * ONNX's 18 official LSTM / GRU / RNN backend node tests (test/fixtures/onnx, Apache-2.0, see its
 * README) through runOnnxRecurrent on the WebGPU runtime, with each recurrent kernel (one dispatch per
 * step, and one for the whole sequence). Tolerance: ONNX's rtol 1e-3 with a float32
 * absolute term of 1e-6 (the expected values were computed in float64; some are ~1e-11 where float32
 * arithmetic gives 0 or ~1e-7). No CPU fallback: a runtime that is not on WebGPU fails every case.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type OnnxRecurrentOp, type OnnxTensor, type Runtime, createRuntime, runOnnxRecurrent } from '../src/index.js';
import { compareTensors } from './support/compare.js';

const TOL = { rtol: 1e-3, atol: 1e-6 };
const DIR = join(import.meta.dirname, 'fixtures', 'onnx');

interface JsonTensor { name: string; dims: number[]; dtype: 'float32' | 'int32'; data: number[] }
interface OnnxCase {
  name: string;
  op: OnnxRecurrentOp;
  attributes: Record<string, number | string | number[] | string[]>;
  inputs: (JsonTensor | null)[];
  outputs: (JsonTensor | null)[];
}

function loadCases(): { file: string; c: OnnxCase }[] {
  const files = [
    ...readdirSync(DIR).filter((f) => f.endsWith('.json')),
    ...readdirSync(join(DIR, 'regenerated')).filter((f) => f.endsWith('.json')).map((f) => join('regenerated', f)),
  ];
  return files.sort().map((file) => ({ file, c: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as OnnxCase }));
}

const toTensor = (t: JsonTensor | null): OnnxTensor | null =>
  t === null ? null : { data: t.dtype === 'int32' ? Int32Array.from(t.data) : Float32Array.from(t.data), shape: t.dims };

let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime();
}, 120_000);
afterAll(() => rt?.dispose());

const cases = loadCases();

test('the fixture folder holds all 18 official cases', () => {
  expect(cases.length).toBe(18);
  expect(cases.filter((k) => k.file.startsWith('regenerated')).length).toBe(6);
});

describe.each(['step', 'sequence'] as const)('ONNX official node tests on WebGPU, %s kernel', (kernel) => {
  for (const { file, c } of cases) {
    test(`${c.name} (${file})`, async () => {
      expect(rt.backend, `createRuntime() fell back to '${rt.backend}'; these tests need WebGPU`).toBe('webgpu');
      const device = rt.device!;
      device.pushErrorScope('validation');
      const outs = await runOnnxRecurrent(rt, { op: c.op, attributes: c.attributes, inputs: c.inputs.map(toTensor) }, { kernel });
      const gpuError = await device.popErrorScope();
      expect(gpuError?.message ?? null).toBeNull();
      expect(outs.length).toBe(c.op === 'LSTM' ? 3 : 2);
      let compared = 0;
      c.outputs.forEach((want, i) => {
        if (!want) return;
        const report = compareTensors(outs[i]!, { data: want.data, shape: want.dims }, TOL);
        if (report) throw new Error(`output ${i} (${want.name}):\n${report}`);
        compared++;
      });
      expect(compared).toBeGreaterThan(0);
    });
  }
});
