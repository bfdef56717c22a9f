// One time step of a SimpleRNN, LSTM or GRU (reset gate after the matmul) layer, fused: the
// recurrent matmul for all gates, plus the precomputed input projection P (bias included), the
// activations and the state update, writing the new hidden state straight into the consumer's view.
// A workgroup owns UW units of R batch rows, so each weight it loads serves R rows, and splits each
// unit's recurrent reduction into KS slices (threads = UW * KS) whose partial sums meet in workgroup
// memory: more threads and independent loads in flight per unit keep a GPU's memory busy (KS = 1 on
// CPU-emulated adapters, where one thread per unit is fastest). With the `subgroups` feature (SS > 1)
// SS of a unit's slices first meet in a subgroup (step_reduce.wgsl), so only KS / SS partial sums per
// unit go through workgroup memory, and none when SS = KS: then there is no barrier, and each of a
// unit's SS lanes finishes every SS-th row. Both directions of a bidirectional layer run in the same
// dispatch (workgroup_id.z = direction).
// STAGE (CPU-emulated adapters, KS = 1): the R rows of h_prev are first copied into workgroup memory
// as vec4s, tile by tile, and the reduction reads them from there. On llvmpipe every storage-buffer
// load whose address is not a compile-time constant runs as a per-invocation scalar loop with a bounds
// check, while a workgroup vec4 load costs about one such load for four values: this halves a step.
//
// Buffers (U in vec4s, the rest in f32). K is the size of h: H, or P with an LSTM projection.
//   U: per direction d at d * uDir: for G > 1, U[k*H + j] = unit j's gate weights for input k < K,
//      gates in .xyzw (Keras order; GRU's .w is 0), then recurrent bias [H] (GRU reset-after) and
//      peepholes [H] (i, f, o), then the projection (lstm_projection.wgsl); for G = 1,
//      U[k4*H + j] = the weights of inputs 4*k4 .. 4*k4+3 of unit j.
//   P: projections [T][B][D*G*H] (gate g of unit j at d*G*H + g*H + j), then the mask [T][B] if maskOn.
//   S: h in two ping-pong slots [2][D][B][K] (read slot slotIn, write the other), then c [D][B][H] at
//      cBase; with PROJ, m = o * act(c) [D][B][H] at mBase; with counted steps, each workgroup's step
//      count at ctrBase (step_params.wgsl: then slotIn and dir come from stepNow, not the uniforms).
//   Y: the output view; row b's unit j goes to yOff + b*ySB + j.
// With PROJ the step writes m (and c) only: lstm_projection.wgsl then computes h = m W_hr, writes the
// h slot and Y, and handles masked steps.
// CELL, G, ACT_F, ACT_G, ACT_H, PEEPHOLE, INPUT_FORGET: cells.wgsl (CELL 0-2 here).
// The epilogue, finish(), and pre(): step_finish.wgsl, shared with recurrent_tiled.wgsl.
// The unstaged reduction (reduceRows, reading h through hAt): reduce_rows.wgsl; the threads' units and
// slices (laneUnit, laneSlice, SS, UPG) and the slices' meeting (shareSums, sliceSum): step_reduce.wgsl;
// both shared with recurrent_wavefront_step.wgsl. meetInSubgroup: step_meet_subgroups.wgsl (the module
// then starts with `enable subgroups;`) or step_meet_plain.wgsl.
override R: u32 = 1u;           // batch rows per workgroup (1, 2, 4 or 8; R * WGT <= 1024)
override PROJ: bool = false;    // LSTM with an output projection (PyTorch proj_size)
override UW: u32 = 64u;         // units per workgroup
override KS: u32 = 1u;          // slices of each unit's recurrent reduction
override WGT: u32 = 64u;        // threads per workgroup, UW * KS
override STAGE: bool = false;   // stage h_prev in workgroup memory (KS = 1 only)
override TILE4: u32 = 1024u / R; // with STAGE: vec4s of one row's h per tile
override PART: u32 = 1024u;     // vec4s of `part`: 1024, or with subgroups what shareSums needs (at least 1)

const MAX_R: u32 = 8u;

// Dir, Params and the P / S / Y / st bindings: step_params.wgsl.

// Partial sums [R][KS / SS][UW], and with STAGE first the h tiles [R][TILE4]: at most 1024 vec4s
// (16 KiB, the compatibility-mode limit). Sized by PART, since the device zeroes it at every dispatch.
var<workgroup> part: array<vec4<f32>, PART>;

