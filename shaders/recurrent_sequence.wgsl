// A whole recurrent layer in one dispatch: every time step of R batch rows (one direction) runs inside
// one workgroup, the hidden state kept in workgroup memory and a workgroupBarrier between steps. No
// workgroup waits on another (WebGPU guarantees no forward progress between workgroups), so each
// workgroup owns independent sequences: dispatch (ceil(B / R), D). For small hidden sizes, where a
// per-step dispatch costs more than the step's arithmetic.
//
// Each unit's recurrent reduction is split over KS slices of threads (WGS = UL * KS), whose partial sums
// meet in workgroup memory: more loads in flight per step than one thread per unit.
//
// CPU-emulated adapters run recurrent_resident.wgsl instead (one thread per unit, weights in private
// memory).
//
// Same U / P / S / Y buffers as recurrent_step.wgsl. Reads the initial h from S slot 0 and c from
// the c region, and writes the final h and c back over them (each thread the elements it read), so a
// stream's next chunk finds them where this one did.
// CELL, G, ACT_F, ACT_G, ACT_H, PEEPHOLE, INPUT_FORGET: cells.wgsl.
override R: u32 = 1u;           // batch rows per workgroup
override WGS: u32 = 64u;        // threads, UL * KS
override UL: u32 = 64u;         // unit lanes: lane l owns units l, l + UL, ... (at most MAX_UPT)
override KS: u32 = 1u;          // slices of each unit's recurrent reduction

const MAX_UPT: u32 = 4u;
const MAX_R: u32 = 8u;
// Capacity of one [R][H] buffer in workgroup memory; three of them (h ping-pong and GRU's r * h,
// 6 KiB) and the partial sums (512 vec4s, 8 KiB) stay inside the compatibility-mode limit of 16 KiB.
const CAP: u32 = 512u;
const PART: u32 = 512u;

// SeqDir, Params and the P / S / Y / st bindings: sequence_params.wgsl.

var<workgroup> hbuf: array<f32, 1024>;   // two [R][H] buffers (2 * CAP): the current h and the next
var<workgroup> rh: array<f32, CAP>;
var<workgroup> part: array<vec4<f32>, PART>;   // partial sums [MAX_UPT][R][KS][UL]

fn partAt(q: u32, r: u32, slice: u32, lane: u32) -> u32 {
  return ((q * R + r) * KS + slice) * UL + lane;
}

fn pre(x: f32) -> f32 {
  return clamp(x, -st.clip, st.clip);
}

fn hRead(cur: u32, i: u32) -> f32 {
  return hbuf[cur * CAP + i];
}

fn hWrite(cur: u32, i: u32, v: f32) {
  hbuf[cur * CAP + i] = v;
}

// h[r][k] (fromRh = false) or (r * h)[r][k] of the current step, 0 past the last input.
fn hOrRh(cur: u32, fromRh: bool, r: u32, k: u32) -> f32 {
  if (k >= st.H) { return 0.0; }
  if (fromRh) { return rh[r * st.H + k]; }
  return hRead(cur, r * st.H + k);
}

// GRU reset-before (CELL 3), from the compact copy of its kernel after the direction's usual block
// (resetBeforeCompactSize in src/kernels/recurrent.ts): this slice's share of the z and r sums (.x,
// .y; each vec4 holds inputs 2i and 2i + 1), or with fromRh of the candidate's (.z; each vec4 holds
// inputs 4i .. 4i + 3). The usual layout would read a padded vec4 of all three gates in both phases.
fn resetBeforeSums(cur: u32, fromRh: bool, uBase: u32, j: u32, slice: u32) -> array<vec4<f32>, MAX_R> {
  let H = st.H;
  let zrBase = uBase + H * H + 2u * H;
  var acc: array<vec4<f32>, MAX_R>;
  if (!fromRh) {
    for (var i = slice; i < (H + 1u) / 2u; i += KS) {
      let u = loadU(zrBase + i * H + j);
      for (var r = 0u; r < R; r++) {
        let h0 = hOrRh(cur, false, r, 2u * i);
        let h1 = hOrRh(cur, false, r, 2u * i + 1u);
        acc[r].x += h0 * u.x + h1 * u.z;
        acc[r].y += h0 * u.y + h1 * u.w;
      }
    }
  } else {
    let cBase = zrBase + ((H + 1u) / 2u) * H;
    for (var i = slice; i < (H + 3u) / 4u; i += KS) {
      let u = loadU(cBase + i * H + j);
      for (var r = 0u; r < R; r++) {
        let k = 4u * i;
        let v = vec4<f32>(hOrRh(cur, true, r, k), hOrRh(cur, true, r, k + 1u), hOrRh(cur, true, r, k + 2u), hOrRh(cur, true, r, k + 3u));
        acc[r].z += dot(v, u);
      }
    }
  }
  return acc;
}

// h of the current step for reduceRows (reduce_rows.wgsl): i counts from the start of hbuf.
fn hAt(i: u32) -> f32 {
  return hbuf[i];
}

// This slice's share of h . U[:, j] for R rows (inputs k = slice, slice + KS, ...), from the current
// h buffer (reduceRows, shared with the step kernels), or for the reset-before GRU from h or r * h
// (resetBeforeSums).
fn recurrent(cur: u32, fromRh: bool, uBase: u32, j: u32, slice: u32) -> array<vec4<f32>, MAX_R> {
  if (CELL == 3u) { return resetBeforeSums(cur, fromRh, uBase, j, slice); }
  var rowBase: array<u32, MAX_R>;
  for (var r = 0u; r < R; r++) { rowBase[r] = cur * CAP + r * st.H; }
  return reduceRows(rowBase, st.H, uBase, st.H, j, slice);
}

