// The LSTM and GRU (reset gate after the matmul) cell equations, and the cell overrides, shared by
// recurrent_step.wgsl, recurrent_sequence.wgsl and recurrent_resident.wgsl: the gates'
// pre-activations (input projection plus recurrent sums) and the previous state in, the new state
// out. They use the kernel's pre() (clip) and its uniforms st.aF .. st.bH, which the kernels name alike.
override CELL: u32 = 1u;        // 0 SimpleRNN, 1 LSTM, 2 GRU reset-after, 3 GRU reset-before (sequence kernels)
override G: u32 = 4u;           // gates: 1, 4, 3
override ACT_F: u32 = 2u;       // gate activation (sigmoid)
override ACT_G: u32 = 4u;       // candidate activation (tanh); SimpleRNN's activation
override ACT_H: u32 = 4u;       // LSTM output activation (tanh)
override PEEPHOLE: bool = false;
override INPUT_FORGET: bool = false;

// LSTM: z holds the pre-activations of the i, f, c, o gates; peep the peepholes (i, f, o; zero without
// PEEPHOLE). Returns (h, c).
fn lstmCell(z: vec4<f32>, cPrev: f32, peep: vec4<f32>) -> vec2<f32> {
  var zi = z.x;
  var zf = z.y;
  if (PEEPHOLE) {
    zi += peep.x * cPrev;
    zf += peep.y * cPrev;
  }
  let i = activate(ACT_F, pre(zi), st.aF, st.bF);
  var f = 1.0 - i;
  if (!INPUT_FORGET) { f = activate(ACT_F, pre(zf), st.aF, st.bF); }
  let c = f * cPrev + i * activate(ACT_G, pre(z.z), st.aG, st.bG);
  let o = activate(ACT_F, pre(z.w + peep.z * c), st.aF, st.bF);
  return vec2<f32>(o * activate(ACT_H, c, st.aH, st.bH), c);
}

// GRU with the reset gate after the matmul: x the input projections (z, r, h), a the recurrent sums
// and rb the recurrent biases (.xyz). Returns h.
fn gruCell(x: vec3<f32>, a: vec4<f32>, rb: vec4<f32>, hPrev: f32) -> f32 {
  let z = activate(ACT_F, pre(x.x + a.x + rb.x), st.aF, st.bF);
  let r = activate(ACT_F, pre(x.y + a.y + rb.y), st.aF, st.bF);
  let cand = activate(ACT_G, pre(x.z + r * (a.z + rb.z)), st.aG, st.bG);
  return z * hPrev + (1.0 - z) * cand;
}
