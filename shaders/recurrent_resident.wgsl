// A whole recurrent layer in one dispatch, shaped for CPU-emulated adapters (lavapipe, SwiftShader):
// one workgroup per ROWS batch rows and direction (dispatch (ceil(B / ROWS), D)), one thread per unit,
// and each thread's weights copied once into private memory, where every step reads them for every
// row of the workgroup. On llvmpipe a
// storage or workgroup load at a computed address runs as a scalar loop over the SIMD lanes with a
// bounds check per lane; private memory is plain per-lane memory.
//
// The hidden state lives in workgroup memory as vec4s (per row two ping-pong buffers, one barrier per
// step; GRU reset-before a second for r * h).
// With the `subgroups` feature (broadcast_subgroups.wgsl) each lane loads one vec4 of h and
// subgroupShuffle hands it to the others, so one load serves several lanes.
//
// With XQ > 0 the layer's input projection runs here too (fused): each thread also keeps its unit's
// columns of the input kernel W (and its bias) in private memory, each step's x is staged in
// workgroup memory next to h, and one reduction runs over [x; h], so no projection pass writes P and
// no step reads it (P then holds only the mask).
//
// Same uniforms and buffers as recurrent_sequence.wgsl (sequence_params.wgsl); fused, also X and W
// (bindings 5 and 6). Reads the initial h from S slot 0 and c from the c region, and writes the final h
// and c back over them (each thread the elements it read).
// CELL, G, ACT_F, ACT_G, ACT_H, PEEPHOLE, INPUT_FORGET: cells.wgsl.
override UL: u32 = 64u;         // threads, one per unit (UL >= H, a multiple of 64)

// Batch rows a workgroup runs (1, 2 or 4; residentProgram writes it here): every weight a thread
// loads from private memory serves that many rows' multiply-adds. Rows past B idle along.
const ROWS: u32 = 1u;

// Quads of x (fused) and of h the reduction reads: residentProgram writes ceil(F / 4) and ceil(H / 4),
// each rounded up by coveredQuads(), here (XQ = 0: not fused).
const XQ: u32 = 0u;
const HQ: u32 = 64u;
// Buffers per row: the h ping-pong (0, 1), and for the GRU with the reset gate before the matmul r * h
// (2); residentProgram writes 3 here for it.
const NB: u32 = 2u;

// Rows of weights a unit keeps in private memory: residentProgram writes the rows the reduction reads
// here, those of W (fused) then those of U (XQ + HQ quads of inputs: 4 rows a quad, or one for G = 1),
// since a private array's size must be a constant. Rows past the layer's own are zero.
const RES_K: u32 = 1u;
var<private> wres: array<vec4<f32>, RES_K>;

// [row][NB][XQ + HQ]: each buffer holds a step's x (fused; quads 0 .. XQ-1) then h; zero past F and H.
const LQ: u32 = XQ + HQ;
// (8 quads more: a reduction's last group of shuffled quads may load past its quads, unused.)
var<workgroup> hq: array<vec4<f32>, ROWS * NB * LQ + 8u>;
// Each thread's unit, read back after a barrier (see main).
var<workgroup> units: array<u32, 256>;

fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

// Quad q of the vector row r's reduction reads: its h buffer `buf` (0, 1), or r * h (buf 2).
fn quad(r: u32, buf: u32, q: u32) -> vec4<f32> {
  return hq[(r * NB + buf) * LQ + q];
}

// Unit j's element of row r's buffer buf (threads past the buffer's 4 * HQ units write nothing).
fn setQuad(r: u32, buf: u32, j: u32, v: f32) {
  if (j < 4u * HQ) { hq[(r * NB + buf) * LQ + XQ + j / 4u][j % 4u] = v; }
}

