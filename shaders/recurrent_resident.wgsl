// A whole recurrent layer in one dispatch, shaped for CPU-emulated adapters (lavapipe, SwiftShader):
// one workgroup per sequence (batch row x direction: dispatch (B, D)), one thread per unit, and each
// thread's weights copied once into private memory, where every step reads them. On llvmpipe a
// storage or workgroup load at a computed address runs as a scalar loop over the SIMD lanes with a
// bounds check per lane; private memory is plain per-lane memory.
//
// The hidden state lives in workgroup memory as vec4s (two ping-pong buffers, one barrier per step;
// GRU reset-before a second for r * h).
// With the `subgroups` feature (broadcast_subgroups.wgsl) each lane loads one vec4 of h and
// subgroupBroadcast hands it to the others, so one load serves several lanes.
//
// Same uniforms and buffers as recurrent_sequence.wgsl (sequence_params.wgsl). Reads the initial h
// from S slot 0 and c from the c region, writes the final h to slot `finalSlot` and the final c back.
// CELL, G, ACT_F, ACT_G, ACT_H, PEEPHOLE, INPUT_FORGET: cells.wgsl.
override UL: u32 = 64u;         // threads, one per unit (UL >= H, a multiple of 64)

// Rows of U a unit keeps in private memory: residentProgram writes the rows the reduction reads here
// (H, or ceil(H / 4) for G = 1, rounded up by coveredQuads()), since a private array's size must be a
// constant. Rows past the layer's own are zero.
const RES_K: u32 = 1u;
var<private> wres: array<vec4<f32>, RES_K>;

// vec4s of one h buffer: 256 units at most.
const HQ: u32 = 64u;
// [3][HQ]: h ping-pong (buffers 0, 1), then r * h (2, GRU reset-before); zero past H.
var<workgroup> hq: array<vec4<f32>, 192>;
// Each thread's unit, read back after a barrier (see main).
var<workgroup> units: array<u32, 256>;

fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

// Quad q of the vector the reduction reads: h buffer `buf` (0, 1), or r * h (buf 2).
fn quad(buf: u32, q: u32) -> vec4<f32> {
  return hq[buf * HQ + q];
}

// Quad q's share of the recurrent sums: hv holds inputs 4q .. 4q+3.
fn term(hv: vec4<f32>, q: u32) -> vec4<f32> {
  if (G == 1u) { return vec4<f32>(dot(hv, wres[q]), 0.0, 0.0, 0.0); }
  let k = 4u * q;
  return hv.x * wres[k] + hv.y * wres[k + 1u] + hv.z * wres[k + 2u] + hv.w * wres[k + 3u];
}

// struct Lane and subgroupLane(): broadcast_plain.wgsl or broadcast_subgroups.wgsl; reduce(buf, sl), the
// sum of term(quad(buf, q), q) over the quads of h: reduceSource() in src/kernels/broadcast.ts.

@compute @workgroup_size(UL)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  // Every barrier suspends and resumes each 8-lane fiber of the workgroup on llvmpipe, and after a
  // resume it recomputes a value derived from the invocation index at each use, with a per-lane integer
  // division by the workgroup size (a runtime value there): 104 divisions a step for H = 256. A value
  // loaded from memory is kept instead, so each thread reads its unit back from workgroup memory once
  // (B = 16, H = 256, T = 128 on lavapipe: 72 -> 66 ms).
  units[lane.index] = lane.index;
  workgroupBarrier();
  let j = units[lane.index];
  let sl = subgroupLane(lane);
  let b = wid.x;
  let d = wid.y;
  let dir = st.dir[d];
  let uBase = d * st.uDir;
  let live = j < H;
  let row = d * st.B * H + b * H + j;

  // Initial state: h into buffer 0 (zero past H), c and the carried output in registers.
  var hPrev = 0.0;
  var c = 0.0;
  var last = 0.0;
  if (live) {
    hPrev = S[row];
    if (CELL == 1u) { c = S[2u * st.DBH + row]; }
    last = select(0.0, hPrev, st.carryInit != 0u);
  }
  hq[j / 4u][j % 4u] = hPrev;
  hq[HQ + j / 4u][j % 4u] = 0.0;
  let rowsOfU = select(H, (H + 3u) / 4u, G == 1u);
  for (var k = 0u; k < RES_K; k++) {
    var w = vec4<f32>(0.0);
    if (live && k < rowsOfU) { w = loadU(uBase + k * H + j); }
    wres[k] = w;
  }
  var peep = vec4<f32>(0.0);
  if (PEEPHOLE && live) { peep = loadU(uBase + H * H + H + j); }
  var rb = vec4<f32>(0.0);
  if (CELL == 2u && live) { rb = loadU(uBase + H * H + j); }
  // The output of a last-output-only layer is written once, after the last step.
  var yLast = 0.0;
  var wrote = false;
  workgroupBarrier();

  var cur = 0u;
  for (var s = 0u; s < st.T; s++) {
    let times = stepTimes(dir, s);
    let t = times.x;
    let tOut = times.y;
    let pb = t * st.B * st.pRow + b * st.pRow + d * st.GH + j;
    let masked = st.maskOn != 0u && P[st.maskBase + t * st.B + b] < 0.5;

    var h = hPrev;
    if (CELL == 3u) {
      // GRU with the reset gate before the matmul: z and r * h first, then the candidate's sum.
      let a = reduce(cur, sl);
      var z = 0.0;
      var rh = 0.0;
      if (live) {
        z = activate(ACT_F, pre(P[pb] + a.x), st.aF, st.bF);
        rh = activate(ACT_F, pre(P[pb + H] + a.y), st.aF, st.bF) * hPrev;
      }
      hq[2u * HQ + j / 4u][j % 4u] = rh;
      workgroupBarrier();
      let a2 = reduce(2u, sl);
      if (live && !masked) {
        h = z * hPrev + (1.0 - z) * activate(ACT_G, pre(P[pb + 2u * H] + a2.z), st.aG, st.bG);
      }
    } else {
      let a = reduce(cur, sl);
      if (live && !masked) {
        if (CELL == 0u) {
          h = activate(ACT_G, pre(P[pb] + a.x), st.aG, st.bG);
        } else if (CELL == 1u) {
          let hc = lstmCell(vec4<f32>(P[pb], P[pb + H], P[pb + 2u * H], P[pb + 3u * H]) + a, c, peep);
          h = hc.x;
          c = hc.y;
        } else {
          h = gruCell(vec3<f32>(P[pb], P[pb + H], P[pb + 2u * H]), a, rb, hPrev);
        }
      }
    }
    if (live) {
      let y = dir.yBase + tOut * st.ysT + b * st.ySB + j;
      if (masked) {
        // A masked step keeps the state and repeats the previous output (or writes zeros).
        if (st.seqOut != 0u) { Y[y] = select(last, 0.0, st.padZero != 0u); }
      } else {
        if (st.seqOut != 0u) { Y[y] = h; } else { yLast = h; wrote = true; }
        last = h;
      }
    }
    hq[(1u - cur) * HQ + j / 4u][j % 4u] = h;
    hPrev = h;
    workgroupBarrier();
    cur = 1u - cur;
  }

  if (live) {
    if (wrote) { Y[dir.yBase + b * st.ySB + j] = yLast; }
    S[st.finalSlot * st.DBH + row] = hPrev;
    if (CELL == 1u) { S[2u * st.DBH + row] = c; }
  }
}