// h_prev for reduceRows (reduce_rows.wgsl).
fn hAt(i: u32) -> f32 {
  return S[i];
}

@compute @workgroup_size(WGT)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  let K = st.K;
  let slice = laneSlice(lid.x);
  let unit = laneUnit(lid.x);
  let j = wid.x * UW + unit;
  let b0 = wid.y * R;
  let d = wid.z;
  let s = stepIndex(wid);
  let now = stepNow(d, s);
  let hIn = now.slotIn * st.DBK + d * st.B * K;
  let uBase = d * st.uDir;
  var rowBase: array<u32, MAX_R>;
  for (var r = 0u; r < R; r++) { rowBase[r] = hIn + min(b0 + r, st.B - 1u) * K; }

  // acc[r] = this slice's share of h_prev[b0 + r] . U[:, j], every gate at once.
  var acc: array<vec4<f32>, MAX_R>;
  if (STAGE) {
    // Tiles of TILE4 vec4s of every row's h (zero past K) in part[r * TILE4 + q].
    let K4 = (K + 3u) / 4u;
    for (var t0 = 0u; t0 < K4; t0 += TILE4) {
      let n4 = min(TILE4, K4 - t0);
      workgroupBarrier();
      for (var e = lid.x; e < R * TILE4; e += WGT) {
        let q = e % TILE4;
        let k = 4u * (t0 + q);
        var v = vec4<f32>(0.0);
        if (q < n4) {
          let hb = hIn + min(b0 + e / TILE4, st.B - 1u) * K + k;
          v.x = S[hb];
          if (k + 1u < K) { v.y = S[hb + 1u]; }
          if (k + 2u < K) { v.z = S[hb + 2u]; }
          if (k + 3u < K) { v.w = S[hb + 3u]; }
        }
        part[e] = v;
      }
      workgroupBarrier();
      if (j < H) {
        if (G == 1u) {
          for (var q = 0u; q < n4; q++) {
            let u = loadU(uBase + (t0 + q) * H + j);
            for (var r = 0u; r < R; r++) { acc[r].x += dot(part[r * TILE4 + q], u); }
          }
        } else {
          // Whole quads of inputs, then (last tile) the K % 4 inputs left, whose h lanes past K are 0.
          let full = min(n4, K / 4u - min(K / 4u, t0));
          for (var q = 0u; q < full; q++) {
            let k = 4u * (t0 + q);
            let u0 = loadU(uBase + k * H + j);
            let u1 = loadU(uBase + (k + 1u) * H + j);
            let u2 = loadU(uBase + (k + 2u) * H + j);
            let u3 = loadU(uBase + (k + 3u) * H + j);
            for (var r = 0u; r < R; r++) {
              let hv = part[r * TILE4 + q];
              acc[r] += hv.x * u0 + hv.y * u1 + hv.z * u2 + hv.w * u3;
            }
          }
          if (full < n4) {
            let k = 4u * (t0 + full);
            for (var i = 0u; k + i < K; i++) {
              let u = loadU(uBase + (k + i) * H + j);
              for (var r = 0u; r < R; r++) { acc[r] += part[r * TILE4 + full][i] * u; }
            }
          }
        }
      }
    }
  } else if (j < H) {
    acc = reduceRows(rowBase, K, uBase, H, j, slice);   // reduce_rows.wgsl
  }
  if (KS == 1u) {
    // One thread per unit: its sums are complete, and no partials need to meet.
    if (j < H) {
      for (var r = 0u; r < R; r++) {
        if (b0 + r < st.B) { finish(d, b0 + r, j, acc[r], hIn, uBase, now); }
      }
    }
  } else if (KS == SS) {
    // Every slice met in the subgroup: its lanes hold the unit's sums and take turns at the rows.
    acc = meetInSubgroup(acc);
    if (j < H) {
      for (var r = slice; r < R; r += SS) {
        if (b0 + r < st.B) { finish(d, b0 + r, j, acc[r], hIn, uBase, now); }
      }
    }
  } else {
    shareSums(meetInSubgroup(acc), slice, unit);
    workgroupBarrier();
    // One (row, unit) pair per iteration, its slices summed.
    for (var e = lid.x; e < UW * R; e += WGT) {
      let r = e / UW;
      let jj = e % UW;
      let jo = wid.x * UW + jj;
      if (jo >= H || b0 + r >= st.B) { continue; }
      finish(d, b0 + r, jo, sliceSum(r, jj), hIn, uBase, now);
    }
  }
  countStep(lid.x == 0u, wid, s);
}
