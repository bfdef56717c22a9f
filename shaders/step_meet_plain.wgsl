// meetInSubgroup for devices without the `subgroups` feature (step_reduce.wgsl): SS = 1, every slice's
// sums meet in workgroup memory.
fn meetInSubgroup(acc: array<vec4<f32>, MAX_R>) -> array<vec4<f32>, MAX_R> {
  return acc;
}
