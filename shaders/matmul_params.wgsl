// The uniforms and the X / Y / p bindings shared by matmul.wgsl, matmul_rows.wgsl and
// matmul_resident.wgsl (written by writeMatmulParams in src/kernels/matmul.ts); each kernel declares W
// (binding 1) itself (matmul.wgsl as f32s, the others through matmul_w4.wgsl). X and Y are strided
// views: element (t, b, f) at base + t*sT + b*sB + f; row r of the matmul is (t, b) = (r / B, r % B).

struct Params {
  M: u32, K: u32, N: u32, B: u32,
  xBase: u32, xsT: u32, xsB: u32, hasBias: u32,
  yBase: u32, ysT: u32, ysB: u32, rows: u32,   // rows: matmul_resident.wgsl's rows per workgroup
  alpha: f32, beta: f32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// Where row r of X starts.
fn xRow(r: u32) -> u32 {
  return p.xBase + (r / p.B) * p.xsT + (r % p.B) * p.xsB;
}

// Where row r of Y starts.
fn yRow(r: u32) -> u32 {
  return p.yBase + (r / p.B) * p.ysT + (r % p.B) * p.ysB;
}
