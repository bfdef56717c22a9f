// Keras Masking: step (t, b) is valid when any feature of X(t, b, :) differs from maskValue.
// One thread per (t, b). MODE selects what is written:
//   0  Y(t, b, f) = X(t, b, f), or 0 at an invalid step (the Masking layer's output);
//   1  M[mBase + t * B + b] = 1 or 0 (a consuming recurrent node's mask slot: the tail of its P buffer);
//   2  the same, ANDed into what the slot already holds (predict lengths, another Masking layer).
override MODE: u32 = 0u;

// 64 threads: the compatibility-mode invocation limit is 128.
const WG: u32 = 64u;

struct View {
  base: u32,
  sT: u32,
  sB: u32,
  _pad: u32,
}

struct Params {
  T: u32, B: u32, F: u32, mBase: u32,
  maskValue: f32, _p0: u32, _p1: u32, _p2: u32,
  x: View,
  y: View,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn at(v: View, t: u32, b: u32, f: u32) -> u32 {
  return v.base + t * v.sT + b * v.sB + f;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.T * p.B) { return; }
  let t = i / p.B;
  let b = i % p.B;
  var valid = false;
  for (var f = 0u; f < p.F; f++) {
    if (X[at(p.x, t, b, f)] != p.maskValue) {
      valid = true;
      break;
    }
  }
  if (MODE == 0u) {
    for (var f = 0u; f < p.F; f++) {
      Y[at(p.y, t, b, f)] = select(0.0, X[at(p.x, t, b, f)], valid);
    }
    return;
  }
  let m = p.mBase + t * p.B + b;
  var v = select(0.0, 1.0, valid);
  if (MODE == 2u) { v *= Y[m]; }
  Y[m] = v;
}
