// What recurrent_step.wgsl (unstaged) and recurrent_wavefront_step.wgsl share besides reduceRows
// (reduce_rows.wgsl): the slices' meeting in `part` ([R][KS][UW] vec4s).

// A thread's sums of its R rows into part, for the slices to meet (KS > 1; a barrier follows).
fn shareSums(acc: array<vec4<f32>, MAX_R>, slice: u32, unit: u32) {
  for (var r = 0u; r < R; r++) { part[(r * KS + slice) * UW + unit] = acc[r]; }
}

// Row r of the workgroup's unit `unit`: its KS slices' sums added.
fn sliceSum(r: u32, unit: u32) -> vec4<f32> {
  var a = vec4<f32>(0.0);
  for (var q = 0u; q < KS; q++) { a += part[(r * KS + q) * UW + unit]; }
  return a;
}
