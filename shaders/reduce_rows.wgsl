// The recurrent reduction the step, wavefront step, wavefront and sequence kernels share: a slice's
// share of a unit's sums for the workgroup's R rows. Each includer says where h lives with hAt(i): the
// state buffer S (recurrent_step.wgsl, recurrent_wavefront_step.wgsl) or workgroup memory
// (recurrent_wavefront.wgsl, recurrent_sequence.wgsl).
// It needs R, KS, MAX_R, G and loadU().

// This slice's share of unit j's recurrent sums for the workgroup's R rows: row r's K inputs from
// hAt(rowBase[r]) on, against the weights at uBase, [K][cols] vec4s (a unit's gates side by side; SimpleRNN: [ceil(K / 4)][cols] vec4s, four
// consecutive inputs side by side). The slice takes every KS-th input (SimpleRNN: quad of inputs).
fn reduceRows(rowBase: array<u32, MAX_R>, K: u32, uBase: u32, cols: u32, j: u32, slice: u32) -> array<vec4<f32>, MAX_R> {
  var acc: array<vec4<f32>, MAX_R>;
  if (G == 1u) {
    for (var q = slice; q < (K + 3u) / 4u; q += KS) {
      let u = loadU(uBase + q * cols + j);
      let k = 4u * q;
      for (var r = 0u; r < R; r++) {
        let hb = rowBase[r] + k;
        var v = vec4<f32>(hAt(hb), 0.0, 0.0, 0.0);
        if (k + 1u < K) { v.y = hAt(hb + 1u); }
        if (k + 2u < K) { v.z = hAt(hb + 2u); }
        if (k + 3u < K) { v.w = hAt(hb + 3u); }
        acc[r].x += dot(v, u);
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
        acc[r] += hAt(hb) * u0 + hAt(hb + KS) * u1 + hAt(hb + 2u * KS) * u2 + hAt(hb + 3u * KS) * u3;
      }
    }
    for (; k < K; k += KS) {
      let u = loadU(uBase + k * cols + j);
      for (var r = 0u; r < R; r++) { acc[r] += hAt(rowBase[r] + k) * u; }
    }
  }
  return acc;
}
