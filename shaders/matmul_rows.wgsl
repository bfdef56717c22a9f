// Y(t, b, :) = act(X(t, b, :) . W + bias), as matmul.wgsl computes it, shaped for CPU-emulated
// adapters (lavapipe, SwiftShader). There each invocation is one lane of a SIMD loop, and a load from a
// storage or workgroup buffer whose address is not a compile-time constant runs as a scalar loop over
// the lanes: loads, not arithmetic, set the speed. So a thread owns four consecutive columns (one vec4
// weight load feeds RM rows) and the workgroup's RM rows of X are staged in workgroup memory as vec4s
// along k (one load brings four inputs), tile by tile.
// Same buffers and Params as matmul.wgsl (matmul_params.wgsl; W bound as vec4s, matmul_w4.wgsl).
override ACT: u32 = 0u;
override VEC_W: bool = true;

const WG: u32 = 64u;          // threads, each owning 4 columns: 256 columns per workgroup
const RM: u32 = 8u;           // rows per workgroup
const TK4: u32 = 128u;        // vec4s of one row staged per tile (RM * TK4 = 1024 vec4s, 16 KiB)

// Params, X, Y, p, xRow and yRow: matmul_params.wgsl; W, wRow(), xQuad() and storeQuad(): matmul_w4.wgsl.

var<workgroup> xs: array<vec4<f32>, 1024>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let row0 = wid.y * RM;
  let c = (wid.x * WG + lid.x) * 4u;
  let K4 = (p.K + 3u) / 4u;
  var acc: array<vec4<f32>, RM>;
  for (var t0 = 0u; t0 < K4; t0 += TK4) {
    let n4 = min(TK4, K4 - t0);
    workgroupBarrier();
    for (var e = lid.x; e < RM * TK4; e += WG) {
      let r = row0 + e / TK4;
      let q = e % TK4;
      var v = vec4<f32>(0.0);
      if (q < n4 && r < p.M) { v = xQuad(xRow(r), t0 + q); }
      xs[e] = v;
    }
    workgroupBarrier();
    if (c < p.N) {
      // Whole quads of k, then (last tile) the K % 4 left, whose staged x lanes past K are 0.
      let full = min(n4, p.K / 4u - min(p.K / 4u, t0));
      for (var q = 0u; q < full; q++) {
        let k = 4u * (t0 + q);
        let w0 = wRow(k, c);
        let w1 = wRow(k + 1u, c);
        let w2 = wRow(k + 2u, c);
        let w3 = wRow(k + 3u, c);
        for (var r = 0u; r < RM; r++) {
          let xv = xs[r * TK4 + q];
          acc[r] += xv.x * w0 + xv.y * w1 + xv.z * w2 + xv.w * w3;
        }
      }
      if (full < n4) {
        let k = 4u * (t0 + full);
        for (var i = 0u; k + i < p.K; i++) {
          let w = wRow(k + i, c);
          for (var r = 0u; r < RM; r++) { acc[r] += xs[r * TK4 + full][i] * w; }
        }
      }
    }
  }
  if (c >= p.N) { return; }
  var bias = vec4<f32>(0.0);
  if (p.hasBias != 0u) { bias = wRow(p.K, c); }
  for (var r = 0u; r < RM; r++) {
    let gr = row0 + r;
    if (gr >= p.M) { continue; }
    storeQuad(yRow(gr), c, acc[r] + bias);
  }
}
