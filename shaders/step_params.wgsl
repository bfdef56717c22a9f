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
}

@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> st: Params;
