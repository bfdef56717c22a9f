// One time step of a SimpleRNN, LSTM or GRU (reset gate after the matmul) layer, fused: the
// recurrent matmul for all gates, plus the precomputed input projection P (bias included), the
// activations and the state update, writing the new hidden state straight into the consumer's view.
// A workgroup owns 64 units of R batch rows: each weight it loads serves R rows. Both directions of a
// bidirectional layer run in the same dispatch (workgroup_id.z = direction).
//
// Buffers (U in vec4s, the rest in f32). K is the size of h: H, or P with an LSTM projection.
//   U: per direction d at d * uDir: for G > 1, U[k*H + j] = unit j's gate weights for input k < K,
//      gates in .xyzw (Keras order; GRU's .w is 0), then recurrent bias [H] (GRU reset-after) and
//      peepholes [H] (i, f, o), then the projection (lstm_projection.wgsl); for G = 1,
//      U[k4*H + j] = the weights of inputs 4*k4 .. 4*k4+3 of unit j.
//   P: projections [T][B][D*G*H] (gate g of unit j at d*G*H + g*H + j), then the mask [T][B] if maskOn.
//   S: h in two ping-pong slots [2][D][B][K] (read slot slotIn, write the other), then c [D][B][H] at
//      cBase; with PROJ, m = o * act(c) [D][B][H] at mBase.
//   Y: the output view; row b's unit j goes to yOff + b*ySB + j.
// With PROJ the step writes m (and c) only: lstm_projection.wgsl then computes h = m W_hr, writes the
// h slot and Y, and handles masked steps.
override CELL: u32 = 1u;        // 0 SimpleRNN, 1 LSTM, 2 GRU (reset after)
override G: u32 = 4u;           // gates: 1, 4, 3
override ACT_F: u32 = 2u;       // gate activation (sigmoid)
override ACT_G: u32 = 4u;       // candidate activation (tanh); SimpleRNN's activation
override ACT_H: u32 = 4u;       // LSTM output activation (tanh)
override PEEPHOLE: bool = false;
override INPUT_FORGET: bool = false;
override R: u32 = 1u;           // batch rows per workgroup (1, 2, 4 or 8)
override PROJ: bool = false;    // LSTM with an output projection (PyTorch proj_size)

// 64 units per workgroup: a multiple of every GPU's SIMD width, and within the compatibility-mode
// invocation limit (128). The h tile holds 64 inputs of up to 8 rows.
const WG: u32 = 64u;
const MAX_R: u32 = 8u;

struct Dir {
  tIn: u32,       // time index read from P and the mask
  yOff: u32,      // where row 0's output goes at this step
  prevYOff: u32,  // row 0's output of the previous step (masked steps repeat it)
  hasPrev: u32,
}

struct Params {
  B: u32, H: u32, GH: u32, pRow: u32,
  slotIn: u32, DBH: u32, maskOn: u32, padZero: u32,
  maskBase: u32, ySB: u32, uDir: u32, seqOut: u32,
  clip: f32, aF: f32, bF: f32, aG: f32,
  bG: f32, aH: f32, bH: f32, _pad: u32,
  dir: array<Dir, 2>,
  K: u32, DBK: u32, cBase: u32, mBase: u32,
}

// U (binding 0) and loadU() come from weights_f32.wgsl or weights_f16.wgsl.
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> st: Params;

var<workgroup> hTile: array<f32, 512>;   // MAX_R * WG

fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  let K = st.K;
  let j = wid.x * WG + lid.x;
  let b0 = wid.y * R;
  let d = wid.z;
  let live = j < H;
  let hIn = st.slotIn * st.DBK + d * st.B * K;
  let uBase = d * st.uDir;

  // acc[r] = h_prev[b0 + r] . U[:, j] for every gate at once.
  var acc: array<vec4<f32>, MAX_R>;
  for (var k0 = 0u; k0 < K; k0 += WG) {
    for (var r = 0u; r < R; r++) {
      let k = k0 + lid.x;
      var v = 0.0;
      if (k < K && b0 + r < st.B) { v = S[hIn + (b0 + r) * K + k]; }
      hTile[r * WG + lid.x] = v;
    }
    workgroupBarrier();
    if (live) {
      let n = min(WG, K - k0);
      if (G == 1u) {
        for (var q = 0u; q < (n + 3u) / 4u; q++) {
          let u = loadU(uBase + (k0 / 4u + q) * H + j);
          for (var r = 0u; r < R; r++) {
            let t = r * WG + 4u * q;
            acc[r].x += dot(vec4<f32>(hTile[t], hTile[t + 1u], hTile[t + 2u], hTile[t + 3u]), u);
          }
        }
      } else {
        for (var kk = 0u; kk < n; kk++) {
          let u = loadU(uBase + (k0 + kk) * H + j);
          for (var r = 0u; r < R; r++) { acc[r] += hTile[r * WG + kk] * u; }
        }
      }
    }
    workgroupBarrier();
  }
  if (!live) { return; }

  let di = st.dir[d];
  for (var r = 0u; r < R; r++) {
    let b = b0 + r;
    if (b >= st.B) { break; }
    let rowDB = d * st.B * H + b * H;
    let masked = st.maskOn != 0u && P[st.maskBase + di.tIn * st.B + b] < 0.5;
    // With PROJ, c stays and the projection kernel keeps h and writes the output.
    if (PROJ && masked) { continue; }
    // Without PROJ, K = H: h and c rows line up.
    let hOut = (1u - st.slotIn) * st.DBK + d * st.B * K + b * K;
    let hPrev = S[hIn + b * K + j];
    let y = di.yOff + b * st.ySB + j;
    if (masked) {
      // A masked step keeps the state and repeats the previous output (or writes zeros).
      S[hOut + j] = hPrev;
      if (st.seqOut != 0u) {
        var carried = 0.0;
        if (st.padZero == 0u && di.hasPrev != 0u) { carried = Y[di.prevYOff + b * st.ySB + j]; }
        Y[y] = carried;
      }
      continue;
    }
    let a = acc[r];
    let pb = di.tIn * st.B * st.pRow + b * st.pRow + d * st.GH + j;
    var h = 0.0;
    if (CELL == 0u) {
      h = activate(ACT_G, pre(P[pb] + a.x), st.aG, st.bG);
    } else if (CELL == 1u) {
      let cIdx = st.cBase + rowDB + j;
      let cPrev = S[cIdx];
      var zi = P[pb] + a.x;
      var zf = P[pb + H] + a.y;
      let zc = P[pb + 2u * H] + a.z;
      var zo = P[pb + 3u * H] + a.w;
      var peep = vec4<f32>(0.0);
      if (PEEPHOLE) {
        peep = loadU(uBase + K * H + H + j);
        zi += peep.x * cPrev;
        zf += peep.y * cPrev;
      }
      let i = activate(ACT_F, pre(zi), st.aF, st.bF);
      var f = 1.0 - i;
      if (!INPUT_FORGET) { f = activate(ACT_F, pre(zf), st.aF, st.bF); }
      let cand = activate(ACT_G, pre(zc), st.aG, st.bG);
      let c = f * cPrev + i * cand;
      zo += peep.z * c;
      let o = activate(ACT_F, pre(zo), st.aF, st.bF);
      h = o * activate(ACT_H, c, st.aH, st.bH);
      S[cIdx] = c;
    } else {
      let rb = loadU(uBase + K * H + j);
      let z = activate(ACT_F, pre(P[pb] + a.x + rb.x), st.aF, st.bF);
      let rr = activate(ACT_F, pre(P[pb + H] + a.y + rb.y), st.aF, st.bF);
      let cand = activate(ACT_G, pre(P[pb + 2u * H] + rr * (a.z + rb.z)), st.aG, st.bG);
      h = z * hPrev + (1.0 - z) * cand;
    }
    if (PROJ) {
      S[st.mBase + rowDB + j] = h;
    } else {
      S[hOut + j] = h;
      Y[y] = h;
    }
  }
}
