// Softmax over the feature axis of a strided view, in place: one thread per (t, b) row.
const WG: u32 = 64u;

struct Params {
  T: u32, B: u32, F: u32, base: u32,
  sT: u32, sB: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r = gid.x;
  if (r >= p.T * p.B) { return; }
  let row = p.base + (r / p.B) * p.sT + (r % p.B) * p.sB;
  var m = Y[row];
  for (var f = 1u; f < p.F; f++) { m = max(m, Y[row + f]); }
  var sum = 0.0;
  for (var f = 0u; f < p.F; f++) {
    let e = exp(Y[row + f] - m);
    Y[row + f] = e;
    sum += e;
  }
  for (var f = 0u; f < p.F; f++) { Y[row + f] = Y[row + f] / sum; }
}
