// What the two kernels of a stacked pair share, recurrent_wavefront.wgsl and
// recurrent_wavefront_step.wgsl: their Params (writeWavefrontParams in src/kernels/wavefront.ts; the
// last four fields are the step kernel's), and the cell of a unit.

// U (binding 0, weights_f32.wgsl or weights_f16.wgsl): layer 1's block (recurrent_step.wgsl's
// layout), then at u2 layer 2's [H1 + H2] rows ([ceil((H1 + H2) / 4)] quads for SimpleRNN), its
// biases at bias2 and peepholes at peep2. P: layer 1's x W + b, [T][B][pRow]. Layer 2's output: step
// s of row b at yBase + s * ysT + b * ySB (ysT = 0: the last step only).
struct Params {
  B: u32, H1: u32, H2: u32, T: u32,
  row: u32, pRow: u32, u2: u32, bias2: u32,   // row = H1 + H2
  peep1: u32, peep2: u32, yBase: u32, ySB: u32,
  ysT: u32, clip: f32, aF: f32, bF: f32,
  aG: f32, bG: f32, aH: f32, bH: f32,
  // The step kernel's state buffer (c at cBase, the workgroups' dispatch counts at ctrBase), and its
  // workgroups in x: gx1 for layer 1's units, gx in all.
  cBase: u32, ctrBase: u32, gx1: u32, gx: u32,
}

fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

// Layer 1's unit j (second = false) or layer 2's, of row b, at iteration s (layer 1's step s, layer
// 2's step s - 1), given its sums a (every gate) and its c: the pre-activations (layer 1's input
// projection from P, layer 2's bias: its x W is in a), then the cell. Returns (h, c); c is 0 for a
// SimpleRNN.
fn pairCell(second: bool, b: u32, j: u32, s: u32, a: vec4<f32>, cPrev: f32) -> vec2<f32> {
  var z = a;
  if (second) {
    z += loadU(st.bias2 + j);
  } else {
    let pb = s * st.B * st.pRow + b * st.pRow + j;
    z.x += P[pb];
    if (G == 4u) { z += vec4<f32>(0.0, P[pb + st.H1], P[pb + 2u * st.H1], P[pb + 3u * st.H1]); }
  }
  if (CELL == 0u) { return vec2<f32>(activate(ACT_G, pre(z.x), st.aG, st.bG), 0.0); }
  var peep = vec4<f32>(0.0);
  if (PEEPHOLE) { peep = loadU(select(st.peep1, st.peep2, second) + j); }
  return lstmCell(z, cPrev, peep);
}
