// What recurrent_step.wgsl (unstaged) and recurrent_wavefront_step.wgsl share besides reduceRows
// (reduce_rows.wgsl): which unit and slice each thread takes, and the slices' meeting, through subgroup
// shuffles (meetInSubgroup: step_meet_subgroups.wgsl, or step_meet_plain.wgsl without them) and then
// workgroup memory `part` ([R][KS / SS][UW] vec4s).
//
// Threads come in groups of SS * UPG consecutive ones (SS = UPG = 1 without subgroups: one thread a
// group). Lane l of a group takes slice l / UPG (of the group's SS slices) of unit l % UPG (of its UPG
// units), so that the lanes of a slice still load consecutive units' weights together; the groups run
// through the workgroup's UW / UPG groups of units, then its KS / SS groups of slices. Without subgroups
// thread i is thus slice i / UW of unit i % UW.
override SS: u32 = 1u;    // slices of a unit that meet in a subgroup (a power of two dividing KS)
override UPG: u32 = 1u;   // units of a subgroup's group (a power of two dividing UW)

// Thread i's unit in the workgroup (0 .. UW - 1).
fn laneUnit(i: u32) -> u32 {
  return (i / (SS * UPG)) % (UW / UPG) * UPG + i % UPG;
}

// Thread i's slice of its unit's reduction (0 .. KS - 1); its lane among its unit's SS is slice % SS.
fn laneSlice(i: u32) -> u32 {
  return i / (SS * UPG) / (UW / UPG) * SS + i % (SS * UPG) / UPG;
}

// A thread's sums of its R rows into part, for the slices to meet (KS > SS; a barrier follows). After
// meetInSubgroup the SS lanes of a unit's group hold the same sums: lane q of them writes rows q,
// q + SS, ... as partial slice / SS of the unit's KS / SS.
fn shareSums(acc: array<vec4<f32>, MAX_R>, slice: u32, unit: u32) {
  for (var r = slice % SS; r < R; r += SS) { part[(r * (KS / SS) + slice / SS) * UW + unit] = acc[r]; }
}

// Row r of the workgroup's unit `unit`: its KS / SS partial sums added.
fn sliceSum(r: u32, unit: u32) -> vec4<f32> {
  var a = vec4<f32>(0.0);
  for (var q = 0u; q < KS / SS; q++) { a += part[(r * (KS / SS) + q) * UW + unit]; }
  return a;
}
