/**
 * Which recurrent kernel and shape a layer gets (src/schedule/choice.ts chooseRecurrentKernel and
 * src/kernels/recurrent.ts stepShape): the rules docs/BENCHMARKS.md's H100 measurements chose.
 * Their numerical results are checked in gpu-vs-cpu.test.ts under every variant.
 */
import { describe, expect, test } from 'vitest';
import { input, layers, model, sequential } from '../src/index.js';
import { coveredQuads, subgroupWidthFor } from '../src/kernels/broadcast.js';
import { countedSteps, stepShape, tiledShape } from '../src/kernels/recurrent.js';
import { fusedInputFits } from '../src/kernels/sequence.js';
import { chooseRecurrentKernel } from '../src/schedule/choice.js';
import { type PlanOptions, buildPlan } from '../src/schedule/plan.js';

const lstm = (units: number) => layers.lstm({ units }).config;
const gruBefore = (units: number) => layers.gru({ units, resetAfter: false }).config;
const gpu = { softwareAdapter: false, maxThreads: 1024 };
const cpu = { softwareAdapter: true, maxThreads: 256 };

describe("kernel: 'auto'", () => {
  test('a GPU runs hidden sizes up to 128 as one sequence dispatch, up to 256 below batch 4; others a dispatch per step', () => {
    expect(chooseRecurrentKernel(lstm(128), 1, gpu).kind).toBe('sequence');
    expect(chooseRecurrentKernel(lstm(128), 64, gpu).kind).toBe('sequence');
    expect(chooseRecurrentKernel(lstm(256), 3, gpu).kind).toBe('sequence');
    expect(chooseRecurrentKernel(lstm(256), 16, gpu).kind).toBe('step');
    expect(chooseRecurrentKernel(lstm(64), 32, gpu).kind).toBe('sequence');
    expect(chooseRecurrentKernel(gruBefore(128), 1, gpu).kind).toBe('sequence');
    expect(chooseRecurrentKernel(lstm(512), 1, gpu).kind).toBe('step');
    expect(chooseRecurrentKernel(lstm(1024), 1, gpu).kind).toBe('step');
  });
  test('a CPU-emulated adapter runs every layer that fits one workgroup as one resident sequence dispatch, up to 4 rows a workgroup', () => {
    const c = chooseRecurrentKernel(gruBefore(128), 1, cpu);
    expect(c.kind).toBe('sequence');
    if (c.kind === 'sequence') expect(c.shape.resident).toBe(true);
    // Rows per workgroup: as many as share each weight load while two workgroups remain.
    for (const [H, B, rows] of [[128, 1, 1], [256, 2, 1], [256, 3, 1], [64, 4, 2], [64, 7, 2], [256, 8, 4], [64, 32, 4], [256, 16, 4], [64, 256, 4]] as const) {
      const k = chooseRecurrentKernel(lstm(H), B, cpu);
      expect(k.kind).toBe('sequence');
      if (k.kind === 'sequence') expect([k.rows, k.shape.resident, k.shape.lanes >= H]).toEqual([rows, true, true]);
    }
    // A GRU with the reset gate before the matmul keeps one row a workgroup (its compile time).
    const g = chooseRecurrentKernel(gruBefore(128), 16, cpu);
    expect(g.kind === 'sequence' && [g.rows, g.shape.resident]).toEqual([1, true]);
    // One thread per unit, at most 256 threads: H = 300 keeps the step kernel, as does an LSTM with a
    // projection (PyTorch proj_size).
    expect(chooseRecurrentKernel(lstm(300), 1, cpu).kind).toBe('step');
    expect(chooseRecurrentKernel({ ...lstm(64), projSize: 16 }, 1, cpu).kind).toBe('step');
  });
  test('the resident kernels use subgroups of at least 4 lanes and round their reductions to 16 inputs', () => {
    const k = chooseRecurrentKernel(lstm(33), 1, { ...cpu, subgroupWidth: 8 });
    expect(k.kind === 'sequence' && k.shape.subgroupWidth).toBe(8);
    expect(subgroupWidthFor(true, 8)).toBe(8);
    expect(subgroupWidthFor(true, 16)).toBe(8);
    expect(subgroupWidthFor(true, 4)).toBe(4);
    expect(subgroupWidthFor(true, 2)).toBe(0);
    expect(subgroupWidthFor(false, 8)).toBe(0);
    expect(coveredQuads(9)).toBe(12);
    expect(coveredQuads(16)).toBe(16);
  });
  test("a forced 'sequence' falls back to step when the layer does not fit one workgroup", () => {
    expect(chooseRecurrentKernel(lstm(128), 1, { ...gpu, kernel: 'sequence' }).kind).toBe('sequence');
    expect(chooseRecurrentKernel(lstm(2048), 1, { ...gpu, kernel: 'sequence' }).kind).toBe('step');
  });
  test('on a GPU the sequence kernel splits each reduction over several threads, within workgroup memory', () => {
    for (const H of [64, 128, 256]) {
      const k = chooseRecurrentKernel(lstm(H), 1, gpu);
      expect(k.kind).toBe('sequence');
      if (k.kind !== 'sequence') continue;
      expect(k.shape.slices).toBeGreaterThan(1);
      expect(Math.ceil(H / k.shape.lanes) * k.rows * k.shape.slices * k.shape.lanes).toBeLessThanOrEqual(512);
    }
  });
  test('each slice of a sequence kernel reduction takes at least 16 inputs (SEQ_MIN_SLICE_INPUTS), within 512 threads', () => {
    const slices = (H: number) => {
      const k = chooseRecurrentKernel(lstm(H), 1, gpu);
      return k.kind === 'sequence' ? k.shape.slices : 0;
    };
    expect([16, 31, 32, 64, 128, 256].map(slices)).toEqual([1, 1, 2, 4, 4, 2]);
  });
});

