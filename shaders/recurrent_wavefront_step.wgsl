// The stacked pair of recurrent_wavefront.wgsl as a dispatch per iteration, spread over the whole GPU
// like recurrent_step.wgsl: dispatch s runs layer 1's step s (s < T) and layer 2's step s - 1 (s > 0),
// so the pair's 2T layer-steps take T + 1 dispatches instead of 2T, and layer 2 needs no input
// projection pass: its step reduces [h1; h2] against its input and recurrent kernels stacked, as in the
// wavefront kernel (same weight buffer, wavefrontLayout in src/kernels/wavefront.ts).
//
// Workgroups: x covers layer 1's units (gx1 of them, UW units each) then layer 2's, y the batch in
// groups of R rows. Each unit's reduction is split into KS slices (threads = UW * KS) that meet in
// workgroup memory, as in the step kernel without subgroups (step_reduce.wgsl's SS = UPG = 1 here).
//
// S: h in two ping-pong slots [2][B][H1 + H2], each row h1 then h2 (dispatch s reads slot s % 2 and
// writes the other), c [B][H1 + H2] at cBase, then each workgroup's dispatch count at ctrBase: every
// dispatch of the pair binds one uniform block, so the host sets the bind group once for all T + 1 of
// them, and each workgroup derives s from the count it keeps (step_params.wgsl's counted steps). The
// count returns to 0 after the last dispatch, and a layer's first step (layer 1 at s = 0, layer 2 at
// s = 1) starts from zero state without reading it (fresh()), so the plan never clears S: a new
// buffer is zeroed, and what a pass leaves in h and c is never read by the next.
// P: layer 1's projections x W1 + b1, [T][B][G * H1]. Y: layer 2's output view.
// CELL (0 or 1), G, ACT_*, PEEPHOLE, INPUT_FORGET: cells.wgsl; U and loadU(): weights_f32.wgsl or
// weights_f16.wgsl; the reduction (reduceRows, reading h through hAt): reduce_rows.wgsl; the slices'
// meeting (shareSums, sliceSum): step_reduce.wgsl.
override R: u32 = 1u;           // batch rows per workgroup (1, 2 or 4)
override UW: u32 = 16u;         // units per workgroup
override KS: u32 = 1u;          // slices of each unit's reduction
override WGT: u32 = 16u;        // threads per workgroup, UW * KS

const MAX_R: u32 = 4u;

// Params, pre() and pairCell(): wavefront_pair.wgsl.

@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> st: Params;

// Partial sums [R][KS][UW]: at most 4 * 256 vec4s, the compatibility-mode limit of 16 KiB.
var<workgroup> part: array<vec4<f32>, 1024>;

// [h1; h2] for reduceRows (reduce_rows.wgsl).
fn hAt(i: u32) -> f32 {
  return S[i];
}

// Whether unit j of layer 1 (second = false) or layer 2 runs at dispatch s: layer 1 runs its steps
// 0 .. T - 1 at dispatches 0 .. T - 1, layer 2 its steps at 1 .. T.
fn runs(second: bool, j: u32, s: u32) -> bool {
  if (second) { return s > 0u && j < st.H2; }
  return s < st.T && j < st.H1;
}

// Whether dispatch s runs layer 1's (second = false) or layer 2's first step, whose h and c are 0.
fn fresh(second: bool, s: u32) -> bool {
  return s == select(0u, 1u, second);
}

// The epilogue of row b, unit j of layer 1 (second = false, at step s) or layer 2 (at step s - 1),
// given its sums a (every gate): the cell, the new state, the output.
fn finish(second: bool, b: u32, j: u32, a: vec4<f32>, s: u32) {
  // The unit's column in a row of [h1; h2] (and of c).
  let col = select(0u, st.H1, second) + j;
  let cIdx = st.cBase + b * st.row + col;
  let hc = pairCell(second, b, j, s, a, select(S[cIdx], 0.0, fresh(second, s)));
  if (CELL != 0u) { S[cIdx] = hc.y; }
  S[(1u - s % 2u) * st.B * st.row + b * st.row + col] = hc.x;
  if (second) { Y[st.yBase + (s - 1u) * st.ysT + b * st.ySB + j] = hc.x; }
}

@compute @workgroup_size(WGT)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let ctr = st.ctrBase + wid.y * st.gx + wid.x;
  let s = u32(S[ctr]);
  let second = wid.x >= st.gx1;
  let j = select(wid.x, wid.x - st.gx1, second) * UW + lid.x % UW;
  let slice = lid.x / UW;
  let b0 = wid.y * R;
  let on = runs(second, j, s);
  // Layer 1 reduces h1 (H1 inputs) against its recurrent kernel, layer 2 [h1; h2] against its stacked
  // one. At a layer's first step its own h is 0: layer 1 has nothing to reduce, layer 2 only h1.
  let K = select(select(st.H1, 0u, fresh(false, s)), select(st.row, st.H1, fresh(true, s)), second);
  let cols = select(st.H1, st.H2, second);
  let uBase = select(0u, st.u2, second);
  let hIn = (s % 2u) * st.B * st.row;
  var rowBase: array<u32, MAX_R>;
  for (var r = 0u; r < R; r++) { rowBase[r] = hIn + min(b0 + r, st.B - 1u) * st.row; }

  var acc: array<vec4<f32>, MAX_R>;
  if (on) { acc = reduceRows(rowBase, K, uBase, cols, j, slice); }   // reduce_rows.wgsl
  if (KS == 1u) {
    if (on) {
      for (var r = 0u; r < R; r++) {
        if (b0 + r < st.B) { finish(second, b0 + r, j, acc[r], s); }
      }
    }
  } else {
    shareSums(acc, slice, lid.x % UW);
    workgroupBarrier();
    // One (row, unit) pair per iteration, its slices summed.
    for (var e = lid.x; e < UW * R; e += WGT) {
      let r = e / UW;
      let jj = e % UW;
      let jo = select(wid.x, wid.x - st.gx1, second) * UW + jj;
      if (!runs(second, jo, s) || b0 + r >= st.B) { continue; }
      finish(second, b0 + r, jo, sliceSum(r, jj), s);
    }
  }
  // Once every thread has read the count, the first writes the next (as step_params.wgsl's countStep).
  storageBarrier();
  if (lid.x == 0u) { S[ctr] = f32((s + 1u) % (st.T + 1u)); }
}
