// What the CPU-emulated matmuls (matmul_rows.wgsl, matmul_resident.wgsl) share: W bound as vec4s
// (buffers are padded to 16 bytes), [K][N] row-major, then the bias [N] (with VEC_W, N a multiple of
// 4, each four columns of a row are one aligned vec4); X and Y four values at a time.
@group(0) @binding(1) var<storage, read> W: array<vec4<f32>>;

fn wAt(i: u32) -> f32 {
  return W[i / 4u][i % 4u];
}

// Columns c .. c + 3 of W's row k (zero past N).
fn wRow(k: u32, c: u32) -> vec4<f32> {
  let i = k * p.N + c;
  if (VEC_W) { return W[i / 4u]; }
  var v = vec4<f32>(wAt(i), 0.0, 0.0, 0.0);
  if (c + 1u < p.N) { v.y = wAt(i + 1u); }
  if (c + 2u < p.N) { v.z = wAt(i + 2u); }
  if (c + 3u < p.N) { v.w = wAt(i + 3u); }
  return v;
}

// Inputs 4q .. 4q+3 of the row of X starting at xb (zero past K).
fn xQuad(xb: u32, q: u32) -> vec4<f32> {
  let k = 4u * q;
  var v = vec4<f32>(0.0);
  if (k < p.K) { v.x = X[xb + k]; }
  if (k + 1u < p.K) { v.y = X[xb + k + 1u]; }
  if (k + 2u < p.K) { v.z = X[xb + k + 2u]; }
  if (k + 3u < p.K) { v.w = X[xb + k + 3u]; }
  return v;
}

// act(v) into columns c .. c + 3 of the row of Y starting at yr (those below N).
fn storeQuad(yr: u32, c: u32, v: vec4<f32>) {
  Y[yr + c] = activate(ACT, v.x, p.alpha, p.beta);
  if (c + 1u < p.N) { Y[yr + c + 1u] = activate(ACT, v.y, p.alpha, p.beta); }
  if (c + 2u < p.N) { Y[yr + c + 2u] = activate(ACT, v.z, p.alpha, p.beta); }
  if (c + 3u < p.N) { Y[yr + c + 3u] = activate(ACT, v.w, p.alpha, p.beta); }
}
