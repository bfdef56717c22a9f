// One time step of a SimpleRNN, LSTM or GRU (reset gate after the matmul) layer, fused: the
// recurrent matmul for all gates, plus the precomputed input projection P (bias included), the
// activations and the state update, writing the new hidden state straight into the consumer's view.
// Both directions of a bidirectional layer run in the same dispatch (workgroup_id.z = direction).
//
// Buffers:
//   U: per direction d at d * uDir: recurrent kernel [H][G*H], recurrent bias [G*H] (GRU reset-after,
//      else zeros), peepholes [3][H] (i, f, o; LSTM, else zeros).
//   P: projections [T][B][D*G*H], then the step mask [T][B] (1 = valid) when maskOn.
//   S: h in two ping-pong slots [2][D][B][H] (read slot slotIn, write the other), then c [D][B][H].
//   Y: the output view; element (t, b, f) at base + t*sT + b*sB + f, with yOff = base + t_out*sT + f0.
override CELL: u32 = 1u;        // 0 SimpleRNN, 1 LSTM, 2 GRU (reset after)
override G: u32 = 4u;           // gates: 1, 4, 3
override ACT_F: u32 = 2u;       // gate activation (sigmoid)
override ACT_G: u32 = 4u;       // candidate activation (tanh); SimpleRNN's activation
override ACT_H: u32 = 4u;       // LSTM output activation (tanh)
override PEEPHOLE: bool = false;
override INPUT_FORGET: bool = false;

// One thread per hidden unit; 64 lanes keep the h tile in workgroup memory small and fit the
// compatibility-mode invocation limit (128).
const WG: u32 = 64u;

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
}

@group(0) @binding(0) var<storage, read> U: array<f32>;
@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> st: Params;

var<workgroup> hTile: array<f32, WG>;

fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  let GH = st.GH;
  let j = wid.x * WG + lid.x;
  let b = wid.y;
  let d = wid.z;
  let di = st.dir[d];
  let live = j < H;
  let rowDB = d * st.B * H + b * H;
  let hIn = st.slotIn * st.DBH + rowDB;
  let hOut = (1u - st.slotIn) * st.DBH + rowDB;
  let uBase = d * st.uDir;
  var valid = true;
  if (st.maskOn != 0u) { valid = P[st.maskBase + di.tIn * st.B + b] > 0.5; }

  // acc[g] = sum_k h_prev[k] * U[k][g*H + j], h_prev staged through workgroup memory in tiles.
  var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var k0 = 0u; k0 < H; k0 += WG) {
    let k = k0 + lid.x;
    var hv = 0.0;
    if (k < H) { hv = S[hIn + k]; }
    hTile[lid.x] = hv;
    workgroupBarrier();
    if (live && valid) {
      let n = min(WG, H - k0);
      for (var kk = 0u; kk < n; kk++) {
        let hk = hTile[kk];
        let row = uBase + (k0 + kk) * GH + j;
        for (var g = 0u; g < G; g++) { acc[g] += hk * U[row + g * H]; }
      }
    }
    workgroupBarrier();
  }
  if (!live) { return; }

  let y = di.yOff + b * st.ySB + j;
  let hPrev = S[hIn + j];
  if (!valid) {
    // A masked step keeps the state and repeats the previous output (or writes zeros).
    S[hOut + j] = hPrev;
    if (st.seqOut != 0u) {
      var carried = 0.0;
      if (st.padZero == 0u && di.hasPrev != 0u) { carried = Y[di.prevYOff + b * st.ySB + j]; }
      Y[y] = carried;
    }
    return;
  }

  let pb = di.tIn * st.B * st.pRow + b * st.pRow + d * GH + j;
  let extra = uBase + H * GH;   // recurrent bias, then peepholes
  var h = 0.0;
  if (CELL == 0u) {
    h = activate(ACT_G, pre(P[pb] + acc[0]), st.aG, st.bG);
  } else if (CELL == 1u) {
    let cIdx = 2u * st.DBH + rowDB + j;
    let cPrev = S[cIdx];
    var zi = P[pb] + acc[0];
    var zf = P[pb + H] + acc[1];
    let zc = P[pb + 2u * H] + acc[2];
    var zo = P[pb + 3u * H] + acc[3];
    if (PEEPHOLE) {
      zi += U[extra + GH + j] * cPrev;
      zf += U[extra + GH + H + j] * cPrev;
    }
    let i = activate(ACT_F, pre(zi), st.aF, st.bF);
    var f = 1.0 - i;
    if (!INPUT_FORGET) { f = activate(ACT_F, pre(zf), st.aF, st.bF); }
    let cand = activate(ACT_G, pre(zc), st.aG, st.bG);
    let c = f * cPrev + i * cand;
    if (PEEPHOLE) { zo += U[extra + GH + 2u * H + j] * c; }
    let o = activate(ACT_F, pre(zo), st.aF, st.bF);
    h = o * activate(ACT_H, c, st.aH, st.bH);
    S[cIdx] = c;
  } else {
    let z = activate(ACT_F, pre(P[pb] + acc[0] + U[extra + j]), st.aF, st.bF);
    let r = activate(ACT_F, pre(P[pb + H] + acc[1] + U[extra + H + j]), st.aF, st.bF);
    let cand = activate(ACT_G, pre(P[pb + 2u * H] + r * (acc[2] + U[extra + 2u * H + j])), st.aG, st.bG);
    h = z * hPrev + (1.0 - z) * cand;
  }
  S[hOut + j] = h;
  Y[y] = h;
}
