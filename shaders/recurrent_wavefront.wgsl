// Two stacked layers in one dispatch, as a wavefront: at iteration s, layer 1 runs its step s and
// layer 2 its step s - 1, whose input (layer 1's h of step s - 1) is already in workgroup memory. The
// two layers' 2T steps take T + 1 iterations, with no dispatch, no trip through global memory and
// no barrier between the layers. Layer 1's output never leaves the workgroup.
//
// Layer 2's input projection runs inside its step: its weights are W and U stacked ([H1 + H2][H2]),
// and each row of workgroup memory holds [h1; h2] side by side, so its step is one reduction over
// H1 + H2 inputs. Layer 1's input projection of every step comes from a matmul pass before it (P).
//
// One workgroup runs R batch rows of both layers (no workgroup waits on another): dispatch
// (ceil(B / R), 1). Both layers forward, from zero states, unmasked, SimpleRNN or LSTM with the same
// cell options (cells.wgsl's overrides and Params' clip and activation parameters); their units may
// differ. A lane owns up to MAX_UPT units: ceil(H1 / UL) of layer 1, then ceil(H2 / UL) of layer 2.
// Each unit's reduction is split over KS slices of threads (WGS = UL * KS); slice 0 keeps its share
// in registers, adds the other slices' from `part`, and runs the cell.
override R: u32 = 1u;           // batch rows per workgroup
override WGS: u32 = 64u;        // threads, UL * KS
override UL: u32 = 64u;         // unit lanes
override KS: u32 = 1u;          // slices of each unit's reduction

const MAX_UPT: u32 = 4u;
const MAX_R: u32 = 4u;
// Capacity of one [R][H1 + H2] buffer (two: the current h and the next), and of the partial sums
// [MAX_UPT][R][KS - 1][UL]: 4 + 12 KiB, the compatibility-mode limit of 16 KiB.
const CAP: u32 = 512u;
const PART: u32 = 768u;

// Params, pre() and pairCell(): wavefront_pair.wgsl. The reduction (reduceRows): reduce_rows.wgsl.

@group(0) @binding(1) var<storage, read> P: array<f32>;   // layer 1's x W + b, [T][B][pRow]
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> st: Params;

var<workgroup> hv: array<f32, 1024>;   // [2][R][row]: h1 then h2 of each row
var<workgroup> part: array<vec4<f32>, PART>;

fn partAt(q: u32, r: u32, slice: u32, lane: u32) -> u32 {
  return ((q * R + r) * (KS - 1u) + slice - 1u) * UL + lane;
}

// [h1; h2] of each row for reduceRows (reduce_rows.wgsl).
fn hAt(i: u32) -> f32 {
  return hv[i];
}

// This slice's share of the first K values of each row of hv buffer `cur` dotted with column j of the
// matrix at uBase (reduceRows' layout).
fn reduce(cur: u32, uBase: u32, cols: u32, K: u32, j: u32, slice: u32) -> array<vec4<f32>, MAX_R> {
  var rowBase: array<u32, MAX_R>;
  for (var r = 0u; r < R; r++) { rowBase[r] = cur * CAP + r * st.row; }
  return reduceRows(rowBase, K, uBase, cols, j, slice);
}

@compute @workgroup_size(WGS)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let b0 = wid.x * R;
  let rows = min(R, st.B - b0);
  let lane = lid.x % UL;
  let slice = lid.x / UL;
  let upt1 = (st.H1 + UL - 1u) / UL;
  let upt = upt1 + (st.H2 + UL - 1u) / UL;

  // Zero states: both h buffers (layer 2's h stays zero through iteration 0) and c.
  for (var i = lid.x; i < 2u * CAP; i += WGS) { hv[i] = 0.0; }
  var c: array<array<f32, MAX_R>, MAX_UPT>;
  workgroupBarrier();

  var cur = 0u;
  for (var s = 0u; s <= st.T; s++) {
    // Unit slot q: layer 2 from upt1 on. Layer 1 runs steps 0 .. T - 1 at iterations 0 .. T - 1,
    // layer 2 steps 0 .. T - 1 at iterations 1 .. T.
    var acc: array<array<vec4<f32>, MAX_R>, MAX_UPT>;
    for (var q = 0u; q < MAX_UPT; q++) {
      if (q >= upt) { break; }
      let second = q >= upt1;
      let j = lane + select(q, q - upt1, second) * UL;
      if (j >= select(st.H1, st.H2, second) || select(s == st.T, s == 0u, second)) { continue; }
      var a: array<vec4<f32>, MAX_R>;
      if (second) {
        a = reduce(cur, st.u2, st.H2, st.H1 + st.H2, j, slice);
      } else {
        a = reduce(cur, 0u, st.H1, st.H1, j, slice);
      }
      if (slice == 0u) {
        acc[q] = a;
      } else {
        for (var r = 0u; r < rows; r++) { part[partAt(q, r, slice, lane)] = a[r]; }
      }
    }
    workgroupBarrier();

    for (var q = 0u; q < MAX_UPT; q++) {
      if (q >= upt || slice != 0u) { break; }
      let second = q >= upt1;
      let j = lane + select(q, q - upt1, second) * UL;
      if (j >= select(st.H1, st.H2, second) || select(s == st.T, s == 0u, second)) { continue; }
      for (var r = 0u; r < rows; r++) {
        var a = acc[q][r];
        for (var sl = 1u; sl < KS; sl++) { a += part[partAt(q, r, sl, lane)]; }
        let b = b0 + r;
        let hc = pairCell(second, b, j, s, a, c[q][r]);
        let h = hc.x;
        if (CELL != 0u) { c[q][r] = hc.y; }
        hv[(1u - cur) * CAP + r * st.row + select(0u, st.H1, second) + j] = h;
        if (second) { Y[st.yBase + (s - 1u) * st.ysT + b * st.ySB + j] = h; }
      }
    }
    workgroupBarrier();
    cur = 1u - cur;
  }
}
