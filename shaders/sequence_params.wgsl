// The uniforms and buffers of the whole-sequence kernels, recurrent_sequence.wgsl and
// recurrent_resident.wgsl (written by writeSequenceParams in src/kernels/sequence.ts; SeqDir and
// stepTimes: step_times.wgsl). U (binding 0)
// and loadU() come from weights_f32.wgsl or weights_f16.wgsl; the buffers' layouts are those of
// recurrent_step.wgsl.

struct Params {
  B: u32, H: u32, GH: u32, pRow: u32,
  T: u32, DBH: u32, maskOn: u32, padZero: u32,
  maskBase: u32, ySB: u32, ysT: u32, uDir: u32,
  seqOut: u32, _pad0: u32, clip: f32, aF: f32,
  bF: f32, aG: f32, bG: f32, aH: f32,
  bH: f32, carryInit: u32, _p1: u32, _p2: u32,
  F: u32, xBase: u32, xsT: u32, xsB: u32,  // the layer's input (fused resident kernel): x(t, b, f) at X[xBase + t*xsT + b*xsB + f]
  dir: array<SeqDir, 2>,
}

@group(0) @binding(1) var<storage, read> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> st: Params;
