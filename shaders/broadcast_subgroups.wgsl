// The lane of the resident kernels (recurrent_resident.wgsl, matmul_resident.wgsl) with subgroups;
// their reduce() follows, written out by reduceSource() in src/kernels/broadcast.ts: it calls
// subgroupShuffle, so every lane of the workgroup must call it, in uniform control flow.

struct Lane {
  @builtin(local_invocation_index) index: u32,
  @builtin(subgroup_invocation_id) sub: u32,
}

fn subgroupLane(lane: Lane) -> u32 {
  return lane.sub;
}
