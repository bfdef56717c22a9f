// Y(t, b, :) = act(X(t, b, :) . W + bias) for all rows r = t * B + b at once.
// Used for the input projection of every time step of a recurrent layer (one dispatch per layer) and
// for dense layers. X and Y are strided views: element (t, b, f) lives at base + t*sT + b*sB + f, so
// the input may be batch first (model inputs) or time major (layer outputs), and Y may be a feature
// slice of a concatenated buffer. W is [K][N] row-major followed by the bias [N].
override ACT: u32 = 0u;

// 8x8 threads, each computing a 4x4 block of a 32x32 output tile: 64 invocations fits the
// compatibility-mode limit (128) on every adapter.
const TM: u32 = 32u;
const TN: u32 = 32u;
const TK: u32 = 16u;

// Params, X, Y, p, xRow and yRow: matmul_params.wgsl.
@group(0) @binding(1) var<storage, read> W: array<f32>;

var<workgroup> As: array<array<f32, TK>, TM>;
var<workgroup> Bs: array<array<f32, TN>, TK>;

@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let tid = lid.y * 8u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // Each of the 64 threads loads 8 elements of As (32x16) and 8 of Bs (16x32).
    for (var i = 0u; i < 8u; i++) {
      let e = tid + i * 64u;
      let ar = e / TK;
      let ak = e % TK;
      let gr = row0 + ar;
      let gk = k0 + ak;
      var av = 0.0;
      if (gr < p.M && gk < p.K) { av = X[xRow(gr) + gk]; }
      As[ar][ak] = av;
      let bk = e / TN;
      let bn = e % TN;
      let gk2 = k0 + bk;
      let gn = col0 + bn;
      var bv = 0.0;
      if (gk2 < p.K && gn < p.N) { bv = W[gk2 * p.N + gn]; }
      Bs[bk][bn] = bv;
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      var bcol: array<f32, 4>;
      for (var j = 0u; j < 4u; j++) { bcol[j] = Bs[k][lid.x + 8u * j]; }
      for (var i = 0u; i < 4u; i++) {
        let a = As[lid.y + 8u * i][k];
        for (var j = 0u; j < 4u; j++) { acc[i][j] += a * bcol[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + 8u * i;
    if (r >= p.M) { continue; }
    let yr = yRow(r);
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x + 8u * j;
      if (c >= p.N) { continue; }
      var v = acc[i][j];
      if (p.hasBias != 0u) { v += W[p.K * p.N + c]; }
      Y[yr + c] = activate(ACT, v, p.alpha, p.beta);
    }
  }
}
