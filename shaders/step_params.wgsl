// The per-step uniforms and buffers shared by recurrent_step.wgsl, gru_reset_before_step.wgsl and
// lstm_projection.wgsl (written by writeStepParams in src/kernels/recurrent.ts). U (binding 0) and
// loadU() come from weights_f32.wgsl or weights_f16.wgsl.

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
  K: u32, DBK: u32, cBase: u32, mBase: u32,   // h size, h-slot stride, c and m (projection) offsets
  // Counted steps (recurrent_step.wgsl and recurrent_tiled.wgsl, counted != 0): every step dispatch of
  // the layer binds this one block, so the executor sets the bind group once for all of them (each
  // setBindGroup cost about 2.6 us on Dawn's GL backend). WebGPU gives a dispatch no other value of its
  // own, so each workgroup counts the steps it ran in S at ctrBase + its index (gx * gy workgroups a
  // direction), and slotIn and dir come from that count (stepNow) instead of from this block.
  counted: u32, T: u32, ysT: u32, ctrBase: u32,
  gx: u32, gy: u32, _pad2: u32, _pad3: u32,
  seqDir: array<SeqDir, 2>,   // step_times.wgsl
}

@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> st: Params;

// A masked step of one row's unit: h stays (hPrev into the slot written, at hOut), and the output
// repeats the previous step's (at prevY, where hasPrev), or is 0 with padZero; a last-output-only layer
// writes none.
fn keepMasked(hOut: u32, hPrev: f32, y: u32, hasPrev: u32, prevY: u32) {
  S[hOut] = hPrev;
  if (st.seqOut != 0u) {
    var carried = 0.0;
    if (st.padZero == 0u && hasPrev != 0u) { carried = Y[prevY]; }
    Y[y] = carried;
  }
}

// What one step dispatch runs: the fields of Dir, and the h slot it reads.
struct StepNow {
  tIn: u32,
  yOff: u32,
  prevYOff: u32,
  hasPrev: u32,
  slotIn: u32,
}

fn counterAt(wid: vec3u) -> u32 {
  return st.ctrBase + (wid.z * st.gy + wid.y) * st.gx + wid.x;
}

// The step this workgroup runs (0 when not counted): the count it keeps in S, which every thread reads
// (one address for all: no workgroup memory to spare, the kernels fill the compatibility limit).
fn stepIndex(wid: vec3u) -> u32 {
  if (st.counted == 0u) { return 0u; }
  return u32(S[counterAt(wid)]);
}

// At the end of the step, in uniform control flow: once every thread has read the count, the first
// writes the next. The storage barrier must stay between every thread's read and that write (lavapipe
// runs the tests correctly without it). The count goes back to 0 after the last step, and the plan
// clears S every pass as well: the tests only notice if both resets are lost.
fn countStep(first: bool, wid: vec3u, s: u32) {
  if (st.counted == 0u) { return; }
  storageBarrier();
  if (first) { S[counterAt(wid)] = f32((s + 1u) % st.T); }
}

// Step s of direction d: from the block itself when not counted, else as the plan would have written
// it for step s (src/schedule/plan.ts).
fn stepNow(d: u32, s: u32) -> StepNow {
  var n: StepNow;
  if (st.counted == 0u) {
    let di = st.dir[d];
    n.tIn = di.tIn;
    n.yOff = di.yOff;
    n.prevYOff = di.prevYOff;
    n.hasPrev = di.hasPrev;
    n.slotIn = st.slotIn;
    return n;
  }
  let sd = st.seqDir[d];
  let times = stepTimes(sd, s);
  n.tIn = times.x;
  n.yOff = sd.yBase + times.y * st.ysT;
  // (A time-aligned layer never reads prevYOff today: it either pads with zeros or has no sequence
  // output.) Streams, whose first step may carry an earlier output, never count their steps.
  if (s > 0u) { n.prevYOff = sd.yBase + stepTimes(sd, s - 1u).y * st.ysT; }
  n.hasPrev = select(0u, 1u, s > 0u);
  n.slotIn = s % 2u;
  return n;
}
