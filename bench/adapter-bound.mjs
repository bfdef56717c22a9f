#!/usr/bin/env node
// `node bench/adapter-bound.mjs [--json] [--write-docs]`: what bounds webgpu-rnn's kernels on this machine's WebGPU
// adapter (made for CPU-emulated ones: lavapipe, SwiftShader; runs on a GPU too). Plain WGSL probes of
// the recurrent step's reduction y[r] = x[r] . W (K inputs, N outputs, each thread 4 outputs as a vec4),
// no library code, each checked against a CPU result:
//   alu            multiply-adds on registers only: the arithmetic ceiling
//   rows1          one row (batch 1): every weight is loaded once per use, as in configs a and c
//   rows8-direct   8 rows share each weight load; each row's x[k] read from the storage buffer
//   rows8-staged   the same with the 8 rows of x staged in workgroup memory as vec4s first (what
//                  recurrent_step.wgsl's STAGE and matmul_rows.wgsl do on CPU-emulated adapters)
//   resident       one row, the weights copied once into private memory and reused for STEPS steps,
//                  the reduction a loop (private and workgroup reads at computed indices)
//   resident-unrolled  the same with the reduction written out: every private and workgroup index a
//                  constant (what recurrent_resident.wgsl and matmul_resident.wgsl do, through
//                  src/kernels/broadcast.ts reduceSource)
//   resident-subgroups  the same, each quad of x loaded by one lane of 8 and handed to the others with
//                  subgroupShuffle (what the resident kernels do where the device has subgroups;
//                  run only where subgroupMinSize >= 8)
//   dispatch       the cost of one more (empty) dispatch in a compute pass
// It prints GMAC/s (or µs per dispatch), the minimum of several timed submits. On llvmpipe a load whose
// address is not a compile-time constant runs as a scalar loop over the SIMD lanes with a bounds check
// per lane (Mesa's gallivm emit_load_mem), so the load-bound probes sit far below alu.
// --write-docs writes docs/benchmarks-adapter-bound.md (which docs/BENCHMARKS.md includes): the probe
// table, and for configs a-d what those rates predict for a forward pass next to issue 4's 30x target
// (tfjs webgpu's median from bench/results/node.jsonl, when there is one).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ||= '/tmp';
const json = process.argv.includes('--json');
const writeDocs = process.argv.includes('--write-docs');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const gpu = create([]);
// Dawn frees its instance when the JS object is collected; keep it for the whole run.
globalThis.__webgpuRnnInstance = gpu;
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('adapter-bound: no WebGPU adapter');
const hasSubgroups = adapter.features.has('subgroups') && (adapter.info.subgroupMinSize ?? 0) >= 8;
const device = await adapter.requestDevice({ requiredFeatures: hasSubgroups ? ['subgroups'] : [] });
const info = adapter.info;
const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ');

const K = 256;      // reduction length
const N = 4096;     // outputs (units x gates)
const R = 8;        // rows of the rows8 probes
const REPS = 8;     // dispatches per timed submit
const STEPS = 16;   // steps of the resident probe per dispatch
/**
 * Issue 4's configs a-d as multiply-adds and dispatches: per recurrent layer the input projection
 * (T*B*F*G*H) and the recurrence (T*B*H*G*H). Each recurrence is one resident sequence dispatch of
 * `sequences` workgroups (config d's two branches run packed: one dispatch, 2 x 32 workgroups), plus
 * `other` dispatches (a matmul per layer, d's dense head).
 */
const CONFIGS = [
  { name: 'a', B: 1, T: 256, G: 4, layers: [[32, 128], [128, 128]], seqDispatches: 2, sequences: 1, other: 2 },
  { name: 'b', B: 16, T: 128, G: 4, layers: [[64, 256], [256, 256]], seqDispatches: 2, sequences: 16, other: 2 },
  { name: 'c', B: 1, T: 256, G: 3, layers: [[32, 128]], seqDispatches: 1, sequences: 1, other: 1 },
  { name: 'd', B: 32, T: 128, G: 4, layers: [[16, 64], [16, 64]], seqDispatches: 1, sequences: 64, other: 3 },
];

const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

function buffer(data) {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: storage });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

const x = new Float32Array(R * K).map((_, i) => Math.sin(i));
const w = new Float32Array(K * N).map((_, i) => Math.cos(i * 0.37));
const expected = new Float32Array(R * N);
for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) expected[r * N + n] += x[r * K + k] * w[k * N + n];
const bx = buffer(x), bw = buffer(w), by = buffer(new Float32Array(R * N));

