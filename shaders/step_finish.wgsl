// A gate's pre-activation, clipped (clip is 3.0e38 where the layer sets none).
fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

// The epilogue for row b, unit j of direction d at step `di` (stepNow), given its recurrent sums a
// (every gate): activations, state update, output.
fn finish(d: u32, b: u32, j: u32, a: vec4<f32>, hIn: u32, uBase: u32, di: StepNow) {
  let H = st.H;
  let K = st.K;
  let rowDB = d * st.B * H + b * H;
  let masked = st.maskOn != 0u && P[st.maskBase + di.tIn * st.B + b] < 0.5;
  // With PROJ, c stays and the projection kernel keeps h and writes the output.
  if (PROJ && masked) { return; }
  // Without PROJ, K = H: h and c rows line up.
  let hOut = (1u - di.slotIn) * st.DBK + d * st.B * K + b * K;
  let hPrev = S[hIn + b * K + j];
  let y = di.yOff + b * st.ySB + j;
  if (masked) {
    keepMasked(hOut + j, hPrev, y, di.hasPrev, di.prevYOff + b * st.ySB + j);
    return;
  }
  let pb = di.tIn * st.B * st.pRow + b * st.pRow + d * st.GH + j;
  var h = 0.0;
  if (CELL == 0u) {
    h = activate(ACT_G, pre(P[pb] + a.x), st.aG, st.bG);
  } else if (CELL == 1u) {
    let cIdx = st.cBase + rowDB + j;
    var peep = vec4<f32>(0.0);
    if (PEEPHOLE) { peep = loadU(uBase + K * H + H + j); }
    let hc = lstmCell(vec4<f32>(P[pb], P[pb + H], P[pb + 2u * H], P[pb + 3u * H]) + a, S[cIdx], peep);
    h = hc.x;
    S[cIdx] = hc.y;
  } else {
    h = gruCell(vec3<f32>(P[pb], P[pb + H], P[pb + 2u * H]), a, loadU(uBase + K * H + j), hPrev);
  }
  if (PROJ) {
    S[st.mBase + rowDB + j] = h;
  } else {
    S[hOut + j] = h;
    Y[y] = h;
  }
}
