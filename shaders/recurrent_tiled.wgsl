// One time step of an LSTM or GRU (reset gate after the matmul) layer for a batch, fused like
// recurrent_step.wgsl (same buffers, uniforms and epilogue, step_finish.wgsl), but tiled for batches:
// a workgroup owns UW units of 4 * RG batch rows. Each chunk of BK inputs of those rows' h_prev is first
// staged in workgroup memory as quads of rows (hq[k][rg] = rows 4 rg .. 4 rg + 3 at input k), so each
// thread's multiply-adds read one vec4 of h there per input and one vec4 of weights (every gate of its
// unit), for 16 multiply-adds: four rows' sums of one unit, held in four named registers. Each unit's
// reduction is split into KS slices of the inputs (threads = UW * RG * KS), whose partial sums meet in
// workgroup memory. Both directions of a bidirectional layer run in the same dispatch
// (workgroup_id.z = direction); dispatch (ceil(H / UW), ceil(B / (4 RG)), D).
// CELL, G, ACT_F, ACT_G, ACT_H, PEEPHOLE, INPUT_FORGET: cells.wgsl (CELL 1 or 2, G > 1 here).
override UW: u32 = 16u;         // units per workgroup
override RG: u32 = 4u;          // quads of batch rows per workgroup
override KS: u32 = 4u;          // slices of each unit's reduction
override WGT: u32 = 256u;       // threads, UW * RG * KS (at most 256: the partial sums fill buf)
override BK: u32 = 64u;         // inputs per staged chunk of h (BK * RG <= 1024)

// The epilogue's output projection path (recurrent_step.wgsl's PROJ) never runs here.
const PROJ: bool = false;

// Dir, Params and the P / S / Y / st bindings: step_params.wgsl.

// The staged chunk of h, hq[k * RG + rg]; after the reduction, the partial sums [KS][4 RG][UW]
// (4 * WGT vec4s). 16 KiB, the compatibility-mode limit.
var<workgroup> buf: array<vec4<f32>, 1024>;

@compute @workgroup_size(WGT)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  let K = st.K;
  let lane = lid.x % UW;
  let rg = (lid.x / UW) % RG;
  let slice = lid.x / (UW * RG);
  // A thread past the last unit reduces over a real column and writes nothing.
  let j = min(wid.x * UW + lane, H - 1u);
  let b0 = wid.y * 4u * RG;
  let d = wid.z;
  let s = stepIndex(wid);
  let now = stepNow(d, s);
  let hIn = now.slotIn * st.DBK + d * st.B * K;
  let uBase = d * st.uDir;

  // a<i>: this slice's share of h_prev[b0 + 4 rg + i] . U[:, j], every gate at once.
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < K; k0 += BK) {
    let n = min(BK, K - k0);
    workgroupBarrier();
    // One thread writes each quad whole (a write to one component may touch the whole vec4);
    // consecutive threads read consecutive inputs of the same rows. Rows past B stage zeros.
    for (var e = lid.x; e < RG * BK; e += WGT) {
      let k = e % BK;
      let q = e / BK;
      let b = b0 + 4u * q;
      let hk = hIn + k0 + k;
      var v = vec4<f32>(0.0);
      if (k < n) {
        if (b < st.B) { v.x = S[hk + b * K]; }
        if (b + 1u < st.B) { v.y = S[hk + (b + 1u) * K]; }
        if (b + 2u < st.B) { v.z = S[hk + (b + 2u) * K]; }
        if (b + 3u < st.B) { v.w = S[hk + (b + 3u) * K]; }
      }
      buf[k * RG + q] = v;
    }
    workgroupBarrier();
    let w = uBase + k0 * H + j;
    var k = slice;
    // Four independent weight loads per iteration, then their multiply-adds.
    for (; k + 3u * KS < n; k += 4u * KS) {
      let u0 = loadU(w + k * H);
      let u1 = loadU(w + (k + KS) * H);
      let u2 = loadU(w + (k + 2u * KS) * H);
      let u3 = loadU(w + (k + 3u * KS) * H);
      let h0 = buf[k * RG + rg];
      let h1 = buf[(k + KS) * RG + rg];
      let h2 = buf[(k + 2u * KS) * RG + rg];
      let h3 = buf[(k + 3u * KS) * RG + rg];
      a0 += h0.x * u0 + h1.x * u1 + h2.x * u2 + h3.x * u3;
      a1 += h0.y * u0 + h1.y * u1 + h2.y * u2 + h3.y * u3;
      a2 += h0.z * u0 + h1.z * u1 + h2.z * u2 + h3.z * u3;
      a3 += h0.w * u0 + h1.w * u1 + h2.w * u2 + h3.w * u3;
    }
    for (; k < n; k += KS) {
      let u0 = loadU(w + k * H);
      let h0 = buf[k * RG + rg];
      a0 += h0.x * u0;
      a1 += h0.y * u0;
      a2 += h0.z * u0;
      a3 += h0.w * u0;
    }
  }
  workgroupBarrier();
  let p = (slice * 4u * RG + 4u * rg) * UW + lane;
  buf[p] = a0;
  buf[p + UW] = a1;
  buf[p + 2u * UW] = a2;
  buf[p + 3u * UW] = a3;
  workgroupBarrier();
  // One (row, unit) pair per iteration, its slices summed.
  for (var e = lid.x; e < 4u * RG * UW; e += WGT) {
    let row = e / UW;
    let u = e % UW;
    let jo = wid.x * UW + u;
    if (jo >= H || b0 + row >= st.B) { continue; }
    var a = vec4<f32>(0.0);
    for (var q = 0u; q < KS; q++) { a += buf[(q * 4u * RG + row) * UW + u]; }
    finish(d, b0 + row, jo, a, hIn, uBase, now);
  }
  countStep(lid.x == 0u, wid, s);
}