// Every slice's partial sums for this lane's units into `part`.
fn partials(cur: u32, fromRh: bool, uBase: u32, lane: u32, slice: u32, rows: u32) {
  for (var q = 0u; q < MAX_UPT; q++) {
    let j = lane + q * UL;
    if (j >= st.H) { break; }
    let a = recurrent(cur, fromRh, uBase, j, slice);
    for (var r = 0u; r < rows; r++) { part[partAt(q, r, slice, lane)] = a[r]; }
  }
}

// The full sum of unit lane + q * UL, row r.
fn total(q: u32, r: u32, lane: u32) -> vec4<f32> {
  var a = vec4<f32>(0.0);
  for (var sl = 0u; sl < KS; sl++) { a += part[partAt(q, r, sl, lane)]; }
  return a;
}

@compute @workgroup_size(WGS)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = st.H;
  let b0 = wid.x * R;
  let d = wid.y;
  let dir = st.dir[d];
  let uBase = d * st.uDir;
  let rows = min(R, st.B - b0);
  let lane = lid.x % UL;
  let slice = lid.x / UL;

  // Load the initial state.
  var c: array<array<f32, MAX_R>, MAX_UPT>;
  var last: array<array<f32, MAX_R>, MAX_UPT>;
  var z: array<array<f32, MAX_R>, MAX_UPT>;
  for (var q = 0u; q < MAX_UPT; q++) {
    let j = lane + q * UL;
    if (j >= H || slice != 0u) { break; }
    for (var r = 0u; r < rows; r++) {
      let row = d * st.B * H + (b0 + r) * H + j;
      hbuf[r * H + j] = S[row];
      if (CELL == 1u) { c[q][r] = S[2u * st.DBH + row]; }
      last[q][r] = select(0.0, S[row], st.carryInit != 0u);
    }
  }
  workgroupBarrier();

  var cur = 0u;
  for (var s = 0u; s < st.T; s++) {
    let times = stepTimes(dir, s);
    let t = times.x;
    let tOut = times.y;
    let yStep = dir.yBase + tOut * st.ysT;

    if (CELL == 3u) {
      // GRU with the reset gate before the matmul: z and r * h for every unit first.
      partials(cur, false, uBase, lane, slice, rows);
      workgroupBarrier();
      for (var q = 0u; q < MAX_UPT; q++) {
        let j = lane + q * UL;
        if (j >= H || slice != 0u) { break; }
        for (var r = 0u; r < rows; r++) {
          let a = total(q, r, lane);
          let pb = t * st.B * st.pRow + (b0 + r) * st.pRow + d * st.GH + j;
          z[q][r] = activate(ACT_F, pre(P[pb] + a.x), st.aF, st.bF);
          let rr = activate(ACT_F, pre(P[pb + H] + a.y), st.aF, st.bF);
          rh[r * H + j] = rr * hRead(cur, r * H + j);
        }
      }
      workgroupBarrier();
    }

    partials(cur, CELL == 3u, uBase, lane, slice, rows);
    workgroupBarrier();
    for (var q = 0u; q < MAX_UPT; q++) {
      let j = lane + q * UL;
      if (j >= H || slice != 0u) { break; }
      for (var r = 0u; r < rows; r++) {
        let a = total(q, r, lane);
        let b = b0 + r;
        let hPrev = hRead(cur, r * H + j);
        let y = yStep + b * st.ySB + j;
        if (st.maskOn != 0u && P[st.maskBase + t * st.B + b] < 0.5) {
          hWrite(1u - cur, r * H + j, hPrev);
          if (st.seqOut != 0u) {
            var carried = last[q][r];
            if (st.padZero != 0u) { carried = 0.0; }
            Y[y] = carried;
          }
          continue;
        }
        let pb = t * st.B * st.pRow + b * st.pRow + d * st.GH + j;
        var h = 0.0;
        if (CELL == 0u) {
          h = activate(ACT_G, pre(P[pb] + a.x), st.aG, st.bG);
        } else if (CELL == 1u) {
          var peep = vec4<f32>(0.0);
          if (PEEPHOLE) { peep = loadU(uBase + H * H + H + j); }
          let hc = lstmCell(vec4<f32>(P[pb], P[pb + H], P[pb + 2u * H], P[pb + 3u * H]) + a, c[q][r], peep);
          h = hc.x;
          c[q][r] = hc.y;
        } else if (CELL == 2u) {
          h = gruCell(vec3<f32>(P[pb], P[pb + H], P[pb + 2u * H]), a, loadU(uBase + H * H + j), hPrev);
        } else {
          let cand = activate(ACT_G, pre(P[pb + 2u * H] + a.z), st.aG, st.bG);
          h = z[q][r] * hPrev + (1.0 - z[q][r]) * cand;
        }
        hWrite(1u - cur, r * H + j, h);
        Y[y] = h;
        last[q][r] = h;
      }
    }
    workgroupBarrier();
    cur = 1u - cur;
  }

  // The final state, where the plan expects it.
  for (var q = 0u; q < MAX_UPT; q++) {
    let j = lane + q * UL;
    if (j >= H || slice != 0u) { break; }
    for (var r = 0u; r < rows; r++) {
      let row = d * st.B * H + (b0 + r) * H + j;
      S[row] = hRead(cur, r * H + j);
      if (CELL == 1u) { S[2u * st.DBH + row] = c[q][r]; }
    }
  }
}
