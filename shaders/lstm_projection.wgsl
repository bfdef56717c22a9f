// The output projection of an LSTM with proj_size (PyTorch): h = m W_hr for one time step, where
// m = o * act(c) [D][B][H] was left in S by recurrent_step.wgsl (PROJ). One thread per projected
// feature p of one batch row and direction (workgroup_id.y = row, .z = direction). It also does what
// the step kernel does for other cells: writes h into the other ping-pong slot and the output view,
// and at a masked step keeps h and repeats the previous output (or writes zeros).
//
// Buffers: the same bindings and Params as recurrent_step.wgsl (K = P here).
//   U: per direction d at d * uDir, after the recurrent kernel [K][H], bias [H] and peepholes [H]:
//      W_hr as U[(j4 * K) + p] = the weights of m[4*j4 .. 4*j4+3] for output p (zeros past H).
//   S: h slots [2][D][B][K], c at cBase, m at mBase.

// 64 threads: a multiple of every GPU's SIMD width, within the compatibility-mode limit.
const WG: u32 = 64u;

// Dir, Params and the P / S / Y / st bindings: step_params.wgsl.

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  let K = st.K;
  let p = wid.x * WG + lid.x;
  let b = wid.y;
  let d = wid.z;
  if (p >= K || b >= st.B) { return; }
  let di = st.dir[d];
  let row = d * st.B * K + b * K;
  let hIn = st.slotIn * st.DBK + row;
  let hOut = (1u - st.slotIn) * st.DBK + row;
  let y = di.yOff + b * st.ySB + p;
  if (st.maskOn != 0u && P[st.maskBase + di.tIn * st.B + b] < 0.5) {
    keepMasked(hOut + p, S[hIn + p], y, di.hasPrev, di.prevYOff + b * st.ySB + p);
    return;
  }
  let m = st.mBase + d * st.B * H + b * H;
  let wBase = d * st.uDir + K * H + 2u * H;
  var acc = 0.0;
  for (var q = 0u; q < (H + 3u) / 4u; q++) {
    let j = 4u * q;
    var mv = vec4<f32>(S[m + j], 0.0, 0.0, 0.0);
    if (j + 1u < H) { mv.y = S[m + j + 1u]; }
    if (j + 2u < H) { mv.z = S[m + j + 2u]; }
    if (j + 3u < H) { mv.w = S[m + j + 3u]; }
    acc += dot(mv, loadU(wBase + q * K + p));
  }
  S[hOut + p] = acc;
  Y[y] = acc;
}
