// Y(t, b, f) = op(A(t, b, f), C(t, b, f)) over strided views, for t < T, b < B, f < F:
// op 0 copies A (initial states, a concatenation input that could not be written in place),
// 1 sum, 2 mul, 3 average (bidirectional merge modes). With SRC_IN_Y the source is read from Y itself
// (a copy inside one buffer, which cannot also be bound read-only).
override OP: u32 = 0u;
override SRC_IN_Y: bool = false;

const WG: u32 = 64u;

struct View {
  base: u32,
  sT: u32,
  sB: u32,
  _pad: u32,
}

struct Params {
  T: u32, B: u32, F: u32, _pad: u32,
  a: View,
  c: View,
  y: View,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> C: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn at(v: View, t: u32, b: u32, f: u32) -> u32 {
  return v.base + t * v.sT + b * v.sB + f;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.T * p.B * p.F) { return; }
  let f = i % p.F;
  let b = (i / p.F) % p.B;
  let t = i / (p.F * p.B);
  var a = 0.0;
  if (SRC_IN_Y) { a = Y[at(p.a, t, b, f)]; } else { a = A[at(p.a, t, b, f)]; }
  var v = a;
  if (OP != 0u) {
    let c = C[at(p.c, t, b, f)];
    if (OP == 1u) { v = a + c; } else if (OP == 2u) { v = a * c; } else { v = 0.5 * (a + c); }
  }
  Y[at(p.y, t, b, f)] = v;
}