const header = `
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;
const K = ${K}u;
const N4 = ${N / 4}u;
const R = ${R}u;
var<workgroup> xs: array<vec4<f32>, ${(R * K) / 4}>;
`;
const rowsLoop = (xOf) => `
  var acc: array<vec4<f32>, R>;
  for (var q = 0u; q < K / 4u; q++) {
    let k = 4u * q;
    let w0 = W[k * N4 + n]; let w1 = W[(k + 1u) * N4 + n]; let w2 = W[(k + 2u) * N4 + n]; let w3 = W[(k + 3u) * N4 + n];
    for (var r = 0u; r < R; r++) {
      let xv = ${xOf};
      acc[r] += xv.x * w0 + xv.y * w1 + xv.z * w2 + xv.w * w3;
    }
  }
  for (var r = 0u; r < R; r++) { Y[r * N4 + n] = acc[r]; }`;

/** xv's share of quad q's four weight rows (wp[4q .. 4q+3]), with constant indices. */
const quadTerm = (q) => `xv.x * wp[${4 * q}u] + xv.y * wp[${4 * q + 1}u] + xv.z * wp[${4 * q + 2}u] + xv.w * wp[${4 * q + 3}u]`;

/**
 * The resident probes: each thread copies its weights into private memory (wp) and x into workgroup
 * memory (xr) once, then runs `reduction` (adding x . wp into acc) STEPS times; the probe times reuse,
 * not a recurrence, and keeps the last step's sums.
 */
const residentProbe = (reduction, builtins = '') => `${header}
var<workgroup> xr: array<vec4<f32>, ${K / 4}>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_index) li: u32${builtins}) {
  let n = g.x;
  var wp: array<vec4<f32>, K>;
  for (var k = 0u; k < K; k++) { wp[k] = W[k * N4 + n]; }
  for (var q = li; q < K / 4u; q += 64u) { xr[q] = vec4<f32>(X[4u * q], X[4u * q + 1u], X[4u * q + 2u], X[4u * q + 3u]); }
  workgroupBarrier();
  var acc = vec4<f32>(0.0);
  for (var s = 0u; s < ${STEPS}u; s++) {
    acc = vec4<f32>(0.0);${reduction}
    workgroupBarrier();
  }
  Y[n] = acc;
}`;

/**
 * resident-unrolled with each quad of x loaded by one lane of 8 and handed to the others by
 * subgroupShuffle. (With subgroupBroadcast, which the kernels used before 968d50d, this one-row probe
 * measured the same within its noise, 4.7-7.9 GMAC/s either way; config b's kernels took 5% less with
 * the shuffle: `node bench/ab.mjs dd1ffac 968d50d`.)
 */
const subgroupProbe = `enable subgroups;\n${residentProbe(
  Array.from({ length: K / 32 }, (_, b) => `\n    { let mine = xr[${8 * b}u + sl % 8u];${Array.from({ length: 8 }, (_, l) =>
    `\n      { let xv = subgroupShuffle(mine, ${l}u); acc += ${quadTerm(8 * b + l)}; }`).join('')} }`).join(''),
  ', @builtin(subgroup_invocation_id) sl: u32')}`;

