// One time step of a GRU whose reset gate applies before the recurrent matmul (Keras resetAfter:
// false, ONNX linear_before_reset = 0): candidate = g(x W_h + (r * h_prev) U_h + b_h). Every unit needs
// the whole vector r * h_prev, so one workgroup owns one (row, direction) and loops over units: phase 1
// computes z and r * h_prev into S scratch, a barrier, phase 2 the candidate and the new state.
// Same buffers (U in the interleaved vec4 layout: z, r, h in .xyz) and parameters as
// recurrent_step.wgsl; S additionally holds scratch rh [D][B][H] at 3*DBH and z [D][B][H] at 4*DBH.
override ACT_F: u32 = 2u;
override ACT_G: u32 = 4u;

// Units per pass of the loop; 64 fits the compatibility-mode invocation limit.
const WG: u32 = 64u;

// Dir, Params and the P / S / Y / st bindings: step_params.wgsl.

fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  let GH = st.GH;
  let b = wid.x;
  let d = wid.y;
  let di = st.dir[d];
  let rowDB = d * st.B * H + b * H;
  let hIn = st.slotIn * st.DBH + rowDB;
  let hOut = (1u - st.slotIn) * st.DBH + rowDB;
  let rh = 3u * st.DBH + rowDB;
  let zs = 4u * st.DBH + rowDB;
  let uBase = d * st.uDir;
  let pb = di.tIn * st.B * st.pRow + b * st.pRow + d * GH;
  var valid = true;
  if (st.maskOn != 0u) { valid = P[st.maskBase + di.tIn * st.B + b] > 0.5; }

  if (valid) {
    for (var j = lid.x; j < H; j += WG) {
      var az = 0.0;
      var ar = 0.0;
      for (var k = 0u; k < H; k++) {
        let hk = S[hIn + k];
        let u = loadU(uBase + k * H + j);
        az += hk * u.x;
        ar += hk * u.y;
      }
      let z = activate(ACT_F, pre(P[pb + j] + az), st.aF, st.bF);
      let r = activate(ACT_F, pre(P[pb + H + j] + ar), st.aF, st.bF);
      S[zs + j] = z;
      S[rh + j] = r * S[hIn + j];
    }
  }
  storageBarrier();
  workgroupBarrier();
  for (var j = lid.x; j < H; j += WG) {
    let y = di.yOff + b * st.ySB + j;
    let hPrev = S[hIn + j];
    if (!valid) {
      keepMasked(hOut + j, hPrev, y, di.hasPrev, di.prevYOff + b * st.ySB + j);
      continue;
    }
    var acc = 0.0;
    for (var k = 0u; k < H; k++) { acc += S[rh + k] * loadU(uBase + k * H + j).z; }
    let cand = activate(ACT_G, pre(P[pb + 2u * H + j] + acc), st.aG, st.bG);
    let z = S[zs + j];
    let h = z * hPrev + (1.0 - z) * cand;
    S[hOut + j] = h;
    Y[y] = h;
  }
}
