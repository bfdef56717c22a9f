// Y(t, b, :) = act(X(t, b, :) . W + bias), as matmul.wgsl computes it, for CPU-emulated adapters and
// inputs of at most 256 features (K): each thread owns CPT quads of four consecutive columns and
// copies their K rows of W into private memory once, then runs through the workgroup's rows of X (p.rows of them),
// each row's quads of x loaded once (from storage, or for K > 128 from the row staged in workgroup
// memory: STAGED) and shared across lanes (subgroupShuffle) where the adapter has subgroups. On
// llvmpipe a storage load at a computed address is a scalar loop over the SIMD lanes, while the
// private weights are read at constant indices (the reduction is written out in full): a multiply-add
// costs a fraction of a load.
// Same buffers and Params as matmul.wgsl (matmul_params.wgsl); W bound as vec4s (matmul_w4.wgsl).
override ACT: u32 = 0u;
override VEC_W: bool = true;
// Stage each row of X in workgroup memory first (matmulProgram sets it for K > 128): read from
// storage inside the long reduction, Mesa's compiler computed every product first and spilled it
// (K = 256: 1.5x slower); the staged rows cost a barrier a row, more than they save for smaller K.
override STAGED: bool = false;

const WG: u32 = 64u;            // threads, each owning CPT * 4 columns: CPT * 256 per workgroup

// Column quads a thread owns (1 or 2; matmulProgram writes it here): quad u is columns
// ((wid.x * CPT + u) * WG + thread) * 4 ..+3, and each quad of x a lane loads and broadcasts then feeds
// CPT quads' multiply-adds.
const CPT: u32 = 1u;

// Rows of W a thread keeps, UROWS per column quad: matmulProgram writes CPT times K rounded up to
// whole broadcasts of quads (rows past K are zero) here, since a private array's size must be a
// constant.
const RES_K: u32 = 1u;
const UROWS: u32 = RES_K / CPT;
var<private> wres: array<vec4<f32>, RES_K>;

// Params, X, Y, p, xRow and yRow: matmul_params.wgsl; W, wRow(), xQuad() and storeQuad(): matmul_w4.wgsl.

// Two staged rows of X (STAGED), 64 quads each (K <= 256), zero past K.
var<workgroup> xs: array<vec4<f32>, 128>;
// With STAGED, each thread's index, read back after a barrier (see main).
var<workgroup> laneIds: array<u32, WG>;

// Inputs 4q .. 4q+3 (zero past K) of the row starting at xb, or with STAGED of staged row xb (0, 1).
fn quad(xb: u32, q: u32) -> vec4<f32> {
  if (STAGED) { return xs[xb * 64u + q]; }
  return xQuad(xb, q);
}

// Quad q's share of the thread's column quad u, its four products summed (adding them to the sum one
// at a time, as recurrent_resident.wgsl's addPart does from 4 rows, made a Dense of 64 inputs and 1024
// units over 2048 rows 25% slower on llvmpipe: 22 -> 27-28 ms in three alternated runs of a scratch
// script, 2026-11-27).
fn term(xv: vec4<f32>, q: u32, u: u32) -> vec4<f32> {
  let k = u * UROWS + 4u * q;
  return xv.x * wres[k] + xv.y * wres[k + 1u] + xv.z * wres[k + 2u] + xv.w * wres[k + 3u];
}

// struct Lane and subgroupLane(): broadcast_plain.wgsl or broadcast_subgroups.wgsl; reduce(xb, sl), for
// each column quad u < CPT the sum of term(quad(xb, q), q, u) over the quads of a row:
// reduceSource() in src/kernels/broadcast.ts.

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3u) {
  let row0 = wid.y * p.rows;
  let end = min(row0 + p.rows, p.M);
  var li = lane.index;
  if (STAGED) {
    // Thread i stages quad i of the next row while this one is reduced; one barrier a row. After a
    // barrier llvmpipe would recompute a value derived from the invocation index with per-lane integer
    // divisions at each use (recurrent_resident.wgsl says more); one loaded from memory is kept.
    xs[li] = xQuad(xRow(row0), li);
    laneIds[li] = li;
    workgroupBarrier();
    li = laneIds[lane.index];
  }
  let c0 = (wid.x * CPT * WG + li) * 4u;
  let c1 = c0 + 4u * WG;
  let sl = subgroupLane(lane);
  let live0 = c0 < p.N;
  let live1 = CPT == 2u && c1 < p.N;
  for (var k = 0u; k < RES_K; k++) {
    // Row k % UROWS of column quad k / UROWS.
    let live = select(live0, live1, k >= UROWS);
    var w = vec4<f32>(0.0);
    if (live && k % UROWS < p.K) { w = wRow(k % UROWS, select(c0, c1, k >= UROWS)); }
    wres[k] = w;
  }
  var bias0 = vec4<f32>(0.0);
  var bias1 = vec4<f32>(0.0);
  if (p.hasBias != 0u) {
    if (live0) { bias0 = wRow(p.K, c0); }
    if (live1) { bias1 = wRow(p.K, c1); }
  }
  var buf = 0u;
  for (var r = row0; r < end; r++) {
    if (STAGED && r + 1u < end) { xs[(1u - buf) * 64u + li] = xQuad(xRow(r + 1u), li); }
    // Every lane reduces (the broadcasts need them all); those past N store nothing.
    let v = reduce(select(xRow(r), buf, STAGED), sl);
    if (live0) { storeQuad(yRow(r), c0, v[0] + bias0); }
    if (live1) { storeQuad(yRow(r), c1, v[1] + bias1); }
    if (STAGED) {
      workgroupBarrier();
      buf = 1u - buf;
    }
  }
}