// Quad q's share of the recurrent sums: hv holds inputs 4q .. 4q+3.
fn term(hv: vec4<f32>, q: u32) -> vec4<f32> {
  if (G == 1u) { return vec4<f32>(dot(hv, wres[q]), 0.0, 0.0, 0.0); }
  let k = 4u * q;
  return hv.x * wres[k] + hv.y * wres[k + 1u] + hv.z * wres[k + 2u] + hv.w * wres[k + 3u];
}

// Input 4q + k's share (its value hk) added to *acc: from 4 rows reduceSource() adds a quad's products
// one input at a time, each input for every row in turn, so that one input's weights serve the rows
// and then leave the registers (see reduceSource).
fn addPart(acc: ptr<function, vec4<f32>>, hk: f32, q: u32, k: u32) {
  if (G == 1u) {
    (*acc).x += hk * wres[q][k];
  } else {
    *acc += hk * wres[4u * q + k];
  }
}

// struct Lane and subgroupLane(): broadcast_plain.wgsl or broadcast_subgroups.wgsl; reduce(buf, sl), for
// each row r < ROWS the sum of term(quad(r, buf, q), q) over the quads of h (zero past ROWS), and
// reduceX(buf, sl) the same over the quads of x (fused; zero otherwise): reduceSource() in
// src/kernels/broadcast.ts.

// The thread's unit: its index, whether it is one of the layer's, its peepholes (LSTM: i, f, o) or
// recurrent biases (GRU reset-after: z, r, h), and (fused) its input biases, one per gate.
struct Unit {
  j: u32,
  live: bool,
  peep: vec4<f32>,
  rb: vec4<f32>,
  bias: vec4<f32>,
}

// One batch row's state of the thread's unit, across steps.
struct Row {
  b: u32,           // the batch row
  on: bool,         // b < B
  h: f32,           // h(t - 1), then h(t)
  c: f32,           // LSTM cell state
  last: f32,        // the output a masked step repeats
  yLast: f32,       // a last-output-only layer's output
  wrote: bool,      // whether a step stored yLast
  z: f32,           // GRU reset-before: the update gate, between its two reductions
}

// Row r (batch row b) of direction d: the unit's initial state, h into buffer 0 (zero past H).
fn initRow(r: u32, b: u32, d: u32, u: Unit) -> Row {
  var row: Row;
  row.b = b;
  row.on = b < st.B;
  if (u.live && row.on) {
    let i = d * st.B * st.H + b * st.H + u.j;
    row.h = S[i];
    if (CELL == 1u) { row.c = S[2u * st.DBH + i]; }
    row.last = select(0.0, row.h, st.carryInit != 0u);
  }
  setQuad(r, 0u, u.j, row.h);
  setQuad(r, 1u, u.j, 0.0);
  return row;
}

// The unit's offset in P for the row at time t (direction d).
fn pAt(row: Row, t: u32, d: u32, u: Unit) -> u32 {
  return t * st.B * st.pRow + row.b * st.pRow + d * st.GH + u.j;
}

// The unit's input projections (one per gate, G of them) for the row at time t: fused, its biases
// plus the row's x W (ax, from reduceX); else read from P.
fn projected(row: Row, t: u32, d: u32, u: Unit, ax: vec4<f32>) -> vec4<f32> {
  if (XQ > 0u) { return u.bias + ax; }
  let pb = pAt(row, t, d, u);
  let H = st.H;
  var v = vec4<f32>(P[pb], 0.0, 0.0, 0.0);
  if (G >= 3u) {
    v.y = P[pb + H];
    v.z = P[pb + 2u * H];
  }
  if (G == 4u) { v.w = P[pb + 3u * H]; }
  return v;
}

