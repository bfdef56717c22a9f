// W bound as vec4s (buffers are padded to 16 bytes), shared by matmul_rows.wgsl and
// matmul_resident.wgsl: [K][N] row-major, then the bias [N]. With VEC_W (N a multiple of 4) each
// four columns of a row are one aligned vec4.
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
