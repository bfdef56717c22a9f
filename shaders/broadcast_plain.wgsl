// The lane of the resident kernels (recurrent_resident.wgsl, matmul_resident.wgsl) without subgroups;
// their reduce() follows, written out by reduceSource() in src/kernels/broadcast.ts.

struct Lane {
  @builtin(local_invocation_index) index: u32,
}

fn subgroupLane(lane: Lane) -> u32 {
  return 0u;
}