// Fused: x of step s (time stepTimes(dir, s).x) of the workgroup's rows (from batch row b0) into
// buffer buf, one input per thread and pass (zero past F and B). `li` is the thread's index.
fn stageX(buf: u32, s: u32, dir: SeqDir, b0: u32, li: u32) {
  if (XQ == 0u) { return; }
  let t = stepTimes(dir, s).x;
  // (XF: at least 1, so that the divisions below are valid constant expressions when not fused)
  const XF = max(XQ * 4u, 1u);
  for (var i = li; i < ROWS * XQ * 4u; i += UL) {
    let r = i / XF;
    let f = i % XF;
    let b = b0 + r;
    var v = 0.0;
    if (f < st.F && b < st.B) { v = X[st.xBase + t * st.xsT + b * st.xsB + f]; }
    hq[(r * NB + buf) * LQ + f / 4u][f % 4u] = v;
  }
}

// Row k of the weights a unit keeps (fused; k < 4 * XQ, or XQ for G = 1): input k's weights for the
// unit's gates, or for G = 1 inputs 4k .. 4k+3 (zero past F). W is [F][pRow], then the biases.
fn inputRow(k: u32, d: u32, j: u32) -> vec4<f32> {
  let N = st.pRow;
  let c = d * st.GH + j;
  var w = vec4<f32>(0.0);
  if (G == 1u) {
    for (var i = 0u; i < 4u; i++) {
      if (4u * k + i < st.F) { w[i] = W[(4u * k + i) * N + c]; }
    }
  } else if (k < st.F) {
    for (var g = 0u; g < G; g++) { w[g] = W[k * N + c + g * st.H]; }
  }
  return w;
}

// GRU reset-before, between the reductions: the update gate, and r * h into row r's buffer 2.
fn gateRow(r: u32, row: ptr<function, Row>, a: vec4<f32>, ax: vec4<f32>, t: u32, d: u32, u: Unit) {
  var rh = 0.0;
  if (u.live && (*row).on) {
    let p = projected(*row, t, d, u, ax);
    (*row).z = activate(ACT_F, pre(p.x + a.x), st.aF, st.bF);
    rh = activate(ACT_F, pre(p.y + a.y), st.aF, st.bF) * (*row).h;
  }
  setQuad(r, 2u, u.j, rh);
}

// One step of row r: the recurrent sums a (GRU reset-before: a2 holds the candidate's), at times
// (read, output); the new h goes into the row's buffer nxt.
fn stepRow(r: u32, row: ptr<function, Row>, a: vec4<f32>, a2: vec4<f32>, ax: vec4<f32>, times: vec2<u32>, d: u32, dir: SeqDir, u: Unit, nxt: u32) {
  let H = st.H;
  var h = (*row).h;
  if ((*row).on) {
    let t = times.x;
    let masked = st.maskOn != 0u && P[st.maskBase + t * st.B + (*row).b] < 0.5;
    if (u.live && !masked) {
      if (CELL == 0u) {
        h = activate(ACT_G, pre(projected(*row, t, d, u, ax).x + a.x), st.aG, st.bG);
      } else if (CELL == 1u) {
        let hc = lstmCell(projected(*row, t, d, u, ax) + a, (*row).c, u.peep);
        h = hc.x;
        (*row).c = hc.y;
      } else if (CELL == 2u) {
        h = gruCell(projected(*row, t, d, u, ax).xyz, a, u.rb, h);
      } else {
        let z = (*row).z;
        h = z * h + (1.0 - z) * activate(ACT_G, pre(projected(*row, t, d, u, ax).z + a2.z), st.aG, st.bG);
      }
    }
    if (u.live) {
      let y = dir.yBase + times.y * st.ysT + (*row).b * st.ySB + u.j;
      if (masked) {
        // A masked step keeps the state and repeats the previous output (or writes zeros).
        if (st.seqOut != 0u) { Y[y] = select((*row).last, 0.0, st.padZero != 0u); }
      } else {
        if (st.seqOut != 0u) { Y[y] = h; } else { (*row).yLast = h; (*row).wrote = true; }
        (*row).last = h;
      }
    }
  }
  setQuad(r, nxt, u.j, h);
  (*row).h = h;
}

