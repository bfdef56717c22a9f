// What recurrent_step.wgsl (unstaged) and recurrent_wavefront_step.wgsl share: a slice's share of a
// unit's sums for the workgroup's R rows, and the slices' meeting in `part` ([R][KS][UW] vec4s).

// This slice's share of unit j's recurrent sums for the workgroup's R rows: row r's K inputs at S[rowBase[r]] against the weights at
// uBase, [K][cols] vec4s (a unit's gates side by side; SimpleRNN: [ceil(K / 4)][cols] vec4s, four
// consecutive inputs side by side). The slice takes every KS-th input (SimpleRNN: quad of inputs).
fn reduceRows(rowBase: array<u32, MAX_R>, K: u32, uBase: u32, cols: u32, j: u32, slice: u32) -> array<vec4<f32>, MAX_R> {
  var acc: array<vec4<f32>, MAX_R>;
  if (G == 1u) {
    for (var q = slice; q < (K + 3u) / 4u; q += KS) {
      let u = loadU(uBase + q * cols + j);
      let k = 4u * q;
      for (var r = 0u; r < R; r++) {
        let hb = rowBase[r] + k;
        var hv = vec4<f32>(S[hb], 0.0, 0.0, 0.0);
        if (k + 1u < K) { hv.y = S[hb + 1u]; }
        if (k + 2u < K) { hv.z = S[hb + 2u]; }
        if (k + 3u < K) { hv.w = S[hb + 3u]; }
        acc[r].x += dot(hv, u);
      }
    }
  } else {
    // Four independent weight loads per iteration, then their multiply-adds.
    var k = slice;
    for (; k + 3u * KS < K; k += 4u * KS) {
      let u0 = loadU(uBase + k * cols + j);
      let u1 = loadU(uBase + (k + KS) * cols + j);
      let u2 = loadU(uBase + (k + 2u * KS) * cols + j);
      let u3 = loadU(uBase + (k + 3u * KS) * cols + j);
      for (var r = 0u; r < R; r++) {
        let hb = rowBase[r] + k;
        acc[r] += S[hb] * u0 + S[hb + KS] * u1 + S[hb + 2u * KS] * u2 + S[hb + 3u * KS] * u3;
      }
    }
    for (; k < K; k += KS) {
      let u = loadU(uBase + k * cols + j);
      for (var r = 0u; r < R; r++) { acc[r] += S[rowBase[r] + k] * u; }
    }
  }
  return acc;
}

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
