// Writes docs/BENCHMARKS-H100-KERNELS.md from the GPU machine's result files: bench/results/h100/ (three
// calls on an H100) and bench/results/h200/ (three on an H200; day2/section.md and day3/section.md,
// written by hand, add twelve more); the document names the commands.
// Run: node bench/h100-kernels.mjs
import { readFileSync, writeFileSync } from 'node:fs';

/** The JSON lines of result file `f` in folder `dir`. */
const readLines = (dir, f) => readFileSync(new URL(f, dir), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const dir = new URL('./results/h100/', import.meta.url);
const lines = (f) => readLines(dir, f);
const run1 = lines('run1-ours-and-tfjs.jsonl');
const step = lines('run2-kernel-step.jsonl');
const seq = lines('run2-kernel-sequence.jsonl');
const seq2 = lines('run3-kernel-sequence-split.jsonl');
const cudnn = [...lines('cudnn-fp32.jsonl'), ...lines('cudnn-fp16.jsonl')];

const configs = [...new Set(step.map((r) => r.config))];
const fmt = (v) => (v === undefined ? '' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const find = (rows, config, runner) => rows.find((r) => r.config === config && r.runner === runner);
const shapes = {
  a: { hidden: 128, batch: 1, seq_full: 256 }, b: { hidden: 256, batch: 16, seq_full: 128 }, c: { hidden: 128, batch: 1, seq_full: 256 },
  d: { hidden: 64, batch: 32, seq_full: 128 }, e: { hidden: 1024, batch: 1, seq_full: 512 }, f: { hidden: 512, batch: 64, seq_full: 256 },
};
const perStepOf = (c) => ['e', 'f'].includes(c.replace('-f16', ''));
/**
 * cuDNN's `key` ('eager' or 'graph') figure for a config from `list` (cudnn_rnn.py lines, which carry
 * the shape, not the config name): per layer-step for e and f, else the pass (d: two branches).
 */
const cudnnValue = (list, config, key) => {
  const base = config.replace('-f16', '');
  const dtype = config.endsWith('-f16') ? 'fp16' : 'fp32';
  const sh = shapes[base];
  const cu = list.find((x) => x.dtype === dtype && x.hidden === sh.hidden && x.batch === sh.batch && x.seq === sh.seq_full && x.cell === (base === 'c' ? 'gru' : 'lstm'));
  if (!cu) return undefined;
  if (perStepOf(config)) return cu[`${key}_us_per_layer_step`];
  return base === 'd' ? 2 * cu[`${key}_ms`] : cu[`${key}_ms`];
};
const cudnnEager = (c) => cudnnValue(cudnn, c, 'eager');
/** What 'auto' runs now: the split sequence kernel (run 3) where it ran, else the split step kernel (run 2). */
const best = (c) => find(seq2, c, 'webgpu-rnn')?.median_ms ?? find(step, c, 'webgpu-rnn').median_ms;
const rows = configs.map((config) => {
  const s = find(step, config, 'webgpu-rnn'), q = find(seq, config, 'webgpu-rnn'), q2 = find(seq2, config, 'webgpu-rnn');
  const old = find(run1, config, 'webgpu-rnn'), tf = find(run1, config, 'tfjs-webgpu');
  const perStep = perStepOf(config);
  const v = (r) => (r ? (perStep ? r.us_per_layer_step : r.median_ms) : undefined);
  const cuV = cudnnValue(cudnn, config, 'eager');
  const cuG = cudnnValue(cudnn, config, 'graph');
  return `| ${config} | ${perStep ? 'µs / layer-step' : 'ms / pass'} | ${fmt(v(old))} | ${fmt(v(s))} | ${fmt(v(q))} | ${fmt(v(q2))} | ${fmt(v(tf))} | ${fmt(cuV)} | ${fmt(cuG)} |`;
});

// The H200 calls of 2026-11-27 (bench/results/h200/): what each record ran, from its file, its variant
// name (the folder bench/gpu/run.sh's extra steps wrote it to) and the commit's 'auto' choice.
const h200dir = new URL('./results/h200/', import.meta.url);
const h200lines = (f) => readLines(h200dir, f);
/** 'auto' per commit, by config: e0c7d16 (calls 1, 2), d4d5f9f (tiled from batch 4), 2e66745 (tiled from batch 32). */
const autoKernel = {
  e0c7d16: { a: 'sequence', b: 'sequence', c: 'sequence', d: 'sequence', e: 'step', f: 'step' },
  d4d5f9f: { a: 'sequence', b: 'tiled', c: 'sequence', d: 'sequence', e: 'step', f: 'tiled' },
  '2e66745': { a: 'sequence', b: 'step', c: 'sequence', d: 'sequence', e: 'step', f: 'tiled' },
};
const commitOf = (r) => /(?:HEAD|on) ([0-9a-f]{7})/.exec(r.source)[1];
const kernelOf = (r) => {
  const base = r.config.replace('-f16', '');
  const v = r.variant ?? '';
  if (r.file.includes('wavefront')) return 'wavefront';
  if (v === 'sw') return 'resident';
  if (/,/.test(v) || /^(seq1024|u8|u8-1024|seqrows2|seqrows2u8)$/.test(v)) return 'sweep';
  const forced = JSON.parse(r.compile_options ?? '{}').kernel;
  return forced ?? autoKernel[commitOf(r)][base];
};
const h200 = ['call1-auto', 'call1-wavefront', 'call1-variants', 'call2-auto', 'call2-variants', 'call3-auto', 'call3-variants']
  .flatMap((f) => h200lines(`${f}.jsonl`).map((r) => ({ ...r, file: f, call: Number(f[4]) })));
const h200cudnn = [...h200lines('call3-cudnn-fp32.jsonl'), ...h200lines('call3-cudnn-fp16.jsonl')];
const h200tfjs = h200lines('call3-tfjs.jsonl');
const valueOf = (r) => (perStepOf(r.config) ? r.us_per_layer_step : r.median_ms);
const h200cu = (config, key) => cudnnValue(h200cudnn, config, key);
const cell = (config, kernel) => h200.filter((r) => r.config === config && kernelOf(r) === kernel && r.ok !== false)
  .map((r) => `${fmt(valueOf(r))} (${r.call})`).join(', ');
const nowAuto = (config) => h200.find((r) => r.file === 'call3-auto' && r.config === config);
const range = (rs) => {
  const v = rs.map(valueOf);
  return `${fmt(Math.min(...v))}-${fmt(Math.max(...v))}`;
};
const sweep = (call, prefix, config) => h200.filter((r) => r.call === call && r.config === config && (r.variant ?? '').startsWith(prefix) && /,/.test(r.variant));

function h200Section() {
  const configs = ['a', 'b', 'c', 'd', 'e', 'f', 'a-f16', 'b-f16', 'c-f16', 'd-f16', 'e-f16', 'f-f16'];
  const table = configs.map((c) => {
    const unit = perStepOf(c) ? 'µs / layer-step' : 'ms / pass';
    const tf = h200tfjs.find((r) => r.config === c);
    return `| ${c} | ${unit} | ${['sequence', 'step', 'tiled', 'wavefront'].map((k) => cell(c, k)).join(' | ')} | ${fmt(valueOf(nowAuto(c)))} ${autoKernel['2e66745'][c.replace('-f16', '')]} | ${tf ? fmt(valueOf(tf)) : ''} | ${fmt(h200cu(c, 'eager'))} | ${fmt(h200cu(c, 'graph'))} |`;
  });
  const tfjsX = ['a', 'b', 'c', 'd'].map((c) => `${c} ${fmt(valueOf(h200tfjs.find((r) => r.config === c)) / valueOf(nowAuto(c)))}x`).join(', ');
  const cuX = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => `${c} ${fmt(valueOf(nowAuto(c)) / h200cu(c, 'eager'))}x`).join(', ');
  const resident = (c) => fmt(valueOf(h200.find((r) => r.variant === 'sw' && r.config === c)));
  const def = (call, config, variant) => fmt(valueOf(h200.find((r) => r.call === call && r.config === config && r.variant === variant)));
  return `
## H200 (2026-11-27)

Device: ${nowAuto('a').device}, ${readFileSync(new URL('nvidia-smi.txt', h200dir), 'utf8').split('\n')[1] ?? ''}; the
same kit and backend as above. cuDNN: ${h200cudnn[0].device}, cuDNN ${h200cudnn[0].cudnn}, fp32 without TF32, in call 3.
Issue 4 sets its GPU targets on an H100; the H200 lent today has the same GH100 chip (132 SMs, 50 MB of L2)
with faster memory (HBM3e), and cuDNN timed in the same call gives the ratios.

Three calls, each \`bash bench/gpu/run.sh\` (webgpu-rnn with \`kernel: 'auto'\`, cuDNN; call 3 also tfjs) followed
by \`bash .gpu-kit/run.sh node bench/dist/cli.js --mode gpu --runners webgpu-rnn --budget 1 --configs ... --ours-options ...\`
for single variants (\`bench/results/h200/call*-variants.jsonl\`, each record with its variant's name):
1. Sources e0c7d16: 'auto', the wavefront kernel (\`bench/gpu/run.sh\`'s own step), the resident kernel
   (\`adapterClass: 'software'\`) and shape sweeps of the step kernel, from a build with the shapes taken
   from environment variables (not committed; its records say "working tree on e0c7d16").
2. Sources d4d5f9f (the tiled step kernel; 'auto' then tiled every batch of 4 or more): 'auto', e0c7d16's
   build alternated with it on a-d, forced kernels on b, d and f, and tiled-shape sweeps (same kind of build).
3. Sources 2e66745 ('auto' tiles batches of 32 or more only): 'auto', tfjs webgpu, cuDNN, and forced kernels
   alternated with 'auto' twice on b, d and f.

Each cell lists every median measured for that kernel, with its call in brackets (whole pass for a-d, per
layer-step for e, f). "auto now" is call 3's \`bash bench/gpu/run.sh\`, the numbers docs/BENCHMARKS.md shows.

| config | unit | sequence kernel | step kernel | tiled step kernel | wavefront | auto now (3) | tfjs webgpu (3) | cuDNN eager (3) | cuDNN CUDA graph (3) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${table.join('\n')}

### What the H200 calls show

- **Noise.** The same build and config differ by up to 2x between calls (d under the sequence kernel:
  1.33 to 3.21 ms; f tiled: 137 to 219 µs), so only differences that hold in every call count below.
- **The wavefront kernel loses** on both stacked configs: a ${fmt(valueOf(h200.find((r) => r.file === 'call1-wavefront' && r.config === 'a')))} ms
  against ${fmt(valueOf(h200.find((r) => r.file === 'call1-auto' && r.config === 'a')))} for the sequence kernel in the same call, b
  ${fmt(valueOf(h200.find((r) => r.file === 'call1-wavefront' && r.config === 'b')))} against ${fmt(valueOf(h200.find((r) => r.file === 'call1-auto' && r.config === 'b')))}.
  Running layer 2's input projection inside the workgroup (1.5x the multiply-adds there) costs more
  than the T - 1 iterations it saves. \`auto\` does not pick it.
- **Hidden 256 at batch 16 (b) runs faster as a dispatch per step** (${cell('b', 'step')} ms) than as one
  workgroup per sequence (${cell('b', 'sequence')}): each of those workgroups streams all 1 MiB of the
  layer's f32 weights every step, while the step kernel spreads them over many. \`auto\` now keeps the
  sequence kernel at hidden 256 only below batch 4.
- **The tiled step kernel** (\`kernel: 'tiled'\`, recurrent_tiled.wgsl: h staged in workgroup memory, four
  rows a thread) is at best a modest gain: f ${cell('f', 'tiled')} µs a step against ${cell('f', 'step')} untiled;
  on b it lost in every call. \`auto\` tiles batches of 32 or more. (This was the kernel of d4d5f9f and
  2e66745; review then made it stage whole quads of rows instead of single components, 59fc401, not
  measured here yet.) Its shape sweep (call 2) gave f
  ${range(sweep(2, 'f-', 'f'))} µs over 7 other shapes, b ${range(sweep(2, 'b-', 'b'))} ms over 6, d ${range(sweep(2, 'd-', 'd'))} ms over 4.
- **Step-kernel shapes** (call 1, untiled): e ${range(sweep(1, 'e-', 'e'))} µs over 8 shapes (the default
  ${def(1, 'e', 'e-1,16,16')}), f ${range(sweep(1, 'f-', 'f'))} µs over 8 (default ${def(1, 'f', 'f-4,16,16')}), b ${range(sweep(1, 'b-', 'b'))} ms over 8
  (default ${def(1, 'b', 'b-4,16,16')}). No shape is far from the default, so the defaults stay.
- **Sequence-kernel variants** (call 1, not kept): 1024 threads instead of 512 (a ${def(1, 'a', 'seq1024')} ms),
  eight weight loads in flight per thread instead of four (a ${def(1, 'a', 'u8')}; alternated with four in call 2:
  3.12 and 3.07 against 3.15 and 2.98, so no gain), two rows a workgroup on b. The resident kernel of
  CPU-emulated adapters, one thread per unit with its weights in private memory, ran a in ${resident('a')} ms and
  c in ${resident('c')}: on the GPU those weights spill to local memory.
- **Where we stand.** With 'auto' (call 3) we are ${tfjsX} faster than tfjs webgpu on the same adapter,
  and ${cuX} slower than cuDNN eager. No issue-4 GPU target is met.
- **What bounds it.** A dispatch through Dawn's GL ES backend costs about 4.6 µs, so the step kernels
  cannot go below that per layer-step (e: 16-37 µs a step measured, cuDNN ${fmt(h200cu('e', 'eager'))}).
  The sequence kernel runs a sequence in one workgroup (WebGPU has no grid-wide barrier), so one SM
  reads the layer's weights every step: about 6 µs per layer-step on a (256 KB), 12 on b's layers (1 MB).
  The batched step kernels (f) stay about 10x off cuDNN: their per-step time does not follow their
  arithmetic or their weight traffic (a tiled f step is 0.13 GFLOP and 4 MB), and without a profiler on
  this machine (GL ES through Dawn) the cause is not pinned down yet.
`;
}

const doc = `# webgpu-rnn on the GPU machine: recurrent kernel variants

Two sets of calls: three on an H100 (2026-11-26), then eleven on an H200 (2026-11-27, [below](#h200-2026-11-27); calls 8-11 [at the end](#h200-calls-8-11-2026-11-27-evening)).

## H100 (2026-11-26)

_Generated by \`node bench/h100-kernels.mjs\` from \`bench/results/h100/\`; numbers are the medians the
harness recorded (whole forward pass with upload and read back for a-d; per layer-step for e, f)._

Device: ${step[0].device} (Dawn's OpenGL ES backend at the compatibility feature level, through
\`../shared/gpu/\`'s kit), ${readFileSync(new URL('nvidia-smi.txt', dir), 'utf8').split('\n')[1] ?? ''}.
cuDNN: ${cudnn[0].device}, cuDNN ${cudnn[0].cudnn} through PyTorch, fp32 without TF32 (fp16 for the f16 rows),
timed on the GPU with CUDA events (no upload or read back); d is two LSTM branches, so twice one branch.

Three calls on the same kind of machine, on ${step[0].date.slice(0, 10)}:
1. \`bash bench/gpu/run.sh\` (sources ${run1[0].source}): webgpu-rnn with the first kernels (sequence
   kernel for hidden sizes up to 256, one thread per unit in the step kernel), tfjs-layers 4.22 webgpu on the
   same Dawn adapter, and \`cudnn_rnn.py\`, in the same call.
2. \`bash .gpu-kit/run.sh node bench/dist/cli.js --mode gpu --runners webgpu-rnn --budget 2 --json --configs all --ours-options '{"kernel":"step"}'\`
   and the same with \`'{"kernel":"sequence"}'\` for a-d (sources ${step[0].source}): the split step kernel
   (up to 256 threads per workgroup, each unit's reduction over 8-16 threads) against the whole-sequence kernel.
3. The same command with \`'{"kernel":"sequence"}'\` after the whole-sequence kernel got the same split
   reduction (sources ${seq2[0].source}). \`kernel: 'auto'\` now runs hidden sizes up to 256 on it (a-d)
   and larger ones on the split step kernel (e, f).

| config | unit | webgpu-rnn, first kernels (1) | split step kernel (2) | sequence kernel (2) | split sequence kernel (3) | tfjs webgpu (1) | cuDNN eager (1) | cuDNN CUDA graph (1) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Configs (issue 4): a LSTM 2 layers in 32 hidden 128 batch 1 seq 256; b LSTM 2 layers in 64 hidden 256
batch 16 seq 128; c GRU (reset gate before the matmul, as tfjs runs it) in 32 hidden 128 batch 1 seq 256;
d two inputs (in 16, seq 128) -> LSTM(64) each -> concatenate -> Dense(1), batch 32; e LSTM H=1024 B=1;
f LSTM H=512 B=64. \`-f16\`: recurrent weights stored as f16 (arithmetic f32).

### Where we stood on the H100, and what bounds it

- Against tfjs webgpu on the same adapter, with auto's choice per config, we are ${['a', 'b', 'c', 'd'].map((c) => `${c} ${fmt(find(run1, c, 'tfjs-webgpu').median_ms / best(c))}x`).join(', ')}
  faster (issue 4 asks for 30x against tfjs on lavapipe; see docs/BENCHMARKS.md for that machine). Against
  cuDNN eager we are ${['a', 'b', 'c', 'd'].map((c) => `${c} ${fmt(best(c) / cudnnEager(c))}x`).join(', ')} slower, and no issue-4 H100 target is met
  (a <= 0.5 ms, b <= 2 ms, c <= 0.2 ms, d <= 0.3 ms, e <= 6 µs, f <= 18 µs per layer-step).
- **Dispatch cost.** Through Dawn's GL ES backend a dispatch costs about 4.6 µs (\`../shared/gpu/README.md\`).
  The step kernel is one dispatch per layer-step, so a (512 layer-steps) cannot go under ~2.4 ms that way;
  we measure 11 µs per layer-step. cuDNN's whole pass is 1.1 ms eager.
- **One workgroup per sequence.** The whole-sequence kernel avoids the dispatches but runs a sequence
  in one workgroup (WebGPU has no grid-wide barrier, and spinning on other workgroups is not allowed):
  one SM streams the whole recurrent matrix from L2 every step. With one thread per unit it was
  latency-bound (27 µs per step for a); split over up to 512 threads it takes ${fmt(find(seq2, 'a', 'webgpu-rnn').us_per_layer_step)} µs per layer-step on a,
  still several times what one SM's share of L2 bandwidth would allow (256 KB of f32 weights per step).
- **Large hidden sizes.** e and f are memory-latency bound in the split step kernel (41.6 µs per step
  for e: 16 MB of f32 weights per step); f16 weights did not help yet, which points at latency, not
  bandwidth.
- f16 weights do not help yet (the unpacking costs more than the halved traffic saves in these kernels).
- Independent branches already share dispatches (packed like the two directions of a bidirectional
  layer). The stacked-layer wavefront and the tiled step kernel were measured on the H200 (below).
${h200Section()}
${readFileSync(new URL('./results/h200/day2/section.md', import.meta.url), 'utf8')}
${readFileSync(new URL('./results/h200/day3/section.md', import.meta.url), 'utf8')}`;
writeFileSync(new URL('../docs/BENCHMARKS-H100-KERNELS.md', import.meta.url), doc);
console.log(doc);