// Each thread computes outputs 4n .. 4n+3 (one vec4 of weights per input k).
const probes = {
  // Eight independent f32 chains, the loop body written out four times: enough independent work to
  // hide a multiply-then-add's latency and the loop's own cost, few enough registers that none spill.
  // (Eight vec4 chains, as this probe first had, are 32 vector registers of accumulators on llvmpipe,
  // where a vec4 per lane is four SIMD registers: they spill, and measured 12 GMAC/s where these
  // reach 25-31.) 16K steps so a dispatch lasts long enough for both cores to join.
  alu: { macs: 32 * K * N, code: `${header}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = g.x;
  var a0 = X[0]; var a1 = X[1]; var a2 = X[2]; var a3 = X[3]; var a4 = X[4]; var a5 = X[5]; var a6 = X[6]; var a7 = X[7];
  let m = 0.999 - 1e-9 * f32(n);
  for (var k = 0u; k < 16u * K; k += 4u) {
${Array.from({ length: 4 }, () => `    ${Array.from({ length: 8 }, (_, j) => `a${j} = a${j} * m + ${j + 1}e-3;`).join(' ')}`).join('\n')}
  }
  Y[n] = vec4<f32>(a0 + a1, a2 + a3, a4 + a5, a6 + a7);
  _ = W[0];
}` },
  rows1: { macs: K * N, rows: 1, code: `${header}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = g.x;
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < K; k++) { acc += X[k] * W[k * N4 + n]; }
  Y[n] = acc;
}` },
  'rows8-direct': { macs: R * K * N, rows: R, code: `${header}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = g.x;${rowsLoop('vec4<f32>(X[r * K + k], X[r * K + k + 1u], X[r * K + k + 2u], X[r * K + k + 3u])')}
}` },
  'rows8-staged': { macs: R * K * N, rows: R, code: `${header}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_index) li: u32) {
  for (var e = li; e < R * K / 4u; e += 64u) { xs[e] = vec4<f32>(X[4u * e], X[4u * e + 1u], X[4u * e + 2u], X[4u * e + 3u]); }
  workgroupBarrier();
  let n = g.x;${rowsLoop('xs[(r * K + k) / 4u]')}
}` },
  resident: { macs: STEPS * K * N, rows: 1, code: residentProbe(`
    for (var q = 0u; q < K / 4u; q++) {
      let xv = xr[q];
      acc += xv.x * wp[4u * q] + xv.y * wp[4u * q + 1u] + xv.z * wp[4u * q + 2u] + xv.w * wp[4u * q + 3u];
    }`) },
  'resident-unrolled': { macs: STEPS * K * N, rows: 1, code: residentProbe(
    Array.from({ length: K / 4 }, (_, q) => `\n    { let xv = xr[${q}u]; acc += ${quadTerm(q)}; }`).join('')) },
  ...(hasSubgroups ? {
    'resident-subgroups': { macs: STEPS * K * N, rows: 1, code: subgroupProbe },
  } : {}),
};

async function pipelineFor(code) {
  const module = device.createShaderModule({ code });
  const messages = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (messages.length) throw new Error(messages.map((m) => m.message).join('\n'));
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  // Every probe uses all three bindings (alu through its `_ =` line), so the 'auto' layout has them.
  const entries = [bx, bw, by].map((b, binding) => ({ binding, resource: { buffer: b } }));
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  return { pipeline, bindGroup };
}

/**
 * Minimum wall time of `tries` submits of `reps` dispatches of `groups` workgroups each. After the
 * first, each submit sleeps 85% of the best time so far before it awaits, as predict() does on a
 * CPU-emulated adapter (src/gpu/pacer.ts): Dawn's Node binding polls from the JS thread while a
 * promise is pending, which takes a core from lavapipe's workers (the rates came out ~2x low).
 */
async function time({ pipeline, bindGroup }, groups, reps, tries = 5) {
  const run = async (sleepMs) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let i = 0; i < reps; i++) pass.dispatchWorkgroups(groups);
    pass.end();
    device.queue.submit([encoder.finish()]);
    if (sleepMs >= 4) await new Promise((resolve) => setTimeout(resolve, sleepMs));
    await device.queue.onSubmittedWorkDone();
  };
  await run(0);
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const t0 = performance.now();
    await run(best === Infinity ? 0 : 0.85 * best);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function readY() {
  const bytes = R * N * 4;
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(by, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

const rows = [];
for (const [name, probe] of Object.entries(probes)) {
  const p = await pipelineFor(probe.code);
  // alu is the ceiling the others are read against: more tries, for a steadier best.
  const ms = await time(p, N / 4 / 64, REPS, name === 'alu' ? 60 : 10);
  if (probe.rows) {
    const y = await readY();
    let err = 0;
    for (let i = 0; i < probe.rows * N; i++) err = Math.max(err, Math.abs(y[i] - expected[i]) / (1 + Math.abs(expected[i])));
    if (err > 1e-4) throw new Error(`adapter-bound: probe ${name} is wrong (max relative error ${err})`);
  }
  rows.push({ probe: name, gmacs: (probe.macs * REPS) / ms / 1e6, ms: ms / REPS });
}
{
  const code = `@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { Y[g.x] = Y[g.x] + 1.0; }`;
  const module = device.createShaderModule({ code });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: by } }] });
  const many = await time({ pipeline, bindGroup }, 1, 1000, 3);
  rows.push({ probe: 'dispatch', usPerDispatch: (many / 1000) * 1000 });
}

const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
if (json) {
  for (const r of rows) console.log(JSON.stringify({ ...r, adapter: adapterName, date: when }));
} else {
  console.log(`adapter: ${adapterName} (${when} UTC)`);
  console.log(`reduction ${K} x ${N} (rows8: ${R} rows), ${REPS} dispatches per submit, min of 10 submits (alu: 60)`);
  for (const r of rows) console.log(`  ${describe(r)}`);
}
if (writeDocs) {
  const file = join(ROOT, 'docs', 'benchmarks-adapter-bound.md');
  writeFileSync(file, docs());
  console.log(`wrote ${file}`);
}
device.destroy();
process.exit(0);