describe('step kernel shape', () => {
  test('CPU-emulated: one thread per unit, 64 units, rows up to 8', () => {
    expect(stepShape(lstm(128), 1, 1, true, 256)).toEqual({ rows: 1, units: 64, slices: 1, stage: true });
    expect(stepShape(lstm(128), 16, 1, true, 256)).toEqual({ rows: 8, units: 64, slices: 1, stage: true });
  });
  test('GPU: split reductions, at most 256 threads and 4 rows, R * threads within 1024 vec4s of workgroup memory', () => {
    for (const [H, B] of [[128, 1], [1024, 1], [512, 64], [7, 3]] as const) {
      const s = stepShape(lstm(H), B, 1, false, 1024);
      expect(s.units * s.slices).toBeLessThanOrEqual(256);
      expect(s.rows).toBeLessThanOrEqual(4);
      expect(s.rows * s.units * s.slices).toBeLessThanOrEqual(1024);
      expect(s.slices).toBeGreaterThan(1);
    }
    // A device limited to 128 threads (the compatibility-mode minimum) gets 128.
    const small = stepShape(lstm(128), 1, 1, false, 128);
    expect(small.units * small.slices).toBeLessThanOrEqual(128);
  });
  test('GPU with subgroups: groups of SS slices of UPG units within the smallest subgroup, SS = KS where that leaves 2 units', () => {
    for (const min of [4, 8, 16, 32, 64, 128]) {
      for (const [H, B, threads] of [[1024, 1, 1024], [8192, 1, 1024], [300, 3, 128], [1000, 16, 64], [500, 1, 256]] as const) {
        const s = stepShape(lstm(H), B, 1, false, threads, min);
        const m = s.subgroups!;
        expect(m.slices).toBeGreaterThan(1);
        for (const n of [m.slices, m.units]) expect(Math.log2(n) % 1).toBe(0);
        expect(m.slices * m.units).toBeLessThanOrEqual(min);
        expect(s.slices % m.slices).toBe(0);
        expect(s.units % m.units).toBe(0);
        expect(m.units).toBeGreaterThanOrEqual(2);
        expect(m.slices === s.slices || m.slices * m.units * 2 > min).toBe(true);
      }
    }
    // lavapipe (8 lanes, 256 threads: 16 units of 16 slices): 4 slices of 2 units; 64 threads: 4 of 4.
    expect(stepShape(lstm(300), 1, 1, false, 1024, 8)).toEqual({ rows: 1, units: 16, slices: 16, subgroups: { units: 2, slices: 4 } });
    expect(stepShape(lstm(300), 1, 1, false, 64, 8).subgroups).toEqual({ units: 2, slices: 4 });
    // 32 lanes: every slice of a unit in the subgroup.
    expect(stepShape(lstm(1024), 1, 1, false, 1024, 32).subgroups).toEqual({ units: 2, slices: 16 });
    expect(stepShape(lstm(8192), 1, 1, false, 1024, 32)).toMatchObject({ units: 32, slices: 8, subgroups: { units: 4, slices: 8 } });
  });
  test('no subgroup meeting without subgroups, with subgroups under 4 lanes or of unknown size, or on a CPU-emulated adapter', () => {
    for (const min of [0, 2, 3]) expect(stepShape(lstm(1024), 1, 1, false, 1024, min).subgroups).toBeUndefined();
    expect(stepShape(lstm(1024), 1, 1, true, 1024, 8).subgroups).toBeUndefined();
    expect(stepShape(lstm(1024), 4, 1, true, 1024, 8).subgroups).toBeUndefined();
  });
  test("the executor's plans meet in subgroups for the step kernel only, and size `part` to the partial sums", () => {
    const m = sequential([layers.lstm({ units: 300, inputShape: [5, 3] })]);
    const hw: PlanOptions = { ...gpu, kernel: 'step', subgroupMinSize: 8 };
    const [step] = buildPlan(m, 3, [5], false, hw).dispatches.filter((d) => /_step /.test(d.program.name));
    expect(step!.program.name).toMatch(/KS=16 subgroups SS=4 UPG=2 /);
    expect(step!.program.code.startsWith('enable subgroups;')).toBe(true);
    expect(step!.program.constants).toMatchObject({ SS: 4, UPG: 2, PART: 4 * 4 * 16 });
    const all = buildPlan(m, 3, [5], false, { ...hw, maxThreads: 64 }).dispatches.find((d) => /_step /.test(d.program.name))!;
    expect(all.program.constants).toMatchObject({ KS: 4, SS: 4, UPG: 2, PART: 1 });
    for (const options of [{ ...hw, subgroupMinSize: 0 }, { ...hw, kernel: 'tiled' as const }, { ...cpu, kernel: 'step' as const, subgroupMinSize: 8 }]) {
      for (const d of buildPlan(m, 3, [5], false, options).dispatches) {
        expect(d.program.name).not.toMatch(/subgroups/);
        expect(d.program.code.startsWith('enable subgroups;')).toBe(false);
        expect(d.program.code).not.toMatch(/subgroupShuffleXor\(/);
      }
    }
  });
});

describe('tiled step kernel', () => {
  /** The step dispatches of a one-layer model's plan, by program name. */
  const stepKernels = (layer: ReturnType<typeof layers.lstm>, B: number, options: PlanOptions) => {
    const m = sequential([layer]);
    return [...new Set(buildPlan(m, B, [5], false, options).dispatches.map((d) => d.program.name).filter((n) => n.includes('step')))];
  };
  const shaped = { inputShape: [5, 3] as [number, number] };
  test("a GPU runs batches of 32 or more of an LSTM or a reset-after GRU through it, unless 'step' is forced", () => {
    expect(stepKernels(layers.lstm({ units: 512, ...shaped }), 64, gpu)).toEqual(['lstm_tiled_step f32 R=16 UW=16 KS=4 BK=256 f=sigmoid g=tanh h=tanh']);
    expect(stepKernels(layers.gru({ units: 300, ...shaped }), 32, gpu)).toEqual(['gru_tiled_step f32 R=16 UW=8 KS=8 BK=256 f=sigmoid g=tanh h=tanh']);
    expect(stepKernels(layers.lstm({ units: 512, ...shaped }), 31, gpu)[0]).toMatch(/^lstm_step /);
    expect(stepKernels(layers.lstm({ units: 256, ...shaped }), 16, gpu)[0]).toMatch(/^lstm_step /);
    expect(stepKernels(layers.lstm({ units: 512, ...shaped }), 64, { ...gpu, kernel: 'step' })[0]).toMatch(/^lstm_step /);
    expect(stepKernels(layers.lstm({ units: 512, ...shaped }), 64, cpu)[0]).toMatch(/^lstm_step /);
    // Not a SimpleRNN, a GRU with the reset gate before the matmul, or an LSTM with a projection.
    expect(stepKernels(layers.simpleRNN({ units: 512, ...shaped }), 64, gpu)[0]).toMatch(/^simpleRNN_step /);
    expect(stepKernels(layers.gru({ units: 512, resetAfter: false, ...shaped }), 64, gpu)[0]).toMatch(/^gru_reset_before_step /);
    // Forced, it runs any batch, on either adapter class.
    expect(stepKernels(layers.lstm({ units: 512, ...shaped }), 1, { ...cpu, kernel: 'tiled' })).toEqual(['lstm_tiled_step f32 R=4 UW=8 KS=32 BK=512 f=sigmoid g=tanh h=tanh']);
  });
  test('shape: up to 16 rows, 16 units where 64 workgroups remain, at most 256 threads, partial sums within 1024 vec4s', () => {
    const shapes: [number, number, number, number][] = [[512, 64, 1, 1024], [256, 16, 1, 1024], [64, 32, 2, 1024], [7, 5, 1, 1024], [1024, 256, 2, 128], [300, 10, 1, 1024]];
    // Batches of 9-12 (three quads of rows rounded up to four) at tiny to large hidden sizes.
    for (const H of [1, 3, 5, 20, 300]) for (const B of [9, 10, 11, 12]) shapes.push([H, B, 1, 1024], [H, B, 2, 128]);
    const pow2 = (n: number) => Number.isInteger(Math.log2(n));
    for (const [H, B, D, threads] of shapes) {
      const s = tiledShape(lstm(H), B, D, threads);
      const quads = s.rows / 4;
      const why = `H=${H} B=${B} D=${D} threads=${threads}: ${JSON.stringify(s)}`;
      // Whole powers of two: the kernel's thread count (WGT) is exactly units * quads * slices.
      expect([quads, s.units, s.slices, s.tiled!.chunk].every(pow2), why).toBe(true);
      expect(quads <= 4 && 4 * quads >= Math.min(B, 16), why).toBe(true);
      expect(s.units * quads * s.slices, why).toBeLessThanOrEqual(Math.min(256, threads));
      expect(s.tiled!.chunk * quads, why).toBeLessThanOrEqual(1024);
      // Every slice has inputs to reduce (4 or more, where the layer has them).
      expect(s.slices === 1 || s.slices * 4 <= H, why).toBe(true);
    }
    expect(tiledShape(lstm(512), 64, 1, 1024)).toEqual({ rows: 16, units: 16, slices: 4, tiled: { chunk: 256 } });
    expect(tiledShape(lstm(256), 16, 1, 1024)).toEqual({ rows: 16, units: 4, slices: 16, tiled: { chunk: 256 } });
    expect(tiledShape(lstm(7), 5, 1, 1024)).toEqual({ rows: 8, units: 4, slices: 1, tiled: { chunk: 8 } });
  });
});

describe('input projection inside the resident kernel (fuseInput)', () => {
  const gru = (units: number) => layers.gru({ units }).config;
  const rnn = (units: number) => layers.simpleRNN({ units }).config;
  test("fits while the unit's columns of W and its U fit WGSL's 8 KiB of private memory, and x and h the workgroup memory", () => {
    // LSTM / GRU: a vec4 (the gates) per input and per unit of h, both rounded up to 16.
    expect(fusedInputFits(lstm(256), 256, 4, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(true); // 512 vec4s: exactly 8 KiB
    expect(fusedInputFits(lstm(256), 257, 4, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(false);
    expect(fusedInputFits(gru(241), 256, 1, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(true);
    expect(fusedInputFits(gruBefore(256), 256, 1, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(true);
    expect(fusedInputFits(rnn(256), 256, 1, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(true);
    // An input wider than h (rounded to 16) keeps the matmul pass, even where it would fit.
    expect(fusedInputFits(lstm(17), 32, 1, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(true);
    expect(fusedInputFits(lstm(17), 33, 1, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(false);
    expect(fusedInputFits(rnn(63), 257, 1, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(false);
    // Workgroup memory: [rows][2 buffers][x quads + h quads] vec4s (3 buffers for the GRU with the
    // reset gate before the matmul) and 1 KiB; 4 rows of x and h of 256 take 17 KiB, over WebGPU's
    // default 16 KiB.
    expect(fusedInputFits(lstm(256), 256, 4, { workgroupBytes: 16384, storageBuffers: 8 })).toBe(false);
    expect(fusedInputFits(lstm(256), 256, 2, { workgroupBytes: 16384, storageBuffers: 8 })).toBe(true);
    // What the kernel declares, counted whole: 2 x 2 x 128 quads, its 8 spare quads and the thread indices.
    expect(fusedInputFits(lstm(256), 256, 2, { workgroupBytes: (512 + 8) * 16 + 1024, storageBuffers: 8 })).toBe(true);
    expect(fusedInputFits(lstm(256), 256, 2, { workgroupBytes: 512 * 16 + 1024, storageBuffers: 8 })).toBe(false);
    expect(fusedInputFits(gruBefore(256), 256, 1, { workgroupBytes: 4 * 1024, storageBuffers: 8 })).toBe(false);
    // Six storage buffers (U, P for the mask, S, Y, X, W): the compatibility-mode minimum of 4 is too few.
    expect(fusedInputFits(lstm(64), 16, 1, { workgroupBytes: 32768, storageBuffers: 4 })).toBe(false);
    // An LSTM with a projection runs the step kernel.
    expect(fusedInputFits({ ...lstm(64), projSize: 16 }, 8, 1, { workgroupBytes: 32768, storageBuffers: 8 })).toBe(false);
  });

  const software: PlanOptions = { softwareAdapter: true, maxThreads: 256, subgroupWidth: 8, workgroupBytes: 32768, storageBuffers: 8 };
  const names = (m: Parameters<typeof buildPlan>[0], B: number, options: PlanOptions) =>
    buildPlan(m, B, m.inputs.map(() => 12), false, options).dispatches.map((d) => d.program.name.split(' ')[0]!.replace(/^matmul_\w+/, 'matmul'));

  test('a plan runs no projection matmul for a fused layer; fuseInput: false, too few storage bindings or a GPU put it back', () => {
    const stack = sequential([layers.lstm({ units: 32, returnSequences: true, inputShape: [12, 5] }), layers.gru({ units: 32 }), layers.dense({ units: 3 })]);
    expect(names(stack, 4, software)).toEqual(['lstm_resident', 'gru_resident', 'matmul']);
    const fusedName = buildPlan(stack, 4, [12], false, software).dispatches[0]!.program.name;
    expect(fusedName).toContain('fused F<=16');
    expect(names(stack, 4, { ...software, fuseInput: false })).toEqual(['matmul', 'lstm_resident', 'matmul', 'gru_resident', 'matmul']);
    // 6 storage buffers (U, P for the mask, S, Y, X, W): the compatibility-mode minimum of 4 is too few.
    expect(names(stack, 4, { ...software, storageBuffers: 4 })).toEqual(['matmul', 'lstm_resident', 'matmul', 'gru_resident', 'matmul']);
    expect(names(stack, 4, { softwareAdapter: false, maxThreads: 1024, storageBuffers: 8 })).toEqual(['matmul', 'lstm_sequence', 'matmul', 'gru_sequence', 'matmul']);
  });

  test('packed branches keep their shared projection pass', () => {
    const a = input({ shape: [12, 3] }), b = input({ shape: [12, 3] });
    const ya = layers.lstm({ units: 8 }).apply(a), yb = layers.lstm({ units: 8 }).apply(b);
    const m = model({ inputs: [a, b], outputs: layers.concatenate().apply([ya, yb]) });
    expect(names(m, 2, software)).toEqual(['matmul', 'matmul', 'lstm_resident']);
  });
});

describe('counted steps', () => {
  /** For each step program of a plan: how many dispatches, and how many distinct uniform blocks they bind. */
  const stepBlocks = (m: ReturnType<typeof sequential>, B: number, T: number, options: PlanOptions) => {
    const steps = buildPlan(m, B, [T], false, options).dispatches.filter((d) => /_step /.test(d.program.name));
    return { dispatches: steps.length, blocks: new Set(steps.map((d) => d.uniformOffset)).size };
  };
  const gpuStep = { ...gpu, kernel: 'step' } as const;
  test("a layer's step dispatches bind one uniform block (each workgroup counts its steps), so the executor sets it once", () => {
    const stack = sequential([layers.lstm({ units: 33, returnSequences: true, inputShape: [9, 3] }), layers.gru({ units: 20, goBackwards: true })]);
    expect(stepBlocks(stack, 5, 9, gpuStep)).toEqual({ dispatches: 18, blocks: 2 });
    const bi = sequential([layers.bidirectional({ layer: layers.lstm({ units: 8, returnSequences: true }), inputShape: [6, 2] })]);
    expect(stepBlocks(bi, 3, 6, gpuStep)).toEqual({ dispatches: 6, blocks: 1 });
    // The tiled kernel too.
    expect(stepBlocks(sequential([layers.lstm({ units: 64, inputShape: [7, 4] })]), 32, 7, { ...gpu, kernel: 'tiled' })).toEqual({ dispatches: 7, blocks: 1 });
  });
  test('a block per step for the reset-before GRU kernel, a projected LSTM and a stream', () => {
    const before = sequential([layers.gru({ units: 16, resetAfter: false, inputShape: [5, 3] })]);
    expect(stepBlocks(before, 2, 5, gpuStep)).toEqual({ dispatches: 5, blocks: 5 });
    const plain = sequential([layers.lstm({ units: 16, inputShape: [5, 3] })]);
    expect(stepBlocks(plain, 2, 5, { ...gpuStep, stream: true })).toEqual({ dispatches: 5, blocks: 5 });
    expect(countedSteps({ ...lstm(64), projSize: 16 })).toBe(false);
    expect(countedSteps(lstm(64))).toBe(true);
  });
});
