// `npm start`: runs issue 2's two examples, the stacked LSTM and the connected two-branch LSTM, on the
// default WebGPU adapter and on the float64 CPU reference; prints the adapter, the max abs error against
// the reference and the median time per batch. Exits 1 when no WebGPU adapter is found or an error is
// above MAX_ERROR.
import { createRuntime, input, layers, model, sequential } from 'webgpu-rnn';

const MAX_ERROR = 1e-4;
const BATCH = 32;
const WARMUP = 3;
const TIMED = 20;

/** Seeded uniform numbers (mulberry32), so every run checks the same weights and inputs. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(next, n, scale) {
  return Float32Array.from({ length: n }, () => (2 * next() - 1) * scale);
}

/** Replaces the model's weights with seeded values of the same sizes (Keras order and layout). */
function seedWeights(net, seed) {
  const next = rng(seed);
  net.setWeights(net.getWeights().map((w) => uniform(next, w.length, 0.3)));
  return net;
}

/** LSTM(50, returnSequences) -> LSTM(50) -> Dense(1) on input [10, 1]. */
function stacked() {
  return sequential([
    layers.lstm({ units: 50, returnSequences: true, inputShape: [10, 1] }),
    layers.lstm({ units: 50 }),
    layers.dense({ units: 1 }),
  ]);
}

/** Two inputs [10, 1] -> LSTM(50) each -> concatenate -> Dense(1). */
function connected() {
  const a = input({ shape: [10, 1] }), b = input({ shape: [10, 1] });
  const joined = layers.concatenate().apply([layers.lstm({ units: 50 }).apply(a), layers.lstm({ units: 50 }).apply(b)]);
  return model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(joined) });
}

function maxAbsError(actual, expected) {
  const as = Array.isArray(actual) ? actual : [actual];
  const es = Array.isArray(expected) ? expected : [expected];
  let max = 0;
  as.forEach((a, k) => {
    const e = es[k];
    if (a.data.length !== e.data.length) max = Infinity;
    for (let i = 0; i < a.data.length; i++) {
      const d = Math.abs(a.data[i] - e.data[i]);
      max = Math.max(max, Number.isNaN(d) ? Infinity : d);
    }
  });
  return max;
}

/** Median wall time of `predict` (ms), after a few warm-up runs. */
async function medianMs(run, inputs, timed) {
  for (let i = 0; i < WARMUP; i++) await run.predict(inputs);
  const times = [];
  for (let i = 0; i < timed; i++) {
    const t0 = performance.now();
    await run.predict(inputs);
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

async function example(name, net, gpu, cpu, seed) {
  const next = rng(seed);
  const inputs = net.inputs.map((sym) => ({ data: uniform(next, BATCH * 10, 1), shape: [BATCH, ...sym.shape] }));
  const onGpu = await gpu.compile(net);
  const onCpu = await cpu.compile(net);
  try {
    const error = maxAbsError(await onGpu.predict(inputs), await onCpu.predict(inputs));
    const gpuMs = await medianMs(onGpu, inputs, TIMED);
    const cpuMs = await medianMs(onCpu, inputs, 5);
    const ok = error <= MAX_ERROR;
    console.log(`${name.padEnd(10)} batch ${BATCH}: max abs error ${error.toExponential(2)} ${ok ? '<=' : '>'} ${MAX_ERROR}` +
      `   WebGPU ${gpuMs.toFixed(2)} ms/batch   CPU reference ${cpuMs.toFixed(2)} ms/batch`);
    return ok;
  } finally {
    onGpu.dispose();
    onCpu.dispose();
  }
}

async function main() {
  const gpu = await createRuntime();
  const cpu = await createRuntime({ backend: 'cpu' });
  try {
    if (gpu.backend !== 'webgpu') {
      console.error('demo: no WebGPU adapter found (see the README for installing Mesa lavapipe on a machine without a GPU)');
      return 1;
    }
    console.log(`adapter: ${gpu.adapterInfo}`);
    let ok = await example('stacked', seedWeights(stacked(), 1), gpu, cpu, 11);
    ok = (await example('connected', seedWeights(connected(), 2), gpu, cpu, 12)) && ok;
    if (!ok) console.error(`demo: an error is above ${MAX_ERROR}`);
    return ok ? 0 : 1;
  } finally {
    gpu.dispose();
    cpu.dispose();
  }
}

process.exitCode = await main().catch((e) => {
  console.error(e);
  return 1;
});