function describe(r) {
  return r.probe === 'dispatch'
    ? `${r.probe.padEnd(13)} ${r.usPerDispatch.toFixed(1)} µs per extra dispatch`
    : `${r.probe.padEnd(13)} ${r.gmacs.toFixed(2)} GMAC/s (${(r.ms * 1000).toFixed(0)} µs per dispatch)`;
}


function medians(runner) {
  const file = join(ROOT, 'bench', 'results', 'node.jsonl');
  const out = new Map();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    if (r.runner === runner && r.median_ms !== undefined) out.set(r.config, r.median_ms);
  }
  return out;
}

function docs() {
  const rate = Object.fromEntries(rows.map((r) => [r.probe, r]));
  const tf = medians('tfjs-webgpu');
  const ours = medians('webgpu-rnn');
  const lines = [
    '# What bounds webgpu-rnn on this machine\'s adapter',
    '',
    `_Written by \`node bench/adapter-bound.mjs --write-docs\` on ${when} UTC; adapter: ${adapterName}._`,
    '',
    `Plain WGSL probes of the recurrent reduction (${K} inputs, ${N} outputs, each thread four outputs as a vec4),`,
    'each checked against a CPU result (alu has none to check), minimum of ten timed submits (alu: sixty), the JS thread',
    'asleep through most of each as predict() does here (src/gpu/pacer.ts):',
    '',
    '| probe | what it does | result |',
    '| --- | --- | --- |',
    `| alu | multiply-adds on registers only | ${rate.alu.gmacs.toFixed(2)} GMAC/s |`,
    `| rows1 | one row (batch 1): each weight loaded for one multiply-add | ${rate.rows1.gmacs.toFixed(2)} GMAC/s |`,
    `| rows8-direct | ${R} rows share each weight load; x read from the storage buffer | ${rate['rows8-direct'].gmacs.toFixed(2)} GMAC/s |`,
    `| rows8-staged | the same, x staged in workgroup memory as vec4s (the step kernel's and matmul_rows.wgsl's CPU-emulated shape) | ${rate['rows8-staged'].gmacs.toFixed(2)} GMAC/s |`,
    `| resident | one row, weights copied once into private memory and reused for ${STEPS} steps; the reduction a loop | ${rate.resident.gmacs.toFixed(2)} GMAC/s |`,
    `| resident-unrolled | the same, the reduction written out: constant private and workgroup indices | ${rate['resident-unrolled'].gmacs.toFixed(2)} GMAC/s |`,
    ...(rate['resident-subgroups'] ? [`| resident-subgroups | the same, each quad of x loaded by one lane of 8 and handed to the others with subgroupShuffle (the resident kernels' shape here) | ${rate['resident-subgroups'].gmacs.toFixed(2)} GMAC/s |`] : []),
    `| dispatch | one more empty dispatch in a compute pass | ${rate.dispatch.usPerDispatch.toFixed(1)} µs |`,
    '',
    'llvmpipe compiles a WGSL multiply-add (`a * b + c` or `fma`) to a vmulps and a vaddps on 8 lanes',
    '(256-bit vectors, no fused multiply-add: `GALLIVM_DEBUG=asm`), so two instructions per 8',
    'multiply-adds; alu (eight independent f32 chains a thread, nothing loaded) is what that reaches on',
    'these cores. A vec4 a thread is four SIMD registers there: eight vec4 chains spill, and measured',
    'about half this rate.',
    '',
    'On llvmpipe (lavapipe) an invocation is one lane of a SIMD loop, and a storage or workgroup load whose',
    'address is not a compile-time constant is emitted as a scalar loop over the lanes with a bounds check',
    'per lane (Mesa\'s gallivm `emit_load_mem`); only constant addresses get the one-load-and-broadcast',
    'path. So a kernel that loads each weight for a single multiply-add (batch 1) runs at the rows1 rate',
    'whatever its shape. Private memory is plain per-lane memory, and a constant index into it is one',
    'vector load (a computed one is a per-lane loop again): the resident kernels',
    '(recurrent_resident.wgsl for every recurrence that fits one workgroup, with its input projection',
    'where the input is no wider than h; matmul_resident.wgsl for the other input projections and dense',
    'layers of up to 256 inputs) keep their weights in private memory and',
    'write the reduction out in full (resident-unrolled), and where the device has subgroups each load',
    'of the shared input serves 8 lanes (resident-subgroups); with the reduction left a loop (resident)',
    'they run at a fraction of that rate.',
    '',
    'What keeps the resident kernels below alu is the work around each multiply-add, not the',
    'arithmetic: each weight comes from the thread\'s private copy (32 bytes per 8 lanes; for a hidden',
    'size of 256 a workgroup streams 1 MiB of weights a step, 2 MiB with an input projection of 256',
    'inputs inside: more than a core\'s L2 here), and each quad of h or x reaches the lanes through a',
    'per-lane load loop and four subgroup shuffles. In the reduction of config b\'s second layer',
    '(`GALLIVM_DEBUG=asm`, 2026-11-27, 3d83884; the dump stops partway through the shader), 768 of',
    'about 1,000 instructions are vmulps and vaddps; per 8 of them the rest is one weight load and one',
    'permute (the shuffle), and a few spills. Loads of h left out altogether (wrong results, timing',
    'only; tried with the earlier broadcasts) did not make the pass faster, nor did 8 batch rows a',
    'workgroup with 3d83884\'s order, which halve the weight traffic (1.12x as long: 32 sums do not fit',
    'the registers).',
    '',
    'What these rates predict for issue 4\'s configs (every multiply-add at the rate of the resident',
    'kernels\' shape, scaled down where a recurrence has fewer sequences, one workgroup each, than the',
    'machine has cores; plus the dispatches), next to the measured pass, the rate it reached, and the',
    'rate the 30x target needs (medians from bench/results/node.jsonl). The probes run one shape; the',
    'kernels\' own choices (resident-subgroups probes a recurrence of one row at a time, the matmul',
    'kernel stages its rows) can beat them, so an estimate is a guide, not a bound. The alu probe is the',
    'ceiling: no kernel runs its multiply-adds faster than registers alone.',
    '',
    '| config | multiply-adds | estimate at these rates | webgpu-rnn measured | its rate | tfjs webgpu | 30x target | rate the target needs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const alu = rate.alu.gmacs;
  const over = [];
  const missed = [];
  for (const c of CONFIGS) {
    let projection = 0, recurrent = 0;
    for (const [F, H] of c.layers) {
      projection += c.T * c.B * F * c.G * H;
      recurrent += c.T * c.B * H * c.G * H;
    }
    const macs = projection + recurrent;
    // The probe's rate is over N / 256 workgroups, spread over the cores; a recurrence of fewer
    // sequences than cores leaves some idle.
    const cores = Math.min(N / 4 / 64, availableParallelism());
    const g = (rate['resident-subgroups'] ?? rate['resident-unrolled']).gmacs;
    const dispatches = c.seqDispatches + c.other;
    const estimate = recurrent / (g * Math.min(c.sequences, cores) / cores) / 1e6 + projection / g / 1e6 + (dispatches * rate.dispatch.usPerDispatch) / 1000;
    const t = tf.get(c.name);
    const target = t === undefined ? undefined : t / 30;
    const o = ours.get(c.name);
    const ms = (v) => (v === undefined ? 'n/a' : `${v.toFixed(0)} ms`);
    const gm = (v) => (v === undefined ? 'n/a' : `${(macs / v / 1e6).toFixed(2)} GMAC/s`);
    if (target !== undefined && macs / target / 1e6 > alu) over.push(`${c.name} needs ${gm(target)}, ${(macs / target / 1e6 / alu).toFixed(2)}x the alu ceiling`);
    else if (target !== undefined && o !== undefined && o > target) missed.push(`${c.name} needs ${gm(target)} (${(macs / target / 1e6 / alu).toFixed(2)}x alu) and its pass runs at ${gm(o)}`);
    lines.push(`| ${c.name} | ${(macs / 1e6).toFixed(1)} M | ${ms(estimate)} | ${ms(o)} | ${gm(o)} | ${ms(t)} | ${ms(target)} | ${gm(target)} |`);
  }
  lines.push('', over.length
    ? `${over.join('; ')} (${alu.toFixed(2)} GMAC/s in this run): the whole pass at the speed of registers-only arithmetic, with no loads, barriers or activations. Out of reach on this adapter.`
    : `Every target needs less than the alu ceiling (${alu.toFixed(2)} GMAC/s in this run)${missed.length
      ? `. Not met: ${missed.join('; ')}: the whole pass, loads, shuffles, barriers and activations included, would have to run its multiply-adds at that fraction of the registers-only rate.`
      : '.'}`, '');
  return `${lines.join('\n')}\n`;
}