// After the last step: the output of a last-output-only layer (when a step stored one), the final h
// and c back over the initial ones (slot 0, the c region).
fn finishRow(row: Row, d: u32, dir: SeqDir, u: Unit) {
  if (u.live && row.on) {
    let i = d * st.B * st.H + row.b * st.H + u.j;
    if (row.wrote) { Y[dir.yBase + row.b * st.ySB + u.j] = row.yLast; }
    S[i] = row.h;
    if (CELL == 1u) { S[2u * st.DBH + i] = row.c; }
  }
}

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
  var u: Unit;
  u.j = units[lane.index];
  u.live = u.j < H;
  let sl = subgroupLane(lane);
  let d = wid.y;
  let dir = st.dir[d];
  let uBase = d * st.uDir;
  let rowsOfU = select(H, (H + 3u) / 4u, G == 1u);
  // Rows of W first (fused): 4 a quad of x, or one for G = 1.
  let xRows = select(4u * XQ, XQ, G == 1u);
  for (var k = 0u; k < RES_K; k++) {
    var w = vec4<f32>(0.0);
    if (u.live && k < xRows) {
      w = inputRow(k, d, u.j);
    } else if (u.live && k - xRows < rowsOfU) {
      w = loadU(uBase + (k - xRows) * H + u.j);
    }
    wres[k] = w;
  }
  if (PEEPHOLE && u.live) { u.peep = loadU(uBase + H * H + H + u.j); }
  if (CELL == 2u && u.live) { u.rb = loadU(uBase + H * H + u.j); }
  if (XQ > 0u && u.live) {
    for (var g = 0u; g < G; g++) { u.bias[g] = W[st.F * st.pRow + d * st.GH + g * H + u.j]; }
  }

  let b0 = wid.x * ROWS;
  stageX(0u, 0u, dir, b0, u.j);
  var row0 = initRow(0u, b0, d, u);
  var row1: Row;
  var row2: Row;
  var row3: Row;
  if (ROWS >= 2u) { row1 = initRow(1u, b0 + 1u, d, u); }
  if (ROWS == 4u) {
    row2 = initRow(2u, b0 + 2u, d, u);
    row3 = initRow(3u, b0 + 3u, d, u);
  }
  workgroupBarrier();

  var cur = 0u;
  for (var s = 0u; s < st.T; s++) {
    let times = stepTimes(dir, s);
    // The rows' sums of h U, and (fused) of x W.
    let a = reduce(cur, sl);
    let ax = reduceX(cur, sl);
    var a2 = a;
    if (CELL == 3u) {
      // GRU with the reset gate before the matmul: z and r * h first, then the candidate's sums.
      gateRow(0u, &row0, a[0], ax[0], times.x, d, u);
      if (ROWS >= 2u) { gateRow(1u, &row1, a[1], ax[1], times.x, d, u); }
      if (ROWS == 4u) {
        gateRow(2u, &row2, a[2], ax[2], times.x, d, u);
        gateRow(3u, &row3, a[3], ax[3], times.x, d, u);
      }
      workgroupBarrier();
      a2 = reduce(2u, sl);
    }
    let nxt = 1u - cur;
    if (s + 1u < st.T) { stageX(nxt, s + 1u, dir, b0, u.j); }
    stepRow(0u, &row0, a[0], a2[0], ax[0], times, d, dir, u, nxt);
    if (ROWS >= 2u) { stepRow(1u, &row1, a[1], a2[1], ax[1], times, d, dir, u, nxt); }
    if (ROWS == 4u) {
      stepRow(2u, &row2, a[2], a2[2], ax[2], times, d, dir, u, nxt);
      stepRow(3u, &row3, a[3], a2[3], ax[3], times, d, dir, u, nxt);
    }
    workgroupBarrier();
    cur = nxt;
  }

  finishRow(row0, d, dir, u);
  if (ROWS >= 2u) { finishRow(row1, d, dir, u); }
  if (ROWS == 4u) {
    finishRow(row2, d, dir, u);
    finishRow(row3, d, dir, u);
  }
}
