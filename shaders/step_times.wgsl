// How a direction of a recurrent layer walks its steps, shared by the whole-sequence kernels
// (sequence_params.wgsl) and the counted step kernels (step_params.wgsl), whose Params both have T and
// an array of SeqDir (written by writeSeqDirs in src/kernels/recurrent.ts).

struct SeqDir {
  reverse: u32,   // reads time T-1-s at step s
  aligned: u32,   // stores step s's output at its input time (else at s)
  yBase: u32,     // the output view's base plus this direction's feature offset
  _pad: u32,
}

// Step s of direction `dir`: the time it reads (T - 1 - s when reversed) and the time its output goes
// to (the read time when aligned, else s).
fn stepTimes(dir: SeqDir, s: u32) -> vec2<u32> {
  var t = s;
  if (dir.reverse != 0u) { t = st.T - 1u - s; }
  return vec2<u32>(t, select(s, t, dir.aligned != 0u));
}
