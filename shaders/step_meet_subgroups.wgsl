// meetInSubgroup with the `subgroups` feature (step_reduce.wgsl; the module starts with `enable
// subgroups;`): every lane of a group of SS * UPG gets the sums of its unit's SS slices, by an all-reduce
// butterfly over lane offsets UPG, 2 UPG, .. SS UPG / 2. Every thread of the workgroup must call it, in
// uniform control flow (threads without a unit pass zeros).
//
// The lanes it exchanges are those whose local_invocation_index differs in the bits of UPG .. SS UPG / 2:
// that is the subgroup_invocation_id's difference as well, assuming that a 1-D compute workgroup's
// subgroups are runs of consecutive local_invocation_index values starting at multiples of the subgroup
// size. Every known implementation (Vulkan, D3D12, Metal drivers; lavapipe) lays them out so; WebGPU does
// not promise it. SS * UPG is a power of two no larger than the adapter's subgroupMinSize, so each group
// then lies inside one subgroup however large the actual subgroups are.
fn meetInSubgroup(acc: array<vec4<f32>, MAX_R>) -> array<vec4<f32>, MAX_R> {
  var a = acc;
  for (var r = 0u; r < R; r++) {
    for (var o = UPG; o < SS * UPG; o *= 2u) { a[r] += subgroupShuffleXor(a[r], o); }
  }
  return a;
}
