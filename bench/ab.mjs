#!/usr/bin/env node
// `node bench/ab.mjs REV_A REV_B [--config b] [--rounds 20]`: webgpu-rnn at two revisions (git revs,
// or `.` for the working tree) in one process on this machine's adapter, passes alternated A, B, A, B,
// so that the machine's drift (up to 2x between runs here) falls on both alike. Prints each one's
// median and min, and the median and quartiles of the per-round ratio B / A: a difference of a few
// percent shows there when separate runs of `npm run bench` cannot resolve it. Both builds get the same
// weights and inputs, and the largest difference between their outputs is printed too. This is a
// tool for choosing between kernel variants, not a benchmark against peers (`npm run bench` is).
// Configs: a, b, c, d of issue 4 (bench/src/configs.ts; c's GRU is reset-before as there).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const config = flag('--config', 'b');
const rounds = Number(flag('--rounds', '20'));
const [revA, revB] = args;
if (!revA || !revB || !['a', 'b', 'c', 'd'].includes(config) || !(rounds >= 4)) {
  console.error('usage: node bench/ab.mjs REV_A REV_B [--config a|b|c|d] [--rounds N >= 4]');
  process.exit(2);
}
process.env.XDG_RUNTIME_DIR ||= '/tmp';

/** The library's index at `rev`, bundled under bench/results/tmp/ab/ (git-ignored). */
async function buildAt(rev, name) {
  const dir = join(ROOT, 'bench/results/tmp/ab', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let root = ROOT;
  if (rev !== '.') {
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${rev}" src shaders | tar -x -C "${dir}"`]);
    root = dir;
  }
  const { build } = await import('vite');
  await build({
    configFile: false, root, logLevel: 'warn',
    build: {
      outDir: join(dir, 'dist'), emptyOutDir: true, minify: false, target: 'node20',
      lib: { entry: join(root, 'src/index.ts'), formats: ['es'], fileName: () => 'index.js' },
      rolldownOptions: { external: ['webgpu', /^node:/] },
    },
  });
  return import(pathToFileURL(join(dir, 'dist/index.js')).href);
}

/** Config `name` in library `lib`'s API, and its batch and inputs' shapes. */
function model(lib, name) {
  const { sequential, layers, model: functional, input } = lib;
  if (name === 'a') {
    return { B: 1, shapes: [[256, 32]], net: sequential([layers.lstm({ units: 128, returnSequences: true, inputShape: [256, 32] }), layers.lstm({ units: 128, returnSequences: true })]) };
  }
  if (name === 'b') {
    return { B: 16, shapes: [[128, 64]], net: sequential([layers.lstm({ units: 256, returnSequences: true, inputShape: [128, 64] }), layers.lstm({ units: 256 })]) };
  }
  if (name === 'c') return { B: 1, shapes: [[256, 32]], net: sequential([layers.gru({ units: 128, resetAfter: false, inputShape: [256, 32] })]) };
  const i1 = input({ shape: [128, 16] }), i2 = input({ shape: [128, 16] });
  const joined = layers.concatenate().apply([layers.lstm({ units: 64 }).apply(i1), layers.lstm({ units: 64 }).apply(i2)]);
  return { B: 32, shapes: [[128, 16], [128, 16]], net: functional({ inputs: [i1, i2], outputs: layers.dense({ units: 1 }).apply(joined) }) };
}

let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff * 2 - 1; };
const fill = (n, s) => Float32Array.from({ length: n }, () => rand() * s);

const libs = [await buildAt(revA, 'a'), await buildAt(revB, 'b')];
const first = model(libs[0], config);
const weights = first.net.getWeights().map((w) => fill(w.length, 0.1));
const xs = first.shapes.map((s) => ({ data: fill(first.B * s[0] * s[1], 1), shape: [first.B, ...s] }));
const runs = [];
for (const lib of libs) {
  const { net, B } = model(lib, config);
  net.setWeights(weights);
  const rt = await lib.createRuntime();
  runs.push({ rt, run: await rt.compile(net, { batchSizes: [B] }) });
}
console.log(`config ${config} on ${runs[0].rt.adapterInfo}; A = ${revA}, B = ${revB}, ${rounds} rounds`);
const input = xs.length === 1 ? xs[0] : xs;
const outs = [];
for (const { run } of runs) {
  outs.push(await run.predict(input));
  await run.predict(input);
}
const flat = (y) => (Array.isArray(y) ? y : [y]).flatMap((t) => [...t.data]);
const [ya, yb] = outs.map(flat);
console.log(`largest difference between A's and B's outputs: ${Math.max(...ya.map((v, i) => Math.abs(v - yb[i]))).toExponential(1)}`);
const times = [[], []];
for (let i = 0; i < rounds; i++) {
  for (const [k, { run }] of runs.entries()) {
    const t = performance.now();
    await run.predict(input);
    times[k].push(performance.now() - t);
  }
}
const sorted = (v) => [...v].sort((p, q) => p - q);
const at = (v, q) => sorted(v)[Math.floor(q * (v.length - 1))];
times.forEach((v, k) => console.log(`${'AB'[k]}: median ${at(v, 0.5).toFixed(1)} ms, min ${at(v, 0).toFixed(1)} ms`));
const ratio = times[1].map((v, i) => v / times[0][i]);
console.log(`B / A per round: median ${at(ratio, 0.5).toFixed(3)}, quartiles ${at(ratio, 0.25).toFixed(3)}-${at(ratio, 0.75).toFixed(3)}`);
for (const { rt } of runs) rt.dispose();
process.exit(0);
